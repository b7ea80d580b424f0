//! Self-play reinforcement learning of the Meowjong models, played in the arena:
//! [`reinforce`] is the paper's REINFORCE on the discard model, its code's defects fixed;
//! [`ppo`] the stronger learner (full games, rank reward, a learned value baseline
//! ([`critic`]), clipped updates of all five models, KL to the SL start, an opponent
//! [`pool`]), acting through [`actor`], in one thread or as actor threads and a learner
//! that share only files ([`pipeline`]); [`run`] runs either from a TOML config into a run
//! folder (metrics, checkpoints, resume).
pub mod actor;
pub mod critic;
pub mod grp;
mod log;
pub mod pipeline;
pub mod pool;
pub mod ppo;
pub mod reinforce;
pub mod run;
