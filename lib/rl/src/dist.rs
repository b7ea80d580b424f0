//! Action distributions as differentiable functions of network outputs: per-sample
//! log-probabilities and entropies of categorical, diagonal Gaussian and independent
//! Bernoulli policies, on dfdx's tape so the losses in [`crate::loss`] can use them.

use dfdx::prelude::*;
use meowlab_nn::nn::{Dev, Matrix};

/// A runtime-length f32 vector on [`Dev`] (one value per sample).
pub type Vector<T = NoneTape> = Tensor<(usize,), f32, Dev, T>;
/// An f32 scalar on [`Dev`] (a loss).
pub type Scalar<T = NoneTape> = Tensor<(), f32, Dev, T>;

/// ½·ln(2π).
const HALF_LN_2PI: f32 = 0.918_938_5;

/// Per-sample log-probability and entropy of a categorical policy; `onehot` marks the
/// actions. Both outputs share the logits' tape: both must reach the loss.
pub fn categorical_log_prob_entropy<T: Tape<f32, Dev>>(
    logits: Matrix<T>,
    onehot: &Matrix,
) -> (Vector<T>, Vector<T>) {
    let logp_all = logits.log_softmax::<Axis<1>>();
    let probs = logp_all.with_empty_tape().exp();
    let entropy = (probs * logp_all.with_empty_tape())
        .sum::<(usize,), Axis<1>>()
        .negate();
    let log_prob = (logp_all * onehot.clone()).sum::<(usize,), Axis<1>>();
    (log_prob, entropy)
}

/// [`categorical_log_prob_entropy`] plus each sample's KL divergence KL(π ‖ ρ) to a
/// reference policy given by its log-probabilities `reference` (a regulariser that keeps
/// a fine-tuned policy near its supervised start) and its cross-entropy −Σ t·log π to
/// `target` weights (one-hot rows imitate a teacher's class; zero rows add nothing).
/// Masked logits (a large negative offset on illegal actions, in both) contribute
/// nothing. The outputs share the logits' tape: log-prob must reach the loss, and any of
/// the others whose gradient is wanted.
pub fn categorical_terms<T: Tape<f32, Dev>>(
    logits: Matrix<T>,
    onehot: &Matrix,
    reference: &Matrix,
    target: &Matrix,
) -> CategoricalTerms<T> {
    let logp_all = logits.log_softmax::<Axis<1>>();
    let probs = logp_all.with_empty_tape().exp();
    let entropy = (probs.with_empty_tape() * logp_all.with_empty_tape())
        .sum::<(usize,), Axis<1>>()
        .negate();
    let kl = (probs * (logp_all.with_empty_tape() - reference.clone())).sum::<(usize,), Axis<1>>();
    let cross_entropy = (logp_all.with_empty_tape() * target.clone())
        .sum::<(usize,), Axis<1>>()
        .negate();
    let log_prob = (logp_all * onehot.clone()).sum::<(usize,), Axis<1>>();
    CategoricalTerms {
        log_prob,
        entropy,
        kl,
        cross_entropy,
    }
}

/// What [`categorical_terms`] gives per sample.
pub struct CategoricalTerms<T> {
    /// log π(a) of the one-hot action.
    pub log_prob: Vector<T>,
    /// H(π).
    pub entropy: Vector<T>,
    /// KL(π ‖ ρ).
    pub kl: Vector<T>,
    /// −Σ t·log π.
    pub cross_entropy: Vector<T>,
}

/// Per-sample log-probability (summed over dimensions) and entropy of N(mean, e^{2·log_std})
/// at `actions`; `log_std` is broadcast to the batch. Both outputs must reach the loss.
pub fn gaussian_log_prob_entropy<T: Tape<f32, Dev>>(
    mean: Matrix<T>,
    log_std: Matrix<T>,
    actions: &Matrix,
) -> (Vector<T>, Vector<T>) {
    let std = log_std.with_empty_tape().exp();
    let z = (mean - actions.clone()) / std;
    let log_prob =
        (z.square() * -0.5 - log_std.with_empty_tape() - HALF_LN_2PI).sum::<(usize,), Axis<1>>();
    let entropy = (log_std + (0.5 + HALF_LN_2PI)).sum::<(usize,), Axis<1>>();
    (log_prob, entropy)
}

