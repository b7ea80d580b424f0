//! The learned on-manifold characteristic (FastSVERL's surrogate; Frye et al. 2020,
//! "Shapley explainability on the data manifold"): a network that sees a logged state
//! with a random coalition of players hidden and predicts the explained model's policy at
//! the full state. Trained with the soft cross-entropy against that policy, its minimiser
//! is E[π(X) | X_C = x_C] — on-manifold conditioning that generalises across states,
//! where exact matching over a few thousand logged states jumps from the mean to f(x)
//! as soon as a coalition identifies the state.
//!
//! The surrogate is the explained model itself with a second input channel per cell
//! (whether the cell is known; hidden cells read 0), started from the model's weights
//! with zero weights on the new channel, then fine-tuned on masked states; held-out
//! games stop the training before it memorises which hand a coalition identifies. The
//! first convolution is linear in the input, so for a network whose first kernel spans
//! whole rows (the `small` preset's 1×366) its output at a state is a sum of one part
//! per player: [`Surrogate::prepare`] computes the parts once per explained state, and a
//! coalition costs one sum and the layers above ([`Prepared::policies`]). Other
//! presets run the whole network per coalition.

use std::path::{Path, PathBuf};

use dfdx::prelude::*;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use meowlab_explain::sanma::{PlanePlayers, PlayerSet};
use meowlab_explain::{Coalition, ExplainProgress};
use meowlab_nn::conv::{load_state, save_state, Image};
use meowlab_nn::nn::{Dev, NnError, Optimizer, OptimizerConfig};
use meowlab_sanma::planes::{Planes, COLS, ENCODER_VERSION, ROWS};

use crate::model::MeowjongNet;

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
    /// Most passes over the training states (each with fresh coalitions).
    pub epochs: usize,
    /// Stop after this many epochs without a lower held-out loss, keeping the best
    /// epoch's weights: on a small run a surrogate soon memorises which hand a
    /// coalition identifies (the exact-matching failure), which held-out games expose.
    pub patience: usize,
    /// Samples per Adam step.
    pub batch_size: usize,
    /// Adam learning rate (fine-tuning from the model's weights).
    pub lr: f64,
    /// Coalition and shuffling seed.
    pub seed: u64,
}

