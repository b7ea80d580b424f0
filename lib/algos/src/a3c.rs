//! Asynchronous advantage actor-critic (A3C, Mnih et al. 2016, Algorithm S3), on CPU
//! threads. Each of `threads` actor-learners owns an env, a random stream and a copy θ' of
//! the networks. It copies the shared parameters θ into θ', acts for up to `t_max` steps
//! (or to the end of its episode), computes the n-step returns and the gradient of
//! `Σ −log π(a|s)·(R − V(s)) − β·H(π(s)) + c_v·(R − V(s))²` on θ', and applies it to θ with
//! the paper's RMSProp, without waiting for the other threads. The learning rate decays
//! linearly to 0 over the training budget. Parameters and optimiser live in
//! [`meowlab_rl::shared`]: Hogwild (lock-free) or locked updates, RMSProp statistics shared
//! by all threads or kept per thread.
//!
//! Asynchronous updates make a run depend on how the OS schedules the threads, so two runs
//! with the same seed differ. `deterministic = true` keeps the threads but passes a turn
//! round-robin: at its turn a thread applies its last gradient, hands over its steps for
//! logging and pulls θ; it then acts and computes its next gradient while the others take
//! their turns. Updates, pulls and logs then happen in one fixed order (each gradient is
//! `threads − 1` updates stale, as an asynchronous one typically is), and a seed gives the
//! same files.

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{mpsc, Condvar, Mutex};

use dfdx::prelude::*;
use meowlab_control::{Action, Env};
use meowlab_nn::nn::{batch, load_params, save_params, Dev, Matrix};
use meowlab_rl::checkpoint::{read_json, write_json};
use meowlab_rl::shared::{flatten, unflatten, RmsProp, SharedParams, Statistics, UpdateMode};
use meowlab_rl::{n_step_returns, CheckpointError, Scalar, SegmentEnd};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::actor_critic::{ActorCritic, Head, PolicyKind};
use crate::{Agent, AgentError, PolicyView, Recorder, StepRecord};

/// A3C hyper-parameters: the paper's (t_max 5, β 0.01, RMSProp α 0.99 and ε 0.1 with
/// shared statistics, learning rate annealed linearly to 0; 2e-3 from the paper's
/// log-uniform range 1e-4..1e-2 works on CartPole and Acrobot); the networks are the
/// separate tanh MLPs of the other actor-critics here.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct A3cConfig {
    /// Actor-learner threads, each with its own env.
    pub threads: usize,
    /// Steps per thread between updates (fewer when an episode ends first).
    pub t_max: usize,
    /// Initial learning rate.
    pub learning_rate: f64,
    /// Anneal the learning rate linearly to 0 over the training budget.
    pub anneal_lr: bool,
    /// Discount factor.
    pub gamma: f64,
    /// Entropy bonus β.
    pub ent_coef: f64,
    /// Value loss coefficient c_v (the loss is c_v·(R − V)²).
    pub vf_coef: f64,
    /// Clip each thread's gradient to this global norm before it is applied.
    pub max_grad_norm: f64,
    /// RMSProp decay α.
    pub rms_alpha: f64,
    /// RMSProp ε (under the square root, as in the paper).
    pub rms_eps: f64,
    /// One set of RMSProp statistics for all threads (the paper's choice) instead of one
    /// per thread.
    pub shared_statistics: bool,
    /// Lock-free (Hogwild) or locked updates of the shared parameters.
    pub updates: UpdateMode,
    /// Apply the threads' updates in a fixed round-robin order (reproducible).
    pub deterministic: bool,
    /// Hidden widths of the actor and of the critic (separate tanh MLPs).
    pub hidden: Vec<usize>,
    /// Policy for Box action spaces.
    pub policy: PolicyKind,
}

impl Default for A3cConfig {
    fn default() -> Self {
        A3cConfig {
            threads: 4,
            t_max: 5,
            learning_rate: 2e-3,
            anneal_lr: true,
            gamma: 0.99,
            ent_coef: 0.01,
            vf_coef: 0.5,
            max_grad_norm: 40.0,
            rms_alpha: 0.99,
            rms_eps: 0.1,
            shared_statistics: true,
            updates: UpdateMode::Hogwild,
            deterministic: false,
            hidden: vec![64, 64],
            policy: PolicyKind::Gaussian,
        }
    }
}

