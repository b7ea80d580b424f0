//! Hand-written CPU kernels for the convolution and BatchNorm of [`crate::conv`]: plain
//! slices in, plain slices out, so they are testable without dfdx.
//!
//! Why: dfdx's generic CPU path (gather-based im2col with a broadcast index, strided
//! broadcasts, reductions) made a small Meowjong CNN ~10× slower than PyTorch. Here a
//! convolution is im2col of one sample at a time into a reused buffer (window rows are
//! contiguous in channels-last images, so it is a few `memcpy`s per pixel) and one
//! `sgemm`; samples run in parallel on rayon (which dfdx already uses for its matmuls).
//!
//! **Determinism.** Batch-wide sums (weight and bias gradients) are accumulated per fixed
//! chunk of samples and the chunk sums added in order, so results do not depend on the
//! number of threads or on scheduling.

use rayon::prelude::*;

/// Samples per parallel work item (fixed, so reductions are deterministic).
const SAMPLES_PER_CHUNK: usize = 4;

/// Shapes of one VALID, stride-1 convolution over channels-last images.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ConvGeometry {
    pub batch: usize,
    pub h: usize,
    pub w: usize,
    pub c_in: usize,
    pub kh: usize,
    pub kw: usize,
    pub c_out: usize,
}

impl ConvGeometry {
    pub fn out_h(&self) -> usize {
        self.h + 1 - self.kh
    }

    pub fn out_w(&self) -> usize {
        self.w + 1 - self.kw
    }

    /// Output pixels per sample.
    fn pixels(&self) -> usize {
        self.out_h() * self.out_w()
    }

    /// Length of one im2col row (`kh·kw·C_in`).
    fn window(&self) -> usize {
        self.kh * self.kw * self.c_in
    }

    fn in_len(&self) -> usize {
        self.h * self.w * self.c_in
    }

    fn out_len(&self) -> usize {
        self.pixels() * self.c_out
    }

    /// Copies every window of one sample into `cols` (`pixels × window`, row-major; column
    /// `(i·kw + j)·C_in + c` is tap `(i, j)` of channel `c`).
    fn im2col(&self, x: &[f32], cols: &mut [f32]) {
        self.im2col_rows(x, 0, self.out_h(), cols)
    }

    /// [`ConvGeometry::im2col`] of the output rows `first..first + rows` only.
    fn im2col_rows(&self, x: &[f32], first: usize, rows: usize, cols: &mut [f32]) {
        let run = self.kw * self.c_in;
        let window = self.window();
        let mut windows = cols.chunks_exact_mut(window);
        for y in first..first + rows {
            for x0 in 0..self.out_w() {
                let row = windows.next().expect("one row per pixel");
                for i in 0..self.kh {
                    let src = ((y + i) * self.w + x0) * self.c_in;
                    row[i * run..(i + 1) * run].copy_from_slice(&x[src..src + run]);
                }
            }
        }
    }

    /// Adds every window row of `cols` back onto the pixels it came from (im2col's adjoint).
    fn col2im_add(&self, cols: &[f32], dx: &mut [f32]) {
        let run = self.kw * self.c_in;
        let mut rows = cols.chunks_exact(self.window());
        for y in 0..self.out_h() {
            for x0 in 0..self.out_w() {
                let row = rows.next().expect("one row per pixel");
                for i in 0..self.kh {
                    let dst = ((y + i) * self.w + x0) * self.c_in;
                    for (d, s) in dx[dst..dst + run].iter_mut().zip(&row[i * run..]) {
                        *d += s;
                    }
                }
            }
        }
    }
}

/// `C (m×n) = A (m×k) · B (k×n) + beta·C` with explicit (row, column) strides.
#[allow(clippy::too_many_arguments)]
fn gemm(
    (m, k, n): (usize, usize, usize),
    a: &[f32],
    (rsa, csa): (usize, usize),
    b: &[f32],
    (rsb, csb): (usize, usize),
    beta: f32,
    c: &mut [f32],
) {
    let last = |rs: usize, cs: usize, rows: usize, cols: usize| {
        if rows == 0 || cols == 0 {
            0
        } else {
            (rows - 1) * rs + (cols - 1) * cs + 1
        }
    };
    assert!(a.len() >= last(rsa, csa, m, k) && b.len() >= last(rsb, csb, k, n));
    assert!(c.len() >= m * n);
    // SAFETY: the asserts above keep every strided access of A, B and C in bounds, and
    // C's row-major strides (n, 1) never alias.
    unsafe {
        matrixmultiply::sgemm(
            m,
            k,
            n,
            1.0,
            a.as_ptr(),
            rsa as isize,
            csa as isize,
            b.as_ptr(),
            rsb as isize,
            csb as isize,
            beta,
            c.as_mut_ptr(),
            n as isize,
            1,
        );
    }
}

/// Output rows per parallel work item of the direct forward kernel.
const OUTPUT_ROWS_PER_ITEM: usize = 2;

