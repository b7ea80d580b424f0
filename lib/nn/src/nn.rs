//! Runtime-sized networks on dfdx tensors: dense layers, MLPs, Adam/RMSprop with optional
//! global-norm gradient clipping, parameter noise, and safetensors save/load.

use std::collections::BTreeMap;
use std::path::Path;

use dfdx::prelude::*;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

/// The compute device: dfdx's CPU, or CUDA with the `cuda` feature.
#[cfg(not(feature = "cuda"))]
pub type Dev = Cpu;
/// The compute device: dfdx's CPU, or CUDA with the `cuda` feature.
#[cfg(feature = "cuda")]
pub type Dev = Cuda;

/// A runtime-sized f32 matrix on [`Dev`], optionally recording gradients on tape `T`.
pub type Matrix<T = NoneTape> = Tensor<(usize, usize), f32, Dev, T>;

/// The tape used while training.
pub type Taped = OwnedTape<f32, Dev>;

/// The values of a tensor in row-major order by `memcpy` (dfdx's `as_vec` walks an index
/// iterator, ~10× slower on large tensors); `contiguous` first, which is free unless `t`
/// is a strided view.
#[cfg(not(feature = "cuda"))]
pub fn to_vec<S: Shape, T>(t: &Tensor<S, f32, Dev, T>) -> Vec<f32> {
    let t = t.retaped::<NoneTape>().contiguous();
    let mut v = vec![0.0f32; t.shape().num_elements()];
    t.copy_into(&mut v);
    v
}

/// Tensors read from a safetensors file: name → (shape, data).
type NamedTensors = BTreeMap<String, (Vec<usize>, Vec<f32>)>;

/// Errors of saving and loading parameters.
#[derive(Debug, thiserror::Error)]
pub enum NnError {
    /// File system error.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is not valid safetensors or lacks/mismatches a tensor.
    #[error("{path}: {message}")]
    Format {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
    },
}

/// Hidden-layer nonlinearity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Activation {
    /// max(0, x)
    Relu,
    /// tanh(x)
    Tanh,
}

/// A fully connected layer `y = x W + b`, W of shape (in, out), b stored as (1, out).
#[derive(Clone, Debug)]
pub struct Dense {
    /// Weights, (in, out).
    pub w: Matrix,
    /// Bias, (1, out).
    pub b: Matrix,
}

impl Dense {
    /// PyTorch's default initialisation: W and b ~ U(−1/√in, 1/√in).
    pub fn new(dev: &Dev, inputs: usize, outputs: usize, rng: &mut ChaCha8Rng) -> Self {
        let bound = 1.0 / (inputs as f32).sqrt();
        Self::uniform(dev, inputs, outputs, bound, rng)
    }

    /// W and b ~ U(−bound, bound) (DDPG's final layers use 3e−3).
    pub fn uniform(
        dev: &Dev,
        inputs: usize,
        outputs: usize,
        bound: f32,
        rng: &mut ChaCha8Rng,
    ) -> Self {
        let mut sample = |n: usize| (0..n).map(|_| rng.gen_range(-bound..=bound)).collect();
        Dense {
            w: dev.tensor_from_vec(sample(inputs * outputs), (inputs, outputs)),
            b: dev.tensor_from_vec(sample(outputs), (1, outputs)),
        }
    }

    /// Orthogonal initialisation with `gain` and zero bias (CleanRL's PPO `layer_init`).
    pub fn orthogonal(
        dev: &Dev,
        inputs: usize,
        outputs: usize,
        gain: f32,
        rng: &mut ChaCha8Rng,
    ) -> Self {
        Dense {
            w: dev.tensor_from_vec(orthogonal(inputs, outputs, gain, rng), (inputs, outputs)),
            b: dev.zeros_like(&(1, outputs)),
        }
    }

    /// Applies the layer to a batch (rows are samples).
    pub fn forward<T: Tape<f32, Dev> + Merge<T> + Default>(&self, x: Matrix<T>) -> Matrix<T> {
        let (batch, _) = *x.shape();
        let outputs = self.w.shape().1;
        let y = x.matmul(self.w.retaped::<T>());
        let b = self
            .b
            .retaped::<T>()
            .reshape_like(&(outputs,))
            .broadcast_like::<_, Axis<0>>(&(batch, outputs));
        y + b
    }
}

