//! Parameters that several learner threads read and update at once, as A3C's
//! actor-learners do (Mnih et al. 2016): one flat buffer of `f32`s stored as atomics, the
//! RMSProp update of the paper applied straight into it, with its squared-gradient
//! statistics shared by all threads or kept per thread.
//!
//! Two ways to apply an update ([`UpdateMode`]):
//! - **Hogwild** (Recht et al. 2011, what the paper did): no lock. Each element is read and
//!   written with relaxed atomic loads and stores, so a thread never sees a torn float,
//!   but two threads updating at once can interleave element by element and one's write can
//!   overwrite the other's (a lost update). Cheapest, and the paper's argument is that
//!   with sparse conflicts the lost work does not hurt.
//! - **Locked**: a mutex around each whole update and each pull. Every update is applied
//!   in full and every pull sees a state between updates; threads wait for each other
//!   only during the few microseconds of the update itself.
//!
//! Relaxed atomics compile to plain loads and stores on x86-64 and AArch64; what they add
//! over `f32` is only that the data race is defined behaviour in Rust.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering::Relaxed};
use std::sync::Mutex;

use dfdx::prelude::*;
use meowlab_nn::nn::Params;
use serde::{Deserialize, Serialize};

/// How concurrent updates to [`SharedParams`] are applied.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UpdateMode {
    /// Lock-free: element-wise relaxed loads and stores; concurrent updates may overwrite
    /// each other's elements.
    #[default]
    Hogwild,
    /// One update at a time under a mutex; pulls take the same lock.
    Locked,
}

/// RMSProp as the A3C paper writes it (Section 4, "Optimization"):
/// `g ← α·g + (1 − α)·Δθ²`, `θ ← θ − η·Δθ / √(g + ε)`; ε sits inside the square root.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RmsProp {
    /// Decay α of the squared-gradient average.
    pub alpha: f32,
    /// ε under the square root.
    pub eps: f32,
}

impl RmsProp {
    /// One element: updates the statistic `g` and returns the parameter's new value.
    #[inline(always)]
    fn step(self, theta: f32, g: &mut f32, grad: f32, lr: f32) -> f32 {
        *g = self.alpha * *g + (1.0 - self.alpha) * grad * grad;
        theta - lr * grad / (*g + self.eps).sqrt()
    }
}

/// One learner's share of an update's optimiser state.
pub enum Statistics<'a> {
    /// The squared-gradient averages that live in [`SharedParams`] (the paper's shared
    /// RMSProp).
    Shared,
    /// This thread's own averages, one per parameter.
    Own(&'a mut [f32]),
}

/// A model's parameters, flat, shared by threads.
pub struct SharedParams {
    values: Vec<AtomicU32>,
    /// Squared-gradient averages shared by every thread, when configured.
    stats: Option<Vec<AtomicU32>>,
    /// Element count of each parameter tensor, in [`Params::visit`] order.
    sizes: Vec<usize>,
    mode: UpdateMode,
    lock: Mutex<()>,
    /// Updates applied so far.
    version: AtomicU64,
}

fn atomics(values: impl IntoIterator<Item = f32>) -> Vec<AtomicU32> {
    values
        .into_iter()
        .map(|v| AtomicU32::new(v.to_bits()))
        .collect()
}

fn load(values: &[AtomicU32]) -> Vec<f32> {
    values
        .iter()
        .map(|v| f32::from_bits(v.load(Relaxed)))
        .collect()
}

/// Every parameter of `model`, flat, in [`Params::visit`] order.
pub fn flatten<P: Params>(model: &P) -> Vec<f32> {
    let mut out = Vec::with_capacity(model.num_params());
    model.visit(&mut |_, t| out.extend(t.as_vec()));
    out
}

/// Writes `flat` (as [`flatten`] lays it out) into `model`'s parameters.
pub fn unflatten<P: Params>(model: &mut P, flat: &[f32]) {
    assert_eq!(flat.len(), model.num_params(), "one value per parameter");
    let mut at = 0;
    model.visit_mut(&mut |_, t| {
        let n = t.shape().0 * t.shape().1;
        t.copy_from(&flat[at..at + n]);
        at += n;
    });
}

impl SharedParams {
    /// `model`'s current parameters, shared; squared-gradient statistics (zero) are kept
    /// here when `shared_statistics`.
    pub fn new<P: Params>(model: &P, mode: UpdateMode, shared_statistics: bool) -> Self {
        let flat = flatten(model);
        let mut sizes = Vec::new();
        model.visit(&mut |_, t| sizes.push(t.shape().0 * t.shape().1));
        SharedParams {
            stats: shared_statistics.then(|| atomics(std::iter::repeat_n(0.0, flat.len()))),
            values: atomics(flat),
            sizes,
            mode,
            lock: Mutex::new(()),
            version: AtomicU64::new(0),
        }
    }