impl Default for SurrogateConfig {
    fn default() -> Self {
        SurrogateConfig {
            player_sets: PlayerSet::ALL
                .iter()
                .map(|p| p.name().to_string())
                .collect(),
            epochs: 20,
            patience: 2,
            batch_size: 128,
            lr: 3e-4,
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
            || self.epochs == 0
            || self.patience == 0
            || self.batch_size == 0
            || !(self.lr.is_finite() && self.lr > 0.0);
        if bad {
            return Err(SurrogateError::Config(format!(
                "player sets, epochs, patience, batch size and learning rate must be \
                 non-empty and positive: {self:?}"
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

/// A trained surrogate: the learned characteristic of one model on one run's states.
pub struct Surrogate {
    /// The model with a mask channel, fine-tuned.
    net: MeowjongNet,
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
    /// Fine-tunes a surrogate of `net` (the explained model) on `data`, whose policies
    /// are `net`'s (held out: games whose `split_of` is not train, about a fifth),
    /// reporting training steps to `on_progress`, then measures it on the held-out
    /// states.
    pub fn fit(
        dev: &Dev,
        net: &MeowjongNet,
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
            net: net.with_mask_channel(dev),
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
                let logits = surrogate.net.forward_frozen(x, &mut rng);
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
    fn policies_of(&mut self, input: Vec<f32>) -> Vec<f32> {
        let mut out = Vec::with_capacity(input.len() / INPUT * CLASSES);
        let mut rng = ChaCha8Rng::seed_from_u64(0); // eval mode: nothing is drawn
        for chunk in input.chunks(256 * INPUT) {
            let b = chunk.len() / INPUT;
            let x: Image = self.dev.tensor_from_vec(chunk.to_vec(), (b, ROWS, COLS, 2));
            let logits = self.net.logits_unplanned(x, &mut rng);
            out.extend(logits.softmax::<Axis<1>>().as_vec());
        }
        out
    }

    /// The surrogate's policy at `planes` with the cells where `mask` is 0 hidden.
    pub fn policy(&mut self, planes: &Planes, mask: &[f32]) -> Vec<f32> {
        let mut input = vec![0.0f32; INPUT];
        write_input(planes, mask, &mut input);
        self.policies_of(input)
    }

    /// Whether it learned coalitions of `set`.
    pub fn serves(&self, set: PlayerSet) -> bool {
        self.players.iter().any(|(s, _)| *s == set)
    }

    /// State `x` ready for coalition queries of `players`: for a first convolution that
    /// spans whole rows, its output per player (and for what is always known), which a
    /// coalition sums; otherwise the state and players, masked per coalition.
    pub fn prepare(&mut self, x: &Planes, players: &PlanePlayers) -> Prepared<'_> {
        let n = players.len();
        let conv = self.net.first_conv();
        if conv.kernel != (1, COLS) {
            return Prepared {
                parts: Parts::Masked(Box::new(x.clone()), players.clone()),
                surrogate: self,
            };
        }
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
        let first = conv.forward(images).as_vec();
        let width = first.len() / (n + 2);
        let bias = first[(n + 1) * width..].to_vec();
        let mut parts = first[..(n + 1) * width].to_vec();
        for player in parts[width..].chunks_exact_mut(width) {
            player.iter_mut().zip(&bias).for_each(|(v, b)| *v -= b);
        }
        Prepared {
            parts: Parts::Summed { width, parts },
            surrogate: self,
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

    /// Reads a surrogate written by [`Surrogate::save`] for the model `net`.
    pub fn load(dev: &Dev, dir: &Path, net: &MeowjongNet) -> Result<Surrogate, SurrogateError> {
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
        let mut surrogate_net = net.with_mask_channel(dev);
        load_state(&mut surrogate_net, &dir.join("surrogate.safetensors"))?;
        Ok(Surrogate {
            net: surrogate_net,
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
    surrogate: &'a mut Surrogate,
    parts: Parts,
}

enum Parts {
    /// The first convolution's output: row 0 the base (bias and unowned cells), row
    /// 1 + p player p's part, `width` each.
    Summed { width: usize, parts: Vec<f32> },
    /// The state and its players, masked per coalition.
    Masked(Box<Planes>, PlanePlayers),
}

impl Prepared<'_> {
    /// The surrogate's policy (34 per coalition) for each coalition: v(C) for every
    /// explained quantity at once.
    pub fn policies(&mut self, coalitions: &[Coalition]) -> Vec<f32> {
        let surrogate = &mut *self.surrogate;
        match &self.parts {
            Parts::Summed { width, parts } => {
                let mut out = Vec::with_capacity(coalitions.len() * CLASSES);
                let mut rng = ChaCha8Rng::seed_from_u64(0);
                let channels = width / ROWS;
                for chunk in coalitions.chunks(1024) {
                    let first = sums(parts, *width, chunk);
                    let image: Image = surrogate
                        .dev
                        .tensor_from_vec(first, (chunk.len(), ROWS, 1, channels));
                    let logits = surrogate.net.logits_after_first_conv(image, &mut rng);
                    out.extend(logits.softmax::<Axis<1>>().as_vec());
                }
                out
            }
            Parts::Masked(x, players) => {
                let mut input = vec![0.0f32; coalitions.len() * INPUT];
                let mut mask = vec![0.0f32; ROWS * COLS];
                for (&c, out) in coalitions.iter().zip(input.chunks_exact_mut(INPUT)) {
                    players.cell_mask(c, &mut mask);
                    write_input(x, &mask, out);
                }
                surrogate.policies_of(input)
            }
        }
    }
}

/// For each coalition, row 0 of `parts` (`width` wide) plus the rows of its players. A
/// coalition that is the previous one plus one player (a permutation walk's next step)
/// costs one row added to the previous sum.
fn sums(parts: &[f32], width: usize, coalitions: &[Coalition]) -> Vec<f32> {
    let players = parts.len() / width - 1;
    let part = |p: usize| &parts[(p + 1) * width..(p + 2) * width];
    let mut out = vec![0.0f32; coalitions.len() * width];
    let mut previous: Option<Coalition> = None;
    for (k, &c) in coalitions.iter().enumerate() {
        let (done, rest) = out.split_at_mut(k * width);
        let row = &mut rest[..width];
        match previous {
            Some(prev) if c & prev == prev && (c ^ prev).count_ones() == 1 => {
                row.copy_from_slice(&done[(k - 1) * width..]);
                let added = (c ^ prev).trailing_zeros() as usize;
                row.iter_mut().zip(part(added)).for_each(|(o, v)| *o += v);
            }
            _ => {
                row.copy_from_slice(&parts[..width]);
                for p in (0..players).filter(|p| c & (1 << p) != 0) {
                    row.iter_mut().zip(part(p)).for_each(|(o, v)| *o += v);
                }
            }
        }
        previous = Some(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ModelKind, Preset};
    use meowlab_nn::nn::Params;
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

    fn untrained(preset: Preset) -> Surrogate {
        let dev = Dev::default();
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let model = MeowjongNet::new(&dev, ModelKind::Discard, preset, &mut rng);
        let mut net = model.with_mask_channel(&dev);
        // a mask channel that matters, as after training
        net.visit_mut(&mut |name, t| {
            if name == "conv0.weight" {
                let mut w = t.as_vec();
                w.iter_mut().skip(1).step_by(2).for_each(|v| *v = 0.01);
                *t = dev.tensor_from_vec(w, *t.shape());
            }
        });
        Surrogate {
            net,
            card: SurrogateCard {
                encoder: ENCODER_VERSION.into(),
                config: SurrogateConfig::default(),
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
        let x = state(3);
        // the small preset sums parts per player; a 4×5 first kernel masks per coalition
        for preset in [Preset::small(), Preset::by_name("c4x4-d16").unwrap()] {
            let mut surrogate = untrained(preset);
            for set in PlayerSet::ALL {
                let players = set.players();
                let n = players.len();
                let full = (1u64 << n) - 1;
                // the last three are a walk: each the one before plus a player
                let coalitions = [
                    0,
                    full,
                    0b1011,
                    full & !0b110,
                    1 << (n - 1),
                    0b100,
                    0b110,
                    0b111,
                ];
                let fast = surrogate.prepare(&x, &players).policies(&coalitions);
                let mut mask = vec![0.0f32; ROWS * COLS];
                for (k, &c) in coalitions.iter().enumerate() {
                    players.cell_mask(c, &mut mask);
                    let slow = surrogate.policy(&x, &mask);
                    for (a, b) in slow.iter().zip(&fast[k * CLASSES..(k + 1) * CLASSES]) {
                        assert!((a - b).abs() < 1e-5, "{set} coalition {c:#b}: {a} vs {b}");
                    }
                }
            }
        }
        // a state differing only in the dora indicators differs only in that player's part
        let mut surrogate = untrained(Preset::small());
        let mut y = x.clone();
        let dora = FeatureBlock::DoraIndicators.columns().start;
        y.set(20, dora, !x.get(20, dora));
        let players = PlayerSet::Blocks.players();
        let d = players
            .names
            .iter()
            .position(|n| n == "dora_indicators")
            .unwrap();
        let without = ((1u64 << players.len()) - 1) & !(1 << d);
        let on_x = surrogate.prepare(&x, &players).policies(&[without, 1 << d]);
        let on_y = surrogate.prepare(&y, &players).policies(&[without, 1 << d]);
        assert_eq!(on_x[..CLASSES], on_y[..CLASSES]);
        assert_ne!(on_x[CLASSES..], on_y[CLASSES..]);
    }

    #[test]
    fn the_mask_channel_starts_at_zero_so_the_copy_is_the_model() {
        let dev = Dev::default();
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        let mut model = MeowjongNet::new(&dev, ModelKind::Discard, Preset::small(), &mut rng);
        let mut copy = model.with_mask_channel(&dev);
        let x = state(4);
        let mut dense = vec![0.0f32; ROWS * COLS];
        x.write_f32(&mut dense);
        let want = model.predict(&dense, &mut rng);
        let mut input = vec![0.0f32; INPUT];
        write_input(&x, &vec![1.0; ROWS * COLS], &mut input);
        let image: Image = dev.tensor_from_vec(input, (1, ROWS, COLS, 2));
        let got = copy
            .logits_unplanned(image, &mut rng)
            .softmax::<Axis<1>>()
            .as_vec();
        for (a, b) in want.iter().zip(&got) {
            assert!((a - b).abs() < 1e-5, "{a} vs {b}");
        }
    }
}