/// A random orthogonal (in × out) matrix scaled by `gain` (Gram–Schmidt on Gaussian
/// columns or rows, whichever are fewer).
fn orthogonal(rows: usize, cols: usize, gain: f32, rng: &mut ChaCha8Rng) -> Vec<f32> {
    let (n, m) = if rows >= cols {
        (cols, rows)
    } else {
        (rows, cols)
    };
    // n orthonormal vectors of length m.
    let mut basis: Vec<Vec<f64>> = Vec::with_capacity(n);
    while basis.len() < n {
        let mut v: Vec<f64> = (0..m).map(|_| StandardNormal.sample(rng)).collect();
        for u in &basis {
            let dot: f64 = v.iter().zip(u).map(|(a, b)| a * b).sum();
            v.iter_mut().zip(u).for_each(|(a, b)| *a -= dot * b);
        }
        let norm = v.iter().map(|a| a * a).sum::<f64>().sqrt();
        if norm > 1e-6 {
            basis.push(v.into_iter().map(|a| a / norm).collect());
        }
    }
    let mut out = vec![0.0f32; rows * cols];
    for r in 0..rows {
        for c in 0..cols {
            let v = if rows >= cols {
                basis[c][r]
            } else {
                basis[r][c]
            };
            out[r * cols + c] = gain * v as f32;
        }
    }
    out
}

/// A multi-layer perceptron: dense layers with a nonlinearity between them and a linear
/// output.
#[derive(Clone, Debug)]
pub struct Mlp {
    /// The layers, input first.
    pub layers: Vec<Dense>,
    /// The hidden nonlinearity.
    pub activation: Activation,
}

impl Mlp {
    /// `sizes = [in, hidden..., out]` with PyTorch's default initialisation.
    pub fn new(dev: &Dev, sizes: &[usize], activation: Activation, rng: &mut ChaCha8Rng) -> Self {
        let layers = sizes
            .windows(2)
            .map(|w| Dense::new(dev, w[0], w[1], rng))
            .collect();
        Mlp { layers, activation }
    }

    /// Orthogonal initialisation (gain √2 hidden, `out_gain` last), zero biases.
    pub fn orthogonal(
        dev: &Dev,
        sizes: &[usize],
        activation: Activation,
        out_gain: f32,
        rng: &mut ChaCha8Rng,
    ) -> Self {
        let last = sizes.len().saturating_sub(2);
        let layers = sizes
            .windows(2)
            .enumerate()
            .map(|(i, w)| {
                let gain = if i == last { out_gain } else { 2f32.sqrt() };
                Dense::orthogonal(dev, w[0], w[1], gain, rng)
            })
            .collect();
        Mlp { layers, activation }
    }

    /// Input width.
    pub fn inputs(&self) -> usize {
        self.layers.first().map_or(0, |l| l.w.shape().0)
    }

    /// Output width.
    pub fn outputs(&self) -> usize {
        self.layers.last().map_or(0, |l| l.w.shape().1)
    }

    /// Applies the network to a batch.
    pub fn forward<T: Tape<f32, Dev> + Merge<T> + Default>(&self, x: Matrix<T>) -> Matrix<T> {
        let mut x = x;
        let n = self.layers.len();
        for (i, layer) in self.layers.iter().enumerate() {
            x = layer.forward(x);
            if i + 1 < n {
                x = match self.activation {
                    Activation::Relu => x.relu(),
                    Activation::Tanh => x.tanh(),
                };
            }
        }
        x
    }
}

/// Anything with named trainable matrices.
pub trait Params {
    /// Visits every parameter with a stable name (the safetensors key).
    fn visit(&self, f: &mut dyn FnMut(&str, &Matrix));
    /// Visits every parameter mutably, in the same order as [`Params::visit`].
    fn visit_mut(&mut self, f: &mut dyn FnMut(&str, &mut Matrix));

    /// Number of scalar parameters.
    fn num_params(&self) -> usize {
        let mut n = 0;
        self.visit(&mut |_, t| n += t.shape().0 * t.shape().1);
        n
    }
}