impl A3cConfig {
    /// Why a run of this config is not bit-reproducible, or `None` when it is (one thread,
    /// or round-robin updates).
    pub fn nondeterminism(&self) -> Option<String> {
        (self.threads > 1 && !self.deterministic).then(|| {
            format!(
                "A3C: {} actor-learner threads apply their updates asynchronously ({}), in \
                 whatever order the OS schedules them, so runs with the same seed and config \
                 differ; set a3c.deterministic = true (meowlab run --deterministic) for \
                 round-robin updates that are reproducible",
                self.threads,
                match self.updates {
                    UpdateMode::Hogwild => "hogwild, without locks",
                    UpdateMode::Locked => "each under a lock",
                }
            )
        })
    }
}

/// One env step of a thread, kept until the thread's update is applied and then logged.
#[derive(Clone, Debug, PartialEq)]
struct OwnedStep {
    index: u32,
    obs: Vec<f32>,
    action: Vec<f32>,
    reward: f64,
    terminated: bool,
    truncated: bool,
    log_prob: f32,
    value: f32,
}

/// What one thread acted out between two updates: the inputs of the loss.
pub(crate) struct Segment {
    /// Observations acted on (rows of `obs_dim`).
    pub obs: Vec<f32>,
    /// The policy's samples (see [`Head::action_matrix`]).
    pub actions: Vec<f32>,
    /// n-step returns.
    pub returns: Vec<f32>,
}

/// Diagnostics of one update.
#[derive(Clone, Copy, Debug, Default)]
struct LossStats {
    policy_loss: f64,
    value_loss: f64,
    entropy: f64,
    grad_norm: f64,
}

/// What a thread hands the recorder after an update.
struct Report {
    thread: u32,
    steps: Vec<OwnedStep>,
    stats: LossStats,
    /// Updates by other threads between this thread's pull and its update.
    lag: u64,
    learning_rate: f64,
}

/// One actor-learner: its env, where its episode stands, its random stream and (unless
/// shared) its RMSProp statistics.
struct Worker {
    thread: u32,
    env: Box<dyn Env>,
    obs: Vec<f32>,
    episode_step: u32,
    rng: ChaCha8Rng,
    /// RMSProp statistics of this thread (empty when they are shared).
    statistics: Vec<f32>,
}

#[derive(Serialize, Deserialize)]
struct A3cState {
    seed: u64,
    global_step: u64,
    updates: u64,
    /// Each thread's random stream.
    rngs: Vec<ChaCha8Rng>,
}

/// What every thread reads: the config, the action head and the shared parameters.
struct Learners {
    config: A3cConfig,
    total_timesteps: u64,
    obs_dim: usize,
    head: Head,
    shared: SharedParams,
}

/// An A3C agent: shared parameters, one worker per thread.
pub struct A3c {
    learners: Learners,
    seed: u64,
    dev: Dev,
    /// A copy of the shared parameters, refreshed after training (evaluation, saving).
    net: ActorCritic,
    workers: Vec<Worker>,
    global_step: u64,
}

impl A3c {
    /// A fresh agent: `config.threads` copies of `env_id`, thread `i`'s env first reset
    /// with seed `seed + i` and its random stream the `i + 1`-th of `seed`.
    pub fn new(
        env_id: &str,
        config: A3cConfig,
        total_timesteps: u64,
        seed: u64,
    ) -> Result<Self, AgentError> {
        let spec = meowlab_control::spec(env_id)?;
        let head = Head::new(&spec.action_space, config.policy);
        let dev = Dev::default();
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let net = ActorCritic::new(&dev, spec.obs_dim, &config.hidden, &head, &mut rng);
        let shared = SharedParams::new(&net, config.updates, config.shared_statistics);
        let own = if config.shared_statistics {
            0
        } else {
            shared.len()
        };
        let mut workers = Vec::new();
        for i in 0..config.threads.max(1) {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            rng.set_stream(i as u64 + 1);
            let mut env = meowlab_control::make(env_id)?;
            let mut obs = vec![0.0; spec.obs_dim];
            env.reset(Some(seed.wrapping_add(i as u64)), &mut obs);
            workers.push(Worker {
                thread: i as u32,
                env,
                obs,
                episode_step: 0,
                rng,
                statistics: vec![0.0; own],
            });
        }
        Ok(A3c {
            learners: Learners {
                config,
                total_timesteps,
                obs_dim: spec.obs_dim,
                head,
                shared,
            },
            seed,
            dev,
            net,
            workers,
            global_step: 0,
        })
    }

