//! Learning curves: one curve per experiment, the mean over its seeds with a 95%
//! confidence band (Student's t over the seeds present at each step), optionally
//! smoothed per seed first (TensorBoard's debiased exponential moving average).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use meowlab_store::browse::StepRow;
use plotters::coord::Shift;
use plotters::prelude::*;

use crate::error::PlotError;
use crate::legend::legend_rows;
use crate::style::{series_color, Scale};

/// One seed's logged values of a metric.
#[derive(Clone, Debug, PartialEq)]
pub struct SeedSeries {
    /// Where it came from (run folder name).
    pub label: String,
    /// Global steps, increasing.
    pub steps: Vec<f64>,
    /// The metric at those steps.
    pub values: Vec<f64>,
}

/// The seeds of one experiment.
#[derive(Clone, Debug, PartialEq)]
pub struct CurveGroup {
    /// Legend label (the experiment's name).
    pub label: String,
    /// Its seeds.
    pub seeds: Vec<SeedSeries>,
}

/// A group's curve: mean and 95% confidence interval at each step.
#[derive(Clone, Debug, PartialEq)]
pub struct Aggregate {
    /// Steps (the union of the seeds' steps).
    pub steps: Vec<f64>,
    /// Mean over the seeds covering each step.
    pub mean: Vec<f64>,
    /// Lower end of the 95% interval (= mean with one seed).
    pub lo: Vec<f64>,
    /// Upper end of the 95% interval.
    pub hi: Vec<f64>,
    /// Seeds covering each step.
    pub n: Vec<usize>,
}

/// Learning curves of a metric.
#[derive(Clone, Debug, PartialEq)]
pub struct Curves {
    /// One curve per group.
    pub groups: Vec<CurveGroup>,
    /// The metric (y-axis label).
    pub metric: String,
    /// The x-axis label.
    pub x_label: String,
    /// Smoothing weight in [0, 1): 0 = raw, 0.9 = heavy (applied per seed).
    pub smoothing: f64,
    /// Whether legend labels say how many seeds each curve has.
    pub seed_counts: bool,
}

/// Two-sided 95% quantile of Student's t with `df` degrees of freedom.
pub(crate) fn t975(df: usize) -> f64 {
    const T: [f64; 30] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
        2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
        2.052, 2.048, 2.045, 2.042,
    ];
    match df {
        0 => f64::NAN,
        1..=30 => T[df - 1],
        _ => 1.959964 + 2.372 / df as f64,
    }
}

/// TensorBoard's smoothing: an exponential moving average divided by its bias
/// (1 − wᵗ), so the start of the curve is not pulled towards zero.
pub fn smooth(values: &[f64], weight: f64) -> Vec<f64> {
    if weight <= 0.0 {
        return values.to_vec();
    }
    let mut ema = 0.0;
    let mut debias = 1.0;
    values
        .iter()
        .map(|&v| {
            ema = weight * ema + (1.0 - weight) * v;
            debias *= weight;
            ema / (1.0 - debias)
        })
        .collect()
}

/// The seed's value at `x` by linear interpolation, `None` outside its range.
fn interpolate(steps: &[f64], values: &[f64], x: f64) -> Option<f64> {
    let (first, last) = (*steps.first()?, *steps.last()?);
    if x < first || x > last {
        return None;
    }
    let i = steps.partition_point(|&s| s < x);
    if steps[i] == x {
        return Some(values[i]);
    }
    let (x0, x1, y0, y1) = (steps[i - 1], steps[i], values[i - 1], values[i]);
    Some(y0 + (y1 - y0) * (x - x0) / (x1 - x0))
}

