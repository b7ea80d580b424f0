//! Results across many runs (seeds × tasks) the way Agarwal et al. (2021, "Deep RL at the
//! Edge of the Statistical Precipice") recommend and the `rliable` library computes them:
//! normalised scores; the interquartile mean (IQM), median, mean and optimality gap with
//! stratified bootstrap 95% intervals; performance profiles (the share of runs scoring
//! above τ) with bands; and the probability that one algorithm improves on another.
//!
//! Definitions follow `rliable.metrics` exactly (checked against it in CI): the mean and
//! median are taken over the tasks' mean scores; the IQM is the 25%-trimmed mean of all
//! runs of all tasks (`scipy.stats.trim_mean`); the optimality gap is γ minus the mean of
//! min(score, γ); P(X > Y) is the Mann–Whitney statistic per task, ties counting one
//! half, averaged over tasks. The bootstrap resamples runs with replacement within each
//! task (stratified), and intervals are the percentile method's (linear interpolation,
//! as numpy).

use std::collections::BTreeMap;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Why an aggregate cannot be computed.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum AggregateError {
    /// A task has no runs, or there are no tasks.
    #[error("{algorithm}: {what}")]
    Empty {
        /// The algorithm.
        algorithm: String,
        /// What is missing.
        what: String,
    },
    /// A score is NaN or infinite.
    #[error("{algorithm}, task {task}, run {run}: score {value} is not finite")]
    NotFinite {
        /// The algorithm.
        algorithm: String,
        /// The task.
        task: String,
        /// The run's index within the task.
        run: usize,
        /// The value.
        value: f64,
    },
    /// Two algorithms compared on different tasks.
    #[error("{x} and {y} were run on different tasks ({x}: {x_tasks}; {y}: {y_tasks})")]
    TaskMismatch {
        /// One algorithm.
        x: String,
        /// The other.
        y: String,
        /// The first one's tasks.
        x_tasks: String,
        /// The second one's tasks.
        y_tasks: String,
    },
    /// No normalisation range for a task, or an empty range.
    #[error("task {task}: {why}")]
    Range {
        /// The task.
        task: String,
        /// What is wrong.
        why: String,
    },
    /// Bootstrap settings out of range.
    #[error("bootstrap: {0}")]
    Settings(String),
}

/// One algorithm's final scores: for each task, one score per run (seed).
#[derive(Clone, Debug, PartialEq)]
pub struct Scores {
    /// The algorithm's name.
    pub algorithm: String,
    /// Task names, one per column of `runs`.
    pub tasks: Vec<String>,
    /// `runs[t]` = the scores of task `t`'s runs (tasks may have different numbers).
    pub runs: Vec<Vec<f64>>,
}

impl Scores {
    /// Scores from (task, score) pairs, tasks in name order.
    pub fn from_pairs(
        algorithm: impl Into<String>,
        pairs: impl IntoIterator<Item = (String, f64)>,
    ) -> Scores {
        let mut by_task: BTreeMap<String, Vec<f64>> = BTreeMap::new();
        for (task, v) in pairs {
            by_task.entry(task).or_default().push(v);
        }
        Scores {
            algorithm: algorithm.into(),
            tasks: by_task.keys().cloned().collect(),
            runs: by_task.into_values().collect(),
        }
    }

    /// Every task has a run and every score is finite.
    pub fn validate(&self) -> Result<(), AggregateError> {
        let empty = |what: String| AggregateError::Empty {
            algorithm: self.algorithm.clone(),
            what,
        };
        if self.tasks.is_empty() || self.tasks.len() != self.runs.len() {
            return Err(empty(format!(
                "{} task names for {} score columns",
                self.tasks.len(),
                self.runs.len()
            )));
        }
        for (task, runs) in self.tasks.iter().zip(&self.runs) {
            if runs.is_empty() {
                return Err(empty(format!("task {task} has no runs")));
            }
            if let Some((run, &value)) = runs.iter().enumerate().find(|(_, v)| !v.is_finite()) {
                return Err(AggregateError::NotFinite {
                    algorithm: self.algorithm.clone(),
                    task: task.clone(),
                    run,
                    value,
                });
            }
        }
        Ok(())
    }