    /// The networks (as of the last training call).
    pub fn actor_critic(&self) -> &ActorCritic {
        &self.net
    }

    /// The hyper-parameters.
    pub fn config(&self) -> &A3cConfig {
        &self.learners.config
    }

    /// Trains with every thread until the shared step count reaches `until`, logging each
    /// thread's steps after its update.
    fn train_threads(&mut self, until: u64, recorder: &mut dyn Recorder) -> Result<(), AgentError> {
        let steps = AtomicU64::new(self.global_step);
        let abort = AtomicBool::new(false);
        // The round-robin turn (deterministic mode): whose turn it is.
        let turn = (Mutex::new(0usize), Condvar::new());
        let (tx, rx) = mpsc::channel::<Report>();
        let learners = &self.learners;
        let mut totals = (LossStats::default(), 0u64, 0u64, 0.0f64); // stats, lag, updates, lr
        let mut record_error = None;
        let results: Vec<Result<(), AgentError>> = std::thread::scope(|s| {
            let handles: Vec<_> = self
                .workers
                .iter_mut()
                .map(|worker| {
                    let tx = tx.clone();
                    let (steps, abort, turn) = (&steps, &abort, &turn);
                    s.spawn(move || {
                        let result = learners.worker_loop(worker, until, steps, abort, turn, &tx);
                        if result.is_err() {
                            abort.store(true, Relaxed);
                            let _held = turn.0.lock().unwrap_or_else(|e| e.into_inner());
                            turn.1.notify_all();
                        }
                        result
                    })
                })
                .collect();
            drop(tx);
            for report in rx {
                if record_error.is_some() {
                    continue;
                }
                let thread = report.thread;
                for st in &report.steps {
                    let r = recorder.step(&StepRecord {
                        env: thread as usize,
                        index: st.index,
                        obs: &st.obs,
                        action: &st.action,
                        reward: st.reward,
                        terminated: st.terminated,
                        truncated: st.truncated,
                        log_prob: Some(st.log_prob),
                        value: Some(st.value),
                        thread: Some(thread),
                    });
                    if let Err(e) = r {
                        record_error = Some(e);
                        abort.store(true, Relaxed);
                        let _held = turn.0.lock().unwrap_or_else(|e| e.into_inner());
                        turn.1.notify_all();
                        break;
                    }
                }
                let (stats, lag, updates, lr) = &mut totals;
                stats.policy_loss += report.stats.policy_loss;
                stats.value_loss += report.stats.value_loss;
                stats.entropy += report.stats.entropy;
                stats.grad_norm += report.stats.grad_norm;
                *lag += report.lag;
                *updates += 1;
                *lr = report.learning_rate;
            }
            handles
                .into_iter()
                .map(|h| h.join().expect("an A3C thread panicked"))
                .collect()
        });
        self.global_step = steps.load(Relaxed);
        self.learners.shared.pull(&mut self.net);
        if let Some(e) = record_error {
            return Err(e);
        }
        results.into_iter().collect::<Result<(), _>>()?;
        let (stats, lag, updates, lr) = totals;
        if updates > 0 {
            let k = updates as f64;
            let step = self.global_step;
            recorder.scalar(step, "learning_rate", lr)?;
            recorder.scalar(step, "policy_loss", stats.policy_loss / k)?;
            recorder.scalar(step, "value_loss", stats.value_loss / k)?;
            recorder.scalar(step, "entropy", stats.entropy / k)?;
            recorder.scalar(step, "grad_norm", stats.grad_norm / k)?;
            recorder.scalar(step, "policy_lag", lag as f64 / k)?;
        }
        Ok(())
    }
}

