//! Shapley-value explanations for RL agents, after SVERL (Beechey, Smith & Şimşek 2023).
//!
//! [`shapley`] is the engine: exact values by enumerating every coalition once (up to
//! [`shapley::MAX_EXACT_PLAYERS`] players), or permutation sampling with antithetic pairs
//! and a standard error per value. Players are whatever the caller groups features into
//! (single features, or the feature blocks of a tile plane). The characteristic function
//! is a closure over coalitions (bit `i` set = player `i` present), so the same engine
//! explains values, policies and performance.
#![deny(missing_docs)]

pub mod characteristic;
pub mod sanma;
pub mod shapley;

pub use characteristic::{
    interventional, on_manifold_exact, on_manifold_from_masks, on_manifold_kernel, Conditioning,
    KernelConditional, Players,
};
pub use shapley::{
    exact, exact_from_table, exact_vector, sampled, sampled_batched, Coalition, Estimate, Sampling,
    ShapleyError,
};

/// Progress of an explanation job, for progress bars (the model glue in `meowlab-algos`
/// and `meowlab-meowjong` reports it; the CLI and notebooks draw it).
#[derive(Clone, Copy, Debug)]
pub enum ExplainProgress {
    /// `done` of `total` logged states run through the model.
    Model {
        /// Done so far.
        done: usize,
        /// All of them.
        total: usize,
    },
    /// `done` of `total` training steps of a learned characteristic (a surrogate).
    Surrogate {
        /// Done so far.
        done: usize,
        /// All of them.
        total: usize,
    },
    /// `done` of `total` states or decisions explained.
    Explained {
        /// Done so far.
        done: usize,
        /// All of them.
        total: usize,
    },
}