/// Output rows per work item when the output is narrower than a pixel block (the
/// kernel blocks down columns then): two blocks of 6, or one and a half of 8.
const NARROW_ROWS_PER_ITEM: usize = 12;

/// Output channels up to which the direct kernels run (above, im2col + sgemm wins).
const DIRECT_MAX_CHANNELS: usize = 16;

/// `acc + a·b`, fused when `FMA` (only in builds for CPUs that have it).
#[inline(always)]
fn madd<const FMA: bool>(acc: f32, a: f32, b: f32) -> f32 {
    if FMA {
        a.mul_add(b, acc)
    } else {
        acc + a * b
    }
}

/// Direct convolution of one sample for `N` output channels: output pixels go in blocks
/// of neighbours along a row (8 for N ≤ 8, else 4: what fits the 16 vector registers),
/// each with an `[f32; N]` accumulator, so every weight row loaded serves the whole block
/// and the additions form independent chains. `w` holds `N` weights per window row; the
/// `N` outputs of a pixel go to `y[pixel·stride + offset..][..N]` (a group of the
/// channels when `stride` > N).
#[inline(always)]
fn direct_forward<const N: usize, const FMA: bool>(
    g: &ConvGeometry,
    x: &[f32],
    (w, bias): (&[f32], &[f32]),
    y: &mut [f32],
    first_row: usize,
    (stride, offset): (usize, usize),
) {
    if N <= 8 {
        forward_rows::<N, 8, FMA>(g, x, (w, bias), y, first_row, (stride, offset))
    } else {
        forward_rows::<N, 6, FMA>(g, x, (w, bias), y, first_row, (stride, offset))
    }
}

#[inline(always)]
fn forward_rows<const N: usize, const P: usize, const FMA: bool>(
    g: &ConvGeometry,
    x: &[f32],
    (w, bias): (&[f32], &[f32]),
    y: &mut [f32],
    first_row: usize,
    (stride, offset): (usize, usize),
) {
    let out_w = g.out_w();
    let row_len = out_w * stride;
    assert!(
        offset + N <= stride,
        "the channel group lies inside a pixel's outputs"
    );
    if out_w < P {
        // Rows narrower than a block (a kernel as wide as the planes leaves one column):
        // the block runs down a column instead, its pixels one input row apart.
        let rows = y.len() / row_len;
        let steps = (g.w * g.c_in, row_len);
        for ox in 0..out_w {
            let mut r = 0;
            while r + P <= rows {
                let out = &mut y[r * row_len + ox * stride..];
                pixel_block::<N, P, FMA>(g, x, (w, bias), (first_row + r, ox), out, steps, offset);
                r += P;
            }
            while r + 2 <= rows {
                let out = &mut y[r * row_len + ox * stride..];
                pixel_block::<N, 2, FMA>(g, x, (w, bias), (first_row + r, ox), out, steps, offset);
                r += 2;
            }
            if r < rows {
                let out = &mut y[r * row_len + ox * stride..];
                pixel_block::<N, 1, FMA>(g, x, (w, bias), (first_row + r, ox), out, steps, offset);
            }
        }
        return;
    }
    let steps = (g.c_in, stride);
    for (r, row) in y.chunks_exact_mut(row_len).enumerate() {
        let oy = first_row + r;
        let mut ox = 0;
        while ox + P <= out_w {
            let out = &mut row[ox * stride..(ox + P) * stride];
            pixel_block::<N, P, FMA>(g, x, (w, bias), (oy, ox), out, steps, offset);
            ox += P;
        }
        for ox in ox..out_w {
            let out = &mut row[ox * stride..(ox + 1) * stride];
            pixel_block::<N, 1, FMA>(g, x, (w, bias), (oy, ox), out, steps, offset);
        }
    }
}

/// `P` output pixels from `(oy, ox)` on of [`direct_forward`]: neighbours along a row,
/// or down a column. Pixel `k` reads its window `k·x_step` floats after pixel 0's and
/// writes its `N` outputs to `out[k·y_step + offset..]`.
#[inline(always)]
fn pixel_block<const N: usize, const P: usize, const FMA: bool>(
    g: &ConvGeometry,
    x: &[f32],
    (w, bias): (&[f32], &[f32]),
    (oy, ox): (usize, usize),
    out: &mut [f32],
    (x_step, y_step): (usize, usize),
    offset: usize,
) {
    let run = g.kw * g.c_in;
    // checked once here, so the stores below need no bounds checks (a possible panic
    // after the accumulation would keep the accumulators out of registers)
    assert!(out.len() >= (P - 1) * y_step + offset + N);
    let bias: &[f32; N] = bias.try_into().expect("N biases");
    let mut acc = [*bias; P];
    for i in 0..g.kh {
        let src = ((oy + i) * g.w + ox) * g.c_in;
        let xs = &x[src..src + run + (P - 1) * x_step];
        let ws = &w[i * run * N..(i + 1) * run * N];
        for r in 0..run {
            // SAFETY: `ws` holds `run` rows of N weights and r < run; `xs` is
            // run + (P − 1)·x_step long and r + k·x_step < run + (P − 1)·x_step for k < P.
            // (Unchecked: the bounds checks cost more than the multiply-adds here.)
            let row: &[f32; N] = unsafe { &*(ws.as_ptr().add(r * N) as *const [f32; N]) };
            for (k, a) in acc.iter_mut().enumerate() {
                let v = unsafe { *xs.get_unchecked(r + k * x_step) };
                for o in 0..N {
                    a[o] = madd::<FMA>(a[o], v, row[o]);
                }
            }
        }
    }
    for (k, a) in acc.iter().enumerate() {
        // SAFETY: k < P, and out.len() ≥ (P − 1)·y_step + offset + N (asserted above).
        unsafe {
            std::ptr::copy_nonoverlapping(a.as_ptr(), out.as_mut_ptr().add(k * y_step + offset), N);
        }
    }
}

