//! SVERL for classic-control agents with a discrete policy (CartPole or Acrobot DQN, PPO,
//! A2C). The players are the observation features; at a logged state s the explained
//! number is one of ([`ControlKind`]):
//!
//! - **value**: the agent's V(s) (max_a Q(s, a) for DQN, the critic for actor-critics);
//! - **policy**: π(a*|s), the probability of the action the agent prefers at s;
//! - **local performance** (SVERL-P): the return from s when the agent acts with π_C at s
//!   and with π afterwards, Σ_a π_C(a|s)·Q^π(s, a), with Q^π(s, a) the mean return of
//!   rollouts in the environment restarted from s;
//! - **global performance** (SVERL-P): the return from s when the agent acts with π_C in
//!   every state, by rollouts (the mean over states sampled from the agent's own
//!   distribution is SVERL's global summary Φ).
//!
//! π_C(·|s) and v(C) fill the features outside C ([`Filling`]) either on-manifold, from
//! the run's logged states weighted by a Gaussian kernel on the features of C (the
//! agent's state distribution conditioned on what C reveals), or interventionally from a
//! background set (KernelSHAP's independent filling, off-manifold). Values are exact over
//! all 2ⁿ coalitions; with rollouts, a standard error from the spread over rollouts.

use std::path::Path;

use meowlab_control::{action_names, make, observation_names, Action, ControlError, Env};
use meowlab_explain::{exact_from_table, Conditioning, KernelConditional, Players, ShapleyError};
use meowlab_store::browse::{self, StepRow};
use meowlab_store::control::Phase;
use meowlab_store::Explanation;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use meowlab_explain::ExplainProgress;

use crate::{Agent, PolicyView};

/// What is explained at each state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ControlKind {
    /// The agent's value estimate V(s).
    Value,
    /// The probability of the agent's preferred action.
    Policy,
    /// The return when acting with π_C at s only (SVERL-P, local).
    LocalPerformance,
    /// The return when acting with π_C everywhere from s (SVERL-P, global).
    GlobalPerformance,
}

impl ControlKind {
    /// The `kind` column of the explanations table.
    pub fn name(self) -> &'static str {
        match self {
            ControlKind::Value => "value",
            ControlKind::Policy => "policy",
            ControlKind::LocalPerformance => "performance_local",
            ControlKind::GlobalPerformance => "performance_global",
        }
    }

    fn needs_rollouts(self) -> bool {
        matches!(
            self,
            ControlKind::LocalPerformance | ControlKind::GlobalPerformance
        )
    }
}

/// How the features a coalition leaves out are filled.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Filling {
    /// From the logged states near s on the coalition's features (Gaussian kernel with
    /// this bandwidth in standard deviations of each feature).
    OnManifold {
        /// Kernel bandwidth h.
        bandwidth: f64,
    },
    /// From background rows, independently of the present features.
    Interventional,
}

impl Filling {
    /// The conditioning recorded with each explanation.
    pub fn conditioning(self) -> Conditioning {
        match self {
            Filling::OnManifold { .. } => Conditioning::OnManifoldKernel,
            Filling::Interventional => Conditioning::Interventional,
        }
    }
}

/// Which states, against which logged states, how.
#[derive(Clone, Debug, PartialEq)]
pub struct ControlExplainConfig {
    /// What is explained.
    pub kind: ControlKind,
    /// How missing features are filled.
    pub filling: Filling,
    /// States to explain (a seeded sample of the logged states).
    pub states: usize,
    /// Logged states to condition on (on-manifold; `None`: all) or background rows
    /// (interventional; `None`: 100). The explained states are among them.
    pub background: Option<usize>,
    /// Rollouts per action (local performance) or per coalition (global performance).
    pub rollouts: usize,
    /// Seed of the samples and of the rollouts.
    pub seed: u64,
    /// Id of the first explanation (to append to a run's table).
    pub first_id: u64,
}

/// Default number of background rows for interventional filling.
pub const DEFAULT_INTERVENTIONAL_BACKGROUND: usize = 100;

