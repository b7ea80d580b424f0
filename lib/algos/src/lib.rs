//! Classic-control algorithms, one file each in CleanRL's spirit (a config struct with
//! the reference implementation's defaults, the networks, one straight-line training
//! loop): [`dqn`] (double, dueling), [`ddpg`] (Gaussian action noise or adaptive
//! parameter noise), [`ppo`] (categorical, Gaussian or Bernoulli bang-bang policies) and
//! [`a2c`], the last two over the actor-critic in [`actor_critic`], and [`a3c`], the
//! asynchronous actor-critic on threads that share its networks. [`experiment`] runs
//! them from TOML configs and logs every step to the store; [`explain`] gives SVERL
//! explanations of the trained agents. Environment-free pieces (distributions, losses,
//! GAE, the replay buffer) come from `meowlab-rl`.
//!
//! **Invariant:** algorithms see envs through `Env`/`VecEnv` and the store only through
//! the [`Recorder`] they are handed.
#![deny(missing_docs)]

pub mod a2c;
pub mod a3c;
pub mod actor_critic;
pub mod ddpg;
pub mod dqn;
pub mod experiment;
pub mod explain;
pub mod ppo;

use std::path::Path;

use meowlab_nn::NnError;
pub use meowlab_rl::CheckpointError;

/// Errors of training and checkpoints.
#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    /// The environment refused an action (a bug in the agent; reported, not panicked).
    #[error(transparent)]
    Env(#[from] meowlab_control::ControlError),
    /// Saving or loading parameters failed.
    #[error(transparent)]
    Nn(#[from] NnError),
    /// A checkpoint file is missing or malformed.
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
    /// The recorder could not write to the store.
    #[error("recording failed: {0}")]
    Record(#[from] meowlab_store::StoreError),
    /// The algorithm cannot act in this environment's action space.
    #[error("{algo} does not support {env}'s action space ({space})")]
    UnsupportedEnv {
        /// Algorithm.
        algo: &'static str,
        /// Env id.
        env: String,
        /// The action space, printed.
        space: String,
    },
}

/// One environment step as an agent saw it, for logging.
#[derive(Clone, Copy, Debug)]
pub struct StepRecord<'a> {
    /// Index of the env within the agent's batch (0 for single-env agents).
    pub env: usize,
    /// Steps of that env's current episode before this one.
    pub index: u32,
    /// Observation the action was chosen from.
    pub obs: &'a [f32],
    /// The action as floats (a discrete index is one float).
    pub action: &'a [f32],
    /// Reward received.
    pub reward: f64,
    /// Terminal state reached.
    pub terminated: bool,
    /// Time limit reached.
    pub truncated: bool,
    /// Log-probability of the action under a stochastic policy.
    pub log_prob: Option<f32>,
    /// The critic's value estimate of `obs`.
    pub value: Option<f32>,
    /// The actor-learner thread that took the step (A3C; `None` elsewhere).
    pub thread: Option<u32>,
}

/// Receives what happens during training: every step, finished episodes, scalars.
pub trait Recorder {
    /// A training step (called once per env per step, in order).
    fn step(&mut self, record: &StepRecord<'_>) -> Result<(), AgentError>;
    /// A scalar diagnostic (a loss, ε, σ, …) at the agent's current global step.
    fn scalar(&mut self, global_step: u64, name: &str, value: f64) -> Result<(), AgentError>;
}

/// A recorder that drops everything (tests, benchmarks).
pub struct NullRecorder;

impl Recorder for NullRecorder {
    fn step(&mut self, _: &StepRecord<'_>) -> Result<(), AgentError> {
        Ok(())
    }
    fn scalar(&mut self, _: u64, _: &str, _: f64) -> Result<(), AgentError> {
        Ok(())
    }
}

/// What the experiment runner needs from any agent.
pub trait Agent {
    /// Environment steps taken so far (summed over vectorised envs).
    fn global_step(&self) -> u64;
    /// Gradient updates (training batches) so far: the x axis of "learning per update"
    /// figures, logged as `train/updates` with every evaluation.
    fn updates(&self) -> u64;
    /// Trains until [`Agent::global_step`] reaches at least `until`.
    fn train(&mut self, until: u64, recorder: &mut dyn Recorder) -> Result<(), AgentError>;
    /// The deterministic action for one observation (greedy / mean / most likely),
    /// written as env floats into `action`.
    fn act_deterministic(&mut self, obs: &[f32], action: &mut Vec<f32>);
    /// Writes networks, optimizer state, buffers and counters into `dir`.
    fn save(&self, dir: &Path) -> Result<(), AgentError>;
    /// Restores what [`Agent::save`] wrote (the agent must have the same config).
    fn load(&mut self, dir: &Path) -> Result<(), AgentError>;
    /// What the agent's networks say about a batch of observations (rows of the env's
    /// `obs_dim`, flat), for explanations; `None` for agents without a discrete policy.
    fn policy_view(&mut self, _obs: &[f32]) -> Option<PolicyView> {
        None
    }
}

/// A discrete-action agent's outputs for a batch of observations: what SVERL's value,
/// policy and performance characteristics are computed from.
#[derive(Clone, Debug, PartialEq)]
pub struct PolicyView {
    /// Number of actions.
    pub actions: usize,
    /// π(a|s), row-major (rows × actions): the greedy one-hot of a value-based agent,
    /// the softmax of an actor.
    pub probs: Vec<f32>,
    /// The agent's value estimate V(s) per row (max_a Q(s, a), or the critic).
    pub values: Vec<f32>,
    /// Q(s, a) per row and action, for agents that learn it.
    pub action_values: Option<Vec<f32>>,
}

/// The env seed after a resume: episodes in flight restart from resets seeded by the run's
/// seed and the step it resumes at (deterministic, and different from the first episodes).
pub fn resume_seed(seed: u64, global_step: u64) -> u64 {
    seed ^ global_step.rotate_left(32)
}

/// The result of [`evaluate`].
#[derive(Clone, Debug, PartialEq)]
pub struct Evaluation {
    /// Undiscounted return per episode.
    pub returns: Vec<f64>,
    /// Length per episode.
    pub lengths: Vec<u32>,
}

impl Evaluation {
    /// Mean return.
    pub fn mean(&self) -> f64 {
        self.returns.iter().sum::<f64>() / self.returns.len().max(1) as f64
    }

    /// Population standard deviation of the returns.
    pub fn std(&self) -> f64 {
        let m = self.mean();
        let n = self.returns.len().max(1) as f64;
        (self.returns.iter().map(|r| (r - m) * (r - m)).sum::<f64>() / n).sqrt()
    }
}

/// Runs `episodes` episodes of the agent's deterministic policy on fresh envs seeded
/// `seed, seed + 1, …`; `on_step(episode, record)` sees every step (for logging).
pub fn evaluate(
    agent: &mut dyn Agent,
    env_id: &str,
    episodes: usize,
    seed: u64,
    mut on_step: impl FnMut(usize, &StepRecord<'_>) -> Result<(), AgentError>,
) -> Result<Evaluation, AgentError> {
    let mut env = meowlab_control::make(env_id)?;
    let discrete = matches!(
        env.spec().action_space,
        meowlab_control::ActionSpace::Discrete(_)
    );
    let mut obs = vec![0.0; env.spec().obs_dim];
    let mut next = obs.clone();
    let mut action = Vec::new();
    let mut out = Evaluation {
        returns: Vec::with_capacity(episodes),
        lengths: Vec::with_capacity(episodes),
    };
    for episode in 0..episodes {
        env.reset(Some(seed + episode as u64), &mut obs);
        let mut ret = 0.0;
        loop {
            agent.act_deterministic(&obs, &mut action);
            let a = if discrete {
                meowlab_control::Action::Discrete(action[0] as usize)
            } else {
                meowlab_control::Action::Continuous(&action)
            };
            let index = env.elapsed_steps();
            let t = env.step(a, &mut next)?;
            on_step(
                episode,
                &StepRecord {
                    env: 0,
                    index,
                    obs: &obs,
                    action: &action,
                    reward: t.reward,
                    terminated: t.terminated,
                    truncated: t.truncated,
                    log_prob: None,
                    value: None,
                    thread: None,
                },
            )?;
            ret += t.reward;
            std::mem::swap(&mut obs, &mut next);
            if t.done() {
                out.returns.push(ret);
                out.lengths.push(env.elapsed_steps());
                break;
            }
        }
    }
    Ok(out)
}
