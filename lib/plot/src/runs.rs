//! What figures read from run folders: each run's experiment, task (env) and algorithm
//! from its `run.json`, a metric against environment steps, wall-clock time or another
//! logged quantity (updates), and the final scores that aggregate statistics start from.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use meowlab_eval::aggregate::Scores;
use meowlab_store::browse::MetricRow;

use crate::curves::expand_runs;
use crate::error::PlotError;

/// What a learning curve's x axis measures.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum XAxis {
    /// The logged global step (environment steps; self-play: rounds).
    #[default]
    Steps,
    /// Seconds since the run started (the A3C and throughput claims are about time).
    WallClock,
    /// The value of another metric logged at the same step, e.g. `train/updates`.
    Metric(String),
}

impl XAxis {
    /// The metric holding the number of gradient updates.
    pub const UPDATES: &'static str = "train/updates";

    /// `steps`, `wall` (or `wall-clock`, `time`), `updates`, or a metric's name.
    pub fn parse(s: &str) -> XAxis {
        match s {
            "steps" => XAxis::Steps,
            "wall" | "wall-clock" | "time" => XAxis::WallClock,
            "updates" => XAxis::Metric(XAxis::UPDATES.into()),
            other => XAxis::Metric(other.into()),
        }
    }

    /// The axis description.
    pub fn label(&self) -> String {
        match self {
            XAxis::Steps => "environment steps".into(),
            XAxis::WallClock => "wall-clock time (s)".into(),
            XAxis::Metric(m) if m == XAxis::UPDATES => "updates".into(),
            XAxis::Metric(m) => m.clone(),
        }
    }

    /// (x, value) of `metric` in `rows`, sorted by x, one point per step.
    pub(crate) fn points(&self, rows: &[MetricRow], metric: &str) -> Vec<(f64, f64)> {
        let mut by_step: BTreeMap<u64, (f64, f64)> = BTreeMap::new();
        let xs: BTreeMap<u64, f64> = match self {
            XAxis::Metric(m) => rows
                .iter()
                .filter(|r| r.name == *m)
                .map(|r| (r.global_step, r.value))
                .collect(),
            _ => BTreeMap::new(),
        };
        for r in rows.iter().filter(|r| r.name == metric) {
            let x = match self {
                XAxis::Steps => Some(r.global_step as f64),
                XAxis::WallClock => Some(r.wall_time_s),
                XAxis::Metric(_) => xs.get(&r.global_step).copied(),
            };
            // a resumed run may log a step twice: the last row wins
            if let Some(x) = x {
                by_step.insert(r.global_step, (x, r.value));
            }
        }
        let mut points: Vec<(f64, f64)> = by_step.into_values().collect();
        points.sort_by(|a, b| a.0.total_cmp(&b.0));
        points
    }
}

/// A run folder and what its `run.json` says it is.
#[derive(Clone, Debug, PartialEq)]
pub struct RunInfo {
    /// The folder.
    pub dir: PathBuf,
    /// The experiment (config `name`; the folder name when there is none).
    pub experiment: String,
    /// The task (config `env`; the experiment when there is none).
    pub task: String,
    /// The algorithm: the experiment's name without its leading env word
    /// (`pendulum-ppo-bang-bang` on Pendulum-v1 → `ppo-bang-bang`).
    pub algorithm: String,
}

/// The algorithm part of an experiment's name: its first word dropped when the env's
/// name starts with it (`mountaincar-ddpg` on `MountainCarContinuous-v0` → `ddpg`).
pub fn algorithm_of(experiment: &str, env: &str) -> String {
    let env_word: String = env
        .split("-v")
        .next()
        .unwrap_or(env)
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_lowercase();
    match experiment.split_once('-') {
        Some((first, rest))
            if !first.is_empty() && env_word.starts_with(&first.to_ascii_lowercase()) =>
        {
            rest.to_string()
        }
        _ => experiment.to_string(),
    }
}

fn folder_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| p.display().to_string())
}