/// Per-sample log-probability (summed over dimensions) and entropy of independent
/// Bernoullis with P(b = 1) = σ(l), at `bits` ∈ {0, 1}. Stable for any |l|:
/// log σ(l) = (l − |l|)/2 − s with s = ln(1 + e^{−|l|}); log p(b) = log σ(l) − (1 − b)·l;
/// H = s + |l|·e^{−|l| − s}. Both outputs must reach the loss.
pub fn bernoulli_log_prob_entropy<T: Tape<f32, Dev>>(
    logits: Matrix<T>,
    bits: &Matrix,
) -> (Vector<T>, Vector<T>) {
    let abs = logits.with_empty_tape().abs();
    let s = (abs.with_empty_tape().negate().exp() + 1.0).ln();
    let log_sig = (logits.with_empty_tape() - abs.with_empty_tape()) * 0.5 - s.with_empty_tape();
    let not_bits = bits.clone().negate() + 1.0;
    let log_prob = (log_sig - logits * not_bits).sum::<(usize,), Axis<1>>();
    let entropy = (s.with_empty_tape() + abs.with_empty_tape() * (abs.negate() - s).exp())
        .sum::<(usize,), Axis<1>>();
    (log_prob, entropy)
}

#[cfg(test)]
mod tests {
    use super::*;
    use meowlab_nn::nn::batch;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol * (1.0 + b.abs())
    }

    #[test]
    fn bernoulli_log_prob_and_entropy_match_direct_formulas() {
        let dev = Dev::default();
        let logits = [-20.0f32, -3.0, -0.5, 0.0, 0.7, 4.0, 15.0];
        let n = logits.len();
        for b in [0.0f32, 1.0] {
            let l = batch(&dev, n, 1, logits.to_vec());
            let bits = batch(&dev, n, 1, vec![b; n]);
            let (lp, h) = bernoulli_log_prob_entropy(l, &bits);
            for ((x, lp), h) in logits.iter().zip(lp.as_vec()).zip(h.as_vec()) {
                let p = 1.0 / (1.0 + (-(*x as f64)).exp());
                let direct = if b == 1.0 { p.ln() } else { (1.0 - p).ln() };
                let entropy = -(p * p.ln() + (1.0 - p) * (1.0 - p).ln());
                assert!(
                    close(lp as f64, direct, 1e-5),
                    "l {x} b {b}: {lp} vs {direct}"
                );
                assert!(close(h as f64, entropy, 1e-5), "l {x}: {h} vs {entropy}");
            }
        }
        // Huge logits: finite, and the limits are right.
        let big = [-1e4f32, -100.0, 100.0, 1e4];
        let l = batch(&dev, 4, 1, big.to_vec());
        let (lp1, h) = bernoulli_log_prob_entropy(l.clone(), &batch(&dev, 4, 1, vec![1.0; 4]));
        let (lp0, _) = bernoulli_log_prob_entropy(l, &batch(&dev, 4, 1, vec![0.0; 4]));
        let (lp1, lp0, h) = (lp1.as_vec(), lp0.as_vec(), h.as_vec());
        for i in 0..4 {
            assert!(lp1[i].is_finite() && lp0[i].is_finite() && h[i].is_finite());
            assert!(h[i] >= 0.0 && h[i] < 1e-30, "entropy {}", h[i]);
            let x = big[i];
            let (want1, want0) = if x > 0.0 { (0.0, -x) } else { (x, 0.0) };
            assert!(
                close(lp1[i] as f64, want1 as f64, 1e-6),
                "{} vs {want1}",
                lp1[i]
            );
            assert!(
                close(lp0[i] as f64, want0 as f64, 1e-6),
                "{} vs {want0}",
                lp0[i]
            );
        }
    }

    #[test]
    fn bernoulli_gradients_match_analytic() {
        // d log p(b)/dl = b − σ(l); dH/dl = −l·σ(l)(1 − σ(l)).
        let dev = Dev::default();
        let logits = [-30.0f32, -2.0, 0.3, 1.5, 50.0];
        let bits = [1.0f32, 0.0, 1.0, 0.0, 0.0];
        let l = batch(&dev, 5, 1, logits.to_vec());
        let (lp, h) = bernoulli_log_prob_entropy(
            l.clone().traced(Gradients::leaky()),
            &batch(&dev, 5, 1, bits.to_vec()),
        );
        let loss = lp.sum::<(), _>() + h.sum::<(), _>();
        let g = loss.backward().get(&l).as_vec();
        for i in 0..5 {
            let x = logits[i] as f64;
            let p = 1.0 / (1.0 + (-x).exp());
            let want = bits[i] as f64 - p - x * p * (1.0 - p);
            assert!(g[i].is_finite());
            assert!(close(g[i] as f64, want, 1e-4), "l {x}: {} vs {want}", g[i]);
        }
    }

    #[test]
    fn gaussian_log_prob_matches_closed_form() {
        let dev = Dev::default();
        let mean = [0.5f32, -1.0, 2.0, 0.0];
        let log_std = [-0.5f32, 0.3, -0.5, 0.3];
        let actions = [0.2f32, 1.0, 2.5, -3.0];
        let (lp, h) = gaussian_log_prob_entropy(
            batch(&dev, 2, 2, mean.to_vec()),
            batch(&dev, 2, 2, log_std.to_vec()),
            &batch(&dev, 2, 2, actions.to_vec()),
        );
        let (lp, h) = (lp.as_vec(), h.as_vec());
        for row in 0..2 {
            let mut want_lp = 0.0f64;
            let mut want_h = 0.0f64;
            for j in 0..2 {
                let i = row * 2 + j;
                let s = (log_std[i] as f64).exp();
                let z = (actions[i] - mean[i]) as f64 / s;
                want_lp += -0.5 * z * z - s.ln() - 0.5 * (2.0 * std::f64::consts::PI).ln();
                want_h += 0.5 + 0.5 * (2.0 * std::f64::consts::PI).ln() + s.ln();
            }
            assert!(
                close(lp[row] as f64, want_lp, 1e-5),
                "{} vs {want_lp}",
                lp[row]
            );
            assert!(close(h[row] as f64, want_h, 1e-5), "{} vs {want_h}", h[row]);
        }
    }

    #[test]
    fn categorical_kl_matches_its_definition_and_finite_differences() {
        // KL(π‖ρ) = Σ_j p_j (log p_j − log r_j); masked classes (−1e4) count for nothing.
        let dev = Dev::default();
        let logits = [0.5f32, -1.0, 2.0, -1e4];
        let refs = [0.1f32, 0.3, -0.2, -1e4];
        let log_softmax = |z: &[f32]| -> Vec<f64> {
            let m = z.iter().cloned().fold(f32::MIN, f32::max) as f64;
            let lse = m + z.iter().map(|&x| (x as f64 - m).exp()).sum::<f64>().ln();
            z.iter().map(|&x| x as f64 - lse).collect()
        };
        let kl_of = |z: &[f32]| -> f64 {
            let (lp, lr) = (log_softmax(z), log_softmax(&refs));
            (0..3).map(|j| lp[j].exp() * (lp[j] - lr[j])).sum()
        };
        let reference = batch(
            &dev,
            1,
            4,
            log_softmax(&refs).iter().map(|&x| x as f32).collect(),
        );
        let onehot = batch(&dev, 1, 4, vec![0.0, 1.0, 0.0, 0.0]);
        let l = batch(&dev, 1, 4, logits.to_vec());
        // imitation target: class 2; masked rows of the target add nothing
        let target = batch(&dev, 1, 4, vec![0.0, 0.0, 1.0, 0.0]);
        let terms = categorical_terms(
            l.clone().traced(Gradients::leaky()),
            &onehot,
            &reference,
            &target,
        );
        let (lp, h, kl, ce) = (terms.log_prob, terms.entropy, terms.kl, terms.cross_entropy);
        let value = kl.as_vec()[0] as f64;
        assert!(
            close(value, kl_of(&logits), 1e-5),
            "{value} vs {}",
            kl_of(&logits)
        );
        let p: Vec<f64> = log_softmax(&logits).iter().map(|x| x.exp()).collect();
        assert!(close(ce.as_vec()[0] as f64, -p[2].ln(), 1e-5));
        // the outputs share one tape: weigh log-prob and entropy by zero
        let loss = kl.sum::<(), _>()
            + ce.sum::<(), _>() * 0.5
            + lp.sum::<(), _>() * 0.0
            + h.sum::<(), _>() * 0.0;
        let g = loss.backward().get(&l).as_vec();
        for j in 0..3 {
            let h = 1e-3f32;
            let (mut up, mut down) = (logits, logits);
            up[j] += h;
            down[j] -= h;
            let fd = (kl_of(&up) - kl_of(&down)) / (2.0 * h as f64);
            // d(−log p₂)/dl_j = p_j − [j = 2]
            let ce_grad = p[j] - f64::from(u8::from(j == 2));
            assert!(
                close(g[j] as f64, fd + 0.5 * ce_grad, 1e-3),
                "class {j}: {} vs {fd} + ½·{ce_grad}",
                g[j]
            );
        }
        assert_eq!(g[3], 0.0, "a masked class gets no gradient");
        // the same policy: zero divergence; log-prob and entropy as the plain function's
        let terms = categorical_terms(
            l.clone(),
            &onehot,
            &batch(
                &dev,
                1,
                4,
                log_softmax(&logits).iter().map(|&x| x as f32).collect(),
            ),
            &batch(&dev, 1, 4, vec![0.0; 4]),
        );
        let (lp0, h0) = categorical_log_prob_entropy(l, &onehot);
        assert!(terms.kl.as_vec()[0].abs() < 1e-6);
        assert_eq!(terms.cross_entropy.as_vec()[0], 0.0);
        assert_eq!(
            (terms.log_prob.as_vec(), terms.entropy.as_vec()),
            (lp0.as_vec(), h0.as_vec())
        );
    }

    #[test]
    fn gaussian_and_categorical_gradients_match_analytic() {
        // Gaussian: d log p/dμ = z/σ, d log p/d log σ = z² − 1, dH/d log σ = 1.
        let dev = Dev::default();
        let (mu, ls, a) = ([0.3f32, -1.0], [0.2f32, -0.4], [1.0f32, -0.5]);
        let mean = batch(&dev, 1, 2, mu.to_vec());
        let log_std = batch(&dev, 1, 2, ls.to_vec());
        let (lp, h) = gaussian_log_prob_entropy(
            mean.clone().traced(Gradients::leaky()),
            log_std.clone().traced(Gradients::leaky()),
            &batch(&dev, 1, 2, a.to_vec()),
        );
        let grads = (lp.sum::<(), _>() + h.sum::<(), _>()).backward();
        let (g_mu, g_ls) = (grads.get(&mean).as_vec(), grads.get(&log_std).as_vec());
        for j in 0..2 {
            let s = (ls[j] as f64).exp();
            let z = (a[j] - mu[j]) as f64 / s;
            assert!(
                close(g_mu[j] as f64, z / s, 1e-5),
                "{} vs {}",
                g_mu[j],
                z / s
            );
            assert!(close(g_ls[j] as f64, z * z - 1.0 + 1.0, 1e-5));
        }
        // Categorical: d log p_a/dl_j = [j = a] − p_j, dH/dl_j = −p_j (log p_j + H).
        let logits = [0.5f32, -1.0, 2.0];
        let l = batch(&dev, 1, 3, logits.to_vec());
        let (lp, h) = categorical_log_prob_entropy(
            l.clone().traced(Gradients::leaky()),
            &batch(&dev, 1, 3, vec![1.0, 0.0, 0.0]),
        );
        let g = (lp.sum::<(), _>() + h.sum::<(), _>())
            .backward()
            .get(&l)
            .as_vec();
        let z: f64 = logits.iter().map(|l| (*l as f64).exp()).sum();
        let p: Vec<f64> = logits.iter().map(|l| (*l as f64).exp() / z).collect();
        let entropy: f64 = -p.iter().map(|p| p * p.ln()).sum::<f64>();
        for j in 0..3 {
            let onehot = if j == 0 { 1.0 } else { 0.0 };
            let want = onehot - p[j] - p[j] * (p[j].ln() + entropy);
            assert!(close(g[j] as f64, want, 1e-5), "{j}: {} vs {want}", g[j]);
        }
    }

    #[test]
    fn categorical_log_prob_and_entropy() {
        let dev = Dev::default();
        let logits = [1.0f32, 2.0, 0.5];
        let (lp, h) = categorical_log_prob_entropy(
            batch(&dev, 1, 3, logits.to_vec()),
            &batch(&dev, 1, 3, vec![0.0, 1.0, 0.0]),
        );
        let z: f64 = logits.iter().map(|l| (*l as f64).exp()).sum();
        let p: Vec<f64> = logits.iter().map(|l| (*l as f64).exp() / z).collect();
        assert!(close(lp.as_vec()[0] as f64, p[1].ln(), 1e-6));
        let want_h: f64 = -p.iter().map(|p| p * p.ln()).sum::<f64>();
        assert!(close(h.as_vec()[0] as f64, want_h, 1e-6));
    }
}
