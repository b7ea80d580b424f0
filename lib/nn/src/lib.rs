//! meowlab's tensor layer over dfdx.
//!
//! dfdx's own layers need compile-time sizes; research configs choose layer widths,
//! kernels and environments at run time, so [`nn`] builds runtime-sized networks from dfdx
//! tensors and its autodiff tape, with its own optimizers (device-generic tensor ops, so
//! the `cuda` feature runs the same code) and safetensors checkpoints. [`conv`] adds the
//! convolution, BatchNorm and Dropout layers dfdx lacks on stable, with hand-written CPU
//! kernels behind them and a folded eval-mode path for fast inference.
//!
//! **Invariant:** this crate knows no game, environment or store; the algorithm crates
//! build on it.
#![deny(missing_docs)]

pub mod conv;
#[cfg(not(feature = "cuda"))]
pub mod inference;
#[cfg(not(feature = "cuda"))]
mod kernels;
pub mod nn;

pub use nn::{Dev, NnError};

/// Asks glibc's allocator to keep large freed blocks instead of returning them to the OS.
///
/// Why: a training step allocates and frees tensors of tens of megabytes; by default
/// glibc serves those with `mmap`/`munmap`, and the page faults and TLB shootdowns that
/// follow cost ~30% of a Meowjong training step on 2 cores. The `meowlab` binary calls
/// this first thing; call it at the start of a notebook or app that trains models.
/// Process-wide, idempotent; a no-op off Linux/glibc.
pub fn keep_large_allocations() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        const LIMIT: libc::c_int = 1 << 30;
        // SAFETY: `mallopt` only changes allocator tuning parameters; any value is valid.
        unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, LIMIT);
            libc::mallopt(libc::M_TRIM_THRESHOLD, LIMIT);
        }
    }
}
