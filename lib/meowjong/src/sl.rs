//! Supervised learning of the Meowjong models from logged decisions: mini-batch Adam on
//! cross-entropy, per-epoch validation, early stopping on the validation loss or accuracy
//! ([`Monitor`]; the best epoch's weights are kept), and test accuracy next to the
//! majority-class baseline.
//!
//! The discard model's softmax, loss and accuracy are over the legal discards (tiles in
//! the hand or the target tile, read from the planes), as the agent chooses; its top-1
//! accuracy is the agreement with the teacher's discards.
//!
//! [`Trainer`] is one model and its optimizer (one batch at a time, for benchmarks and
//! custom loops); [`fit`] is the whole recipe over [`Samples`], reporting progress through
//! a callback so the command line can draw bars and log metrics without this module
//! knowing about either.

use dfdx::prelude::*;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::dataset::{Samples, Split};
use crate::model::{MeowjongNet, ModelKind, Preset, COLS, ROWS};
use meowlab_nn::conv::{Image, Mode};
use meowlab_nn::nn::{Dev, Matrix, Optimizer, OptimizerConfig};

/// Floats in one dense observation.
pub const PLANE_FLOATS: usize = ROWS * COLS;

/// Logit offset of an illegal discard (finite, so a mislabelled sample cannot make the
/// loss infinite).
pub const ILLEGAL: f32 = -1e4;

/// Training hyper-parameters (recorded in the model card).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlConfig {
    /// Which model.
    pub kind: ModelKind,
    /// Network size.
    pub preset: Preset,
    /// Samples per gradient step.
    pub batch_size: usize,
    /// Adam learning rate.
    pub lr: f64,
    /// Upper bound on epochs.
    pub max_epochs: usize,
    /// Stop after this many epochs without a better monitored validation figure.
    pub patience: usize,
    /// Initialisation, shuffling and dropout seed.
    pub seed: u64,
    /// Seed of the game-level train/val/test split ([`crate::dataset::split_of`]).
    pub split_seed: u64,
    /// Use at most this many training samples per epoch (a random subset, redrawn each
    /// epoch); `None` = all.
    pub max_train_samples: Option<usize>,
    /// Validate on at most this many validation samples (a fixed random subset); `None`
    /// = all.
    #[serde(default)]
    pub max_val_samples: Option<usize>,
    /// The model training started from (a path), if not fresh weights.
    #[serde(default)]
    pub init: Option<String>,
    /// What early stopping and the kept weights follow.
    #[serde(default)]
    pub monitor: Monitor,
    /// How the learning rate moves over the planned steps.
    #[serde(default)]
    pub lr_schedule: LrSchedule,
    /// Steps over which the learning rate rises linearly from `lr / warmup_steps` to `lr`
    /// (useful with `init`: a fresh Adam takes full-size steps at once).
    #[serde(default)]
    pub warmup_steps: u64,
    /// The split was by date (imported games), not by `split_seed`'s hash alone.
    #[serde(default)]
    pub date_split: Option<crate::dataset::DateSplit>,
}

/// The learning rate over a run of `max_epochs` epochs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LrSchedule {
    /// `lr` throughout (the paper's).
    #[default]
    Constant,
    /// Cosine decay from `lr` to 0 over all planned steps (`max_epochs` epochs): the
    /// small final steps settle the weights, which a constant rate never does.
    Cosine,
}

impl std::str::FromStr for LrSchedule {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "constant" => Ok(LrSchedule::Constant),
            "cosine" => Ok(LrSchedule::Cosine),
            other => Err(format!(
                "unknown learning-rate schedule {other:?} (constant, cosine)"
            )),
        }
    }
}

/// The validation figure that picks the best epoch (as Keras' `monitor`): the loss by
/// default; accuracy when the loss is a poor guide (a model can grow more accurate
/// while a few confident mistakes raise its cross-entropy).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Monitor {
    /// Lowest validation loss.
    #[default]
    Loss,
    /// Highest validation accuracy.
    Accuracy,
}

impl std::str::FromStr for Monitor {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "loss" => Ok(Monitor::Loss),
            "accuracy" => Ok(Monitor::Accuracy),
            other => Err(format!("unknown monitor {other:?} (loss, accuracy)")),
        }
    }
}