impl CurveGroup {
    /// Mean and 95% interval over the seeds after smoothing each by `weight`: on the
    /// union of their steps, each seed interpolated linearly within its own range
    /// (never extrapolated), so seeds logged at different steps still aggregate.
    pub fn aggregate(&self, weight: f64) -> Aggregate {
        let smoothed: Vec<(Vec<f64>, Vec<f64>)> = self
            .seeds
            .iter()
            .filter(|s| !s.steps.is_empty())
            .map(|s| (s.steps.clone(), smooth(&s.values, weight)))
            .collect();
        let mut grid: Vec<f64> = smoothed
            .iter()
            .flat_map(|(s, _)| s.iter().copied())
            .collect();
        grid.sort_by(f64::total_cmp);
        grid.dedup();
        let mut a = Aggregate {
            steps: vec![],
            mean: vec![],
            lo: vec![],
            hi: vec![],
            n: vec![],
        };
        for x in grid {
            let vals: Vec<f64> = smoothed
                .iter()
                .filter_map(|(s, v)| interpolate(s, v, x))
                .collect();
            let n = vals.len();
            let mean = vals.iter().sum::<f64>() / n as f64;
            let half = if n > 1 {
                let var = vals.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
                t975(n - 1) * (var / n as f64).sqrt()
            } else {
                0.0
            };
            a.steps.push(x);
            a.mean.push(mean);
            a.lo.push(mean - half);
            a.hi.push(mean + half);
            a.n.push(n);
        }
        a
    }
}

/// The run folders named by `paths`: a folder with a `run.json`, or every such folder
/// directly inside a folder of runs.
pub fn expand_runs(paths: &[PathBuf]) -> Result<Vec<PathBuf>, PlotError> {
    let mut runs = Vec::new();
    for p in paths {
        if p.join("run.json").is_file() {
            runs.push(p.clone());
            continue;
        }
        let entries = std::fs::read_dir(p).map_err(|source| PlotError::Io {
            path: p.clone(),
            source,
        })?;
        let mut inner: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|d| d.join("run.json").is_file())
            .collect();
        if inner.is_empty() {
            return Err(PlotError::Invalid(format!(
                "{}: not a run (no run.json) and no runs inside",
                p.display()
            )));
        }
        inner.sort();
        runs.extend(inner);
    }
    Ok(runs)
}

impl Curves {
    /// Curves of `metric` (e.g. `eval/return_mean`) from runs or folders of runs; runs
    /// of the same experiment (their config's `name`) are its seeds. Unreadable metric
    /// shards are returned as messages next to the curves, not hidden.
    pub fn from_runs(paths: &[PathBuf], metric: &str) -> Result<(Curves, Vec<String>), PlotError> {
        let mut groups: BTreeMap<String, Vec<SeedSeries>> = BTreeMap::new();
        let mut problems = Vec::new();
        let mut names = Vec::new();
        for run in expand_runs(paths)? {
            let meta = meowlab_store::Run::open(&run)?;
            let experiment = meta
                .meta()
                .config
                .get("name")
                .and_then(|v| v.as_str())
                .map(str::to_string)
                .unwrap_or_else(|| folder_name(&run));
            let loaded = meowlab_store::browse::metrics(&run.join("metrics"))?;
            problems.extend(loaded.problems.iter().map(|e| e.to_string()));
            let mut points: Vec<(f64, f64)> = loaded
                .rows
                .iter()
                .filter(|m| m.name == metric)
                .map(|m| (m.global_step as f64, m.value))
                .collect();
            loaded.rows.iter().for_each(|m| names.push(m.name.clone()));
            if points.is_empty() {
                continue;
            }
            points.sort_by(|a, b| a.0.total_cmp(&b.0));
            points.dedup_by(|a, b| a.0 == b.0); // a resumed run may log a step twice
            groups.entry(experiment).or_default().push(SeedSeries {
                label: folder_name(&run),
                steps: points.iter().map(|p| p.0).collect(),
                values: points.iter().map(|p| p.1).collect(),
            });
        }
        if groups.is_empty() {
            names.sort();
            names.dedup();
            return Err(PlotError::Empty(format!(
                "no run logged the metric `{metric}` (metrics found: {})",
                if names.is_empty() {
                    "none".to_string()
                } else {
                    names.join(", ")
                }
            )));
        }
        let curves = Curves {
            groups: groups
                .into_iter()
                .map(|(label, seeds)| CurveGroup { label, seeds })
                .collect(),
            metric: metric.to_string(),
            x_label: "environment steps".into(),
            smoothing: 0.0,
            seed_counts: true,
        };
        Ok((curves, problems))
    }

