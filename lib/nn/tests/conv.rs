//! Conv2d, BatchNorm and Dropout: forward against naive loops / the formulas, gradients
//! against central finite differences, running statistics as PyTorch's, dropout masks,
//! and a tiny CNN that overfits a batch. `conv_timing` (ignored) prints a Meowjong-sized
//! forward + backward time: `cargo test --release -p meowlab-learn --test conv --
//! --ignored --nocapture`.

use std::time::Instant;

use dfdx::prelude::*;
use meowlab_nn::conv::{load_state, save_state, BatchNorm, Conv2d, Dropout, Image, Mode};
use meowlab_nn::nn::{Dense, Dev, Matrix, Optimizer, OptimizerConfig, Params, Taped};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn uniform(rng: &mut ChaCha8Rng, n: usize) -> Vec<f32> {
    (0..n).map(|_| rng.gen_range(-1.0f32..1.0)).collect()
}

fn image(dev: &Dev, shape: (usize, usize, usize, usize), data: Vec<f32>) -> Image {
    dev.tensor_from_vec(data, shape)
}

/// `y[b, y, x, o]` by nested loops over a row-major NHWC input and the (kh·kw·C_in, C_out)
/// weight.
fn naive_conv(
    x: &[f32],
    (b, h, w, c): (usize, usize, usize, usize),
    wt: &[f32],
    bias: &[f32],
    (kh, kw): (usize, usize),
) -> Vec<f32> {
    let co = bias.len();
    let (oh, ow) = (h - kh + 1, w - kw + 1);
    let mut y = vec![0.0f32; b * oh * ow * co];
    for n in 0..b {
        for r in 0..oh {
            for q in 0..ow {
                for o in 0..co {
                    let mut s = bias[o] as f64;
                    for i in 0..kh {
                        for j in 0..kw {
                            for ch in 0..c {
                                let xv = x[((n * h + r + i) * w + q + j) * c + ch] as f64;
                                let wv = wt[((i * kw + j) * c + ch) * co + o] as f64;
                                s += xv * wv;
                            }
                        }
                    }
                    y[((n * oh + r) * ow + q) * co + o] = s as f32;
                }
            }
        }
    }
    y
}

/// Largest |a − n| / max(|a|, |n|, floor) between analytic and numeric gradients.
fn max_rel_err(analytic: &[f32], numeric: &[f32], floor: f32) -> f32 {
    assert_eq!(analytic.len(), numeric.len());
    analytic
        .iter()
        .zip(numeric)
        .map(|(a, n)| (a - n).abs() / a.abs().max(n.abs()).max(floor))
        .fold(0.0, f32::max)
}

/// Central differences of `loss` at `x`, one coordinate at a time.
fn finite_differences(x: &[f32], eps: f32, mut loss: impl FnMut(&[f32]) -> f32) -> Vec<f32> {
    let mut x = x.to_vec();
    (0..x.len())
        .map(|i| {
            let v = x[i];
            x[i] = v + eps;
            let up = loss(&x);
            x[i] = v - eps;
            let down = loss(&x);
            x[i] = v;
            (up - down) / (2.0 * eps)
        })
        .collect()
}

#[test]
fn conv_forward_matches_naive_loops() {
    let dev = Dev::default();
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let mut worst = 0.0f32;
    for &(kh, kw) in &[(4, 5), (3, 2), (1, 1), (2, 3), (7, 9)] {
        for &c in &[1, 3] {
            let shape = (2, 7, 9, c);
            let conv = Conv2d::new(&dev, c, 4, (kh, kw), &mut rng);
            let data = uniform(&mut rng, 2 * 7 * 9 * c);
            let y = conv.forward(image(&dev, shape, data.clone()));
            let (oh, ow) = conv.output_size(7, 9);
            assert_eq!(*y.shape(), (2, oh, ow, 4));
            let want = naive_conv(&data, shape, &conv.w.as_vec(), &conv.b.as_vec(), (kh, kw));
            let got = y.as_vec();
            let err = got
                .iter()
                .zip(&want)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0, f32::max);
            assert!(err <= 1e-5, "kernel ({kh},{kw}) C_in {c}: max error {err}");
            worst = worst.max(err);
        }
    }
    eprintln!("conv forward vs naive loops: max abs error {worst:e}");
}

