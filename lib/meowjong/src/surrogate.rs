//! The learned on-manifold characteristic (FastSVERL's surrogate; Frye et al. 2020,
//! "Shapley explainability on the data manifold"): a network that sees a logged state
//! with a random coalition of players hidden and predicts the explained model's policy at
//! the full state. Trained with the soft cross-entropy against that policy, its minimiser
//! is E[π(X) | X_C = x_C] — on-manifold conditioning that generalises across states,
//! where exact matching over a few thousand logged states jumps from the mean to f(x)
//! as soon as a coalition identifies the state.
//!
//! Architecture: the input is two channels per plane cell (the cell's bit where known,
//! 0 where hidden; and whether it is known), a 1×366 convolution with no nonlinearity
//! (each tile kind's row to a few features, shared by all rows), a dense layer, ReLU,
//! hidden layers and the 34 policy logits. Everything before the first ReLU is linear in
//! the input, so a state's first hidden pre-activation is a sum of one vector per player:
//! [`Surrogate::prepare`] computes those once per explained state, and every coalition
//! after that costs one sum and the layers above it ([`Prepared::policies`]) — thousands
//! of coalitions per decision in milliseconds.

use std::path::{Path, PathBuf};

use dfdx::prelude::*;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use meowlab_explain::sanma::{PlanePlayers, PlayerSet};
use meowlab_explain::{Coalition, ExplainProgress};
use meowlab_nn::conv::{load_state, save_state, Buffers, Conv2d, Image};
use meowlab_nn::nn::{to_vec, Dense, Dev, Matrix, NnError, Optimizer, OptimizerConfig, Params};
use meowlab_sanma::planes::{Planes, COLS, ENCODER_VERSION, ROWS};

/// Policy classes (tile kinds).
const CLASSES: usize = ROWS;
/// Input floats per state: two channels per cell.
const INPUT: usize = ROWS * COLS * 2;

/// Why a surrogate could not be trained or read.
#[derive(Debug, thiserror::Error)]
pub enum SurrogateError {
    /// Reading or writing its files.
    #[error(transparent)]
    Nn(#[from] NnError),
    /// Inputs that do not fit together, or a bad setting.
    #[error("surrogate: {0}")]
    Config(String),
}

/// How a surrogate is trained.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SurrogateConfig {
    /// The player sets whose coalitions it learns to condition on; each training sample
    /// draws one set, then a coalition size uniformly from 0..=n, then that many players,
    /// so every size of every set is represented. A surrogate serves the sets it was
    /// trained for.
    pub player_sets: Vec<String>,
    /// Features per tile kind after the 1×366 convolution.
    pub row_features: usize,
    /// Widths of the hidden layers (ReLU after each).
    pub hidden: Vec<usize>,
    /// Width of the per-tile head's hidden layer.
    pub row_hidden: usize,
    /// Most passes over the training states (each with fresh coalitions).
    pub epochs: usize,
    /// Stop after this many epochs without a lower held-out loss, keeping the best
    /// epoch's weights: on a small run a surrogate soon memorises which hand a
    /// coalition identifies (the exact-matching failure), which held-out games expose.
    pub patience: usize,
    /// Samples per Adam step.
    pub batch_size: usize,
    /// Adam learning rate.
    pub lr: f64,
    /// Initialisation, coalition and shuffling seed.
    pub seed: u64,
}

impl Default for SurrogateConfig {
    fn default() -> Self {
        SurrogateConfig {
            player_sets: PlayerSet::ALL
                .iter()
                .map(|p| p.name().to_string())
                .collect(),
            row_features: 16,
            hidden: vec![512, 256],
            row_hidden: 32,
            epochs: 30,
            patience: 3,
            batch_size: 128,
            lr: 1e-3,
            seed: 0,
        }
    }
}