    /// Plain lines (no seeds, no band): one per `(label, xs, ys)`, e.g. the observation
    /// dimensions of one episode over its steps.
    pub fn lines(x_label: &str, y_label: &str, lines: Vec<(String, Vec<f64>, Vec<f64>)>) -> Curves {
        Curves {
            groups: lines
                .into_iter()
                .map(|(label, steps, values)| CurveGroup {
                    seeds: vec![SeedSeries {
                        label: label.clone(),
                        steps,
                        values,
                    }],
                    label,
                })
                .collect(),
            metric: y_label.into(),
            x_label: x_label.into(),
            smoothing: 0.0,
            seed_counts: false,
        }
    }

    /// One control episode's observation over its steps, a line per dimension named by
    /// `names` (e.g. `meowlab_control::observation_names`), `obs[i]` otherwise.
    pub fn episode(steps: &[StepRow], names: &[&str]) -> Result<Curves, PlotError> {
        let dims = steps.first().map_or(0, |s| s.observation.len());
        if dims == 0 {
            return Err(PlotError::Empty("an episode without steps".into()));
        }
        if let Some(s) = steps.iter().find(|s| s.observation.len() != dims) {
            return Err(PlotError::Invalid(format!(
                "episode {} step {}: {} observation values, the first step has {dims}",
                s.episode_id,
                s.step,
                s.observation.len()
            )));
        }
        let xs: Vec<f64> = steps.iter().map(|s| s.step as f64).collect();
        let lines = (0..dims)
            .map(|d| {
                let name = names
                    .get(d)
                    .map_or_else(|| format!("obs[{d}]"), |n| n.to_string());
                let ys = steps.iter().map(|s| s.observation[d] as f64).collect();
                (name, xs.clone(), ys)
            })
            .collect();
        Ok(Curves::lines("step", "observation", lines))
    }

    /// With per-seed smoothing (weight in [0, 1)).
    pub fn smoothed(mut self, weight: f64) -> Curves {
        self.smoothing = weight;
        self
    }

    pub(crate) fn draw<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        s: &Scale,
    ) -> Result<(), PlotError> {
        if !(0.0..1.0).contains(&self.smoothing) {
            return Err(PlotError::Invalid(format!(
                "smoothing {} (must be in [0, 1))",
                self.smoothing
            )));
        }
        let aggs: Vec<(&CurveGroup, Aggregate)> = self
            .groups
            .iter()
            .map(|g| (g, g.aggregate(self.smoothing)))
            .filter(|(_, a)| !a.steps.is_empty())
            .collect();
        if aggs.is_empty() {
            return Err(PlotError::Empty(format!("no points of `{}`", self.metric)));
        }
        let fold = |f: fn(&Aggregate) -> &Vec<f64>, min: bool| {
            aggs.iter().flat_map(|(_, a)| f(a).iter().copied()).fold(
                if min {
                    f64::INFINITY
                } else {
                    f64::NEG_INFINITY
                },
                if min { f64::min } else { f64::max },
            )
        };
        let (x0, x1) = (fold(|a| &a.steps, true), fold(|a| &a.steps, false));
        let (y0, y1) = (fold(|a| &a.lo, true), fold(|a| &a.hi, false));
        let pad = ((y1 - y0) * 0.05).max(1e-9);
        let x1 = if x1 > x0 { x1 } else { x0 + 1.0 };
        let labels: Vec<String> = aggs
            .iter()
            .map(|(g, _)| match self.seed_counts {
                true => format!("{} (n={})", g.label, g.seeds.len()),
                false => g.label.clone(),
            })
            .collect();
        let area = legend_rows(area, s, &labels)?;
        let mut chart = ChartBuilder::on(&area)
            .margin(s.u(6.0))
            .x_label_area_size(s.u(22.0))
            .y_label_area_size(s.u(34.0))
            .build_cartesian_2d(x0..x1, (y0 - pad)..(y1 + pad))
            .map_err(PlotError::draw)?;
        s.paper_mesh(&mut chart.configure_mesh())
            .x_labels(5)
            .y_labels(5)
            .x_label_formatter(&|v| short_number(*v))
            .y_label_formatter(&|v| short_number(*v))
            .x_desc(self.x_label.as_str())
            .y_desc(self.metric.as_str())
            .draw()
            .map_err(PlotError::draw)?;
        for (i, (_, a)) in aggs.iter().enumerate() {
            let color = series_color(i);
            if a.n.iter().any(|&n| n > 1) {
                let band: Vec<(f64, f64)> = a
                    .steps
                    .iter()
                    .zip(&a.hi)
                    .map(|(&x, &y)| (x, y))
                    .chain(a.steps.iter().zip(&a.lo).rev().map(|(&x, &y)| (x, y)))
                    .collect();
                chart
                    .draw_series(std::iter::once(Polygon::new(
                        band,
                        color.mix(0.22).filled(),
                    )))
                    .map_err(PlotError::draw)?;
            }
            chart
                .draw_series(LineSeries::new(
                    a.steps.iter().copied().zip(a.mean.iter().copied()),
                    color.stroke_width(s.u(1.2) as u32),
                ))
                .map_err(PlotError::draw)?;
        }
        Ok(())
    }
}

