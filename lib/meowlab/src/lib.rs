//! meowlab: reinforcement learning on 3-player Riichi Mahjong (Sanma) and classic control.
//!
//! This facade is what notebooks and the workbench depend on; it re-exports the focused
//! crates under short names so user code never has to know how the library is split.
//!
//! ```
//! use meowlab::hand::{parse_hand, shanten, Variant};
//! let hand = parse_hand("19m19p19s1234567z", Variant::Sanma).unwrap();
//! assert_eq!(shanten::shanten(&hand.counts()), 0); // kokushi tenpai
//! ```
#![deny(missing_docs)]

/// Classic-control algorithms, their experiment runner and explanations (crate
/// `meowlab-algos`; feature `learn`, on by default).
#[cfg(feature = "learn")]
pub use meowlab_algos as algos;
/// Classic-control environments with gymnasium's dynamics (crate `meowlab-control`).
pub use meowlab_control as control;
/// Duplicate evaluation of Sanma agents: sets, statistics with intervals, tests (crate
/// `meowlab-eval`).
pub use meowlab_eval as eval;
/// Shapley-value explanations (crate `meowlab-explain`).
pub use meowlab_explain as explain;
/// Tiles, shanten, waits and scoring (crate `meowlab-hand`).
pub use meowlab_hand as hand;
/// Real game logs through the engine and into runs: validated import (crate
/// `meowlab-import`).
pub use meowlab_import as import;
/// Real game logs read into a typed record: tenhou.net/6, mjlog, mjai (crate
/// `meowlab-logs`).
pub use meowlab_logs as logs;
/// The Meowjong CNNs, their datasets, supervised learning and model agent (crate
/// `meowlab-meowjong`; feature `learn`).
#[cfg(feature = "learn")]
pub use meowlab_meowjong as meowjong;
/// The tensor layer over dfdx: layers, optimizers, kernels, checkpoints (crate
/// `meowlab-nn`; feature `learn`).
#[cfg(feature = "learn")]
pub use meowlab_nn as nn;
/// Figures for papers and notebook display (crate `meowlab-plot`).
pub use meowlab_plot as plot;
/// Environment-free RL pieces: distributions, losses, GAE, replay buffer (crate
/// `meowlab-rl`; feature `learn`).
#[cfg(feature = "learn")]
pub use meowlab_rl as rl;
/// The Sanma game engine, events and bots (crate `meowlab-sanma`).
pub use meowlab_sanma as sanma;
/// The Parquet trajectory store (crate `meowlab-store`).
pub use meowlab_store as store;