impl Params for Mlp {
    fn visit(&self, f: &mut dyn FnMut(&str, &Matrix)) {
        for (i, l) in self.layers.iter().enumerate() {
            f(&format!("{i}.weight"), &l.w);
            f(&format!("{i}.bias"), &l.b);
        }
    }

    fn visit_mut(&mut self, f: &mut dyn FnMut(&str, &mut Matrix)) {
        for (i, l) in self.layers.iter_mut().enumerate() {
            f(&format!("{i}.weight"), &mut l.w);
            f(&format!("{i}.bias"), &mut l.b);
        }
    }
}

/// Moves `target` towards `online`: target ← τ·online + (1 − τ)·target (τ = 1 copies).
pub fn soft_update<P: Params>(target: &mut P, online: &P, tau: f32) {
    let mut sources = Vec::new();
    online.visit(&mut |_, t| sources.push(t.clone()));
    let mut i = 0;
    target.visit_mut(&mut |_, t| {
        if tau >= 1.0 {
            *t = sources[i].clone();
        } else {
            t.axpy(1.0 - tau, &sources[i], tau);
        }
        i += 1;
    });
}

/// Adds N(0, σ²) to every parameter (parameter-space noise, Plappert et al. 2018).
pub fn perturb<P: Params>(model: &mut P, sigma: f32, rng: &mut ChaCha8Rng) {
    model.visit_mut(&mut |_, t| {
        let (r, c) = *t.shape();
        let noise: Vec<f32> = (0..r * c)
            .map(|_| {
                let z: f32 = StandardNormal.sample(rng);
                sigma * z
            })
            .collect::<Vec<f32>>();
        let noise = t.device().tensor_from_vec(noise, (r, c));
        *t = t.clone() + noise;
    });
}

/// Which optimizer.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OptimizerKind {
    /// Adam (Kingma & Ba), betas (0.9, 0.999).
    Adam,
    /// RMSprop as in SB3's A2C (α 0.99, ε 1e−5).
    Rmsprop,
}

/// Optimizer hyper-parameters.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct OptimizerConfig {
    /// Which update rule.
    pub kind: OptimizerKind,
    /// Learning rate.
    pub lr: f64,
    /// ε in the denominator.
    pub eps: f64,
    /// Clip the global gradient norm to this value (PPO/A2C: 0.5).
    pub max_grad_norm: Option<f64>,
}

impl OptimizerConfig {
    /// Adam with PyTorch's ε (1e−8) and no clipping.
    pub fn adam(lr: f64) -> Self {
        OptimizerConfig {
            kind: OptimizerKind::Adam,
            lr,
            eps: 1e-8,
            max_grad_norm: None,
        }
    }
}

/// A first-order optimizer whose state is plain tensors (so it saves and resumes).
pub struct Optimizer {
    /// Hyper-parameters (the learning rate may be annealed between steps).
    pub config: OptimizerConfig,
    /// Updates applied so far.
    pub t: u64,
    m: Vec<Matrix>,
    v: Vec<Matrix>,
    /// The moments as host vectors while the CPU Adam path owns them (updated in place;
    /// moving them in and out of tensors every step cost more than the update itself on
    /// the Meowjong networks' 10–60M dense weights). `m`/`v` are stale while this is set.
    #[cfg(not(feature = "cuda"))]
    host: Option<HostMoments>,
    /// Reused buffer for one parameter tensor's values.
    #[cfg(not(feature = "cuda"))]
    scratch: Vec<f32>,
}

/// Adam's first and second moments of every parameter tensor, on the host.
#[cfg(not(feature = "cuda"))]
struct HostMoments {
    m: Vec<Vec<f32>>,
    v: Vec<Vec<f32>>,
}

/// One Adam step's constants.
#[cfg(not(feature = "cuda"))]
#[derive(Clone, Copy)]
struct AdamConsts {
    b1: f32,
    b2: f32,
    bias1: f32,
    bias2: f32,
    lr: f32,
    eps: f32,
}

