//! The learned value baseline of self-play: V(s) predicting the seat's return (its
//! final-rank reward plus any per-hand shaping still to come) from what it sees.
//!
//! Two inputs meet in one hidden layer: the 34×366 tile planes through a 1×366
//! convolution (each tile kind's whole row, as the `small` policy preset reads them),
//! and the table state decoded from the planes ([`Planes::table_state`]) as plain
//! numbers — scores relative to one's own, one's rank, the round, honba and deposits.
//! The planes write scores as 11-bit binary numbers of absolute seats, which a small
//! network turns into a rank only with many samples; a value of the final rank needs
//! exactly that, so the critic is given it (Mortal's GRP and Suphx's global reward
//! predictor read the same numbers). No BatchNorm or dropout: acting, estimating and
//! training see one function.

use std::path::Path;

use dfdx::prelude::*;
use meowlab_nn::conv::{Conv2d, Image};
use meowlab_nn::nn::{
    load_params, save_params, Activation, Dev, Matrix, Mlp, NnError, Optimizer, OptimizerConfig,
    Params, Taped,
};
use meowlab_sanma::planes::Planes;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::model::{COLS, ROWS};
use crate::sl::unpack_batch;

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
    /// Also read the decoded table state (scores, rank, round); off: the planes alone.
    pub table_features: bool,
}

impl Default for CriticConfig {
    fn default() -> Self {
        CriticConfig {
            filters: 32,
            hidden: 128,
            lr: 1e-4,
            table_features: true,
        }
    }
}

/// Numbers in [`table_features`].
pub const TABLE_FEATURES: usize = 19;

/// The table state of packed planes as the critic reads it: own, next and previous
/// seat's score (relative to 35,000, per 10,000), own minus each other, own rank
/// (one-hot), the round (one-hot, East 1 … West 3), honba and deposits (per 5), dealer.
pub fn table_features(packed: &[u8]) -> [f32; TABLE_FEATURES] {
    let state = Planes::from_bytes(packed)
        .map(|p| p.table_state())
        .unwrap_or(meowlab_sanma::planes::TableState {
            scores: [35_000; 3],
            round: 0,
            honba: 0,
            deposits: 0,
            seat: 0,
        });
    let seat = state.seat as usize;
    let score = |k: usize| state.scores[(seat + k) % 3] as f32;
    let mut f = [0.0f32; TABLE_FEATURES];
    for (k, x) in f.iter_mut().take(3).enumerate() {
        *x = (score(k) - 35_000.0) / 10_000.0;
    }
    f[3] = (score(0) - score(1)) / 10_000.0;
    f[4] = (score(0) - score(2)) / 10_000.0;
    let above = (1..3).filter(|&k| score(k) > score(0)).count();
    f[5 + above] = 1.0;
    f[8 + (state.round as usize).min(8)] = 1.0;
    f[17] = state.honba.min(15) as f32 / 5.0 + state.deposits.min(15) as f32 / 5.0;
    f[18] = f32::from(u8::from(state.round % 3 == state.seat));
    f
}

/// V(s): the weights alone (what actors need to estimate values).
#[derive(Clone, Debug)]
pub struct CriticNet {
    conv: Conv2d,
    planes_in: Mlp,
    table_in: Option<Mlp>,
    out: Mlp,
    dev: Dev,
}

/// The critic being trained: its network and optimizer.
pub struct Critic {
    /// The network.
    pub net: CriticNet,
    optimizer: Optimizer,
}

impl Params for CriticNet {
    fn visit(&self, f: &mut dyn FnMut(&str, &Matrix)) {
        self.conv.visit(&mut |n, t| f(&format!("conv.{n}"), t));
        self.planes_in
            .visit(&mut |n, t| f(&format!("planes_in.{n}"), t));
        if let Some(t_in) = &self.table_in {
            t_in.visit(&mut |n, t| f(&format!("table_in.{n}"), t));
        }
        self.out.visit(&mut |n, t| f(&format!("out.{n}"), t));
    }
    fn visit_mut(&mut self, f: &mut dyn FnMut(&str, &mut Matrix)) {
        self.conv.visit_mut(&mut |n, t| f(&format!("conv.{n}"), t));
        self.planes_in
            .visit_mut(&mut |n, t| f(&format!("planes_in.{n}"), t));
        if let Some(t_in) = &mut self.table_in {
            t_in.visit_mut(&mut |n, t| f(&format!("table_in.{n}"), t));
        }
        self.out.visit_mut(&mut |n, t| f(&format!("out.{n}"), t));
    }
}

