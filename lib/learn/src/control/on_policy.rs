//! On-policy actor-critic over vectorised envs: PPO (Schulman et al. 2017; defaults are
//! CleanRL's `ppo.py`, Box spaces follow `ppo_continuous_action.py`) and synchronous A2C
//! (Mnih et al. 2016; defaults are SB3's `A2C`), sharing one rollout and GAE code path.
//!
//! Policies: categorical for discrete actions; for Box actions either a Gaussian with a
//! state-independent log-std (sampled unclipped, clipped only when sent to the env, as
//! CleanRL and SB3) or bang-bang (Seyde et al. 2021): a per-dimension Bernoulli over the
//! two extremes {low, high}. Truncated episodes are bootstrapped as SB3 does: the reward of
//! the truncating step gets γ·V(final_obs) added, and the episode then counts as done.
//!
//! Actor, critic and log-std are one [`ActorCritic`] trained by one [`Optimizer`] with
//! global-norm clipping over all of them (as CleanRL's single Adam over
//! `agent.parameters()` and SB3's policy optimizer).

use std::path::Path;

use dfdx::prelude::*;
use meowlab_control::{ActionSpace, VecEnv};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

use super::{
    argmax, read_json, write_json, Agent, AgentError, PolicyView, Recorder, RunningNorm, StepRecord,
};
use crate::nn::{
    batch, load_params, save_params, Activation, Dev, Matrix, Mlp, Optimizer, OptimizerConfig,
    OptimizerKind, Params, Taped,
};

/// A runtime-length f32 vector on [`Dev`] (one value per sample).
pub type Vector<T = NoneTape> = Tensor<(usize,), f32, Dev, T>;
/// An f32 scalar on [`Dev`] (a loss).
pub type Scalar<T = NoneTape> = Tensor<(), f32, Dev, T>;

/// ½·ln(2π).
const HALF_LN_2PI: f32 = 0.918_938_5;

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

/// Per-sample log-probability and entropy of a categorical policy; `onehot` marks the
/// actions. Both outputs share the logits' tape: both must reach the loss.
pub fn categorical_log_prob_entropy<T: Tape<f32, Dev>>(
    logits: Matrix<T>,
    onehot: &Matrix,
) -> (Vector<T>, Vector<T>) {
    let logp_all = logits.log_softmax::<Axis<1>>();
    let probs = logp_all.with_empty_tape().exp();
    let entropy = (probs * logp_all.with_empty_tape())
        .sum::<(usize,), Axis<1>>()
        .negate();
    let log_prob = (logp_all * onehot.clone()).sum::<(usize,), Axis<1>>();
    (log_prob, entropy)
}

/// Per-sample log-probability (summed over dimensions) and entropy of N(mean, e^{2·log_std})
/// at `actions`; `log_std` is broadcast to the batch. Both outputs must reach the loss.
pub fn gaussian_log_prob_entropy<T: Tape<f32, Dev>>(
    mean: Matrix<T>,
    log_std: Matrix<T>,
    actions: &Matrix,
) -> (Vector<T>, Vector<T>) {
    let std = log_std.with_empty_tape().exp();
    let z = (mean - actions.clone()) / std;
    let log_prob =
        (z.square() * -0.5 - log_std.with_empty_tape() - HALF_LN_2PI).sum::<(usize,), Axis<1>>();
    let entropy = (log_std + (0.5 + HALF_LN_2PI)).sum::<(usize,), Axis<1>>();
    (log_prob, entropy)
}

