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

#[cfg(not(feature = "cuda"))]
use crate::kernels::{self, ConvGeometry};
#[cfg(not(feature = "cuda"))]
use crate::nn::to_vec;
use crate::nn::{load_params, save_params, Dev, Matrix, NnError, Params, Taped};

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

    /// Applies the convolution to `[B, H, W, C_in]`: the CPU kernel of
    /// [`crate::kernels`] on the CPU device, [`Conv2d::forward_generic`] under `cuda`.
    ///
    /// Panics if the channel count differs from the layer's or the image is smaller than
    /// the kernel.
    pub fn forward<T: Tape<f32, Dev> + Merge<T> + Default>(&self, x: Image<T>) -> Image<T> {
        self.check_input(x.shape());
        #[cfg(not(feature = "cuda"))]
        {
            self.forward_cpu(x, true)
        }
        #[cfg(feature = "cuda")]
        {
            self.forward_generic(x)
        }
    }

    /// [`Conv2d::forward`] on an input that needs no gradient (the network's input): starts
    /// a tape for the layer's parameters and skips the input-gradient work.
    pub fn forward_leaf(&self, x: Image) -> Image<Taped> {
        self.check_input(x.shape());
        #[cfg(not(feature = "cuda"))]
        {
            self.forward_cpu(x.put_tape(Taped::default()), false)
        }
        #[cfg(feature = "cuda")]
        {
            self.forward_generic(x.traced(Gradients::leaky()))
        }
    }

    fn check_input(&self, &(_, h, w, c): &(usize, usize, usize, usize)) {
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
    }

    /// The CPU kernel as a dfdx op: forward now, backward recorded on the tape.
    #[cfg(not(feature = "cuda"))]
    fn forward_cpu<T: Tape<f32, Dev> + Merge<T> + Default>(
        &self,
        x: Image<T>,
        input_grad: bool,
    ) -> Image<T> {
        let (batch, h, w, c_in) = *x.shape();
        let geometry = ConvGeometry {
            batch,
            h,
            w,
            c_in,
            kh: self.kernel.0,
            kw: self.kernel.1,
            c_out: self.out_channels(),
        };
        let (x, mut tape) = x.split_tape();
        let xs = to_vec(&x);
        let ws = self.w.as_vec();
        let y = kernels::conv_forward(&geometry, &xs, &ws, &self.b.as_vec());
        let dev = x.device().clone();
        let out: Image = dev.tensor_from_vec(
            y,
            (batch, geometry.out_h(), geometry.out_w(), geometry.c_out),
        );
        if T::OWNS_TAPE {
            let (out_id, weight, bias) = (out.clone(), self.w.clone(), self.b.clone());
            tape.add_backward_op(move |grads| {
                grads.try_alloc_for(&out_id)?;
                let dy = to_vec(&grads.get(&out_id));
                let (dx, dw, db) = kernels::conv_backward(&geometry, &xs, &ws, &dy, input_grad);
                if input_grad {
                    accumulate(grads, &x, &dx)?;
                }
                accumulate(grads, &weight, &dw)?;
                accumulate(grads, &bias, &db)
            });
        }
        out.put_tape(tape)
    }

    /// The device-generic formulation (what the `cuda` feature runs; the CPU kernel is
    /// tested against it).
    pub fn forward_generic<T: Tape<f32, Dev> + Merge<T> + Default>(&self, x: Image<T>) -> Image<T> {
        self.check_input(x.shape());
        let (batch, h, w, c) = *x.shape();
        let (kh, kw) = self.kernel;
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

/// Adds `g` to the gradient of `t` (allocating it at zero first).
#[cfg(not(feature = "cuda"))]
fn accumulate<S: Shape>(
    grads: &mut Gradients<f32, Dev>,
    t: &Tensor<S, f32, Dev>,
    g: &[f32],
) -> Result<(), <Dev as HasErr>::Err> {
    let acc = grads.get_or_alloc_mut(t)?;
    assert_eq!(acc.len(), g.len(), "gradient of the wrong size");
    for (a, v) in acc.iter_mut().zip(g) {
        *a += v;
    }
    Ok(())
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

    /// Eval mode as an affine map per feature, `y = x·scale + shift` (scale =
    /// γ/√(σ²_run + ε), shift = β − μ_run·scale): what inference folds into the next
    /// layer's weights.
    pub fn eval_affine(&self) -> (Vec<f32>, Vec<f32>) {
        let (gamma, beta) = (self.gamma.as_vec(), self.beta.as_vec());
        let (mean, var) = (self.running_mean.as_vec(), self.running_var.as_vec());
        let scale: Vec<f32> = (0..gamma.len())
            .map(|k| gamma[k] / (var[k] + self.eps).sqrt())
            .collect();
        let shift = (0..gamma.len())
            .map(|k| beta[k] - mean[k] * scale[k])
            .collect();
        (scale, shift)
    }

    /// Normalises each column of `(N, F)` (dense outputs); in train mode also updates the
    /// running statistics. The CPU kernel of [`crate::kernels`] on the CPU device,
    /// [`BatchNorm::forward_generic`] under `cuda`.
    pub fn forward<T: Tape<f32, Dev> + Merge<T> + Default>(
        &mut self,
        x: Matrix<T>,
        mode: Mode,
    ) -> Matrix<T> {
        self.check_input(x.shape());
        #[cfg(not(feature = "cuda"))]
        {
            self.forward_cpu(x, mode, false, None)
        }
        #[cfg(feature = "cuda")]
        {
            self.forward_generic(x, mode)
        }
    }

    /// `dropout(self(relu(x)))`: the step after every Meowjong convolution and dense
    /// layer, fused into one op on the CPU (one pass each way instead of three, same
    /// values and the same dropout mask as the separate ops).
    pub fn forward_fused<T: Tape<f32, Dev> + Merge<T> + Default>(
        &mut self,
        x: Matrix<T>,
        mode: Mode,
        dropout: &Dropout,
        rng: &mut ChaCha8Rng,
    ) -> Matrix<T> {
        self.check_input(x.shape());
        #[cfg(not(feature = "cuda"))]
        {
            let (n, c) = *x.shape();
            let mask = (mode == Mode::Train && dropout.p > 0.0).then(|| dropout.mask(n * c, rng));
            self.forward_cpu(x, mode, true, mask)
        }
        #[cfg(feature = "cuda")]
        {
            self.forward_fused_generic(x, mode, dropout, rng)
        }
    }

    /// [`BatchNorm::forward_fused`] as the three separate device-generic ops.
    pub fn forward_fused_generic<T: Tape<f32, Dev> + Merge<T> + Default>(
        &mut self,
        x: Matrix<T>,
        mode: Mode,
        dropout: &Dropout,
        rng: &mut ChaCha8Rng,
    ) -> Matrix<T> {
        let y = self.forward_generic(x.relu(), mode);
        dropout.forward(y, mode, rng)
    }

    /// [`BatchNorm::forward_fused`] on the channels of `[B, H, W, C]`.
    pub fn forward_image_fused<T: Tape<f32, Dev> + Merge<T> + Default>(
        &mut self,
        x: Image<T>,
        mode: Mode,
        dropout: &Dropout,
        rng: &mut ChaCha8Rng,
    ) -> Image<T> {
        let shape = *x.shape();
        let (b, h, w, c) = shape;
        let y = self.forward_fused(x.reshape_like(&(b * h * w, c)), mode, dropout, rng);
        y.reshape_like(&shape)
    }

    fn check_input(&self, &(_, f): &(usize, usize)) {
        assert_eq!(
            f,
            self.features(),
            "BatchNorm: input has {f} features, the layer expects {}",
            self.features()
        );
    }

    /// The CPU kernels as a dfdx op: `mask ⊙ BN(relu?(x))`.
    #[cfg(not(feature = "cuda"))]
    fn forward_cpu<T: Tape<f32, Dev> + Merge<T> + Default>(
        &mut self,
        x: Matrix<T>,
        mode: Mode,
        relu: bool,
        mask: Option<Vec<f32>>,
    ) -> Matrix<T> {
        use kernels::Around;
        type Backward = Box<dyn FnOnce(&[f32]) -> (Vec<f32>, Vec<f32>, Vec<f32>)>;
        let (n, c) = *x.shape();
        let (x, mut tape) = x.split_tape();
        let dev = x.device().clone();
        let xs = to_vec(&x);
        let gamma = self.gamma.as_vec();
        let eps = self.eps;
        let (y, backward): (Vec<f32>, Backward) = match mode {
            Mode::Train => {
                let around = Around {
                    relu,
                    mask: mask.as_deref(),
                };
                let r = kernels::batch_norm_train(&xs, &gamma, &self.beta.as_vec(), eps, around);
                let m = self.momentum;
                let unbias = if n > 1 {
                    n as f32 / (n - 1) as f32
                } else {
                    0.0
                };
                let blend = |running: &Matrix, batch: &[f32], w: f32| {
                    let v = running
                        .as_vec()
                        .iter()
                        .zip(batch)
                        .map(|(r, b)| r * (1.0 - m) + b * w)
                        .collect();
                    dev.tensor_from_vec(v, (1, c))
                };
                self.running_mean = blend(&self.running_mean, &r.mean, m);
                self.running_var = blend(&self.running_var, &r.var, m * unbias);
                let (x_hat, inv_std) = (r.x_hat, r.inv_std);
                let backward = move |dy: &[f32]| {
                    let around = Around {
                        relu,
                        mask: mask.as_deref(),
                    };
                    kernels::batch_norm_train_backward(dy, &xs, &x_hat, &inv_std, &gamma, around)
                };
                (r.y, Box::new(backward))
            }
            Mode::Eval => {
                let around = Around { relu, mask: None };
                let (mean, var) = (self.running_mean.as_vec(), self.running_var.as_vec());
                let beta = self.beta.as_vec();
                let y = kernels::batch_norm_eval(&xs, &gamma, &beta, &mean, &var, eps, around);
                let backward = move |dy: &[f32]| {
                    kernels::batch_norm_eval_backward(dy, &xs, &gamma, &mean, &var, eps, around)
                };
                (y, Box::new(backward))
            }
        };
        let out: Matrix = dev.tensor_from_vec(y, (n, c));
        if T::OWNS_TAPE {
            let (out_id, gamma, beta) = (out.clone(), self.gamma.clone(), self.beta.clone());
            tape.add_backward_op(move |grads| {
                grads.try_alloc_for(&out_id)?;
                let dy = to_vec(&grads.get(&out_id));
                let (dx, dgamma, dbeta) = backward(&dy);
                accumulate(grads, &x, &dx)?;
                accumulate(grads, &gamma, &dgamma)?;
                accumulate(grads, &beta, &dbeta)
            });
        }
        out.put_tape(tape)
    }

    /// The device-generic formulation (what the `cuda` feature runs; the CPU kernels are
    /// tested against it).
    pub fn forward_generic<T: Tape<f32, Dev> + Merge<T> + Default>(
        &mut self,
        x: Matrix<T>,
        mode: Mode,
    ) -> Matrix<T> {
        self.check_input(x.shape());
        let (n, _) = *x.shape();
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
        let mask = self.mask(shape.num_elements(), rng);
        let mask = x.device().tensor_from_vec(mask, shape);
        x * mask
    }

    /// The train-mode multipliers of `len` units (0 or `1/(1 − p)`).
    pub(crate) fn mask(&self, len: usize, rng: &mut ChaCha8Rng) -> Vec<f32> {
        let scale = 1.0 / (1.0 - self.p);
        // Bulk draw of u32s; `(u >> 8)·2⁻²⁴` is exactly `rng.gen::<f32>()` of rand 0.8.
        let mut bits = vec![0u32; len];
        rng.fill(&mut bits[..]);
        bits.into_iter()
            .map(|u| {
                if (u >> 8) as f32 * (1.0 / (1u32 << 24) as f32) >= self.p {
                    scale
                } else {
                    0.0
                }
            })
            .collect()
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