impl SurrogateConfig {
    fn check(&self) -> Result<Vec<PlayerSet>, SurrogateError> {
        let sets = self
            .player_sets
            .iter()
            .map(|s| s.parse::<PlayerSet>().map_err(SurrogateError::Config))
            .collect::<Result<Vec<_>, _>>()?;
        let bad = sets.is_empty()
            || self.row_features == 0
            || self.hidden.is_empty()
            || self.hidden.contains(&0)
            || self.row_hidden == 0
            || self.epochs == 0
            || self.patience == 0
            || self.batch_size == 0
            || !(self.lr.is_finite() && self.lr > 0.0);
        if bad {
            return Err(SurrogateError::Config(format!(
                "player sets, row features, hidden widths, epochs, batch size and learning \
                 rate must be non-empty and positive: {self:?}"
            )));
        }
        Ok(sets)
    }
}

/// What a saved surrogate is and how well it fits (its `surrogate.json`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SurrogateCard {
    /// Tile-plane layout it reads.
    pub encoder: String,
    /// How it was trained.
    pub config: SurrogateConfig,
    /// What it explains: the model's file and a hash of its weights (a retrained model
    /// needs a new surrogate), and whether the policy is over legal tiles only.
    pub model: ModelFingerprint,
    /// Where its states came from (the run directory's name).
    pub run: String,
    /// States it was trained on, and held out for validation (by game).
    pub train_states: usize,
    /// Held-out states.
    pub val_states: usize,
    /// Epochs trained until the kept (best held-out) weights.
    pub epochs: usize,
    /// Mean KL(π(x) ‖ surrogate) on held-out states under random coalitions: the part
    /// of the loss the surrogate could still remove (its floor is the conditional
    /// spread, not 0).
    pub val_kl: f64,
    /// Mean total-variation distance between v(F) and π(x) on held-out states: with
    /// nothing hidden the surrogate must give back the model (ideally 0).
    pub full_gap: f64,
    /// Total-variation distance between v(∅) and the mean policy over the training
    /// states: with everything hidden it must give their average (ideally 0).
    pub empty_gap: f64,
    /// Training time, seconds.
    pub train_seconds: f64,
}

/// Which model a surrogate explains.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelFingerprint {
    /// The model's weights file as given.
    pub path: String,
    /// FNV-1a 64 of the weights file.
    pub hash: String,
    /// The policy is renormalised over the legal discards (as the agent plays).
    pub legal_only: bool,
}

