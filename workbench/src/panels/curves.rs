//! Learning curves of the open control runs: runs of the same experiment (config name)
//! are seeds of one curve, drawn as the mean with a ±1 standard-deviation band; one
//! experiment can be pinned as the baseline (dashed, drawn first) to compare against.

use std::collections::BTreeMap;

use egui::{Color32, Ui};
use egui_plot::{FilledArea, Legend, Line, LineStyle, Plot, PlotPoints};

use crate::app::Workbench;

/// Okabe–Ito colours for the curves.
const PALETTE: [Color32; 7] = [
    Color32::from_rgb(0, 114, 178),
    Color32::from_rgb(230, 159, 0),
    Color32::from_rgb(0, 158, 115),
    Color32::from_rgb(204, 121, 167),
    Color32::from_rgb(86, 180, 233),
    Color32::from_rgb(213, 94, 0),
    Color32::from_rgb(240, 228, 66),
];

/// One experiment's curve of a metric aggregated over seeds.
#[derive(Clone, Debug, PartialEq)]
pub struct Curve {
    /// Experiment name.
    pub name: String,
    /// Seeds that have the metric.
    pub seeds: usize,
    /// Global steps.
    pub steps: Vec<f64>,
    /// Mean over the seeds that logged each step.
    pub mean: Vec<f64>,
    /// Standard deviation over those seeds (0 for one seed).
    pub std: Vec<f64>,
}

/// Aggregates `metric` over the seeds (runs) of each experiment.
pub fn curves(wb: &Workbench, metric: &str) -> Vec<Curve> {
    // experiment → step → values over seeds
    let mut groups: BTreeMap<String, (usize, BTreeMap<u64, Vec<f64>>)> = BTreeMap::new();
    for run in &wb.runs {
        if run.metrics().is_empty() {
            continue;
        }
        let mut any = false;
        let entry = groups.entry(run.experiment()).or_default();
        for m in run.metrics().iter().filter(|m| m.name == metric) {
            entry.1.entry(m.global_step).or_default().push(m.value);
            any = true;
        }
        if any {
            entry.0 += 1;
        }
    }
    groups
        .into_iter()
        .filter(|(_, (seeds, _))| *seeds > 0)
        .map(|(name, (seeds, by_step))| {
            let mut c = Curve {
                name,
                seeds,
                steps: vec![],
                mean: vec![],
                std: vec![],
            };
            for (step, vals) in by_step {
                let n = vals.len() as f64;
                let mean = vals.iter().sum::<f64>() / n;
                let var = vals.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
                c.steps.push(step as f64);
                c.mean.push(mean);
                c.std.push(var.sqrt());
            }
            c
        })
        .collect()
}

/// Trailing moving average over `window` points.
pub fn smooth(values: &[f64], window: usize) -> Vec<f64> {
    let w = window.max(1);
    (0..values.len())
        .map(|i| {
            let lo = (i + 1).saturating_sub(w);
            values[lo..=i].iter().sum::<f64>() / (i + 1 - lo) as f64
        })
        .collect()
}

/// Draws the tab.
pub fn show(ui: &mut Ui, wb: &mut Workbench) {
    let mut names: Vec<String> = wb
        .runs
        .iter()
        .flat_map(|r| r.metrics().iter().map(|m| m.name.clone()))
        .collect();
    names.sort();
    names.dedup();
    if names.is_empty() {
        ui.label(
            "No metrics: open runs trained by `meowlab run` (control or self-play) to compare their learning curves.",
        );
        return;
    }
    if !names.contains(&wb.curves.metric) {
        wb.curves.metric = names[0].clone();
    }
    let all = curves(wb, &wb.curves.metric);
    ui.horizontal(|ui| {
        egui::ComboBox::from_label("Metric")
            .selected_text(wb.curves.metric.clone())
            .show_ui(ui, |ui| {
                for n in &names {
                    ui.selectable_value(&mut wb.curves.metric, n.clone(), n);
                }
            });
        egui::ComboBox::from_label("Baseline")
            .selected_text(wb.curves.baseline.clone().unwrap_or_else(|| "none".into()))
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut wb.curves.baseline, None, "none");
                for c in &all {
                    ui.selectable_value(&mut wb.curves.baseline, Some(c.name.clone()), &c.name);
                }
            });
        ui.add(egui::Slider::new(&mut wb.curves.smoothing, 1..=50).text("smoothing (points)"));
    });
    let baseline = wb.curves.baseline.clone();
    let window = wb.curves.smoothing;
    Plot::new("curves")
        .legend(Legend::default())
        .x_axis_label("environment steps")
        .y_axis_label(wb.curves.metric.clone())
        .show(ui, |p| {
            // the baseline first, so the others draw over it
            let mut order: Vec<&Curve> = all.iter().collect();
            order.sort_by_key(|c| Some(&c.name) != baseline.as_ref());
            for (i, c) in order.into_iter().enumerate() {
                let pinned = Some(&c.name) == baseline.as_ref();
                let color = if pinned {
                    Color32::GRAY
                } else {
                    PALETTE[i % PALETTE.len()]
                };
                let mean = smooth(&c.mean, window);
                let std = smooth(&c.std, window);
                let label = format!(
                    "{} ({} seed{}){}",
                    c.name,
                    c.seeds,
                    if c.seeds == 1 { "" } else { "s" },
                    if pinned { " | baseline" } else { "" }
                );
                if c.seeds > 1 {
                    let lo: Vec<f64> = mean.iter().zip(&std).map(|(m, s)| m - s).collect();
                    let hi: Vec<f64> = mean.iter().zip(&std).map(|(m, s)| m + s).collect();
                    p.add(
                        FilledArea::new(label.clone(), &c.steps, &lo, &hi)
                            .fill_color(color.gamma_multiply(0.25)),
                    );
                }
                let pts: PlotPoints = c.steps.iter().zip(&mean).map(|(&x, &y)| [x, y]).collect();
                let mut line = Line::new(label, pts).color(color).width(2.0);
                if pinned {
                    line = line.style(LineStyle::dashed_loose());
                }
                p.line(line);
            }
        });
}

#[cfg(test)]
mod tests {
    use super::smooth;

    #[test]
    fn smoothing_is_a_trailing_mean() {
        assert_eq!(smooth(&[1.0, 3.0, 5.0, 7.0], 2), vec![1.0, 2.0, 4.0, 6.0]);
        assert_eq!(smooth(&[1.0, 3.0], 1), vec![1.0, 3.0]);
    }
}
