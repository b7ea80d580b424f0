//! The five Meowjong CNNs (Zhao & Holden 2022): discard (34-way), Pon, Kan, Kita and
//! Riichi (2-way each), over the 34×366 tile planes of `meowlab_sanma::planes`.
//!
//! Architecture (paper §V): convolutions with the model's kernel size (VALID, ReLU), each
//! followed by BatchNorm and Dropout; then a dense layer (ReLU, BatchNorm, Dropout) and the
//! output layer. The `paper` preset is the published size (4 convolutions of 64, 64, 64,
//! 32 filters and a 256-unit dense layer: ~63M weights for discard, a GPU model); the
//! `small` preset keeps the layers but gives them row-shaped kernels (see
//! [`Preset::small`]), so a CPU trains it in minutes.
//!
//! A model is saved as `<name>.safetensors` (parameters and BatchNorm statistics) with a
//! JSON sidecar `<name>.json` (kind, preset, encoder version, training config).

use std::path::{Path, PathBuf};
use std::str::FromStr;

use dfdx::prelude::*;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use meowlab_nn::conv::{load_state, save_state, BatchNorm, Buffers, Conv2d, Dropout, Image, Mode};
#[cfg(not(feature = "cuda"))]
use meowlab_nn::inference::InferencePlan;
use meowlab_nn::nn::{Dense, Dev, Matrix, NnError, Params, Taped};

pub use meowlab_sanma::planes::{COLS, ENCODER_VERSION, ROWS};

/// Which decision a model makes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ModelKind {
    /// Which tile to discard (34 classes).
    Discard,
    /// Call Pon or not.
    Pon,
    /// Declare a kan or not.
    Kan,
    /// Set aside a North (Kita) or not.
    Kita,
    /// Declare riichi or not.
    Riichi,
}

impl ModelKind {
    /// All five, in the paper's order.
    pub const ALL: [ModelKind; 5] = [
        ModelKind::Discard,
        ModelKind::Pon,
        ModelKind::Kan,
        ModelKind::Kita,
        ModelKind::Riichi,
    ];

    /// The paper's kernel size (rows × columns).
    pub fn kernel(self) -> (usize, usize) {
        match self {
            ModelKind::Discard => (4, 5),
            ModelKind::Pon => (5, 4),
            ModelKind::Kan => (2, 3),
            ModelKind::Kita => (3, 2),
            ModelKind::Riichi => (3, 4),
        }
    }

    /// Position in [`ModelKind::ALL`] (the order of model sets).
    pub fn index(self) -> usize {
        self as usize
    }

    /// Output classes.
    pub fn classes(self) -> usize {
        match self {
            ModelKind::Discard => 34,
            _ => 2,
        }
    }

    /// Lower-case name (file names, CLI).
    pub fn name(self) -> &'static str {
        match self {
            ModelKind::Discard => "discard",
            ModelKind::Pon => "pon",
            ModelKind::Kan => "kan",
            ModelKind::Kita => "kita",
            ModelKind::Riichi => "riichi",
        }
    }
}

impl FromStr for ModelKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        ModelKind::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or_else(|| format!("unknown model {s:?} (discard, pon, kan, kita, riichi)"))
    }
}

/// Network size: filters (and optionally kernel) per convolution, dense width, dropout rate.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Preset {
    /// Preset name.
    pub name: String,
    /// Filters of each convolution (their count is the number of convolutions).
    pub filters: Vec<usize>,
    /// Kernel (rows × columns) of each convolution; empty means the paper's kernel of the
    /// model kind ([`ModelKind::kernel`]) for every one. Other shapes let a CPU-sized
    /// network look along a whole row (every feature of one tile kind) or across
    /// neighbouring tile kinds, instead of at a 4×5 patch.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub kernels: Vec<(usize, usize)>,
    /// Units of the dense layer.
    pub dense: usize,
    /// Dropout rate after every convolution and the dense layer.
    pub dropout: f32,
}

impl Preset {
    /// The paper's size: 4 convolutions (64, 64, 64, 32), dense 256, dropout 0.5.
    pub fn paper() -> Self {
        Preset {
            name: "paper".into(),
            filters: vec![64, 64, 64, 32],
            kernels: Vec::new(),
            dense: 256,
            dropout: 0.5,
        }
    }

    /// The CPU-sized network: a 1×366 convolution of 64 filters that reads each tile
    /// kind's whole row (its count in hand, its visible copies, which opponent threw it,
    /// the table state), two 3×1 convolutions of 64 filters across neighbouring tile kinds
    /// (sequences, pairs), dense 256, dropout 0.1. On two cores it trains at ~4,500
    /// samples/s, where the paper's 4×5 kernels at 8 and 16 filters (`c8x8-d64`, the
    /// earlier `small`, and `c16x16-d64`) train at ~190 and ~60, and it learns more: on
    /// 2,000 heuristic games it matches 83% of the teacher's discards after six epochs,
    /// where the 16-filter 4×5 network stopped near 71% (experiments/RESULTS.md). Written
    /// as a custom size it is `c64k1.366x64k3.1x64k3.1-d256`.
    pub fn small() -> Self {
        Preset {
            name: "small".into(),
            filters: vec![64, 64, 64],
            kernels: vec![(1, COLS), (3, 1), (3, 1)],
            dense: 256,
            dropout: 0.1,
        }
    }

    /// A preset by name, or a custom size written `c<filters>x<filters>...-d<dense>`
    /// (e.g. `c16x16-d256`: two convolutions of 16 filters, a 256-unit dense layer,
    /// dropout 0.5) — the name doubles as the model's folder name, so sizes can be
    /// compared side by side without editing code. A convolution may name its kernel as
    /// `<filters>k<rows>.<cols>` (e.g. `c64k1.366x64k3.1-d256`: a 1×366 kernel that reads a
    /// tile kind's whole row, then a 3×1 kernel across neighbouring tile kinds); either
    /// every convolution names one or none does.
    pub fn by_name(name: &str) -> Result<Self, PresetError> {
        match name {
            "paper" => Ok(Preset::paper()),
            "small" => Ok(Preset::small()),
            spec => Preset::custom(spec).ok_or_else(|| PresetError::Unknown(spec.to_string())),
        }
    }