impl CriticNet {
    /// A freshly initialised network.
    pub fn new(dev: &Dev, config: &CriticConfig, rng: &mut ChaCha8Rng) -> Self {
        let conv = Conv2d::new(dev, 1, config.filters, (1, COLS), rng);
        let dense =
            |sizes: &[usize], rng: &mut ChaCha8Rng| Mlp::new(dev, sizes, Activation::Relu, rng);
        let planes_in = dense(&[ROWS * config.filters, config.hidden], rng);
        let table_in = config
            .table_features
            .then(|| dense(&[TABLE_FEATURES, config.hidden], rng));
        let out = dense(&[config.hidden, 1], rng);
        CriticNet {
            conv,
            planes_in,
            table_in,
            out,
            dev: dev.clone(),
        }
    }

    /// The dense planes and table features of `packed[indices]`.
    fn inputs(&self, packed: &[Vec<u8>], indices: &[usize]) -> (Image, Matrix) {
        let b = indices.len();
        let planes = unpack_batch(packed, indices);
        let image = self.dev.tensor_from_vec(planes, (b, ROWS, COLS, 1));
        let table: Vec<f32> = indices
            .iter()
            .flat_map(|&i| table_features(&packed[i]))
            .collect();
        (image, self.dev.tensor_from_vec(table, (b, TABLE_FEATURES)))
    }

    fn flatten<T: Tape<f32, Dev> + Merge<T> + Default>(x: Image<T>) -> Matrix<T> {
        let (b, h, w, c) = *x.shape();
        x.relu().reshape_like(&(b, h * w * c))
    }

    /// Values of the packed planes `packed[indices]`.
    pub fn values(&self, packed: &[Vec<u8>], indices: &[usize]) -> Vec<f32> {
        if indices.is_empty() {
            return Vec::new();
        }
        let (image, table) = self.inputs(packed, indices);
        let mut hidden = self
            .planes_in
            .forward(Self::flatten(self.conv.forward(image)));
        if let Some(t_in) = &self.table_in {
            hidden = hidden + t_in.forward(table);
        }
        self.out.forward(hidden.relu()).as_vec()
    }

    /// The values with a gradient tape from the parameters.
    fn values_taped(&self, packed: &[Vec<u8>], indices: &[usize]) -> Matrix<Taped> {
        let (image, table) = self.inputs(packed, indices);
        let flat = Self::flatten(self.conv.forward_leaf(image));
        let hidden = match &self.table_in {
            Some(t_in) => {
                // the table branch joins the planes branch's tape
                let (flat, tape) = flat.split_tape();
                let (from_table, tape) = t_in.forward(table.put_tape(tape)).split_tape();
                self.planes_in.forward(flat.put_tape(tape)) + from_table
            }
            None => self.planes_in.forward(flat),
        };
        self.out.forward(hidden.relu())
    }

    /// Writes the weights into `dir/critic.safetensors`.
    pub fn save(&self, dir: &Path) -> Result<(), NnError> {
        save_params(self, &dir.join("critic.safetensors"))
    }

    /// Reads what [`CriticNet::save`] wrote (the same config).
    pub fn load(&mut self, dir: &Path) -> Result<(), NnError> {
        load_params(self, &dir.join("critic.safetensors"))
    }
}

impl Critic {
    /// A freshly initialised critic.
    pub fn new(dev: &Dev, config: &CriticConfig, rng: &mut ChaCha8Rng) -> Self {
        let net = CriticNet::new(dev, config, rng);
        let optimizer = Optimizer::new(&net, OptimizerConfig::adam(config.lr));
        Critic { net, optimizer }
    }

    /// Values of the packed planes `packed[indices]`.
    pub fn values(&self, packed: &[Vec<u8>], indices: &[usize]) -> Vec<f32> {
        self.net.values(packed, indices)
    }

