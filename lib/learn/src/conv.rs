//! Convolutional building blocks on runtime-shaped dfdx tensors: [`Conv2d`], [`BatchNorm`]
//! and [`Dropout`], for the Meowjong CNNs.
//!
//! dfdx 0.13's own convolution needs the `nightly` feature, which does not build; these
//! layers are made only of device-generic dfdx ops (`gather`, `reshape`, `matmul`,
//! `broadcast`, `mean`, element-wise ops), so the `cuda` feature runs the same code. No
//! `slice` is used (its CPU backward overwrites instead of accumulating).
//!
//! **Layout: channels-last.** Images are [`Image`]s of shape `[B, H, W, C]` (batch, rows,
//! columns, channels), row-major; the Meowjong observation is `[B, 34, 366, 1]`. A dense
//! view of an image is the matrix `(B·H·W, C)` (one row per pixel), which is what
//! [`BatchNorm`] normalises per column (= per channel), and flattening an image for a
//! [`crate::nn::Dense`] layer is `reshape` to `(B, H·W·C)` (TensorFlow's `Flatten` order
//! for NHWC).
//!
//! **Modes.** [`BatchNorm`] and [`Dropout`] take a [`Mode`]: `Train` uses batch statistics
//! (and updates the running ones) and drops units; `Eval` uses the running statistics and
//! is the identity for dropout.
//!
//! **Parameters and buffers.** All three implement [`Params`] (the trained tensors, seen
//! by [`crate::nn::Optimizer`]); [`BatchNorm`]'s running mean and variance are
//! [`Buffers`], not parameters: [`save_state`] / [`load_state`] write and read parameters
//! and buffers together in one safetensors file (buffers keep their own names, so a key
//! never names two tensors).

use std::path::Path;

use dfdx::prelude::*;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::nn::{load_params, save_params, Dev, Matrix, NnError, Params};

/// A runtime-sized 4-D f32 tensor `[B, H, W, C]` (channels-last) on [`Dev`], optionally
/// recording gradients on tape `T`.
pub type Image<T = NoneTape> = Tensor<(usize, usize, usize, usize), f32, Dev, T>;

/// Training or evaluation behaviour of [`BatchNorm`] and [`Dropout`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Batch statistics (running statistics updated), dropout active.
    Train,
    /// Running statistics, dropout is the identity.
    Eval,
}

/// Tensors that are state but not trained (e.g. running statistics).
pub trait Buffers {
    /// Visits every buffer with a stable name (its safetensors key).
    fn visit_buffers(&self, f: &mut dyn FnMut(&str, &Matrix));
    /// Visits every buffer mutably, in the same order as [`Buffers::visit_buffers`].
    fn visit_buffers_mut(&mut self, f: &mut dyn FnMut(&str, &mut Matrix));
}

/// 2-D convolution, VALID padding, stride 1, on channels-last images:
/// `[B, H, W, C_in] → [B, H − kh + 1, W − kw + 1, C_out]`,
/// `y[b, y, x, o] = bias[o] + Σ_{i<kh, j<kw, c<C_in} x[b, y+i, x+j, c] · w[(i·kw + j)·C_in + c, o]`.
///
/// Computed as im2col + matmul: the input, viewed as `(B, H·W, C_in)`, is gathered along
/// its pixel axis with a precomputed index of every window's pixels (the same for every
/// sample, broadcast over the batch) into `(B·H'·W', kh·kw·C_in)`, multiplied by the
/// weight matrix and offset by the broadcast bias. The gather's backward scatters-adds,
/// so overlapping windows accumulate their input gradients.
#[derive(Clone, Debug)]
pub struct Conv2d {
    /// Weights, `(kh·kw·C_in, C_out)`; row `(i·kw + j)·C_in + c` holds kernel tap `(i, j)` of
    /// input channel `c` (TensorFlow's HWIO kernel flattened; PyTorch's OIHW weight `W`
    /// maps as `w[(i·kw + j)·C_in + c, o] = W[o, c, i, j]`).
    pub w: Matrix,
    /// Bias, `(1, C_out)`.
    pub b: Matrix,
    /// Kernel size `(kh, kw)` (rows, columns).
    pub kernel: (usize, usize),
}

