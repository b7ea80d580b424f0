//! The CPU kernels (conv, fused ReLU → BatchNorm → Dropout, Adam) against the
//! device-generic dfdx formulations the `cuda` feature runs: same outputs, gradients,
//! running statistics and updates, over shapes that exercise every code path (direct
//! kernels and the im2col + sgemm fallback, full and partial pixel blocks, several
//! parallel chunks and a partial one).

use dfdx::prelude::*;
use meowlab_nn::conv::{BatchNorm, Conv2d, Dropout, Image, Mode};
use meowlab_nn::nn::{Activation, Dev, Matrix, Mlp, Optimizer, OptimizerConfig, Params, Taped};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn uniform(rng: &mut ChaCha8Rng, n: usize) -> Vec<f32> {
    (0..n).map(|_| rng.gen_range(-1.0f32..1.0)).collect()
}

fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

/// Σ y ⊙ probe for a fixed random probe, so every output gets a distinct gradient.
fn probe_loss<S: Shape>(
    y: Tensor<S, f32, Dev, Taped>,
    probe: &[f32],
) -> Tensor<(), f32, Dev, Taped> {
    let shape = *y.shape();
    let p: Tensor<S, f32, Dev> = y.device().tensor_from_vec(probe.to_vec(), shape);
    (y * p).sum()
}

#[test]
fn conv_kernels_match_the_generic_path() {
    let dev = Dev::default();
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    // (batch, h, w, c_in, c_out, kernel): direct kernels for c_out ∈ {1, 2, 4, 8, 16} (input
    // gradient direct for c_in in the same set), the forward in groups of 16 for multiples
    // of 16 up to 128, sgemm otherwise.
    let cases = [
        (5, 9, 20, 1, 8, (4, 5)),
        (5, 9, 11, 8, 8, (4, 5)),
        (3, 7, 13, 8, 16, (2, 3)),
        (2, 6, 9, 3, 4, (3, 2)),
        (6, 8, 10, 3, 5, (3, 4)),
        (2, 5, 12, 16, 32, (1, 1)),
        (2, 8, 14, 8, 48, (4, 5)),
        (1, 5, 6, 4, 144, (2, 2)),
        (1, 4, 4, 2, 2, (4, 4)),
    ];
    for (b, h, w, ci, co, k) in cases {
        let conv = Conv2d::new(&dev, ci, co, k, &mut rng);
        let xs = uniform(&mut rng, b * h * w * ci);
        let (oh, ow) = conv.output_size(h, w);
        let probe = uniform(&mut rng, b * oh * ow * co);
        let x: Image = dev.tensor_from_vec(xs, (b, h, w, ci));
        let run = |generic: bool| {
            let xt = x.clone().traced(Gradients::leaky());
            let y = if generic {
                conv.forward_generic(xt)
            } else {
                conv.forward(xt)
            };
            let values = y.as_vec();
            let grads = probe_loss(y, &probe).backward();
            (
                values,
                grads.get(&x).as_vec(),
                grads.get(&conv.w).as_vec(),
                grads.get(&conv.b).as_vec(),
            )
        };
        let (y1, dx1, dw1, db1) = run(false);
        let (y2, dx2, dw2, db2) = run(true);
        let case = format!("{b}x{h}x{w}x{ci} -> {co}, kernel {k:?}");
        assert!(max_abs_diff(&y1, &y2) < 1e-5, "{case}: forward");
        assert!(max_abs_diff(&dx1, &dx2) < 1e-5, "{case}: input gradient");
        assert!(max_abs_diff(&dw1, &dw2) < 1e-4, "{case}: weight gradient");
        assert!(max_abs_diff(&db1, &db2) < 1e-4, "{case}: bias gradient");
        // A leaf input gives the same parameter gradients without an input gradient.
        let y = conv.forward_leaf(x.clone());
        let grads = probe_loss(y, &probe).backward();
        assert_eq!(
            grads.get(&conv.w).as_vec(),
            dw1,
            "{case}: leaf weight gradient"
        );
    }
}

