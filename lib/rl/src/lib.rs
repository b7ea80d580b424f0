//! Reinforcement-learning pieces that know no environment, game or store: what the
//! control algorithms (`meowlab-algos`) and Meowjong self-play (`meowlab-meowjong`) share.
//! Action distributions ([`dist`]), policy and value losses ([`loss`]), rollouts with GAE
//! ([`rollout`]), Monte-Carlo returns with a pooled baseline and A3C's n-step returns
//! ([`returns`]), the replay buffer ([`replay`]), parameters shared by asynchronous
//! learner threads ([`shared`]), running observation statistics ([`RunningNorm`]) and
//! small helpers.
//!
//! **Invariant:** depends on the tensor layer (`meowlab-nn`) only; an algorithm that
//! needs an env, the engine or the store lives in the crate of its domain.
#![deny(missing_docs)]

pub mod checkpoint;
pub mod dist;
pub mod loss;
pub mod replay;
pub mod returns;
pub mod rollout;
pub mod shared;

pub use checkpoint::CheckpointError;
pub use dist::{
    bernoulli_log_prob_entropy, categorical_log_prob_entropy, categorical_terms,
    gaussian_log_prob_entropy, CategoricalTerms, Scalar, Vector,
};
pub use loss::{clipped_policy_loss, value_loss, ClipStats};
pub use replay::ReplayBuffer;
pub use returns::{n_step_returns, SegmentEnd};
pub use rollout::Rollout;

/// Linear schedule from `start` to `end` over `duration` steps, then flat (CleanRL's
/// `linear_schedule`).
pub fn linear_schedule(start: f64, end: f64, duration: f64, t: f64) -> f64 {
    let slope = (end - start) / duration.max(1.0);
    (slope * t + start).max(end.min(start)).min(end.max(start))
}

/// Index of the largest value (first on ties).
pub fn argmax(values: &[f32]) -> usize {
    let mut best = 0;
    for (i, v) in values.iter().enumerate() {
        if *v > values[best] {
            best = i;
        }
    }
    best
}

/// Running mean and variance of observations (Welford), to feed networks standardised
/// inputs, as OpenAI baselines' DDPG does (`normalize_observations`). Clipped to ±5σ.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RunningNorm {
    count: f64,
    mean: Vec<f64>,
    m2: Vec<f64>,
}

impl RunningNorm {
    /// No observations yet (normalising is then the identity).
    pub fn new(dim: usize) -> Self {
        RunningNorm {
            count: 0.0,
            mean: vec![0.0; dim],
            m2: vec![0.0; dim],
        }
    }

    /// Adds one observation to the statistics.
    pub fn update(&mut self, obs: &[f32]) {
        self.count += 1.0;
        for (i, &x) in obs.iter().enumerate() {
            let x = f64::from(x);
            let delta = x - self.mean[i];
            self.mean[i] += delta / self.count;
            self.m2[i] += delta * (x - self.mean[i]);
        }
    }

    /// (x − mean) / std, clipped to ±5, for every row of `rows` (each `dim` long).
    pub fn normalize(&self, rows: &[f32]) -> Vec<f32> {
        let d = self.mean.len();
        if self.count < 2.0 {
            return rows.to_vec();
        }
        rows.iter()
            .enumerate()
            .map(|(i, &x)| {
                let j = i % d;
                let std = (self.m2[j] / self.count).sqrt().max(1e-8);
                ((f64::from(x) - self.mean[j]) / std).clamp(-5.0, 5.0) as f32
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linear_schedule_matches_cleanrl() {
        assert_eq!(linear_schedule(1.0, 0.05, 100.0, 0.0), 1.0);
        assert!((linear_schedule(1.0, 0.05, 100.0, 50.0) - 0.525).abs() < 1e-12);
        assert_eq!(linear_schedule(1.0, 0.05, 100.0, 1000.0), 0.05);
    }

    #[test]
    fn running_norm_standardises_with_population_statistics() {
        let mut norm = RunningNorm::new(2);
        assert_eq!(norm.normalize(&[3.0, 4.0]), vec![3.0, 4.0]); // no statistics yet
        for row in [[1.0, 10.0], [3.0, 10.0], [5.0, 10.0]] {
            norm.update(&row);
        }
        // mean (3, 10), population std (√(8/3), 0 → 1e-8 floor then clipped to ±5)
        let out = norm.normalize(&[5.0, 10.0, 3.0, 11.0]);
        assert!((out[0] - (2.0 / (8.0f32 / 3.0).sqrt())).abs() < 1e-6);
        assert_eq!(out[1], 0.0);
        assert_eq!(out[2], 0.0);
        assert_eq!(out[3], 5.0);
    }

    #[test]
    fn argmax_takes_the_first_maximum() {
        assert_eq!(argmax(&[1.0, 3.0, 3.0, 2.0]), 1);
        assert_eq!(argmax(&[5.0]), 0);
    }
}