impl ModelFingerprint {
    /// The fingerprint of the model whose weights are `weights` (a `.safetensors` file).
    pub fn of(weights: &Path, legal_only: bool) -> Result<Self, SurrogateError> {
        let bytes = std::fs::read(weights).map_err(|source| NnError::Io {
            path: weights.display().to_string(),
            source,
        })?;
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for b in bytes {
            hash = (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        Ok(ModelFingerprint {
            path: weights.display().to_string(),
            hash: format!("{hash:016x}"),
            legal_only,
        })
    }
}

/// The surrogate network.
#[derive(Clone, Debug)]
struct SurrogateNet {
    rows: Conv2d,
    layers: Vec<Dense>,
    /// The per-tile head: one logit per row from that row's features (shared weights),
    /// added to the dense path's logits. Discard rules are mostly "the tile whose row
    /// has the most of X", which a softmax over per-row scores expresses directly.
    row_hidden: Dense,
    row_out: Dense,
}

impl SurrogateNet {
    fn new(dev: &Dev, config: &SurrogateConfig, rng: &mut ChaCha8Rng) -> Self {
        let rows = Conv2d::new(dev, 2, config.row_features, (1, COLS), rng);
        let mut layers = Vec::new();
        let mut inputs = ROWS * config.row_features;
        for &width in config.hidden.iter().chain([&CLASSES]) {
            layers.push(Dense::new(dev, inputs, width, rng));
            inputs = width;
        }
        SurrogateNet {
            rows,
            layers,
            row_hidden: Dense::new(dev, config.row_features, config.row_hidden, rng),
            row_out: Dense::new(dev, config.row_hidden, 1, rng),
        }
    }

    /// Logits for the row features `(B, 34 · row_features)` (the convolution's output):
    /// the dense path plus the per-tile head.
    fn head<T>(&self, x: Matrix<T>) -> Matrix<T>
    where
        T: Tape<f32, Dev> + Merge<T> + Merge<NoneTape> + Default,
    {
        let (b, width) = *x.shape();
        let (x, tape) = x.split_tape();
        let dense = self.dense_path(self.layers[0].forward(x.clone().put_tape(tape)));
        let (dense, tape) = dense.split_tape();
        let per_row = self.row_path(x.put_tape(tape).reshape_like(&(b * ROWS, width / ROWS)));
        per_row.reshape_like(&(b, ROWS)) + dense
    }

    /// The dense path above the first layer's pre-activation.
    fn dense_path<T: Tape<f32, Dev> + Merge<T> + Default>(&self, first: Matrix<T>) -> Matrix<T> {
        let mut z = first;
        for layer in &self.layers[1..] {
            z = layer.forward(z.relu());
        }
        z
    }

    /// One logit per row of features `(rows, row_features)`.
    fn row_path<T: Tape<f32, Dev> + Merge<T> + Default>(&self, rows: Matrix<T>) -> Matrix<T> {
        self.row_out.forward(self.row_hidden.forward(rows).relu())
    }

    fn row_features<T: Tape<f32, Dev> + Merge<T> + Default>(&self, y: Image<T>) -> Matrix<T> {
        let (b, h, w, c) = *y.shape();
        y.reshape_like(&(b, h * w * c))
    }
}

impl Params for SurrogateNet {
    fn visit(&self, f: &mut dyn FnMut(&str, &Matrix)) {
        self.rows
            .visit(&mut |name, t| f(&format!("rows.{name}"), t));
        for (i, layer) in self.layers.iter().enumerate() {
            f(&format!("dense{i}.weight"), &layer.w);
            f(&format!("dense{i}.bias"), &layer.b);
        }
        for (name, layer) in [("row_hidden", &self.row_hidden), ("row_out", &self.row_out)] {
            f(&format!("{name}.weight"), &layer.w);
            f(&format!("{name}.bias"), &layer.b);
        }
    }

    fn visit_mut(&mut self, f: &mut dyn FnMut(&str, &mut Matrix)) {
        self.rows
            .visit_mut(&mut |name, t| f(&format!("rows.{name}"), t));
        for (i, layer) in self.layers.iter_mut().enumerate() {
            f(&format!("dense{i}.weight"), &mut layer.w);
            f(&format!("dense{i}.bias"), &mut layer.b);
        }
        let rows = [
            ("row_hidden", &mut self.row_hidden),
            ("row_out", &mut self.row_out),
        ];
        for (name, layer) in rows {
            f(&format!("{name}.weight"), &mut layer.w);
            f(&format!("{name}.bias"), &mut layer.b);
        }
    }
}

impl Buffers for SurrogateNet {
    fn visit_buffers(&self, _: &mut dyn FnMut(&str, &Matrix)) {}
    fn visit_buffers_mut(&mut self, _: &mut dyn FnMut(&str, &mut Matrix)) {}
}

/// A trained surrogate: the learned characteristic of one model on one run's states.
pub struct Surrogate {
    net: SurrogateNet,
    /// What it is and how well it fits.
    pub card: SurrogateCard,
    players: Vec<(PlayerSet, PlanePlayers)>,
    dev: Dev,
}

/// The states a surrogate learns from: logged planes, their games (held-out states are
/// whole games) and the explained model's policy at each (`states.len() × 34`).
pub struct SurrogateData<'a> {
    /// Logged states.
    pub states: &'a [Planes],
    /// Game of each state.
    pub games: &'a [u64],
    /// The model's policy at each state, 34 per state.
    pub policies: &'a [f32],
}

/// Writes state `planes` under `mask` (1 = known) as the two input channels.
fn write_input(planes: &Planes, mask: &[f32], out: &mut [f32]) {
    let mut dense = vec![0.0f32; ROWS * COLS];
    planes.write_f32(&mut dense);
    for ((cell, m), o) in dense.iter().zip(mask).zip(out.chunks_exact_mut(2)) {
        o[0] = cell * m;
        o[1] = *m;
    }
}

impl Surrogate {
    /// Trains a surrogate of `model`'s policies on `data` (held out: games whose
    /// `split_of` is not train, about a fifth), reporting training steps to
    /// `on_progress`, then measures it on the held-out states.
    pub fn fit(
        dev: &Dev,
        data: &SurrogateData,
        model: ModelFingerprint,
        run: &str,
        config: &SurrogateConfig,
        on_progress: &mut dyn FnMut(ExplainProgress),
    ) -> Result<Surrogate, SurrogateError> {
        let sets = config.check()?;
        let n = data.states.len();
        if n == 0 || data.games.len() != n || data.policies.len() != n * CLASSES {
            return Err(SurrogateError::Config(format!(
                "{n} states, {} games and {} policy values (34 per state) do not fit",
                data.games.len(),
                data.policies.len()
            )));
        }
        let start = std::time::Instant::now();
        let (train, val): (Vec<usize>, Vec<usize>) = (0..n).partition(|&i| {
            crate::dataset::split_of(data.games[i], config.seed) == crate::dataset::Split::Train
        });
        if train.is_empty() || val.is_empty() {
            return Err(SurrogateError::Config(format!(
                "{n} states from too few games: the surrogate needs games to train on and \
                 games to hold out"
            )));
        }
        let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
        let mut surrogate = Surrogate {
            net: SurrogateNet::new(dev, config, &mut rng),
            card: SurrogateCard {
                encoder: ENCODER_VERSION.into(),
                config: config.clone(),
                model,
                run: run.to_string(),
                train_states: train.len(),
                val_states: val.len(),
                epochs: 0,
                val_kl: f64::NAN,
                full_gap: f64::NAN,
                empty_gap: f64::NAN,
                train_seconds: 0.0,
            },
            players: sets.iter().map(|&s| (s, s.players())).collect(),
            dev: dev.clone(),
        };
        let mut optimizer = Optimizer::new(&surrogate.net, OptimizerConfig::adam(config.lr));
        let batch = config.batch_size;
        let steps_per_epoch = train.len().div_ceil(batch);
        let total = steps_per_epoch * config.epochs;
        let mut order = train.clone();
        let mut input = vec![0.0f32; batch * INPUT];
        let mut mask = vec![0.0f32; ROWS * COLS];
        let mut best = (f64::INFINITY, surrogate.net.clone(), 0);
        for epoch in 0..config.epochs {
            order.shuffle(&mut rng);
            for (k, chunk) in order.chunks(batch).enumerate() {
                let mut target = Vec::with_capacity(chunk.len() * CLASSES);
                for (&i, out) in chunk.iter().zip(input.chunks_exact_mut(INPUT)) {
                    surrogate.random_coalition(&mut rng, &mut mask);
                    write_input(&data.states[i], &mask, out);
                    target.extend_from_slice(&data.policies[i * CLASSES..(i + 1) * CLASSES]);
                }
                let b = chunk.len();
                let x: Image = dev.tensor_from_vec(input[..b * INPUT].to_vec(), (b, ROWS, COLS, 2));
                let y = surrogate.net.rows.forward_leaf(x);
                let logits = surrogate.net.head(surrogate.net.row_features(y));
                let target = dev.tensor_from_vec(target, (b, CLASSES));
                let loss = cross_entropy_with_logits_loss(logits, target);
                let mut grads = loss.backward();
                optimizer.update(&mut surrogate.net, &mut grads);
                on_progress(ExplainProgress::Surrogate {
                    done: epoch * steps_per_epoch + k + 1,
                    total,
                });
            }
            // the same held-out coalitions every epoch, so epochs compare
            let mut val_rng = ChaCha8Rng::seed_from_u64(config.seed ^ 0x7A1);
            surrogate.validate(data, &train, &val, &mut val_rng);
            if surrogate.card.val_kl < best.0 {
                best = (surrogate.card.val_kl, surrogate.net.clone(), epoch);
            } else if epoch - best.2 >= config.patience {
                break;
            }
        }
        surrogate.net = best.1;
        surrogate.card.epochs = best.2 + 1;
        let mut val_rng = ChaCha8Rng::seed_from_u64(config.seed ^ 0x7A1);
        surrogate.validate(data, &train, &val, &mut val_rng);
        surrogate.card.train_seconds = start.elapsed().as_secs_f64();
        Ok(surrogate)
    }