    /// Number of scalar parameters.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// No parameters.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The update mode.
    pub fn mode(&self) -> UpdateMode {
        self.mode
    }

    /// Whether the RMSProp statistics are shared (else each thread keeps its own).
    pub fn shares_statistics(&self) -> bool {
        self.stats.is_some()
    }

    /// Updates applied so far (a thread's policy lag is this at its update minus this at
    /// its pull).
    pub fn version(&self) -> u64 {
        self.version.load(Relaxed)
    }

    fn guard(&self) -> Option<std::sync::MutexGuard<'_, ()>> {
        (self.mode == UpdateMode::Locked)
            .then(|| self.lock.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// Copies the shared parameters into `model` (θ' ← θ) and returns the version read.
    pub fn pull<P: Params>(&self, model: &mut P) -> u64 {
        let _guard = self.guard();
        let flat = load(&self.values);
        let version = self.version();
        drop(_guard);
        unflatten(model, &flat);
        version
    }

    /// The parameters, flat.
    pub fn values(&self) -> Vec<f32> {
        let _guard = self.guard();
        load(&self.values)
    }

    /// The shared squared-gradient averages (`None` when each thread keeps its own).
    pub fn statistics(&self) -> Option<Vec<f32>> {
        let _guard = self.guard();
        self.stats.as_deref().map(load)
    }

    /// Replaces the parameters, the update count and the shared statistics (a resume).
    pub fn restore(&self, values: &[f32], statistics: Option<&[f32]>, version: u64) {
        assert_eq!(values.len(), self.len(), "one value per parameter");
        let _guard = self.guard();
        for (a, v) in self.values.iter().zip(values) {
            a.store(v.to_bits(), Relaxed);
        }
        if let (Some(stats), Some(values)) = (&self.stats, statistics) {
            assert_eq!(values.len(), stats.len(), "one statistic per parameter");
            for (a, v) in stats.iter().zip(values) {
                a.store(v.to_bits(), Relaxed);
            }
        }
        self.version.store(version, Relaxed);
    }

    /// Applies one RMSProp step with the gradient `grad` (flat, as [`flatten`]) at learning
    /// rate `lr`, without waiting for other threads in Hogwild mode; returns the version
    /// this update made.
    pub fn apply(&self, grad: &[f32], statistics: Statistics<'_>, rms: RmsProp, lr: f32) -> u64 {
        assert_eq!(grad.len(), self.len(), "one gradient per parameter");
        let _guard = self.guard();
        match (statistics, &self.stats) {
            (Statistics::Shared, Some(stats)) => {
                for ((value, stat), &d) in self.values.iter().zip(stats).zip(grad) {
                    let mut g = f32::from_bits(stat.load(Relaxed));
                    let theta = rms.step(f32::from_bits(value.load(Relaxed)), &mut g, d, lr);
                    stat.store(g.to_bits(), Relaxed);
                    value.store(theta.to_bits(), Relaxed);
                }
            }
            (Statistics::Own(own), _) => {
                assert_eq!(own.len(), self.len(), "one statistic per parameter");
                for ((value, g), &d) in self.values.iter().zip(own.iter_mut()).zip(grad) {
                    let theta = rms.step(f32::from_bits(value.load(Relaxed)), g, d, lr);
                    value.store(theta.to_bits(), Relaxed);
                }
            }
            (Statistics::Shared, None) => {
                panic!("shared RMSProp statistics asked of parameters built without them")
            }
        }
        self.version.fetch_add(1, Relaxed) + 1
    }

    /// Element counts of the parameter tensors, in [`Params::visit`] order.
    pub fn sizes(&self) -> &[usize] {
        &self.sizes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use meowlab_nn::nn::{Activation, Dev, Mlp};
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    fn mlp() -> Mlp {
        let dev = Dev::default();
        Mlp::new(
            &dev,
            &[3, 5, 2],
            Activation::Tanh,
            &mut ChaCha8Rng::seed_from_u64(1),
        )
    }

    const RMS: RmsProp = RmsProp {
        alpha: 0.99,
        eps: 0.1,
    };

    #[test]
    fn pull_and_flatten_round_trip() {
        let model = mlp();
        let shared = SharedParams::new(&model, UpdateMode::Hogwild, true);
        assert_eq!(shared.len(), 3 * 5 + 5 + 5 * 2 + 2);
        assert_eq!(shared.sizes(), &[15, 5, 10, 2]);
        let mut other = mlp();
        unflatten(&mut other, &vec![0.0; shared.len()]);
        assert_eq!(shared.pull(&mut other), 0);
        assert_eq!(flatten(&other), flatten(&model));
    }

    #[test]
    fn the_update_is_the_papers_rmsprop_with_shared_or_own_statistics() {
        let model = mlp();
        let theta0 = flatten(&model);
        let n = theta0.len();
        let grad_a: Vec<f32> = (0..n).map(|i| (i as f32 - 10.0) * 0.1).collect();
        let grad_b: Vec<f32> = (0..n).map(|i| 0.5 - (i % 3) as f32).collect();
        let (lr, alpha, eps) = (0.01f32, 0.99f32, 0.1f32);

        // Shared: thread B's step divides by statistics that A's gradient already moved.
        let shared = SharedParams::new(&model, UpdateMode::Locked, true);
        assert_eq!(shared.apply(&grad_a, Statistics::Shared, RMS, lr), 1);
        assert_eq!(shared.apply(&grad_b, Statistics::Shared, RMS, lr), 2);
        let stats = shared.statistics().unwrap();
        let values = shared.values();
        for i in 0..n {
            let g1 = (1.0 - alpha) * grad_a[i] * grad_a[i];
            let t1 = theta0[i] - lr * grad_a[i] / (g1 + eps).sqrt();
            let g2 = alpha * g1 + (1.0 - alpha) * grad_b[i] * grad_b[i];
            let t2 = t1 - lr * grad_b[i] / (g2 + eps).sqrt();
            assert_eq!(stats[i], g2, "statistic {i}");
            assert_eq!(values[i], t2, "parameter {i}");
        }

        // Own: each thread's statistics saw only its own gradients.
        let own = SharedParams::new(&model, UpdateMode::Hogwild, false);
        assert!(own.statistics().is_none());
        let (mut sa, mut sb) = (vec![0.0; n], vec![0.0; n]);
        own.apply(&grad_a, Statistics::Own(&mut sa), RMS, lr);
        own.apply(&grad_b, Statistics::Own(&mut sb), RMS, lr);
        let values = own.values();
        for i in 0..n {
            let ga = (1.0 - alpha) * grad_a[i] * grad_a[i];
            let gb = (1.0 - alpha) * grad_b[i] * grad_b[i];
            assert_eq!(sa[i], ga);
            assert_eq!(sb[i], gb);
            let t1 = theta0[i] - lr * grad_a[i] / (ga + eps).sqrt();
            assert_eq!(values[i], t1 - lr * grad_b[i] / (gb + eps).sqrt());
        }
    }

    #[test]
    fn locked_updates_from_many_threads_are_all_applied() {
        // Each thread applies a constant gradient with its own statistics, so the sum of
        // its steps does not depend on how the threads interleave: with the lock no step
        // may be lost.
        let model = mlp();
        let theta0 = flatten(&model);
        let n = theta0.len();
        let shared = SharedParams::new(&model, UpdateMode::Locked, false);
        let (threads, updates, lr) = (4, 500, 1e-3f32);
        std::thread::scope(|s| {
            for t in 0..threads {
                let shared = &shared;
                s.spawn(move || {
                    let grad = vec![1.0 + t as f32; n];
                    let mut own = vec![0.0; n];
                    for _ in 0..updates {
                        shared.apply(&grad, Statistics::Own(&mut own), RMS, lr);
                    }
                });
            }
        });
        assert_eq!(shared.version(), (threads * updates) as u64);
        // The expected total displacement, one thread's steps at a time.
        let mut total = 0.0f64;
        for t in 0..threads {
            let d = 1.0 + t as f32;
            let mut g = 0.0f32;
            for _ in 0..updates {
                g = RMS.alpha * g + (1.0 - RMS.alpha) * d * d;
                total += f64::from(lr * d / (g + RMS.eps).sqrt());
            }
        }
        for (now, before) in shared.values().iter().zip(&theta0) {
            let moved = f64::from(before - now);
            assert!(
                (moved - total).abs() < 1e-3 * total,
                "moved {moved}, expected {total}"
            );
        }
    }

    #[test]
    fn restore_replaces_values_statistics_and_version() {
        let model = mlp();
        let shared = SharedParams::new(&model, UpdateMode::Hogwild, true);
        let n = shared.len();
        let values: Vec<f32> = (0..n).map(|i| i as f32).collect();
        let stats: Vec<f32> = (0..n).map(|i| 0.5 * i as f32).collect();
        shared.restore(&values, Some(&stats), 42);
        assert_eq!(shared.values(), values);
        assert_eq!(shared.statistics().unwrap(), stats);
        assert_eq!(shared.version(), 42);
    }
}
