//! DQN (Mnih et al. 2015) with the double (van Hasselt et al. 2016) and dueling (Wang et
//! al. 2016) options. Defaults are CleanRL's `dqn.py`.

use std::path::Path;

use dfdx::prelude::*;
use meowlab_control::{make, Action, ActionSpace, Env};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use meowlab_nn::nn::{
    batch, load_params, save_params, soft_update, Activation, Dense, Dev, Matrix, Mlp, Optimizer,
    OptimizerConfig, Params,
};
use meowlab_rl::checkpoint::{read_json, write_json};
use meowlab_rl::replay::Minibatch;
use meowlab_rl::{argmax, linear_schedule, ReplayBuffer};

use crate::{Agent, AgentError, PolicyView, Recorder, StepRecord};

/// DQN hyper-parameters (CleanRL `dqn.py` defaults).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DqnConfig {
    /// Adam learning rate.
    pub learning_rate: f64,
    /// Replay buffer capacity.
    pub buffer_size: usize,
    /// Discount factor.
    pub gamma: f64,
    /// Target update rate (1 = hard copy).
    pub tau: f32,
    /// Steps between target updates.
    pub target_network_frequency: u64,
    /// Minibatch size.
    pub batch_size: usize,
    /// ε at the start.
    pub start_e: f64,
    /// ε at the end of exploration.
    pub end_e: f64,
    /// Fraction of the run over which ε decays linearly.
    pub exploration_fraction: f64,
    /// Steps of pure data collection before learning.
    pub learning_starts: u64,
    /// Env steps per gradient step.
    pub train_frequency: u64,
    /// Hidden layer widths (ReLU).
    pub hidden: Vec<usize>,
    /// Double DQN: the online net picks the next action, the target net values it.
    pub double: bool,
    /// Dueling head: Q = V + A − mean(A).
    pub dueling: bool,
}

impl Default for DqnConfig {
    fn default() -> Self {
        DqnConfig {
            learning_rate: 2.5e-4,
            buffer_size: 10_000,
            gamma: 0.99,
            tau: 1.0,
            target_network_frequency: 500,
            batch_size: 128,
            start_e: 1.0,
            end_e: 0.05,
            exploration_fraction: 0.5,
            learning_starts: 10_000,
            train_frequency: 10,
            hidden: vec![120, 84],
            double: false,
            dueling: false,
        }
    }
}

/// The Q-network: an MLP trunk (ReLU after every layer) and a plain or dueling head.
#[derive(Clone, Debug)]
pub struct QNetwork {
    trunk: Mlp,
    head: Head,
}

#[derive(Clone, Debug)]
enum Head {
    Plain(Dense),
    Dueling { value: Dense, advantage: Dense },
}

impl QNetwork {
    /// A network from `obs_dim` through `hidden` to `actions` Q-values.
    pub fn new(
        dev: &Dev,
        obs_dim: usize,
        hidden: &[usize],
        actions: usize,
        dueling: bool,
        rng: &mut ChaCha8Rng,
    ) -> Self {
        let sizes: Vec<usize> = std::iter::once(obs_dim)
            .chain(hidden.iter().copied())
            .collect();
        let trunk = Mlp::new(dev, &sizes, Activation::Relu, rng);
        let last = *sizes.last().expect("at least the input");
        let head = if dueling {
            Head::Dueling {
                value: Dense::new(dev, last, 1, rng),
                advantage: Dense::new(dev, last, actions, rng),
            }
        } else {
            Head::Plain(Dense::new(dev, last, actions, rng))
        };
        QNetwork { trunk, head }
    }

    /// Q-values for a batch of observations.
    pub fn forward<T: Tape<f32, Dev> + Merge<T> + Default>(&self, x: Matrix<T>) -> Matrix<T> {
        let h = if self.trunk.layers.is_empty() {
            x
        } else {
            self.trunk.forward(x).relu()
        };
        match &self.head {
            Head::Plain(out) => out.forward(h),
            Head::Dueling { value, advantage } => {
                let (b, _) = *h.shape();
                let v = value.forward(h.with_empty_tape());
                let a = advantage.forward(h);
                let n = a.shape().1;
                let mean = a.with_empty_tape().mean::<(usize,), Axis<1>>();
                let offset = v.reshape_like(&(b,)) - mean;
                a + offset.broadcast_like::<_, Axis<1>>(&(b, n))
            }
        }
    }
}