/// Kernels as wide as the image leave one output column (the `small` preset's 1×366 and
/// 3×1 layers): the kernels block down columns then, in items of several rows with
/// remainders of 2 and 1 rows (and several narrow columns); direct (4, 16 channels) and grouped (64) kernels alike.
#[test]
fn one_column_convolutions_match_naive_loops() {
    let dev = Dev::default();
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    for &(h, w, c_in, (kh, kw)) in &[
        (34, 9, 1, (1, 9)),
        (31, 1, 5, (3, 1)),
        (17, 6, 2, (2, 6)),
        (20, 8, 3, (2, 5)),
    ] {
        for c_out in [4, 16, 64] {
            let shape = (3, h, w, c_in);
            let conv = Conv2d::new(&dev, c_in, c_out, (kh, kw), &mut rng);
            let data = uniform(&mut rng, 3 * h * w * c_in);
            let got = conv.forward(image(&dev, shape, data.clone())).as_vec();
            let want = naive_conv(&data, shape, &conv.w.as_vec(), &conv.b.as_vec(), (kh, kw));
            assert_eq!(got.len(), 3 * (h + 1 - kh) * (w + 1 - kw) * c_out);
            let err = got
                .iter()
                .zip(&want)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0, f32::max);
            assert!(
                err <= 1e-4,
                "{h}×{w}×{c_in}, kernel ({kh},{kw}), C_out {c_out}: {err}"
            );
        }
    }
}

#[test]
fn conv_gradients_match_finite_differences() {
    let dev = Dev::default();
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    for &((kh, kw), c) in &[((3, 2), 2), ((4, 5), 1), ((2, 3), 3)] {
        let shape = (2, 5, 6, c);
        let conv = Conv2d::new(&dev, c, 3, (kh, kw), &mut rng);
        let (oh, ow) = conv.output_size(5, 6);
        let xs = uniform(&mut rng, 2 * 5 * 6 * c);
        let r = uniform(&mut rng, 2 * oh * ow * 3);
        let rt: Image = dev.tensor_from_vec(r.clone(), (2, oh, ow, 3));
        let loss_of = |conv: &Conv2d, xs: &[f32]| -> f32 {
            let y = conv.forward(image(&dev, shape, xs.to_vec()));
            (y * rt.clone()).sum::<(), _>().array()
        };
        // Analytic gradients of L = Σ y·r.
        let x = image(&dev, shape, xs.clone()).traced(Gradients::leaky());
        let loss = (conv.forward(x.with_empty_tape()) * rt.clone()).sum::<(), _>();
        let grads = loss.backward();
        let gx = grads.get(&x).as_vec();
        let gw = grads.get(&conv.w).as_vec();
        let gb = grads.get(&conv.b).as_vec();

        let eps = 1e-2;
        let nx = finite_differences(&xs, eps, |v| loss_of(&conv, v));
        let w0 = conv.w.as_vec();
        let nw = finite_differences(&w0, eps, |v| {
            let mut c2 = conv.clone();
            c2.w = dev.tensor_from_vec(v.to_vec(), *conv.w.shape());
            loss_of(&c2, &xs)
        });
        let b0 = conv.b.as_vec();
        let nb = finite_differences(&b0, eps, |v| {
            let mut c2 = conv.clone();
            c2.b = dev.tensor_from_vec(v.to_vec(), *conv.b.shape());
            loss_of(&c2, &xs)
        });
        let (ex, ew, eb) = (
            max_rel_err(&gx, &nx, 1e-1),
            max_rel_err(&gw, &nw, 1e-1),
            max_rel_err(&gb, &nb, 1e-1),
        );
        eprintln!(
            "conv ({kh},{kw}) C_in {c}: max rel error input {ex:e} weight {ew:e} bias {eb:e}"
        );
        assert!(ex < 1e-2 && ew < 1e-2 && eb < 1e-2, "{ex} {ew} {eb}");
    }
}

/// Reference batch norm of a row-major (n, f) matrix: (output, batch mean, biased var).
fn naive_batch_norm(
    x: &[f32],
    n: usize,
    f: usize,
    gamma: &[f32],
    beta: &[f32],
    eps: f32,
) -> (Vec<f32>, Vec<f64>, Vec<f64>) {
    let mut mean = vec![0.0f64; f];
    let mut var = vec![0.0f64; f];
    for r in 0..n {
        for k in 0..f {
            mean[k] += x[r * f + k] as f64 / n as f64;
        }
    }
    for r in 0..n {
        for k in 0..f {
            var[k] += (x[r * f + k] as f64 - mean[k]).powi(2) / n as f64;
        }
    }
    let y = (0..n * f)
        .map(|i| {
            let k = i % f;
            let xhat = (x[i] as f64 - mean[k]) / (var[k] + eps as f64).sqrt();
            (gamma[k] as f64 * xhat + beta[k] as f64) as f32
        })
        .collect();
    (y, mean, var)
}