    /// Scores mapped to [0, 1] by each task's range (0 = the range's low end).
    pub fn normalised(&self, ranges: &Normalisation) -> Result<Scores, AggregateError> {
        let mut runs = Vec::with_capacity(self.runs.len());
        for (task, column) in self.tasks.iter().zip(&self.runs) {
            let (lo, hi) = ranges.range(task)?;
            runs.push(column.iter().map(|v| (v - lo) / (hi - lo)).collect());
        }
        Ok(Scores {
            algorithm: self.algorithm.clone(),
            tasks: self.tasks.clone(),
            runs,
        })
    }
}

/// Per-task score ranges: a task's low end maps to 0, its high end to 1.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Normalisation {
    /// (low, high) per task.
    pub ranges: BTreeMap<String, (f64, f64)>,
}

impl Normalisation {
    /// The control suite's ranges: 0 = a uniformly random policy's mean return, 1 = the
    /// return gymnasium registers as the task's `reward_threshold` (CartPole-v1 475,
    /// Acrobot-v1 −100, MountainCarContinuous-v0 90; Pendulum-v1 has none, and −200 is
    /// the level RESULTS.md and the SB3 Zoo call solved). Random returns: the mean of
    /// 1,000 episodes of gymnasium 1.4 with uniformly random actions, measured by
    /// `tests/oracle/random_returns.py` (standard errors 0.4, 0.3, 9.1 and 0.0).
    pub fn control() -> Normalisation {
        let ranges = [
            ("CartPole-v1", CARTPOLE_RANDOM, 475.0),
            ("Acrobot-v1", ACROBOT_RANDOM, -100.0),
            ("Pendulum-v1", PENDULUM_RANDOM, -200.0),
            ("MountainCarContinuous-v0", MOUNTAINCAR_RANDOM, 90.0),
        ]
        .into_iter()
        .map(|(t, lo, hi)| (t.to_string(), (lo, hi)))
        .collect();
        Normalisation { ranges }
    }

    /// With `task`'s range set to `lo..hi`.
    pub fn with(mut self, task: impl Into<String>, lo: f64, hi: f64) -> Normalisation {
        self.ranges.insert(task.into(), (lo, hi));
        self
    }

    /// The range of `task`.
    pub fn range(&self, task: &str) -> Result<(f64, f64), AggregateError> {
        let &(lo, hi) = self.ranges.get(task).ok_or_else(|| AggregateError::Range {
            task: task.to_string(),
            why: format!(
                "no normalisation range (known: {}); give one as TASK=LOW:HIGH",
                self.ranges.keys().cloned().collect::<Vec<_>>().join(", ")
            ),
        })?;
        if !(lo.is_finite() && hi.is_finite()) || lo == hi {
            return Err(AggregateError::Range {
                task: task.to_string(),
                why: format!("range {lo}..{hi} is empty or not finite"),
            });
        }
        Ok((lo, hi))
    }
}

/// Mean return of uniformly random actions on CartPole-v1 (see [`Normalisation::control`]).
pub const CARTPOLE_RANDOM: f64 = 22.2;
/// Mean return of uniformly random actions on Acrobot-v1 (mostly the 500-step time limit).
pub const ACROBOT_RANDOM: f64 = -499.1;
/// Mean return of uniformly random torques on Pendulum-v1.
pub const PENDULUM_RANDOM: f64 = -1230.7;
/// Mean return of uniformly random forces on MountainCarContinuous-v0.
pub const MOUNTAINCAR_RANDOM: f64 = -33.3;

/// An aggregate statistic of many runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Statistic {
    /// Median of the tasks' mean scores.
    Median,
    /// Interquartile mean: the 25%-trimmed mean of all runs of all tasks.
    Iqm,
    /// Mean of the tasks' mean scores.
    Mean,
    /// γ = 1 minus the mean of min(score, 1): how far below "solved" runs fall.
    OptimalityGap,
}