impl Params for QNetwork {
    fn visit(&self, f: &mut dyn FnMut(&str, &Matrix)) {
        self.trunk.visit(&mut |n, t| f(&format!("trunk.{n}"), t));
        match &self.head {
            Head::Plain(d) => {
                f("head.weight", &d.w);
                f("head.bias", &d.b);
            }
            Head::Dueling { value, advantage } => {
                f("value.weight", &value.w);
                f("value.bias", &value.b);
                f("advantage.weight", &advantage.w);
                f("advantage.bias", &advantage.b);
            }
        }
    }

    fn visit_mut(&mut self, f: &mut dyn FnMut(&str, &mut Matrix)) {
        self.trunk
            .visit_mut(&mut |n, t| f(&format!("trunk.{n}"), t));
        match &mut self.head {
            Head::Plain(d) => {
                f("head.weight", &mut d.w);
                f("head.bias", &mut d.b);
            }
            Head::Dueling { value, advantage } => {
                f("value.weight", &mut value.w);
                f("value.bias", &mut value.b);
                f("advantage.weight", &mut advantage.w);
                f("advantage.bias", &mut advantage.b);
            }
        }
    }
}

/// The TD targets r + γ (1 − terminated) max_a' Q_target(s', a'), or with double DQN
/// r + γ (1 − terminated) Q_target(s', argmax_a' Q_online(s', a')).
pub fn td_targets(
    rewards: &[f32],
    terminated: &[f32],
    q_next_target: &[f32],
    q_next_online: Option<&[f32]>,
    actions: usize,
    gamma: f32,
) -> Vec<f32> {
    (0..rewards.len())
        .map(|i| {
            let row = &q_next_target[i * actions..(i + 1) * actions];
            let next = match q_next_online {
                Some(online) => row[argmax(&online[i * actions..(i + 1) * actions])],
                None => row.iter().copied().fold(f32::NEG_INFINITY, f32::max),
            };
            rewards[i] + gamma * next * (1.0 - terminated[i])
        })
        .collect()
}

#[derive(Serialize, Deserialize)]
struct DqnState {
    global_step: u64,
    rng: ChaCha8Rng,
    seed: u64,
}

/// A DQN agent with its env, networks, optimizer and replay buffer.
pub struct Dqn {
    config: DqnConfig,
    total_timesteps: u64,
    seed: u64,
    dev: Dev,
    env: Box<dyn Env>,
    actions: usize,
    obs: Vec<f32>,
    next_obs: Vec<f32>,
    q: QNetwork,
    target: QNetwork,
    optimizer: Optimizer,
    buffer: ReplayBuffer,
    rng: ChaCha8Rng,
    global_step: u64,
    minibatch: Minibatch,
}

impl Dqn {
    /// A fresh agent on env `env_id`, seeded by `seed`; `total_timesteps` sets the length
    /// of the ε schedule.
    pub fn new(
        env_id: &str,
        config: DqnConfig,
        total_timesteps: u64,
        seed: u64,
    ) -> Result<Self, AgentError> {
        let mut env = make(env_id)?;
        let actions = match env.spec().action_space {
            ActionSpace::Discrete(n) => n,
            ref other => {
                return Err(AgentError::UnsupportedEnv {
                    algo: "dqn",
                    env: env_id.into(),
                    space: format!("{other:?}"),
                })
            }
        };
        let dev = Dev::default();
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let d = env.spec().obs_dim;
        let q = QNetwork::new(&dev, d, &config.hidden, actions, config.dueling, &mut rng);
        let target = q.clone();
        let optimizer = Optimizer::new(&q, OptimizerConfig::adam(config.learning_rate));
        let mut obs = vec![0.0; d];
        env.reset(Some(seed), &mut obs);
        Ok(Dqn {
            buffer: ReplayBuffer::new(d, 1, config.buffer_size),
            config,
            total_timesteps,
            seed,
            dev,
            env,
            actions,
            next_obs: obs.clone(),
            obs,
            q,
            target,
            optimizer,
            rng,
            global_step: 0,
            minibatch: Minibatch::default(),
        })
    }