/// Adds one sample's weight gradient `Σ_pixels window(p)ᵀ · dy(p)` into `dw` for
/// `C_out = N`: blocks of `R` weight rows stay in registers over a sweep of all pixels
/// (8 rows for N ≤ 8, else 4).
#[inline(always)]
fn weight_grad<const N: usize, const FMA: bool>(
    g: &ConvGeometry,
    x: &[f32],
    dy: &[f32],
    dw: &mut [f32],
) {
    let run = g.kw * g.c_in;
    for i in 0..g.kh {
        let mut r = 0;
        if N <= 8 {
            while r + 8 <= run {
                weight_rows::<N, 8, FMA>(g, x, dy, dw, i, r);
                r += 8;
            }
        }
        while r + 4 <= run {
            weight_rows::<N, 4, FMA>(g, x, dy, dw, i, r);
            r += 4;
        }
        for r in r..run {
            weight_rows::<N, 1, FMA>(g, x, dy, dw, i, r);
        }
    }
}

/// Weight rows `i·run + r0 .. + R` of [`weight_grad`].
#[inline(always)]
fn weight_rows<const N: usize, const R: usize, const FMA: bool>(
    g: &ConvGeometry,
    x: &[f32],
    dy: &[f32],
    dw: &mut [f32],
    i: usize,
    r0: usize,
) {
    let run = g.kw * g.c_in;
    let rows = &mut dw[(i * run + r0) * N..(i * run + r0 + R) * N];
    let mut acc = [[0.0f32; N]; R];
    for (a, row) in acc.iter_mut().zip(rows.chunks_exact(N)) {
        a.copy_from_slice(row);
    }
    let out_w = g.out_w();
    for oy in 0..g.out_h() {
        let grads = &dy[oy * out_w * N..(oy + 1) * out_w * N];
        for (ox, gy) in grads.chunks_exact(N).enumerate() {
            let gy: &[f32; N] = gy.try_into().expect("N gradients");
            let src = ((oy + i) * g.w + ox) * g.c_in + r0;
            let xs: &[f32; R] = x[src..src + R].try_into().expect("R inputs");
            for (a, &v) in acc.iter_mut().zip(xs) {
                for o in 0..N {
                    a[o] = madd::<FMA>(a[o], v, gy[o]);
                }
            }
        }
    }
    for (row, a) in rows.chunks_exact_mut(N).zip(&acc) {
        row.copy_from_slice(a);
    }
}

/// The direct kernels compiled for AVX2 + FMA (8-lane vectors, fused multiply-add; chosen
/// at run time, since the default x86-64 target only assumes SSE2).
#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::ConvGeometry;

    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn forward<const N: usize>(
        g: &ConvGeometry,
        x: &[f32],
        weights: (&[f32], &[f32]),
        y: &mut [f32],
        first_row: usize,
        slots: (usize, usize),
    ) {
        super::direct_forward::<N, true>(g, x, weights, y, first_row, slots)
    }

    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn weight_grad<const N: usize>(
        g: &ConvGeometry,
        x: &[f32],
        dy: &[f32],
        dw: &mut [f32],
    ) {
        super::weight_grad::<N, true>(g, x, dy, dw)
    }
}

fn has_avx2() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// [`direct_forward`] over all `N` = C_out channels, in its AVX2 + FMA build when the
/// CPU has it.
fn direct_forward_dispatch<const N: usize>(
    g: &ConvGeometry,
    x: &[f32],
    w: &[f32],
    bias: &[f32],
    y: &mut [f32],
    first_row: usize,
) {
    direct_group_dispatch::<N>(g, x, (w, bias), y, first_row, (N, 0))
}

/// [`direct_forward`] for one group of `N` channels, in its AVX2 + FMA build when the CPU
/// has it.
fn direct_group_dispatch<const N: usize>(
    g: &ConvGeometry,
    x: &[f32],
    weights: (&[f32], &[f32]),
    y: &mut [f32],
    first_row: usize,
    slots: (usize, usize),
) {
    #[cfg(target_arch = "x86_64")]
    if has_avx2() {
        // SAFETY: the CPU supports AVX2 and FMA (checked just above).
        return unsafe { avx2::forward::<N>(g, x, weights, y, first_row, slots) };
    }
    direct_forward::<N, false>(g, x, weights, y, first_row, slots)
}