#[cfg(not(feature = "cuda"))]
impl AdamConsts {
    /// Updates a span of parameters and moments; returns Σ g² of the span.
    #[inline(always)]
    fn update_span(self, ps: &mut [f32], ms: &mut [f32], vs: &mut [f32], gs: &[f32]) -> f64 {
        let mut sq = 0.0f64;
        for (((p, m), v), &g) in ps.iter_mut().zip(ms).zip(vs).zip(gs) {
            sq += (g * g) as f64;
            *m = *m * self.b1 + g * (1.0 - self.b1);
            *v = *v * self.b2 + g * g * (1.0 - self.b2);
            let step = (*m / self.bias1) / ((*v / self.bias2).sqrt() + self.eps) * self.lr;
            *p -= step;
        }
        sq
    }

    /// [`AdamConsts::update_span`] in 8-wide AVX2 registers.
    ///
    /// # Safety
    /// The CPU must support AVX2.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn update_span_avx2(
        self,
        ps: &mut [f32],
        ms: &mut [f32],
        vs: &mut [f32],
        gs: &[f32],
    ) -> f64 {
        self.update_span(ps, ms, vs, gs)
    }

    fn apply(self, ps: &mut [f32], ms: &mut [f32], vs: &mut [f32], gs: &[f32]) -> f64 {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: AVX2 was detected just above.
            return unsafe { self.update_span_avx2(ps, ms, vs, gs) };
        }
        self.update_span(ps, ms, vs, gs)
    }
}

impl Optimizer {
    /// Zero state sized for `model`.
    pub fn new<P: Params>(model: &P, config: OptimizerConfig) -> Self {
        let mut m = Vec::new();
        model.visit(&mut |_, t| m.push(t.device().zeros_like(t.shape())));
        Optimizer {
            config,
            t: 0,
            v: m.clone(),
            m,
            #[cfg(not(feature = "cuda"))]
            host: None,
            #[cfg(not(feature = "cuda"))]
            scratch: Vec::new(),
        }
    }

    /// Writes the host moments back into the tensors (before the tensor path, saving or
    /// loading uses them).
    fn sync_moments(&mut self) {
        #[cfg(not(feature = "cuda"))]
        if let Some(host) = self.host.take() {
            for (t, h) in self.m.iter_mut().zip(&host.m) {
                t.copy_from(h);
            }
            for (t, h) in self.v.iter_mut().zip(&host.v) {
                t.copy_from(h);
            }
        }
    }

    /// Applies one update from `grads` (from `loss.backward()`); returns the gradient's
    /// global norm before clipping. Every parameter needs a gradient in `grads` (the tape
    /// gives one to each parameter the loss reached).
    pub fn update<P: Params>(&mut self, model: &mut P, grads: &mut Gradients<f32, Dev>) -> f64 {
        #[cfg(not(feature = "cuda"))]
        if self.config.kind == OptimizerKind::Adam && self.config.max_grad_norm.is_none() {
            return self.adam_cpu(model, grads);
        }
        self.sync_moments();
        let mut gs: Vec<Option<Matrix>> = Vec::new();
        let mut sq = 0.0f64;
        model.visit(&mut |_, p| {
            let g = grads.get(p);
            sq += g.clone().square().sum::<(), _>().array() as f64;
            gs.push(Some(g));
        });
        let norm = sq.sqrt();
        let scale = match self.config.max_grad_norm {
            Some(max) if norm > max => (max / (norm + 1e-6)) as f32,
            _ => 1.0,
        };
        self.t += 1;
        let c = self.config;
        let t = self.t as i32;
        let (m, v) = (&mut self.m, &mut self.v);
        let mut i = 0;
        model.visit_mut(&mut |_, p| {
            let g = gs[i].take().expect("one gradient per parameter") * scale;
            match c.kind {
                OptimizerKind::Adam => {
                    let (b1, b2) = (0.9f32, 0.999f32);
                    m[i] = m[i].clone() * b1 + g.clone() * (1.0 - b1);
                    v[i] = v[i].clone() * b2 + g.square() * (1.0 - b2);
                    let mhat = m[i].clone() / (1.0 - b1.powi(t));
                    let vhat = v[i].clone() / (1.0 - b2.powi(t));
                    let step = mhat / (vhat.sqrt() + c.eps as f32) * c.lr as f32;
                    *p = p.clone() - step;
                }
                OptimizerKind::Rmsprop => {
                    let alpha = 0.99f32;
                    v[i] = v[i].clone() * alpha + g.clone().square() * (1.0 - alpha);
                    let step = g / (v[i].clone().sqrt() + c.eps as f32) * c.lr as f32;
                    *p = p.clone() - step;
                }
            }
            i += 1;
        });
        norm
    }

