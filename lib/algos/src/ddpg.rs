//! DDPG (Lillicrap et al. 2016) with Gaussian action noise or adaptive parameter-space
//! noise (Plappert et al. 2018). Defaults are CleanRL's `ddpg_continuous_action.py`.

use std::path::Path;

use dfdx::prelude::*;
use meowlab_control::{make, Action, ActionSpace, Env};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

use meowlab_nn::nn::{
    batch, load_params, perturb, save_params, soft_update, Activation, Dense, Dev, Matrix, Mlp,
    Optimizer, OptimizerConfig, Params,
};
use meowlab_rl::checkpoint::{read_json, write_json};
use meowlab_rl::replay::Minibatch;
use meowlab_rl::{ReplayBuffer, RunningNorm};

use crate::{Agent, AgentError, Recorder, StepRecord};

/// How DDPG explores.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Exploration {
    /// a = μ(s) + N(0, (scale · exploration_noise)²), clipped to the bounds.
    Gaussian,
    /// a = μ̃(s) with μ̃ a copy of the actor whose weights carry N(0, σ²) noise, resampled
    /// every episode; σ adapts so the action distance stays near `desired_action_stddev`.
    Parameter,
}

/// DDPG hyper-parameters (CleanRL defaults).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DdpgConfig {
    /// Adam learning rate of actor and critic.
    pub learning_rate: f64,
    /// Replay buffer capacity.
    pub buffer_size: usize,
    /// Discount factor.
    pub gamma: f64,
    /// Target smoothing coefficient.
    pub tau: f32,
    /// Minibatch size.
    pub batch_size: usize,
    /// Steps of uniformly random actions before learning.
    pub learning_starts: u64,
    /// Critic updates per actor (and target) update.
    pub policy_frequency: u64,
    /// Hidden widths of actor and critic (ReLU).
    pub hidden: Vec<usize>,
    /// Action noise or parameter noise.
    pub exploration: Exploration,
    /// Std of the Gaussian action noise, as a fraction of the action scale.
    pub exploration_noise: f64,
    /// Initial σ of the parameter noise.
    pub param_noise_initial_stddev: f32,
    /// δ: the action-space distance the parameter noise aims at.
    pub desired_action_stddev: f32,
    /// Steps between σ adaptations.
    pub param_noise_adapt_interval: u64,
    /// Standardise observations with running statistics before the networks (baselines'
    /// `normalize_observations`; the parameter-noise paper uses it).
    pub normalize_obs: bool,
}

impl Default for DdpgConfig {
    fn default() -> Self {
        DdpgConfig {
            learning_rate: 3e-4,
            buffer_size: 1_000_000,
            gamma: 0.99,
            tau: 0.005,
            batch_size: 256,
            learning_starts: 25_000,
            policy_frequency: 2,
            hidden: vec![256, 256],
            exploration: Exploration::Gaussian,
            exploration_noise: 0.1,
            param_noise_initial_stddev: 0.1,
            desired_action_stddev: 0.2,
            param_noise_adapt_interval: 50,
            normalize_obs: false,
        }
    }
}

/// μ(s) = tanh(MLP(s)) · scale + bias, mapping into the action box.
#[derive(Clone, Debug)]
pub struct Actor {
    mlp: Mlp,
    scale: Vec<f32>,
    bias: Vec<f32>,
}

impl Actor {
    /// Deterministic actions for a batch.
    pub fn forward<T: Tape<f32, Dev> + Merge<T> + Default>(&self, x: Matrix<T>) -> Matrix<T> {
        let (b, _) = *x.shape();
        let k = self.scale.len();
        let dev = x.device().clone();
        let scale = dev
            .tensor_from_vec(self.scale.clone(), (k,))
            .broadcast_like::<_, Axis<0>>(&(b, k));
        let bias = dev
            .tensor_from_vec(self.bias.clone(), (k,))
            .broadcast_like::<_, Axis<0>>(&(b, k));
        self.mlp.forward(x).tanh() * scale + bias
    }
}

impl Params for Actor {
    fn visit(&self, f: &mut dyn FnMut(&str, &Matrix)) {
        self.mlp.visit(f)
    }
    fn visit_mut(&mut self, f: &mut dyn FnMut(&str, &mut Matrix)) {
        self.mlp.visit_mut(f)
    }
}

/// Q(s, a): the first layer takes s and a through separate weights (the same as a layer
/// on their concatenation, without a concat op).
#[derive(Clone, Debug)]
pub struct Critic {
    obs_in: Dense,
    act_in: Matrix,
    rest: Mlp,
}