    fn custom(spec: &str) -> Option<Self> {
        let (convs, dense) = spec.strip_prefix('c')?.split_once("-d")?;
        let positive = |s: &str| s.parse::<usize>().ok().filter(|&n| n > 0);
        let conv = |s: &str| -> Option<(usize, Option<(usize, usize)>)> {
            Some(match s.split_once('k') {
                None => (positive(s)?, None),
                Some((f, kernel)) => {
                    let (rows, cols) = kernel.split_once('.')?;
                    (positive(f)?, Some((positive(rows)?, positive(cols)?)))
                }
            })
        };
        let convs = convs.split('x').map(conv).collect::<Option<Vec<_>>>()?;
        // kernels named for some convolutions only are refused by `check`
        let preset = Preset {
            name: spec.to_string(),
            filters: convs.iter().map(|c| c.0).collect(),
            kernels: convs.iter().filter_map(|c| c.1).collect(),
            dense: positive(dense)?,
            dropout: 0.5,
        };
        preset.check().ok().map(|()| preset)
    }

    /// Whether this is a network that can be built: at least one convolution, positive
    /// sizes, a kernel for every convolution or none, a dropout rate in [0, 1), and every
    /// kind's convolutions fitting inside the 34×366 planes. A preset read from a model
    /// card is checked, so a hand-edited card gets an error rather than a broken network.
    pub fn check(&self) -> Result<(), PresetError> {
        let invalid = |reason: String| {
            Err(PresetError::Invalid {
                preset: self.name.clone(),
                reason,
            })
        };
        if self.filters.is_empty() || self.filters.contains(&0) || self.dense == 0 {
            return invalid(
                "needs at least one convolution, and every filter count and the dense width \
                 must be positive"
                    .into(),
            );
        }
        if !self.kernels.is_empty() && self.kernels.len() != self.filters.len() {
            return invalid(format!(
                "{} kernels for {} convolutions",
                self.kernels.len(),
                self.filters.len()
            ));
        }
        if !(0.0..1.0).contains(&self.dropout) {
            return invalid(format!("dropout {} is not in [0, 1)", self.dropout));
        }
        for kind in ModelKind::ALL {
            let (mut h, mut w) = (ROWS, COLS);
            for i in 0..self.filters.len() {
                let (kh, kw) = self.kernel(kind, i);
                if kh == 0 || kw == 0 || kh > h || kw > w {
                    return invalid(format!(
                        "convolution {} of the {} network has a {kh}×{kw} \
                         kernel over a {h}×{w} input",
                        i + 1,
                        kind.name()
                    ));
                }
                (h, w) = (h + 1 - kh, w + 1 - kw);
            }
        }
        Ok(())
    }

    /// The kernel of convolution `i` in `kind`'s network.
    pub fn kernel(&self, kind: ModelKind, i: usize) -> (usize, usize) {
        self.kernels.get(i).copied().unwrap_or(kind.kernel())
    }

    /// Whether `kind`'s networks of both presets have the same convolutions (filters and
    /// kernels), so that trained convolution weights carry over.
    pub fn same_convolutions(&self, other: &Preset, kind: ModelKind) -> bool {
        self.filters == other.filters
            && (0..self.filters.len()).all(|i| self.kernel(kind, i) == other.kernel(kind, i))
    }

    /// Spatial size after the convolutions of `kind`.
    pub fn output_size(&self, kind: ModelKind) -> (usize, usize) {
        (0..self.filters.len()).fold((ROWS, COLS), |(h, w), i| {
            let (kh, kw) = self.kernel(kind, i);
            (h + 1 - kh, w + 1 - kw)
        })
    }

    /// Trained parameters of `kind`'s network (without building it).
    pub fn num_params(&self, kind: ModelKind) -> usize {
        let mut c_in = 1;
        let mut n = 0;
        for (i, &f) in self.filters.iter().enumerate() {
            let (kh, kw) = self.kernel(kind, i);
            n += kh * kw * c_in * f + f + 2 * f; // conv weight, bias, BN γ and β
            c_in = f;
        }
        let (h, w) = self.output_size(kind);
        n += h * w * c_in * self.dense + self.dense + 2 * self.dense;
        n + self.dense * kind.classes() + kind.classes()
    }
}

/// What the sidecar JSON records next to the weights.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelCard {
    /// Which decision.
    pub kind: ModelKind,
    /// The network size.
    pub preset: Preset,
    /// The observation layout ([`ENCODER_VERSION`]).
    pub encoder: String,
    /// How it was trained (free-form: the training command's config and results).
    #[serde(default)]
    pub training: serde_json::Value,
    /// A residual policy over the heuristic bot: the logit of the class the bot would
    /// take at this stage is raised by this much before the softmax, so the agent plays
    /// the bot's choice unless the network prefers another by more than this margin
    /// (self-play with `[ppo] teacher_prior`; 0: the network alone, as SL trains it).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub teacher_prior: f32,
}

fn is_zero(x: &f32) -> bool {
    *x == 0.0
}