impl Statistic {
    /// All four, in rliable's plotting order.
    pub const ALL: [Statistic; 4] = [
        Statistic::Median,
        Statistic::Iqm,
        Statistic::Mean,
        Statistic::OptimalityGap,
    ];

    /// The name figures and tables use.
    pub fn name(self) -> &'static str {
        match self {
            Statistic::Median => "Median",
            Statistic::Iqm => "IQM",
            Statistic::Mean => "Mean",
            Statistic::OptimalityGap => "Optimality gap",
        }
    }

    /// The statistic of task-major scores (`runs[t]` = task `t`'s runs).
    pub fn of(self, runs: &[Vec<f64>]) -> f64 {
        match self {
            Statistic::Median => median(&task_means(runs)),
            Statistic::Iqm => iqm(runs),
            Statistic::Mean => mean(&task_means(runs)),
            Statistic::OptimalityGap => {
                let all: Vec<f64> = runs.iter().flatten().map(|&v| v.min(1.0)).collect();
                1.0 - mean(&all)
            }
        }
    }
}

fn mean(xs: &[f64]) -> f64 {
    xs.iter().sum::<f64>() / xs.len() as f64
}

fn task_means(runs: &[Vec<f64>]) -> Vec<f64> {
    runs.iter().map(|r| mean(r)).collect()
}

fn median(xs: &[f64]) -> f64 {
    let mut s = xs.to_vec();
    s.sort_by(f64::total_cmp);
    let n = s.len();
    if n % 2 == 1 {
        s[n / 2]
    } else {
        (s[n / 2 - 1] + s[n / 2]) / 2.0
    }
}

/// `scipy.stats.trim_mean(all, 0.25)`: drop ⌊n/4⌋ scores from each end, average the rest.
fn iqm(runs: &[Vec<f64>]) -> f64 {
    let mut all: Vec<f64> = runs.iter().flatten().copied().collect();
    all.sort_by(f64::total_cmp);
    let cut = all.len() / 4;
    mean(&all[cut..all.len() - cut])
}

/// The share of all runs (of all tasks) scoring strictly above `tau`.
pub fn share_above(runs: &[Vec<f64>], tau: f64) -> f64 {
    let n: usize = runs.iter().map(Vec::len).sum();
    runs.iter().flatten().filter(|&&v| v > tau).count() as f64 / n as f64
}

/// P(X > Y): per task, the chance that a random run of X beats a random run of Y (ties
/// count one half), averaged over tasks. Both must have the same tasks in order.
pub fn probability_of_improvement(x: &[Vec<f64>], y: &[Vec<f64>]) -> f64 {
    let per_task: Vec<f64> = x
        .iter()
        .zip(y)
        .map(|(xs, ys)| {
            let wins: f64 = xs
                .iter()
                .flat_map(|a| {
                    ys.iter().map(move |b| match a.total_cmp(b) {
                        std::cmp::Ordering::Greater => 1.0,
                        std::cmp::Ordering::Equal => 0.5,
                        std::cmp::Ordering::Less => 0.0,
                    })
                })
                .sum();
            wins / (xs.len() * ys.len()) as f64
        })
        .collect();
    mean(&per_task)
}

/// A point estimate and its bootstrap interval.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Interval {
    /// The statistic of the data.
    pub point: f64,
    /// Lower end of the interval.
    pub lo: f64,
    /// Upper end.
    pub hi: f64,
}

/// Stratified bootstrap settings.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bootstrap {
    /// Resamples (rliable: 50,000 for intervals, 2,000 for profiles).
    pub reps: usize,
    /// Interval coverage (0.95).
    pub confidence: f64,
    /// Seed of the resampling stream: the same seed gives the same intervals.
    pub seed: u64,
}

impl Default for Bootstrap {
    fn default() -> Bootstrap {
        Bootstrap {
            reps: 50_000,
            confidence: 0.95,
            seed: 0,
        }
    }
}