impl Critic {
    fn new(dev: &Dev, d: usize, k: usize, hidden: &[usize], rng: &mut ChaCha8Rng) -> Self {
        let h1 = hidden[0];
        // PyTorch's default bound for a layer over the concatenation: 1/√(d + k).
        let bound = 1.0 / ((d + k) as f32).sqrt();
        let obs_in = Dense::uniform(dev, d, h1, bound, rng);
        let act_in = Dense::uniform(dev, k, h1, bound, rng).w;
        let sizes: Vec<usize> = hidden.iter().copied().chain([1]).collect();
        Critic {
            obs_in,
            act_in,
            rest: Mlp::new(dev, &sizes, Activation::Relu, rng),
        }
    }

    /// Q-values (B, 1).
    pub fn forward<T: Tape<f32, Dev> + Merge<T> + Default>(
        &self,
        obs: Matrix<T>,
        act: Matrix<T>,
    ) -> Matrix<T> {
        let h = self.obs_in.forward(obs) + act.matmul(self.act_in.retaped::<T>());
        self.rest.forward(h.relu())
    }
}

impl Params for Critic {
    fn visit(&self, f: &mut dyn FnMut(&str, &Matrix)) {
        f("obs_in.weight", &self.obs_in.w);
        f("obs_in.bias", &self.obs_in.b);
        f("act_in.weight", &self.act_in);
        self.rest.visit(&mut |n, t| f(&format!("rest.{n}"), t));
    }
    fn visit_mut(&mut self, f: &mut dyn FnMut(&str, &mut Matrix)) {
        f("obs_in.weight", &mut self.obs_in.w);
        f("obs_in.bias", &mut self.obs_in.b);
        f("act_in.weight", &mut self.act_in);
        self.rest.visit_mut(&mut |n, t| f(&format!("rest.{n}"), t));
    }
}

/// The parameter-noise distance: √(mean over batch and action dims of (a − ã)²).
pub fn action_distance(a: &[f32], perturbed: &[f32]) -> f32 {
    let n = a.len().max(1) as f32;
    (a.iter()
        .zip(perturbed)
        .map(|(x, y)| (x - y) * (x - y))
        .sum::<f32>()
        / n)
        .sqrt()
}

/// The adaptation rule: σ·1.01 if the distance is within δ, else σ/1.01.
pub fn adapt_sigma(sigma: f32, distance: f32, desired: f32) -> f32 {
    if distance <= desired {
        sigma * 1.01
    } else {
        sigma / 1.01
    }
}

#[derive(Serialize, Deserialize)]
struct DdpgState {
    global_step: u64,
    obs_norm: Option<RunningNorm>,
    sigma: f32,
    rng: ChaCha8Rng,
    seed: u64,
}

/// A DDPG agent with its env, networks, optimizers and replay buffer.
pub struct Ddpg {
    config: DdpgConfig,
    seed: u64,
    dev: Dev,
    env: Box<dyn Env>,
    low: Vec<f32>,
    high: Vec<f32>,
    obs: Vec<f32>,
    next_obs: Vec<f32>,
    actor: Actor,
    actor_target: Actor,
    perturbed: Actor,
    critic: Critic,
    critic_target: Critic,
    actor_opt: Optimizer,
    critic_opt: Optimizer,
    buffer: ReplayBuffer,
    rng: ChaCha8Rng,
    sigma: f32,
    global_step: u64,
    minibatch: Minibatch,
    obs_norm: Option<RunningNorm>,
}