impl SlConfig {
    /// Defaults: batch 64, Adam 1e−3, ≤ 20 epochs, patience 3, seed 0, split seed 0.
    pub fn new(kind: ModelKind, preset: Preset) -> Self {
        SlConfig {
            kind,
            preset,
            batch_size: 64,
            lr: 1e-3,
            max_epochs: 20,
            patience: 3,
            seed: 0,
            split_seed: 0,
            max_train_samples: None,
            max_val_samples: None,
            init: None,
            monitor: Monitor::Loss,
            lr_schedule: LrSchedule::Constant,
            warmup_steps: 0,
            date_split: None,
        }
    }

    /// The learning rate of optimizer step `step` (0-based) of `total` planned steps.
    pub fn lr_at(&self, step: u64, total: u64) -> f64 {
        let warm = if step < self.warmup_steps {
            (step + 1) as f64 / self.warmup_steps as f64
        } else {
            1.0
        };
        let decay = match self.lr_schedule {
            LrSchedule::Constant => 1.0,
            LrSchedule::Cosine => {
                let progress = (step as f64 / total.max(1) as f64).min(1.0);
                0.5 * (1.0 + (std::f64::consts::PI * progress).cos())
            }
        };
        self.lr * warm * decay
    }
}

/// Sums over some samples: cross-entropy, correct argmax, correct in the top 3.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Tally {
    /// Samples counted.
    pub samples: usize,
    /// Sum of cross-entropy losses (nats).
    pub loss_sum: f64,
    /// Samples whose most probable class is the label.
    pub correct: usize,
    /// Samples whose label is among the 3 most probable classes.
    pub top3: usize,
}

impl Tally {
    /// Adds another tally.
    pub fn add(&mut self, other: Tally) {
        self.samples += other.samples;
        self.loss_sum += other.loss_sum;
        self.correct += other.correct;
        self.top3 += other.top3;
    }

    /// Mean loss.
    pub fn loss(&self) -> f64 {
        self.loss_sum / self.samples.max(1) as f64
    }

    /// Top-1 accuracy.
    pub fn accuracy(&self) -> f64 {
        self.correct as f64 / self.samples.max(1) as f64
    }

    /// Top-3 accuracy.
    pub fn top3_accuracy(&self) -> f64 {
        self.top3 as f64 / self.samples.max(1) as f64
    }

    /// Scores a batch of logits `(n, classes)` (row-major) against labels.
    fn of_logits(logits: &[f32], labels: &[u8]) -> Tally {
        let classes = logits.len() / labels.len().max(1);
        let mut t = Tally::default();
        for (row, &y) in logits.chunks(classes).zip(labels) {
            let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            let log_z = max as f64
                + row
                    .iter()
                    .map(|&l| ((l - max) as f64).exp())
                    .sum::<f64>()
                    .ln();
            let target = row[y as usize];
            // Rank of the label: classes strictly more likely (ties favour the label).
            let above = row.iter().filter(|&&l| l > target).count();
            t.samples += 1;
            t.loss_sum += log_z - target as f64;
            t.correct += (above == 0) as usize;
            t.top3 += (above < 3) as usize;
        }
        t
    }
}

/// Packs dense planes (0.0/1.0, `34 × 366` floats) into the bit layout [`unpack_batch`]
/// reads (the store's observation column: most significant bit first).
pub fn pack_planes(dense: &[f32]) -> Vec<u8> {
    let mut out = vec![0u8; dense.len().div_ceil(8)];
    for (bit, &x) in dense.iter().enumerate() {
        if x > 0.5 {
            out[bit >> 3] |= 1 << (7 - (bit & 7));
        }
    }
    out
}

/// Unpacks the packed planes of `indices` into one dense row-major batch
/// (`indices.len() × 34 × 366` floats of 0.0/1.0).
pub fn unpack_batch(observations: &[Vec<u8>], indices: &[usize]) -> Vec<f32> {
    let mut out = vec![0.0f32; indices.len() * PLANE_FLOATS];
    for (dense, &i) in out.chunks_exact_mut(PLANE_FLOATS).zip(indices) {
        let packed = &observations[i];
        for (bit, x) in dense.iter_mut().enumerate() {
            *x = ((packed[bit >> 3] >> (7 - (bit & 7))) & 1) as f32;
        }
    }
    out
}