/// [`weight_grad`], in its AVX2 + FMA build when the CPU has it.
fn weight_grad_dispatch<const N: usize>(g: &ConvGeometry, x: &[f32], dy: &[f32], dw: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    if has_avx2() {
        // SAFETY: the CPU supports AVX2 and FMA (checked just above).
        return unsafe { avx2::weight_grad::<N>(g, x, dy, dw) };
    }
    weight_grad::<N, false>(g, x, dy, dw)
}

/// Runs `$body` with the const `N` equal to `$c` for the direct kernels' channel counts.
macro_rules! with_channels {
    ($c:expr, $n:ident => $body:expr) => {
        with_channels!(@arms $c, $n => $body; 1 2 4 8 16)
    };
    (@arms $c:expr, $n:ident => $body:expr; $($k:literal)*) => {
        match $c {
            $($k => {
                const $n: usize = $k;
                $body
            })*
            _ => unreachable!("no direct kernel for {} channels", $c),
        }
    };
}

/// Whether the direct kernels handle `channels` output channels.
fn direct(channels: usize) -> bool {
    channels <= DIRECT_MAX_CHANNELS && channels.is_power_of_two()
}

/// Channels per group when a wider layer runs the direct forward kernel group by group.
const DIRECT_GROUP: usize = 16;

/// Whether the forward pass runs `channels` output channels as groups of
/// [`DIRECT_GROUP`] through the direct kernel.
fn grouped(channels: usize) -> bool {
    channels.is_multiple_of(DIRECT_GROUP) && channels <= GROUPED_MAX_CHANNELS
}

/// Output channels up to which the grouped direct forward runs (above, im2col + sgemm).
const GROUPED_MAX_CHANNELS: usize = 128;

/// The convolution's output `[B, H', W', C_out]` for input `x` `[B, H, W, C_in]`, weights
/// `w` `(kh·kw·C_in, C_out)` and bias `(C_out)`.
pub(crate) fn conv_forward(g: &ConvGeometry, x: &[f32], w: &[f32], bias: &[f32]) -> Vec<f32> {
    let mut y = vec![0.0f32; g.batch * g.out_len()];
    let groups = channel_groups(g.c_out, w, bias);
    conv_forward_into(g, x, (w, bias), &groups, &mut y, false);
    y
}

/// The weights and biases of each group of 16 output channels, gathered into rows of
/// 16, for a layer whose forward runs the direct kernel group by group (empty for other
/// layers). Inference gathers them once per network, training once per batch.
pub(crate) fn channel_groups(c_out: usize, w: &[f32], bias: &[f32]) -> Vec<(Vec<f32>, Vec<f32>)> {
    (0..group_count(c_out))
        .map(|k| {
            let cols = k * DIRECT_GROUP..(k + 1) * DIRECT_GROUP;
            let wg = w
                .chunks_exact(c_out)
                .flat_map(|row| row[cols.clone()].iter().copied())
                .collect();
            (wg, bias[cols].to_vec())
        })
        .collect()
}

/// How many groups of [`DIRECT_GROUP`] channels the forward of a `c_out`-channel layer
/// runs (0: all channels at once, or im2col + sgemm).
fn group_count(c_out: usize) -> usize {
    if direct(c_out) || !grouped(c_out) {
        0
    } else {
        c_out / DIRECT_GROUP
    }
}

/// [`conv_forward`] into `y` (`B·H'·W'·C_out` long, any contents: every value is
/// written), with `relu` applied to each block while it is still in cache; `groups` is
/// [`channel_groups`] of the same weights.
pub(crate) fn conv_forward_into(
    g: &ConvGeometry,
    x: &[f32],
    (w, bias): (&[f32], &[f32]),
    groups: &[(Vec<f32>, Vec<f32>)],
    y: &mut [f32],
    relu: bool,
) {
    assert_eq!(y.len(), g.batch * g.out_len(), "output length");
    assert_eq!(
        groups.len(),
        group_count(g.c_out),
        "channel groups of the weights"
    );
    if g.batch == 0 {
        return;
    }
    // Work items are a few output rows of one sample, so a single sample (an agent's
    // decision) also runs on every core.
    let row_len = g.out_w() * g.c_out;
    // narrow outputs block down columns, so an item needs rows for two blocks
    let rows_per_item = if g.out_w() < 8 {
        NARROW_ROWS_PER_ITEM
    } else {
        OUTPUT_ROWS_PER_ITEM
    };
    y.par_chunks_mut(g.out_len())
        .zip(x.par_chunks(g.in_len()))
        .for_each(|(ys, xs)| {
            ys.par_chunks_mut(rows_per_item * row_len)
                .enumerate()
                .for_each(|(i, part)| {
                    let first = i * rows_per_item;
                    if direct(g.c_out) {
                        with_channels!(g.c_out, N => direct_forward_dispatch::<N>(
                            g, xs, w, bias, part, first
                        ));
                    } else if !groups.is_empty() {
                        for (k, (wg, bg)) in groups.iter().enumerate() {
                            let slots = (g.c_out, k * DIRECT_GROUP);
                            direct_group_dispatch::<DIRECT_GROUP>(
                                g,
                                xs,
                                (wg, bg),
                                part,
                                first,
                                slots,
                            );
                        }
                    } else {
                        im2col_forward(g, xs, w, bias, part, first);
                    }
                    if relu {
                        part.iter_mut().for_each(|v| *v = v.max(0.0));
                    }
                })
        });
}

