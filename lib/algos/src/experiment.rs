//! Experiments as configs: a TOML file names an env, an algorithm and its
//! hyper-parameters; [`run_seed`] trains one seed with periodic deterministic evaluation,
//! logs every training and evaluation step to the run's Parquet tables, writes the
//! `metrics` table and checkpoints, and resumes from the latest checkpoint after an
//! interruption.
//!
//! Run layout (`<out>/<name>__seed<k>/`): `run.json`, `config.toml`, `steps/phase=train|eval`,
//! `episodes`, `metrics` (tables), `checkpoints/step-NNNNNNNNNN/` (agent files and
//! `runner.json`), `checkpoints/LATEST`, `summary.json` when finished.
//!
//! Resume semantics: networks, optimizer moments, replay buffer, counters and random
//! streams come back from the checkpoint; shards written after it are deleted (they will
//! be produced again); the episode in flight at the checkpoint is cut there (its steps
//! stay in `steps` without an `episodes` row) and training continues from a fresh reset.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::time::Instant;

use meowlab_control::{spec, ActionSpace, EnvSpec};
use meowlab_rl::checkpoint::{read_json, write_json};
use meowlab_store::control::Phase;
use meowlab_store::{ControlLogger, MetricsLogger, Run, RunStatus, WriterOptions};
use serde::{Deserialize, Serialize};

use crate::a2c::{A2c, A2cConfig};
use crate::ddpg::{Ddpg, DdpgConfig};
use crate::dqn::{Dqn, DqnConfig};
use crate::ppo::{Ppo, PpoConfig};
use crate::{evaluate, Agent, AgentError, Recorder, StepRecord};