/// One model and its optimizer.
pub struct Trainer {
    /// The network being trained.
    pub net: MeowjongNet,
    optimizer: Optimizer,
    rng: ChaCha8Rng,
    dev: Dev,
}

impl Trainer {
    /// A fresh network of `kind`/`preset` with Adam at `lr`, seeded by `seed`.
    pub fn new(dev: &Dev, kind: ModelKind, preset: Preset, lr: f64, seed: u64) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let net = MeowjongNet::new(dev, kind, preset, &mut rng);
        Self::with_net(dev, net, lr, rng)
    }

    /// Continues training `net` (e.g. a saved model) with a fresh Adam at `lr`.
    pub fn with_net(dev: &Dev, net: MeowjongNet, lr: f64, rng: ChaCha8Rng) -> Self {
        let optimizer = Optimizer::new(&net, OptimizerConfig::adam(lr));
        Trainer {
            net,
            optimizer,
            rng,
            dev: dev.clone(),
        }
    }

    /// Writes the optimizer's moments (for checkpoints).
    pub fn save_optimizer(&self, path: &std::path::Path) -> Result<(), meowlab_nn::NnError> {
        self.optimizer.save(path)
    }

    /// Reads what [`Trainer::save_optimizer`] wrote (the same network shape).
    pub fn load_optimizer(&mut self, path: &std::path::Path) -> Result<(), meowlab_nn::NnError> {
        self.optimizer.load(path)
    }

    /// Sets the learning rate of the next steps (schedules).
    pub fn set_lr(&mut self, lr: f64) {
        self.optimizer.config.lr = lr;
    }

    /// The logits' offsets for `planes`: for the discard model, a large negative number
    /// on tiles the seat cannot discard (neither in the hand nor the target tile), so
    /// the softmax, the loss and the accuracy are over the legal discards, as the agent
    /// plays; `None` for the binary models.
    fn legal_mask(&self, planes: &[f32]) -> Option<Matrix> {
        if self.net.card.kind != ModelKind::Discard {
            return None;
        }
        let batch = planes.len() / PLANE_FLOATS;
        let mut mask = vec![ILLEGAL; batch * ROWS];
        for (sample, plane) in planes.chunks_exact(PLANE_FLOATS).enumerate() {
            for row in 0..ROWS {
                let (target, in_hand) = (plane[row * COLS], plane[row * COLS + 1]);
                if target > 0.0 || in_hand > 0.0 {
                    mask[sample * ROWS + row] = 0.0;
                }
            }
        }
        Some(self.dev.tensor_from_vec(mask, (batch, ROWS)))
    }

    fn image(&self, planes: Vec<f32>) -> Image {
        let batch = planes.len() / PLANE_FLOATS;
        self.dev.tensor_from_vec(planes, (batch, ROWS, COLS, 1))
    }

    /// One Adam step on a batch (dense planes from [`unpack_batch`], labels); returns the
    /// batch's tally in train mode (before the step).
    pub fn train_batch(&mut self, planes: Vec<f32>, labels: &[u8]) -> Tally {
        let classes = self.net.card.kind.classes();
        let mask = self.legal_mask(&planes);
        let x = self.image(planes);
        let mut logits = self.net.forward_train(x, &mut self.rng);
        if let Some(mask) = mask {
            logits = logits + mask;
        }
        let tally = Tally::of_logits(&logits.as_vec(), labels);
        let mut onehot = vec![0.0f32; labels.len() * classes];
        for (row, &y) in labels.iter().enumerate() {
            onehot[row * classes + y as usize] = 1.0;
        }
        let target = self.dev.tensor_from_vec(onehot, (labels.len(), classes));
        let loss = cross_entropy_with_logits_loss(logits, target);
        let mut grads = loss.backward();
        self.optimizer.update(&mut self.net, &mut grads);
        tally
    }

    /// One Adam step of the policy gradient `−mean_i w_i · log π(labels_i | planes_i)` (the
    /// cross-entropy against one-hot × w, as the Meowjong paper writes REINFORCE), with the
    /// network in eval mode ([`MeowjongNet::forward_frozen`]) and the discard model masked
    /// to the tiles in hand; returns the loss before the step.
    pub fn policy_gradient_batch(
        &mut self,
        planes: Vec<f32>,
        labels: &[u8],
        weights: &[f32],
    ) -> f64 {
        assert_eq!(labels.len(), weights.len(), "one weight per sample");
        let classes = self.net.card.kind.classes();
        let mask = self.legal_mask(&planes);
        let x = self.image(planes);
        let mut logits = self.net.forward_frozen(x, &mut self.rng);
        if let Some(mask) = mask {
            logits = logits + mask;
        }
        let mut target = vec![0.0f32; labels.len() * classes];
        for (row, (&y, &w)) in labels.iter().zip(weights).enumerate() {
            target[row * classes + y as usize] = w;
        }
        let target = self.dev.tensor_from_vec(target, (labels.len(), classes));
        let loss = cross_entropy_with_logits_loss(logits, target);
        let value = f64::from(loss.array());
        let mut grads = loss.backward();
        self.optimizer.update(&mut self.net, &mut grads);
        value
    }

    /// One Adam step on a loss built by `loss` from the network's logits in eval mode
    /// ([`MeowjongNet::forward_frozen`]: the policy that acts) plus `offsets` (`B ×
    /// classes`: 0 on legal classes, a large negative number on illegal ones); what the RL
    /// losses use. Returns the loss before the step and the gradient's global norm.
    pub fn step_on_logits(
        &mut self,
        planes: Vec<f32>,
        offsets: Vec<f32>,
        loss: impl FnOnce(Matrix<meowlab_nn::nn::Taped>) -> Tensor<(), f32, Dev, meowlab_nn::nn::Taped>,
    ) -> (f64, f64) {
        let classes = self.net.card.kind.classes();
        let batch = planes.len() / PLANE_FLOATS;
        let offsets = self.dev.tensor_from_vec(offsets, (batch, classes));
        let x = self.image(planes);
        let logits = self.net.forward_frozen(x, &mut self.rng) + offsets;
        let loss = loss(logits);
        let value = f64::from(loss.array());
        let mut grads = loss.backward();
        let norm = self.optimizer.update(&mut self.net, &mut grads);
        (value, norm)
    }

    /// Scores a batch in eval mode (no update).
    pub fn eval_batch(&mut self, planes: Vec<f32>, labels: &[u8]) -> Tally {
        let mask = self.legal_mask(&planes);
        let x = self.image(planes);
        let mut logits = self.net.forward(x, Mode::Eval, &mut self.rng);
        if let Some(mask) = mask {
            logits = logits + mask;
        }
        Tally::of_logits(&logits.as_vec(), labels)
    }
}