/// A network size that cannot be built or grown into.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PresetError {
    /// Neither `paper`, `small` nor a custom size.
    #[error(
        "unknown preset {0:?} (paper, small, or a size like c16x16-d256: filters per \
         convolution joined by 'x', then the dense width; a convolution may name its kernel, \
         as in c64k1.366x64k3.1-d256, and then every one must)"
    )]
    Unknown(String),
    /// A size that does not make a network over the planes.
    #[error("preset {preset:?}: {reason}")]
    Invalid {
        /// The preset's name.
        preset: String,
        /// What is wrong.
        reason: String,
    },
    /// [`MeowjongNet::widened`] into a preset with other convolutions or a narrower dense
    /// layer.
    #[error(
        "a {from} model can only grow into one with the same convolutions {filters:?} and a \
         dense layer of at least {dense} units, not into {to}"
    )]
    CannotWiden {
        /// The trained model's preset.
        from: String,
        /// Its filters per convolution.
        filters: Vec<usize>,
        /// Its dense width.
        dense: usize,
        /// The preset asked for.
        to: String,
    },
}

/// One Meowjong CNN.
#[derive(Clone, Debug)]
pub struct MeowjongNet {
    /// Its description.
    pub card: ModelCard,
    convs: Vec<Conv2d>,
    conv_norms: Vec<BatchNorm>,
    dense: Dense,
    dense_norm: BatchNorm,
    out: Dense,
    dropout: Dropout,
    /// The eval-mode network with BatchNorms folded into the weights (CPU builds; built
    /// on the first eval-mode forward or by [`MeowjongNet::prepare_inference`], dropped
    /// whenever parameters may change).
    #[cfg(not(feature = "cuda"))]
    plan: Option<InferencePlan>,
}

impl MeowjongNet {
    /// A freshly initialised network.
    pub fn new(dev: &Dev, kind: ModelKind, preset: Preset, rng: &mut ChaCha8Rng) -> Self {
        let mut convs = Vec::new();
        let mut conv_norms = Vec::new();
        let mut c_in = 1;
        for (i, &f) in preset.filters.iter().enumerate() {
            convs.push(Conv2d::new(dev, c_in, f, preset.kernel(kind, i), rng));
            conv_norms.push(BatchNorm::new(dev, f));
            c_in = f;
        }
        let (h, w) = preset.output_size(kind);
        MeowjongNet {
            dense: Dense::new(dev, h * w * c_in, preset.dense, rng),
            dense_norm: BatchNorm::new(dev, preset.dense),
            out: Dense::new(dev, preset.dense, kind.classes(), rng),
            dropout: Dropout::new(preset.dropout),
            #[cfg(not(feature = "cuda"))]
            plan: None,
            convs,
            conv_norms,
            card: ModelCard {
                kind,
                preset,
                encoder: ENCODER_VERSION.into(),
                training: serde_json::Value::Null,
                teacher_prior: 0.0,
            },
        }
    }

    /// Logits `(B, classes)` for a batch of planes `[B, 34, 366, 1]`. Train mode uses
    /// batch statistics (and updates the running ones) and dropout drawn from `rng`.
    /// Eval mode without a gradient tape runs the folded inference network on the CPU.
    pub fn forward<T: Tape<f32, Dev> + Merge<T> + Default>(
        &mut self,
        x: Image<T>,
        mode: Mode,
        rng: &mut ChaCha8Rng,
    ) -> Matrix<T> {
        #[cfg(not(feature = "cuda"))]
        if mode == Mode::Eval && !T::OWNS_TAPE {
            let (x, tape) = x.split_tape();
            let b = x.shape().0;
            let logits = self.plan().logits(&meowlab_nn::nn::to_vec(&x), b);
            let classes = logits.len() / b.max(1);
            let y: Matrix = x.device().tensor_from_vec(logits, (b, classes));
            return y.put_tape(tape);
        }
        self.head(x, 0, mode, rng)
    }

    /// Convolutions from `first` on, then the dense layers.
    fn head<T: Tape<f32, Dev> + Merge<T> + Default>(
        &mut self,
        x: Image<T>,
        first: usize,
        mode: Mode,
        rng: &mut ChaCha8Rng,
    ) -> Matrix<T> {
        let mut x = x;
        let layers = self.convs.iter().zip(self.conv_norms.iter_mut());
        for (conv, norm) in layers.skip(first) {
            x = norm.forward_image_fused(conv.forward(x), mode, &self.dropout, rng);
        }
        let (b, h, w, c) = *x.shape();
        let flat = x.reshape_like(&(b, h * w * c));
        let hidden = self.dense.forward(flat);
        let hidden = self
            .dense_norm
            .forward_fused(hidden, mode, &self.dropout, rng);
        self.out.forward(hidden)
    }

    /// [`MeowjongNet::forward`] in train mode on an untracked input: the tape starts at
    /// the first convolution's parameters (no gradient is computed for the planes).
    pub fn forward_train(&mut self, x: Image, rng: &mut ChaCha8Rng) -> Matrix<Taped> {
        self.drop_plan(); // the weights are about to change
        let x = self.convs[0].forward_leaf(x);
        let x = self.conv_norms[0].forward_image_fused(x, Mode::Train, &self.dropout, rng);
        self.head(x, 1, Mode::Train, rng)
    }

    /// [`MeowjongNet::forward`] in eval mode (running BatchNorm statistics, no dropout)
    /// with a tape from the first convolution's parameters: the gradient of the very
    /// policy that acts, which is what on-policy RL needs (the Meowjong paper's code took
    /// it in train mode, the gradient of another policy).
    pub fn forward_frozen(&mut self, x: Image, rng: &mut ChaCha8Rng) -> Matrix<Taped> {
        self.drop_plan(); // the weights are about to change
        let x = self.convs[0].forward_leaf(x);
        let x = self.conv_norms[0].forward_image_fused(x, Mode::Eval, &self.dropout, rng);
        self.head(x, 1, Mode::Eval, rng)
    }