/// Errors of loading and running experiments.
#[derive(Debug, thiserror::Error)]
pub enum ExperimentError {
    /// The config file cannot be read or parsed.
    #[error("{path}: {message}")]
    Config {
        /// The file.
        path: String,
        /// What is wrong (with TOML's line and column where it has them).
        message: String,
    },
    /// Training or checkpointing failed.
    #[error(transparent)]
    Agent(#[from] AgentError),
    /// The trajectory store failed.
    #[error(transparent)]
    Store(#[from] meowlab_store::StoreError),
    /// The runner's own checkpoint or summary file is missing or malformed.
    #[error(transparent)]
    Checkpoint(#[from] meowlab_rl::CheckpointError),
    /// A file operation of the runner failed.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> ExperimentError + '_ {
    move |source| ExperimentError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// Periodic evaluation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EvalConfig {
    /// Env steps between evaluations (also the checkpoint interval).
    pub every: u64,
    /// Episodes per evaluation (deterministic policy).
    pub episodes: usize,
    /// Seed of the first evaluation episode (episode i uses seed + i, every time).
    pub seed: u64,
}

impl Default for EvalConfig {
    fn default() -> Self {
        EvalConfig {
            every: 10_000,
            episodes: 10,
            seed: 1_000_000,
        }
    }
}

fn default_seeds() -> Vec<u64> {
    vec![1, 2, 3]
}

fn default_keep() -> usize {
    2
}

/// One experiment: an env, an algorithm (exactly one of the algorithm tables) and the
/// training budget.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExperimentConfig {
    /// Name of the experiment (run ids are `<name>__seed<k>`).
    pub name: String,
    /// What the experiment is for (free text).
    #[serde(default)]
    pub description: String,
    /// Gymnasium env id.
    pub env: String,
    /// Env steps to train for.
    pub total_timesteps: u64,
    /// Seeds to run (`--seeds` overrides).
    #[serde(default = "default_seeds")]
    pub seeds: Vec<u64>,
    /// Evaluation schedule.
    #[serde(default)]
    pub eval: EvalConfig,
    /// Checkpoints kept per run (the newest ones).
    #[serde(default = "default_keep")]
    pub keep_checkpoints: usize,
    /// DQN hyper-parameters.
    pub dqn: Option<DqnConfig>,
    /// DDPG hyper-parameters.
    pub ddpg: Option<DdpgConfig>,
    /// PPO hyper-parameters.
    pub ppo: Option<PpoConfig>,
    /// A2C hyper-parameters.
    pub a2c: Option<A2cConfig>,
}

impl ExperimentConfig {
    /// Reads and validates a TOML config.
    pub fn load(path: &Path) -> Result<Self, ExperimentError> {
        let err = |message: String| ExperimentError::Config {
            path: path.display().to_string(),
            message,
        };
        let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
        let config: ExperimentConfig = toml::from_str(&text).map_err(|e| err(e.to_string()))?;
        config.validate().map_err(err)?;
        Ok(config)
    }

    /// Checks what serde cannot: one algorithm, a known env it supports, sane budgets.
    pub fn validate(&self) -> Result<(), String> {
        let algos = self.algorithms();
        if algos.len() != 1 {
            return Err(format!(
                "exactly one algorithm table ([dqn], [ddpg], [ppo], [a2c]) is required, found {}",
                if algos.is_empty() {
                    "none".to_string()
                } else {
                    algos.join(", ")
                }
            ));
        }
        let env = spec(&self.env).map_err(|e| format!("env: {e}"))?;
        let discrete = matches!(env.action_space, ActionSpace::Discrete(_));
        match (algos[0], discrete) {
            ("dqn", false) => {
                return Err(format!(
                    "dqn needs a discrete env; {} is continuous",
                    self.env
                ))
            }
            ("ddpg", true) => {
                return Err(format!(
                    "ddpg needs a continuous env; {} is discrete",
                    self.env
                ))
            }
            _ => {}
        }
        if self.total_timesteps == 0 || self.eval.every == 0 || self.eval.episodes == 0 {
            return Err("total_timesteps, eval.every and eval.episodes must be positive".into());
        }
        if self.seeds.is_empty() {
            return Err("seeds must not be empty".into());
        }
        Ok(())
    }

    /// Names of the algorithm tables present.
    pub fn algorithms(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        if self.dqn.is_some() {
            out.push("dqn");
        }
        if self.ddpg.is_some() {
            out.push("ddpg");
        }
        if self.ppo.is_some() {
            out.push("ppo");
        }
        if self.a2c.is_some() {
            out.push("a2c");
        }
        out
    }

    /// The env's spec.
    pub fn env_spec(&self) -> Result<EnvSpec, ExperimentError> {
        spec(&self.env).map_err(|e| ExperimentError::Agent(e.into()))
    }

    /// A fresh agent for `seed`.
    pub fn build_agent(&self, seed: u64) -> Result<Box<dyn Agent>, AgentError> {
        if let Some(c) = &self.dqn {
            return Ok(Box::new(Dqn::new(
                &self.env,
                c.clone(),
                self.total_timesteps,
                seed,
            )?));
        }
        if let Some(c) = &self.ddpg {
            return Ok(Box::new(Ddpg::new(&self.env, c.clone(), seed)?));
        }
        if let Some(c) = &self.ppo {
            return Ok(Box::new(Ppo::new(
                &self.env,
                c.clone(),
                self.total_timesteps,
                seed,
            )?));
        }
        if let Some(c) = &self.a2c {
            return Ok(Box::new(A2c::new(&self.env, c.clone(), seed)?));
        }
        unreachable!("validate() guarantees one algorithm")
    }

    /// The run id of one seed.
    pub fn run_id(&self, seed: u64) -> String {
        format!("{}__seed{seed}", self.name)
    }
}

/// Where a run stands, for progress bars.
#[derive(Clone, Debug, PartialEq)]
pub struct Progress {
    /// Env steps so far.
    pub global_step: u64,
    /// The budget.
    pub total_timesteps: u64,
    /// The latest evaluation (mean, std), if any.
    pub last_eval: Option<(f64, f64)>,
    /// Seconds of training so far (including earlier sessions of a resumed run).
    pub wall_time_s: f64,
}

/// The outcome of one seed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SeedSummary {
    /// The run id.
    pub run_id: String,
    /// The seed.
    pub seed: u64,
    /// Env steps trained.
    pub global_step: u64,
    /// Mean return of the final evaluation.
    pub final_eval_mean: f64,
    /// Std of the returns of the final evaluation.
    pub final_eval_std: f64,
    /// Every evaluation as (global step, wall time s, mean return, std of returns).
    pub evals: Vec<(u64, f64, f64, f64)>,
    /// Training wall time (s), evaluation included.
    pub wall_time_s: f64,
    /// Whether this invocation resumed from a checkpoint.
    pub resumed_from: Option<u64>,
}

impl SeedSummary {
    /// The first evaluation reaching `threshold`, as (global step, wall time s).
    pub fn first_reaching(&self, threshold: f64) -> Option<(u64, f64)> {
        self.evals
            .iter()
            .find(|e| e.2 >= threshold)
            .map(|e| (e.0, e.1))
    }
}

/// What a checkpoint remembers besides the agent.
#[derive(Serialize, Deserialize)]
struct RunnerState {
    global_step: u64,
    wall_time_s: f64,
    next_episode_id: u64,
    evals: Vec<(u64, f64, f64, f64)>,
    /// Shards (relative paths) committed when the checkpoint was taken; anything newer is
    /// removed on resume because it will be produced again.
    shards: Vec<String>,
}

/// The recorder that sends steps to the store and scalars to `metrics`.
struct StoreRecorder {
    control: ControlLogger,
    metrics: MetricsLogger,
    seed: u64,
    global_step: u64,
    next_episode_id: u64,
    /// Per env of the agent: (episode id, return so far).
    episodes: HashMap<usize, (u64, f64)>,
    started: Instant,
    wall_offset: f64,
}

impl StoreRecorder {
    fn wall(&self) -> f64 {
        self.wall_offset + self.started.elapsed().as_secs_f64()
    }

