//! The actor-critic that PPO ([`crate::ppo`]), A2C ([`crate::a2c`]) and A3C
//! ([`crate::a3c`]) train: separate tanh MLPs for the policy and V(s), a categorical
//! policy for discrete actions and, for Box actions, a Gaussian with a state-independent
//! log-std (sampled unclipped, clipped only when sent to the env, as CleanRL and SB3) or
//! bang-bang (Seyde et al. 2021: a per-dimension Bernoulli over the two extremes
//! {low, high}). The shared core (PPO's and A2C's) collects
//! rollouts over vectorised envs and computes GAE; truncated episodes are bootstrapped as
//! SB3 does (the reward of the truncating step gets γ·V(final_obs) added, and the episode
//! then counts as done). Each algorithm file adds only its update.

use std::path::Path;

use dfdx::prelude::*;
use meowlab_control::{ActionSpace, VecEnv};
use meowlab_nn::nn::{
    batch, load_params, save_params, Activation, Dev, Matrix, Mlp, Optimizer, OptimizerConfig,
    Params, Taped,
};
use meowlab_rl::checkpoint::{read_json, write_json};
use meowlab_rl::{
    argmax, bernoulli_log_prob_entropy, categorical_log_prob_entropy, gaussian_log_prob_entropy,
    Rollout, RunningNorm, Vector,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

use crate::{Agent, AgentError, PolicyView, Recorder, StepRecord};

/// The policy for Box action spaces (discrete spaces always use a categorical policy).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PolicyKind {
    /// N(μ(s), σ) with a state-independent log σ (initialised to 0).
    #[default]
    Gaussian,
    /// One Bernoulli per dimension over {low, high} (Seyde et al. 2021).
    BangBang,
}

/// The trainable parameters: separate actor and critic MLPs, and the Gaussian log-std.
#[derive(Clone, Debug)]
pub struct ActorCritic {
    /// Observation → logits (categorical, bang-bang) or mean (Gaussian).
    pub actor: Mlp,
    /// Observation → V(s).
    pub critic: Mlp,
    /// log σ per action dimension, (1, dims); Gaussian policies only.
    pub actor_logstd: Option<Matrix>,
}

impl Params for ActorCritic {
    fn visit(&self, f: &mut dyn FnMut(&str, &Matrix)) {
        self.actor.visit(&mut |n, t| f(&format!("actor.{n}"), t));
        self.critic.visit(&mut |n, t| f(&format!("critic.{n}"), t));
        if let Some(t) = &self.actor_logstd {
            f("actor_logstd", t);
        }
    }

    fn visit_mut(&mut self, f: &mut dyn FnMut(&str, &mut Matrix)) {
        self.actor
            .visit_mut(&mut |n, t| f(&format!("actor.{n}"), t));
        self.critic
            .visit_mut(&mut |n, t| f(&format!("critic.{n}"), t));
        if let Some(t) = &mut self.actor_logstd {
            f("actor_logstd", t);
        }
    }
}

impl ActorCritic {
    /// Fresh networks for observations of `obs_dim` floats and `head`'s actions: CleanRL's
    /// orthogonal initialisation (actor output gain 0.01, critic 1), log σ = 0.
    pub(crate) fn new(
        dev: &Dev,
        obs_dim: usize,
        hidden: &[usize],
        head: &Head,
        rng: &mut ChaCha8Rng,
    ) -> Self {
        let sizes = |out: usize| -> Vec<usize> {
            std::iter::once(obs_dim)
                .chain(hidden.iter().copied())
                .chain(std::iter::once(out))
                .collect()
        };
        let actor = Mlp::orthogonal(dev, &sizes(head.outputs()), Activation::Tanh, 0.01, rng);
        let critic = Mlp::orthogonal(dev, &sizes(1), Activation::Tanh, 1.0, rng);
        let actor_logstd =
            matches!(head, Head::Gaussian { .. }).then(|| dev.zeros_like(&(1, head.outputs())));
        ActorCritic {
            actor,
            critic,
            actor_logstd,
        }
    }