impl Learners {
    /// The learning rate after `global_step` steps.
    fn learning_rate(&self, global_step: u64) -> f64 {
        let c = &self.config;
        if c.anneal_lr {
            let left = 1.0 - global_step as f64 / self.total_timesteps.max(1) as f64;
            c.learning_rate * left.max(0.0)
        } else {
            c.learning_rate
        }
    }

    /// One update of one thread: pull θ into `local`, act, return the gradient; the caller
    /// applies it.
    fn act_segment(
        &self,
        worker: &mut Worker,
        local: &ActorCritic,
        dev: &Dev,
    ) -> Result<(Vec<OwnedStep>, Segment), AgentError> {
        let c = &self.config;
        let d = self.obs_dim;
        let discrete = matches!(self.head, Head::Categorical(_));
        let log_std = local
            .actor_logstd
            .as_ref()
            .map_or_else(Vec::new, |t| t.as_vec());
        let (mut raw, mut env_action) = (Vec::new(), Vec::new());
        let mut next = vec![0.0; d];
        let mut steps = Vec::with_capacity(c.t_max);
        let mut segment = Segment {
            obs: Vec::with_capacity(c.t_max * d),
            actions: Vec::new(),
            returns: Vec::new(),
        };
        let value_of = |obs: &[f32]| -> f64 {
            f64::from(
                local
                    .critic
                    .forward(batch(dev, 1, d, obs.to_vec()))
                    .as_vec()[0],
            )
        };
        let end = loop {
            // ALGO LOGIC: sample a_t ~ π(·|s_t; θ')
            let x = batch(dev, 1, d, worker.obs.clone());
            let out = local.actor.forward(x.clone());
            let value = local.critic.forward(x).as_vec()[0];
            self.head.sample(
                &out.as_vec(),
                &log_std,
                &mut worker.rng,
                &mut raw,
                &mut env_action,
            );
            let chosen = self.head.action_matrix(dev, &raw, 1);
            let log_prob = local.policy_terms(&self.head, out, &chosen).0.as_vec()[0];

            // TRY NOT TO MODIFY: execute the game and log data.
            let action = if discrete {
                Action::Discrete(env_action[0] as usize)
            } else {
                Action::Continuous(&env_action)
            };
            let t = worker.env.step(action, &mut next)?;
            steps.push(OwnedStep {
                index: worker.episode_step,
                obs: worker.obs.clone(),
                action: env_action.clone(),
                reward: t.reward,
                terminated: t.terminated,
                truncated: t.truncated,
                log_prob,
                value,
            });
            segment.obs.extend_from_slice(&worker.obs);
            segment.actions.extend_from_slice(&raw);
            if t.terminated || t.truncated {
                // The state the time limit cut is bootstrapped from; a terminal one is not.
                let end = if t.terminated {
                    SegmentEnd::Terminated
                } else {
                    SegmentEnd::Truncated(value_of(&next))
                };
                worker.env.reset(None, &mut worker.obs);
                worker.episode_step = 0;
                break end;
            }
            worker.obs.copy_from_slice(&next);
            worker.episode_step += 1;
            if steps.len() >= c.t_max {
                break SegmentEnd::Running(value_of(&worker.obs));
            }
        };
        // ALGO LOGIC: n-step returns, back from the bootstrap value
        let rewards: Vec<f64> = steps.iter().map(|s| s.reward).collect();
        segment.returns = n_step_returns(&rewards, end, c.gamma)
            .into_iter()
            .map(|r| r as f32)
            .collect();
        Ok((steps, segment))
    }

