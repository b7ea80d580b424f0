//! The learned value baseline of self-play: V(s) from the same 34×366 tile planes the
//! policies read, predicting the seat's return (its final-rank reward plus any per-hand
//! shaping still to come). A 1×366 convolution reads each tile kind's whole row (as the
//! `small` policy preset does), two dense layers map the 34 rows to one value. It has no
//! BatchNorm or dropout, so acting, estimating and training see one function.

use std::path::Path;

use dfdx::prelude::*;
use meowlab_nn::conv::{Conv2d, Image};
use meowlab_nn::nn::{
    load_params, save_params, Activation, Dev, Matrix, Mlp, NnError, Optimizer, OptimizerConfig,
    Params,
};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::model::{COLS, ROWS};
use crate::sl::PLANE_FLOATS;

/// The critic's size.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CriticConfig {
    /// Filters of the 1×366 convolution.
    pub filters: usize,
    /// Units of the hidden dense layer.
    pub hidden: usize,
    /// Adam learning rate.
    pub lr: f64,
}

impl Default for CriticConfig {
    fn default() -> Self {
        CriticConfig {
            filters: 32,
            hidden: 128,
            lr: 3e-4,
        }
    }
}

/// V(s) over the tile planes: the weights alone (what actors need to estimate values).
#[derive(Clone, Debug)]
pub struct CriticNet {
    conv: Conv2d,
    head: Mlp,
    dev: Dev,
}

/// The critic being trained: its network and optimizer.
pub struct Critic {
    /// The network.
    pub net: CriticNet,
    optimizer: Optimizer,
}

/// The parameters alone (what is saved and what the optimizer sees).
struct Weights<'a>(&'a Conv2d, &'a Mlp);
struct WeightsMut<'a>(&'a mut Conv2d, &'a mut Mlp);

impl Params for Weights<'_> {
    fn visit(&self, f: &mut dyn FnMut(&str, &Matrix)) {
        self.0.visit(&mut |n, t| f(&format!("conv.{n}"), t));
        self.1.visit(&mut |n, t| f(&format!("head.{n}"), t));
    }
    fn visit_mut(&mut self, _f: &mut dyn FnMut(&str, &mut Matrix)) {
        unreachable!("read-only view")
    }
}

impl Params for WeightsMut<'_> {
    fn visit(&self, f: &mut dyn FnMut(&str, &Matrix)) {
        Weights(self.0, self.1).visit(f)
    }
    fn visit_mut(&mut self, f: &mut dyn FnMut(&str, &mut Matrix)) {
        self.0.visit_mut(&mut |n, t| f(&format!("conv.{n}"), t));
        self.1.visit_mut(&mut |n, t| f(&format!("head.{n}"), t));
    }
}

impl CriticNet {
    /// A freshly initialised network.
    pub fn new(dev: &Dev, config: &CriticConfig, rng: &mut ChaCha8Rng) -> Self {
        let conv = Conv2d::new(dev, 1, config.filters, (1, COLS), rng);
        let head = Mlp::new(
            dev,
            &[ROWS * config.filters, config.hidden, 1],
            Activation::Relu,
            rng,
        );
        CriticNet {
            conv,
            head,
            dev: dev.clone(),
        }
    }

    fn image(&self, planes: &[f32]) -> Image {
        let b = planes.len() / PLANE_FLOATS;
        self.dev
            .tensor_from_vec(planes.to_vec(), (b, ROWS, COLS, 1))
    }

    fn flatten<T: Tape<f32, Dev> + Merge<T> + Default>(x: Image<T>) -> Matrix<T> {
        let (b, h, w, c) = *x.shape();
        x.relu().reshape_like(&(b, h * w * c))
    }

    /// Values of a batch of dense planes (`B × 34 × 366` floats).
    pub fn values(&self, planes: &[f32]) -> Vec<f32> {
        if planes.is_empty() {
            return Vec::new();
        }
        let x = self.conv.forward(self.image(planes));
        self.head.forward(Self::flatten(x)).as_vec()
    }