impl Bootstrap {
    fn check(&self) -> Result<(), AggregateError> {
        if self.reps < 100 {
            return Err(AggregateError::Settings(format!(
                "{} resamples (at least 100)",
                self.reps
            )));
        }
        if !(self.confidence > 0.0 && self.confidence < 1.0) {
            return Err(AggregateError::Settings(format!(
                "confidence {} (must be in (0, 1))",
                self.confidence
            )));
        }
        Ok(())
    }

    /// Intervals of the vector-valued `f` of `scores` (one per output).
    pub fn intervals(
        &self,
        scores: &Scores,
        f: impl Fn(&[Vec<f64>]) -> Vec<f64>,
    ) -> Result<Vec<Interval>, AggregateError> {
        scores.validate()?;
        self.check()?;
        let point = f(&scores.runs);
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        let mut sample = scores.runs.clone();
        let draws: Vec<Vec<f64>> = (0..self.reps)
            .map(|_| {
                resample(&scores.runs, &mut sample, &mut rng);
                f(&sample)
            })
            .collect();
        Ok(self.percentiles(&point, &draws))
    }

    /// Intervals of a statistic of two algorithms' scores, each resampled independently
    /// (stratified by task), e.g. the probability of improvement.
    pub fn paired_intervals(
        &self,
        x: &Scores,
        y: &Scores,
        f: impl Fn(&[Vec<f64>], &[Vec<f64>]) -> Vec<f64>,
    ) -> Result<Vec<Interval>, AggregateError> {
        x.validate()?;
        y.validate()?;
        self.check()?;
        if x.tasks != y.tasks {
            return Err(AggregateError::TaskMismatch {
                x: x.algorithm.clone(),
                y: y.algorithm.clone(),
                x_tasks: x.tasks.join(", "),
                y_tasks: y.tasks.join(", "),
            });
        }
        let point = f(&x.runs, &y.runs);
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        let (mut sx, mut sy) = (x.runs.clone(), y.runs.clone());
        let draws: Vec<Vec<f64>> = (0..self.reps)
            .map(|_| {
                resample(&x.runs, &mut sx, &mut rng);
                resample(&y.runs, &mut sy, &mut rng);
                f(&sx, &sy)
            })
            .collect();
        Ok(self.percentiles(&point, &draws))
    }

    fn percentiles(&self, point: &[f64], draws: &[Vec<f64>]) -> Vec<Interval> {
        let tail = (1.0 - self.confidence) / 2.0;
        (0..point.len())
            .map(|k| {
                let mut column: Vec<f64> = draws.iter().map(|d| d[k]).collect();
                column.sort_by(f64::total_cmp);
                Interval {
                    point: point[k],
                    lo: quantile(&column, tail),
                    hi: quantile(&column, 1.0 - tail),
                }
            })
            .collect()
    }
}

/// Each task's runs drawn with replacement from its own runs.
fn resample(runs: &[Vec<f64>], into: &mut [Vec<f64>], rng: &mut ChaCha8Rng) {
    for (column, out) in runs.iter().zip(into.iter_mut()) {
        for slot in out.iter_mut() {
            *slot = column[rng.gen_range(0..column.len())];
        }
    }
}

/// numpy's default (linear) quantile of sorted values.
fn quantile(sorted: &[f64], q: f64) -> f64 {
    let at = q * (sorted.len() - 1) as f64;
    let (i, frac) = (at.floor() as usize, at - at.floor());
    match sorted.get(i + 1) {
        Some(&next) => sorted[i] + (next - sorted[i]) * frac,
        None => sorted[i],
    }
}

/// The four statistics of each algorithm with their intervals, a performance profile,
/// and the probability of improvement of every ordered pair that shares its tasks.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Summary {
    /// Per algorithm: statistic name → interval.
    pub statistics: BTreeMap<String, BTreeMap<String, Interval>>,
    /// The thresholds τ of the profiles.
    pub taus: Vec<f64>,
    /// Per algorithm: the share of runs above each τ, with its band.
    pub profiles: BTreeMap<String, Vec<Interval>>,
    /// (X, Y, P(X > Y) with its interval), for pairs run on the same tasks.
    pub improvement: Vec<(String, String, Interval)>,
}