    /// One thread's loop: act, compute the gradient, apply it, report; in deterministic
    /// mode apply, report and pull only at the thread's turn.
    fn worker_loop(
        &self,
        worker: &mut Worker,
        until: u64,
        steps: &AtomicU64,
        abort: &AtomicBool,
        turn: &(Mutex<usize>, Condvar),
        tx: &mpsc::Sender<Report>,
    ) -> Result<(), AgentError> {
        let n = self.config.threads.max(1);
        // θ′ is built on this thread (no tensor crosses threads, which the CUDA device's
        // tensors could not) and overwritten by the first pull.
        let dev = Dev::default();
        let mut local = ActorCritic::new(
            &dev,
            self.obs_dim,
            &self.config.hidden,
            &self.head,
            &mut ChaCha8Rng::seed_from_u64(0),
        );
        let rms = RmsProp {
            alpha: self.config.rms_alpha as f32,
            eps: self.config.rms_eps as f32,
        };
        // Applies one gradient and hands its steps to the recorder.
        let apply =
            |worker: &mut Worker, pending: (Vec<OwnedStep>, Vec<f32>, LossStats, u64)| -> bool {
                let (owned, grad, stats, pulled) = pending;
                let lr = self.learning_rate(steps.load(Relaxed));
                let statistics = if self.shared.shares_statistics() {
                    Statistics::Shared
                } else {
                    Statistics::Own(&mut worker.statistics)
                };
                let version = self.shared.apply(&grad, statistics, rms, lr as f32);
                steps.fetch_add(owned.len() as u64, Relaxed);
                tx.send(Report {
                    thread: worker.thread,
                    steps: owned,
                    stats,
                    lag: version - 1 - pulled,
                    learning_rate: lr,
                })
                .is_ok()
            };
        if !self.config.deterministic {
            while !abort.load(Relaxed) && steps.load(Relaxed) < until {
                let pulled = self.shared.pull(&mut local);
                let (owned, segment) = self.act_segment(worker, &local, &dev)?;
                let (grad, stats) = self.gradient(&local, &segment, &dev);
                if !apply(worker, (owned, grad, stats, pulled)) {
                    break;
                }
            }
            return Ok(());
        }
        let id = worker.thread as usize;
        let mut pending = None;
        loop {
            let mut whose = turn.0.lock().unwrap_or_else(|e| e.into_inner());
            while *whose != id && !abort.load(Relaxed) {
                whose = turn.1.wait(whose).unwrap_or_else(|e| e.into_inner());
            }
            if abort.load(Relaxed) {
                return Ok(());
            }
            if let Some(p) = pending.take() {
                apply(worker, p);
            }
            let stop = steps.load(Relaxed) >= until;
            let pulled = (!stop).then(|| self.shared.pull(&mut local));
            *whose = (id + 1) % n;
            turn.1.notify_all();
            drop(whose);
            let Some(pulled) = pulled else {
                return Ok(());
            };
            let (owned, segment) = self.act_segment(worker, &local, &dev)?;
            let (grad, stats) = self.gradient(&local, &segment, &dev);
            pending = Some((owned, grad, stats, pulled));
        }
    }

    /// The gradient of the segment's loss on θ', flat and clipped to `max_grad_norm`.
    fn gradient(&self, local: &ActorCritic, segment: &Segment, dev: &Dev) -> (Vec<f32>, LossStats) {
        let (loss, mut stats) = segment_loss(local, &self.head, segment, &self.config, dev);
        let grads = loss.backward();
        let mut flat = Vec::with_capacity(self.shared.len());
        meowlab_nn::nn::Params::visit(local, &mut |_, p| flat.extend(grads.get(p).as_vec()));
        let norm = flat
            .iter()
            .map(|g| f64::from(*g).powi(2))
            .sum::<f64>()
            .sqrt();
        stats.grad_norm = norm;
        let max = self.config.max_grad_norm;
        if norm > max {
            let scale = (max / (norm + 1e-6)) as f32;
            flat.iter_mut().for_each(|g| *g *= scale);
        }
        (flat, stats)
    }
}

