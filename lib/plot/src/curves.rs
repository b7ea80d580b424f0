//! Learning curves: one curve per experiment, the mean over its seeds with a 95%
//! confidence band (Student's t over the seeds present at each step), optionally
//! smoothed per seed first (TensorBoard's debiased exponential moving average).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use meowlab_store::browse::StepRow;
use plotters::coord::Shift;
use plotters::prelude::*;

use crate::axes::{self, AxisSpec, Frame};
use crate::error::PlotError;
use crate::legend::legend;
use crate::runs::{run_infos, RunInfo, XAxis};
use crate::style::{Scale, INK};
use crate::ticks::{AxisScale, TickStyle};

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
    /// A curve and band computed elsewhere (e.g. a performance profile's bootstrap
    /// band), drawn instead of aggregating `seeds`.
    pub band: Option<Aggregate>,
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

impl Aggregate {
    /// Drops the points covered by fewer than `n` seeds.
    pub fn keep_where_n_is(&mut self, n: usize) {
        let keep: Vec<bool> = self.n.iter().map(|&k| k >= n).collect();
        for column in [&mut self.steps, &mut self.mean, &mut self.lo, &mut self.hi] {
            let mut i = 0;
            column.retain(|_| {
                i += 1;
                keep[i - 1]
            });
        }
        self.n.retain(|&k| k >= n);
    }
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
    /// Draw each curve's mean and band only where every one of its seeds has data: on a
    /// wall-time axis seeds start and end at different times, and the mean of the seeds
    /// still running is neither all seeds' mean nor a narrow interval.
    pub common_range: bool,
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
        Curves::from_runs_by(paths, metric, &XAxis::Steps)
    }

    /// [`Curves::from_runs`] with another x axis (wall-clock time, updates).
    pub fn from_runs_by(
        paths: &[PathBuf],
        metric: &str,
        x: &XAxis,
    ) -> Result<(Curves, Vec<String>), PlotError> {
        let (mut panels, problems) =
            collect(paths, metric, x, |i| (String::new(), i.experiment.clone()))?;
        Ok((panels.remove(0).1, problems))
    }

    /// One set of curves per task (config `env`), a curve per algorithm in each, so a
    /// multi-panel figure shows every env of a config family with one legend.
    pub fn per_task(
        paths: &[PathBuf],
        metric: &str,
        x: &XAxis,
    ) -> Result<(TaskCurves, Vec<String>), PlotError> {
        collect(paths, metric, x, |i| (i.task.clone(), i.algorithm.clone()))
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
                    band: None,
                })
                .collect(),
            metric: y_label.into(),
            x_label: x_label.into(),
            smoothing: 0.0,
            seed_counts: false,
            common_range: false,
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

    /// Means and bands only where all of a curve's seeds have data (see
    /// [`Curves::common_range`]).
    pub fn on_common_range(mut self, yes: bool) -> Curves {
        self.common_range = yes;
        self
    }

    /// Curves whose mean and band were computed elsewhere: one per `(label, aggregate)`
    /// (e.g. performance profiles with bootstrap bands).
    pub fn bands(x_label: &str, y_label: &str, bands: Vec<(String, Aggregate)>) -> Curves {
        Curves {
            groups: bands
                .into_iter()
                .map(|(label, band)| CurveGroup {
                    label,
                    seeds: vec![],
                    band: Some(band),
                })
                .collect(),
            metric: y_label.into(),
            x_label: x_label.into(),
            smoothing: 0.0,
            seed_counts: false,
            common_range: false,
        }
    }

    /// The seeds' non-finite values, as "group/seed: N values" (these are dropped from
    /// the figure, which says so in a note).
    pub fn non_finite(&self) -> Vec<String> {
        let mut out = Vec::new();
        for g in &self.groups {
            for seed in &g.seeds {
                let bad = seed
                    .steps
                    .iter()
                    .zip(&seed.values)
                    .filter(|(x, y)| !x.is_finite() || !y.is_finite())
                    .count();
                if bad > 0 {
                    out.push(format!("{}/{}: {bad} values", g.label, seed.label));
                }
            }
        }
        out
    }

    /// Each group's curve (precomputed, or aggregated over its finite seed values).
    fn curves(&self) -> Vec<(&CurveGroup, Aggregate)> {
        self.groups
            .iter()
            .map(|g| {
                let a = match &g.band {
                    Some(b) => b.clone(),
                    None => {
                        let finite = CurveGroup {
                            label: g.label.clone(),
                            band: None,
                            seeds: g
                                .seeds
                                .iter()
                                .map(|s| {
                                    let (steps, values) = s
                                        .steps
                                        .iter()
                                        .zip(&s.values)
                                        .filter(|(x, y)| x.is_finite() && y.is_finite())
                                        .map(|(x, y)| (*x, *y))
                                        .unzip();
                                    SeedSeries {
                                        label: s.label.clone(),
                                        steps,
                                        values,
                                    }
                                })
                                .collect(),
                        };
                        let mut a = finite.aggregate(self.smoothing);
                        if self.common_range {
                            let all = finite.seeds.iter().filter(|s| !s.steps.is_empty()).count();
                            a.keep_where_n_is(all);
                        }
                        a
                    }
                };
                (g, a)
            })
            .filter(|(_, a)| !a.steps.is_empty())
            .collect()
    }

    /// The drawn curves' legend entries: (group label, which picks the colour; the text
    /// shown, with the seed count when asked).
    pub(crate) fn series(&self) -> Vec<(String, String)> {
        self.series_of(&self.curves())
    }

    fn series_of(&self, curves: &[(&CurveGroup, Aggregate)]) -> Vec<(String, String)> {
        curves
            .iter()
            .map(|(g, _)| {
                let text = match self.seed_counts {
                    true => format!("{} (n={})", g.label, g.seeds.len()),
                    false => g.label.clone(),
                };
                (g.label.clone(), text)
            })
            .collect()
    }

    /// The data's x and y extent (steps; band ends), for panels that share axes.
    pub(crate) fn extent(&self) -> Option<((f64, f64), (f64, f64))> {
        extent_of(&self.curves())
    }

    pub(crate) fn draw<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        s: &Scale,
        frame: &Frame,
    ) -> Result<(), PlotError> {
        if !(0.0..1.0).contains(&self.smoothing) {
            return Err(PlotError::Invalid(format!(
                "smoothing {} (must be in [0, 1))",
                self.smoothing
            )));
        }
        let curves = self.curves();
        let Some(((x0, x1), (mut y0, y1))) = extent_of(&curves) else {
            return Err(PlotError::Empty(format!(
                "no finite points of `{}`",
                self.metric
            )));
        };
        // a log axis needs positive values: an error names the first series that has not
        if frame.x.scale == AxisScale::Log10 {
            if let Some((g, a)) = curves
                .iter()
                .find(|(_, a)| a.steps.iter().any(|&x| x <= 0.0))
            {
                return Err(PlotError::Invalid(format!(
                    "log x axis: `{}` has {} ≤ 0 (smallest {})",
                    g.label,
                    self.x_label,
                    a.steps.iter().copied().fold(f64::INFINITY, f64::min)
                )));
            }
        }
        if frame.y.scale == AxisScale::Log10 {
            if let Some((g, a)) = curves
                .iter()
                .find(|(_, a)| a.mean.iter().any(|&y| y <= 0.0))
            {
                return Err(PlotError::Invalid(format!(
                    "log y axis: `{}` has values ≤ 0 (smallest {})",
                    g.label,
                    a.mean.iter().copied().fold(f64::INFINITY, f64::min)
                )));
            }
            // a band reaching below zero is cut at the smallest mean
            let smallest = curves
                .iter()
                .flat_map(|(_, a)| a.mean.iter().copied())
                .fold(f64::INFINITY, f64::min);
            y0 = y0.max(smallest);
        }
        let mut area = area.clone();
        if !frame.no_legend {
            let items: Vec<(String, RGBColor)> = self
                .series_of(&curves)
                .into_iter()
                .enumerate()
                .map(|(i, (key, text))| (text, frame.color(&key, i)))
                .collect();
            area = legend(&area, s, &items, false)?;
        }
        let dropped = self.non_finite();
        if !dropped.is_empty() {
            let h = (s.line_height(-1.5) + s.uf(3.0)).round() as i32;
            let (h_total, w) = (area.dim_in_pixel().1 as i32, area.dim_in_pixel().0 as f64);
            let (plot, note) = area.split_vertically(h_total - h);
            let text = format!("dropped non-finite values: {}", dropped.join("; "));
            let text = s.fit(&text, w - s.uf(12.0), -1.5);
            note.draw(&Text::new(
                text,
                (s.u(6.0), h / 2),
                s.text(-1.5, INK)
                    .pos(plotters::style::text_anchor::Pos::new(
                        plotters::style::text_anchor::HPos::Left,
                        plotters::style::text_anchor::VPos::Center,
                    )),
            ))
            .map_err(PlotError::draw)?;
            area = plot;
        }
        let x = AxisSpec::numeric(x0, x1, TickStyle::Number, &self.x_label, &frame.x);
        let y = AxisSpec::numeric(y0, y1, TickStyle::Number, &self.metric, &frame.y).padded();
        let (mut chart, xt, yt) = axes::build(&area, s, &x, &y, (true, true))?;
        let (xs, ys) = (xt.scale, yt.scale);
        let y_floor = yt.range.0;
        let at = |x: f64, y: f64| {
            (
                xs.to_axis(x),
                ys.to_axis(y.max(if ys == AxisScale::Log10 {
                    y_floor
                } else {
                    f64::NEG_INFINITY
                })),
            )
        };
        for (i, (g, a)) in curves.iter().enumerate() {
            let color = frame.color(&g.label, i);
            if a.lo.iter().zip(&a.hi).any(|(lo, hi)| hi > lo) {
                let band: Vec<(f64, f64)> = a
                    .steps
                    .iter()
                    .zip(&a.hi)
                    .map(|(&x, &y)| at(x, y))
                    .chain(a.steps.iter().zip(&a.lo).rev().map(|(&x, &y)| at(x, y)))
                    .collect();
                chart
                    .draw_series(std::iter::once(Polygon::new(
                        band,
                        color.mix(0.22).filled(),
                    )))
                    .map_err(PlotError::draw)?;
            }
            let stroke = color.stroke_width(s.u(1.2) as u32);
            if a.steps.len() == 1 {
                // one point: a marker, since a line of one point draws nothing
                chart
                    .draw_series(std::iter::once(Circle::new(
                        at(a.steps[0], a.mean[0]),
                        s.u(2.0),
                        color.filled(),
                    )))
                    .map_err(PlotError::draw)?;
            }
            chart
                .draw_series(LineSeries::new(
                    a.steps.iter().zip(&a.mean).map(|(&x, &y)| at(x, y)),
                    stroke,
                ))
                .map_err(PlotError::draw)?;
        }
        Ok(())
    }
}