fn bn_with(dev: &Dev, f: usize, rng: &mut ChaCha8Rng) -> BatchNorm {
    let mut bn = BatchNorm::new(dev, f);
    bn.gamma = dev.tensor_from_vec((0..f).map(|_| rng.gen_range(0.5f32..1.5)).collect(), (1, f));
    bn.beta = dev.tensor_from_vec(uniform(rng, f), (1, f));
    bn
}

#[test]
fn batch_norm_train_forward_and_running_stats_match_pytorch() {
    let dev = Dev::default();
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let (n, f) = (6, 4);
    let mut bn = bn_with(&dev, f, &mut rng);
    let mut running_mean = vec![0.0f64; f];
    let mut running_var = vec![1.0f64; f];
    let mut worst = 0.0f32;
    for step in 0..3 {
        let xs: Vec<f32> = uniform(&mut rng, n * f)
            .into_iter()
            .map(|v| 2.0 * v + step as f32)
            .collect();
        let x: Matrix = dev.tensor_from_vec(xs.clone(), (n, f));
        let y = bn.forward(x, Mode::Train).as_vec();
        let (want, mean, var) =
            naive_batch_norm(&xs, n, f, &bn.gamma.as_vec(), &bn.beta.as_vec(), bn.eps);
        for (a, b) in y.iter().zip(&want) {
            worst = worst.max((a - b).abs());
        }
        // PyTorch: running = 0.9·running + 0.1·batch, with the unbiased variance.
        for k in 0..f {
            running_mean[k] = 0.9 * running_mean[k] + 0.1 * mean[k];
            running_var[k] = 0.9 * running_var[k] + 0.1 * var[k] * n as f64 / (n - 1) as f64;
        }
        for (k, (a, b)) in bn
            .running_mean
            .as_vec()
            .iter()
            .zip(&running_mean)
            .enumerate()
        {
            assert!((*a as f64 - b).abs() < 1e-5, "running mean {k}: {a} vs {b}");
        }
        for (k, (a, b)) in bn.running_var.as_vec().iter().zip(&running_var).enumerate() {
            assert!((*a as f64 - b).abs() < 1e-5, "running var {k}: {a} vs {b}");
        }
    }
    assert!(worst < 1e-5, "train forward error {worst}");
    eprintln!("batch norm train forward: max abs error {worst:e}");

    // Eval mode normalises with the running statistics and changes nothing.
    let xs = uniform(&mut rng, n * f);
    let before = (bn.running_mean.as_vec(), bn.running_var.as_vec());
    let y = bn
        .forward(dev.tensor_from_vec(xs.clone(), (n, f)), Mode::Eval)
        .as_vec();
    assert_eq!(before, (bn.running_mean.as_vec(), bn.running_var.as_vec()));
    let (g, b) = (bn.gamma.as_vec(), bn.beta.as_vec());
    for (i, v) in y.iter().enumerate() {
        let k = i % f;
        let want = g[k] as f64 * (xs[i] as f64 - running_mean[k])
            / (running_var[k] + bn.eps as f64).sqrt()
            + b[k] as f64;
        assert!((*v as f64 - want).abs() < 1e-5, "eval {i}: {v} vs {want}");
    }
}

#[test]
fn batch_norm_image_is_per_channel() {
    let dev = Dev::default();
    let mut rng = ChaCha8Rng::seed_from_u64(4);
    let shape = (2, 3, 4, 5);
    let xs = uniform(&mut rng, 2 * 3 * 4 * 5);
    let mut bn = bn_with(&dev, 5, &mut rng);
    let y = bn
        .forward_image(image(&dev, shape, xs.clone()), Mode::Train)
        .as_vec();
    let (want, _, _) = naive_batch_norm(&xs, 24, 5, &bn.gamma.as_vec(), &bn.beta.as_vec(), 1e-5);
    let err = y
        .iter()
        .zip(&want)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f32::max);
    assert!(err < 1e-5, "{err}");
}

