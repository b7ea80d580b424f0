//! The Meowjong agent (Zhao & Holden 2022) for 3-player mahjong: five CNNs over the
//! 34×366 tile planes ([`model`]), their supervised samples from logged runs
//! ([`dataset`]), supervised learning ([`sl`], written to a model folder by [`sl_run`]), the Sanma agent that plays with them
//! ([`agent`]) and Shapley explanations of its discards ([`explain`]).
//!
//! Self-play reinforcement learning of these models ([`selfplay`]) trains the same
//! [`model::MeowjongNet`]s, plays in the engine's arena and builds on the
//! environment-free pieces of `meowlab-rl`.
//!
//! **Invariant:** the engine, the store and the tensor layer are below this crate; none of
//! them depends on it.
#![deny(missing_docs)]

pub mod agent;
pub mod dataset;
pub mod explain;
pub mod model;
pub mod review;
pub mod selfplay;
pub mod sl;
pub mod sl_run;
pub mod surrogate;

pub use model::{MeowjongNet, ModelCard, ModelKind, Preset, PresetError};