    /// Writes the weights into `dir/critic.safetensors`.
    pub fn save(&self, dir: &Path) -> Result<(), NnError> {
        save_params(
            &Weights(&self.conv, &self.head),
            &dir.join("critic.safetensors"),
        )
    }

    /// Reads what [`CriticNet::save`] wrote (the same config).
    pub fn load(&mut self, dir: &Path) -> Result<(), NnError> {
        load_params(
            &mut WeightsMut(&mut self.conv, &mut self.head),
            &dir.join("critic.safetensors"),
        )
    }
}

impl Critic {
    /// A freshly initialised critic.
    pub fn new(dev: &Dev, config: &CriticConfig, rng: &mut ChaCha8Rng) -> Self {
        let net = CriticNet::new(dev, config, rng);
        let optimizer = Optimizer::new(
            &Weights(&net.conv, &net.head),
            OptimizerConfig::adam(config.lr),
        );
        Critic { net, optimizer }
    }

    /// Values of a batch of dense planes.
    pub fn values(&self, planes: &[f32]) -> Vec<f32> {
        self.net.values(planes)
    }

    /// One Adam step on ½·mean((V − target)²); returns the loss before the step.
    pub fn train_batch(&mut self, planes: &[f32], targets: &[f32]) -> f64 {
        let net = &mut self.net;
        let x = net.conv.forward_leaf(net.image(planes));
        let v = net.head.forward(CriticNet::flatten(x));
        let target: Matrix = net
            .dev
            .tensor_from_vec(targets.to_vec(), (targets.len(), 1));
        let loss = (v - target).square().mean::<(), _>() * 0.5;
        let value = f64::from(loss.array());
        let mut grads = loss.backward();
        self.optimizer
            .update(&mut WeightsMut(&mut net.conv, &mut net.head), &mut grads);
        value
    }

    /// Writes the weights (`critic.safetensors`) and the optimizer (`critic-adam.safetensors`).
    pub fn save(&self, dir: &Path) -> Result<(), NnError> {
        self.net.save(dir)?;
        self.optimizer.save(&dir.join("critic-adam.safetensors"))
    }

    /// Reads what [`Critic::save`] wrote (the same config).
    pub fn load(&mut self, dir: &Path) -> Result<(), NnError> {
        self.net.load(dir)?;
        self.optimizer.load(&dir.join("critic-adam.safetensors"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    /// The critic learns a value that depends on one plane bit, and saves/loads exactly.
    #[test]
    fn critic_fits_a_value_of_the_planes_and_round_trips() {
        let dev = Dev::default();
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let mut critic = Critic::new(&dev, &CriticConfig::default(), &mut rng);
        let mut batch = |rng: &mut ChaCha8Rng| {
            let mut planes = vec![0.0f32; 16 * PLANE_FLOATS];
            let mut targets = Vec::new();
            for (i, p) in planes.chunks_exact_mut(PLANE_FLOATS).enumerate() {
                for x in p.iter_mut() {
                    *x = f32::from(rng.gen_bool(0.05));
                }
                let on = i % 2 == 0;
                p[5 * COLS + 7] = f32::from(on);
                targets.push(if on { 1.0 } else { -1.0 });
            }
            (planes, targets)
        };
        let (test, test_targets) = batch(&mut rng);
        let mse = |c: &Critic| {
            let v = c.values(&test);
            v.iter()
                .zip(&test_targets)
                .map(|(a, b)| (a - b).powi(2))
                .sum::<f32>()
                / 16.0
        };
        let before = mse(&critic);
        for _ in 0..150 {
            let (p, t) = batch(&mut rng);
            critic.train_batch(&p, &t);
        }
        let after = mse(&critic);
        assert!(after < 0.1 && after < before / 5.0, "{before} → {after}");
        let dir = std::env::temp_dir().join(format!("meowlab-critic-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        critic.save(&dir).unwrap();
        let mut other = Critic::new(&dev, &CriticConfig::default(), &mut rng);
        other.load(&dir).unwrap();
        assert_eq!(other.values(&test), critic.values(&test));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
