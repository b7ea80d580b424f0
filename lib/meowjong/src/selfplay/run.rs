//! Self-play experiments as configs, run like the control ones (`meowlab run`): a TOML
//! file names the algorithm (`[reinforce]`: the paper's REINFORCE; `[ppo]`: the PPO
//! learner, in one thread or as actor threads and a learner), the budget in episodes
//! (hands for REINFORCE, games for PPO) and the SL models to start from; [`run_seed`]
//! trains one seed into `<out>/<name>__seed<k>/`:
//!
//! - `sl-init/` — the five models it starts from (copied from `sl_models`, or made from
//!   heuristic games logged to `teacher/` with the `[teacher]` recipe), usable as a
//!   `model:DIR` seat;
//! - `metrics/` — per update the learner's figures (REINFORCE: loss, samples, mean
//!   |reward|, win rate, episodes/s; PPO: rank, return, losses, entropy, KL to SL,
//!   clip fraction, explained variance, gradient norm, hands/s, actor steps/s, learner
//!   samples/s); at each evaluation (`[eval]`, and always at the end) the learner alone
//!   against two copies of its SL start and of the heuristic bot on duplicate sets of
//!   `eval.length` games: its per-round 1st and 3rd rates, the test's p-value and the
//!   average-rank difference with its 95% interval (`eval/<opponent>/…`);
//! - with `log_games`, the self-play games (`games`, `kyoku`, `decisions` with the
//!   behaviour policy, `events`), replayable in the workbench; pipelined PPO runs write
//!   `samples/` and `policy/` instead ([`crate::selfplay::pipeline`]);
//! - `checkpoints/` — the learner (weights, Adam moments, counters, the opponent pool)
//!   and the list of finished shards every `checkpoint_every` updates (the newest
//!   `keep_checkpoints` kept); an interrupted run resumes from the latest, deleting what
//!   was written after it;
//! - `final/` — the five models after training, a `model:DIR` seat for `meowlab eval`;
//! - `summary.json` when finished.
//!
//! The same seed gives the same weights: episodes are dealt from seeds, sampling streams
//! are per game and seat, and the learners' shuffling streams are checkpointed.

use std::path::{Path, PathBuf};
use std::time::Instant;

use meowlab_nn::{Dev, NnError};
use meowlab_rl::checkpoint::{read_json, write_json};
use meowlab_rl::CheckpointError;
use meowlab_sanma::arena::IllegalMove;
use meowlab_sanma::GameLength;
use meowlab_store::{MetricsLogger, Run, RunStatus, SanmaLogger, StoreError, WriterOptions};
use serde::{Deserialize, Serialize};

use crate::model::{find_models, model_dir, MeowjongNet};
use crate::selfplay::grp::{grp_dir, grp_rules, Grp, GrpData};
use crate::selfplay::pipeline::Pipelined;
use crate::selfplay::ppo::{Ppo, PpoConfig, PpoError, PpoState};
use crate::selfplay::reinforce::{Reinforce, ReinforceConfig, ReinforceError, ReinforceState};
use crate::sl::{LrSchedule, Monitor};

fn default_seeds() -> Vec<u64> {
    vec![1]
}

fn default_checkpoint_every() -> usize {
    50
}

/// How a run makes its own SL models when the config names none: heuristic teacher
/// games, then `train-sl` of the five models — the defaults are `meowlab demo`'s, so a
/// run from a fresh clone starts from the demo's models.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TeacherConfig {
    /// Heuristic games to log (seeds `seed`, `seed + 1`, …).
    pub games: u64,
    /// Seed of the first game and of the training.
    pub seed: u64,
    /// Network size.
    pub preset: String,
    /// Epochs.
    pub epochs: usize,
    /// Training samples per epoch and model (a random subset each epoch; none: all).
    pub samples: Option<usize>,
    /// Validation samples (a fixed subset; none: all).
    pub val_samples: Option<usize>,
    /// Dropout after every layer.
    pub dropout: f32,
    /// Epochs without a better validation figure before stopping.
    pub patience: usize,
    /// The learning rate over the epochs.
    #[serde(skip_serializing_if = "is_default")]
    pub lr_schedule: LrSchedule,
    /// What picks the best epoch.
    #[serde(skip_serializing_if = "is_default")]
    pub monitor: Monitor,
}