    /// Per-sample log-probabilities and entropies of `actions` from actor output `out`
    /// under `head` (the Gaussian's log σ joins `out`'s tape).
    pub(crate) fn policy_terms<T: Tape<f32, Dev>>(
        &self,
        head: &Head,
        out: Matrix<T>,
        actions: &Matrix,
    ) -> (Vector<T>, Vector<T>) {
        match head {
            Head::Categorical(_) => categorical_log_prob_entropy(out, actions),
            Head::Gaussian { .. } => {
                let (n, k) = *out.shape();
                let log_std = self
                    .actor_logstd
                    .as_ref()
                    .expect("a Gaussian policy has a log-std")
                    .retaped::<T>()
                    .reshape_like(&(k,))
                    .broadcast_like::<_, Axis<0>>(&(n, k));
                gaussian_log_prob_entropy(out, log_std, actions)
            }
            Head::BangBang { .. } => bernoulli_log_prob_entropy(out, actions),
        }
    }
}

/// The action distribution and the env's bounds.
#[derive(Clone, Debug)]
pub(crate) enum Head {
    Categorical(usize),
    Gaussian { low: Vec<f32>, high: Vec<f32> },
    BangBang { low: Vec<f32>, high: Vec<f32> },
}

impl Head {
    pub(crate) fn new(space: &ActionSpace, policy: PolicyKind) -> Head {
        match (space, policy) {
            (ActionSpace::Discrete(n), _) => Head::Categorical(*n),
            (ActionSpace::Box { low, high }, PolicyKind::Gaussian) => Head::Gaussian {
                low: low.clone(),
                high: high.clone(),
            },
            (ActionSpace::Box { low, high }, PolicyKind::BangBang) => Head::BangBang {
                low: low.clone(),
                high: high.clone(),
            },
        }
    }

    /// Width of the actor's output.
    pub(crate) fn outputs(&self) -> usize {
        match self {
            Head::Categorical(n) => *n,
            Head::Gaussian { low, .. } | Head::BangBang { low, .. } => low.len(),
        }
    }

    /// Floats per stored action (one for an index).
    pub(crate) fn action_dim(&self) -> usize {
        match self {
            Head::Categorical(_) => 1,
            Head::Gaussian { low, .. } | Head::BangBang { low, .. } => low.len(),
        }
    }

    /// Samples one action per row of actor output `out`: `raw` gets the stored sample,
    /// `env` what the env receives (index, clipped Gaussian sample, extreme).
    pub(crate) fn sample(
        &self,
        out: &[f32],
        log_std: &[f32],
        rng: &mut ChaCha8Rng,
        raw: &mut Vec<f32>,
        env: &mut Vec<f32>,
    ) {
        raw.clear();
        env.clear();
        let m = self.outputs();
        match self {
            Head::Categorical(_) => {
                for row in out.chunks(m) {
                    let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                    let weights: Vec<f64> = row.iter().map(|l| ((l - max) as f64).exp()).collect();
                    let mut u = rng.gen::<f64>() * weights.iter().sum::<f64>();
                    let mut a = m - 1;
                    for (i, w) in weights.iter().enumerate() {
                        if u < *w {
                            a = i;
                            break;
                        }
                        u -= w;
                    }
                    raw.push(a as f32);
                    env.push(a as f32);
                }
            }
            Head::Gaussian { low, high } => {
                for row in out.chunks(m) {
                    for (j, mu) in row.iter().enumerate() {
                        let z: f32 = StandardNormal.sample(rng);
                        let a = mu + log_std[j].exp() * z;
                        raw.push(a);
                        env.push(a.clamp(low[j], high[j]));
                    }
                }
            }
            Head::BangBang { low, high } => {
                for row in out.chunks(m) {
                    for (j, l) in row.iter().enumerate() {
                        let p = 1.0 / (1.0 + (-(*l as f64)).exp());
                        let b = rng.gen::<f64>() < p;
                        raw.push(if b { 1.0 } else { 0.0 });
                        env.push(if b { high[j] } else { low[j] });
                    }
                }
            }
        }
    }