    /// One Adam step on ½·mean((V − target)²) over `packed[indices]`; returns the loss
    /// before the step.
    pub fn train_batch(&mut self, packed: &[Vec<u8>], indices: &[usize], targets: &[f32]) -> f64 {
        let v = self.net.values_taped(packed, indices);
        let target: Matrix = self
            .net
            .dev
            .tensor_from_vec(targets.to_vec(), (targets.len(), 1));
        let loss = (v - target).square().mean::<(), _>() * 0.5;
        let value = f64::from(loss.array());
        let mut grads = loss.backward();
        self.optimizer.update(&mut self.net, &mut grads);
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

    /// The critic learns a value that depends on one plane bit (planes alone) or on the
    /// score lead (table features), and saves/loads exactly.
    #[test]
    fn critic_fits_values_of_the_planes_and_the_scores_and_round_trips() {
        let dev = Dev::default();
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        for table_features in [false, true] {
            let config = CriticConfig {
                table_features,
                lr: 3e-4,
                ..CriticConfig::default()
            };
            let mut critic = Critic::new(&dev, &config, &mut rng);
            // seat 0 sees itself as East in E1; its score set in the score columns
            let batch = |rng: &mut ChaCha8Rng| {
                let mut packed = Vec::new();
                let mut targets = Vec::new();
                for i in 0..16 {
                    let mut p = Planes::new();
                    for _ in 0..300 {
                        p.set(rng.gen_range(0..ROWS), rng.gen_range(0..99), true);
                    }
                    p.set(27, 155, true);
                    let lead = i % 2 == 0;
                    let target = if table_features {
                        // own score 45,000 (leads) or 25,000, others 35,000
                        let hundreds: u32 = if lead { 450 } else { 250 };
                        for (j, seat_score) in [hundreds, 350, 350].iter().enumerate() {
                            for b in 0..11 {
                                if seat_score >> (10 - b) & 1 == 1 {
                                    for r in 0..ROWS {
                                        p.set(r, 99 + 11 * j + b, true);
                                    }
                                }
                            }
                        }
                        if lead {
                            1.0
                        } else {
                            -1.0
                        }
                    } else {
                        p.set(5, 7, lead);
                        if lead {
                            1.0
                        } else {
                            -1.0
                        }
                    };
                    packed.push(p.to_bytes());
                    targets.push(target);
                }
                (packed, targets)
            };
            let all: Vec<usize> = (0..16).collect();
            let (test, test_targets) = batch(&mut rng);
            let mse = |c: &Critic| {
                let v = c.values(&test, &all);
                v.iter()
                    .zip(&test_targets)
                    .map(|(a, b)| (a - b).powi(2))
                    .sum::<f32>()
                    / 16.0
            };
            let before = mse(&critic);
            for _ in 0..400 {
                let (p, t) = batch(&mut rng);
                critic.train_batch(&p, &all, &t);
            }
            let after = mse(&critic);
            assert!(
                after < 0.1 && after < before / 5.0,
                "{table_features}: {before} -> {after}"
            );
            let dir = std::env::temp_dir().join(format!(
                "meowlab-critic-{}-{table_features}",
                std::process::id()
            ));
            std::fs::create_dir_all(&dir).unwrap();
            critic.save(&dir).unwrap();
            let mut other = Critic::new(&dev, &config, &mut rng);
            other.load(&dir).unwrap();
            assert_eq!(other.values(&test, &all), critic.values(&test, &all));
            std::fs::remove_dir_all(&dir).unwrap();
        }
    }

    #[test]
    fn table_features_read_scores_from_the_seats_point_of_view() {
        use meowlab_sanma::{Game, Rules};
        let game = Game::new(Rules::default(), 4);
        let seat = game.deciding().next().unwrap();
        let p = meowlab_sanma::planes::encode(&game.view(seat));
        let f = table_features(&p.to_bytes());
        assert_eq!(&f[..5], &[0.0; 5], "equal scores at the start");
        assert_eq!(f[5], 1.0, "no one above: rank 1 (ties)");
        assert_eq!(f[8], 1.0, "East 1");
        assert_eq!(f[18], 1.0, "the first decision is the dealer's");
    }
}