#[test]
fn batch_norm_gradients_match_finite_differences() {
    let dev = Dev::default();
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let (n, f) = (5, 3);
    let bn = bn_with(&dev, f, &mut rng);
    let xs = uniform(&mut rng, n * f);
    let r = uniform(&mut rng, n * f);
    let rt: Matrix = dev.tensor_from_vec(r, (n, f));
    // A non-linear read-out so the gradient w.r.t. x is not identically zero in a
    // direction the normalisation removes.
    let loss_of = |bn: &BatchNorm, xs: &[f32]| -> f32 {
        let mut bn = bn.clone();
        let y = bn.forward(dev.tensor_from_vec(xs.to_vec(), (n, f)), Mode::Train);
        (y.square() * rt.clone()).sum::<(), _>().array()
    };
    let mut bn2 = bn.clone();
    let x: Matrix<Taped> = dev
        .tensor_from_vec(xs.clone(), (n, f))
        .traced(Gradients::leaky());
    let y = bn2.forward(x.with_empty_tape(), Mode::Train);
    let grads = (y.square() * rt.clone()).sum::<(), _>().backward();
    let gx = grads.get(&x).as_vec();
    let gg = grads.get(&bn.gamma).as_vec();
    let gb = grads.get(&bn.beta).as_vec();

    let eps = 1e-3;
    let nx = finite_differences(&xs, eps, |v| loss_of(&bn, v));
    let ng = finite_differences(&bn.gamma.as_vec(), eps, |v| {
        let mut b2 = bn.clone();
        b2.gamma = dev.tensor_from_vec(v.to_vec(), (1, f));
        loss_of(&b2, &xs)
    });
    let nb = finite_differences(&bn.beta.as_vec(), eps, |v| {
        let mut b2 = bn.clone();
        b2.beta = dev.tensor_from_vec(v.to_vec(), (1, f));
        loss_of(&b2, &xs)
    });
    let (ex, eg, eb) = (
        max_rel_err(&gx, &nx, 1e-1),
        max_rel_err(&gg, &ng, 1e-1),
        max_rel_err(&gb, &nb, 1e-1),
    );
    eprintln!("batch norm: max rel error input {ex:e} gamma {eg:e} beta {eb:e}");
    assert!(ex < 1e-2 && eg < 1e-2 && eb < 1e-2, "{ex} {eg} {eb}");
}

#[test]
fn dropout_masks() {
    let dev = Dev::default();
    let drop = Dropout::new(0.3);
    let n = 20_000;
    let xs: Vec<f32> = (0..n).map(|i| 1.0 + (i % 7) as f32).collect();
    let x: Matrix = dev.tensor_from_vec(xs.clone(), (100, 200));

    // Eval: identity.
    let mut rng = ChaCha8Rng::seed_from_u64(6);
    assert_eq!(drop.forward(x.clone(), Mode::Eval, &mut rng).as_vec(), xs);

    // Train: kept units are scaled by 1/(1 − p), about 1 − p of them are kept.
    let y = drop
        .forward(x.clone(), Mode::Train, &mut ChaCha8Rng::seed_from_u64(7))
        .as_vec();
    let mut kept = 0;
    for (a, b) in y.iter().zip(&xs) {
        if *a != 0.0 {
            kept += 1;
            assert!((a - b / 0.7).abs() < 1e-5, "{a} vs {b}/0.7");
        }
    }
    let frac = kept as f64 / n as f64;
    eprintln!("dropout p 0.3: kept {frac:.4}");
    assert!((frac - 0.7).abs() < 0.02, "kept {frac}");

    // Same seed, same mask; another seed, another mask.
    let again = drop
        .forward(x.clone(), Mode::Train, &mut ChaCha8Rng::seed_from_u64(7))
        .as_vec();
    assert_eq!(y, again);
    let other = drop
        .forward(x.clone(), Mode::Train, &mut ChaCha8Rng::seed_from_u64(8))
        .as_vec();
    assert_ne!(y, other);

    // The gradient of Σ y is 1/(1 − p) on kept units and 0 on dropped ones.
    let xt = x.clone().traced(Gradients::leaky());
    let yt = drop.forward(
        xt.with_empty_tape(),
        Mode::Train,
        &mut ChaCha8Rng::seed_from_u64(7),
    );
    let g = yt.sum::<(), _>().backward().get(&xt).as_vec();
    for (gi, yi) in g.iter().zip(&y) {
        let want = if *yi != 0.0 { 1.0 / 0.7 } else { 0.0 };
        assert!((gi - want).abs() < 1e-6, "{gi} vs {want}");
    }
}