/// Why a control explanation failed.
#[derive(Debug, thiserror::Error)]
pub enum ControlExplainError {
    /// The agent has no discrete policy (DDPG, Gaussian or bang-bang PPO).
    #[error(
        "the agent has no discrete policy to explain (explained: DQN, PPO or A2C with a \
         categorical policy, e.g. on CartPole-v1 or Acrobot-v1)"
    )]
    NoPolicy,
    /// Rollouts restart the env from logged observations, which needs obs = state.
    #[error(
        "{env}: performance is explained by restarting the env from logged observations, \
         and this env's observation is not its state (value and policy work)"
    )]
    NotRestartable {
        /// The env id.
        env: String,
    },
    /// The logged states are unusable.
    #[error("logged states: {0}")]
    Logged(String),
    /// The env refused a state or an action.
    #[error(transparent)]
    Env(#[from] ControlError),
    /// The Shapley computation refused its input.
    #[error(transparent)]
    Shapley(#[from] ShapleyError),
}

/// States logged in a control run, flat, with where each came from.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LoggedStates {
    /// Features per state.
    pub dims: usize,
    /// The observations, rows of `dims`.
    pub observations: Vec<f32>,
    /// Episode of each state.
    pub episodes: Vec<u64>,
    /// Step of each state within its episode.
    pub steps: Vec<u32>,
}

impl LoggedStates {
    /// Number of states.
    pub fn len(&self) -> usize {
        self.episodes.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.episodes.is_empty()
    }

    /// One state.
    pub fn row(&self, i: usize) -> &[f32] {
        &self.observations[i * self.dims..(i + 1) * self.dims]
    }

    /// Collects step rows of `dims`-feature observations.
    pub fn from_steps<'a>(
        dims: usize,
        rows: impl IntoIterator<Item = &'a StepRow>,
    ) -> Result<LoggedStates, ControlExplainError> {
        let mut out = LoggedStates {
            dims,
            ..LoggedStates::default()
        };
        for r in rows {
            if r.observation.len() != dims {
                return Err(ControlExplainError::Logged(format!(
                    "episode {} step {}: {} observation values, the env has {dims}",
                    r.episode_id,
                    r.step,
                    r.observation.len()
                )));
            }
            out.observations.extend_from_slice(&r.observation);
            out.episodes.push(r.episode_id);
            out.steps.push(r.step);
        }
        Ok(out)
    }

    /// The states of a run's evaluation episodes played at `global_step` (the agent of
    /// that checkpoint: its own state distribution), or at the last evaluation when
    /// `None`.
    pub fn evaluation(
        run: &Path,
        dims: usize,
        global_step: Option<u64>,
    ) -> Result<LoggedStates, ControlExplainError> {
        let err = |e: meowlab_store::StoreError| ControlExplainError::Logged(e.to_string());
        let episodes = browse::episodes(run).map_err(err)?;
        if let Some(problem) = episodes.problems.first() {
            return Err(ControlExplainError::Logged(problem.to_string()));
        }
        let evals = || episodes.rows.iter().filter(|e| e.phase == "eval");
        let at = match global_step {
            Some(step) => step,
            None => evals().map(|e| e.global_step).max().ok_or_else(|| {
                ControlExplainError::Logged(format!(
                    "{}: no evaluation episodes logged",
                    run.display()
                ))
            })?,
        };
        let ids: std::collections::HashSet<u64> = evals()
            .filter(|e| e.global_step == at)
            .map(|e| e.episode_id)
            .collect();
        if ids.is_empty() {
            return Err(ControlExplainError::Logged(format!(
                "{}: no evaluation episodes at step {at} (evaluations at {:?})",
                run.display(),
                evals()
                    .map(|e| e.global_step)
                    .collect::<std::collections::BTreeSet<_>>()
            )));
        }
        let steps = browse::phase_steps(run, Phase::Eval).map_err(err)?;
        if let Some(problem) = steps.problems.first() {
            return Err(ControlExplainError::Logged(problem.to_string()));
        }
        LoggedStates::from_steps(
            dims,
            steps.rows.iter().filter(|r| ids.contains(&r.episode_id)),
        )
    }
}