impl Conv2d {
    /// PyTorch's default initialisation (kaiming-uniform with a = √5, which is
    /// U(−1/√fan_in, 1/√fan_in)) for weight and bias, fan_in = kh·kw·C_in.
    pub fn new(
        dev: &Dev,
        in_channels: usize,
        out_channels: usize,
        kernel: (usize, usize),
        rng: &mut ChaCha8Rng,
    ) -> Self {
        let fan_in = kernel.0 * kernel.1 * in_channels;
        let bound = 1.0 / (fan_in as f32).sqrt();
        let mut sample = |n: usize| (0..n).map(|_| rng.gen_range(-bound..=bound)).collect();
        Conv2d {
            w: dev.tensor_from_vec(sample(fan_in * out_channels), (fan_in, out_channels)),
            b: dev.tensor_from_vec(sample(out_channels), (1, out_channels)),
            kernel,
        }
    }

    /// Input channels.
    pub fn in_channels(&self) -> usize {
        self.w.shape().0 / (self.kernel.0 * self.kernel.1)
    }

    /// Output channels.
    pub fn out_channels(&self) -> usize {
        self.w.shape().1
    }

    /// The output's spatial size for an `h × w` input (VALID: `h − kh + 1, w − kw + 1`).
    pub fn output_size(&self, h: usize, w: usize) -> (usize, usize) {
        (h + 1 - self.kernel.0, w + 1 - self.kernel.1)
    }

    /// Applies the convolution to `[B, H, W, C_in]`.
    ///
    /// Panics if the channel count differs from the layer's or the image is smaller than
    /// the kernel.
    pub fn forward<T: Tape<f32, Dev> + Merge<T> + Default>(&self, x: Image<T>) -> Image<T> {
        let (batch, h, w, c) = *x.shape();
        let (kh, kw) = self.kernel;
        assert_eq!(
            c,
            self.in_channels(),
            "Conv2d: input has {c} channels, the layer expects {}",
            self.in_channels()
        );
        assert!(
            h >= kh && w >= kw,
            "Conv2d: a {h}×{w} image is smaller than the {kh}×{kw} kernel"
        );
        let (oh, ow) = self.output_size(h, w);
        let window = kh * kw;
        let mut index = Vec::with_capacity(oh * ow * window);
        for y in 0..oh {
            for x0 in 0..ow {
                for i in 0..kh {
                    for j in 0..kw {
                        index.push((y + i) * w + x0 + j);
                    }
                }
            }
        }
        let dev = x.device().clone();
        let z = oh * ow * window;
        let index: Tensor<(usize,), usize, Dev> = dev.tensor_from_vec(index, (z,));
        let index = index.broadcast_like::<_, Axis<0>>(&(batch, z));
        let pixels = x.reshape_like(&(batch, h * w, c));
        let columns: Tensor<(usize, usize, usize), f32, Dev, T> = pixels.gather(index);
        let rows = batch * oh * ow;
        let columns = columns.reshape_like(&(rows, window * c));
        let outputs = self.out_channels();
        let y = columns.matmul(self.w.retaped::<T>());
        let b = self
            .b
            .retaped::<T>()
            .reshape_like(&(outputs,))
            .broadcast_like::<_, Axis<0>>(&(rows, outputs));
        (y + b).reshape_like(&(batch, oh, ow, outputs))
    }
}

impl Params for Conv2d {
    fn visit(&self, f: &mut dyn FnMut(&str, &Matrix)) {
        f("weight", &self.w);
        f("bias", &self.b);
    }

    fn visit_mut(&mut self, f: &mut dyn FnMut(&str, &mut Matrix)) {
        f("weight", &mut self.w);
        f("bias", &mut self.b);
    }
}

impl Buffers for Conv2d {
    fn visit_buffers(&self, _: &mut dyn FnMut(&str, &Matrix)) {}
    fn visit_buffers_mut(&mut self, _: &mut dyn FnMut(&str, &mut Matrix)) {}
}