    /// Adam without clipping in one parallel pass per tensor on the CPU: the gradient is
    /// read where backward left it, the moments live on the host (see `host`), and only
    /// the parameter is copied out and back (dfdx offers no mutable view of a tensor).
    /// Same float operations in the same order as the generic path, so the same bits
    /// (IEEE division and square root are exact in every vector width); the returned
    /// norm is summed in f64.
    #[cfg(not(feature = "cuda"))]
    fn adam_cpu<P: Params>(&mut self, model: &mut P, grads: &mut Gradients<f32, Dev>) -> f64 {
        use rayon::prelude::*;
        const CHUNK: usize = 1 << 16;
        self.t += 1;
        let c = self.config;
        let b1 = 0.9f32;
        let t = self.t as i32;
        let consts = AdamConsts {
            b1,
            b2: 0.999,
            bias1: 1.0 - b1.powi(t),
            bias2: 1.0 - 0.999f32.powi(t),
            lr: c.lr as f32,
            eps: c.eps as f32,
        };
        let (m, v) = (&self.m, &self.v);
        let host = self.host.get_or_insert_with(|| HostMoments {
            m: m.iter().map(to_vec).collect(),
            v: v.iter().map(to_vec).collect(),
        });
        let scratch = &mut self.scratch;
        let mut sq = 0.0f64;
        let mut i = 0;
        model.visit_mut(&mut |_, p| {
            let n = p.shape().num_elements();
            let g: &[f32] = grads.get_or_alloc_mut(&*p).expect("CPU allocation");
            assert_eq!(g.len(), n, "a contiguous gradient per parameter");
            scratch.resize(n, 0.0);
            p.copy_into(scratch);
            let partial: Vec<f64> = scratch
                .par_chunks_mut(CHUNK)
                .zip(host.m[i].par_chunks_mut(CHUNK))
                .zip(host.v[i].par_chunks_mut(CHUNK))
                .zip(g.par_chunks(CHUNK))
                .map(|(((ps, ms), vs), gs)| consts.apply(ps, ms, vs, gs))
                .collect();
            sq += partial.iter().sum::<f64>();
            p.copy_from(scratch);
            i += 1;
        });
        sq.sqrt()
    }

    /// The moments as tensors (current even while the host copy owns them).
    fn moments(&self) -> (Vec<Matrix>, Vec<Matrix>) {
        #[cfg(not(feature = "cuda"))]
        if let Some(host) = &self.host {
            let tensors = |tensors: &[Matrix], host: &[Vec<f32>]| {
                let mut out = tensors.to_vec();
                for (t, h) in out.iter_mut().zip(host) {
                    t.copy_from(h);
                }
                out
            };
            return (tensors(&self.m, &host.m), tensors(&self.v, &host.v));
        }
        (self.m.clone(), self.v.clone())
    }

    /// Saves the moments (`m.{i}`, `v.{i}`) and the step count.
    pub fn save(&self, path: &Path) -> Result<(), NnError> {
        let (m, v) = self.moments();
        let mut named: Vec<(String, &Matrix)> = Vec::new();
        named.extend(m.iter().enumerate().map(|(i, t)| (format!("m.{i}"), t)));
        named.extend(v.iter().enumerate().map(|(i, t)| (format!("v.{i}"), t)));
        let t_tensor: Matrix = Dev::default().tensor_from_vec(vec![self.t as f32], (1, 1));
        named.push(("t".into(), &t_tensor));
        write_safetensors(path, &named)
    }

    /// Restores what [`Optimizer::save`] wrote.
    pub fn load(&mut self, path: &Path) -> Result<(), NnError> {
        #[cfg(not(feature = "cuda"))]
        {
            self.host = None; // replaced below
        }
        let mut tensors = read_safetensors(path)?;
        let take = |tensors: &mut NamedTensors,
                    name: &str,
                    target: &mut Matrix|
         -> Result<(), NnError> { assign(path, tensors, name, target) };
        for i in 0..self.m.len() {
            take(&mut tensors, &format!("m.{i}"), &mut self.m[i])?;
            take(&mut tensors, &format!("v.{i}"), &mut self.v[i])?;
        }
        let mut t: Matrix = Dev::default().zeros_like(&(1, 1));
        take(&mut tensors, "t", &mut t)?;
        self.t = t.as_vec()[0] as u64;
        Ok(())
    }
}