/// Conv → BN → ReLU → Dropout → flatten → Dense.
#[derive(Clone)]
struct TinyCnn {
    conv: Conv2d,
    bn: BatchNorm,
    drop: Dropout,
    dense: Dense,
}

impl TinyCnn {
    fn forward<T: Tape<f32, Dev> + Merge<T> + Default>(
        &mut self,
        x: Image<T>,
        mode: Mode,
        rng: &mut ChaCha8Rng,
    ) -> Matrix<T> {
        let y = self.conv.forward(x);
        let y = self.bn.forward_image(y, mode).relu();
        let y = self.drop.forward(y, mode, rng);
        let (b, h, w, c) = *y.shape();
        self.dense.forward(y.reshape_like(&(b, h * w * c)))
    }
}

impl Params for TinyCnn {
    fn visit(&self, f: &mut dyn FnMut(&str, &Matrix)) {
        self.conv.visit(&mut |n, t| f(&format!("conv.{n}"), t));
        self.bn.visit(&mut |n, t| f(&format!("bn.{n}"), t));
        f("dense.weight", &self.dense.w);
        f("dense.bias", &self.dense.b);
    }

    fn visit_mut(&mut self, f: &mut dyn FnMut(&str, &mut Matrix)) {
        self.conv.visit_mut(&mut |n, t| f(&format!("conv.{n}"), t));
        self.bn.visit_mut(&mut |n, t| f(&format!("bn.{n}"), t));
        f("dense.weight", &mut self.dense.w);
        f("dense.bias", &mut self.dense.b);
    }
}

impl meowlab_nn::conv::Buffers for TinyCnn {
    fn visit_buffers(&self, f: &mut dyn FnMut(&str, &Matrix)) {
        self.bn.visit_buffers(&mut |n, t| f(&format!("bn.{n}"), t));
    }

    fn visit_buffers_mut(&mut self, f: &mut dyn FnMut(&str, &mut Matrix)) {
        self.bn
            .visit_buffers_mut(&mut |n, t| f(&format!("bn.{n}"), t));
    }
}

fn cross_entropy(
    logits: Matrix<Taped>,
    labels: &[usize],
    dev: &Dev,
) -> Tensor<(), f32, Dev, Taped> {
    let (n, k) = *logits.shape();
    let mut onehot = vec![0.0f32; n * k];
    for (i, &l) in labels.iter().enumerate() {
        onehot[i * k + l] = 1.0;
    }
    let targets: Matrix = dev.tensor_from_vec(onehot, (n, k));
    cross_entropy_with_logits_loss(logits, targets)
}

