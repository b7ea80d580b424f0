//! Eval-mode forward pass of a convolution stack → dense → output network (the shape of
//! the Meowjong CNNs) on plain host buffers (CPU builds).
//!
//! Why: in eval mode every layer after a convolution or the dense layer is
//! `BN(relu(·))` with fixed statistics — an affine map per channel — and dropout is the
//! identity. Folding each BatchNorm into the *next* layer's weights and bias
//! (`w'[r, o] = w[r, o]·scale[c(r)]`, `b'[o] = b[o] + Σ_r w[r, o]·shift[c(r)]`, with c(r)
//! the input channel of row r) leaves convolution → ReLU → … → dense → ReLU → output:
//! no normalisation passes, no tensors, and the layer buffers are reused between calls
//! (no zeroing or page faults for tens of megabytes per batch). Same function as the
//! layered network up to float rounding.

use std::sync::Arc;

use crate::conv::{BatchNorm, Conv2d};
use crate::kernels::{self, ConvGeometry};
use crate::nn::Dense;

/// Rows per parallel block of the dense layer (as fast as sgemm from 64 rows on, measured
/// on the small preset's 2,176 × 256 layer).
const ROW_BLOCK: usize = 32;

/// One convolution with the previous BatchNorm folded in.
#[derive(Clone, Debug)]
pub(crate) struct FoldedConv {
    pub kernel: (usize, usize),
    pub c_in: usize,
    pub c_out: usize,
    pub w: Vec<f32>,
    pub b: Vec<f32>,
    /// `kernels::channel_groups` of `w` and `b` (filled in by [`InferencePlan::new`]).
    pub groups: Vec<(Vec<f32>, Vec<f32>)>,
}

/// A dense layer `(in, out)` row-major with bias.
#[derive(Clone, Debug)]
pub(crate) struct HostDense {
    pub w: Vec<f32>,
    pub b: Vec<f32>,
}

/// Eval-mode BatchNorm as `x·scale + shift` per channel.
pub(crate) type Affine = (Vec<f32>, Vec<f32>);

/// `w'`, `b'` of a layer whose input first goes through `affine` (channel of row r:
/// `r % channels`, true of conv windows `(i·kw + j)·C + c` and of flattened
/// channels-last images `(y·W + x)·C + c`).
fn fold(w: &[f32], b: &[f32], affine: &Affine) -> (Vec<f32>, Vec<f32>) {
    let (scale, shift) = affine;
    let (channels, outputs) = (scale.len(), b.len());
    let mut w2 = w.to_vec();
    let mut b2: Vec<f64> = b.iter().map(|&v| v as f64).collect();
    for (r, row) in w2.chunks_exact_mut(outputs).enumerate() {
        let c = r % channels;
        for (o, v) in row.iter_mut().enumerate() {
            b2[o] += *v as f64 * shift[c] as f64;
            *v *= scale[c];
        }
    }
    (w2, b2.into_iter().map(|v| v as f32).collect())
}

/// The folded layers (shared by clones of a network).
#[derive(Debug)]
struct Folded {
    rows: usize,
    cols: usize,
    convs: Vec<FoldedConv>,
    dense: HostDense,
    out: HostDense,
}

/// The folded network and its reusable buffers: build it once per set of weights with
/// [`InferencePlan::from_layers`], then call [`InferencePlan::logits`] per batch.
pub struct InferencePlan {
    net: Arc<Folded>,
    /// One output buffer per convolution, grown to the largest batch seen.
    buffers: Vec<Vec<f32>>,
}

impl Clone for InferencePlan {
    /// Shares the folded weights; the clone gets its own (empty) buffers.
    fn clone(&self) -> Self {
        InferencePlan {
            net: Arc::clone(&self.net),
            buffers: vec![Vec::new(); self.buffers.len()],
        }
    }
}

impl std::fmt::Debug for InferencePlan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InferencePlan")
            .field("convolutions", &self.net.convs.len())
            .field(
                "dense",
                &(
                    self.net.dense.w.len() / self.net.dense.b.len().max(1),
                    self.net.dense.b.len(),
                ),
            )
            .finish_non_exhaustive()
    }
}

impl InferencePlan {
    /// The eval-mode network of `input → [conv → ReLU → BatchNorm]* → dense → ReLU →
    /// BatchNorm → out` (dropout, the identity in eval mode, is left out), for inputs of
    /// `rows × cols` pixels with one channel, channels-last.
    pub fn from_layers(
        (rows, cols): (usize, usize),
        convs: &[Conv2d],
        conv_norms: &[BatchNorm],
        dense: &Dense,
        dense_norm: &BatchNorm,
        out: &Dense,
    ) -> InferencePlan {
        let folded = convs
            .iter()
            .map(|c| FoldedConv {
                kernel: c.kernel,
                c_in: c.in_channels(),
                c_out: c.out_channels(),
                w: c.w.as_vec(),
                b: c.b.as_vec(),
                groups: Vec::new(),
            })
            .collect();
        let norms: Vec<_> = conv_norms.iter().map(BatchNorm::eval_affine).collect();
        let host = |d: &Dense| HostDense {
            w: d.w.as_vec(),
            b: d.b.as_vec(),
        };
        InferencePlan::new(
            (rows, cols),
            folded,
            &norms,
            host(dense),
            &dense_norm.eval_affine(),
            host(out),
        )
    }

