//! Self-play reinforcement learning of the Meowjong models, played in the arena:
//! [`reinforce`] is the paper's REINFORCE on the discard model, its code's defects fixed;
//! [`run`] runs it from a TOML config into a run folder (metrics, checkpoints, resume).
pub mod reinforce;
pub mod run;