/// The A3C loss of one segment on the networks `net`, summed over its steps as the paper
/// accumulates gradients: `Σ −log π(a|s)·(R − V(s)) − β·Σ H(π(s)) + c_v·Σ (R − V(s))²`,
/// the advantage `R − V(s)` held constant in the policy term.
fn segment_loss(
    net: &ActorCritic,
    head: &Head,
    segment: &Segment,
    config: &A3cConfig,
    dev: &Dev,
) -> (Scalar<OwnedTape<f32, Dev>>, LossStats) {
    loss_with_advantages(net, head, segment, None, config, dev)
}

/// `R − V(s)` per step.
fn advantages_of(returns: &[f32], values: &[f32]) -> Vec<f32> {
    returns.iter().zip(values).map(|(r, v)| r - v).collect()
}

/// [`segment_loss`], with the advantages given (constants of the policy term) or, when
/// `None`, computed from the critic's values in the same forward pass.
fn loss_with_advantages(
    net: &ActorCritic,
    head: &Head,
    segment: &Segment,
    advantages: Option<&[f32]>,
    config: &A3cConfig,
    dev: &Dev,
) -> (Scalar<OwnedTape<f32, Dev>>, LossStats) {
    let k = segment.returns.len();
    let x: Matrix = batch(dev, k, segment.obs.len() / k.max(1), segment.obs.clone());
    let out = net.actor.forward(x.clone().traced(Gradients::leaky()));
    let value = net
        .critic
        .forward(x.traced(Gradients::leaky()))
        .reshape_like(&(k,));
    let advantages = advantages.map_or_else(
        || advantages_of(&segment.returns, &value.retaped::<NoneTape>().as_vec()),
        <[f32]>::to_vec,
    );
    let actions = head.action_matrix(dev, &segment.actions, k);
    let (log_prob, entropy) = net.policy_terms(head, out, &actions);
    let advantages = dev.tensor_from_vec(advantages, (k,));
    let returns = dev.tensor_from_vec(segment.returns.clone(), (k,));
    let policy_loss = (log_prob * advantages).sum::<(), _>().negate();
    let value_loss = (value - returns).square().sum::<(), _>();
    let entropy = entropy.sum::<(), _>();
    let stats = LossStats {
        policy_loss: f64::from(policy_loss.retaped::<NoneTape>().array()),
        value_loss: f64::from(value_loss.retaped::<NoneTape>().array()),
        entropy: f64::from(entropy.retaped::<NoneTape>().array()) / k.max(1) as f64,
        grad_norm: 0.0,
    };
    let loss = policy_loss - entropy * config.ent_coef as f32 + value_loss * config.vf_coef as f32;
    (loss, stats)
}

impl Agent for A3c {
    fn global_step(&self) -> u64 {
        self.global_step
    }

    fn updates(&self) -> u64 {
        self.learners.shared.version()
    }

    fn train(&mut self, until: u64, recorder: &mut dyn Recorder) -> Result<(), AgentError> {
        if self.global_step < until {
            self.train_threads(until, recorder)?;
        }
        Ok(())
    }

    fn act_deterministic(&mut self, obs: &[f32], action: &mut Vec<f32>) {
        let x = batch(&self.dev, 1, obs.len(), obs.to_vec());
        let out = self.net.actor.forward(x).as_vec();
        self.learners.head.deterministic(&out, action);
    }

    fn policy_view(&mut self, obs: &[f32]) -> Option<PolicyView> {
        let rows = obs.len() / self.learners.obs_dim;
        let x = batch(&self.dev, rows, self.learners.obs_dim, obs.to_vec());
        crate::actor_critic::categorical_view(&self.net, &self.learners.head, x)
    }

    fn save(&self, dir: &Path) -> Result<(), AgentError> {
        let shared = &self.learners.shared;
        save_params(&self.net, &dir.join("agent.safetensors"))?;
        // RMSProp statistics in the networks' shapes: one file when shared, one per thread.
        let save_statistics = |stats: &[f32], name: String| {
            let mut shaped = self.net.clone();
            unflatten(&mut shaped, stats);
            save_params(&shaped, &dir.join(name))
        };
        match shared.statistics() {
            Some(stats) => save_statistics(&stats, "rmsprop.safetensors".into())?,
            None => {
                for w in &self.workers {
                    save_statistics(
                        &w.statistics,
                        format!("rmsprop-thread{}.safetensors", w.thread),
                    )?;
                }
            }
        }
        write_json(
            &dir.join("agent.json"),
            &A3cState {
                seed: self.seed,
                global_step: self.global_step,
                updates: shared.version(),
                rngs: self.workers.iter().map(|w| w.rng.clone()).collect(),
            },
        )?;
        Ok(())
    }