/// Everything [`Summary`] holds, for normalised `scores` of several algorithms:
/// `interval` resamples for the statistics and the probabilities of improvement,
/// `profile` ones for the profiles (rliable's defaults are 50,000 and 2,000).
pub fn summarise(
    scores: &[Scores],
    taus: &[f64],
    interval: Bootstrap,
    profile: Bootstrap,
) -> Result<Summary, AggregateError> {
    let mut statistics = BTreeMap::new();
    let mut profiles = BTreeMap::new();
    for s in scores {
        let intervals = interval.intervals(s, |r| Statistic::ALL.map(|st| st.of(r)).to_vec())?;
        statistics.insert(
            s.algorithm.clone(),
            Statistic::ALL
                .iter()
                .zip(intervals)
                .map(|(st, i)| (st.name().to_string(), i))
                .collect(),
        );
        let profile_bands =
            profile.intervals(s, |r| taus.iter().map(|&t| share_above(r, t)).collect())?;
        profiles.insert(s.algorithm.clone(), profile_bands);
    }
    let mut improvement = Vec::new();
    for x in scores {
        for y in scores {
            if x.algorithm == y.algorithm || x.tasks != y.tasks {
                continue;
            }
            let i =
                interval.paired_intervals(x, y, |a, b| vec![probability_of_improvement(a, b)])?;
            improvement.push((x.algorithm.clone(), y.algorithm.clone(), i[0]));
        }
    }
    Ok(Summary {
        statistics,
        taus: taus.to_vec(),
        profiles,
        improvement,
    })
}