/// The im2col + sgemm forward of output rows `first..` of one sample into `part`.
fn im2col_forward(
    g: &ConvGeometry,
    xs: &[f32],
    w: &[f32],
    bias: &[f32],
    part: &mut [f32],
    first: usize,
) {
    let row_len = g.out_w() * g.c_out;
    let pixels = part.len() / g.c_out;
    thread_local! {
        /// im2col rows, reused by each worker thread (every value is overwritten, so
        /// megabytes are not zeroed and faulted in again for every block).
        static COLS: std::cell::RefCell<Vec<f32>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    COLS.with_borrow_mut(|buffer| {
        let len = pixels * g.window();
        if buffer.len() < len {
            buffer.resize(len, 0.0);
        }
        let cols = &mut buffer[..len];
        g.im2col_rows(xs, first, part.len() / row_len, cols);
        for row in part.chunks_exact_mut(g.c_out) {
            row.copy_from_slice(bias);
        }
        gemm(
            (pixels, g.window(), g.c_out),
            cols,
            (g.window(), 1),
            w,
            (g.c_out, 1),
            1.0,
            part,
        );
    });
}

/// Gradients of the convolution given the output gradient `dy`: `(dx, dw, dbias)`;
/// `dx` is empty unless `need_dx`.
///
/// With the direct kernels, `dx` is itself a direct convolution: the "full" convolution
/// of `dy` (zero-padded by `kh − 1` rows and `kw − 1` columns on each side) with the
/// kernel flipped in space and transposed in channels.
pub(crate) fn conv_backward(
    g: &ConvGeometry,
    x: &[f32],
    w: &[f32],
    dy: &[f32],
    need_dx: bool,
) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    let mut dx = vec![0.0f32; if need_dx { g.batch * g.in_len() } else { 0 }];
    let dx_chunk = if need_dx {
        g.in_len() * SAMPLES_PER_CHUNK
    } else {
        1
    };
    let chunks = g.batch.div_ceil(SAMPLES_PER_CHUNK);
    let mut dx_parts: Vec<&mut [f32]> = dx.chunks_mut(dx_chunk).collect();
    dx_parts.resize_with(chunks, Default::default);
    let full = ConvGeometry {
        batch: 1,
        h: g.h + g.kh - 1,
        w: g.w + g.kw - 1,
        c_in: g.c_out,
        kh: g.kh,
        kw: g.kw,
        c_out: g.c_in,
    };
    let mut w_full = vec![0.0f32; w.len()];
    for i in 0..g.kh {
        for j in 0..g.kw {
            let tap = ((g.kh - 1 - i) * g.kw + (g.kw - 1 - j)) * g.c_in;
            for o in 0..g.c_out {
                for c in 0..g.c_in {
                    w_full[((i * g.kw + j) * g.c_out + o) * g.c_in + c] =
                        w[(tap + c) * g.c_out + o];
                }
            }
        }
    }
    let zero_bias = vec![0.0f32; g.c_in];
    let (wn, co) = (g.window() * g.c_out, g.c_out);
    let partials: Vec<(Vec<f32>, Vec<f32>)> = dx_parts
        .into_par_iter()
        .zip(x.par_chunks(g.in_len() * SAMPLES_PER_CHUNK))
        .zip(dy.par_chunks(g.out_len() * SAMPLES_PER_CHUNK))
        .map(|((dxs, xs), dys)| {
            let mut dw = vec![0.0f32; wn];
            let mut db = vec![0.0f32; co];
            let mut dx_samples = dxs.chunks_exact_mut(g.in_len());
            let mut cols = Vec::new();
            let mut padded = Vec::new();
            for (x, dy) in xs
                .chunks_exact(g.in_len())
                .zip(dys.chunks_exact(g.out_len()))
            {
                for row in dy.chunks_exact(co) {
                    add_into(&mut db, row);
                }
                if direct(co) {
                    with_channels!(co, N => weight_grad_dispatch::<N>(g, x, dy, &mut dw));
                } else {
                    // dW += colsᵀ · dy
                    cols.resize(g.pixels() * g.window(), 0.0);
                    g.im2col(x, &mut cols);
                    gemm(
                        (g.window(), g.pixels(), co),
                        &cols,
                        (1, g.window()),
                        dy,
                        (co, 1),
                        1.0,
                        &mut dw,
                    );
                }
                let Some(dx) = dx_samples.next() else {
                    continue;
                };
                if direct(g.c_in) {
                    padded.clear();
                    padded.resize(full.in_len(), 0.0);
                    let (pad_h, pad_w) = (g.kh - 1, g.kw - 1);
                    for (oy, row) in dy.chunks_exact(g.out_w() * co).enumerate() {
                        let dst = ((oy + pad_h) * full.w + pad_w) * co;
                        padded[dst..dst + row.len()].copy_from_slice(row);
                    }
                    with_channels!(g.c_in, M => direct_forward_dispatch::<M>(
                        &full, &padded, &w_full, &zero_bias, dx, 0
                    ));
                } else {
                    // dcols = dy · Wᵀ, then scatter-add onto the input pixels.
                    cols.resize(g.pixels() * g.window(), 0.0);
                    gemm(
                        (g.pixels(), co, g.window()),
                        dy,
                        (co, 1),
                        w,
                        (1, co),
                        0.0,
                        &mut cols,
                    );
                    g.col2im_add(&cols, dx);
                }
            }
            (dw, db)
        })
        .collect();
    let mut dw = vec![0.0f32; wn];
    let mut db = vec![0.0f32; co];
    for (pw, pb) in partials {
        add_into(&mut dw, &pw);
        add_into(&mut db, &pb);
    }
    (dx, dw, db)
}