    /// Draws a player set, a coalition size uniformly in 0..=n and a coalition of that
    /// size; writes its cell mask.
    fn random_coalition(&self, rng: &mut ChaCha8Rng, mask: &mut [f32]) {
        let (_, players) = &self.players[rng.gen_range(0..self.players.len())];
        let n = players.len();
        let size = rng.gen_range(0..=n);
        let mut ids: Vec<usize> = (0..n).collect();
        let (chosen, _) = ids.partial_shuffle(rng, size);
        let coalition = chosen.iter().fold(0, |c, &p| c | (1 << p));
        players.cell_mask(coalition, mask);
    }

    /// Held-out KL under random coalitions, and the v(F) and v(∅) checks.
    fn validate(
        &mut self,
        data: &SurrogateData,
        train: &[usize],
        val: &[usize],
        rng: &mut ChaCha8Rng,
    ) {
        let (mut kl, mut full_gap) = (0.0f64, 0.0f64);
        // what v(∅) must learn: the mean policy of the states it was trained on
        let mut mean_policy = vec![0.0f64; CLASSES];
        for &i in train {
            for (m, p) in mean_policy
                .iter_mut()
                .zip(&data.policies[i * CLASSES..(i + 1) * CLASSES])
            {
                *m += f64::from(*p) / train.len() as f64;
            }
        }
        let mut mask = vec![0.0f32; ROWS * COLS];
        let ones = vec![1.0f32; ROWS * COLS];
        for chunk in val.chunks(256) {
            let (mut random, mut full) = (Vec::new(), Vec::new());
            for &i in chunk {
                let mut input = vec![0.0f32; INPUT];
                self.random_coalition(rng, &mut mask);
                write_input(&data.states[i], &mask, &mut input);
                random.extend(input.iter());
                write_input(&data.states[i], &ones, &mut input);
                full.extend(input.iter());
            }
            let (q_random, q_full) = (self.policies_of(random), self.policies_of(full));
            for (k, &i) in chunk.iter().enumerate() {
                let p = &data.policies[i * CLASSES..(i + 1) * CLASSES];
                let (qr, qf) = (
                    &q_random[k * CLASSES..(k + 1) * CLASSES],
                    &q_full[k * CLASSES..(k + 1) * CLASSES],
                );
                for c in 0..CLASSES {
                    let pc = f64::from(p[c]);
                    if pc > 0.0 {
                        kl += pc * (pc / f64::from(qr[c]).max(1e-12)).ln();
                    }
                    full_gap += 0.5 * (pc - f64::from(qf[c])).abs();
                }
            }
        }
        let m = val.len() as f64;
        let empty = self.policies_of(vec![0.0f32; INPUT]);
        self.card.val_kl = kl / m;
        self.card.full_gap = full_gap / m;
        self.card.empty_gap = (0..CLASSES)
            .map(|c| 0.5 * (mean_policy[c] - f64::from(empty[c])).abs())
            .sum();
    }