    /// The most likely action (argmax, mean clipped to the bounds, extreme with p > ½)
    /// for one row of actor output.
    pub(crate) fn deterministic(&self, out: &[f32], action: &mut Vec<f32>) {
        action.clear();
        match self {
            Head::Categorical(_) => action.push(argmax(out) as f32),
            Head::Gaussian { low, high } => action.extend(
                out.iter()
                    .enumerate()
                    .map(|(j, mu)| mu.clamp(low[j], high[j])),
            ),
            Head::BangBang { low, high } => {
                action.extend(
                    out.iter()
                        .enumerate()
                        .map(|(j, l)| if *l > 0.0 { high[j] } else { low[j] }),
                )
            }
        }
    }

    /// Stored actions of `rows` samples as the matrix the log-prob functions take
    /// (one-hot for a categorical policy).
    pub(crate) fn action_matrix(&self, dev: &Dev, raw: &[f32], rows: usize) -> Matrix {
        match self {
            Head::Categorical(m) => {
                let mut onehot = vec![0.0f32; rows * m];
                for (i, a) in raw.iter().enumerate() {
                    onehot[i * m + *a as usize] = 1.0;
                }
                batch(dev, rows, *m, onehot)
            }
            _ => batch(dev, rows, self.action_dim(), raw.to_vec()),
        }
    }
}

/// A minibatch gathered on the host into fresh tensors.
pub(crate) struct Minibatch {
    pub obs: Matrix,
    pub actions: Matrix,
    pub log_probs: Vector,
    pub values: Vector,
    pub advantages: Vector,
    pub returns: Vector,
}

/// Host-side diagnostics of one update.
#[derive(Default)]
pub(crate) struct UpdateStats {
    pub policy_loss: f64,
    pub value_loss: f64,
    pub entropy: f64,
    pub grad_norm_sum: f64,
    pub steps: usize,
}

#[derive(Serialize, Deserialize)]
struct OnPolicyState {
    global_step: u64,
    #[serde(default)]
    obs_norm: Option<RunningNorm>,
    updates: u64,
    rng: ChaCha8Rng,
    seed: u64,
}

/// What PPO and A2C share: envs, networks, optimizer, rollout and counters; each
/// algorithm adds its own update ([`OnPolicyAlgorithm`]).
pub struct OnPolicy {
    seed: u64,
    dev: Dev,
    envs: VecEnv,
    head: Head,
    pub(crate) net: ActorCritic,
    pub(crate) optimizer: Optimizer,
    pub(crate) rng: ChaCha8Rng,
    pub(crate) global_step: u64,
    pub(crate) updates: u64,
    num_steps: usize,
    episode_steps: Vec<u32>,
    pub(crate) rollout: Rollout,
    /// Running observation statistics when `normalize_obs` is set.
    obs_norm: Option<RunningNorm>,
}

/// How to build an [`OnPolicy`] core.
pub(crate) struct Setup<'a> {
    pub env_id: &'a str,
    pub num_envs: usize,
    pub num_steps: usize,
    pub hidden: &'a [usize],
    pub policy: PolicyKind,
    pub optimizer: OptimizerConfig,
    pub normalize_obs: bool,
    pub seed: u64,
}

impl OnPolicy {
    pub(crate) fn new(s: Setup<'_>) -> Result<Self, AgentError> {
        let mut envs = VecEnv::new(s.env_id, s.num_envs.max(1))?;
        let head = Head::new(&envs.spec().action_space, s.policy);
        let dev = Dev::default();
        let mut rng = ChaCha8Rng::seed_from_u64(s.seed);
        let d = envs.spec().obs_dim;
        let net = ActorCritic::new(&dev, d, s.hidden, &head, &mut rng);
        let optimizer = Optimizer::new(&net, s.optimizer);
        envs.reset(s.seed);
        Ok(OnPolicy {
            seed: s.seed,
            dev,
            episode_steps: vec![0; envs.len()],
            envs,
            head,
            net,
            optimizer,
            rng,
            global_step: 0,
            updates: 0,
            num_steps: s.num_steps.max(1),
            rollout: Rollout::default(),
            obs_norm: s.normalize_obs.then(|| RunningNorm::new(d)),
        })
    }

    /// Per-sample log-probabilities and entropies of `actions` from actor output `out`.
    fn policy_terms<T: Tape<f32, Dev>>(
        &self,
        out: Matrix<T>,
        actions: &Matrix,
    ) -> (Vector<T>, Vector<T>) {
        self.net.policy_terms(&self.head, out, actions)
    }