/// Per-sample log-probability (summed over dimensions) and entropy of independent
/// Bernoullis with P(b = 1) = σ(l), at `bits` ∈ {0, 1}. Stable for any |l|:
/// log σ(l) = (l − |l|)/2 − s with s = ln(1 + e^{−|l|}); log p(b) = log σ(l) − (1 − b)·l;
/// H = s + |l|·e^{−|l| − s}. Both outputs must reach the loss.
pub fn bernoulli_log_prob_entropy<T: Tape<f32, Dev>>(
    logits: Matrix<T>,
    bits: &Matrix,
) -> (Vector<T>, Vector<T>) {
    let abs = logits.with_empty_tape().abs();
    let s = (abs.with_empty_tape().negate().exp() + 1.0).ln();
    let log_sig = (logits.with_empty_tape() - abs.with_empty_tape()) * 0.5 - s.with_empty_tape();
    let not_bits = bits.clone().negate() + 1.0;
    let log_prob = (log_sig - logits * not_bits).sum::<(usize,), Axis<1>>();
    let entropy = (s.with_empty_tape() + abs.with_empty_tape() * (abs.negate() - s).exp())
        .sum::<(usize,), Axis<1>>();
    (log_prob, entropy)
}

/// Diagnostics of one clipped-surrogate evaluation (CleanRL's names).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ClipStats {
    /// mean((r − 1) − log r), the low-variance KL estimator.
    pub approx_kl: f64,
    /// mean(−log r).
    pub old_approx_kl: f64,
    /// Fraction of samples with |r − 1| > ε.
    pub clipfrac: f64,
}

/// PPO's clipped surrogate mean(max(−A·r, −A·clip(r, 1 − ε, 1 + ε))) with
/// r = exp(log π_new − log π_old).
pub fn clipped_policy_loss<T: Tape<f32, Dev>>(
    new_log_probs: Vector<T>,
    old_log_probs: &Vector,
    advantages: &Vector,
    clip_coef: f32,
) -> (Scalar<T>, ClipStats) {
    let logratio = new_log_probs - old_log_probs.clone();
    let host = logratio.retaped::<NoneTape>().as_vec();
    let n = host.len().max(1) as f64;
    let mut stats = ClipStats::default();
    for &lr in &host {
        let r = (lr as f64).exp();
        stats.approx_kl += ((r - 1.0) - lr as f64) / n;
        stats.old_approx_kl += -(lr as f64) / n;
        if (r - 1.0).abs() > clip_coef as f64 {
            stats.clipfrac += 1.0 / n;
        }
    }
    let ratio = logratio.exp();
    let neg_adv = advantages.clone().negate();
    let pg1 = ratio.with_empty_tape() * neg_adv.clone();
    let pg2 = ratio.clamp(1.0 - clip_coef, 1.0 + clip_coef) * neg_adv;
    (pg1.maximum(pg2).mean::<(), _>(), stats)
}

/// mean((V − R)²), or with `clip = Some(ε)` CleanRL's clipped form
/// mean(max((V − R)², (V_old + clip(V − V_old, −ε, ε) − R)²)). (PPO halves it.)
pub fn value_loss<T: Tape<f32, Dev>>(
    new_values: Vector<T>,
    old_values: &Vector,
    returns: &Vector,
    clip: Option<f32>,
) -> Scalar<T> {
    match clip {
        None => (new_values - returns.clone()).square().mean::<(), _>(),
        Some(c) => {
            let unclipped = (new_values.with_empty_tape() - returns.clone()).square();
            let clipped = ((new_values - old_values.clone()).clamp(-c, c) + old_values.clone()
                - returns.clone())
            .square();
            unclipped.maximum(clipped).mean::<(), _>()
        }
    }
}

/// One rollout of `num_steps × num_envs` transitions, step-major (index `t·num_envs + i`).
#[derive(Clone, Debug, Default)]
pub struct Rollout {
    /// Envs per step.
    pub num_envs: usize,
    /// Observations acted on (`obs_dim` floats each).
    pub obs: Vec<f32>,
    /// The policy's samples (an index, the unclipped Gaussian sample, or bits 0/1).
    pub actions: Vec<f32>,
    /// log π(a | s) at collection time.
    pub log_probs: Vec<f32>,
    /// V(s) at collection time.
    pub values: Vec<f32>,
    /// Env rewards.
    pub rewards: Vec<f32>,
    /// The step reached a terminal state.
    pub terminated: Vec<bool>,
    /// The step hit the time limit.
    pub truncated: Vec<bool>,
    /// V(final_obs) where truncated and not terminated (0 elsewhere).
    pub final_values: Vec<f32>,
    /// GAE advantages (after [`Rollout::compute_gae`]).
    pub advantages: Vec<f32>,
    /// Advantages + values: the value targets.
    pub returns: Vec<f32>,
}