impl Ddpg {
    /// A fresh agent on env `env_id` (a Box action space), seeded by `seed`.
    pub fn new(env_id: &str, config: DdpgConfig, seed: u64) -> Result<Self, AgentError> {
        let mut env = make(env_id)?;
        let (low, high) = match &env.spec().action_space {
            ActionSpace::Box { low, high } => (low.clone(), high.clone()),
            other => {
                return Err(AgentError::UnsupportedEnv {
                    algo: "ddpg",
                    env: env_id.into(),
                    space: format!("{other:?}"),
                })
            }
        };
        let dev = Dev::default();
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let (d, k) = (env.spec().obs_dim, low.len());
        let sizes: Vec<usize> = std::iter::once(d)
            .chain(config.hidden.iter().copied())
            .chain([k])
            .collect();
        let actor = Actor {
            mlp: Mlp::new(&dev, &sizes, Activation::Relu, &mut rng),
            scale: low.iter().zip(&high).map(|(l, h)| (h - l) / 2.0).collect(),
            bias: low.iter().zip(&high).map(|(l, h)| (h + l) / 2.0).collect(),
        };
        let critic = Critic::new(&dev, d, k, &config.hidden, &mut rng);
        let mut obs = vec![0.0; d];
        env.reset(Some(seed), &mut obs);
        let adam = OptimizerConfig::adam(config.learning_rate);
        let config_normalize = config.normalize_obs;
        Ok(Ddpg {
            buffer: ReplayBuffer::new(d, k, config.buffer_size),
            sigma: config.param_noise_initial_stddev,
            actor_opt: Optimizer::new(&actor, adam),
            critic_opt: Optimizer::new(&critic, adam),
            actor_target: actor.clone(),
            perturbed: actor.clone(),
            critic_target: critic.clone(),
            actor,
            critic,
            config,
            seed,
            dev,
            env,
            low,
            high,
            next_obs: obs.clone(),
            obs,
            rng,
            global_step: 0,
            minibatch: Minibatch::default(),
            obs_norm: config_normalize.then(|| RunningNorm::new(d)),
        })
    }

    /// The current σ of the parameter noise.
    pub fn param_noise_sigma(&self) -> f32 {
        self.sigma
    }

    /// Observations as the networks see them (standardised when configured).
    fn inputs(&self, rows: &[f32]) -> Vec<f32> {
        match &self.obs_norm {
            Some(norm) => norm.normalize(rows),
            None => rows.to_vec(),
        }
    }

    fn act(&self, actor: &Actor, obs: &[f32]) -> Vec<f32> {
        actor
            .forward(batch(&self.dev, 1, obs.len(), self.inputs(obs)))
            .as_vec()
    }

    fn resample_perturbation(&mut self) {
        self.perturbed = self.actor.clone();
        perturb(&mut self.perturbed, self.sigma, &mut self.rng);
    }

    /// σ ← σ·1.01 or σ/1.01 from the distance between the actor and a freshly perturbed
    /// copy on a replay minibatch; returns the distance.
    fn adapt_param_noise(&mut self) -> f32 {
        self.buffer
            .sample(self.config.batch_size, &mut self.rng, &mut self.minibatch);
        let x = batch(
            &self.dev,
            self.minibatch.size,
            self.obs.len(),
            self.inputs(&self.minibatch.obs),
        );
        let mut probe = self.actor.clone();
        perturb(&mut probe, self.sigma, &mut self.rng);
        // Distances in normalised action units (as if the box were [−1, 1]).
        let scale = &self.actor.scale;
        let k = scale.len();
        let norm = |v: Vec<f32>| -> Vec<f32> {
            v.iter()
                .enumerate()
                .map(|(i, a)| a / scale[i % k])
                .collect()
        };
        let a = norm(self.actor.forward(x.clone()).as_vec());
        let b = norm(probe.forward(x).as_vec());
        let d = action_distance(&a, &b);
        self.sigma = adapt_sigma(self.sigma, d, self.config.desired_action_stddev);
        d
    }

    /// One critic update, and every `policy_frequency` steps an actor and target update;
    /// returns (critic loss, actor loss if updated).
    fn train_step(&mut self) -> (f64, Option<f64>) {
        let c = self.config.clone();
        self.buffer
            .sample(c.batch_size, &mut self.rng, &mut self.minibatch);
        let mb = &self.minibatch;
        let (n, d, k) = (mb.size, self.obs.len(), self.low.len());
        let next = batch(&self.dev, n, d, self.inputs(&mb.next_obs));
        let next_q = self
            .critic_target
            .forward(next.clone(), self.actor_target.forward(next))
            .as_vec();
        // ALGO LOGIC: critic towards r + γ (1 − terminated) Q'(s', μ'(s'))
        let y: Vec<f32> = (0..n)
            .map(|i| mb.rewards[i] + c.gamma as f32 * (1.0 - mb.terminated[i]) * next_q[i])
            .collect();
        let y = batch(&self.dev, n, 1, y);
        let obs = batch(&self.dev, n, d, self.inputs(&mb.obs));
        let act = batch(&self.dev, n, k, mb.actions.clone());
        let q = self
            .critic
            .forward(obs.clone().traced(Gradients::leaky()), act.retaped());
        let critic_loss = mse_loss(q, y);
        let critic_loss_value = critic_loss.array() as f64;
        let mut grads = critic_loss.backward();
        self.critic_opt.update(&mut self.critic, &mut grads);
        // ALGO LOGIC: actor ascends Q(s, μ(s))
        let mut actor_loss_value = None;
        if self.global_step.is_multiple_of(c.policy_frequency) {
            let traced = obs.traced(Gradients::leaky());
            let mu = self.actor.forward(traced.with_empty_tape());
            let actor_loss = -self.critic.forward(traced, mu).mean::<(), _>();
            actor_loss_value = Some(actor_loss.array() as f64);
            let mut grads = actor_loss.backward();
            self.actor_opt.update(&mut self.actor, &mut grads);
            soft_update(&mut self.actor_target, &self.actor, c.tau);
            soft_update(&mut self.critic_target, &self.critic, c.tau);
        }
        (critic_loss_value, actor_loss_value)
    }
}

