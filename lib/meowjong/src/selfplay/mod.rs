//! Self-play reinforcement learning of the Meowjong models, played in the arena:
//! [`reinforce`] is the paper's REINFORCE on the discard model, its code's defects fixed.
pub mod reinforce;