    fn new_episode(&mut self) -> u64 {
        let id = self.next_episode_id;
        self.next_episode_id += 1;
        id
    }

    fn store_err(e: meowlab_store::StoreError) -> AgentError {
        AgentError::Record(e.to_string())
    }
}

impl Recorder for StoreRecorder {
    fn step(&mut self, r: &StepRecord<'_>) -> Result<(), AgentError> {
        self.global_step += 1;
        let (id, ret) = match self.episodes.get(&r.env) {
            Some(&e) => e,
            None => (self.new_episode(), 0.0),
        };
        let ret = ret + r.reward;
        self.control
            .step(
                Phase::Train,
                id,
                r.index,
                &meowlab_store::control::Step {
                    observation: r.obs,
                    action: r.action,
                    reward: r.reward,
                    terminated: r.terminated,
                    truncated: r.truncated,
                    log_prob: r.log_prob,
                    value: r.value,
                },
            )
            .map_err(Self::store_err)?;
        if r.terminated || r.truncated {
            let length = r.index + 1;
            self.control
                .episode(Phase::Train, id, self.seed, ret, length, self.global_step)
                .map_err(Self::store_err)?;
            let wall = self.wall();
            self.metrics
                .log(self.global_step, wall, "train/episode_return", ret);
            self.metrics.log(
                self.global_step,
                wall,
                "train/episode_length",
                f64::from(length),
            );
            self.episodes.remove(&r.env);
        } else {
            self.episodes.insert(r.env, (id, ret));
        }
        Ok(())
    }