fn is_default<T: Default + PartialEq>(value: &T) -> bool {
    *value == T::default()
}

impl Default for TeacherConfig {
    fn default() -> Self {
        TeacherConfig {
            games: 300,
            seed: 0,
            preset: "small".into(),
            epochs: 2,
            samples: Some(40_000),
            val_samples: Some(1_000),
            dropout: 0.1,
            patience: 1,
            lr_schedule: LrSchedule::Constant,
            monitor: Monitor::Loss,
        }
    }
}

/// The periodic duplicate evaluation of a self-play run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SelfPlayEval {
    /// Updates between evaluations (0: only at the end).
    pub every: usize,
    /// Duplicate sets (× 3 one-hand games, the agent alone in each seat) per opponent.
    pub sets: usize,
    /// Seed of the first set (the same sets every time).
    pub seed: u64,
    /// Length of the evaluation games (the paper's one hand, or full games).
    pub length: GameLength,
}

impl Default for SelfPlayEval {
    fn default() -> Self {
        SelfPlayEval {
            every: 0,
            sets: 300,
            seed: 5_000_000,
            length: GameLength::OneHand,
        }
    }
}

/// A self-play experiment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SelfPlayConfig {
    /// Name (run ids are `<name>__seed<k>`).
    pub name: String,
    /// What it is for.
    #[serde(default)]
    pub description: String,
    /// Episodes to train on: hands for `[reinforce]`, games for `[ppo]` (also written
    /// `games`).
    #[serde(alias = "games")]
    pub rounds: usize,
    /// Seeds to run.
    #[serde(default = "default_seeds")]
    pub seeds: Vec<u64>,
    /// The five SL models to start from (`train-sl`'s output folder), relative to the
    /// working directory; without it the run makes its own (`[teacher]`).
    #[serde(default)]
    pub sl_models: Option<PathBuf>,
    /// How the run makes its SL models when `sl_models` is not given.
    #[serde(default)]
    pub teacher: TeacherConfig,
    /// Updates between checkpoints.
    #[serde(default = "default_checkpoint_every")]
    pub checkpoint_every: usize,
    /// Evaluations of the learner against its SL start and the heuristic bot.
    #[serde(default)]
    pub eval: SelfPlayEval,
    /// Log every self-play game (tables `games`, `kyoku`, `decisions` with the behaviour
    /// policy, `events`) so the workbench replays them.
    #[serde(default)]
    pub log_games: bool,
    /// Checkpoints kept (the oldest are deleted; none: all).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keep_checkpoints: Option<usize>,
    /// The paper's REINFORCE (this or `ppo`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reinforce: Option<ReinforceConfig>,
    /// The PPO learner (this or `reinforce`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ppo: Option<PpoConfig>,
}

