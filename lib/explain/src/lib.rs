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
    exact, exact_from_table, exact_vector, sampled, Coalition, Estimate, ShapleyError,
};