    /// Policies for a batch of two-channel inputs.
    fn policies_of(&self, input: Vec<f32>) -> Vec<f32> {
        let b = input.len() / INPUT;
        let x: Image = self.dev.tensor_from_vec(input, (b, ROWS, COLS, 2));
        let logits = self
            .net
            .head(self.net.row_features(self.net.rows.forward(x)));
        to_vec(&logits.softmax::<Axis<1>>())
    }

    /// The surrogate's policy at `planes` with the cells where `mask` is 0 hidden.
    pub fn policy(&self, planes: &Planes, mask: &[f32]) -> Vec<f32> {
        let mut input = vec![0.0f32; INPUT];
        write_input(planes, mask, &mut input);
        self.policies_of(input)
    }

    /// Whether it learned coalitions of `set`.
    pub fn serves(&self, set: PlayerSet) -> bool {
        self.players.iter().any(|(s, _)| *s == set)
    }

    /// One vector per player of `players` at state `x` (and one for what is always
    /// known): the first hidden layer's pre-activation is their sum over a coalition.
    pub fn prepare(&self, x: &Planes, players: &PlanePlayers) -> Prepared<'_> {
        let n = players.len();
        // images: what no player owns, each player alone, and nothing (the bias)
        let mut input = vec![0.0f32; (n + 2) * INPUT];
        let mut mask = vec![0.0f32; ROWS * COLS];
        let owners = players.owners();
        for (cell, owner) in owners.iter().enumerate() {
            mask[cell] = owner.is_none() as u8 as f32;
        }
        write_input(x, &mask, &mut input[..INPUT]);
        for p in 0..n {
            mask.fill(0.0);
            for cell in players.cells(p) {
                mask[cell] = 1.0;
            }
            write_input(x, &mask, &mut input[(p + 1) * INPUT..(p + 2) * INPUT]);
        }
        let images: Image = self.dev.tensor_from_vec(input, (n + 2, ROWS, COLS, 2));
        let rows = to_vec(&self.net.row_features(self.net.rows.forward(images)));
        let width = rows.len() / (n + 2);
        let bias = rows[(n + 1) * width..].to_vec();
        let mut z = rows[..(n + 1) * width].to_vec();
        for player in z[width..].chunks_exact_mut(width) {
            player.iter_mut().zip(&bias).for_each(|(v, b)| *v -= b);
        }
        // through the first dense layer without its bias (added once, to the base)
        let first = &self.net.layers[0];
        let rows: Matrix = self.dev.tensor_from_vec(z.clone(), (n + 1, width));
        let mut parts = to_vec(&rows.matmul(first.w.clone()));
        let hidden = parts.len() / (n + 1);
        for (v, b) in parts[..hidden].iter_mut().zip(to_vec(&first.b)) {
            *v += b;
        }
        Prepared {
            surrogate: self,
            hidden,
            parts,
            width,
            rows: z,
        }
    }