    fn scalar(&mut self, global_step: u64, name: &str, value: f64) -> Result<(), AgentError> {
        let wall = self.wall();
        self.metrics
            .log(global_step, wall, &format!("train/{name}"), value);
        Ok(())
    }
}

fn committed_shards(run_dir: &Path) -> Result<Vec<String>, ExperimentError> {
    let mut out = Vec::new();
    for table in ["steps", "episodes", "metrics"] {
        for shard in meowlab_store::table::shards(&run_dir.join(table))? {
            let rel = shard.strip_prefix(run_dir).unwrap_or(&shard);
            out.push(rel.to_string_lossy().into_owned());
        }
    }
    Ok(out)
}

fn remove_shards_except(run_dir: &Path, keep: &[String]) -> Result<usize, ExperimentError> {
    let keep: BTreeSet<&str> = keep.iter().map(String::as_str).collect();
    let mut removed = 0;
    for rel in committed_shards(run_dir)? {
        if !keep.contains(rel.as_str()) {
            let path = run_dir.join(&rel);
            std::fs::remove_file(&path).map_err(io_err(&path))?;
            removed += 1;
        }
    }
    Ok(removed)
}

fn latest_checkpoint(run_dir: &Path) -> Option<PathBuf> {
    let name = std::fs::read_to_string(run_dir.join("checkpoints/LATEST")).ok()?;
    let dir = run_dir.join("checkpoints").join(name.trim());
    dir.join("runner.json").exists().then_some(dir)
}

/// A trained agent restored from a run's checkpoint, with what it was trained under.
pub struct TrainedAgent {
    /// The agent, its networks as saved.
    pub agent: Box<dyn Agent>,
    /// The run's experiment config.
    pub config: ExperimentConfig,
    /// Training steps the checkpoint was taken at.
    pub global_step: u64,
    /// The checkpoint folder.
    pub checkpoint: PathBuf,
}

/// Restores the agent of a control run (written by [`run_seed`]) from `checkpoint` (a
/// `checkpoints/step-N` folder of the run), or from its latest checkpoint when `None`.
pub fn load_trained(
    run_dir: &Path,
    checkpoint: Option<&Path>,
) -> Result<TrainedAgent, ExperimentError> {
    let run = Run::open(run_dir)?;
    let config: ExperimentConfig =
        serde_json::from_value(run.meta().config.clone()).map_err(|e| ExperimentError::Config {
            path: run_dir.join("run.json").display().to_string(),
            message: format!("not a control experiment's config: {e}"),
        })?;
    let checkpoint = match checkpoint {
        Some(dir) => dir.to_path_buf(),
        None => latest_checkpoint(run_dir).ok_or_else(|| ExperimentError::Config {
            path: run_dir.join("checkpoints/LATEST").display().to_string(),
            message: "the run has no checkpoint to load".into(),
        })?,
    };
    if !checkpoint.join("runner.json").is_file() {
        return Err(ExperimentError::Config {
            path: checkpoint.display().to_string(),
            message: "not a checkpoint folder (no runner.json)".into(),
        });
    }
    let state: RunnerState = read_json(&checkpoint.join("runner.json"))?;
    let mut agent = config.build_agent(run.meta().seed)?;
    agent.load(&checkpoint)?;
    Ok(TrainedAgent {
        agent,
        config,
        global_step: state.global_step,
        checkpoint,
    })
}

/// Trains, evaluates, logs and checkpoints one seed of `config` under `out`, resuming
/// from the run's latest checkpoint when one exists. A finished run is left alone and its
/// summary returned.
pub fn run_seed(
    config: &ExperimentConfig,
    seed: u64,
    out: &Path,
    progress: &mut dyn FnMut(&Progress),
) -> Result<SeedSummary, ExperimentError> {
    let run_id = config.run_id(seed);
    let run_dir = out.join(&run_id);
    let summary_path = run_dir.join("summary.json");
    let config_json = serde_json::to_value(config).expect("config serialises");
    if let Ok(run) = Run::open(&run_dir) {
        // Resuming (or re-reporting) a run under a changed config would mix two
        // experiments in one folder.
        let without_seeds = |v: &serde_json::Value| {
            let mut v = v.clone();
            if let Some(map) = v.as_object_mut() {
                map.remove("seeds");
            }
            v
        };
        if without_seeds(&run.meta().config) != without_seeds(&config_json) {
            return Err(ExperimentError::Config {
                path: run_dir.join("run.json").display().to_string(),
                message: "this run was started with a different config; choose another --out \
                          or remove the run folder"
                    .into(),
            });
        }
        if run.meta().status == RunStatus::Complete && summary_path.exists() {
            return Ok(read_json(&summary_path)?);
        }
    }
    let spec = config.env_spec()?;
    let mut run = Run::create(out, &run_id, "control", seed, config_json)?;
    let toml_text = toml::to_string(config).expect("config serialises to TOML");
    std::fs::write(run_dir.join("config.toml"), toml_text).map_err(io_err(&run_dir))?;

    let mut agent = config.build_agent(seed)?;
    let mut state = RunnerState {
        global_step: 0,
        wall_time_s: 0.0,
        next_episode_id: 0,
        evals: Vec::new(),
        shards: Vec::new(),
    };
    let mut resumed_from = None;
    if let Some(ckpt) = latest_checkpoint(&run_dir) {
        state = read_json(&ckpt.join("runner.json"))?;
        remove_shards_except(&run_dir, &state.shards)?;
        agent.load(&ckpt)?;
        resumed_from = Some(state.global_step);
    } else {
        // Nothing to resume: start the tables over.
        remove_shards_except(&run_dir, &[])?;
    }

    let act_dim = spec.action_space.dim();
    let options = WriterOptions::default();
    let mut rec = StoreRecorder {
        control: ControlLogger::create(&run, spec.obs_dim, act_dim, options)?,
        metrics: MetricsLogger::create(&run, options)?,
        seed,
        global_step: state.global_step,
        next_episode_id: state.next_episode_id,
        episodes: HashMap::new(),
        started: Instant::now(),
        wall_offset: state.wall_time_s,
    };
    let total = config.total_timesteps;
    let mut next_eval = (state.global_step / config.eval.every + 1) * config.eval.every;
    progress(&Progress {
        global_step: state.global_step,
        total_timesteps: total,
        last_eval: state.evals.last().map(|e| (e.2, e.3)),
        wall_time_s: state.wall_time_s,
    });
    loop {
        let until = next_eval.min(total);
        // Train in slices so the progress bar moves between evaluations.
        while agent.global_step() < until {
            let slice = (agent.global_step() + 2_000).min(until);
            agent.train(slice, &mut rec)?;
            progress(&Progress {
                global_step: agent.global_step(),
                total_timesteps: total,
                last_eval: state.evals.last().map(|e| (e.2, e.3)),
                wall_time_s: rec.wall(),
            });
        }
        let step = agent.global_step();
        // ALGO LOGIC: deterministic evaluation, logged under phase=eval.
        let first_id = rec.next_episode_id;
        rec.next_episode_id += config.eval.episodes as u64;
        let control = &mut rec.control;
        let eval = evaluate(
            agent.as_mut(),
            &config.env,
            config.eval.episodes,
            config.eval.seed,
            |episode, r| {
                let step = meowlab_store::control::Step {
                    observation: r.obs,
                    action: r.action,
                    reward: r.reward,
                    terminated: r.terminated,
                    truncated: r.truncated,
                    log_prob: None,
                    value: None,
                };
                control
                    .step(Phase::Eval, first_id + episode as u64, r.index, &step)
                    .map_err(StoreRecorder::store_err)
            },
        )?;
        for (i, (ret, len)) in eval.returns.iter().zip(&eval.lengths).enumerate() {
            rec.control.episode(
                Phase::Eval,
                first_id + i as u64,
                config.eval.seed + i as u64,
                *ret,
                *len,
                step,
            )?;
        }
        let wall = rec.wall();
        let (mean, std) = (eval.mean(), eval.std());
        rec.metrics.log(step, wall, "eval/return_mean", mean);
        rec.metrics.log(step, wall, "eval/return_std", std);
        let mean_len =
            eval.lengths.iter().map(|&l| f64::from(l)).sum::<f64>() / eval.lengths.len() as f64;
        rec.metrics.log(step, wall, "eval/length_mean", mean_len);
        rec.metrics.log(
            step,
            wall,
            "time/steps_per_second",
            step as f64 / wall.max(1e-9),
        );
        state.evals.push((step, wall, mean, std));
        progress(&Progress {
            global_step: step,
            total_timesteps: total,
            last_eval: Some((mean, std)),
            wall_time_s: wall,
        });

        // Checkpoint: commit the tables, then save the agent next to the shard list.
        rec.control.flush()?;
        rec.metrics.flush()?;
        state.global_step = step;
        state.wall_time_s = wall;
        state.next_episode_id = rec.next_episode_id;
        state.shards = committed_shards(&run_dir)?;
        save_checkpoint(&run_dir, agent.as_ref(), &state, config.keep_checkpoints)?;
        if step >= total {
            break;
        }
        next_eval += config.eval.every;
    }
    let summary = SeedSummary {
        run_id,
        seed,
        global_step: state.global_step,
        final_eval_mean: state.evals.last().map_or(f64::NAN, |e| e.2),
        final_eval_std: state.evals.last().map_or(f64::NAN, |e| e.3),
        evals: state.evals.clone(),
        wall_time_s: state.wall_time_s,
        resumed_from,
    };
    write_json(&summary_path, &summary)?;
    run.finish(true)?;
    Ok(summary)
}

fn save_checkpoint(
    run_dir: &Path,
    agent: &dyn Agent,
    state: &RunnerState,
    keep: usize,
) -> Result<(), ExperimentError> {
    let root = run_dir.join("checkpoints");
    let name = format!("step-{:010}", state.global_step);
    let tmp = root.join(format!(".{name}.tmp"));
    let dir = root.join(&name);
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp).map_err(io_err(&tmp))?;
    }
    std::fs::create_dir_all(&tmp).map_err(io_err(&tmp))?;
    agent.save(&tmp)?;
    write_json(&tmp.join("runner.json"), state)?;
    if dir.exists() {
        std::fs::remove_dir_all(&dir).map_err(io_err(&dir))?;
    }
    std::fs::rename(&tmp, &dir).map_err(io_err(&dir))?;
    let latest = root.join("LATEST");
    let latest_tmp = root.join("LATEST.tmp");
    std::fs::write(&latest_tmp, &name).map_err(io_err(&latest_tmp))?;
    std::fs::rename(&latest_tmp, &latest).map_err(io_err(&latest))?;
    // Prune older checkpoints.
    let mut names: Vec<String> = std::fs::read_dir(&root)
        .map_err(io_err(&root))?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("step-"))
        .collect();
    names.sort();
    let excess = names.len().saturating_sub(keep.max(1));
    for old in &names[..excess] {
        let path = root.join(old);
        std::fs::remove_dir_all(&path).map_err(io_err(&path))?;
    }
    Ok(())
}