fn add_into(acc: &mut [f32], x: &[f32]) {
    for (a, v) in acc.iter_mut().zip(x) {
        *a += v;
    }
}

/// Rows per parallel work item of the BatchNorm kernels (fixed, so sums are
/// deterministic).
const ROWS_PER_CHUNK: usize = 8192;

/// The optional steps around BatchNorm in a fused layer: `y = mask ⊙ BN(relu?(x))`.
#[derive(Clone, Copy)]
pub(crate) struct Around<'a> {
    /// Apply ReLU to the input first.
    pub relu: bool,
    /// Dropout multipliers (0 or 1/(1 − p)) applied to the output.
    pub mask: Option<&'a [f32]>,
}

impl Around<'_> {
    /// The floor of the input: ReLU is `max(x, 0)`, no ReLU is `max(x, −∞)` (branch-free
    /// inner loops).
    fn floor(&self) -> f32 {
        if self.relu {
            0.0
        } else {
            f32::NEG_INFINITY
        }
    }
}

/// `(N, C)` rows split into fixed chunks for rayon: `(first row, rows)` of each.
fn row_chunks(n: usize) -> impl IndexedParallelIterator<Item = std::ops::Range<usize>> {
    (0..n.div_ceil(ROWS_PER_CHUNK))
        .into_par_iter()
        .map(move |chunk| chunk * ROWS_PER_CHUNK..((chunk + 1) * ROWS_PER_CHUNK).min(n))
}

/// Adds per-chunk partial sums in chunk order (deterministic).
fn total(partials: Vec<[Vec<f64>; 2]>, c: usize) -> [Vec<f64>; 2] {
    let mut total = [vec![0.0f64; c], vec![0.0f64; c]];
    for [a, b] in partials {
        for k in 0..c {
            total[0][k] += a[k];
            total[1][k] += b[k];
        }
    }
    total
}

/// What BatchNorm's train-mode forward keeps for its backward.
pub(crate) struct BatchNormTrain {
    /// Output `(N, C)`.
    pub y: Vec<f32>,
    /// Normalised input `(z − μ)/√(σ² + ε)`, `z = relu?(x)`.
    pub x_hat: Vec<f32>,
    /// `1/√(σ² + ε)` per channel.
    pub inv_std: Vec<f32>,
    /// Batch mean per channel.
    pub mean: Vec<f32>,
    /// Batch (biased) variance per channel.
    pub var: Vec<f32>,
}

/// Train-mode BatchNorm of `(N, C)` with batch statistics (sums and sums of squares in
/// f64 per chunk), with the optional ReLU before and dropout mask after.
pub(crate) fn batch_norm_train(
    x: &[f32],
    gamma: &[f32],
    beta: &[f32],
    eps: f32,
    around: Around<'_>,
) -> BatchNormTrain {
    let c = gamma.len();
    let n = x.len() / c;
    let floor = around.floor();
    let partials = row_chunks(n)
        .map(|rows| {
            let (mut sum, mut sq) = (vec![0.0f64; c], vec![0.0f64; c]);
            for row in x[rows.start * c..rows.end * c].chunks_exact(c) {
                for k in 0..c {
                    let z = row[k].max(floor) as f64;
                    sum[k] += z;
                    sq[k] += z * z;
                }
            }
            [sum, sq]
        })
        .collect();
    let [sum, sq] = total(partials, c);
    let inv_n = 1.0 / n.max(1) as f64;
    let mean: Vec<f64> = sum.iter().map(|s| s * inv_n).collect();
    let var: Vec<f64> = sq
        .iter()
        .zip(&mean)
        .map(|(q, m)| (q * inv_n - m * m).max(0.0))
        .collect();
    let inv_std: Vec<f32> = var
        .iter()
        .map(|v| (1.0 / (v + eps as f64).sqrt()) as f32)
        .collect();
    let mean: Vec<f32> = mean.iter().map(|m| *m as f32).collect();
    let mut x_hat = vec![0.0f32; x.len()];
    let mut y = vec![0.0f32; x.len()];
    let chunk = ROWS_PER_CHUNK * c;
    x_hat
        .par_chunks_mut(chunk)
        .zip(y.par_chunks_mut(chunk))
        .enumerate()
        .for_each(|(i, (hs, ys))| {
            let xs = &x[i * chunk..i * chunk + hs.len()];
            for ((h, yr), xr) in hs
                .chunks_exact_mut(c)
                .zip(ys.chunks_exact_mut(c))
                .zip(xs.chunks_exact(c))
            {
                for k in 0..c {
                    h[k] = (xr[k].max(floor) - mean[k]) * inv_std[k];
                    yr[k] = gamma[k] * h[k] + beta[k];
                }
            }
            if let Some(mask) = around.mask {
                for (v, m) in ys.iter_mut().zip(&mask[i * chunk..]) {
                    *v *= m;
                }
            }
        });
    BatchNormTrain {
        y,
        x_hat,
        inv_std,
        mean,
        var: var.iter().map(|v| *v as f32).collect(),
    }
}