    /// The online Q-network.
    pub fn q_network(&self) -> &QNetwork {
        &self.q
    }

    fn q_values(&self, obs: &[f32]) -> Vec<f32> {
        let x = batch(&self.dev, 1, obs.len(), obs.to_vec());
        self.q.forward(x).as_vec()
    }

    /// One gradient step on a sampled minibatch; returns (TD loss, mean Q(s, a)).
    fn train_step(&mut self) -> (f64, f64) {
        let c = &self.config;
        self.buffer
            .sample(c.batch_size, &mut self.rng, &mut self.minibatch);
        let mb = &self.minibatch;
        let (n, d, k) = (mb.size, self.obs.len(), self.actions);
        let next = batch(&self.dev, n, d, mb.next_obs.clone());
        let q_next_target = self.target.forward(next.clone()).as_vec();
        let q_next_online = c.double.then(|| self.q.forward(next).as_vec());
        let y = td_targets(
            &mb.rewards,
            &mb.terminated,
            &q_next_target,
            q_next_online.as_deref(),
            k,
            c.gamma as f32,
        );
        let mut onehot = vec![0.0f32; n * k];
        for (i, a) in mb.actions.iter().enumerate() {
            onehot[i * k + *a as usize] = 1.0;
        }
        let onehot = batch(&self.dev, n, k, onehot);
        let y = self.dev.tensor_from_vec(y, (n,));
        let x = batch(&self.dev, n, d, mb.obs.clone());
        let q = self.q.forward(x.traced(Gradients::leaky()));
        let q_a = (q * onehot).sum::<(usize,), Axis<1>>();
        let q_mean = q_a.retaped::<NoneTape>().mean::<(), _>().array() as f64;
        let loss = mse_loss(q_a, y);
        let loss_value = loss.array() as f64;
        let mut grads = loss.backward();
        self.optimizer.update(&mut self.q, &mut grads);
        (loss_value, q_mean)
    }
}

impl Agent for Dqn {
    fn global_step(&self) -> u64 {
        self.global_step
    }

    /// One update every `train_frequency` steps after `learning_starts`.
    fn updates(&self) -> u64 {
        let f = self.config.train_frequency.max(1);
        (self.global_step / f).saturating_sub(self.config.learning_starts / f)
    }

    fn train(&mut self, until: u64, recorder: &mut dyn Recorder) -> Result<(), AgentError> {
        let mut action_floats = [0.0f32];
        while self.global_step < until {
            let c = &self.config;
            // ALGO LOGIC: ε-greedy action
            let epsilon = linear_schedule(
                c.start_e,
                c.end_e,
                c.exploration_fraction * self.total_timesteps as f64,
                self.global_step as f64,
            );
            let action = if self.rng.gen::<f64>() < epsilon {
                self.rng.gen_range(0..self.actions)
            } else {
                argmax(&self.q_values(&self.obs))
            };
            let index = self.env.elapsed_steps();
            let t = self
                .env
                .step(Action::Discrete(action), &mut self.next_obs)?;
            action_floats[0] = action as f32;
            recorder.step(&StepRecord {
                env: 0,
                index,
                obs: &self.obs,
                action: &action_floats,
                reward: t.reward,
                terminated: t.terminated,
                truncated: t.truncated,
                log_prob: None,
                value: None,
                thread: None,
            })?;
            // The real next observation, also when truncated; only termination stops
            // bootstrapping.
            self.buffer.push(
                &self.obs,
                &action_floats,
                t.reward,
                &self.next_obs,
                t.terminated,
            );
            if t.done() {
                self.env.reset(None, &mut self.obs);
            } else {
                std::mem::swap(&mut self.obs, &mut self.next_obs);
            }
            self.global_step += 1;
            let step = self.global_step;
            // ALGO LOGIC: training
            let c = &self.config;
            if step > c.learning_starts {
                if step.is_multiple_of(c.train_frequency) {
                    let (loss, q) = self.train_step();
                    if step.is_multiple_of(100 * self.config.train_frequency) {
                        recorder.scalar(step, "td_loss", loss)?;
                        recorder.scalar(step, "q_values", q)?;
                        recorder.scalar(step, "epsilon", epsilon)?;
                    }
                }
                if step.is_multiple_of(self.config.target_network_frequency) {
                    soft_update(&mut self.target, &self.q, self.config.tau);
                }
            }
        }
        Ok(())
    }