impl Rollout {
    /// Transitions stored.
    pub fn len(&self) -> usize {
        self.rewards.len()
    }

    /// No transitions stored.
    pub fn is_empty(&self) -> bool {
        self.rewards.is_empty()
    }

    fn clear(&mut self) {
        self.obs.clear();
        self.actions.clear();
        self.log_probs.clear();
        self.values.clear();
        self.rewards.clear();
        self.terminated.clear();
        self.truncated.clear();
        self.final_values.clear();
        self.advantages.clear();
        self.returns.clear();
    }

    /// GAE(γ, λ) (SB3's form: a done step does not look past itself). A truncated step's
    /// reward gets γ·V(final_obs) added and it then counts as done; `last_values` are
    /// V(s) of the observations after the last step.
    pub fn compute_gae(&mut self, last_values: &[f32], gamma: f32, lambda: f32) {
        let n = self.num_envs;
        assert_eq!(last_values.len(), n, "one last value per env");
        let len = self.len();
        self.advantages = vec![0.0; len];
        let mut last_gae = vec![0.0f32; n];
        for t in (0..len / n).rev() {
            for i in 0..n {
                let j = t * n + i;
                let mut reward = self.rewards[j];
                if self.truncated[j] && !self.terminated[j] {
                    reward += gamma * self.final_values[j];
                }
                let done = self.terminated[j] || self.truncated[j];
                let next_nonterminal = if done { 0.0 } else { 1.0 };
                let next_value = if j + n < len {
                    self.values[j + n]
                } else {
                    last_values[i]
                };
                let delta = reward + gamma * next_value * next_nonterminal - self.values[j];
                last_gae[i] = delta + gamma * lambda * next_nonterminal * last_gae[i];
                self.advantages[j] = last_gae[i];
            }
        }
        self.returns = self
            .advantages
            .iter()
            .zip(&self.values)
            .map(|(a, v)| a + v)
            .collect();
    }
}

/// The action distribution and the env's bounds.
#[derive(Clone, Debug)]
enum Head {
    Categorical(usize),
    Gaussian { low: Vec<f32>, high: Vec<f32> },
    BangBang { low: Vec<f32>, high: Vec<f32> },
}