/// What [`fit`] reports while it runs.
#[derive(Clone, Debug)]
pub enum Progress<'a> {
    /// An epoch starts with this many training batches.
    EpochStart {
        /// 1-based epoch.
        epoch: usize,
        /// Batches in the epoch.
        batches: usize,
    },
    /// A training batch finished.
    Batch {
        /// Optimizer steps so far.
        step: u64,
        /// The batch's tally (train mode).
        tally: Tally,
    },
    /// An epoch finished (after validation).
    EpochEnd(EpochReport),
    /// The monitored validation figure improved: `net` is the new best model (what a
    /// caller checkpoints, so a long run that is stopped keeps its best weights).
    Improved {
        /// 1-based epoch.
        epoch: usize,
        /// The weights [`fit`] will return unless a later epoch beats them.
        net: &'a MeowjongNet,
    },
}

/// One epoch's figures.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EpochReport {
    /// 1-based epoch.
    pub epoch: usize,
    /// Optimizer steps so far.
    pub step: u64,
    /// Mean train-mode loss over the epoch's batches.
    pub train_loss: f64,
    /// Train-mode accuracy over the epoch's batches.
    pub train_accuracy: f64,
    /// Eval-mode validation loss.
    pub val_loss: f64,
    /// Eval-mode validation accuracy.
    pub val_accuracy: f64,
    /// Training samples per second this epoch (excluding validation).
    pub samples_per_sec: f64,
    /// Whether this is the best monitored validation figure so far (the kept weights).
    pub best: bool,
}

/// Samples per class in each split.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClassBalance {
    /// Training split.
    pub train: Vec<usize>,
    /// Validation split.
    pub val: Vec<usize>,
    /// Test split.
    pub test: Vec<usize>,
}