    fn act_deterministic(&mut self, obs: &[f32], action: &mut Vec<f32>) {
        action.clear();
        action.push(argmax(&self.q_values(obs)) as f32);
    }

    fn policy_view(&mut self, obs: &[f32]) -> Option<PolicyView> {
        let d = self.obs.len();
        let rows = obs.len() / d;
        let q = self
            .q
            .forward(batch(&self.dev, rows, d, obs.to_vec()))
            .as_vec();
        let k = self.actions;
        let mut probs = vec![0.0; rows * k];
        let mut values = Vec::with_capacity(rows);
        for (row, p) in q.chunks(k).zip(probs.chunks_mut(k)) {
            let a = argmax(row);
            p[a] = 1.0;
            values.push(row[a]);
        }
        Some(PolicyView {
            actions: k,
            probs,
            values,
            action_values: Some(q),
        })
    }

    fn save(&self, dir: &Path) -> Result<(), AgentError> {
        save_params(&self.q, &dir.join("q.safetensors"))?;
        save_params(&self.target, &dir.join("q_target.safetensors"))?;
        self.optimizer.save(&dir.join("optimizer.safetensors"))?;
        self.buffer.save(&dir.join("replay.bin"))?;
        write_json(
            &dir.join("agent.json"),
            &DqnState {
                global_step: self.global_step,
                rng: self.rng.clone(),
                seed: self.seed,
            },
        )?;
        Ok(())
    }

    fn load(&mut self, dir: &Path) -> Result<(), AgentError> {
        load_params(&mut self.q, &dir.join("q.safetensors"))?;
        load_params(&mut self.target, &dir.join("q_target.safetensors"))?;
        self.optimizer.load(&dir.join("optimizer.safetensors"))?;
        self.buffer.load(&dir.join("replay.bin"))?;
        let state: DqnState = read_json(&dir.join("agent.json"))?;
        self.global_step = state.global_step;
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
    fn td_targets_max_and_double() {
        // Two samples, three actions.
        let target = [1.0, 5.0, 2.0, 0.5, 0.1, 0.2];
        let online = [9.0, 0.0, 0.0, 0.0, 0.0, 7.0];
        let r = [1.0, 2.0];
        let term = [0.0, 1.0];
        let y = td_targets(&r, &term, &target, None, 3, 0.5);
        assert_eq!(y, vec![1.0 + 0.5 * 5.0, 2.0]);
        let y = td_targets(&r, &[0.0, 0.0], &target, Some(&online), 3, 0.5);
        assert_eq!(y, vec![1.0 + 0.5 * 1.0, 2.0 + 0.5 * 0.2]);
    }

    #[test]
    fn dueling_head_is_value_plus_centred_advantage() {
        let dev = Dev::default();
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let net = QNetwork::new(&dev, 4, &[8], 3, true, &mut rng);
        let x = batch(&dev, 2, 4, vec![0.1, -0.2, 0.3, 0.4, 1.0, 0.0, -1.0, 0.5]);
        let q = net.forward(x.clone()).as_vec();
        let Head::Dueling { value, advantage } = &net.head else {
            unreachable!()
        };
        let h = net.trunk.forward(x).relu();
        let v = value.forward(h.clone()).as_vec();
        let a = advantage.forward(h).as_vec();
        for i in 0..2 {
            let mean = (a[i * 3] + a[i * 3 + 1] + a[i * 3 + 2]) / 3.0;
            for j in 0..3 {
                assert!((q[i * 3 + j] - (v[i] + a[i * 3 + j] - mean)).abs() < 1e-5);
            }
        }
    }
}