    fn load(&mut self, dir: &Path) -> Result<(), AgentError> {
        let path = dir.join("agent.json");
        let state: A3cState = read_json(&path)?;
        if state.rngs.len() != self.workers.len() {
            return Err(AgentError::Checkpoint(CheckpointError::new(
                &path,
                format!(
                    "saved by {} threads; this agent has {}",
                    state.rngs.len(),
                    self.workers.len()
                ),
            )));
        }
        let load_statistics = |name: String| -> Result<Vec<f32>, AgentError> {
            let mut shaped = self.net.clone();
            load_params(&mut shaped, &dir.join(name))?;
            Ok(flatten(&shaped))
        };
        let shared_stats = if self.learners.shared.shares_statistics() {
            Some(load_statistics("rmsprop.safetensors".into())?)
        } else {
            for i in 0..self.workers.len() {
                let stats = load_statistics(format!("rmsprop-thread{i}.safetensors"))?;
                self.workers[i].statistics = stats;
            }
            None
        };
        load_params(&mut self.net, &dir.join("agent.safetensors"))?;
        self.learners
            .shared
            .restore(&flatten(&self.net), shared_stats.as_deref(), state.updates);
        self.global_step = state.global_step;
        let reset = crate::resume_seed(state.seed, state.global_step);
        for (i, (w, rng)) in self.workers.iter_mut().zip(state.rngs).enumerate() {
            w.rng = rng;
            w.env.reset(Some(reset.wrapping_add(i as u64)), &mut w.obs);
            w.episode_step = 0;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use meowlab_nn::nn::Params;

    /// A 3-step segment of a 3-float observation with returns of a few units.
    fn segment(head: &Head) -> Segment {
        let actions = match head {
            Head::Categorical(_) => vec![0.0, 1.0, 1.0],
            _ => vec![0.3, -0.7, 1.2, 0.1, -0.2, 0.5],
        };
        Segment {
            obs: vec![0.1, -0.4, 0.8, 0.5, 0.2, -0.3, -0.9, 0.6, 0.05],
            actions,
            returns: vec![1.5, -0.5, 2.0],
        }
    }

    fn check_gradients(head: Head) {
        let dev = Dev::default();
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let mut net = ActorCritic::new(&dev, 3, &[8], &head, &mut rng);
        if let Some(log_std) = &mut net.actor_logstd {
            log_std.copy_from(&[-0.3, 0.2]);
        }
        // Larger output weights than the initialisation's, so every term matters.
        net.actor.visit_mut(&mut |_, t| *t = t.clone() * 3.0);
        let config = A3cConfig {
            ent_coef: 0.1,
            ..A3cConfig::default()
        };
        let seg = segment(&head);
        let values = net
            .critic
            .forward(batch(&dev, 3, 3, seg.obs.clone()))
            .as_vec();
        let adv = advantages_of(&seg.returns, &values);
        let (loss, _) = loss_with_advantages(&net, &head, &seg, Some(&adv), &config, &dev);
        let grads = loss.backward();
        let mut analytic = Vec::new();
        net.visit(&mut |_, p| analytic.extend(grads.get(p).as_vec()));
        let theta = flatten(&net);
        assert_eq!(analytic.len(), theta.len());
        let loss_at = |flat: &[f32]| -> f64 {
            let mut probe = net.clone();
            unflatten(&mut probe, flat);
            let (l, _) = loss_with_advantages(&probe, &head, &seg, Some(&adv), &config, &dev);
            f64::from(l.retaped::<NoneTape>().array())
        };
        let h = 1e-2f32;
        let mut worst = 0.0f64;
        for i in 0..theta.len() {
            let (mut up, mut down) = (theta.clone(), theta.clone());
            up[i] += h;
            down[i] -= h;
            let numeric = (loss_at(&up) - loss_at(&down)) / (2.0 * f64::from(h));
            let err = (numeric - f64::from(analytic[i])).abs() / numeric.abs().max(1.0);
            worst = worst.max(err);
            assert!(
                err < 2e-2,
                "parameter {i}: analytic {} vs finite differences {numeric}",
                analytic[i]
            );
        }
        assert!(
            analytic.iter().any(|g| g.abs() > 1e-2),
            "a loss with gradients"
        );
        eprintln!(
            "worst relative error {worst:.2e} over {} parameters",
            theta.len()
        );
    }

    #[test]
    fn categorical_loss_gradients_match_finite_differences() {
        check_gradients(Head::Categorical(2));
    }

    #[test]
    fn gaussian_loss_gradients_match_finite_differences() {
        check_gradients(Head::Gaussian {
            low: vec![-2.0; 2],
            high: vec![2.0; 2],
        });
    }

    #[test]
    fn the_advantage_is_held_constant_in_the_policy_term() {
        // With β = c_v = 0 only the policy term is left: it must not reach the critic.
        let dev = Dev::default();
        let head = Head::Categorical(2);
        let net = ActorCritic::new(&dev, 3, &[8], &head, &mut ChaCha8Rng::seed_from_u64(1));
        let config = A3cConfig {
            ent_coef: 0.0,
            vf_coef: 0.0,
            ..A3cConfig::default()
        };
        let (loss, _) = segment_loss(&net, &head, &segment(&head), &config, &dev);
        let grads = loss.backward();
        let mut critic = Vec::new();
        net.critic
            .visit(&mut |_, p| critic.extend(grads.get(p).as_vec()));
        assert!(critic.iter().all(|g| *g == 0.0));
        let mut actor = Vec::new();
        net.actor
            .visit(&mut |_, p| actor.extend(grads.get(p).as_vec()));
        assert!(actor.iter().any(|g| *g != 0.0));
    }

    #[test]
    fn only_asynchronous_runs_say_they_are_not_reproducible() {
        let why = A3cConfig::default().nondeterminism().unwrap();
        assert!(why.contains("4 actor-learner threads") && why.contains("--deterministic"));
        let round_robin = A3cConfig {
            deterministic: true,
            ..A3cConfig::default()
        };
        assert_eq!(round_robin.nondeterminism(), None);
        let one = A3cConfig {
            threads: 1,
            ..A3cConfig::default()
        };
        assert_eq!(one.nondeterminism(), None);
    }

    #[test]
    fn segments_stop_at_t_max_or_at_the_end_of_an_episode() {
        let config = A3cConfig {
            threads: 1,
            t_max: 5,
            ..A3cConfig::default()
        };
        let mut agent = A3c::new("CartPole-v1", config, 10_000, 4).unwrap();
        let dev = Dev::default();
        let local = agent.net.clone();
        let mut worker = agent.workers.remove(0);
        let mut lengths = Vec::new();
        let mut ended = 0;
        while ended < 3 {
            let (steps, seg) = agent
                .learners
                .act_segment(&mut worker, &local, &dev)
                .unwrap();
            assert_eq!(seg.returns.len(), steps.len());
            assert_eq!(seg.obs.len(), 4 * steps.len());
            let last = steps.last().unwrap();
            if last.terminated || last.truncated {
                ended += 1;
                assert_eq!(worker.episode_step, 0);
                if last.terminated {
                    // No bootstrap after a terminal state: the last return is its reward.
                    assert_eq!(*seg.returns.last().unwrap(), last.reward as f32);
                }
            } else {
                assert_eq!(steps.len(), 5);
            }
            // Consecutive step indices within the episode.
            for w in steps.windows(2) {
                assert_eq!(w[1].index, w[0].index + 1);
            }
            lengths.push(steps.len());
        }
        assert!(lengths.iter().all(|&l| (1..=5).contains(&l)));
        assert!(
            lengths.iter().any(|&l| l < 5),
            "episodes end inside segments"
        );
    }
}
