//! Synchronous advantage actor-critic (A2C, the synchronous variant of Mnih et al. 2016);
//! defaults are SB3's `A2C`: n-step returns over short rollouts of parallel envs, one
//! gradient step per rollout on the whole batch, RMSprop.

use dfdx::prelude::*;
use meowlab_nn::nn::{OptimizerConfig, OptimizerKind};
use meowlab_rl::value_loss;
use serde::{Deserialize, Serialize};

use crate::actor_critic::{
    ActorCritic, OnPolicy, OnPolicyAlgorithm, PolicyKind, Setup, UpdateStats,
};
use crate::{AgentError, Recorder};

/// A2C hyper-parameters (SB3 `A2C` defaults; `num_envs` from the RL Zoo's CartPole).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct A2cConfig {
    /// Learning rate (constant).
    pub learning_rate: f64,
    /// Parallel envs.
    pub num_envs: usize,
    /// Steps per env in each rollout (SB3 `n_steps`).
    pub num_steps: usize,
    /// Discount factor.
    pub gamma: f64,
    /// GAE λ (1 = plain n-step returns).
    pub gae_lambda: f64,
    /// Entropy bonus coefficient.
    pub ent_coef: f64,
    /// Value loss coefficient.
    pub vf_coef: f64,
    /// Global gradient-norm clip.
    pub max_grad_norm: f64,
    /// RMSprop (α 0.99) if true, else Adam.
    pub use_rms_prop: bool,
    /// ε of the optimizer.
    pub rms_prop_eps: f64,
    /// Normalise advantages over the batch.
    pub normalize_advantage: bool,
    /// Hidden widths of the actor and of the critic (separate tanh MLPs).
    pub hidden: Vec<usize>,
    /// Policy for Box action spaces.
    pub policy: PolicyKind,
    /// Standardise observations with running statistics.
    pub normalize_obs: bool,
}

impl Default for A2cConfig {
    fn default() -> Self {
        A2cConfig {
            learning_rate: 7e-4,
            num_envs: 8,
            num_steps: 5,
            gamma: 0.99,
            gae_lambda: 1.0,
            ent_coef: 0.0,
            vf_coef: 0.5,
            max_grad_norm: 0.5,
            use_rms_prop: true,
            rms_prop_eps: 1e-5,
            normalize_advantage: false,
            hidden: vec![64, 64],
            policy: PolicyKind::Gaussian,
            normalize_obs: false,
        }
    }
}

/// A synchronous A2C agent: vectorised envs, actor-critic, RMSprop, rollout.
pub struct A2c {
    config: A2cConfig,
    core: OnPolicy,
}

impl A2c {
    /// A fresh agent on `num_envs` copies of `env_id` (env `i` seeded `seed + i`).
    pub fn new(env_id: &str, config: A2cConfig, seed: u64) -> Result<Self, AgentError> {
        let core = OnPolicy::new(Setup {
            env_id,
            num_envs: config.num_envs,
            num_steps: config.num_steps,
            hidden: &config.hidden,
            policy: config.policy,
            optimizer: OptimizerConfig {
                kind: if config.use_rms_prop {
                    OptimizerKind::Rmsprop
                } else {
                    OptimizerKind::Adam
                },
                lr: config.learning_rate,
                eps: config.rms_prop_eps,
                max_grad_norm: Some(config.max_grad_norm),
            },
            normalize_obs: config.normalize_obs,
            seed,
        })?;
        Ok(A2c { config, core })
    }

    /// The networks.
    pub fn actor_critic(&self) -> &ActorCritic {
        &self.core.net
    }

    /// The hyper-parameters.
    pub fn config(&self) -> &A2cConfig {
        &self.config
    }

    /// Updates done so far.
    pub fn updates(&self) -> u64 {
        self.core.updates
    }

    /// One gradient step on the whole rollout.
    fn update_on_rollout(&mut self, recorder: &mut dyn Recorder) -> Result<(), AgentError> {
        let c = &self.config;
        let core = &mut self.core;
        let all: Vec<usize> = (0..core.rollout.len()).collect();
        let mb = core.gather(&all, c.normalize_advantage);
        // ALGO LOGIC: policy gradient and value regression
        let (log_prob, entropy, value) = core.evaluate(&mb);
        let policy_loss = (log_prob * mb.advantages.clone()).mean::<(), _>().negate();
        let v_loss = value_loss(value, &mb.values, &mb.returns, None);
        let entropy_loss = entropy.mean::<(), _>();
        let mut stats = UpdateStats {
            policy_loss: policy_loss.retaped::<NoneTape>().array() as f64,
            value_loss: v_loss.retaped::<NoneTape>().array() as f64,
            entropy: entropy_loss.retaped::<NoneTape>().array() as f64,
            ..UpdateStats::default()
        };
        let loss = policy_loss - entropy_loss * c.ent_coef as f32 + v_loss * c.vf_coef as f32;
        let mut grads = loss.backward();
        stats.grad_norm_sum = core.optimizer.update(&mut core.net, &mut grads);
        stats.steps = 1;
        core.updates += 1;
        core.record(&stats, recorder)
    }
}

impl OnPolicyAlgorithm for A2c {
    fn core(&self) -> &OnPolicy {
        &self.core
    }

    fn core_mut(&mut self) -> &mut OnPolicy {
        &mut self.core
    }

    fn gae(&self) -> (f64, f64) {
        (self.config.gamma, self.config.gae_lambda)
    }

    fn update(&mut self, recorder: &mut dyn Recorder) -> Result<(), AgentError> {
        self.update_on_rollout(recorder)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_refuses_unknown_fields() {
        assert!(toml::from_str::<A2cConfig>("n_steps = 5").is_err());
        let c: A2cConfig = toml::from_str("policy = \"bang_bang\"").unwrap();
        assert_eq!(c.policy, PolicyKind::BangBang);
    }
}