impl ClassBalance {
    /// Counts per class of each split of `samples`.
    pub fn of(samples: &Samples, classes: usize, split_seed: u64) -> Self {
        let count = |split| samples.class_counts(&samples.indices(split, split_seed), classes);
        ClassBalance {
            train: count(Split::Train),
            val: count(Split::Val),
            test: count(Split::Test),
        }
    }

    /// The training split's most frequent class (the majority baseline's constant answer).
    pub fn majority_class(&self) -> usize {
        (0..self.train.len())
            .max_by_key(|&k| (self.train[k], std::cmp::Reverse(k)))
            .unwrap_or(0)
    }
}

/// The result of [`fit`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FitReport {
    /// The configuration.
    pub config: SlConfig,
    /// Samples per class and split.
    pub balance: ClassBalance,
    /// Every epoch run.
    pub epochs: Vec<EpochReport>,
    /// The epoch whose weights were kept (lowest validation loss).
    pub best_epoch: usize,
    /// Whether training stopped early (patience ran out).
    pub stopped_early: bool,
    /// The kept model on the test split.
    pub test: Tally,
    /// The majority class (of the training split).
    pub majority_class: usize,
    /// Accuracy of always answering the majority class, on the test split.
    pub majority_test_accuracy: f64,
    /// Wall-clock seconds of the whole fit.
    pub seconds: f64,
}

/// Why [`fit`] could not train.
#[derive(Debug, thiserror::Error)]
pub enum FitError {
    /// Some split has no samples (too few games, or the decision never occurred).
    #[error(
        "{kind} model: the {split} split has no samples ({total} samples in all); log more games"
    )]
    EmptySplit {
        /// Model name.
        kind: &'static str,
        /// Which split.
        split: &'static str,
        /// Samples over all splits.
        total: usize,
    },
    /// A bad hyper-parameter.
    #[error("bad training config: {0}")]
    Config(String),
    /// The initial model cannot grow into the preset asked for.
    #[error(transparent)]
    Preset(#[from] crate::model::PresetError),
}

/// Scores `indices` of `samples` in eval mode, in batches.
pub fn evaluate(
    trainer: &mut Trainer,
    samples: &Samples,
    indices: &[usize],
    batch: usize,
) -> Tally {
    let mut tally = Tally::default();
    for chunk in indices.chunks(batch.max(1)) {
        let labels: Vec<u8> = chunk.iter().map(|&i| samples.labels[i]).collect();
        tally.add(trainer.eval_batch(unpack_batch(&samples.observations, chunk), &labels));
    }
    tally
}

/// Trains a model on `samples`: shuffled mini-batches of the train split each epoch,
/// validation after each, early stopping after `patience` epochs without a lower
/// validation loss, then the best epoch's weights scored on the test split.
pub fn fit(
    dev: &Dev,
    samples: &Samples,
    config: &SlConfig,
    on_progress: &mut dyn FnMut(Progress),
) -> Result<(MeowjongNet, FitReport), FitError> {
    fit_from(dev, samples, config, None, on_progress)
}

