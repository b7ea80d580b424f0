//! Shapley explanations (SVERL) of the agents this crate trains: [`sanma`] explains the
//! Meowjong discard model over the tile planes' feature blocks, [`control`] the
//! classic-control agents over their observation features. Both return
//! [`meowlab_store::Explanation`]s for a run's `explanations` table.

pub mod control;
pub mod sanma;

pub use control::{explain_control, ControlExplainConfig, ControlKind, Filling, LoggedStates};
pub use sanma::{explain_discards, ExplainConfig};

/// Progress of an explanation job.
#[derive(Clone, Copy, Debug)]
pub enum ExplainProgress {
    /// `done` of `total` logged states run through the model.
    Model {
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