    /// Observations as the networks see them (standardised when configured).
    fn inputs(&self, rows: &[f32]) -> Vec<f32> {
        match &self.obs_norm {
            Some(norm) => norm.normalize(rows),
            None => rows.to_vec(),
        }
    }

    fn values(&self, obs: &[f32], rows: usize) -> Vec<f32> {
        let x = batch(&self.dev, rows, obs.len() / rows.max(1), self.inputs(obs));
        self.net.critic.forward(x).as_vec()
    }

    /// Runs `num_steps` steps of every env, records them, and computes GAE.
    pub(crate) fn collect(
        &mut self,
        gamma: f64,
        gae_lambda: f64,
        recorder: &mut dyn Recorder,
    ) -> Result<(), AgentError> {
        let n = self.envs.len();
        let d = self.envs.spec().obs_dim;
        let k = self.head.action_dim();
        let discrete = matches!(self.head, Head::Categorical(_));
        let log_std = self
            .net
            .actor_logstd
            .as_ref()
            .map_or_else(Vec::new, |t| t.as_vec());
        self.rollout.clear();
        self.rollout.num_envs = n;
        let (mut raw, mut env_actions) = (Vec::new(), Vec::new());
        let mut indices = vec![0usize; n];
        let mut final_obs = Vec::new();
        let mut final_rows = Vec::new();
        for _ in 0..self.num_steps {
            // ALGO LOGIC: action logic
            let obs = self.envs.obs().to_vec();
            if let Some(norm) = &mut self.obs_norm {
                obs.chunks(d).for_each(|row| norm.update(row));
            }
            let inputs = self.inputs(&obs);
            let x = batch(&self.dev, n, d, inputs.clone());
            let out = self.net.actor.forward(x.clone());
            let values = self.net.critic.forward(x).as_vec();
            self.head.sample(
                &out.as_vec(),
                &log_std,
                &mut self.rng,
                &mut raw,
                &mut env_actions,
            );
            let actions = self.head.action_matrix(&self.dev, &raw, n);
            let (log_probs, _) = self.policy_terms(out, &actions);
            let log_probs = log_probs.as_vec();

            // TRY NOT TO MODIFY: execute the game and log data.
            let step = if discrete {
                for (i, a) in env_actions.iter().enumerate() {
                    indices[i] = *a as usize;
                }
                self.envs.step_discrete(&indices)?
            } else {
                self.envs.step_continuous(&env_actions)?
            };
            final_obs.clear();
            final_rows.clear();
            for i in 0..n {
                recorder.step(&StepRecord {
                    env: i,
                    index: self.episode_steps[i],
                    obs: &obs[i * d..(i + 1) * d],
                    action: &env_actions[i * k..(i + 1) * k],
                    reward: step.rewards[i],
                    terminated: step.terminated[i],
                    truncated: step.truncated[i],
                    log_prob: Some(log_probs[i]),
                    value: Some(values[i]),
                    thread: None,
                })?;
                if step.terminated[i] || step.truncated[i] {
                    self.episode_steps[i] = 0;
                } else {
                    self.episode_steps[i] += 1;
                }
                if step.truncated[i] && !step.terminated[i] {
                    final_obs.extend_from_slice(&step.final_obs[i * d..(i + 1) * d]);
                    final_rows.push(self.rollout.len() + i);
                }
            }
            let r = &mut self.rollout;
            r.rewards.extend(step.rewards.iter().map(|&x| x as f32));
            r.terminated.extend_from_slice(step.terminated);
            r.truncated.extend_from_slice(step.truncated);
            r.final_values.resize(r.final_values.len() + n, 0.0);
            r.obs.extend_from_slice(&inputs);
            r.actions.extend_from_slice(&raw);
            r.log_probs.extend_from_slice(&log_probs);
            r.values.extend_from_slice(&values);
            // Bootstrap truncated episodes from V(final_obs).
            if !final_rows.is_empty() {
                let v = self.values(&final_obs, final_rows.len());
                for (row, v) in final_rows.iter().zip(v) {
                    self.rollout.final_values[*row] = v;
                }
            }
            self.global_step += n as u64;
        }
        // ALGO LOGIC: bootstrap value and GAE
        let last = self.values(self.envs.obs(), n);
        self.rollout
            .compute_gae(&last, gamma as f32, gae_lambda as f32);
        Ok(())
    }