/// `mask ⊙ dy` (or `dy` without dropout).
fn masked<'a>(dy: &'a [f32], around: Around<'_>) -> std::borrow::Cow<'a, [f32]> {
    match around.mask {
        Some(mask) => dy.iter().zip(mask).map(|(d, m)| d * m).collect(),
        None => dy.into(),
    }
}

/// Train-mode gradients `(dx, dγ, dβ)`: with `g = mask ⊙ dy`,
/// `dz = γ/σ · (g − mean(g) − x̂·mean(g·x̂))` and `dx = dz ⊙ [x > 0]` when fused with ReLU.
pub(crate) fn batch_norm_train_backward(
    dy: &[f32],
    x: &[f32],
    x_hat: &[f32],
    inv_std: &[f32],
    gamma: &[f32],
    around: Around<'_>,
) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    let c = gamma.len();
    let n = dy.len() / c;
    let g = masked(dy, around);
    let partials = row_chunks(n)
        .map(|rows| {
            let mut sums = [vec![0.0f64; c], vec![0.0f64; c]];
            let span = rows.start * c..rows.end * c;
            for (gr, hr) in g[span.clone()]
                .chunks_exact(c)
                .zip(x_hat[span].chunks_exact(c))
            {
                for k in 0..c {
                    sums[0][k] += gr[k] as f64;
                    sums[1][k] += (gr[k] * hr[k]) as f64;
                }
            }
            sums
        })
        .collect();
    let [sum_g, sum_g_xhat] = total(partials, c);
    let inv_n = 1.0 / n.max(1) as f64;
    let mean_g: Vec<f32> = sum_g.iter().map(|s| (s * inv_n) as f32).collect();
    let mean_g_xhat: Vec<f32> = sum_g_xhat.iter().map(|s| (s * inv_n) as f32).collect();
    let scale: Vec<f32> = gamma.iter().zip(inv_std).map(|(g, s)| g * s).collect();
    let mut dx = vec![0.0f32; dy.len()];
    let chunk = ROWS_PER_CHUNK * c;
    let floor = around.floor();
    dx.par_chunks_mut(chunk).enumerate().for_each(|(i, part)| {
        let span = i * chunk..i * chunk + part.len();
        let rows = part
            .chunks_exact_mut(c)
            .zip(g[span.clone()].chunks_exact(c))
            .zip(x_hat[span.clone()].chunks_exact(c))
            .zip(x[span].chunks_exact(c));
        for (((d, gr), hr), xr) in rows {
            for k in 0..c {
                let v = scale[k] * (gr[k] - mean_g[k] - hr[k] * mean_g_xhat[k]);
                // ReLU passes the gradient where x > 0 (floor 0); without it, everywhere.
                d[k] = if xr[k] > floor { v } else { 0.0 };
            }
        }
    });
    let dgamma = sum_g_xhat.iter().map(|s| *s as f32).collect();
    let dbeta = sum_g.iter().map(|s| *s as f32).collect();
    (dx, dgamma, dbeta)
}

/// Eval-mode BatchNorm `y = z·s + (β − μ·s)`, `s = γ/√(σ²_run + ε)`, `z = relu?(x)` (no
/// dropout in eval mode).
pub(crate) fn batch_norm_eval(
    x: &[f32],
    gamma: &[f32],
    beta: &[f32],
    mean: &[f32],
    var: &[f32],
    eps: f32,
    around: Around<'_>,
) -> Vec<f32> {
    let c = gamma.len();
    let scale: Vec<f32> = (0..c).map(|k| gamma[k] / (var[k] + eps).sqrt()).collect();
    let shift: Vec<f32> = (0..c).map(|k| beta[k] - mean[k] * scale[k]).collect();
    let floor = around.floor();
    let mut y = vec![0.0f32; x.len()];
    let chunk = ROWS_PER_CHUNK * c;
    y.par_chunks_mut(chunk).enumerate().for_each(|(i, part)| {
        let xs = &x[i * chunk..i * chunk + part.len()];
        for (yr, xr) in part.chunks_exact_mut(c).zip(xs.chunks_exact(c)) {
            for k in 0..c {
                yr[k] = xr[k].max(floor) * scale[k] + shift[k];
            }
        }
    });
    y
}