    /// This network reading two channels per cell, the planes and a mask, for the learned
    /// Shapley characteristic ([`crate::surrogate`]): the first convolution gets weights
    /// for the mask channel, zero, so the copy computes the same function of the planes
    /// until training teaches it what a hidden cell means (Frye et al. 2020 start their
    /// surrogate from the model the same way). Convolutions from the second on, the dense
    /// layers and the card are unchanged.
    pub(crate) fn with_mask_channel(&self, dev: &Dev) -> MeowjongNet {
        let mut net = self.clone();
        let first = &self.convs[0];
        let (taps, c_out) = *first.w.shape();
        let old = first.w.as_vec();
        let mut w = vec![0.0f32; 2 * taps * c_out];
        for tap in 0..taps {
            // row (i·kw + j)·C_in + c: channel 0 keeps the planes' weights, channel 1 is 0
            w[2 * tap * c_out..(2 * tap + 1) * c_out]
                .copy_from_slice(&old[tap * c_out..(tap + 1) * c_out]);
        }
        net.convs[0].w = dev.tensor_from_vec(w, (2 * taps, c_out));
        net.drop_plan();
        net
    }

    /// The first convolution (linear in the input: a surrogate sums its output per
    /// player).
    pub(crate) fn first_conv(&self) -> &Conv2d {
        &self.convs[0]
    }

    /// Eval-mode logits from the first convolution's output (its ReLU and BatchNorm,
    /// then the rest), without the inference plan (which reads one channel).
    pub(crate) fn logits_after_first_conv(&mut self, first: Image, rng: &mut ChaCha8Rng) -> Matrix {
        let x = self.conv_norms[0].forward_image_fused(first, Mode::Eval, &self.dropout, rng);
        self.head(x, 1, Mode::Eval, rng)
    }

    /// Eval-mode logits without the inference plan (any input channels).
    pub(crate) fn logits_unplanned(&mut self, x: Image, rng: &mut ChaCha8Rng) -> Matrix {
        self.head(x, 0, Mode::Eval, rng)
    }

    /// This network with a wider hidden dense layer, computing the same function: the
    /// trained units are kept, the new ones get fresh incoming weights (and a fresh
    /// BatchNorm) and zero outgoing weights, so training continues from the trained
    /// model's accuracy with more capacity (Net2Net-style growth) instead of from scratch.
    /// `preset` must have the same convolutions and a dense layer at least as wide.
    pub fn widened(&self, preset: &Preset, rng: &mut ChaCha8Rng) -> Result<Self, PresetError> {
        let (old, dense) = (self.card.preset.dense, preset.dense);
        if !preset.same_convolutions(&self.card.preset, self.card.kind) || dense < old {
            return Err(PresetError::CannotWiden {
                from: self.card.preset.name.clone(),
                filters: self.card.preset.filters.clone(),
                dense: old,
                to: preset.name.clone(),
            });
        }
        let dev = self.dense.w.device().clone();
        let mut wide = MeowjongNet::new(&dev, self.card.kind, preset.clone(), rng);
        wide.convs = self.convs.clone();
        wide.conv_norms = self.conv_norms.clone();
        wide.card.training = self.card.training.clone();
        // (rows, old) → (rows, dense): the first `old` columns of each row are kept
        let keep_columns = |kept: &Matrix, fresh: &Matrix| -> Matrix {
            let (rows, _) = *kept.shape();
            let (kept, mut out) = (kept.as_vec(), fresh.as_vec());
            for (dst, src) in out.chunks_exact_mut(dense).zip(kept.chunks_exact(old)) {
                dst[..old].copy_from_slice(src);
            }
            dev.tensor_from_vec(out, (rows, dense))
        };
        wide.dense.w = keep_columns(&self.dense.w, &wide.dense.w);
        wide.dense.b = keep_columns(&self.dense.b, &wide.dense.b);
        let (old_norm, new_norm) = (&self.dense_norm, &mut wide.dense_norm);
        new_norm.gamma = keep_columns(&old_norm.gamma, &new_norm.gamma);
        new_norm.beta = keep_columns(&old_norm.beta, &new_norm.beta);
        new_norm.running_mean = keep_columns(&old_norm.running_mean, &new_norm.running_mean);
        new_norm.running_var = keep_columns(&old_norm.running_var, &new_norm.running_var);
        let classes = self.card.kind.classes();
        let mut out_w = self.out.w.as_vec();
        out_w.resize(dense * classes, 0.0);
        wide.out.w = dev.tensor_from_vec(out_w, (dense, classes));
        wide.out.b = self.out.b.clone();
        Ok(wide)
    }

    /// Builds the eval-mode network now (it is otherwise built on the first eval-mode
    /// forward): every BatchNorm folded into the next layer's weights, dropout gone, the
    /// layer buffers kept between calls. Training drops it; parameters changed through
    /// [`Params::visit_mut`] or loaded buffers drop it too.
    pub fn prepare_inference(&mut self) {
        #[cfg(not(feature = "cuda"))]
        {
            self.plan();
        }
    }

    #[cfg(not(feature = "cuda"))]
    fn plan(&mut self) -> &mut InferencePlan {
        if self.plan.is_none() {
            self.plan = Some(InferencePlan::from_layers(
                (ROWS, COLS),
                &self.convs,
                &self.conv_norms,
                &self.dense,
                &self.dense_norm,
                &self.out,
            ));
        }
        self.plan.as_mut().expect("built above")
    }

    fn drop_plan(&mut self) {
        #[cfg(not(feature = "cuda"))]
        {
            self.plan = None;
        }
    }