/// Why a self-play run failed.
#[derive(Debug, thiserror::Error)]
pub enum SelfPlayError {
    /// The config file cannot be read or is invalid.
    #[error("{path}: {message}")]
    Config {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The SL models or a checkpoint could not be read or written.
    #[error(transparent)]
    Model(#[from] NnError),
    /// The run folder could not be written.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A checkpoint or the summary is unreadable.
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
    /// An agent chose an illegal action (a bug).
    #[error(transparent)]
    Illegal(#[from] IllegalMove),
    /// An update failed.
    #[error(transparent)]
    Update(#[from] ReinforceError),
    /// A PPO update failed.
    #[error(transparent)]
    Ppo(#[from] PpoError),
    /// The actors or the learner of a pipelined run failed.
    #[error(transparent)]
    Pipeline(#[from] crate::selfplay::pipeline::PipelineError),
    /// An evaluation failed.
    #[error(transparent)]
    Eval(#[from] meowlab_eval::EvalError),
    /// The teacher games could not be played or logged.
    #[error(transparent)]
    Play(#[from] meowlab_store::PlayError),
    /// The SL models could not be trained.
    #[error(transparent)]
    Sl(#[from] crate::sl_run::SlRunError),
    /// The teacher games' samples could not be read.
    #[error(transparent)]
    Dataset(#[from] crate::dataset::DatasetError),
    /// A file operation failed.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

impl SelfPlayConfig {
    /// Reads and checks a TOML config.
    pub fn load(path: &Path) -> Result<Self, SelfPlayError> {
        let err = |message: String| SelfPlayError::Config {
            path: path.to_path_buf(),
            message,
        };
        let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
        let config: SelfPlayConfig = toml::from_str(&text).map_err(|e| err(e.to_string()))?;
        config.validate().map_err(err)?;
        Ok(config)
    }

    /// Checks what serde cannot.
    pub fn validate(&self) -> Result<(), String> {
        if self.rounds == 0 {
            return Err("rounds must be positive".into());
        }
        match (&self.reinforce, &self.ppo) {
            (Some(r), None) => {
                if r.rounds_per_update == 0 || r.batch_size == 0 {
                    return Err(
                        "reinforce.rounds_per_update and reinforce.batch_size must be positive"
                            .into(),
                    );
                }
                if r.lr.is_nan() || r.lr <= 0.0 || !(0.0..=1.0).contains(&r.gamma) {
                    return Err(
                        "reinforce.lr must be positive and reinforce.gamma in [0, 1]".into(),
                    );
                }
            }
            (None, Some(p)) => {
                p.validate()?;
                if p.exchange.is_some() && !p.external_actors {
                    return Err(
                        "ppo.exchange is for external actors (ppo.external_actors = true)".into(),
                    );
                }
                if p.external_actors && p.actors == 0 {
                    return Err("ppo.external_actors needs ppo.actors ≥ 1 (how many actors play each update)".into());
                }
                if p.actors > 0 && self.log_games {
                    return Err(
                        "log_games needs ppo.actors = 0 (actor threads log samples, not games)"
                            .into(),
                    );
                }
            }
            _ => return Err("name exactly one algorithm: a [reinforce] or a [ppo] table".into()),
        }
        if self.seeds.is_empty() || self.checkpoint_every == 0 {
            return Err("seeds must not be empty and checkpoint_every must be positive".into());
        }
        if self.keep_checkpoints == Some(0) {
            return Err("keep_checkpoints must be positive (leave it out to keep all)".into());
        }
        Ok(())
    }

    /// Whether a TOML text is a self-play config: a `[reinforce]` or `[ppo]` table and no
    /// `env` (a control config names its env, and control PPO has a `[ppo]` table too).
    pub fn is_selfplay(text: &str) -> bool {
        toml::from_str::<toml::Table>(text).is_ok_and(|t| {
            !t.contains_key("env") && (t.contains_key("reinforce") || t.contains_key("ppo"))
        })
    }

    /// The algorithm's name, for messages.
    pub fn algorithm(&self) -> &'static str {
        if self.ppo.is_some() {
            "PPO"
        } else {
            "REINFORCE"
        }
    }

    /// The run id of one seed.
    pub fn run_id(&self, seed: u64) -> String {
        format!("{}__seed{seed}", self.name)
    }
}

/// Where a run stands (for progress bars).
#[derive(Clone, Debug, PartialEq)]
pub struct Progress {
    /// Episodes trained so far.
    pub rounds: usize,
    /// The budget.
    pub total: usize,
    /// The last update's metrics (the names logged to `metrics`).
    pub metrics: Vec<(&'static str, f64)>,
    /// A one-line summary of the last update.
    pub message: String,
}

/// The outcome of one seed (`summary.json`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SelfPlaySummary {
    /// The run id.
    pub run_id: String,
    /// The seed.
    pub seed: u64,
    /// Episodes trained.
    pub rounds: usize,
    /// Updates made.
    pub updates: usize,
    /// Seconds of this invocation.
    pub seconds: f64,
    /// Episodes per second of this invocation.
    pub rounds_per_second: f64,
    /// Episodes the run resumed at (None for a fresh run).
    pub resumed_from: Option<usize>,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> SelfPlayError + '_ {
    move |source| SelfPlayError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Loads the five models of `dir` in [`ModelKind::ALL`] order and copies their folders
/// into `into` (the run's `sl-init/`).
fn load_and_copy(dev: &Dev, dir: &Path, into: &Path) -> Result<Vec<MeowjongNet>, SelfPlayError> {
    let mut models = Vec::new();
    for folder in find_models(dir)? {
        let net = MeowjongNet::open(dev, &folder)?;
        let target = model_dir(into, net.card.kind, &net.card.preset.name);
        std::fs::create_dir_all(&target).map_err(io(&target))?;
        net.save(&target.join("model"))?;
        models.push(net);
    }
    Ok(models)
}

/// Makes the run's SL models as `meowlab demo` does: heuristic games logged to
/// `<run>/teacher`, then the five models trained into `into`.
fn make_sl_models(
    dev: &Dev,
    run_dir: &Path,
    teacher: &TeacherConfig,
    into: &Path,
) -> Result<Vec<MeowjongNet>, SelfPlayError> {
    use crate::agent::build_players;
    use crate::dataset::extract;
    use crate::model::{ModelKind, Preset};
    use crate::sl::SlConfig;
    use crate::sl_run::train_model;
    use meowlab_sanma::bots::AgentSpec;
    use meowlab_sanma::{Arena, Rules, Table};
    use meowlab_store::session::play_games;
    use meowlab_store::{RunKind, SanmaLogger};

    let preset = Preset::by_name(&teacher.preset).map_err(|e| SelfPlayError::Config {
        path: run_dir.join("run.json"),
        message: format!("teacher.preset: {e}"),
    })?;
    let games_dir = run_dir.join("teacher");
    if !Run::open(&games_dir).is_ok_and(|r| r.meta().status == RunStatus::Complete) {
        if games_dir.exists() {
            std::fs::remove_dir_all(&games_dir).map_err(io(&games_dir))?;
        }
        let config = serde_json::to_value(teacher).expect("a teacher config serialises");
        let mut games = Run::create(run_dir, "teacher", RunKind::Play, teacher.seed, config)?;
        let mut log = SanmaLogger::create(&mut games, WriterOptions::default())?;
        let heuristic = [
            AgentSpec::Heuristic,
            AgentSpec::Heuristic,
            AgentSpec::Heuristic,
        ];
        let mut players = build_players(&heuristic, dev).map_err(|e| SelfPlayError::Config {
            path: run_dir.join("run.json"),
            message: e.to_string(),
        })?;
        let tables: Vec<Table> = (0..teacher.games)
            .map(|i| Table {
                seed: teacher.seed.wrapping_add(i),
                players: players.seats,
            })
            .collect();
        play_games(
            &Arena::new(Rules::default(), 64),
            &tables,
            &mut players.batch_agents(),
            false,
            Some((&mut log, None)),
            &mut |_, _| {},
        )?;
        log.close()?;
        games.finish(true)?;
    }
    let mut models = Vec::new();
    for kind in ModelKind::ALL {
        let samples = extract(&games_dir, kind)?;
        let mut preset = preset.clone();
        preset.dropout = teacher.dropout;
        let config = SlConfig {
            max_epochs: teacher.epochs,
            patience: teacher.patience,
            seed: teacher.seed,
            max_train_samples: teacher.samples,
            max_val_samples: teacher.val_samples,
            lr_schedule: teacher.lr_schedule,
            monitor: teacher.monitor,
            ..SlConfig::new(kind, preset.clone())
        };
        let dir = model_dir(into, kind, &preset.name);
        let trained = train_model(dev, &samples, &config, None, &dir, &mut |_| {})?;
        models.push(trained.net);
    }
    Ok(models)
}

/// The tables a run writes while training.
const TABLES: [&str; 5] = ["metrics", "games", "kyoku", "decisions", "events"];

/// The finished shards of the run's tables (relative paths).
fn committed_shards(dir: &Path) -> Result<Vec<String>, SelfPlayError> {
    let mut out = Vec::new();
    for table in TABLES {
        for shard in meowlab_store::table::shards(&dir.join(table))? {
            let rel = shard.strip_prefix(dir).unwrap_or(&shard);
            out.push(rel.to_string_lossy().into_owned());
        }
    }
    Ok(out)
}

/// Removes the shards written after the checkpoint whose list is `committed`.
fn remove_newer_shards(dir: &Path, committed: &[String]) -> Result<(), SelfPlayError> {
    for table in TABLES {
        for shard in meowlab_store::table::shards(&dir.join(table))? {
            let rel = shard
                .strip_prefix(dir)
                .unwrap_or(&shard)
                .to_string_lossy()
                .into_owned();
            if !committed.contains(&rel) {
                std::fs::remove_file(&shard).map_err(io(&shard))?;
            }
        }
    }
    Ok(())
}

/// Writes five models into `dir` (a `model:DIR` seat).
fn save_set(models: &[MeowjongNet], dir: &Path) -> Result<(), SelfPlayError> {
    for net in models {
        let target = model_dir(dir, net.card.kind, &net.card.preset.name);
        std::fs::create_dir_all(&target).map_err(io(&target))?;
        net.save(&target.join("model"))?;
    }
    Ok(())
}

/// An update's metrics, as logged.
type Metrics = Vec<(&'static str, f64)>;

/// The learner of a config: one of the algorithms behind one interface.
enum Learner {
    Reinforce(Box<Reinforce>, Vec<MeowjongNet>),
    Ppo(Box<Ppo>),
    Pipelined(Box<Pipelined>),
}

impl Learner {
    fn new(
        dev: &Dev,
        config: &SelfPlayConfig,
        seed: u64,
        models: Vec<MeowjongNet>,
        run_dir: &Path,
        grp: Option<Grp>,
    ) -> Result<Self, SelfPlayError> {
        let salt = seed.wrapping_mul(1_000_000_007);
        Ok(match (&config.reinforce, &config.ppo) {
            (Some(r), _) => {
                let mut r = r.clone();
                r.seed = r.seed.wrapping_add(salt);
                Learner::Reinforce(Box::new(Reinforce::new(dev, models.clone(), r)), models)
            }
            (None, Some(p)) => {
                let mut p = p.clone();
                p.seed = p.seed.wrapping_add(salt);
                if p.actors > 0 {
                    let pipelined = Pipelined::new(dev, run_dir, models, p, config.rounds)?;
                    Learner::Pipelined(Box::new(pipelined))
                } else {
                    let mut ppo = Ppo::new(dev, models, p);
                    ppo.set_grp(grp);
                    Learner::Ppo(Box::new(ppo))
                }
            }
            (None, None) => unreachable!("validated: one algorithm"),
        })
    }

    /// Episodes so far (hands or games).
    fn episodes(&self) -> usize {
        match self {
            Learner::Reinforce(r, _) => r.rounds(),
            Learner::Ppo(p) => p.games(),
            Learner::Pipelined(p) => p.games(),
        }
    }

    fn updates(&self) -> usize {
        match self {
            Learner::Reinforce(r, _) => r.updates(),
            Learner::Ppo(p) => p.updates(),
            Learner::Pipelined(p) => p.updates() as usize,
        }
    }

    /// The five models as they play now.
    fn models(&self) -> Vec<MeowjongNet> {
        match self {
            Learner::Reinforce(r, sl) => {
                let mut models = sl.clone();
                models[0] = r.discard_model().clone();
                models
            }
            Learner::Ppo(p) => p.models(),
            Learner::Pipelined(p) => p.models(),
        }
    }

    /// One update: its metrics and a one-line summary.
    fn update(
        &mut self,
        log: Option<&mut SanmaLogger>,
    ) -> Result<(Metrics, String), SelfPlayError> {
        Ok(match self {
            Learner::Reinforce(r, _) => {
                let t = Instant::now();
                let before = r.rounds();
                let s = r.update(log)?;
                let per_second = (s.rounds - before) as f64 / t.elapsed().as_secs_f64().max(1e-9);
                let message = format!("loss {:.3} win {:.0}%", s.loss, 100.0 * s.win_rate);
                let metrics = vec![
                    ("train/loss", s.loss),
                    ("train/samples", s.samples as f64),
                    ("train/mean_abs_reward", s.mean_abs_reward),
                    ("train/win_rate", s.win_rate),
                    ("train/rounds_per_second", per_second),
                ];
                (metrics, message)
            }
            Learner::Ppo(_) | Learner::Pipelined(_) => {
                let s = match self {
                    Learner::Ppo(p) => p.update(log)?,
                    Learner::Pipelined(p) => p.update()?,
                    Learner::Reinforce(..) => unreachable!("matched above"),
                };
                let message = format!(
                    "rank {:.2} kl_sl {:.3} V {:.3} {:.0} hands/s",
                    s.avg_rank, s.kl_sl, s.value_loss, s.hands_per_second
                );
                let metrics = vec![
                    ("train/avg_rank", s.avg_rank),
                    ("train/mean_return", s.mean_return),
                    ("train/policy_loss", s.policy_loss),
                    ("train/entropy", s.entropy),
                    ("train/kl_sl", s.kl_sl),
                    ("train/teacher_ce", s.teacher_ce),
                    ("train/approx_kl", s.approx_kl),
                    ("train/clipfrac", s.clipfrac),
                    ("train/value_loss", s.value_loss),
                    ("train/explained_variance", s.explained_variance),
                    ("train/paired_share", s.paired_share),
                    ("train/grad_norm", s.grad_norm),
                    ("train/samples", s.samples as f64),
                    ("train/hands", s.hands as f64),
                    ("train/rounds_per_second", s.hands_per_second),
                    ("train/actor_steps_per_second", s.actor_steps_per_second),
                    (
                        "train/learner_samples_per_second",
                        s.learner_samples_per_second,
                    ),
                ];
                (metrics, message)
            }
        })
    }

    /// Writes a checkpoint into `dir` (weights, optimizers, `state.json`).
    fn save(&self, dir: &Path) -> Result<(), SelfPlayError> {
        match self {
            Learner::Reinforce(r, _) => write_json(&dir.join("state.json"), &r.save(dir)?)?,
            Learner::Ppo(p) => write_json(&dir.join("state.json"), &p.save(dir)?)?,
            Learner::Pipelined(p) => p.save(dir)?,
        }
        Ok(())
    }

    fn restore(&mut self, dev: &Dev, dir: &Path) -> Result<(), SelfPlayError> {
        let state = dir.join("state.json");
        match self {
            Learner::Reinforce(r, _) => {
                let s: ReinforceState = read_json(&state)?;
                r.restore(dev, dir, s)?;
            }
            Learner::Ppo(p) => {
                let s: PpoState = read_json(&state)?;
                p.restore(dir, s)?;
            }
            Learner::Pipelined(p) => p.restore(dir)?,
        }
        Ok(())
    }
}

/// Deletes all but the newest `keep` checkpoint folders (names sort by episode).
fn remove_old_checkpoints(checkpoints: &Path, keep: usize) -> Result<(), SelfPlayError> {
    let mut names: Vec<PathBuf> = std::fs::read_dir(checkpoints)
        .map_err(io(checkpoints))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    names.sort();
    for old in names.iter().rev().skip(keep) {
        std::fs::remove_dir_all(old).map_err(io(old))?;
    }
    Ok(())
}

/// Evaluates the learner (argmax discards) alone against two copies of each opponent —
/// its SL start and the heuristic bot — on one-hand duplicate sets, and logs the
/// per-round table, its test and the average-rank difference with its interval.
fn evaluate_into(
    metrics: &mut MetricsLogger,
    step: u64,
    wall: f64,
    models: &[MeowjongNet],
    learner_models: &[MeowjongNet],
    eval: &SelfPlayEval,
) -> Result<(), SelfPlayError> {
    use crate::agent::{BatchModelAgent, DiscardChoice};
    use meowlab_eval::{evaluate, EvalOptions, Format};
    use meowlab_sanma::bots::AgentSpec;
    let options = EvalOptions {
        format: Format::OneVsTwo,
        sets: eval.sets.max(2),
        seed: eval.seed,
        rules: meowlab_sanma::Rules {
            length: eval.length,
            ..meowlab_sanma::Rules::default()
        },
        ..EvalOptions::default()
    };
    let opponents: [(&str, Box<dyn meowlab_sanma::BatchAgent>); 2] = [
        (
            "sl",
            Box::new(BatchModelAgent::from_models(
                models.to_vec(),
                DiscardChoice::Argmax,
            )),
        ),
        (
            "heuristic",
            AgentSpec::Heuristic
                .build_bot_player()
                .expect("a bot spec builds"),
        ),
    ];
    for (name, mut opponent) in opponents {
        let mut learner =
            BatchModelAgent::from_models(learner_models.to_vec(), DiscardChoice::Argmax);
        let (e, _) = evaluate(
            &options,
            &mut learner,
            opponent.as_mut(),
            ["learner", name],
            None,
            &mut |_| {},
        )?;
        let d = &e.difference.avg_rank;
        let [lo, hi] = d.ci95.unwrap_or([d.mean, d.mean]);
        for (stat, value) in [
            ("first", e.per_round.challenger.first),
            ("third", e.per_round.challenger.third),
            ("opponent_first", e.per_round.opponent.first),
            ("per_round_p", e.per_round.p_value),
            ("avg_rank_diff", d.mean),
            ("avg_rank_diff_lo", lo),
            ("avg_rank_diff_hi", hi),
        ] {
            metrics.log(step, wall, &format!("eval/{name}/{stat}"), value);
        }
    }
    metrics.flush()?;
    Ok(())
}

/// The run's global reward predictor: read from `<run>/grp/`, or made there first —
/// heuristic games of the training length, an MLP fitted to their final ranks, and
/// `report.json` (its validation loss and accuracy beside the "rank now" baseline).
fn prepare_grp(
    dev: &Dev,
    run_dir: &Path,
    config: &PpoConfig,
    total: usize,
    progress: &mut dyn FnMut(&Progress),
) -> Result<Grp, SelfPlayError> {
    let dir = grp_dir(run_dir);
    let complete = dir.join("COMPLETE");
    if !complete.is_file() {
        let g = &config.grp;
        let mut tell = |message: String| {
            progress(&Progress {
                rounds: 0,
                total,
                metrics: Vec::new(),
                message,
            })
        };
        let rules = grp_rules(config.length);
        let data = GrpData::play(&rules, g.games, g.seed, &mut |done| {
            if done % 100 == 0 {
                tell(format!("GRP: {done}/{} heuristic games", g.games));
            }
        })?;
        let (grp, report) = Grp::fit(dev, &data, g, &mut |epoch| {
            tell(format!("GRP: epoch {epoch}/{}", g.epochs));
        });
        std::fs::create_dir_all(&dir).map_err(io(&dir))?;
        grp.save(&dir)?;
        write_json(&dir.join("report.json"), &report)?;
        std::fs::write(&complete, "").map_err(io(&complete))?;
    }
    Ok(Grp::load(dev, &dir, config.grp.hidden)?)
}

/// A config as JSON without its budget (`rounds`), for comparing runs.
fn without_budget(config: &serde_json::Value) -> serde_json::Value {
    let mut config = config.clone();
    if let Some(fields) = config.as_object_mut() {
        fields.remove("rounds");
    }
    config
}

/// Trains `seed` of `config` into `<out>/<name>__seed<seed>/`, resuming an interrupted
/// run of the same config from its latest checkpoint, or continuing a finished one whose
/// budget (`rounds`) was raised.
pub fn run_seed(
    config: &SelfPlayConfig,
    seed: u64,
    out: &Path,
    progress: &mut dyn FnMut(&Progress),
) -> Result<SelfPlaySummary, SelfPlayError> {
    let dev = Dev::default();
    let run_id = config.run_id(seed);
    let dir = out.join(&run_id);
    let summary_path = dir.join("summary.json");
    let config_json = serde_json::to_value(config).expect("a config serialises");
    let latest = dir.join("checkpoints").join("LATEST");
    if let Ok(run) = Run::open(&dir) {
        // the budget may grow: training does not depend on it, so a finished run goes on
        // from its last checkpoint
        // read back through today's config type, so fields added since (with their
        // defaults) do not make an old run look different
        let stored = serde_json::from_value::<SelfPlayConfig>(run.meta().config.clone())
            .map(|c| serde_json::to_value(c).expect("a config serialises"));
        if stored.map(|c| without_budget(&c)).ok() != Some(without_budget(&config_json)) {
            return Err(SelfPlayError::Config {
                path: dir.join("run.json"),
                message: "this run was started with another config; choose another --out or remove the run folder".into(),
            });
        }
        if run.meta().status == RunStatus::Complete && summary_path.exists() {
            let summary: SelfPlaySummary = read_json(&summary_path)?;
            if summary.rounds >= config.rounds {
                return Ok(summary);
            }
        }
    }
    // a new run, or an existing one reopened (status "running" again)
    let mut run = Run::create(out, &run_id, "selfplay", seed, config_json)?;
    let sl_init = dir.join("sl-init");
    let complete = sl_init.join("COMPLETE");
    let models = if complete.is_file() {
        find_models(&sl_init)?
            .iter()
            .map(|f| MeowjongNet::open(&dev, f))
            .collect::<Result<Vec<_>, _>>()?
    } else {
        if sl_init.exists() {
            std::fs::remove_dir_all(&sl_init).map_err(io(&sl_init))?; // interrupted
        }
        let models = match &config.sl_models {
            Some(dir) => load_and_copy(&dev, dir, &sl_init)?,
            None => make_sl_models(&dev, &dir, &config.teacher, &sl_init)?,
        };
        std::fs::write(&complete, "").map_err(io(&complete))?;
        models
    };
    let grp = match &config.ppo {
        Some(p) if p.reward.grp => Some(prepare_grp(&dev, &dir, p, config.rounds, progress)?),
        _ => None,
    };
    let mut learner = Learner::new(&dev, config, seed, models.clone(), &dir, grp)?;
    let mut resumed_from = None;
    if latest.is_file() {
        let name = std::fs::read_to_string(&latest).map_err(io(&latest))?;
        let checkpoint = dir.join("checkpoints").join(name.trim());
        learner.restore(&dev, &checkpoint)?;
        // what was written after the checkpoint will be written again
        let committed: Vec<String> = read_json(&checkpoint.join("shards.json"))?;
        remove_newer_shards(&dir, &committed)?;
        resumed_from = Some(learner.episodes());
    } else {
        remove_newer_shards(&dir, &[])?;
        if let Learner::Pipelined(p) = &learner {
            p.remove_after(0)?;
        }
    }
    let mut metrics = MetricsLogger::open(&dir.join("metrics"), WriterOptions::default())?;
    let mut games = if config.log_games {
        let mut log = SanmaLogger::create(&mut run, WriterOptions::default())?;
        log.encode_observations = false;
        log.games_per_shard = usize::MAX; // shards are cut at checkpoints
        Some(log)
    } else {
        None
    };
    let started = Instant::now();
    let start_rounds = learner.episodes();
    while learner.episodes() < config.rounds {
        let (update_metrics, message) = learner.update(games.as_mut())?;
        let wall = started.elapsed().as_secs_f64();
        let step = learner.episodes() as u64;
        for &(name, value) in &update_metrics {
            metrics.log(step, wall, name, value);
        }
        let update = learner.updates();
        metrics.log(step, wall, "train/updates", update as f64);
        let last = learner.episodes() >= config.rounds;
        if last || (config.eval.every > 0 && update.is_multiple_of(config.eval.every)) {
            let wall = started.elapsed().as_secs_f64();
            evaluate_into(
                &mut metrics,
                step,
                wall,
                &models,
                &learner.models(),
                &config.eval,
            )?;
        }
        if update.is_multiple_of(config.checkpoint_every) || last {
            metrics.flush()?;
            if let Some(log) = games.as_mut() {
                log.flush()?;
            }
            let name = format!("round-{:010}", learner.episodes());
            let checkpoints = dir.join("checkpoints");
            let checkpoint = checkpoints.join(&name);
            std::fs::create_dir_all(&checkpoint).map_err(io(&checkpoint))?;
            learner.save(&checkpoint)?;
            write_json(&checkpoint.join("shards.json"), &committed_shards(&dir)?)?;
            std::fs::write(&latest, &name).map_err(io(&latest))?;
            if let Some(keep) = config.keep_checkpoints {
                remove_old_checkpoints(&checkpoints, keep)?;
            }
        }
        progress(&Progress {
            rounds: learner.episodes(),
            total: config.rounds,
            metrics: update_metrics,
            message,
        });
    }
    metrics.flush()?;
    if let Some(log) = games {
        log.close()?;
    }
    save_set(&learner.models(), &dir.join("final"))?;
    let seconds = started.elapsed().as_secs_f64();
    let summary = SelfPlaySummary {
        run_id,
        seed,
        rounds: learner.episodes(),
        updates: learner.updates(),
        seconds,
        rounds_per_second: (learner.episodes() - start_rounds) as f64 / seconds.max(1e-9),
        resumed_from,
    };
    write_json(&summary_path, &summary)?;
    run.finish(true)?;
    Ok(summary)
}
