//! Policy-gradient and value losses: PPO's clipped surrogate (with CleanRL's
//! diagnostics) and the plain or clipped squared value error.

use dfdx::prelude::*;
use meowlab_nn::nn::Dev;

use crate::dist::{Scalar, Vector};

/// Diagnostics of one clipped-surrogate evaluation (CleanRL's names).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ClipStats {
    /// mean((r − 1) − log r), the low-variance KL estimator.
    pub approx_kl: f64,
    /// mean(−log r).
    pub old_approx_kl: f64,
    /// Fraction of samples with |r − 1| > ε.
    pub clipfrac: f64,
}

/// PPO's clipped surrogate mean(max(−A·r, −A·clip(r, 1 − ε, 1 + ε))) with
/// r = exp(log π_new − log π_old).
pub fn clipped_policy_loss<T: Tape<f32, Dev>>(
    new_log_probs: Vector<T>,
    old_log_probs: &Vector,
    advantages: &Vector,
    clip_coef: f32,
) -> (Scalar<T>, ClipStats) {
    let logratio = new_log_probs - old_log_probs.clone();
    let host = logratio.retaped::<NoneTape>().as_vec();
    let n = host.len().max(1) as f64;
    let mut stats = ClipStats::default();
    for &lr in &host {
        let r = (lr as f64).exp();
        stats.approx_kl += ((r - 1.0) - lr as f64) / n;
        stats.old_approx_kl += -(lr as f64) / n;
        if (r - 1.0).abs() > clip_coef as f64 {
            stats.clipfrac += 1.0 / n;
        }
    }
    let ratio = logratio.exp();
    let neg_adv = advantages.clone().negate();
    let pg1 = ratio.with_empty_tape() * neg_adv.clone();
    let pg2 = ratio.clamp(1.0 - clip_coef, 1.0 + clip_coef) * neg_adv;
    (pg1.maximum(pg2).mean::<(), _>(), stats)
}

/// mean((V − R)²), or with `clip = Some(ε)` CleanRL's clipped form
/// mean(max((V − R)², (V_old + clip(V − V_old, −ε, ε) − R)²)). (PPO halves it.)
pub fn value_loss<T: Tape<f32, Dev>>(
    new_values: Vector<T>,
    old_values: &Vector,
    returns: &Vector,
    clip: Option<f32>,
) -> Scalar<T> {
    match clip {
        None => (new_values - returns.clone()).square().mean::<(), _>(),
        Some(c) => {
            let unclipped = (new_values.with_empty_tape() - returns.clone()).square();
            let clipped = ((new_values - old_values.clone()).clamp(-c, c) + old_values.clone()
                - returns.clone())
            .square();
            unclipped.maximum(clipped).mean::<(), _>()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use meowlab_nn::nn::Dev;

    #[test]
    fn clipped_policy_loss_by_hand() {
        // Ratios 1.5, 0.5, 1.1, 0.7 with advantages 1, 1, −1, −1 and ε = 0.2:
        // max(−1.5, −1.2) = −1.2; max(−0.5, −0.8) = −0.5; max(1.1, 1.1) = 1.1;
        // max(0.7, 0.8) = 0.8 → mean 0.05; clipped samples: 1.5, 0.5, 0.7.
        let dev = Dev::default();
        let ratios = [1.5f32, 0.5, 1.1, 0.7];
        let old: Vec<f32> = vec![-1.0; 4];
        let new: Vec<f32> = ratios.iter().map(|r| r.ln() - 1.0).collect();
        let new_t: Vector = dev.tensor_from_vec(new, (4,));
        let (loss, stats) = clipped_policy_loss(
            new_t.clone().traced(Gradients::leaky()),
            &dev.tensor_from_vec(old, (4,)),
            &dev.tensor_from_vec(vec![1.0, 1.0, -1.0, -1.0], (4,)),
            0.2,
        );
        assert!((loss.retaped::<NoneTape>().array() - 0.05).abs() < 1e-6);
        assert!((stats.clipfrac - 0.75).abs() < 1e-12);
        let want_kl: f64 = ratios
            .iter()
            .map(|r| (*r as f64 - 1.0) - (*r as f64).ln())
            .sum::<f64>()
            / 4.0;
        assert!((stats.approx_kl - want_kl).abs() < 1e-6);
        // Gradient w.r.t. the new log-probs: zero where the clipped term wins,
        // −A·r/4 where the unclipped term does.
        let g = loss.backward().get(&new_t).as_vec();
        let want = [0.0, -0.5 / 4.0, 1.1 / 4.0, 0.0];
        for i in 0..4 {
            assert!(
                (g[i] - want[i]).abs() < 1e-6,
                "{i}: {} vs {}",
                g[i],
                want[i]
            );
        }
    }

    #[test]
    fn clipped_value_loss_by_hand() {
        // V_old 0, returns 1, ε 0.2: new 0.5 → max(0.25, (0.2 − 1)²) = 0.64;
        // new 1.5 → max(0.25, 0.64) = 0.64; new −0.1 → max(1.21, 1.21) = 1.21.
        let dev = Dev::default();
        let new: Vector = dev.tensor_from_vec(vec![0.5, 1.5, -0.1], (3,));
        let old = dev.tensor_from_vec(vec![0.0; 3], (3,));
        let ret = dev.tensor_from_vec(vec![1.0; 3], (3,));
        let clipped = value_loss(new.clone(), &old, &ret, Some(0.2)).array();
        assert!((clipped - (0.64 + 0.64 + 1.21) / 3.0).abs() < 1e-6);
        let plain = value_loss(new, &old, &ret, None).array();
        assert!((plain - (0.25 + 0.25 + 1.21) / 3.0).abs() < 1e-6);
    }
}