/// Explains `agent` (acting in env `env_id`) at a seeded sample of `logged` states:
/// one [`Explanation`] per state, players = the observation features.
pub fn explain_control(
    agent: &mut dyn Agent,
    env_id: &str,
    logged: &LoggedStates,
    config: &ControlExplainConfig,
    on_progress: &mut dyn FnMut(ExplainProgress),
) -> Result<Vec<Explanation>, ControlExplainError> {
    let d = logged.dims;
    if logged.is_empty() || d == 0 {
        return Err(ControlExplainError::Logged("no states to explain".into()));
    }
    let names: Vec<String> = match observation_names(env_id) {
        Some(names) if names.len() == d => names.iter().map(|n| n.to_string()).collect(),
        _ => (0..d).map(|j| format!("obs[{j}]")).collect(),
    };
    let players = Players::singletons(names.clone());

    let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
    let mut reference: Vec<usize> = (0..logged.len()).collect();
    reference.shuffle(&mut rng);
    let conditioned = match config.filling {
        Filling::OnManifold { .. } => config.background.unwrap_or(usize::MAX),
        Filling::Interventional => config
            .background
            .unwrap_or(DEFAULT_INTERVENTIONAL_BACKGROUND),
    };
    reference.truncate(conditioned.max(config.states));
    let explained = config.states.min(reference.len());
    let obs: Vec<f32> = reference
        .iter()
        .flat_map(|&i| logged.row(i).iter().copied())
        .collect();
    let view = view_in_batches(agent, &obs, d, on_progress)?;
    let k = view.actions;
    let action_name = |a: usize| match action_names(env_id) {
        Some(names) if names.len() == k => names[a].to_string(),
        _ => format!("action {a}"),
    };

    let mut env = None;
    if config.kind.needs_rollouts() {
        if config.rollouts == 0 {
            return Err(ControlExplainError::Logged(
                "performance needs at least one rollout".into(),
            ));
        }
        let mut e = make(env_id)?;
        check_restartable(e.as_mut(), logged.row(0))?;
        env = Some(e);
    }
    let kernel = match config.filling {
        Filling::OnManifold { bandwidth } => {
            Some(KernelConditional::new(&players, &obs, d, bandwidth)?)
        }
        Filling::Interventional => None,
    };
    let background = &obs[..conditioned.min(reference.len()) * d];
    let n = players.len();
    let full = (1u64 << n) - 1;
    let method = if config.kind.needs_rollouts() {
        format!("exact; {} rollouts", config.rollouts)
    } else {
        "exact".to_string()
    };

    let mut out = Vec::with_capacity(explained);
    for x in 0..explained {
        let s = &obs[x * d..(x + 1) * d];
        let i = reference[x];
        let (episode, step) = (logged.episodes[i], logged.steps[i]);
        let probs_x = &view.probs[x * k..(x + 1) * k];
        let preferred = (0..k)
            .max_by(|&a, &b| probs_x[a].total_cmp(&probs_x[b]))
            .unwrap_or(0);
        let horizon = |env: &dyn Env| env.spec().max_episode_steps.saturating_sub(step).max(1);
        let stderr;
        let (table, target) = match config.kind {
            ControlKind::GlobalPerformance => {
                let env = env.as_mut().expect("made above");
                let h = horizon(env.as_ref());
                let mut tables = Vec::with_capacity(config.rollouts);
                for r in 0..config.rollouts {
                    let mut v = Vec::with_capacity(1 << n);
                    for c in 0..=full {
                        let mut rng = rollout_rng(config.seed, x, r);
                        let mut policy = |o: &[f32], p: &mut [f64]| {
                            conditional_policy(
                                agent,
                                &view,
                                kernel.as_ref(),
                                background,
                                o,
                                c,
                                full,
                                p,
                            )
                        };
                        v.push(rollout(env.as_mut(), s, h, None, &mut rng, &mut policy)?);
                    }
                    tables.push(v);
                }
                stderr = rollout_stderr(&tables)?;
                let target = format!("return, π_C throughout ({} rollouts)", config.rollouts);
                (mean_table(&tables), target)
            }
            kind => {
                // Q^π(s, a) per rollout (local performance only), the same generator
                // for every action
                let mut q_per_rollout: Vec<Vec<f64>> = Vec::new();
                if kind == ControlKind::LocalPerformance {
                    let env = env.as_mut().expect("made above");
                    let h = horizon(env.as_ref());
                    for r in 0..config.rollouts {
                        let mut q = vec![0.0; k];
                        for (a, qa) in q.iter_mut().enumerate() {
                            let mut rng = rollout_rng(config.seed, x, r);
                            let mut policy = |o: &[f32], p: &mut [f64]| {
                                conditional_policy(agent, &view, None, background, o, full, full, p)
                            };
                            *qa = rollout(env.as_mut(), s, h, Some(a), &mut rng, &mut policy)?;
                        }
                        q_per_rollout.push(q);
                    }
                } else {
                    q_per_rollout.push(Vec::new());
                }
                let mut tables = Vec::with_capacity(q_per_rollout.len());
                for q in &q_per_rollout {
                    // what is explained, from a state's policy and value
                    let g = |probs: &[f32], value: f32| -> f64 {
                        match kind {
                            ControlKind::Value => value as f64,
                            ControlKind::Policy => probs[preferred] as f64,
                            _ => probs.iter().zip(q).map(|(&p, q)| p as f64 * q).sum(),
                        }
                    };
                    let fx = g(probs_x, view.values[x]);
                    tables.push(match &kernel {
                        Some(kernel) => {
                            let outputs: Vec<f64> = view
                                .probs
                                .chunks_exact(k)
                                .zip(&view.values)
                                .map(|(p, &v)| g(p, v))
                                .collect();
                            kernel.table(s, fx, &outputs)?
                        }
                        None => interventional_table(agent, &players, s, background, fx, &g)?,
                    });
                }
                stderr = rollout_stderr(&tables)?;
                let target = match kind {
                    ControlKind::Value if view.action_values.is_some() => {
                        "max_a Q(s, a)".to_string()
                    }
                    ControlKind::Value => "V(s) (critic)".to_string(),
                    ControlKind::Policy => format!("π({} | s)", action_name(preferred)),
                    _ => format!("return, π_C at s then π ({} rollouts)", config.rollouts),
                };
                (mean_table(&tables), target)
            }
        };
        let values = exact_from_table(&table)?;
        out.push(Explanation {
            explanation_id: config.first_id + x as u64,
            kind: config.kind.name().into(),
            target,
            conditioning: config.filling.conditioning().name().into(),
            method: method.clone(),
            game_id: None,
            step: Some(step),
            episode_id: Some(episode),
            players: names.clone(),
            values,
            stderr,
            base: table[0],
            full: table[full as usize],
        });
        on_progress(ExplainProgress::Explained {
            done: x + 1,
            total: explained,
        });
    }
    Ok(out)
}