/// [`fit`] starting from `init` (a model of the same kind and preset, e.g. one saved by
/// an earlier, shorter run, or one with a narrower dense layer, which grows into this
/// run's with [`MeowjongNet::widened`]) instead of fresh weights; Adam starts afresh.
pub fn fit_from(
    dev: &Dev,
    samples: &Samples,
    config: &SlConfig,
    init: Option<MeowjongNet>,
    on_progress: &mut dyn FnMut(Progress),
) -> Result<(MeowjongNet, FitReport), FitError> {
    let init = match init {
        Some(net) => {
            let (card, want) = (&net.card, &config.preset);
            if card.kind != config.kind {
                return Err(FitError::Config(format!(
                    "the initial model is a {} {} model, this run trains a {} {} model",
                    card.kind.name(),
                    card.preset.name,
                    config.kind.name(),
                    want.name
                )));
            }
            if card.preset.same_convolutions(want, config.kind) && card.preset.dense == want.dense {
                Some(net)
            } else {
                // a narrower dense layer grows into this run's, keeping what it learned
                let mut rng = ChaCha8Rng::seed_from_u64(config.seed ^ 0x6E0_0D3E);
                Some(net.widened(want, &mut rng)?)
            }
        }
        None => None,
    };
    if config.batch_size == 0 || config.max_epochs == 0 || config.lr.is_nan() || config.lr <= 0.0 {
        return Err(FitError::Config(
            "batch size, epochs and learning rate must be positive".into(),
        ));
    }
    let start = std::time::Instant::now();
    let classes = config.kind.classes();
    let split = |s: Split, name: &'static str| {
        let idx = samples.indices(s, config.split_seed);
        if idx.is_empty() {
            Err(FitError::EmptySplit {
                kind: config.kind.name(),
                split: name,
                total: samples.labels.len(),
            })
        } else {
            Ok(idx)
        }
    };
    let (train, val, test) = (
        split(Split::Train, "train")?,
        split(Split::Val, "validation")?,
        split(Split::Test, "test")?,
    );
    let balance = ClassBalance::of(samples, classes, config.split_seed);
    let mut val = val;
    if let Some(max) = config.max_val_samples {
        val.shuffle(&mut ChaCha8Rng::seed_from_u64(config.split_seed));
        val.truncate(max);
    }
    let mut trainer = match init {
        Some(mut net) => {
            net.card.preset = config.preset.clone();
            let rng = ChaCha8Rng::seed_from_u64(config.seed);
            Trainer::with_net(dev, net, config.lr, rng)
        }
        None => Trainer::new(
            dev,
            config.kind,
            config.preset.clone(),
            config.lr,
            config.seed,
        ),
    };
    let mut order_rng = ChaCha8Rng::seed_from_u64(config.seed ^ 0x5EED_5A11);
    // the monitored figure, made "lower is better"
    let score = |v: &Tally| match config.monitor {
        Monitor::Loss => v.loss(),
        Monitor::Accuracy => -v.accuracy(),
    };
    let (mut best, mut best_score, mut since_best) = (trainer.net.clone(), f64::INFINITY, 0);
    let (mut epochs, mut step, mut best_epoch, mut stopped_early) = (Vec::new(), 0u64, 0, false);
    let per_epoch = train
        .len()
        .min(config.max_train_samples.unwrap_or(usize::MAX));
    let planned_steps = (config.max_epochs * per_epoch.div_ceil(config.batch_size)) as u64;
    for epoch in 1..=config.max_epochs {
        let mut order = train.clone();
        order.shuffle(&mut order_rng);
        order.truncate(per_epoch);
        let batches = order.len().div_ceil(config.batch_size);
        on_progress(Progress::EpochStart { epoch, batches });
        let epoch_start = std::time::Instant::now();
        let mut tally = Tally::default();
        for chunk in order.chunks(config.batch_size) {
            // A batch of one has no batch statistics; skip the ragged last one.
            if chunk.len() < 2 {
                continue;
            }
            let labels: Vec<u8> = chunk.iter().map(|&i| samples.labels[i]).collect();
            trainer.set_lr(config.lr_at(step, planned_steps));
            let t = trainer.train_batch(unpack_batch(&samples.observations, chunk), &labels);
            step += 1;
            tally.add(t);
            on_progress(Progress::Batch { step, tally: t });
        }
        let samples_per_sec = tally.samples as f64 / epoch_start.elapsed().as_secs_f64();
        let v = evaluate(&mut trainer, samples, &val, config.batch_size);
        let improved = score(&v) < best_score;
        if improved {
            (best, best_score, since_best, best_epoch) = (trainer.net.clone(), score(&v), 0, epoch);
        } else {
            since_best += 1;
        }
        let report = EpochReport {
            epoch,
            step,
            train_loss: tally.loss(),
            train_accuracy: tally.accuracy(),
            val_loss: v.loss(),
            val_accuracy: v.accuracy(),
            samples_per_sec,
            best: improved,
        };
        on_progress(Progress::EpochEnd(report.clone()));
        if improved {
            on_progress(Progress::Improved { epoch, net: &best });
        }
        epochs.push(report);
        if since_best >= config.patience {
            stopped_early = epoch < config.max_epochs;
            break;
        }
    }
    trainer.net = best;
    let test_tally = evaluate(&mut trainer, samples, &test, config.batch_size);
    let majority_class = balance.majority_class();
    let majority_test_accuracy =
        balance.test[majority_class] as f64 / balance.test.iter().sum::<usize>().max(1) as f64;
    let report = FitReport {
        config: config.clone(),
        balance,
        epochs,
        best_epoch,
        stopped_early,
        test: test_tally,
        majority_class,
        majority_test_accuracy,
        seconds: start.elapsed().as_secs_f64(),
    };
    let mut net = trainer.net;
    net.card.training = serde_json::to_value(&report).expect("report serialises");
    Ok((net, report))
}

