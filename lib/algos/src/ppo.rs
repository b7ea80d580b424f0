//! PPO (Schulman et al. 2017) with the clipped surrogate objective; defaults are
//! CleanRL's `ppo.py`, Box spaces follow `ppo_continuous_action.py`. Actor, critic and
//! log-std are one [`ActorCritic`] trained by one Adam with global-norm clipping over all
//! of them (as CleanRL's single optimizer over `agent.parameters()`).

use dfdx::prelude::*;
use meowlab_nn::nn::{OptimizerConfig, OptimizerKind};
use meowlab_rl::{clipped_policy_loss, value_loss, ClipStats};
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

use crate::actor_critic::{
    ActorCritic, OnPolicy, OnPolicyAlgorithm, PolicyKind, Setup, UpdateStats,
};
use crate::{AgentError, Recorder};

/// PPO hyper-parameters (CleanRL `ppo.py` defaults; see [`PpoConfig::continuous`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PpoConfig {
    /// Adam learning rate (ε 1e−5).
    pub learning_rate: f64,
    /// Parallel envs.
    pub num_envs: usize,
    /// Steps per env in each rollout.
    pub num_steps: usize,
    /// Anneal the learning rate linearly to 0 over `total_timesteps`.
    pub anneal_lr: bool,
    /// Discount factor.
    pub gamma: f64,
    /// GAE λ.
    pub gae_lambda: f64,
    /// Minibatches per epoch.
    pub num_minibatches: usize,
    /// Epochs over each rollout.
    pub update_epochs: usize,
    /// Normalise advantages per minibatch.
    pub norm_adv: bool,
    /// Surrogate clipping ε (also the value clipping range).
    pub clip_coef: f64,
    /// Clip the value loss around the rollout's values.
    pub clip_vloss: bool,
    /// Entropy bonus coefficient.
    pub ent_coef: f64,
    /// Value loss coefficient.
    pub vf_coef: f64,
    /// Global gradient-norm clip.
    pub max_grad_norm: f64,
    /// Stop the epochs early once the approximate KL exceeds this.
    pub target_kl: Option<f64>,
    /// Hidden widths of the actor and of the critic (separate tanh MLPs).
    pub hidden: Vec<usize>,
    /// Policy for Box action spaces.
    pub policy: PolicyKind,
    /// Standardise observations with running statistics (CleanRL's continuous PPO wraps
    /// the env in `NormalizeObservation`); the rollout stores what the networks saw.
    pub normalize_obs: bool,
}

impl Default for PpoConfig {
    fn default() -> Self {
        PpoConfig {
            learning_rate: 2.5e-4,
            num_envs: 4,
            num_steps: 128,
            anneal_lr: true,
            gamma: 0.99,
            gae_lambda: 0.95,
            num_minibatches: 4,
            update_epochs: 4,
            norm_adv: true,
            clip_coef: 0.2,
            clip_vloss: true,
            ent_coef: 0.01,
            vf_coef: 0.5,
            max_grad_norm: 0.5,
            target_kl: None,
            hidden: vec![64, 64],
            policy: PolicyKind::Gaussian,
            normalize_obs: false,
        }
    }
}

impl PpoConfig {
    /// CleanRL `ppo_continuous_action.py` defaults (without its observation and reward
    /// normalisation wrappers, which meowlab does not have).
    pub fn continuous() -> Self {
        PpoConfig {
            learning_rate: 3e-4,
            num_envs: 1,
            num_steps: 2048,
            num_minibatches: 32,
            update_epochs: 10,
            ent_coef: 0.0,
            ..PpoConfig::default()
        }
    }
}

/// A PPO agent: vectorised envs, actor-critic, Adam, rollout.
pub struct Ppo {
    config: PpoConfig,
    total_timesteps: u64,
    core: OnPolicy,
}

impl Ppo {
    /// A fresh agent on `num_envs` copies of `env_id` (env `i` seeded `seed + i`);
    /// `total_timesteps` sets the learning-rate annealing.
    pub fn new(
        env_id: &str,
        config: PpoConfig,
        total_timesteps: u64,
        seed: u64,
    ) -> Result<Self, AgentError> {
        let core = OnPolicy::new(Setup {
            env_id,
            num_envs: config.num_envs,
            num_steps: config.num_steps,
            hidden: &config.hidden,
            policy: config.policy,
            optimizer: OptimizerConfig {
                kind: OptimizerKind::Adam,
                lr: config.learning_rate,
                eps: 1e-5,
                max_grad_norm: Some(config.max_grad_norm),
            },
            normalize_obs: config.normalize_obs,
            seed,
        })?;
        Ok(Ppo {
            config,
            total_timesteps,
            core,
        })
    }