impl Head {
    fn new(space: &ActionSpace, policy: PolicyKind) -> Head {
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
    fn outputs(&self) -> usize {
        match self {
            Head::Categorical(n) => *n,
            Head::Gaussian { low, .. } | Head::BangBang { low, .. } => low.len(),
        }
    }

    /// Floats per stored action (one for an index).
    fn action_dim(&self) -> usize {
        match self {
            Head::Categorical(_) => 1,
            Head::Gaussian { low, .. } | Head::BangBang { low, .. } => low.len(),
        }
    }

    /// Samples one action per row of actor output `out`: `raw` gets the stored sample,
    /// `env` what the env receives (index, clipped Gaussian sample, extreme).
    fn sample(
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
    fn deterministic(&self, out: &[f32], action: &mut Vec<f32>) {
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
    fn action_matrix(&self, dev: &Dev, raw: &[f32], rows: usize) -> Matrix {
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
struct Minibatch {
    obs: Matrix,
    actions: Matrix,
    log_probs: Vector,
    values: Vector,
    advantages: Vector,
    returns: Vector,
}

/// Host-side diagnostics of one update.
#[derive(Default)]
struct UpdateStats {
    policy_loss: f64,
    value_loss: f64,
    entropy: f64,
    grad_norm_sum: f64,
    steps: usize,
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

/// What both algorithms share: envs, networks, optimizer, rollout and counters.
struct OnPolicy {
    seed: u64,
    dev: Dev,
    envs: VecEnv,
    head: Head,
    net: ActorCritic,
    optimizer: Optimizer,
    rng: ChaCha8Rng,
    global_step: u64,
    updates: u64,
    num_steps: usize,
    episode_steps: Vec<u32>,
    rollout: Rollout,
    /// Running observation statistics when `normalize_obs` is set.
    obs_norm: Option<RunningNorm>,
}

struct Setup<'a> {
    env_id: &'a str,
    num_envs: usize,
    num_steps: usize,
    hidden: &'a [usize],
    policy: PolicyKind,
    optimizer: OptimizerConfig,
    normalize_obs: bool,
    seed: u64,
}

impl OnPolicy {
    fn new(s: Setup<'_>) -> Result<Self, AgentError> {
        let mut envs = VecEnv::new(s.env_id, s.num_envs.max(1))?;
        let head = Head::new(&envs.spec().action_space, s.policy);
        let dev = Dev::default();
        let mut rng = ChaCha8Rng::seed_from_u64(s.seed);
        let d = envs.spec().obs_dim;
        let sizes = |out: usize| -> Vec<usize> {
            std::iter::once(d)
                .chain(s.hidden.iter().copied())
                .chain(std::iter::once(out))
                .collect()
        };
        let actor = Mlp::orthogonal(
            &dev,
            &sizes(head.outputs()),
            Activation::Tanh,
            0.01,
            &mut rng,
        );
        let critic = Mlp::orthogonal(&dev, &sizes(1), Activation::Tanh, 1.0, &mut rng);
        let actor_logstd =
            matches!(head, Head::Gaussian { .. }).then(|| dev.zeros_like(&(1, head.outputs())));
        let net = ActorCritic {
            actor,
            critic,
            actor_logstd,
        };
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
        match &self.head {
            Head::Categorical(_) => categorical_log_prob_entropy(out, actions),
            Head::Gaussian { .. } => {
                let (n, k) = *out.shape();
                let log_std = self
                    .net
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
    fn collect(
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
    fn gather(&self, inds: &[usize], norm_adv: bool) -> Minibatch {
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
    fn evaluate(&self, mb: &Minibatch) -> (Vector<Taped>, Vector<Taped>, Vector<Taped>) {
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

    fn record(&self, stats: &UpdateStats, recorder: &mut dyn Recorder) -> Result<(), AgentError> {
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
    fn policy_view(&self, obs: &[f32]) -> Option<PolicyView> {
        let Head::Categorical(k) = self.head else {
            return None;
        };
        let rows = obs.len() / self.envs.spec().obs_dim;
        let x = batch(&self.dev, rows, obs.len() / rows.max(1), self.inputs(obs));
        let logits = self.net.actor.forward(x).as_vec();
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
            values: self.values(obs, rows),
            action_values: None,
        })
    }

    fn act_deterministic(&self, obs: &[f32], action: &mut Vec<f32>) {
        let x = batch(&self.dev, 1, obs.len(), self.inputs(obs));
        let out = self.net.actor.forward(x).as_vec();
        self.head.deterministic(&out, action);
    }

    fn save(&self, dir: &Path) -> Result<(), AgentError> {
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
        )
    }

    fn load(&mut self, dir: &Path) -> Result<(), AgentError> {
        load_params(&mut self.net, &dir.join("agent.safetensors"))?;
        self.optimizer.load(&dir.join("optimizer.safetensors"))?;
        let state: OnPolicyState = read_json(&dir.join("agent.json"))?;
        self.global_step = state.global_step;
        self.obs_norm = state.obs_norm;
        self.updates = state.updates;
        self.rng = state.rng;
        self.envs
            .reset(super::resume_seed(state.seed, state.global_step));
        self.episode_steps.fill(0);
        Ok(())
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
    fn update(&mut self, recorder: &mut dyn Recorder) -> Result<(), AgentError> {
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

/// `Agent` for an on-policy agent with a `core: OnPolicy`, a `config` with `gamma` and
/// `gae_lambda`, and an `update` method: collect a rollout, update, repeat.
macro_rules! impl_on_policy_agent {
    ($agent:ty) => {
        impl Agent for $agent {
            fn global_step(&self) -> u64 {
                self.core.global_step
            }

            fn train(&mut self, until: u64, recorder: &mut dyn Recorder) -> Result<(), AgentError> {
                while self.core.global_step < until {
                    let (gamma, lambda) = (self.config.gamma, self.config.gae_lambda);
                    self.core.collect(gamma, lambda, recorder)?;
                    self.update(recorder)?;
                }
                Ok(())
            }

            fn act_deterministic(&mut self, obs: &[f32], action: &mut Vec<f32>) {
                self.core.act_deterministic(obs, action);
            }

            fn policy_view(&mut self, obs: &[f32]) -> Option<PolicyView> {
                self.core.policy_view(obs)
            }

            fn save(&self, dir: &Path) -> Result<(), AgentError> {
                self.core.save(dir)
            }

            fn load(&mut self, dir: &Path) -> Result<(), AgentError> {
                self.core.load(dir)
            }
        }
    };
}

impl_on_policy_agent!(Ppo);

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
    fn update(&mut self, recorder: &mut dyn Recorder) -> Result<(), AgentError> {
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

impl_on_policy_agent!(A2c);

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol * (1.0 + b.abs())
    }

    fn one_env_rollout() -> Rollout {
        // Five steps of one env: terminated at t = 1, truncated at t = 3 with
        // V(final_obs) = 4.
        Rollout {
            num_envs: 1,
            values: vec![1.0, 2.0, 3.0, 4.0, 5.0],
            rewards: vec![1.0; 5],
            terminated: vec![false, true, false, false, false],
            truncated: vec![false, false, false, true, false],
            final_values: vec![0.0, 0.0, 0.0, 4.0, 0.0],
            ..Rollout::default()
        }
    }

    #[test]
    fn gae_by_hand_with_termination_and_truncation() {
        let mut r = one_env_rollout();
        // γ = λ = 0.5, V(last obs) = 2.
        r.compute_gae(&[2.0], 0.5, 0.5);
        // t4: δ = 1 + 0.5·2 − 5 = −3.
        // t3 (truncated): r' = 1 + 0.5·4 = 3, δ = 3 − 4 = −1, no look-ahead.
        // t2: δ = 1 + 0.5·4 − 3 = 0, A = 0 + 0.25·(−1) = −0.25.
        // t1 (terminated): δ = 1 − 2 = −1.
        // t0: δ = 1 + 0.5·2 − 1 = 1, A = 1 + 0.25·(−1) = 0.75.
        assert_eq!(r.advantages, vec![0.75, -1.0, -0.25, -1.0, -3.0]);
        assert_eq!(r.returns, vec![1.75, 1.0, 2.75, 3.0, 2.0]);
        // λ = 1: plain n-step discounted returns (A2C).
        r.compute_gae(&[2.0], 0.5, 1.0);
        assert_eq!(r.returns, vec![1.5, 1.0, 2.5, 3.0, 2.0]);
    }

    #[test]
    fn gae_keeps_envs_apart() {
        // Two envs interleaved step-major: env 0 as above, env 1 all zeros.
        let a = one_env_rollout();
        let mut r = Rollout {
            num_envs: 2,
            ..Rollout::default()
        };
        for t in 0..5 {
            r.values.extend([a.values[t], 0.0]);
            r.rewards.extend([a.rewards[t], 0.0]);
            r.terminated.extend([a.terminated[t], false]);
            r.truncated.extend([a.truncated[t], false]);
            r.final_values.extend([a.final_values[t], 0.0]);
        }
        r.compute_gae(&[2.0, 0.0], 0.5, 0.5);
        let env0: Vec<f32> = r.advantages.iter().step_by(2).copied().collect();
        assert_eq!(env0, vec![0.75, -1.0, -0.25, -1.0, -3.0]);
        assert!(r.advantages.iter().skip(1).step_by(2).all(|a| *a == 0.0));
    }

    #[test]
    fn bernoulli_log_prob_and_entropy_match_direct_formulas() {
        let dev = Dev::default();
        let logits = [-20.0f32, -3.0, -0.5, 0.0, 0.7, 4.0, 15.0];
        let n = logits.len();
        for b in [0.0f32, 1.0] {
            let l = batch(&dev, n, 1, logits.to_vec());
            let bits = batch(&dev, n, 1, vec![b; n]);
            let (lp, h) = bernoulli_log_prob_entropy(l, &bits);
            for ((x, lp), h) in logits.iter().zip(lp.as_vec()).zip(h.as_vec()) {
                let p = 1.0 / (1.0 + (-(*x as f64)).exp());
                let direct = if b == 1.0 { p.ln() } else { (1.0 - p).ln() };
                let entropy = -(p * p.ln() + (1.0 - p) * (1.0 - p).ln());
                assert!(
                    close(lp as f64, direct, 1e-5),
                    "l {x} b {b}: {lp} vs {direct}"
                );
                assert!(close(h as f64, entropy, 1e-5), "l {x}: {h} vs {entropy}");
            }
        }
        // Huge logits: finite, and the limits are right.
        let big = [-1e4f32, -100.0, 100.0, 1e4];
        let l = batch(&dev, 4, 1, big.to_vec());
        let (lp1, h) = bernoulli_log_prob_entropy(l.clone(), &batch(&dev, 4, 1, vec![1.0; 4]));
        let (lp0, _) = bernoulli_log_prob_entropy(l, &batch(&dev, 4, 1, vec![0.0; 4]));
        let (lp1, lp0, h) = (lp1.as_vec(), lp0.as_vec(), h.as_vec());
        for i in 0..4 {
            assert!(lp1[i].is_finite() && lp0[i].is_finite() && h[i].is_finite());
            assert!(h[i] >= 0.0 && h[i] < 1e-30, "entropy {}", h[i]);
            let x = big[i];
            let (want1, want0) = if x > 0.0 { (0.0, -x) } else { (x, 0.0) };
            assert!(
                close(lp1[i] as f64, want1 as f64, 1e-6),
                "{} vs {want1}",
                lp1[i]
            );
            assert!(
                close(lp0[i] as f64, want0 as f64, 1e-6),
                "{} vs {want0}",
                lp0[i]
            );
        }
    }

    #[test]
    fn bernoulli_gradients_match_analytic() {
        // d log p(b)/dl = b − σ(l); dH/dl = −l·σ(l)(1 − σ(l)).
        let dev = Dev::default();
        let logits = [-30.0f32, -2.0, 0.3, 1.5, 50.0];
        let bits = [1.0f32, 0.0, 1.0, 0.0, 0.0];
        let l = batch(&dev, 5, 1, logits.to_vec());
        let (lp, h) = bernoulli_log_prob_entropy(
            l.clone().traced(Gradients::leaky()),
            &batch(&dev, 5, 1, bits.to_vec()),
        );
        let loss = lp.sum::<(), _>() + h.sum::<(), _>();
        let g = loss.backward().get(&l).as_vec();
        for i in 0..5 {
            let x = logits[i] as f64;
            let p = 1.0 / (1.0 + (-x).exp());
            let want = bits[i] as f64 - p - x * p * (1.0 - p);
            assert!(g[i].is_finite());
            assert!(close(g[i] as f64, want, 1e-4), "l {x}: {} vs {want}", g[i]);
        }
    }

    #[test]
    fn gaussian_log_prob_matches_closed_form() {
        let dev = Dev::default();
        let mean = [0.5f32, -1.0, 2.0, 0.0];
        let log_std = [-0.5f32, 0.3, -0.5, 0.3];
        let actions = [0.2f32, 1.0, 2.5, -3.0];
        let (lp, h) = gaussian_log_prob_entropy(
            batch(&dev, 2, 2, mean.to_vec()),
            batch(&dev, 2, 2, log_std.to_vec()),
            &batch(&dev, 2, 2, actions.to_vec()),
        );
        let (lp, h) = (lp.as_vec(), h.as_vec());
        for row in 0..2 {
            let mut want_lp = 0.0f64;
            let mut want_h = 0.0f64;
            for j in 0..2 {
                let i = row * 2 + j;
                let s = (log_std[i] as f64).exp();
                let z = (actions[i] - mean[i]) as f64 / s;
                want_lp += -0.5 * z * z - s.ln() - 0.5 * (2.0 * std::f64::consts::PI).ln();
                want_h += 0.5 + 0.5 * (2.0 * std::f64::consts::PI).ln() + s.ln();
            }
            assert!(
                close(lp[row] as f64, want_lp, 1e-5),
                "{} vs {want_lp}",
                lp[row]
            );
            assert!(close(h[row] as f64, want_h, 1e-5), "{} vs {want_h}", h[row]);
        }
    }

    #[test]
    fn gaussian_and_categorical_gradients_match_analytic() {
        // Gaussian: d log p/dμ = z/σ, d log p/d log σ = z² − 1, dH/d log σ = 1.
        let dev = Dev::default();
        let (mu, ls, a) = ([0.3f32, -1.0], [0.2f32, -0.4], [1.0f32, -0.5]);
        let mean = batch(&dev, 1, 2, mu.to_vec());
        let log_std = batch(&dev, 1, 2, ls.to_vec());
        let (lp, h) = gaussian_log_prob_entropy(
            mean.clone().traced(Gradients::leaky()),
            log_std.clone().traced(Gradients::leaky()),
            &batch(&dev, 1, 2, a.to_vec()),
        );
        let grads = (lp.sum::<(), _>() + h.sum::<(), _>()).backward();
        let (g_mu, g_ls) = (grads.get(&mean).as_vec(), grads.get(&log_std).as_vec());
        for j in 0..2 {
            let s = (ls[j] as f64).exp();
            let z = (a[j] - mu[j]) as f64 / s;
            assert!(
                close(g_mu[j] as f64, z / s, 1e-5),
                "{} vs {}",
                g_mu[j],
                z / s
            );
            assert!(close(g_ls[j] as f64, z * z - 1.0 + 1.0, 1e-5));
        }
        // Categorical: d log p_a/dl_j = [j = a] − p_j, dH/dl_j = −p_j (log p_j + H).
        let logits = [0.5f32, -1.0, 2.0];
        let l = batch(&dev, 1, 3, logits.to_vec());
        let (lp, h) = categorical_log_prob_entropy(
            l.clone().traced(Gradients::leaky()),
            &batch(&dev, 1, 3, vec![1.0, 0.0, 0.0]),
        );
        let g = (lp.sum::<(), _>() + h.sum::<(), _>())
            .backward()
            .get(&l)
            .as_vec();
        let z: f64 = logits.iter().map(|l| (*l as f64).exp()).sum();
        let p: Vec<f64> = logits.iter().map(|l| (*l as f64).exp() / z).collect();
        let entropy: f64 = -p.iter().map(|p| p * p.ln()).sum::<f64>();
        for j in 0..3 {
            let onehot = if j == 0 { 1.0 } else { 0.0 };
            let want = onehot - p[j] - p[j] * (p[j].ln() + entropy);
            assert!(close(g[j] as f64, want, 1e-5), "{j}: {} vs {want}", g[j]);
        }
    }

    #[test]
    fn categorical_log_prob_and_entropy() {
        let dev = Dev::default();
        let logits = [1.0f32, 2.0, 0.5];
        let (lp, h) = categorical_log_prob_entropy(
            batch(&dev, 1, 3, logits.to_vec()),
            &batch(&dev, 1, 3, vec![0.0, 1.0, 0.0]),
        );
        let z: f64 = logits.iter().map(|l| (*l as f64).exp()).sum();
        let p: Vec<f64> = logits.iter().map(|l| (*l as f64).exp() / z).collect();
        assert!(close(lp.as_vec()[0] as f64, p[1].ln(), 1e-6));
        let want_h: f64 = -p.iter().map(|p| p * p.ln()).sum::<f64>();
        assert!(close(h.as_vec()[0] as f64, want_h, 1e-6));
    }

    #[test]
    fn clipped_policy_loss_by_hand() {
        // Ratios 1.5, 0.5, 1.1, 0.7 with advantages 1, 1, −1, −1 and ε = 0.2:
        // max(−1.5, −1.2) = −1.2; max(−0.5, −0.8) = −0.5; max(1.1, 1.1) = 1.1;
        // max(0.7, 0.8) = 0.8 → mean 0.05; clipped samples: 1.5, 0.5, 0.7.
        let dev = Dev::default();
        let ratios = [1.5f32, 0.5, 1.1, 0.7];
        let old: Vec<f32> = vec![-1.0; 4];
        let new: Vec<f32> = ratios.iter().map(|r| r.ln() - 1.0).collect();
        let new_t: Vector = dev.tensor_from_vec(new, (4,));
        let (loss, stats) = clipped_policy_loss(
            new_t.clone().traced(Gradients::leaky()),
            &dev.tensor_from_vec(old, (4,)),
            &dev.tensor_from_vec(vec![1.0, 1.0, -1.0, -1.0], (4,)),
            0.2,
        );
        assert!((loss.retaped::<NoneTape>().array() - 0.05).abs() < 1e-6);
        assert!((stats.clipfrac - 0.75).abs() < 1e-12);
        let want_kl: f64 = ratios
            .iter()
            .map(|r| (*r as f64 - 1.0) - (*r as f64).ln())
            .sum::<f64>()
            / 4.0;
        assert!((stats.approx_kl - want_kl).abs() < 1e-6);
        // Gradient w.r.t. the new log-probs: zero where the clipped term wins,
        // −A·r/4 where the unclipped term does.
        let g = loss.backward().get(&new_t).as_vec();
        let want = [0.0, -0.5 / 4.0, 1.1 / 4.0, 0.0];
        for i in 0..4 {
            assert!(
                (g[i] - want[i]).abs() < 1e-6,
                "{i}: {} vs {}",
                g[i],
                want[i]
            );
        }
    }

    #[test]
    fn clipped_value_loss_by_hand() {
        // V_old 0, returns 1, ε 0.2: new 0.5 → max(0.25, (0.2 − 1)²) = 0.64;
        // new 1.5 → max(0.25, 0.64) = 0.64; new −0.1 → max(1.21, 1.21) = 1.21.
        let dev = Dev::default();
        let new: Vector = dev.tensor_from_vec(vec![0.5, 1.5, -0.1], (3,));
        let old = dev.tensor_from_vec(vec![0.0; 3], (3,));
        let ret = dev.tensor_from_vec(vec![1.0; 3], (3,));
        let clipped = value_loss(new.clone(), &old, &ret, Some(0.2)).array();
        assert!((clipped - (0.64 + 0.64 + 1.21) / 3.0).abs() < 1e-6);
        let plain = value_loss(new, &old, &ret, None).array();
        assert!((plain - (0.25 + 0.25 + 1.21) / 3.0).abs() < 1e-6);
    }

    #[test]
    fn config_parses_policy_names() {
        let c: PpoConfig = toml::from_str("policy = \"bang_bang\"\nnum_envs = 2").unwrap();
        assert_eq!(c.policy, PolicyKind::BangBang);
        assert_eq!(c.num_envs, 2);
        assert!(toml::from_str::<PpoConfig>("policy = \"beta\"").is_err());
        assert!(toml::from_str::<A2cConfig>("n_steps = 5").is_err());
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
        a.train(32, &mut super::super::NullRecorder).unwrap();
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