    /// Gathers rollout rows `inds` into tensors; advantages normalised (unbiased std, as
    /// torch) when `norm_adv`.
    pub(crate) fn gather(&self, inds: &[usize], norm_adv: bool) -> Minibatch {
        let r = &self.rollout;
        let d = r.obs.len() / r.len().max(1);
        let k = self.head.action_dim();
        let m = inds.len();
        let mut obs = Vec::with_capacity(m * d);
        let mut actions = Vec::with_capacity(m * k);
        for &j in inds {
            obs.extend_from_slice(&r.obs[j * d..(j + 1) * d]);
            actions.extend_from_slice(&r.actions[j * k..(j + 1) * k]);
        }
        let pick = |v: &[f32]| -> Vec<f32> { inds.iter().map(|&j| v[j]).collect() };
        let mut adv = pick(&r.advantages);
        if norm_adv && m > 1 {
            let mean = adv.iter().sum::<f32>() / m as f32;
            let var = adv.iter().map(|a| (a - mean).powi(2)).sum::<f32>() / (m - 1) as f32;
            let std = var.sqrt();
            adv.iter_mut().for_each(|a| *a = (*a - mean) / (std + 1e-8));
        }
        let vector = |v: Vec<f32>| self.dev.tensor_from_vec(v, (m,));
        Minibatch {
            obs: batch(&self.dev, m, d, obs),
            actions: self.head.action_matrix(&self.dev, &actions, m),
            log_probs: vector(pick(&r.log_probs)),
            values: vector(pick(&r.values)),
            advantages: vector(adv),
            returns: vector(pick(&r.returns)),
        }
    }

    /// New log-probabilities, entropies and values of a minibatch, on the training tape.
    pub(crate) fn evaluate(&self, mb: &Minibatch) -> (Vector<Taped>, Vector<Taped>, Vector<Taped>) {
        let n = mb.obs.shape().0;
        let out = self
            .net
            .actor
            .forward(mb.obs.clone().traced(Gradients::leaky()));
        let value = self
            .net
            .critic
            .forward(mb.obs.clone().traced(Gradients::leaky()))
            .reshape_like(&(n,));
        let (log_prob, entropy) = self.policy_terms(out, &mb.actions);
        (log_prob, entropy, value)
    }

    /// 1 − Var(returns − values)/Var(returns) over the rollout (CleanRL's diagnostic).
    fn explained_variance(&self) -> f64 {
        fn var(v: &[f64]) -> f64 {
            let m = v.iter().sum::<f64>() / v.len().max(1) as f64;
            v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / v.len().max(1) as f64
        }
        let r = &self.rollout;
        let y: Vec<f64> = r.returns.iter().map(|&x| x as f64).collect();
        let e: Vec<f64> = r
            .returns
            .iter()
            .zip(&r.values)
            .map(|(y, v)| (y - v) as f64)
            .collect();
        let var_y = var(&y);
        if var_y == 0.0 {
            f64::NAN
        } else {
            1.0 - var(&e) / var_y
        }
    }

    pub(crate) fn record(
        &self,
        stats: &UpdateStats,
        recorder: &mut dyn Recorder,
    ) -> Result<(), AgentError> {
        let step = self.global_step;
        recorder.scalar(step, "learning_rate", self.optimizer.config.lr)?;
        recorder.scalar(step, "policy_loss", stats.policy_loss)?;
        recorder.scalar(step, "value_loss", stats.value_loss)?;
        recorder.scalar(step, "entropy", stats.entropy)?;
        recorder.scalar(
            step,
            "grad_norm",
            stats.grad_norm_sum / stats.steps.max(1) as f64,
        )?;
        let ev = self.explained_variance();
        if ev.is_finite() {
            recorder.scalar(step, "explained_variance", ev)?;
        }
        Ok(())
    }