fn folder_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| p.display().to_string())
}

/// Tick labels: 12k, 1.5M, 0.25 — short enough for a column-wide axis.
pub(crate) fn short_number(v: f64) -> String {
    let a = v.abs();
    let trim = |s: String| {
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        }
    };
    if a >= 1e6 {
        format!("{}M", trim(format!("{:.2}", v / 1e6)))
    } else if a >= 1e4 {
        format!("{}k", trim(format!("{:.1}", v / 1e3)))
    } else if a >= 100.0 || a == 0.0 {
        format!("{v:.0}")
    } else if a >= 1.0 {
        trim(format!("{v:.2}"))
    } else if a >= 0.01 {
        trim(format!("{v:.3}"))
    } else {
        format!("{v:.1e}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smoothing_is_debiased_and_zero_weight_is_identity() {
        assert_eq!(smooth(&[3.0, 5.0], 0.0), vec![3.0, 5.0]);
        let s = smooth(&[10.0, 10.0, 10.0], 0.9);
        assert!(s.iter().all(|v| (v - 10.0).abs() < 1e-12), "{s:?}");
        let s = smooth(&[0.0, 10.0], 0.5);
        // ema: 0, then 5; debiased by 1 − 0.25
        assert!((s[1] - 5.0 / 0.75).abs() < 1e-12);
    }

    #[test]
    fn aggregate_interpolates_within_each_seed_and_uses_student_t() {
        let g = CurveGroup {
            label: "x".into(),
            seeds: vec![
                SeedSeries {
                    label: "a".into(),
                    steps: vec![0.0, 10.0],
                    values: vec![0.0, 10.0],
                },
                SeedSeries {
                    label: "b".into(),
                    steps: vec![0.0, 5.0],
                    values: vec![2.0, 4.0],
                },
            ],
        };
        let a = g.aggregate(0.0);
        assert_eq!(a.steps, vec![0.0, 5.0, 10.0]);
        assert_eq!(a.n, vec![2, 2, 1]);
        // step 5: seed a interpolates to 5, seed b is 4 → mean 4.5, sd √0.5, t(1) = 12.706
        assert!((a.mean[1] - 4.5).abs() < 1e-12);
        let half = 12.706 * (0.5f64 / 2.0).sqrt();
        assert!((a.hi[1] - (4.5 + half)).abs() < 1e-9 && (a.lo[1] - (4.5 - half)).abs() < 1e-9);
        // step 10: only seed a → no band
        assert_eq!((a.mean[2], a.lo[2], a.hi[2]), (10.0, 10.0, 10.0));
    }

    #[test]
    fn t_quantiles_approach_the_normal() {
        assert_eq!(t975(1), 12.706);
        assert!((t975(1000) - 1.962).abs() < 1e-3);
        assert!(t975(30) > t975(31) && t975(31) > 1.96);
    }

    #[test]
    fn tick_labels_are_short() {
        assert_eq!(short_number(20480.0), "20.5k");
        assert_eq!(short_number(1_500_000.0), "1.5M");
        assert_eq!(short_number(0.25), "0.25");
        assert_eq!(short_number(500.0), "500");
        assert_eq!(short_number(0.00042), "4.2e-4");
    }
}