    /// Writes `<dir>/surrogate.safetensors` and `<dir>/surrogate.json`.
    pub fn save(&self, dir: &Path) -> Result<(), SurrogateError> {
        std::fs::create_dir_all(dir).map_err(|source| NnError::Io {
            path: dir.display().to_string(),
            source,
        })?;
        save_state(&self.net, &dir.join("surrogate.safetensors"))?;
        let json = serde_json::to_string_pretty(&self.card).expect("card serialises");
        let path = dir.join("surrogate.json");
        std::fs::write(&path, json).map_err(|source| NnError::Io {
            path: path.display().to_string(),
            source,
        })?;
        Ok(())
    }

    /// Reads a surrogate written by [`Surrogate::save`].
    pub fn load(dev: &Dev, dir: &Path) -> Result<Surrogate, SurrogateError> {
        let path = dir.join("surrogate.json");
        let text = std::fs::read_to_string(&path).map_err(|source| NnError::Io {
            path: path.display().to_string(),
            source,
        })?;
        let format = |message: String| NnError::Format {
            path: path.display().to_string(),
            message,
        };
        let card: SurrogateCard = serde_json::from_str(&text).map_err(|e| format(e.to_string()))?;
        if card.encoder != ENCODER_VERSION {
            return Err(format(format!(
                "trained on observation layout {:?}, this build encodes {ENCODER_VERSION:?}",
                card.encoder
            ))
            .into());
        }
        let sets = card.config.check().map_err(|e| format(e.to_string()))?;
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let mut net = SurrogateNet::new(dev, &card.config, &mut rng);
        load_state(&mut net, &dir.join("surrogate.safetensors"))?;
        Ok(Surrogate {
            net,
            card,
            players: sets.iter().map(|&s| (s, s.players())).collect(),
            dev: dev.clone(),
        })
    }

    /// Where the surrogate of the model at `model_dir` for the run named `run` lives:
    /// beside the model, so every explanation of that model on that run reuses it.
    pub fn dir_for(model_dir: &Path, run: &str, legal_only: bool) -> PathBuf {
        let policy = if legal_only { "legal" } else { "raw" };
        model_dir.join("surrogates").join(format!("{run}-{policy}"))
    }
}

/// One state ready for coalition queries ([`Surrogate::prepare`]).
pub struct Prepared<'a> {
    surrogate: &'a Surrogate,
    hidden: usize,
    /// The first layer's pre-activation, row 0: the base (bias and unowned cells);
    /// row 1 + p: player p's part.
    parts: Vec<f32>,
    /// Row features per state.
    width: usize,
    /// The row features the same way (base, then one part per player).
    rows: Vec<f32>,
}