    /// The networks.
    pub fn actor_critic(&self) -> &ActorCritic {
        &self.core.net
    }

    /// The hyper-parameters.
    pub fn config(&self) -> &PpoConfig {
        &self.config
    }

    /// Updates done so far.
    pub fn updates(&self) -> u64 {
        self.core.updates
    }

    /// `update_epochs` epochs of minibatch steps on the clipped objective.
    fn update_on_rollout(&mut self, recorder: &mut dyn Recorder) -> Result<(), AgentError> {
        let c = &self.config;
        let core = &mut self.core;
        // Annealing the rate if instructed to do so.
        let batch_size = core.rollout.len();
        if c.anneal_lr {
            let num_updates = (self.total_timesteps / batch_size as u64).max(1);
            let frac = 1.0 - core.updates as f64 / num_updates as f64;
            core.optimizer.config.lr = (frac * c.learning_rate).max(0.0);
        }
        let minibatch_size = (batch_size / c.num_minibatches.max(1)).max(1);
        let clip = c.clip_coef as f32;
        let mut inds: Vec<usize> = (0..batch_size).collect();
        let mut stats = UpdateStats::default();
        let mut clip_stats = ClipStats::default();
        let mut clipfracs = Vec::new();
        // ALGO LOGIC: optimizing the policy and value network
        for _epoch in 0..c.update_epochs {
            inds.shuffle(&mut core.rng);
            for mb_inds in inds.chunks(minibatch_size) {
                let mb = core.gather(mb_inds, c.norm_adv);
                let (new_log_prob, entropy, new_value) = core.evaluate(&mb);
                let (pg_loss, s) =
                    clipped_policy_loss(new_log_prob, &mb.log_probs, &mb.advantages, clip);
                clip_stats = s;
                clipfracs.push(s.clipfrac);
                let v_loss = value_loss(
                    new_value,
                    &mb.values,
                    &mb.returns,
                    c.clip_vloss.then_some(clip),
                ) * 0.5;
                let entropy_loss = entropy.mean::<(), _>();
                stats.policy_loss = pg_loss.retaped::<NoneTape>().array() as f64;
                stats.value_loss = v_loss.retaped::<NoneTape>().array() as f64;
                stats.entropy = entropy_loss.retaped::<NoneTape>().array() as f64;
                let loss = pg_loss - entropy_loss * c.ent_coef as f32 + v_loss * c.vf_coef as f32;
                let mut grads = loss.backward();
                stats.grad_norm_sum += core.optimizer.update(&mut core.net, &mut grads);
                stats.steps += 1;
            }
            if c.target_kl.is_some_and(|kl| clip_stats.approx_kl > kl) {
                break;
            }
        }
        core.updates += 1;
        core.record(&stats, recorder)?;
        let step = core.global_step;
        recorder.scalar(step, "approx_kl", clip_stats.approx_kl)?;
        recorder.scalar(step, "old_approx_kl", clip_stats.old_approx_kl)?;
        let clipfrac = clipfracs.iter().sum::<f64>() / clipfracs.len().max(1) as f64;
        recorder.scalar(step, "clipfrac", clipfrac)
    }
}

impl OnPolicyAlgorithm for Ppo {
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
    use crate::Agent;
    use meowlab_nn::nn::Params;

    #[test]
    fn config_parses_policy_names() {
        let c: PpoConfig = toml::from_str("policy = \"bang_bang\"\nnum_envs = 2").unwrap();
        assert_eq!(c.policy, PolicyKind::BangBang);
        assert_eq!(c.num_envs, 2);
        assert!(toml::from_str::<PpoConfig>("policy = \"beta\"").is_err());
    }

    #[test]
    fn save_and_load_round_trip() {
        let dir = std::env::temp_dir().join(format!("meowlab-on-policy-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let config = PpoConfig {
            num_envs: 2,
            num_steps: 16,
            ..PpoConfig::default()
        };
        let mut a = Ppo::new("Pendulum-v1", config.clone(), 1_000, 7).unwrap();
        a.train(32, &mut crate::NullRecorder).unwrap();
        a.save(&dir).unwrap();
        let mut b = Ppo::new("Pendulum-v1", config, 1_000, 8).unwrap();
        b.load(&dir).unwrap();
        assert_eq!(b.global_step(), 32);
        assert_eq!(b.updates(), 1);
        let mut sa = Vec::new();
        a.actor_critic().visit(&mut |_, t| sa.extend(t.as_vec()));
        let mut sb = Vec::new();
        b.actor_critic().visit(&mut |_, t| sb.extend(t.as_vec()));
        assert_eq!(sa, sb);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