#[cfg(test)]
mod tests {
    use super::*;
    use meowlab_sanma::planes::{Planes, BYTES};
    use rand::Rng;

    #[test]
    fn tallies_score_loss_accuracy_and_top3() {
        let logits = [2.0, 1.0, 0.0, 0.0, 0.0, 5.0, 1.0, 1.0, 0.0];
        let t = Tally::of_logits(&logits, &[0, 1, 1]);
        let lse = |r: &[f32]| r.iter().map(|&v| (v as f64).exp()).sum::<f64>().ln();
        let expected =
            (lse(&logits[0..3]) - 2.0) + (lse(&logits[3..6]) - 0.0) + (lse(&logits[6..9]) - 1.0);
        assert!((t.loss_sum - expected).abs() < 1e-9);
        // Row 3 ties its label with another class: counted as correct.
        assert_eq!((t.samples, t.correct, t.top3), (3, 2, 3));
        assert!((t.accuracy() - 2.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn learning_rate_schedules_warm_up_and_decay() {
        let mut config = SlConfig::new(ModelKind::Discard, Preset::small());
        assert_eq!(config.lr_at(0, 100), 1e-3);
        assert_eq!(config.lr_at(99, 100), 1e-3);
        config.lr_schedule = LrSchedule::Cosine;
        assert_eq!(config.lr_at(0, 100), 1e-3);
        assert!((config.lr_at(50, 100) - 0.5e-3).abs() < 1e-12);
        assert!(config.lr_at(99, 100) < 1e-6 && config.lr_at(99, 100) > 0.0);
        assert_eq!(config.lr_at(100, 100), 0.0);
        config.warmup_steps = 10;
        assert!((config.lr_at(0, 100) - 1e-4).abs() < 1e-12);
        let cosine_at_4 = 0.5 * (1.0 + (std::f64::consts::PI * 0.04).cos());
        assert!((config.lr_at(4, 100) - 1e-3 * 0.5 * cosine_at_4).abs() < 1e-15);
        assert!(config.lr_at(9, 100) > config.lr_at(8, 100));
        assert_eq!("cosine".parse::<LrSchedule>(), Ok(LrSchedule::Cosine));
        assert!("step".parse::<LrSchedule>().unwrap_err().contains("step"));
    }

    #[test]
    fn unpacking_matches_the_planes_decoder() {
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let observations: Vec<Vec<u8>> = (0..3)
            .map(|_| {
                let mut bytes: Vec<u8> = (0..BYTES).map(|_| rng.gen()).collect();
                // The last byte's padding bits must be clear.
                let pad = BYTES * 8 - ROWS * COLS;
                bytes[BYTES - 1] &= !((1u8 << pad) - 1);
                bytes
            })
            .collect();
        let dense = unpack_batch(&observations, &[2, 0]);
        for (chunk, &i) in dense.chunks(PLANE_FLOATS).zip(&[2usize, 0]) {
            let planes = Planes::from_bytes(&observations[i]).unwrap();
            assert_eq!(chunk, planes.to_f32().as_slice());
        }
    }

    /// Label 1 iff a block of the planes is set: a tiny network learns it, early stopping
    /// keeps the best epoch, and the test accuracy beats the majority baseline.
    #[test]
    fn fit_learns_a_planted_block_and_keeps_the_best_epoch() {
        let mut rng = ChaCha8Rng::seed_from_u64(10);
        let mut samples = Samples::default();
        for game in 0..60u64 {
            for _ in 0..8 {
                let mut bytes = vec![0u8; BYTES];
                for _ in 0..200 {
                    let bit = rng.gen_range(0..ROWS * COLS);
                    bytes[bit / 8] |= 0x80 >> (bit % 8);
                }
                // The planted feature: rows 5..11 × columns 10..50 all set.
                let label = rng.gen_bool(0.3);
                for row in 5..11 {
                    for col in 10..50 {
                        let bit = row * COLS + col;
                        if label {
                            bytes[bit / 8] |= 0x80 >> (bit % 8);
                        } else {
                            bytes[bit / 8] &= !(0x80 >> (bit % 8));
                        }
                    }
                }
                samples.observations.push(bytes);
                samples.labels.push(label as u8);
                samples.games.push(game);
                samples.steps.push(samples.steps.len() as u32);
            }
        }
        let preset = Preset {
            name: "tiny".into(),
            filters: vec![2],
            kernels: Vec::new(),
            dense: 8,
            dropout: 0.0,
        };
        let config = SlConfig {
            batch_size: 16,
            lr: 1e-2,
            max_epochs: 12,
            patience: 3,
            ..SlConfig::new(ModelKind::Pon, preset)
        };
        let (mut epochs_seen, mut improved, mut last_checkpoint) = (0, Vec::new(), None);
        let (net, report) = fit(&Dev::default(), &samples, &config, &mut |p| match p {
            Progress::EpochEnd(_) => epochs_seen += 1,
            Progress::Improved { epoch, net } => {
                improved.push(epoch);
                last_checkpoint = Some(net.clone());
            }
            _ => {}
        })
        .unwrap();
        assert_eq!(epochs_seen, report.epochs.len());
        // every improvement is announced with the weights fit returns at the end
        let best_epochs: Vec<usize> = report
            .epochs
            .iter()
            .filter(|e| e.best)
            .map(|e| e.epoch)
            .collect();
        assert_eq!(improved, best_epochs);
        let probe = unpack_batch(&samples.observations, &[0, 1, 2]);
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        assert_eq!(
            last_checkpoint.unwrap().predict(&probe, &mut rng),
            net.clone().predict(&probe, &mut rng)
        );
        let best = &report.epochs[report.best_epoch - 1];
        assert!(best.best);
        assert!(report.epochs.iter().all(|e| e.val_loss >= best.val_loss));
        assert!(
            report.test.accuracy() > report.majority_test_accuracy + 0.1,
            "test {:.3} vs majority {:.3}",
            report.test.accuracy(),
            report.majority_test_accuracy
        );
        assert_eq!(net.card.training["best_epoch"], report.best_epoch);
        // Continuing from the trained model starts where it ended, not from scratch.
        let again = SlConfig {
            max_epochs: 1,
            ..config.clone()
        };
        let (_, continued) = fit_from(
            &Dev::default(),
            &samples,
            &again,
            Some(net.clone()),
            &mut |_| {},
        )
        .unwrap();
        assert!(
            continued.epochs[0].val_loss < report.epochs[0].val_loss,
            "continued {} vs first epoch {}",
            continued.epochs[0].val_loss,
            report.epochs[0].val_loss
        );
        // A model with a narrower dense layer grows into the run's preset and starts from
        // its accuracy; other convolutions are refused.
        let mut narrow_preset = config.preset.clone();
        narrow_preset.dense /= 2;
        let narrow = MeowjongNet::new(&Dev::default(), ModelKind::Pon, narrow_preset, &mut rng);
        let (grown, _) =
            fit_from(&Dev::default(), &samples, &again, Some(narrow), &mut |_| {}).unwrap();
        assert_eq!(grown.card.preset.dense, config.preset.dense);
        let mut other_convs = config.preset.clone();
        other_convs.filters.push(2);
        let deeper = MeowjongNet::new(&Dev::default(), ModelKind::Pon, other_convs, &mut rng);
        let err =
            fit_from(&Dev::default(), &samples, &again, Some(deeper), &mut |_| {}).unwrap_err();
        assert!(err.to_string().contains("same convolutions"), "{err}");
        // A model of another kind is refused.
        let other = SlConfig {
            kind: ModelKind::Kan,
            ..again
        };
        let err = fit_from(
            &Dev::default(),
            &samples,
            &other,
            Some(net.clone()),
            &mut |_| {},
        )
        .unwrap_err();
        assert!(err.to_string().contains("initial model is a pon"), "{err}");
        // An empty split is refused with the model named.
        let few = Samples {
            observations: samples.observations[..8].to_vec(),
            labels: samples.labels[..8].to_vec(),
            games: samples.games[..8].to_vec(),
            steps: samples.steps[..8].to_vec(),
            splits: None,
        };
        let err = fit(&Dev::default(), &few, &config, &mut |_| {}).unwrap_err();
        assert!(err.to_string().contains("pon model"), "{err}");
    }
}