/// Batch normalisation per feature of a `(N, F)` matrix or per channel of a `[B, H, W, C]`
/// image (statistics over B·H·W), as PyTorch's `BatchNorm1d`/`BatchNorm2d`:
/// `y = γ·(x − μ)/√(σ² + ε) + β`.
///
/// Train mode: μ, σ² are the batch mean and biased variance; the running statistics
/// become `(1 − momentum)·running + momentum·batch`, with the unbiased variance
/// (`σ²·n/(n − 1)`; a batch of one value per feature uses σ² = 0 there). Eval mode: μ, σ²
/// are the running statistics. γ starts at 1, β at 0, running mean at 0 and variance at 1.
#[derive(Clone, Debug)]
pub struct BatchNorm {
    /// Scale γ, `(1, F)` (saved as `weight`).
    pub gamma: Matrix,
    /// Shift β, `(1, F)` (saved as `bias`).
    pub beta: Matrix,
    /// Running mean, `(1, F)` (a buffer, `running_mean`).
    pub running_mean: Matrix,
    /// Running (unbiased) variance, `(1, F)` (a buffer, `running_var`).
    pub running_var: Matrix,
    /// Weight of the new batch in the running statistics (PyTorch: 0.1; Keras'
    /// momentum 0.99 is 0.01 here).
    pub momentum: f32,
    /// ε added to the variance (PyTorch: 1e−5; Keras: 1e−3).
    pub eps: f32,
}

impl BatchNorm {
    /// PyTorch's defaults for `features` features or channels: γ = 1, β = 0, momentum 0.1,
    /// ε = 1e−5.
    pub fn new(dev: &Dev, features: usize) -> Self {
        BatchNorm {
            gamma: dev.ones_like(&(1, features)),
            beta: dev.zeros_like(&(1, features)),
            running_mean: dev.zeros_like(&(1, features)),
            running_var: dev.ones_like(&(1, features)),
            momentum: 0.1,
            eps: 1e-5,
        }
    }

    /// Number of features (channels).
    pub fn features(&self) -> usize {
        self.gamma.shape().1
    }

    /// Normalises each column of `(N, F)` (dense outputs); in train mode also updates the
    /// running statistics.
    pub fn forward<T: Tape<f32, Dev> + Merge<T> + Default>(
        &mut self,
        x: Matrix<T>,
        mode: Mode,
    ) -> Matrix<T> {
        let (n, f) = *x.shape();
        assert_eq!(
            f,
            self.features(),
            "BatchNorm: input has {f} features, the layer expects {}",
            self.features()
        );
        // Column sums and row broadcasts are matrix products with ones (gemm is much faster
        // than dfdx's generic CPU reductions and strided broadcasts on large inputs).
        let dev = x.device().clone();
        let ones_row: Matrix = dev.ones_like(&(1, n));
        let ones_col: Matrix = dev.ones_like(&(n, 1));
        let spread = |t: Matrix<T>| ones_col.retaped::<T>().matmul(t);
        let gamma = self.gamma.retaped::<T>();
        let beta = self.beta.retaped::<T>();
        match mode {
            Mode::Train => {
                let inv_n = 1.0 / n as f32;
                let mean = ones_row.retaped::<T>().matmul(x.with_empty_tape()) * inv_n;
                let mean_value = mean.retaped::<NoneTape>();
                let centered = x - spread(mean);
                let var = ones_row
                    .retaped::<T>()
                    .matmul(centered.with_empty_tape().square())
                    * inv_n;
                let var_value = var.retaped::<NoneTape>();
                let scale = (var + self.eps).sqrt().recip() * gamma;
                let m = self.momentum;
                let unbias = if n > 1 {
                    n as f32 / (n - 1) as f32
                } else {
                    0.0
                };
                self.running_mean = self.running_mean.clone() * (1.0 - m) + mean_value * m;
                self.running_var = self.running_var.clone() * (1.0 - m) + var_value * (m * unbias);
                centered * spread(scale) + spread(beta)
            }
            Mode::Eval => {
                // y = x·s + (β − μ·s), s = γ/√(σ² + ε).
                let inv_std = (self.running_var.clone() + self.eps).sqrt().recip();
                let scale = gamma * inv_std.retaped::<T>();
                let shift = beta - scale.with_empty_tape() * self.running_mean.retaped::<T>();
                x * spread(scale) + spread(shift)
            }
        }
    }

    /// Normalises each channel of `[B, H, W, C]` over batch and positions.
    pub fn forward_image<T: Tape<f32, Dev> + Merge<T> + Default>(
        &mut self,
        x: Image<T>,
        mode: Mode,
    ) -> Image<T> {
        let shape = *x.shape();
        let (b, h, w, c) = shape;
        let y = self.forward(x.reshape_like(&(b * h * w, c)), mode);
        y.reshape_like(&shape)
    }
}

impl Params for BatchNorm {
    fn visit(&self, f: &mut dyn FnMut(&str, &Matrix)) {
        f("weight", &self.gamma);
        f("bias", &self.beta);
    }

    fn visit_mut(&mut self, f: &mut dyn FnMut(&str, &mut Matrix)) {
        f("weight", &mut self.gamma);
        f("bias", &mut self.beta);
    }
}