/// The runs named by `paths` (runs or folders of runs) with their experiment, task and
/// algorithm.
pub fn run_infos(paths: &[PathBuf]) -> Result<Vec<RunInfo>, PlotError> {
    expand_runs(paths)?
        .into_iter()
        .map(|dir| {
            let run = meowlab_store::Run::open(&dir)?;
            let config = &run.meta().config;
            let text = |key: &str| config.get(key).and_then(|v| v.as_str()).map(str::to_string);
            let experiment = text("name").unwrap_or_else(|| folder_name(&dir));
            let task = text("env").unwrap_or_else(|| experiment.clone());
            let algorithm = match text("env") {
                Some(env) => algorithm_of(&experiment, &env),
                None => experiment.clone(),
            };
            Ok(RunInfo {
                dir,
                experiment,
                task,
                algorithm,
            })
        })
        .collect()
}

/// How a run's final score is read from its metric.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Final {
    /// The last logged value (RESULTS.md's final deterministic evaluation).
    Last,
    /// The mean of the last `n` logged values.
    MeanOfLast(usize),
}

/// Final scores of `metric` per algorithm (tasks × runs), for aggregate statistics;
/// runs that did not log the metric are listed as problems, not silently dropped.
pub fn final_scores(
    paths: &[PathBuf],
    metric: &str,
    how: Final,
) -> Result<(Vec<Scores>, Vec<String>), PlotError> {
    let mut pairs: BTreeMap<String, Vec<(String, f64)>> = BTreeMap::new();
    let mut problems = Vec::new();
    for info in run_infos(paths)? {
        let loaded = meowlab_store::browse::metrics(&info.dir.join("metrics"))?;
        problems.extend(loaded.problems.iter().map(|e| e.to_string()));
        let values: Vec<f64> = XAxis::Steps
            .points(&loaded.rows, metric)
            .into_iter()
            .map(|p| p.1)
            .collect();
        if values.is_empty() {
            problems.push(format!(
                "{}: no `{metric}` logged (left out)",
                info.dir.display()
            ));
            continue;
        }
        let score = match how {
            Final::Last => values[values.len() - 1],
            Final::MeanOfLast(n) => {
                let tail = &values[values.len().saturating_sub(n.max(1))..];
                tail.iter().sum::<f64>() / tail.len() as f64
            }
        };
        pairs
            .entry(info.algorithm)
            .or_default()
            .push((info.task, score));
    }
    if pairs.is_empty() {
        return Err(PlotError::Empty(format!("no run logged `{metric}`")));
    }
    let scores = pairs
        .into_iter()
        .map(|(algorithm, pairs)| Scores::from_pairs(algorithm, pairs))
        .collect();
    Ok((scores, problems))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn algorithms_are_names_without_the_env_word() {
        assert_eq!(algorithm_of("cartpole-ppo", "CartPole-v1"), "ppo");
        assert_eq!(
            algorithm_of("mountaincar-ddpg-param-noise", "MountainCarContinuous-v0"),
            "ddpg-param-noise"
        );
        assert_eq!(
            algorithm_of("pendulum-ppo-bang-bang", "Pendulum-v1"),
            "ppo-bang-bang"
        );
        assert_eq!(algorithm_of("my-run", "CartPole-v1"), "my-run");
        assert_eq!(algorithm_of("solo", "CartPole-v1"), "solo");
    }

    #[test]
    fn x_axes_pick_steps_time_or_another_metric() {
        let row = |step: u64, wall: f64, name: &str, value: f64| MetricRow {
            global_step: step,
            wall_time_s: wall,
            name: name.into(),
            value,
        };
        let rows = vec![
            row(100, 2.0, "eval", 1.0),
            row(100, 2.0, "train/updates", 7.0),
            row(200, 5.0, "eval", 3.0),
            row(200, 5.5, "eval", 4.0), // logged twice after a resume: the last wins
        ];
        assert_eq!(
            XAxis::Steps.points(&rows, "eval"),
            vec![(100.0, 1.0), (200.0, 4.0)]
        );
        assert_eq!(
            XAxis::WallClock.points(&rows, "eval"),
            vec![(2.0, 1.0), (5.5, 4.0)]
        );
        // step 200 has no update count: no point there
        assert_eq!(
            XAxis::parse("updates").points(&rows, "eval"),
            vec![(7.0, 1.0)]
        );
        assert_eq!(XAxis::parse("updates").label(), "updates");
    }
}