impl Prepared<'_> {
    /// The surrogate's policy (34 per coalition) for each coalition: v(C) for every
    /// explained quantity at once.
    pub fn policies(&self, coalitions: &[Coalition]) -> Vec<f32> {
        let (h, w, b) = (self.hidden, self.width, coalitions.len());
        let (first, rows) = (
            sums(&self.parts, h, coalitions),
            sums(&self.rows, w, coalitions),
        );
        let net = &self.surrogate.net;
        let dev = &self.surrogate.dev;
        let dense = net.dense_path(dev.tensor_from_vec(first, (b, h)));
        let per_row = net.row_path(dev.tensor_from_vec(rows, (b * ROWS, w / ROWS)));
        to_vec(&(per_row.reshape_like(&(b, ROWS)) + dense).softmax::<Axis<1>>())
    }
}

/// For each coalition, row 0 of `parts` (`width` wide) plus the rows of its players.
fn sums(parts: &[f32], width: usize, coalitions: &[Coalition]) -> Vec<f32> {
    let players = parts.len() / width - 1;
    let mut out = vec![0.0f32; coalitions.len() * width];
    for (&c, out) in coalitions.iter().zip(out.chunks_exact_mut(width)) {
        out.copy_from_slice(&parts[..width]);
        for p in (0..players).filter(|p| c & (1 << p) != 0) {
            let part = &parts[(p + 1) * width..(p + 2) * width];
            out.iter_mut().zip(part).for_each(|(o, v)| *o += v);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use meowlab_sanma::planes::FeatureBlock;

    fn state(seed: u64) -> Planes {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut p = Planes::new();
        for _ in 0..300 {
            let (r, c) = (rng.gen_range(0..ROWS), rng.gen_range(0..COLS));
            p.set(r, c, true);
        }
        p
    }

    fn untrained() -> Surrogate {
        let dev = Dev::default();
        let config = SurrogateConfig {
            hidden: vec![32, 16],
            row_features: 4,
            ..SurrogateConfig::default()
        };
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        Surrogate {
            net: SurrogateNet::new(&dev, &config, &mut rng),
            card: SurrogateCard {
                encoder: ENCODER_VERSION.into(),
                config,
                model: ModelFingerprint {
                    path: String::new(),
                    hash: String::new(),
                    legal_only: true,
                },
                run: String::new(),
                train_states: 0,
                val_states: 0,
                epochs: 0,
                val_kl: 0.0,
                full_gap: 0.0,
                empty_gap: 0.0,
                train_seconds: 0.0,
            },
            players: PlayerSet::ALL.iter().map(|&s| (s, s.players())).collect(),
            dev,
        }
    }

    #[test]
    fn a_coalition_from_player_parts_is_the_network_on_the_masked_state() {
        let surrogate = untrained();
        let x = state(3);
        for set in PlayerSet::ALL {
            let players = set.players();
            let prepared = surrogate.prepare(&x, &players);
            let n = players.len();
            let full = (1u64 << n) - 1;
            let coalitions = [0, full, 0b1011, full & !0b110, 1 << (n - 1)];
            let fast = prepared.policies(&coalitions);
            let mut mask = vec![0.0f32; ROWS * COLS];
            for (k, &c) in coalitions.iter().enumerate() {
                players.cell_mask(c, &mut mask);
                let slow = surrogate.policy(&x, &mask);
                for (a, b) in slow.iter().zip(&fast[k * CLASSES..(k + 1) * CLASSES]) {
                    assert!((a - b).abs() < 1e-5, "{set} coalition {c:#b}: {a} vs {b}");
                }
            }
        }
        // a state differing only in the dora indicators differs only in that player's part
        let mut y = x.clone();
        let dora = FeatureBlock::DoraIndicators.columns().start;
        y.set(20, dora, !x.get(20, dora));
        let players = PlayerSet::Blocks.players();
        let d = players
            .names
            .iter()
            .position(|n| n == "dora_indicators")
            .unwrap();
        let (px, py) = (
            surrogate.prepare(&x, &players),
            surrogate.prepare(&y, &players),
        );
        let without = ((1u64 << players.len()) - 1) & !(1 << d);
        assert_eq!(px.policies(&[without]), py.policies(&[without]));
        assert_ne!(px.policies(&[1 << d]), py.policies(&[1 << d]));
    }
}