/// Saves a model's parameters as safetensors (keys from [`Params::visit`]).
pub fn save_params<P: Params>(model: &P, path: &Path) -> Result<(), NnError> {
    let mut named: Vec<(String, Matrix)> = Vec::new();
    model.visit(&mut |name, t| named.push((name.to_string(), t.clone())));
    let refs: Vec<(String, &Matrix)> = named.iter().map(|(n, t)| (n.clone(), t)).collect();
    write_safetensors(path, &refs)
}

/// Loads parameters saved by [`save_params`] into a model of the same architecture.
pub fn load_params<P: Params>(model: &mut P, path: &Path) -> Result<(), NnError> {
    let mut tensors = read_safetensors(path)?;
    let mut result = Ok(());
    model.visit_mut(&mut |name, t| {
        if result.is_ok() {
            result = assign(path, &mut tensors, name, t);
        }
    });
    result
}

fn assign(
    path: &Path,
    tensors: &mut NamedTensors,
    name: &str,
    target: &mut Matrix,
) -> Result<(), NnError> {
    let format_err = |message: String| NnError::Format {
        path: path.display().to_string(),
        message,
    };
    let (shape, data) = tensors
        .remove(name)
        .ok_or_else(|| format_err(format!("missing tensor {name:?}")))?;
    let (r, c) = *target.shape();
    if shape != [r, c] {
        return Err(format_err(format!(
            "tensor {name:?} has shape {shape:?}, the model expects [{r}, {c}]"
        )));
    }
    *target = target.device().tensor_from_vec(data, (r, c));
    Ok(())
}

fn write_safetensors(path: &Path, named: &[(String, &Matrix)]) -> Result<(), NnError> {
    let io = |source| NnError::Io {
        path: path.display().to_string(),
        source,
    };
    let buffers: Vec<(String, Vec<usize>, Vec<u8>)> = named
        .iter()
        .map(|(name, t)| {
            let (r, c) = *t.shape();
            let bytes = t.as_vec().iter().flat_map(|x| x.to_le_bytes()).collect();
            (name.clone(), vec![r, c], bytes)
        })
        .collect();
    let views = buffers
        .iter()
        .map(|(name, shape, bytes)| {
            let view =
                safetensors::tensor::TensorView::new(safetensors::Dtype::F32, shape.clone(), bytes)
                    .expect("shape matches the data");
            (name.clone(), view)
        })
        .collect::<Vec<_>>();
    let data = safetensors::serialize(views, &None).map_err(|e| NnError::Format {
        path: path.display().to_string(),
        message: e.to_string(),
    })?;
    let tmp = path.with_extension("safetensors.tmp");
    std::fs::write(&tmp, data).map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)
}

fn read_safetensors(path: &Path) -> Result<NamedTensors, NnError> {
    let bytes = std::fs::read(path).map_err(|source| NnError::Io {
        path: path.display().to_string(),
        source,
    })?;
    let format_err = |message: String| NnError::Format {
        path: path.display().to_string(),
        message,
    };
    let st = safetensors::SafeTensors::deserialize(&bytes)
        .map_err(|e| format_err(format!("not a safetensors file: {e}")))?;
    let mut out = BTreeMap::new();
    for (name, view) in st.tensors() {
        if view.dtype() != safetensors::Dtype::F32 {
            return Err(format_err(format!(
                "tensor {name:?} is {:?}, not F32",
                view.dtype()
            )));
        }
        let data = view
            .data()
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        out.insert(name, (view.shape().to_vec(), data));
    }
    Ok(out)
}

/// A batch of rows as a matrix on the device.
pub fn batch(dev: &Dev, rows: usize, cols: usize, data: Vec<f32>) -> Matrix {
    dev.tensor_from_vec(data, (rows, cols))
}