#[test]
fn tiny_cnn_overfits_a_batch_and_round_trips() {
    use meowlab_nn::conv::Buffers;
    let dev = Dev::default();
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let (b, h, w) = (16, 8, 9);
    let classes = 4;
    let conv = Conv2d::new(&dev, 1, 6, (3, 2), &mut rng);
    let (oh, ow) = conv.output_size(h, w);
    let mut net = TinyCnn {
        conv,
        bn: BatchNorm::new(&dev, 6),
        drop: Dropout::new(0.1),
        dense: Dense::new(&dev, oh * ow * 6, classes, &mut rng),
    };
    let xs: Vec<f32> = (0..b * h * w)
        .map(|_| if rng.gen_bool(0.3) { 1.0 } else { 0.0 })
        .collect();
    let labels: Vec<usize> = (0..b).map(|_| rng.gen_range(0..classes)).collect();
    let x = image(&dev, (b, h, w, 1), xs);
    let mut opt = Optimizer::new(&net, OptimizerConfig::adam(1e-2));
    let mut drop_rng = ChaCha8Rng::seed_from_u64(10);
    let mut first = None;
    let mut last = 0.0;
    for _ in 0..150 {
        let logits = net.forward(
            x.clone().traced(Gradients::leaky()),
            Mode::Train,
            &mut drop_rng,
        );
        let loss = cross_entropy(logits, &labels, &dev);
        last = loss.array();
        first.get_or_insert(last);
        let mut grads = loss.backward();
        opt.update(&mut net, &mut grads);
    }
    let first = first.unwrap();
    let eval_logits = net.forward(x.clone(), Mode::Eval, &mut drop_rng);
    let eval_loss = cross_entropy(eval_logits.retaped::<Taped>(), &labels, &dev).array();
    eprintln!("tiny CNN: train loss {first:.4} → {last:.4}, eval loss {eval_loss:.4}");
    assert!(last < 0.1 * first, "{first} → {last}");
    assert!(eval_loss < 0.2 * first, "eval {eval_loss}");

    // Parameters and running statistics survive a save/load.
    let dir = std::env::temp_dir().join(format!("meowlab-conv-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("tiny.safetensors");
    save_state(&net, &path).unwrap();
    let mut fresh = TinyCnn {
        conv: Conv2d::new(&dev, 1, 6, (3, 2), &mut rng),
        bn: BatchNorm::new(&dev, 6),
        drop: Dropout::new(0.1),
        dense: Dense::new(&dev, oh * ow * 6, classes, &mut rng),
    };
    load_state(&mut fresh, &path).unwrap();
    let mut a = Vec::new();
    net.visit(&mut |_, t| a.push(t.as_vec()));
    net.visit_buffers(&mut |_, t| a.push(t.as_vec()));
    let mut c = Vec::new();
    fresh.visit(&mut |_, t| c.push(t.as_vec()));
    fresh.visit_buffers(&mut |_, t| c.push(t.as_vec()));
    assert_eq!(a, c);
    assert_eq!(
        net.forward(x.clone(), Mode::Eval, &mut drop_rng).as_vec(),
        fresh.forward(x, Mode::Eval, &mut drop_rng).as_vec()
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// Forward + backward of a Meowjong-sized first layer stack (not asserted).
#[test]
#[ignore = "timing only: run with --ignored --nocapture"]
fn conv_timing() {
    let dev = Dev::default();
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let shape = (64, 34, 366, 1);
    let xs: Vec<f32> = (0..64 * 34 * 366)
        .map(|_| if rng.gen_bool(0.1) { 1.0 } else { 0.0 })
        .collect();
    let x = image(&dev, shape, xs);
    let conv = Conv2d::new(&dev, 1, 32, (4, 5), &mut rng);
    let mut bn = BatchNorm::new(&dev, 32);
    let drop = Dropout::new(0.5);
    for rep in 0..3 {
        let start = Instant::now();
        let y = conv.forward(x.clone().traced(Gradients::leaky()));
        let y = bn.forward_image(y, Mode::Train).relu();
        let y = drop.forward(y, Mode::Train, &mut rng);
        let loss = y.mean::<(), _>();
        let t_fwd = start.elapsed();
        let grads = loss.backward();
        let _ = grads.get(&conv.w);
        eprintln!(
            "[64,34,366,1] → Conv(4,5)·32 → BN → ReLU → Dropout, rep {rep}: forward {:.1?}, forward+backward {:.1?}",
            t_fwd,
            start.elapsed()
        );
    }
}

/// Per-layer forward and forward + backward times of the same stack (not asserted).
#[test]
#[ignore = "timing only: run with --ignored --nocapture"]
fn conv_timing_breakdown() {
    let dev = Dev::default();
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let shape = (64, 34, 366, 1);
    let xs: Vec<f32> = (0..64 * 34 * 366)
        .map(|_| if rng.gen_bool(0.1) { 1.0 } else { 0.0 })
        .collect();
    let x = image(&dev, shape, xs);
    let conv = Conv2d::new(&dev, 1, 32, (4, 5), &mut rng);
    let mut bn = BatchNorm::new(&dev, 32);
    let drop = Dropout::new(0.5);
    let t = Instant::now();
    let y = conv.forward(x.clone());
    eprintln!("conv fwd {:.1?}", t.elapsed());
    let t = Instant::now();
    let z = bn.forward_image(y.clone(), Mode::Train);
    eprintln!("bn fwd {:.1?}", t.elapsed());
    let t = Instant::now();
    let z = z.relu();
    eprintln!("relu fwd {:.1?}", t.elapsed());
    let t = Instant::now();
    let _ = drop.forward(z, Mode::Train, &mut rng);
    eprintln!("drop fwd {:.1?}", t.elapsed());
    let t = Instant::now();
    let y2 = conv.forward(x.clone().traced(Gradients::leaky()));
    let l = y2.mean::<(), _>();
    eprintln!("conv taped fwd {:.1?}", t.elapsed());
    let _ = l.backward();
    eprintln!("conv fwd+bwd {:.1?}", t.elapsed());
    let t = Instant::now();
    let z = bn.forward_image(y.clone().traced(Gradients::leaky()), Mode::Train);
    let l = z.mean::<(), _>();
    eprintln!("bn taped fwd {:.1?}", t.elapsed());
    let _ = l.backward();
    eprintln!("bn fwd+bwd {:.1?}", t.elapsed());
}