impl Buffers for BatchNorm {
    fn visit_buffers(&self, f: &mut dyn FnMut(&str, &Matrix)) {
        f("running_mean", &self.running_mean);
        f("running_var", &self.running_var);
    }

    fn visit_buffers_mut(&mut self, f: &mut dyn FnMut(&str, &mut Matrix)) {
        f("running_mean", &mut self.running_mean);
        f("running_var", &mut self.running_var);
    }
}

/// Inverted dropout: in train mode each unit is zeroed with probability `p` and the kept
/// ones are scaled by `1/(1 − p)`; the mask is drawn from the [`ChaCha8Rng`] passed in
/// (one `f32` per element in row-major order, kept iff it is ≥ p), so a seed fixes it.
/// Eval mode (or p = 0) is the identity and draws nothing.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Dropout {
    /// Probability of dropping a unit, in [0, 1).
    pub p: f32,
}

impl Dropout {
    /// Dropout with drop probability `p` (panics unless 0 ≤ p < 1).
    pub fn new(p: f32) -> Self {
        assert!((0.0..1.0).contains(&p), "Dropout: p = {p} is not in [0, 1)");
        Dropout { p }
    }

    /// Applies dropout to a tensor of any shape.
    pub fn forward<S: Shape, T: Tape<f32, Dev>>(
        &self,
        x: Tensor<S, f32, Dev, T>,
        mode: Mode,
        rng: &mut ChaCha8Rng,
    ) -> Tensor<S, f32, Dev, T> {
        if mode == Mode::Eval || self.p == 0.0 {
            return x;
        }
        let shape = *x.shape();
        let scale = 1.0 / (1.0 - self.p);
        // Bulk draw of u32s; `(u >> 8)·2⁻²⁴` is exactly `rng.gen::<f32>()` of rand 0.8.
        let mut bits = vec![0u32; shape.num_elements()];
        rng.fill(&mut bits[..]);
        let mask: Vec<f32> = bits
            .into_iter()
            .map(|u| {
                if (u >> 8) as f32 * (1.0 / (1u32 << 24) as f32) >= self.p {
                    scale
                } else {
                    0.0
                }
            })
            .collect();
        let mask = x.device().tensor_from_vec(mask, shape);
        x * mask
    }
}

impl Params for Dropout {
    fn visit(&self, _: &mut dyn FnMut(&str, &Matrix)) {}
    fn visit_mut(&mut self, _: &mut dyn FnMut(&str, &mut Matrix)) {}
}

impl Buffers for Dropout {
    fn visit_buffers(&self, _: &mut dyn FnMut(&str, &Matrix)) {}
    fn visit_buffers_mut(&mut self, _: &mut dyn FnMut(&str, &mut Matrix)) {}
}

/// Named tensors as one [`Params`] (to reuse the safetensors writer and reader of `nn`).
struct Named(Vec<(String, Matrix)>);

impl Params for Named {
    fn visit(&self, f: &mut dyn FnMut(&str, &Matrix)) {
        for (name, t) in &self.0 {
            f(name, t);
        }
    }

    fn visit_mut(&mut self, f: &mut dyn FnMut(&str, &mut Matrix)) {
        for (name, t) in &mut self.0 {
            f(name, t);
        }
    }
}

fn state<P: Params + Buffers>(model: &P) -> Named {
    let mut named = Vec::new();
    model.visit(&mut |name, t| named.push((name.to_string(), t.clone())));
    model.visit_buffers(&mut |name, t| named.push((name.to_string(), t.clone())));
    Named(named)
}

/// Saves parameters and buffers (running statistics) in one safetensors file.
pub fn save_state<P: Params + Buffers>(model: &P, path: &Path) -> Result<(), NnError> {
    save_params(&state(model), path)
}

/// Loads what [`save_state`] wrote into a model of the same architecture; on an error the
/// model is unchanged.
pub fn load_state<P: Params + Buffers>(model: &mut P, path: &Path) -> Result<(), NnError> {
    let mut named = state(model);
    load_params(&mut named, path)?;
    let mut loaded = named.0.into_iter().map(|(_, t)| t);
    model.visit_mut(&mut |_, t| *t = loaded.next().expect("one tensor per parameter"));
    model.visit_buffers_mut(&mut |_, t| *t = loaded.next().expect("one tensor per buffer"));
    Ok(())
}