impl Agent for Ddpg {
    fn global_step(&self) -> u64 {
        self.global_step
    }

    /// One update every step after `learning_starts` once the buffer holds a batch.
    fn updates(&self) -> u64 {
        let first = (self.config.learning_starts + 1).max(self.config.batch_size as u64);
        (self.global_step + 1).saturating_sub(first)
    }

    fn train(&mut self, until: u64, recorder: &mut dyn Recorder) -> Result<(), AgentError> {
        let k = self.low.len();
        if self.global_step == 0 && self.config.exploration == Exploration::Parameter {
            self.resample_perturbation();
        }
        while self.global_step < until {
            let c = self.config.clone();
            // ALGO LOGIC: exploration
            let action: Vec<f32> =
                if self.global_step < c.learning_starts && c.exploration == Exploration::Gaussian {
                    (0..k)
                        .map(|i| self.rng.gen_range(self.low[i]..=self.high[i]))
                        .collect()
                } else {
                    match c.exploration {
                        Exploration::Gaussian => {
                            let mu = self.act(&self.actor, &self.obs);
                            (0..k)
                                .map(|i| {
                                    let z: f64 = StandardNormal.sample(&mut self.rng);
                                    let noise =
                                        z * f64::from(self.actor.scale[i]) * c.exploration_noise;
                                    (mu[i] + noise as f32).clamp(self.low[i], self.high[i])
                                })
                                .collect()
                        }
                        Exploration::Parameter => self.act(&self.perturbed, &self.obs),
                    }
                };
            if let Some(norm) = &mut self.obs_norm {
                norm.update(&self.obs);
            }
            let index = self.env.elapsed_steps();
            let t = self
                .env
                .step(Action::Continuous(&action), &mut self.next_obs)?;
            recorder.step(&StepRecord {
                env: 0,
                index,
                obs: &self.obs,
                action: &action,
                reward: t.reward,
                terminated: t.terminated,
                truncated: t.truncated,
                log_prob: None,
                value: None,
                thread: None,
            })?;
            self.buffer
                .push(&self.obs, &action, t.reward, &self.next_obs, t.terminated);
            if t.done() {
                self.env.reset(None, &mut self.obs);
                if c.exploration == Exploration::Parameter {
                    self.resample_perturbation();
                }
            } else {
                std::mem::swap(&mut self.obs, &mut self.next_obs);
            }
            self.global_step += 1;
            let step = self.global_step;
            if step > c.learning_starts && self.buffer.len() >= c.batch_size {
                let (critic_loss, actor_loss) = self.train_step();
                if step.is_multiple_of(100) {
                    recorder.scalar(step, "critic_loss", critic_loss)?;
                    if let Some(a) = actor_loss {
                        recorder.scalar(step, "actor_loss", a)?;
                    }
                }
                if c.exploration == Exploration::Parameter
                    && step.is_multiple_of(c.param_noise_adapt_interval)
                {
                    let distance = self.adapt_param_noise();
                    recorder.scalar(step, "param_noise_distance", f64::from(distance))?;
                    recorder.scalar(step, "param_noise_sigma", f64::from(self.sigma))?;
                }
            }
        }
        Ok(())
    }

    fn act_deterministic(&mut self, obs: &[f32], action: &mut Vec<f32>) {
        *action = self.act(&self.actor, obs);
    }