    /// Folds `conv_norms[i]` into layer i + 1 (the next convolution or the dense layer)
    /// and `dense_norm` into `out`.
    pub(crate) fn new(
        (rows, cols): (usize, usize),
        convs: Vec<FoldedConv>,
        conv_norms: &[Affine],
        dense: HostDense,
        dense_norm: &Affine,
        out: HostDense,
    ) -> InferencePlan {
        let mut folded = Vec::with_capacity(convs.len());
        for (i, conv) in convs.into_iter().enumerate() {
            let mut conv = match i {
                0 => conv,
                _ => {
                    let (w, b) = fold(&conv.w, &conv.b, &conv_norms[i - 1]);
                    FoldedConv { w, b, ..conv }
                }
            };
            conv.groups = kernels::channel_groups(conv.c_out, &conv.w, &conv.b);
            folded.push(conv);
        }
        let dense = match conv_norms.last() {
            Some(affine) => {
                let (w, b) = fold(&dense.w, &dense.b, affine);
                HostDense { w, b }
            }
            None => dense,
        };
        let (w, b) = fold(&out.w, &out.b, dense_norm);
        let buffers = vec![Vec::new(); folded.len()];
        InferencePlan {
            net: Arc::new(Folded {
                rows,
                cols,
                convs: folded,
                dense,
                out: HostDense { w, b },
            }),
            buffers,
        }
    }

    /// Logits `(batch, classes)` for `batch` dense planes of `rows × cols` floats.
    pub fn logits(&mut self, planes: &[f32], batch: usize) -> Vec<f32> {
        let net = &*self.net;
        assert_eq!(planes.len(), batch * net.rows * net.cols, "planes length");
        let (mut h, mut w) = (net.rows, net.cols);
        for (i, conv) in net.convs.iter().enumerate() {
            let g = ConvGeometry {
                batch,
                h,
                w,
                c_in: conv.c_in,
                kh: conv.kernel.0,
                kw: conv.kernel.1,
                c_out: conv.c_out,
            };
            let len = batch * g.out_h() * g.out_w() * conv.c_out;
            let (done, rest) = self.buffers.split_at_mut(i);
            let input: &[f32] = match done.last() {
                Some(previous) => previous,
                None => planes,
            };
            let output = &mut rest[0];
            if output.len() != len {
                output.resize(len, 0.0);
            }
            kernels::conv_forward_into(&g, input, (&conv.w, &conv.b), &conv.groups, output, true);
            (h, w) = (g.out_h(), g.out_w());
        }
        let flat: &[f32] = self.buffers.last().map_or(planes, |b| b.as_slice());
        // row by row as a lone row is computed: a row's logits do not depend on the
        // batch it came in (arena results must not depend on the games in flight)
        let mut hidden =
            kernels::dense_row_independent(flat, batch, &net.dense.w, &net.dense.b, ROW_BLOCK);
        hidden.iter_mut().for_each(|v| *v = v.max(0.0));
        kernels::dense_few_rows(&hidden, batch, &net.out.w, &net.out.b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_an_affine_input_map_equals_applying_it_first() {
        // 2 input channels × 3 rows each (6 inputs), 2 outputs
        let w: Vec<f32> = (0..12).map(|i| (i as f32 - 5.0) * 0.25).collect();
        let b = vec![0.5, -1.0];
        let affine: Affine = (vec![2.0, -0.5], vec![1.0, 3.0]);
        let x: Vec<f32> = (0..6).map(|i| i as f32 * 0.3 - 0.7).collect();
        let mapped: Vec<f32> = x
            .iter()
            .enumerate()
            .map(|(r, v)| v * affine.0[r % 2] + affine.1[r % 2])
            .collect();
        let apply = |w: &[f32], b: &[f32], x: &[f32]| -> Vec<f32> {
            (0..2)
                .map(|o| b[o] + (0..6).map(|r| x[r] * w[r * 2 + o]).sum::<f32>())
                .collect()
        };
        let (w2, b2) = fold(&w, &b, &affine);
        let (want, got) = (apply(&w, &b, &mapped), apply(&w2, &b2, &x));
        for (a, g) in want.iter().zip(&got) {
            assert!((a - g).abs() < 1e-5, "{want:?} vs {got:?}");
        }
    }
}