#[test]
fn fused_relu_batch_norm_dropout_matches_the_separate_ops() {
    let dev = Dev::default();
    let mut rng = ChaCha8Rng::seed_from_u64(4);
    // 20,000 rows span several parallel chunks and a partial one.
    for (n, c, p) in [(20_000, 8, 0.5), (7, 3, 0.0), (64, 16, 0.25)] {
        let mut fused = BatchNorm::new(&dev, c);
        fused.gamma = dev.tensor_from_vec(uniform(&mut rng, c), (1, c));
        fused.beta = dev.tensor_from_vec(uniform(&mut rng, c), (1, c));
        let mut separate = fused.clone();
        let dropout = Dropout::new(p);
        let x: Matrix = dev.tensor_from_vec(uniform(&mut rng, n * c), (n, c));
        let probe = uniform(&mut rng, n * c);
        for mode in [Mode::Train, Mode::Train, Mode::Eval] {
            let seed = rng.gen();
            let run = |bn: &mut BatchNorm, generic: bool| {
                let mut r = ChaCha8Rng::seed_from_u64(seed);
                let xt = x.clone().traced(Gradients::leaky());
                let y = if generic {
                    bn.forward_fused_generic(xt, mode, &dropout, &mut r)
                } else {
                    bn.forward_fused(xt, mode, &dropout, &mut r)
                };
                let values = y.as_vec();
                let grads = probe_loss(y, &probe).backward();
                (
                    values,
                    grads.get(&x).as_vec(),
                    grads.get(&bn.gamma).as_vec(),
                    grads.get(&bn.beta).as_vec(),
                )
            };
            let (y1, dx1, dg1, db1) = run(&mut fused, false);
            let (y2, dx2, dg2, db2) = run(&mut separate, true);
            let case = format!("{n}x{c}, p {p}, {mode:?}");
            // The generic path sums 20,000 rows in f32 (the kernels in f64): errors of a
            // few 1e-4 there; a wrong mask, order or formula is off by O(1).
            let d = max_abs_diff(&y1, &y2);
            assert!(d < 1e-3, "{case}: forward differs by {d}");
            let d = max_abs_diff(&dx1, &dx2);
            assert!(d < 1e-3, "{case}: input gradient differs by {d}");
            let tol = 1e-5 * n as f32;
            let d = max_abs_diff(&dg1, &dg2);
            assert!(d < tol, "{case}: γ gradient differs by {d}");
            let d = max_abs_diff(&db1, &db2);
            assert!(d < tol, "{case}: β gradient differs by {d}");
            let stats = |bn: &BatchNorm| [bn.running_mean.as_vec(), bn.running_var.as_vec()];
            for (a, b) in stats(&fused).iter().zip(stats(&separate).iter()) {
                assert!(max_abs_diff(a, b) < 1e-5, "{case}: running statistics");
            }
        }
    }
}

#[test]
fn plain_batch_norm_kernel_matches_the_generic_path() {
    let dev = Dev::default();
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let (n, c) = (300, 5);
    let mut a = BatchNorm::new(&dev, c);
    let mut b = a.clone();
    let x: Matrix = dev.tensor_from_vec(uniform(&mut rng, n * c), (n, c));
    for mode in [Mode::Train, Mode::Eval] {
        let ya = a.forward(x.clone(), mode).as_vec();
        let yb = b.forward_generic(x.clone(), mode).as_vec();
        assert!(max_abs_diff(&ya, &yb) < 1e-5, "{mode:?}");
    }
}

#[test]
fn cpu_adam_gives_the_same_bits_as_the_tensor_op_adam() {
    let dev = Dev::default();
    let mut rng = ChaCha8Rng::seed_from_u64(6);
    let mut fast = Mlp::new(&dev, &[300, 70, 3], Activation::Relu, &mut rng);
    let mut reference = fast.clone();
    // Clipping at a norm no gradient reaches selects the tensor-op path, scale 1.
    let mut fast_opt = Optimizer::new(&fast, OptimizerConfig::adam(1e-2));
    let mut ref_opt = Optimizer::new(
        &reference,
        OptimizerConfig {
            max_grad_norm: Some(1e30),
            ..OptimizerConfig::adam(1e-2)
        },
    );
    let x: Matrix = dev.tensor_from_vec(uniform(&mut rng, 16 * 300), (16, 300));
    for _ in 0..5 {
        let mut grads_fast = fast
            .forward(x.clone().traced(Gradients::leaky()))
            .square()
            .mean()
            .backward();
        let n1 = fast_opt.update(&mut fast, &mut grads_fast);
        let mut grads_ref = reference
            .forward(x.clone().traced(Gradients::leaky()))
            .square()
            .mean()
            .backward();
        let n2 = ref_opt.update(&mut reference, &mut grads_ref);
        assert!((n1 - n2).abs() < 1e-6 * n2.max(1.0), "norms {n1} vs {n2}");
        let mut pa = Vec::new();
        fast.visit(&mut |_, t| pa.push(t.as_vec()));
        let mut pb = Vec::new();
        reference.visit(&mut |_, t| pb.push(t.as_vec()));
        assert_eq!(pa, pb);
    }
    // The host-side moments survive a save and load: a resumed optimizer continues with
    // the same bits.
    let path =
        std::env::temp_dir().join(format!("meowlab-adam-{}.safetensors", std::process::id()));
    fast_opt.save(&path).unwrap();
    let mut resumed = fast.clone();
    let mut resumed_opt = Optimizer::new(&resumed, OptimizerConfig::adam(1e-2));
    resumed_opt.load(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    for (net, opt) in [(&mut fast, &mut fast_opt), (&mut resumed, &mut resumed_opt)] {
        let mut grads = net
            .forward(x.clone().traced(Gradients::leaky()))
            .square()
            .mean()
            .backward();
        opt.update(net, &mut grads);
    }
    let (mut pa, mut pb) = (Vec::new(), Vec::new());
    fast.visit(&mut |_, t| pa.push(t.as_vec()));
    resumed.visit(&mut |_, t| pb.push(t.as_vec()));
    assert_eq!(pa, pb);
}
