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
use crate::a3c::{A3c, A3cConfig};
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

/// The algorithm of an experiment with its hyper-parameters. In TOML it is one table
/// named after the algorithm (`[dqn]`, `[ddpg]`, `[ppo]`, `[a2c]` or `[a3c]`) beside the
/// experiment's keys; a file with none or several is refused when it is parsed.
#[derive(Clone, Debug, PartialEq)]
pub enum Algorithm {
    /// Double/dueling DQN.
    Dqn(DqnConfig),
    /// DDPG with action or parameter noise.
    Ddpg(DdpgConfig),
    /// PPO (categorical, Gaussian or Bernoulli policies).
    Ppo(PpoConfig),
    /// Synchronous advantage actor-critic.
    A2c(A2cConfig),
    /// Asynchronous advantage actor-critic (threads).
    A3c(A3cConfig),
}

impl Algorithm {
    /// The algorithm's name, as its TOML table is named.
    pub fn name(&self) -> &'static str {
        match self {
            Algorithm::Dqn(_) => "dqn",
            Algorithm::Ddpg(_) => "ddpg",
            Algorithm::Ppo(_) => "ppo",
            Algorithm::A2c(_) => "a2c",
            Algorithm::A3c(_) => "a3c",
        }
    }

    /// Why runs of this algorithm are not bit-reproducible, when they are not (A3C's
    /// asynchronous updates); recorded in `run.json`.
    pub fn nondeterminism(&self) -> Option<String> {
        match self {
            Algorithm::A3c(c) => c.nondeterminism(),
            _ => None,
        }
    }
}

/// What [`ExperimentConfig::validate`] (and parsing) refuses.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// Not exactly one algorithm table.
    #[error("exactly one algorithm table ([dqn], [ddpg], [ppo], [a2c], [a3c]) is required, found {}",
        if found.is_empty() { "none".to_string() } else { found.join(", ") })]
    Algorithms {
        /// The tables present.
        found: Vec<&'static str>,
    },
    /// The env id is unknown.
    #[error("env: {0}")]
    Env(#[from] meowlab_control::ControlError),
    /// The algorithm cannot act in the env's action space.
    #[error("{algo} needs a {needs} env; {env} is {is}")]
    ActionSpace {
        /// The algorithm.
        algo: &'static str,
        /// The env id.
        env: String,
        /// The kind of action space the algorithm needs.
        needs: &'static str,
        /// The kind the env has.
        is: &'static str,
    },
    /// A budget that must be positive is zero.
    #[error("{field} must be positive")]
    NotPositive {
        /// The key, as in the TOML file.
        field: &'static str,
    },
    /// No seeds to run.
    #[error("seeds must not be empty")]
    NoSeeds,
}

/// One experiment: an env, an algorithm and the training budget.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "ConfigFile", into = "ConfigFile")]
pub struct ExperimentConfig {
    /// Name of the experiment (run ids are `<name>__seed<k>`).
    pub name: String,
    /// What the experiment is for (free text).
    pub description: String,
    /// Gymnasium env id.
    pub env: String,
    /// Env steps to train for.
    pub total_timesteps: u64,
    /// Seeds to run (`--seeds` overrides).
    pub seeds: Vec<u64>,
    /// Evaluation schedule.
    pub eval: EvalConfig,
    /// Checkpoints kept per run (the newest ones).
    pub keep_checkpoints: usize,
    /// The algorithm and its hyper-parameters.
    pub algorithm: Algorithm,
}

/// The TOML shape of [`ExperimentConfig`]: the algorithm as one of four optional tables
/// (absent ones are `null` in `run.json`, as runs have always recorded them).
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    name: String,
    #[serde(default)]
    description: String,
    env: String,
    total_timesteps: u64,
    #[serde(default = "default_seeds")]
    seeds: Vec<u64>,
    #[serde(default)]
    eval: EvalConfig,
    #[serde(default = "default_keep")]
    keep_checkpoints: usize,
    dqn: Option<DqnConfig>,
    ddpg: Option<DdpgConfig>,
    ppo: Option<PpoConfig>,
    a2c: Option<A2cConfig>,
    a3c: Option<A3cConfig>,
}

impl TryFrom<ConfigFile> for ExperimentConfig {
    type Error = ConfigError;