/// Eval-mode gradients `(dx, dγ, dβ)` (running statistics are constants).
pub(crate) fn batch_norm_eval_backward(
    dy: &[f32],
    x: &[f32],
    gamma: &[f32],
    mean: &[f32],
    var: &[f32],
    eps: f32,
    around: Around<'_>,
) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    let c = gamma.len();
    let inv_std: Vec<f32> = (0..c).map(|k| 1.0 / (var[k] + eps).sqrt()).collect();
    let floor = around.floor();
    let mut dgamma = vec![0.0f64; c];
    let mut dbeta = vec![0.0f64; c];
    let mut dx = vec![0.0f32; dy.len()];
    for ((d, dr), xr) in dx
        .chunks_exact_mut(c)
        .zip(dy.chunks_exact(c))
        .zip(x.chunks_exact(c))
    {
        for k in 0..c {
            let z = xr[k].max(floor);
            dgamma[k] += (dr[k] * (z - mean[k]) * inv_std[k]) as f64;
            dbeta[k] += dr[k] as f64;
            d[k] = if xr[k] > floor {
                dr[k] * gamma[k] * inv_std[k]
            } else {
                0.0
            };
        }
    }
    let f = |v: Vec<f64>| v.into_iter().map(|s| s as f32).collect();
    (dx, f(dgamma), f(dbeta))
}

/// Rows of k for each partial sum of [`dense_few_rows`]: fixed, so the result does not
/// depend on the thread count.
const GEMV_CHUNK: usize = 2048;

/// `y[s, o] = bias[o] + Σ_k x[s, k] w[k, o]` for a few rows `s` (inference): streams the
/// `(k, n)` weights once without packing them (an sgemm packs all of `w` first, which for
/// one row costs more than the product), skipping the weight rows of zero inputs.
pub(crate) fn dense_few_rows(x: &[f32], rows: usize, w: &[f32], bias: &[f32]) -> Vec<f32> {
    let (n, k) = (bias.len(), w.len() / bias.len());
    debug_assert_eq!(x.len(), rows * k);
    in_k_chunks(k, GEMV_CHUNK, rows, bias, |range, acc| {
        for kk in range {
            let wrow = &w[kk * n..(kk + 1) * n];
            for (s, out) in acc.chunks_exact_mut(n).enumerate() {
                let xv = x[s * k + kk];
                if xv != 0.0 {
                    for (a, &wv) in out.iter_mut().zip(wrow) {
                        *a += xv * wv;
                    }
                }
            }
        }
    })
}

/// `y[s, o] = bias[o] + Σ_k x[s, k] w[k, o]` with every row computed exactly as
/// [`dense_few_rows`] computes it alone: blocks of `block` rows in parallel, so a row's
/// result does not depend on the other rows of the batch (nor on the thread count).
pub(crate) fn dense_row_independent(
    x: &[f32],
    rows: usize,
    w: &[f32],
    bias: &[f32],
    block: usize,
) -> Vec<f32> {
    let (n, k) = (bias.len(), w.len() / bias.len());
    debug_assert_eq!(x.len(), rows * k);
    let blocks: Vec<Vec<f32>> = x
        .par_chunks(block.max(1) * k)
        .map(|xb| dense_few_rows(xb, xb.len() / k, w, bias))
        .collect();
    let mut y = Vec::with_capacity(rows * n);
    for b in blocks {
        y.extend_from_slice(&b);
    }
    y
}

/// `bias` + the products of fixed chunks of the reduction dimension `0..k`, each
/// computed by `partial` (into a zeroed `rows × n` buffer) in parallel and added in
/// chunk order: the result does not depend on the thread count.
fn in_k_chunks(
    k: usize,
    chunk: usize,
    rows: usize,
    bias: &[f32],
    partial: impl Fn(std::ops::Range<usize>, &mut [f32]) + Sync,
) -> Vec<f32> {
    let partials: Vec<Vec<f32>> = (0..k.div_ceil(chunk))
        .into_par_iter()
        .map(|c| {
            let mut acc = vec![0f32; rows * bias.len()];
            partial(c * chunk..((c + 1) * chunk).min(k), &mut acc);
            acc
        })
        .collect();
    add_partials(bias, rows, &partials)
}

/// `bias` repeated for `rows` rows plus every partial product, added in chunk order.
fn add_partials(bias: &[f32], rows: usize, partials: &[Vec<f32>]) -> Vec<f32> {
    let mut y: Vec<f32> = (0..rows).flat_map(|_| bias.iter().copied()).collect();
    for p in partials {
        for (a, b) in y.iter_mut().zip(p) {
            *a += b;
        }
    }
    y
}