    /// Softmax policy and critic values of a categorical agent (`None` otherwise).
    pub(crate) fn policy_view(&self, obs: &[f32]) -> Option<PolicyView> {
        let rows = obs.len() / self.envs.spec().obs_dim;
        let x = batch(&self.dev, rows, obs.len() / rows.max(1), self.inputs(obs));
        categorical_view(&self.net, &self.head, x)
    }

    pub(crate) fn act_deterministic(&self, obs: &[f32], action: &mut Vec<f32>) {
        let x = batch(&self.dev, 1, obs.len(), self.inputs(obs));
        let out = self.net.actor.forward(x).as_vec();
        self.head.deterministic(&out, action);
    }

    pub(crate) fn save(&self, dir: &Path) -> Result<(), AgentError> {
        save_params(&self.net, &dir.join("agent.safetensors"))?;
        self.optimizer.save(&dir.join("optimizer.safetensors"))?;
        write_json(
            &dir.join("agent.json"),
            &OnPolicyState {
                global_step: self.global_step,
                obs_norm: self.obs_norm.clone(),
                updates: self.updates,
                rng: self.rng.clone(),
                seed: self.seed,
            },
        )?;
        Ok(())
    }

    pub(crate) fn load(&mut self, dir: &Path) -> Result<(), AgentError> {
        load_params(&mut self.net, &dir.join("agent.safetensors"))?;
        self.optimizer.load(&dir.join("optimizer.safetensors"))?;
        let state: OnPolicyState = read_json(&dir.join("agent.json"))?;
        self.global_step = state.global_step;
        self.obs_norm = state.obs_norm;
        self.updates = state.updates;
        self.rng = state.rng;
        self.envs
            .reset(crate::resume_seed(state.seed, state.global_step));
        self.episode_steps.fill(0);
        Ok(())
    }
}

/// Softmax policy and critic values of `net` on the input rows `x`, for a categorical
/// `head` (`None` otherwise): what explanations read.
pub(crate) fn categorical_view(net: &ActorCritic, head: &Head, x: Matrix) -> Option<PolicyView> {
    let Head::Categorical(k) = *head else {
        return None;
    };
    let logits = net.actor.forward(x.clone()).as_vec();
    let mut probs = Vec::with_capacity(logits.len());
    for row in logits.chunks(k) {
        let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let exp: Vec<f32> = row.iter().map(|l| (l - max).exp()).collect();
        let sum: f32 = exp.iter().sum();
        probs.extend(exp.iter().map(|e| e / sum));
    }
    Some(PolicyView {
        actions: k,
        probs,
        values: net.critic.forward(x).as_vec(),
        action_values: None,
    })
}

/// An actor-critic algorithm over the shared [`OnPolicy`] core: what PPO and A2C
/// implement. Every such algorithm is an [`Agent`] the same way: collect a rollout,
/// update on it, repeat.
pub trait OnPolicyAlgorithm {
    /// The envs, networks, optimizer and rollout.
    fn core(&self) -> &OnPolicy;
    /// The same, to train.
    fn core_mut(&mut self) -> &mut OnPolicy;
    /// γ and λ of GAE.
    fn gae(&self) -> (f64, f64);
    /// One update on the rollout just collected.
    fn update(&mut self, recorder: &mut dyn Recorder) -> Result<(), AgentError>;
}

impl<T: OnPolicyAlgorithm> Agent for T {
    fn global_step(&self) -> u64 {
        self.core().global_step
    }

    fn updates(&self) -> u64 {
        self.core().updates
    }

    fn train(&mut self, until: u64, recorder: &mut dyn Recorder) -> Result<(), AgentError> {
        while self.core().global_step < until {
            let (gamma, lambda) = self.gae();
            self.core_mut().collect(gamma, lambda, recorder)?;
            self.update(recorder)?;
        }
        Ok(())
    }

    fn act_deterministic(&mut self, obs: &[f32], action: &mut Vec<f32>) {
        self.core().act_deterministic(obs, action);
    }

    fn policy_view(&mut self, obs: &[f32]) -> Option<PolicyView> {
        self.core().policy_view(obs)
    }

    fn save(&self, dir: &Path) -> Result<(), AgentError> {
        self.core().save(dir)
    }

    fn load(&mut self, dir: &Path) -> Result<(), AgentError> {
        self.core_mut().load(dir)
    }
}