/// `n` evenly spaced thresholds covering every score and [0, 1].
pub fn thresholds(scores: &[Scores], n: usize) -> Vec<f64> {
    let all = scores.iter().flat_map(|s| s.runs.iter().flatten().copied());
    let (lo, hi) = all.fold((0.0f64, 1.0f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
    let n = n.max(2);
    (0..n)
        .map(|i| lo + (hi - lo) * i as f64 / (n - 1) as f64)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scores(name: &str, runs: Vec<Vec<f64>>) -> Scores {
        Scores {
            algorithm: name.into(),
            tasks: (0..runs.len()).map(|t| format!("task{t}")).collect(),
            runs,
        }
    }

    #[test]
    fn statistics_follow_rliable_definitions() {
        // 2 tasks × 4 runs
        let r = vec![vec![0.0, 1.0, 2.0, 3.0], vec![4.0, 5.0, 6.0, 100.0]];
        assert_eq!(Statistic::Mean.of(&r), (1.5 + 28.75) / 2.0);
        assert_eq!(Statistic::Median.of(&r), (1.5 + 28.75) / 2.0);
        // trim_mean of 8 values cuts 2 each side: mean of 2, 3, 4, 5
        assert_eq!(Statistic::Iqm.of(&r), 3.5);
        // min(x, 1): 0, 1, 1, 1, 1, 1, 1, 1 → mean 7/8
        assert_eq!(Statistic::OptimalityGap.of(&r), 1.0 / 8.0);
        let three = vec![vec![1.0], vec![5.0], vec![2.0]];
        assert_eq!(Statistic::Median.of(&three), 2.0);
        assert_eq!(share_above(&r, 3.0), 4.0 / 8.0); // strictly above
    }

    #[test]
    fn probability_of_improvement_is_mann_whitney_with_half_ties() {
        let x = vec![vec![1.0, 2.0], vec![3.0, 3.0]];
        let y = vec![vec![0.0, 2.0], vec![3.0, 3.0]];
        // task 0: pairs (1,0)=1 (1,2)=0 (2,0)=1 (2,2)=.5 → 2.5/4; task 1: all ties → .5
        assert_eq!(probability_of_improvement(&x, &y), (0.625 + 0.5) / 2.0);
        assert_eq!(probability_of_improvement(&y, &y), 0.5);
    }

    #[test]
    fn bootstrap_is_seeded_and_covers_the_point() {
        let s = scores(
            "a",
            vec![
                (0..10).map(|i| i as f64 / 10.0).collect(),
                (0..10).map(|i| 0.5 + i as f64 / 20.0).collect(),
            ],
        );
        let b = Bootstrap {
            reps: 2000,
            confidence: 0.95,
            seed: 7,
        };
        let f = |r: &[Vec<f64>]| vec![Statistic::Iqm.of(r), Statistic::Mean.of(r)];
        let one = b.intervals(&s, f).unwrap();
        assert_eq!(one, b.intervals(&s, f).unwrap());
        for i in &one {
            assert!(i.lo < i.point && i.point < i.hi, "{i:?}");
        }
        let other = Bootstrap { seed: 8, ..b }.intervals(&s, f).unwrap();
        assert_ne!(one, other);
        // a constant task never moves
        let flat = scores("f", vec![vec![0.3; 5]]);
        let i = b.intervals(&flat, f).unwrap();
        assert_eq!((i[0].lo, i[0].hi), (0.3, 0.3));
    }

    #[test]
    fn the_mean_interval_matches_the_normal_approximation() {
        // one task of 200 runs: the bootstrap interval of the mean ≈ mean ± 1.96 s/√n
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let xs: Vec<f64> = (0..200).map(|_| rng.gen::<f64>()).collect();
        let s = scores("a", vec![xs.clone()]);
        let b = Bootstrap {
            reps: 20_000,
            confidence: 0.95,
            seed: 1,
        };
        let i = b.intervals(&s, |r| vec![Statistic::Mean.of(r)]).unwrap()[0];
        let m = mean(&xs);
        let sd = (xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / 199.0).sqrt();
        let half = 1.96 * sd / (200f64).sqrt();
        assert!(
            (i.hi - i.lo - 2.0 * half).abs() < 0.1 * half,
            "{i:?} vs ±{half}"
        );
    }

    #[test]
    fn errors_name_the_task_and_run() {
        let bad = scores("a", vec![vec![1.0, f64::NAN]]);
        let e = Bootstrap::default().intervals(&bad, |r| vec![Statistic::Mean.of(r)]);
        assert_eq!(
            e.unwrap_err().to_string(),
            "a, task task0, run 1: score NaN is not finite"
        );
        let e = Normalisation::control().range("Hopper-v4").unwrap_err();
        assert!(e.to_string().contains("Hopper-v4") && e.to_string().contains("CartPole-v1"));
        let x = scores("x", vec![vec![1.0]]);
        let mut y = scores("y", vec![vec![1.0]]);
        y.tasks = vec!["other".into()];
        let e = Bootstrap::default()
            .paired_intervals(&x, &y, |a, b| vec![probability_of_improvement(a, b)])
            .unwrap_err();
        assert!(matches!(e, AggregateError::TaskMismatch { .. }));
    }

    #[test]
    fn summary_has_every_part() {
        let a = scores("a", vec![vec![0.1, 0.2, 0.3], vec![0.5, 0.6, 0.7]]);
        let b = scores("b", vec![vec![0.4, 0.5, 0.6], vec![0.9, 1.0, 1.1]]);
        let taus = thresholds(&[a.clone(), b.clone()], 11);
        assert_eq!((taus[0], taus[10]), (0.0, 1.1));
        let boot = Bootstrap {
            reps: 500,
            confidence: 0.95,
            seed: 0,
        };
        let s = summarise(&[a, b], &taus, boot, boot).unwrap();
        assert_eq!(s.statistics["a"].len(), 4);
        assert_eq!(s.profiles["b"].len(), 11);
        assert_eq!(s.improvement.len(), 2);
        let (x, y, p) = &s.improvement[1];
        assert_eq!((x.as_str(), y.as_str()), ("b", "a"));
        assert!(p.point > 0.8, "{p:?}");
    }
}