    /// Class probabilities for a batch of dense planes (`B × 34 × 366` floats), in eval
    /// mode.
    pub fn predict(&mut self, planes: &[f32], rng: &mut ChaCha8Rng) -> Vec<f32> {
        let b = planes.len() / (ROWS * COLS);
        #[cfg(not(feature = "cuda"))]
        {
            let _ = rng;
            let logits = self.plan().logits(planes, b);
            softmax_rows(logits, b)
        }
        #[cfg(feature = "cuda")]
        {
            let dev = self.dense.w.device().clone();
            let x: Image = dev.tensor_from_vec(planes.to_vec(), (b, ROWS, COLS, 1));
            self.forward(x, Mode::Eval, rng)
                .softmax::<Axis<1>>()
                .as_vec()
        }
    }

    /// Writes `<stem>.safetensors` and the `<stem>.json` card.
    pub fn save(&self, stem: &Path) -> Result<(), NnError> {
        save_state(self, &stem.with_extension("safetensors"))?;
        let json = serde_json::to_string_pretty(&self.card).expect("card serialises");
        let path = stem.with_extension("json");
        std::fs::write(&path, json).map_err(|source| NnError::Io {
            path: path.display().to_string(),
            source,
        })
    }

    /// Reads a model named the way users name one: its folder (`<out>/discard-small/`) or
    /// its stem (`…/model`, with or without extension). See [`model_stem`].
    pub fn open(dev: &Dev, path: &Path) -> Result<Self, NnError> {
        Self::load(dev, &model_stem(path))
    }

    /// Reads a model written by [`MeowjongNet::save`] (`stem` with or without extension).
    pub fn load(dev: &Dev, stem: &Path) -> Result<Self, NnError> {
        let stem: PathBuf = stem.with_extension("");
        let card_path = stem.with_extension("json");
        let text = std::fs::read_to_string(&card_path).map_err(|source| NnError::Io {
            path: card_path.display().to_string(),
            source,
        })?;
        let card: ModelCard = serde_json::from_str(&text).map_err(|e| NnError::Format {
            path: card_path.display().to_string(),
            message: e.to_string(),
        })?;
        if card.encoder != ENCODER_VERSION {
            return Err(NnError::Format {
                path: card_path.display().to_string(),
                message: format!(
                    "trained on observation layout {:?}, this build encodes {ENCODER_VERSION:?}",
                    card.encoder
                ),
            });
        }
        card.preset.check().map_err(|e| NnError::Format {
            path: card_path.display().to_string(),
            message: e.to_string(),
        })?;
        if !(card.teacher_prior.is_finite() && card.teacher_prior >= 0.0) {
            return Err(NnError::Format {
                path: card_path.display().to_string(),
                message: format!(
                    "teacher_prior {} is not a finite number ≥ 0",
                    card.teacher_prior
                ),
            });
        }
        let mut rng = <ChaCha8Rng as rand::SeedableRng>::seed_from_u64(0);
        let mut net = MeowjongNet::new(dev, card.kind, card.preset.clone(), &mut rng);
        load_state(&mut net, &stem.with_extension("safetensors"))?;
        net.card = card;
        Ok(net)
    }
}

/// Row-wise softmax of `(rows, classes)` logits (max-shifted).
#[cfg(not(feature = "cuda"))]
fn softmax_rows(mut logits: Vec<f32>, rows: usize) -> Vec<f32> {
    let classes = logits.len() / rows.max(1);
    for row in logits.chunks_exact_mut(classes.max(1)) {
        let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let mut sum = 0.0;
        for v in row.iter_mut() {
            *v = (*v - max).exp();
            sum += *v;
        }
        row.iter_mut().for_each(|v| *v /= sum);
    }
    logits
}

impl Params for MeowjongNet {
    fn visit(&self, f: &mut dyn FnMut(&str, &Matrix)) {
        for (i, (c, n)) in self.convs.iter().zip(&self.conv_norms).enumerate() {
            c.visit(&mut |name, t| f(&format!("conv{i}.{name}"), t));
            n.visit(&mut |name, t| f(&format!("conv{i}_bn.{name}"), t));
        }
        f("dense.weight", &self.dense.w);
        f("dense.bias", &self.dense.b);
        self.dense_norm
            .visit(&mut |name, t| f(&format!("dense_bn.{name}"), t));
        f("out.weight", &self.out.w);
        f("out.bias", &self.out.b);
    }

    fn visit_mut(&mut self, f: &mut dyn FnMut(&str, &mut Matrix)) {
        self.drop_plan();
        for (i, (c, n)) in self
            .convs
            .iter_mut()
            .zip(self.conv_norms.iter_mut())
            .enumerate()
        {
            c.visit_mut(&mut |name, t| f(&format!("conv{i}.{name}"), t));
            n.visit_mut(&mut |name, t| f(&format!("conv{i}_bn.{name}"), t));
        }
        f("dense.weight", &mut self.dense.w);
        f("dense.bias", &mut self.dense.b);
        self.dense_norm
            .visit_mut(&mut |name, t| f(&format!("dense_bn.{name}"), t));
        f("out.weight", &mut self.out.w);
        f("out.bias", &mut self.out.b);
    }
}

impl Buffers for MeowjongNet {
    fn visit_buffers(&self, f: &mut dyn FnMut(&str, &Matrix)) {
        for (i, n) in self.conv_norms.iter().enumerate() {
            n.visit_buffers(&mut |name, t| f(&format!("conv{i}_bn.{name}"), t));
        }
        self.dense_norm
            .visit_buffers(&mut |name, t| f(&format!("dense_bn.{name}"), t));
    }

    fn visit_buffers_mut(&mut self, f: &mut dyn FnMut(&str, &mut Matrix)) {
        self.drop_plan();
        for (i, n) in self.conv_norms.iter_mut().enumerate() {
            n.visit_buffers_mut(&mut |name, t| f(&format!("conv{i}_bn.{name}"), t));
        }
        self.dense_norm
            .visit_buffers_mut(&mut |name, t| f(&format!("dense_bn.{name}"), t));
    }
}