    fn try_from(file: ConfigFile) -> Result<Self, ConfigError> {
        let mut tables = Vec::new();
        let mut found = Vec::new();
        if let Some(c) = file.dqn {
            tables.push(Algorithm::Dqn(c));
        }
        if let Some(c) = file.ddpg {
            tables.push(Algorithm::Ddpg(c));
        }
        if let Some(c) = file.ppo {
            tables.push(Algorithm::Ppo(c));
        }
        if let Some(c) = file.a2c {
            tables.push(Algorithm::A2c(c));
        }
        if let Some(c) = file.a3c {
            tables.push(Algorithm::A3c(c));
        }
        found.extend(tables.iter().map(Algorithm::name));
        let algorithm = match <[Algorithm; 1]>::try_from(tables) {
            Ok([algorithm]) => algorithm,
            Err(_) => return Err(ConfigError::Algorithms { found }),
        };
        Ok(ExperimentConfig {
            name: file.name,
            description: file.description,
            env: file.env,
            total_timesteps: file.total_timesteps,
            seeds: file.seeds,
            eval: file.eval,
            keep_checkpoints: file.keep_checkpoints,
            algorithm,
        })
    }
}

impl From<ExperimentConfig> for ConfigFile {
    fn from(c: ExperimentConfig) -> Self {
        let mut file = ConfigFile {
            name: c.name,
            description: c.description,
            env: c.env,
            total_timesteps: c.total_timesteps,
            seeds: c.seeds,
            eval: c.eval,
            keep_checkpoints: c.keep_checkpoints,
            dqn: None,
            ddpg: None,
            ppo: None,
            a2c: None,
            a3c: None,
        };
        match c.algorithm {
            Algorithm::Dqn(a) => file.dqn = Some(a),
            Algorithm::Ddpg(a) => file.ddpg = Some(a),
            Algorithm::Ppo(a) => file.ppo = Some(a),
            Algorithm::A2c(a) => file.a2c = Some(a),
            Algorithm::A3c(a) => file.a3c = Some(a),
        }
        file
    }
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
        config.validate().map_err(|e| err(e.to_string()))?;
        Ok(config)
    }

    /// Checks what parsing cannot: a known env the algorithm supports, sane budgets
    /// (call it again after changing fields in code).
    pub fn validate(&self) -> Result<(), ConfigError> {
        let env = spec(&self.env)?;
        let discrete = matches!(env.action_space, ActionSpace::Discrete(_));
        let wrong_space = |needs, is| ConfigError::ActionSpace {
            algo: self.algorithm.name(),
            env: self.env.clone(),
            needs,
            is,
        };
        match (&self.algorithm, discrete) {
            (Algorithm::Dqn(_), false) => return Err(wrong_space("discrete", "continuous")),
            (Algorithm::Ddpg(_), true) => return Err(wrong_space("continuous", "discrete")),
            _ => {}
        }
        let mut budgets = vec![
            ("total_timesteps", self.total_timesteps),
            ("eval.every", self.eval.every),
            ("eval.episodes", self.eval.episodes as u64),
        ];
        if let Algorithm::A3c(c) = &self.algorithm {
            budgets.push(("a3c.threads", c.threads as u64));
            budgets.push(("a3c.t_max", c.t_max as u64));
        }
        for (field, value) in budgets {
            if value == 0 {
                return Err(ConfigError::NotPositive { field });
            }
        }
        if self.seeds.is_empty() {
            return Err(ConfigError::NoSeeds);
        }
        Ok(())
    }

    /// The env's spec.
    pub fn env_spec(&self) -> Result<EnvSpec, ExperimentError> {
        spec(&self.env).map_err(|e| ExperimentError::Agent(e.into()))
    }

    /// A fresh agent for `seed`.
    pub fn build_agent(&self, seed: u64) -> Result<Box<dyn Agent>, AgentError> {
        let (env, total, c) = (&self.env, self.total_timesteps, &self.algorithm);
        Ok(match c {
            Algorithm::Dqn(c) => Box::new(Dqn::new(env, c.clone(), total, seed)?),
            Algorithm::Ddpg(c) => Box::new(Ddpg::new(env, c.clone(), seed)?),
            Algorithm::Ppo(c) => Box::new(Ppo::new(env, c.clone(), total, seed)?),
            Algorithm::A2c(c) => Box::new(A2c::new(env, c.clone(), seed)?),
            Algorithm::A3c(c) => Box::new(A3c::new(env, c.clone(), total, seed)?),
        })
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
                    thread: r.thread,
                },
            )
            .map_err(AgentError::Record)?;
        if r.terminated || r.truncated {
            let length = r.index + 1;
            self.control
                .episode(
                    Phase::Train,
                    id,
                    self.seed,
                    ret,
                    length,
                    self.global_step,
                    r.thread,
                )
                .map_err(AgentError::Record)?;
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
    if let Some(why) = config.algorithm.nondeterminism() {
        run.record_nondeterminism(&why)?;
    }
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
                    thread: None,
                };
                control
                    .step(Phase::Eval, first_id + episode as u64, r.index, &step)
                    .map_err(AgentError::Record)
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
                None,
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
        rec.metrics
            .log(step, wall, "train/updates", agent.updates() as f64);
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