/// The x and y extent (steps; band ends) of aggregated curves.
fn extent_of(curves: &[(&CurveGroup, Aggregate)]) -> Option<((f64, f64), (f64, f64))> {
    let mut x = (f64::INFINITY, f64::NEG_INFINITY);
    let mut y = (f64::INFINITY, f64::NEG_INFINITY);
    for (_, a) in curves {
        for (i, &step) in a.steps.iter().enumerate() {
            x = (x.0.min(step), x.1.max(step));
            y = (y.0.min(a.lo[i]), y.1.max(a.hi[i]));
        }
    }
    (x.0 <= x.1).then_some((x, y))
}

/// Curves per panel: (task, its curves).
pub type TaskCurves = Vec<(String, Curves)>;

/// Curves of `metric` from the runs in `paths`, in panels and groups by `key` (panel,
/// group) of each run; unreadable shards come back as messages.
fn collect(
    paths: &[PathBuf],
    metric: &str,
    x: &XAxis,
    key: impl Fn(&RunInfo) -> (String, String),
) -> Result<(TaskCurves, Vec<String>), PlotError> {
    let mut panels: BTreeMap<String, BTreeMap<String, Vec<SeedSeries>>> = BTreeMap::new();
    let mut problems = Vec::new();
    let mut names = Vec::new();
    for info in run_infos(paths)? {
        let loaded = meowlab_store::browse::metrics(&info.dir.join("metrics"))?;
        problems.extend(loaded.problems.iter().map(|e| e.to_string()));
        loaded.rows.iter().for_each(|m| names.push(m.name.clone()));
        let points = x.points(&loaded.rows, metric);
        if points.is_empty() {
            continue;
        }
        let (panel, group) = key(&info);
        panels
            .entry(panel)
            .or_default()
            .entry(group)
            .or_default()
            .push(SeedSeries {
                label: folder_name(&info.dir),
                steps: points.iter().map(|p| p.0).collect(),
                values: points.iter().map(|p| p.1).collect(),
            });
    }
    if panels.is_empty() {
        names.sort();
        names.dedup();
        let what = match x {
            XAxis::Metric(m) => format!("the metric `{metric}` with `{m}` at the same steps"),
            _ => format!("the metric `{metric}`"),
        };
        return Err(PlotError::Empty(format!(
            "no run logged {what} (metrics found: {})",
            if names.is_empty() {
                "none".to_string()
            } else {
                names.join(", ")
            }
        )));
    }
    let panels = panels
        .into_iter()
        .map(|(panel, groups)| {
            let curves = Curves {
                groups: groups
                    .into_iter()
                    .map(|(label, seeds)| CurveGroup {
                        label,
                        seeds,
                        band: None,
                    })
                    .collect(),
                metric: metric.to_string(),
                x_label: x.label(),
                smoothing: 0.0,
                seed_counts: true,
                common_range: false,
            };
            (panel, curves)
        })
        .collect();
    Ok((panels, problems))
}

fn folder_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| p.display().to_string())
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
            band: None,
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
        // On the common range only the steps both seeds cover are left.
        let mut common = a.clone();
        common.keep_where_n_is(2);
        assert_eq!(common.steps, vec![0.0, 5.0]);
        assert_eq!(common.n, vec![2, 2]);
        assert_eq!(common.mean, a.mean[..2].to_vec());
        assert_eq!((common.lo.len(), common.hi.len()), (2, 2));
    }

    #[test]
    fn t_quantiles_approach_the_normal() {
        assert_eq!(t975(1), 12.706);
        assert!((t975(1000) - 1.962).abs() < 1e-3);
        assert!(t975(30) > t975(31) && t975(31) > 1.96);
    }
}