/// The file stem of a saved model from its folder (`<out>/discard-small/` →
/// `<out>/discard-small/model`) or from a stem or file path (extension dropped).
pub fn model_stem(path: &Path) -> PathBuf {
    if path.is_dir() {
        path.join("model")
    } else {
        path.with_extension("")
    }
}

/// The folder a model of `kind` with preset `preset` is saved to under `out`, as
/// `meowlab train-sl` writes it: `<out>/<kind>-<preset>/`.
pub fn model_dir(out: &Path, kind: ModelKind, preset: &str) -> PathBuf {
    out.join(format!("{}-{preset}", kind.name()))
}

/// The folders of the five models under `dir`, in [`ModelKind::ALL`] order: one
/// `<kind>-<preset>/` folder with `model.json` per kind (presets may differ between
/// kinds; two folders of one kind are ambiguous and an error).
pub fn find_models(dir: &Path) -> Result<Vec<PathBuf>, NnError> {
    let entries = std::fs::read_dir(dir).map_err(|source| NnError::Io {
        path: dir.display().to_string(),
        source,
    })?;
    let mut folders: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("model.json").is_file())
        .collect();
    folders.sort();
    let mut found_all = Vec::new();
    for kind in ModelKind::ALL {
        let prefix = format!("{}-", kind.name());
        let found: Vec<&PathBuf> = folders
            .iter()
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with(&prefix))
            })
            .collect();
        match found.as_slice() {
            [one] => found_all.push((*one).clone()),
            [] => {
                return Err(NnError::Format {
                    path: dir.display().to_string(),
                    message: format!(
                        "no {} model (a {}<preset>/ folder with model.json; train it with \
                         `meowlab train-sl --model {}`)",
                        kind.name(),
                        prefix,
                        kind.name()
                    ),
                })
            }
            many => {
                return Err(NnError::Format {
                    path: dir.display().to_string(),
                    message: format!("several {} models: {many:?}", kind.name()),
                })
            }
        }
    }
    Ok(found_all)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    /// The policy gradient through the frozen (eval-mode) network equals finite
    /// differences of the loss `−mean_i w_i log π(a_i)` over the legal tiles (computed
    /// from the acting network's logits) for weights of every layer, the first
    /// convolution's included (where the tape starts at the leaf).
    #[test]
    fn model_kind_index_is_the_position_in_all() {
        for (i, k) in ModelKind::ALL.into_iter().enumerate() {
            assert_eq!(k.index(), i);
        }
    }

    #[test]
    fn frozen_policy_gradient_matches_finite_differences() {
        use dfdx::prelude::*;
        use rand::Rng;
        let dev = Dev::default();
        let mut rng = ChaCha8Rng::seed_from_u64(12);
        let preset = Preset::by_name("c3x2-d8").unwrap();
        let mut net = MeowjongNet::new(&dev, ModelKind::Discard, preset, &mut rng);
        // running statistics away from 0/1, so eval mode is not the identity
        net.visit_buffers_mut(&mut |_, t: &mut Matrix| {
            let v: Vec<f32> = t.as_vec().iter().map(|x| x + 0.3).collect();
            t.copy_from(&v);
        });
        // conv biases well above 0: every ReLU is in its linear part, so finite
        // differences see no kinks
        for conv in &mut net.convs {
            let b: Vec<f32> = conv.b.as_vec().iter().map(|v| v.abs() + 3.0).collect();
            conv.b.copy_from(&b);
        }
        let batch = 3;
        let mut planes = vec![0.0f32; batch * ROWS * COLS];
        for (i, v) in planes.iter_mut().enumerate() {
            if rng.gen_bool(0.1) || (i % COLS == 1 && rng.gen_bool(0.5)) {
                *v = 1.0;
            }
        }
        let in_hand = |b: usize, k: usize| planes[b * ROWS * COLS + k * COLS + 1] > 0.0;
        let labels: Vec<usize> = (0..batch)
            .map(|b| (0..ROWS).find(|&k| in_hand(b, k)).unwrap())
            .collect();
        let weights = [1.5f64, -0.7, 0.4];
        // the loss as the trainer computes it, in f64 from eval-mode logits
        let loss_of = |net: &mut MeowjongNet| -> f64 {
            let x: Image = dev.tensor_from_vec(planes.clone(), (batch, ROWS, COLS, 1));
            let logits = net
                .forward(x, Mode::Eval, &mut ChaCha8Rng::seed_from_u64(0))
                .as_vec();
            let mut total = 0.0;
            for b in 0..batch {
                let row: Vec<f64> = (0..ROWS)
                    .filter(|&k| in_hand(b, k))
                    .map(|k| f64::from(logits[b * ROWS + k]))
                    .collect();
                let max = row.iter().cloned().fold(f64::MIN, f64::max);
                let lse = max + row.iter().map(|v| (v - max).exp()).sum::<f64>().ln();
                total -= weights[b] * (f64::from(logits[b * ROWS + labels[b]]) - lse);
            }
            total / batch as f64
        };
        // the analytic gradient
        let x: Image = dev.tensor_from_vec(planes.clone(), (batch, ROWS, COLS, 1));
        let mut mask = vec![-1e9f32; batch * ROWS];
        for b in 0..batch {
            for k in 0..ROWS {
                if in_hand(b, k) {
                    mask[b * ROWS + k] = 0.0;
                }
            }
        }
        let mask: Matrix = dev.tensor_from_vec(mask, (batch, ROWS));
        let logits = net.forward_frozen(x, &mut rng) + mask;
        let mut target = vec![0.0f32; batch * ROWS];
        for b in 0..batch {
            target[b * ROWS + labels[b]] = weights[b] as f32;
        }
        let target: Matrix = dev.tensor_from_vec(target, (batch, ROWS));
        let loss = cross_entropy_with_logits_loss(logits, target);
        let analytic = f64::from(loss.array());
        assert!(
            (analytic - loss_of(&mut net)).abs() < 1e-4,
            "{analytic} vs {}",
            loss_of(&mut net)
        );
        let grads = loss.backward();
        let g_out = grads.get(&net.out.w).as_vec();
        let g_conv = grads.get(&net.convs[0].w).as_vec();
        let g_conv1 = grads.get(&net.convs[1].w).as_vec();
        let g_dense = grads.get(&net.dense.w).as_vec();
        let eps = 3e-2f32;
        let mut check = |which: usize, j: usize, g: f32| {
            let nudge = |net: &mut MeowjongNet, d: f32| {
                let w = match which {
                    0 => &mut net.out.w,
                    1 => &mut net.convs[0].w,
                    2 => &mut net.convs[1].w,
                    _ => &mut net.dense.w,
                };
                let mut v = w.as_vec();
                v[j] += d;
                w.copy_from(&v);
                net.drop_plan();
            };
            nudge(&mut net, eps);
            let up = loss_of(&mut net);
            nudge(&mut net, -2.0 * eps);
            let down = loss_of(&mut net);
            nudge(&mut net, eps);
            let numeric = (up - down) / (2.0 * f64::from(eps));
            assert!(
                (numeric - f64::from(g)).abs() <= 1e-4 + 0.03 * numeric.abs(),
                "parameter {which}/{j}: finite differences {numeric}, gradient {g}"
            );
        };
        for j in [0, 5, 17] {
            check(0, j, g_out[j]);
        }
        for j in [0, 2, 4] {
            check(1, j, g_conv[j]);
        }
        for j in [0, 3, 7] {
            check(2, j, g_conv1[j]);
            check(3, j, g_dense[j]);
        }
    }

    /// A row's probabilities do not depend on the other rows of its batch, bit for bit:
    /// what makes arena results independent of the number of games in flight.
    #[test]
    fn predictions_do_not_depend_on_the_batch() {
        use rand::Rng;
        let mut rng = ChaCha8Rng::seed_from_u64(4);
        let dev = Dev::default();
        for preset in [Preset::small(), Preset::by_name("c8x8-d32").unwrap()] {
            let mut net = MeowjongNet::new(&dev, ModelKind::Discard, preset.clone(), &mut rng);
            net.prepare_inference();
            let rows = 40;
            let planes: Vec<f32> = (0..rows * ROWS * COLS)
                .map(|_| if rng.gen_bool(0.05) { 1.0 } else { 0.0 })
                .collect();
            let all = net.predict(&planes, &mut rng);
            let classes = all.len() / rows;
            for (start, len) in [(0, 1), (3, 1), (5, 7), (0, 8), (0, 9), (11, 29), (39, 1)] {
                let part = net.predict(
                    &planes[start * ROWS * COLS..(start + len) * ROWS * COLS],
                    &mut rng,
                );
                assert!(
                    part == all[start * classes..(start + len) * classes],
                    "{}: rows {start}..{} alone differ from the same rows in a batch of {rows}",
                    preset.name,
                    start + len
                );
            }
        }
    }

    #[test]
    fn custom_presets_parse_and_bad_ones_are_refused() {
        let p = Preset::by_name("c16x32-d128").unwrap();
        assert_eq!((p.filters.clone(), p.dense), (vec![16, 32], 128));
        assert_eq!(p.name, "c16x32-d128");
        let p = Preset::by_name("c64k1.366x32k3.1-d256").unwrap();
        assert_eq!((p.filters.clone(), p.dense), (vec![64, 32], 256));
        assert_eq!(p.kernels, vec![(1, 366), (3, 1)]);
        assert_eq!(p.output_size(ModelKind::Pon), (32, 1));
        // 1×366×1×64 + 64 + 128, 3×1×64×32 + 32 + 64, 32·32×256 + 3·256, 256×2 + 2
        let expected = 23_424 + 64 + 128 + 6_144 + 96 + 262_144 + 768 + 514;
        assert_eq!(p.num_params(ModelKind::Pon), expected);
        for bad in [
            "big",
            "c-d64",
            "c16x-d64",
            "c16",
            "c0-d64",
            "c16-d0",
            "c16-dx",
            "c8k1.366x8-d16",
            "c8k1-d16",
            "c8k0.3-d16",
            "c8k35.1-d16",
            "c8k1.300x8k1.68-d16",
        ] {
            let err = Preset::by_name(bad).unwrap_err().to_string();
            assert!(err.contains(bad), "{err}");
        }
    }

    #[test]
    fn paper_preset_sizes_match_the_paper() {
        let p = Preset::paper();
        assert_eq!(p.output_size(ModelKind::Discard), (22, 350));
        // The dense layer dominates: 22 × 350 × 32 inputs × 256 units ≈ 63M weights.
        let n = p.num_params(ModelKind::Discard);
        assert!((63_000_000..64_000_000).contains(&n), "{n}");
        assert_eq!(p.output_size(ModelKind::Kan), (30, 358));
        assert_eq!(p.output_size(ModelKind::Kita), (26, 362));
    }

    #[cfg(not(feature = "cuda"))]
    #[test]
    fn the_folded_inference_network_equals_the_layered_one() {
        let dev = Dev::default();
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        // 8 channels: the direct kernels; 64: grouped direct kernels; 32: im2col + sgemm
        let presets = ["c8x8-d64", "small", "c4x32-d16"].map(|p| Preset::by_name(p).unwrap());
        for preset in presets {
            let mut net = MeowjongNet::new(&dev, ModelKind::Discard, preset, &mut rng);
            let planes: Vec<f32> = (0..12 * ROWS * COLS)
                .map(|i| ((i * 11) % 13 == 0) as u8 as f32)
                .collect();
            // running statistics and affine parameters away from their initial values
            for _ in 0..3 {
                let x: Image = dev.tensor_from_vec(planes.clone(), (12, ROWS, COLS, 1));
                let _ = net.forward_train(x, &mut rng);
            }
            net.visit_mut(&mut |name, t| {
                if name.ends_with("_bn.weight") || name.ends_with("_bn.bias") {
                    let v: Vec<f32> = t
                        .as_vec()
                        .iter()
                        .enumerate()
                        .map(|(i, v)| v + 0.1 * (i % 5) as f32 - 0.2)
                        .collect();
                    t.copy_from(&v);
                }
            });
            for rows in [1, 3, 12] {
                let part = &planes[..rows * ROWS * COLS];
                let x: Image = dev.tensor_from_vec(part.to_vec(), (rows, ROWS, COLS, 1));
                let layered = net
                    .head(x, 0, Mode::Eval, &mut rng)
                    .softmax::<Axis<1>>()
                    .as_vec();
                let folded = net.predict(part, &mut rng);
                assert!(net.plan.is_some());
                assert_eq!(layered.len(), folded.len());
                for (a, b) in layered.iter().zip(&folded) {
                    assert!((a - b).abs() < 1e-5, "{rows} rows: {a} vs {b}");
                }
            }
            let x: Image = dev.tensor_from_vec(planes, (12, ROWS, COLS, 1));
            let _ = net.forward_train(x, &mut rng);
            assert!(net.plan.is_none(), "training drops the folded network");
            net.prepare_inference();
            net.visit_mut(&mut |_, _| {});
            assert!(net.plan.is_none(), "so does any access to the parameters");
        }
    }

    #[test]
    fn a_widened_dense_layer_computes_the_same_function_and_then_learns() {
        let dev = Dev::default();
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let planes: Vec<f32> = (0..4 * ROWS * COLS)
            .map(|i| ((i * 5) % 7 == 0) as u8 as f32)
            .collect();
        let narrow_preset = Preset::by_name("c4-d8").unwrap();
        let mut narrow = MeowjongNet::new(&dev, ModelKind::Pon, narrow_preset, &mut rng);
        let x: Image = dev.tensor_from_vec(planes.clone(), (4, ROWS, COLS, 1));
        let _ = narrow.forward_train(x, &mut rng); // running statistics move
        let wide_preset = Preset::by_name("c4-d20").unwrap();
        let mut wide = narrow.widened(&wide_preset, &mut rng).unwrap();
        assert_eq!(wide.card.preset, wide_preset);
        let mut counted = 0;
        wide.visit(&mut |_, t| counted += t.shape().0 * t.shape().1);
        assert_eq!(counted, wide_preset.num_params(ModelKind::Pon));
        let (before, after) = (
            narrow.predict(&planes, &mut rng),
            wide.predict(&planes, &mut rng),
        );
        for (a, b) in before.iter().zip(&after) {
            assert!((a - b).abs() < 1e-5, "{before:?} vs {after:?}");
        }
        // the new units start silent (zero outgoing weights) and are connected: one
        // gradient step gives them outgoing weights
        let new_rows = |net: &MeowjongNet| net.out.w.as_vec()[8 * 2..].to_vec();
        assert!(new_rows(&wide).iter().all(|&v| v == 0.0));
        let mut trainer = crate::sl::Trainer::with_net(&dev, wide, 1e-2, rng.clone());
        let _ = trainer.train_batch(planes.clone(), &[0, 1, 1, 0]);
        assert!(new_rows(&trainer.net).iter().all(|&v| v != 0.0));
        // other convolutions, or a narrower dense layer, are refused
        for bad in ["c8-d20", "c4x4-d20", "c4-d4"] {
            let err = narrow
                .widened(&Preset::by_name(bad).unwrap(), &mut rng)
                .unwrap_err()
                .to_string();
            assert!(err.contains(bad), "{err}");
        }
    }

    #[test]
    fn small_nets_give_probabilities_and_round_trip_through_files() {
        let dev = Dev::default();
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let dir = std::env::temp_dir().join(format!("meowjong-net-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let planes: Vec<f32> = (0..2 * ROWS * COLS)
            .map(|i| ((i * 7) % 3 == 0) as u8 as f32)
            .collect();
        for kind in ModelKind::ALL {
            let mut net = MeowjongNet::new(&dev, kind, Preset::small(), &mut rng);
            let mut counted = 0;
            net.visit(&mut |_, t| counted += t.shape().0 * t.shape().1);
            assert_eq!(counted, Preset::small().num_params(kind), "{kind:?}");
            let p = net.predict(&planes, &mut rng);
            assert_eq!(p.len(), 2 * kind.classes());
            assert!((p[..kind.classes()].iter().sum::<f32>() - 1.0).abs() < 1e-4);
            let stem = dir.join(kind.name());
            net.save(&stem).unwrap();
            let mut back = MeowjongNet::load(&dev, &stem).unwrap();
            assert_eq!(back.card, net.card);
            assert_eq!(back.predict(&planes, &mut rng), p);
        }
        // A card from another encoder version is refused with the file named.
        let card = dir.join("discard.json");
        let text = std::fs::read_to_string(&card)
            .unwrap()
            .replace(ENCODER_VERSION, "v0");
        std::fs::write(&card, text).unwrap();
        let err = MeowjongNet::load(&dev, &dir.join("discard"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("discard.json") && err.contains("v0"), "{err}");
        // So is a card whose kernel does not fit the planes (a hand edit).
        let card = dir.join("pon.json");
        let mut json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&card).unwrap()).unwrap();
        json["preset"]["kernels"][0] = serde_json::json!([1, 400]);
        std::fs::write(&card, json.to_string()).unwrap();
        let err = MeowjongNet::load(&dev, &dir.join("pon"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("pon.json") && err.contains("1×400"), "{err}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
