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

/// Classic-control environments with gymnasium's dynamics (crate `meowlab-control`).
pub use meowlab_control as control;
/// Shapley-value explanations (crate `meowlab-explain`).
pub use meowlab_explain as explain;
/// Tiles, shanten, waits and scoring (crate `meowlab-hand`).
pub use meowlab_hand as hand;
/// Networks and learning algorithms over dfdx (crate `meowlab-learn`; feature `learn`,
/// on by default).
#[cfg(feature = "learn")]
pub use meowlab_learn as learn;
/// Figures for papers and notebook display (crate `meowlab-plot`).
pub use meowlab_plot as plot;
/// The Sanma game engine, events and bots (crate `meowlab-sanma`).
pub use meowlab_sanma as sanma;
/// The Parquet trajectory store (crate `meowlab-store`).
pub use meowlab_store as store;