    fn save(&self, dir: &Path) -> Result<(), AgentError> {
        save_params(&self.actor, &dir.join("actor.safetensors"))?;
        save_params(&self.actor_target, &dir.join("actor_target.safetensors"))?;
        save_params(&self.perturbed, &dir.join("actor_perturbed.safetensors"))?;
        save_params(&self.critic, &dir.join("critic.safetensors"))?;
        save_params(&self.critic_target, &dir.join("critic_target.safetensors"))?;
        self.actor_opt
            .save(&dir.join("actor_optimizer.safetensors"))?;
        self.critic_opt
            .save(&dir.join("critic_optimizer.safetensors"))?;
        self.buffer.save(&dir.join("replay.bin"))?;
        write_json(
            &dir.join("agent.json"),
            &DdpgState {
                global_step: self.global_step,
                obs_norm: self.obs_norm.clone(),
                sigma: self.sigma,
                rng: self.rng.clone(),
                seed: self.seed,
            },
        )?;
        Ok(())
    }

    fn load(&mut self, dir: &Path) -> Result<(), AgentError> {
        load_params(&mut self.actor, &dir.join("actor.safetensors"))?;
        load_params(
            &mut self.actor_target,
            &dir.join("actor_target.safetensors"),
        )?;
        load_params(
            &mut self.perturbed,
            &dir.join("actor_perturbed.safetensors"),
        )?;
        load_params(&mut self.critic, &dir.join("critic.safetensors"))?;
        load_params(
            &mut self.critic_target,
            &dir.join("critic_target.safetensors"),
        )?;
        self.actor_opt
            .load(&dir.join("actor_optimizer.safetensors"))?;
        self.critic_opt
            .load(&dir.join("critic_optimizer.safetensors"))?;
        self.buffer.load(&dir.join("replay.bin"))?;
        let state: DdpgState = read_json(&dir.join("agent.json"))?;
        self.global_step = state.global_step;
        self.obs_norm = state.obs_norm;
        self.sigma = state.sigma;
        self.rng = state.rng;
        self.env.reset(
            Some(crate::resume_seed(state.seed, state.global_step)),
            &mut self.obs,
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sigma_grows_when_close_and_shrinks_when_far() {
        assert!((adapt_sigma(0.1, 0.1, 0.2) - 0.101).abs() < 1e-7);
        assert!((adapt_sigma(0.1, 0.3, 0.2) - 0.1 / 1.01).abs() < 1e-7);
        assert_eq!(action_distance(&[0.0, 1.0], &[0.0, 1.0]), 0.0);
        assert!((action_distance(&[0.0, 0.0], &[0.3, 0.4]) - (0.125f32).sqrt()).abs() < 1e-7);
    }

    #[test]
    fn perturbation_moves_actions_by_about_sigma_scaled_amounts() {
        let mut agent = Ddpg::new("Pendulum-v1", DdpgConfig::default(), 1).unwrap();
        let obs = [0.5, 0.5, 0.1];
        let a = agent.act(&agent.actor, &obs);
        agent.sigma = 0.0;
        agent.resample_perturbation();
        assert_eq!(agent.act(&agent.perturbed, &obs), a);
        agent.sigma = 0.5;
        agent.resample_perturbation();
        assert_ne!(agent.act(&agent.perturbed, &obs), a);
    }

    #[test]
    fn critic_split_first_layer_equals_concatenation() {
        let dev = Dev::default();
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        let critic = Critic::new(&dev, 3, 2, &[5], &mut rng);
        let obs = [0.1f32, -0.4, 0.7];
        let act = [0.3f32, -0.9];
        let q = critic
            .forward(
                batch(&dev, 1, 3, obs.to_vec()),
                batch(&dev, 1, 2, act.to_vec()),
            )
            .as_vec()[0];
        // The same layer over [obs, act] by hand.
        let w_obs = critic.obs_in.w.as_vec();
        let b = critic.obs_in.b.as_vec();
        let w_act = critic.act_in.as_vec();
        let h: Vec<f32> = (0..5)
            .map(|j| {
                let s: f32 = (0..3).map(|i| obs[i] * w_obs[i * 5 + j]).sum::<f32>()
                    + (0..2).map(|i| act[i] * w_act[i * 5 + j]).sum::<f32>()
                    + b[j];
                s.max(0.0)
            })
            .collect();
        let w2 = critic.rest.layers[0].w.as_vec();
        let b2 = critic.rest.layers[0].b.as_vec()[0];
        let expected: f32 = h.iter().zip(&w2).map(|(a, b)| a * b).sum::<f32>() + b2;
        assert!((q - expected).abs() < 1e-5, "{q} vs {expected}");
    }
}