/// The agent's view of `obs` (rows of `d`), in batches.
fn view_in_batches(
    agent: &mut dyn Agent,
    obs: &[f32],
    d: usize,
    on_progress: &mut dyn FnMut(ExplainProgress),
) -> Result<PolicyView, ControlExplainError> {
    const BATCH: usize = 4096;
    let total = obs.len() / d;
    let mut all: Option<PolicyView> = None;
    for chunk in obs.chunks(BATCH * d) {
        let v = agent
            .policy_view(chunk)
            .ok_or(ControlExplainError::NoPolicy)?;
        match &mut all {
            None => all = Some(v),
            Some(a) => {
                a.probs.extend(v.probs);
                a.values.extend(v.values);
                if let (Some(q), Some(more)) = (&mut a.action_values, v.action_values) {
                    q.extend(more);
                }
            }
        }
        let done = all.as_ref().map_or(0, |a| a.values.len());
        on_progress(ExplainProgress::Model { done, total });
    }
    all.ok_or(ControlExplainError::NoPolicy)
}

/// Rollouts restart the env from a logged observation: only where that observation is
/// the env's whole state (CartPole, MountainCar; not Acrobot's cos/sin, not Pendulum's).
fn check_restartable(env: &mut dyn Env, obs: &[f32]) -> Result<(), ControlExplainError> {
    let state: Vec<f64> = obs.iter().map(|&v| v as f64).collect();
    let mut seen = vec![0.0f32; env.spec().obs_dim];
    let same = env.set_state(&state, &mut seen).is_ok() && seen == obs;
    if same {
        Ok(())
    } else {
        Err(ControlExplainError::NotRestartable {
            env: env.spec().id.to_string(),
        })
    }
}

/// The same generator for every coalition (and action) of rollout `r` at state `x`:
/// common random numbers, so differences between coalitions are not sampling noise.
fn rollout_rng(seed: u64, x: usize, r: usize) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5eed_f5e4);
    rng.set_stream(((x as u64) << 24) | r as u64);
    rng
}

/// Writes π(·|obs) into its second argument.
type PolicyFn<'a> = dyn FnMut(&[f32], &mut [f64]) -> Result<(), ControlExplainError> + 'a;

/// The return of one episode from state `start` (at most `horizon` steps, as many as
/// its episode had left), taking `first` first when given, then actions sampled from
/// `policy`.
fn rollout(
    env: &mut dyn Env,
    start: &[f32],
    horizon: u32,
    first: Option<usize>,
    rng: &mut ChaCha8Rng,
    policy: &mut PolicyFn<'_>,
) -> Result<f64, ControlExplainError> {
    let state: Vec<f64> = start.iter().map(|&v| v as f64).collect();
    let mut obs = vec![0.0f32; start.len()];
    env.set_state(&state, &mut obs)?;
    let k = match env.spec().action_space {
        meowlab_control::ActionSpace::Discrete(k) => k,
        _ => return Err(ControlExplainError::NoPolicy),
    };
    let mut probs = vec![0.0f64; k];
    let mut ret = 0.0;
    for t in 0..horizon {
        let action = match (t, first) {
            (0, Some(a)) => a,
            _ => {
                policy(&obs, &mut probs)?;
                sample(&probs, rng)
            }
        };
        let step = env.step(Action::Discrete(action), &mut obs)?;
        ret += step.reward;
        if step.done() {
            break;
        }
    }
    Ok(ret)
}

fn sample(probs: &[f64], rng: &mut ChaCha8Rng) -> usize {
    let mut u = rng.gen::<f64>() * probs.iter().sum::<f64>();
    for (a, p) in probs.iter().enumerate() {
        if u < *p {
            return a;
        }
        u -= p;
    }
    probs.len() - 1
}

/// π_C(·|o) into `p`: the agent's own policy for the full coalition; otherwise the
/// kernel-weighted mean of the logged states' policies (on-manifold) or the mean policy
/// over the background rows with o's features of C (interventional).
#[allow(clippy::too_many_arguments)]
fn conditional_policy(
    agent: &mut dyn Agent,
    view: &PolicyView,
    kernel: Option<&KernelConditional>,
    background: &[f32],
    o: &[f32],
    coalition: u64,
    full: u64,
    p: &mut [f64],
) -> Result<(), ControlExplainError> {
    if coalition == full {
        let v = agent.policy_view(o).ok_or(ControlExplainError::NoPolicy)?;
        p.iter_mut().zip(&v.probs).for_each(|(p, &q)| *p = q as f64);
        return Ok(());
    }
    if let Some(kernel) = kernel {
        kernel.mean_into(o, coalition, &view.probs, p);
        return Ok(());
    }
    let rows = compose(o, background, coalition);
    let v = agent
        .policy_view(&rows)
        .ok_or(ControlExplainError::NoPolicy)?;
    let count = (v.probs.len() / p.len()) as f64;
    p.fill(0.0);
    for row in v.probs.chunks_exact(p.len()) {
        p.iter_mut()
            .zip(row)
            .for_each(|(p, &q)| *p += q as f64 / count);
    }
    Ok(())
}

/// The background rows with x's features of `coalition` (one feature per player).
fn compose(x: &[f32], background: &[f32], coalition: u64) -> Vec<f32> {
    let d = x.len();
    let mut rows = background.to_vec();
    for row in rows.chunks_exact_mut(d) {
        for (j, r) in row.iter_mut().enumerate() {
            if coalition >> j & 1 == 1 {
                *r = x[j];
            }
        }
    }
    rows
}

/// Interventional v(C) for every coalition, the model run once on all composed rows.
fn interventional_table(
    agent: &mut dyn Agent,
    players: &Players,
    x: &[f32],
    background: &[f32],
    fx: f64,
    g: &dyn Fn(&[f32], f32) -> f64,
) -> Result<Vec<f64>, ControlExplainError> {
    let n = players.len();
    let d = x.len();
    let rows_per = background.len() / d;
    let mut rows = Vec::with_capacity((1 << n) * background.len());
    for c in 0..1u64 << n {
        rows.extend(compose(x, background, c));
    }
    let v = agent
        .policy_view(&rows)
        .ok_or(ControlExplainError::NoPolicy)?;
    let k = v.actions;
    let mut table: Vec<f64> = (0..1usize << n)
        .map(|c| {
            (c * rows_per..(c + 1) * rows_per)
                .map(|r| g(&v.probs[r * k..(r + 1) * k], v.values[r]))
                .sum::<f64>()
                / rows_per as f64
        })
        .collect();
    // the full coalition is x itself in every row: exactly f(x)
    table[(1 << n) - 1] = fx;
    Ok(table)
}

fn mean_table(tables: &[Vec<f64>]) -> Vec<f64> {
    let m = tables.len() as f64;
    (0..tables[0].len())
        .map(|c| tables.iter().map(|t| t[c]).sum::<f64>() / m)
        .collect()
}

/// Standard error of each player's value over rollouts (Shapley values are linear in
/// v, so the values of the mean table are the mean of the per-rollout values).
fn rollout_stderr(tables: &[Vec<f64>]) -> Result<Option<Vec<f64>>, ShapleyError> {
    if tables.len() < 2 {
        return Ok(None);
    }
    let per: Vec<Vec<f64>> = tables
        .iter()
        .map(|t| exact_from_table(t))
        .collect::<Result<_, _>>()?;
    let m = per.len() as f64;
    Ok(Some(
        (0..per[0].len())
            .map(|i| {
                let mean = per.iter().map(|p| p[i]).sum::<f64>() / m;
                let var = per.iter().map(|p| (p[i] - mean).powi(2)).sum::<f64>() / (m - 1.0);
                (var / m).sqrt()
            })
            .collect(),
    ))
}
