//! PPO with actors and learner apart: N actor threads play the games, the learner thread
//! learns, and the only things they share are the run's files.
//!
//! - An actor plays its share of update `u`'s games (game index ≡ actor mod N) with
//!   policy version `u − 1 − lag` and writes them as `samples/update=<u>/actor=<a>/`
//!   ([`meowlab_store::selfplay`]) beside `_play.json` (hands, seats, seconds, for the
//!   metrics; the underscore keeps dataset readers such as pyarrow from reading it).
//! - The learner waits for every actor's partition of `u`, learns from the rows in actor
//!   order, and publishes policy `u` as `policy/v<u>/` (the five models and the critic,
//!   written to a temporary folder and renamed, so a reader never sees half of one).
//! - An actor that needs a version waits for its folder; on its way it loads every
//!   multiple of `pool.snapshot_every`, so its opponent pool is a function of the version
//!   alone.
//!
//! Processes on other machines can take either side over a shared filesystem: nothing
//! else passes between them. With a fixed number of actors and lag a run is
//! deterministic (same seed ⇒ same shards and weights), and with one actor and lag 0 it
//! equals the in-process [`Ppo`](crate::selfplay::ppo::Ppo) exactly.
//!
//! A checkpoint at update `c` holds the learner and the policies actors restarting at
//! `c + 1` load (version 0, the SL start every actor's frozen models and SL opponent
//! come from; versions `c − lag ..= c`; the pool's snapshots); it deletes the
//! samples partitions up to `c` (unless `keep_samples`) and the older policies. Resuming
//! deletes what was written after `c`, puts the checkpoint's policies back and restarts
//! the actors at `c + 1`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use meowlab_nn::nn::{Dev, NnError};
use meowlab_rl::checkpoint::{read_json, write_json};
use meowlab_sanma::planes::Planes;
use meowlab_sanma::{Game, Rules, Table};
use meowlab_store::exchange::Exchange;
use meowlab_store::selfplay::{read_rows, samples_partition, write_rows, SampleRow};
use meowlab_store::{StoreError, WriterOptions};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::model::{MeowjongNet, ModelKind};
use crate::selfplay::critic::CriticNet;
use crate::selfplay::grp::{grp_dir, Grp};
use crate::selfplay::ppo::{
    load_models, save_models, LearnerState, PlayStats, PpoActor, PpoConfig, PpoLearner, PpoStats,
};

/// Why the pipeline stopped.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// A model or policy could not be read or written.
    #[error(transparent)]
    Model(#[from] NnError),
    /// A samples partition could not be read or written.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A state file is unreadable.
    #[error(transparent)]
    Checkpoint(#[from] meowlab_rl::CheckpointError),
    /// A file operation failed.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A samples partition holds a row the learner cannot use (written by another
    /// program, or damaged).
    #[error("{path}: row {row}: {reason}")]
    BadSample {
        /// The partition.
        path: PathBuf,
        /// The row's index in it.
        row: usize,
        /// What is wrong.
        reason: String,
    },
    /// An actor thread failed.
    #[error("actor {actor}: {message}")]
    Actor {
        /// The actor.
        actor: usize,
        /// What went wrong.
        message: String,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> PipelineError + '_ {
    move |source| PipelineError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The folder of published policy `version`.
pub fn policy_dir(run_dir: &Path, version: u64) -> PathBuf {
    run_dir.join("policy").join(format!("v{version:08}"))
}

/// The run's exchange ([`PpoConfig::exchange`]), opened.
fn open_exchange(config: &PpoConfig) -> Result<Option<Exchange>, PipelineError> {
    Ok(config.exchange.as_deref().map(Exchange::open).transpose()?)
}

/// Where `path` (inside the run folder `run_dir`) lives in the exchange: under the run's
/// id, so runs can share one URL.
fn exchange_key(run_dir: &Path, path: &Path) -> String {
    let run = run_dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let rel = path.strip_prefix(run_dir).unwrap_or(path);
    format!("{run}/{}", rel.to_string_lossy().replace('\\', "/"))
}

/// The partition of actor `actor` of `update`.
fn actor_partition(run_dir: &Path, update: u64, actor: usize) -> PathBuf {
    samples_partition(run_dir, update).join(format!("actor={actor}"))
}

/// Publishes `models` and `critic` as `version` (atomically: a temporary folder renamed).
/// Commits them to the exchange too, when there is one.
fn publish(
    run_dir: &Path,
    version: u64,
    models: &[MeowjongNet],
    critic: &CriticNet,
    exchange: Option<&Exchange>,
) -> Result<(), PipelineError> {
    let target = policy_dir(run_dir, version);
    if !target.is_dir() {
        let tmp = run_dir.join("policy").join(format!(".tmp-v{version:08}"));
        if tmp.exists() {
            std::fs::remove_dir_all(&tmp).map_err(io(&tmp))?;
        }
        save_models(models, &tmp)?;
        critic.save(&tmp)?;
        std::fs::rename(&tmp, &target).map_err(io(&target))?;
    }
    if let Some(ex) = exchange {
        commit(ex, run_dir, &target)?;
    }
    Ok(())
}

/// Commits folder `path` of the run to the exchange unless it is there.
fn commit(ex: &Exchange, run_dir: &Path, path: &Path) -> Result<(), PipelineError> {
    let key = exchange_key(run_dir, path);
    if !ex.committed(&key)? {
        ex.put_dir(path, &key)?;
    }
    Ok(())
}

/// Reads published policy `version`.
fn load_policy(
    dev: &Dev,
    run_dir: &Path,
    version: u64,
    config: &PpoConfig,
) -> Result<(Vec<MeowjongNet>, CriticNet), PipelineError> {
    let dir = policy_dir(run_dir, version);
    let models = load_models(dev, &dir)?;
    let mut critic = CriticNet::new(dev, &config.critic, &mut ChaCha8Rng::seed_from_u64(0));
    critic.load(&dir)?;
    Ok((models, critic))
}

/// Shared between the learner and its actors: stop, and the first failure.
#[derive(Default)]
struct Signals {
    stop: AtomicBool,
    failure: Mutex<Option<(usize, String)>>,
}

/// Waits until `ready()` or a stop; false when stopped.
fn wait_for(signals: &Signals, ready: impl Fn() -> bool) -> bool {
    let mut pause = Duration::from_millis(1);
    loop {
        if ready() {
            return true;
        }
        if signals.stop.load(Ordering::SeqCst) {
            return false;
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(50));
    }
}

/// The version that plays `update` with `lag`.
fn acting_version(update: u64, lag: u64) -> u64 {
    (update - 1).saturating_sub(lag)
}

/// One actor's side of a pipelined run: it plays its share of updates (game index ≡
/// actor mod N) with the policy each update needs, and writes each share as partition
/// `samples/update=<u>/actor=<a>/`. Its state depends only on the versions it has
/// loaded, so an actor made at any update (a replacement for one that died) writes
/// exactly what the first would have. An actor thread of [`Pipelined`] runs one; with
/// [`PpoConfig::external_actors`] other processes do (Ray actors).
pub struct ShardActor {
    run_dir: PathBuf,
    config: PpoConfig,
    index: usize,
    dev: Dev,
    actor: Option<PpoActor>,
    /// Where policies come from and partitions go when the run folder is not shared
    /// ([`PpoConfig::exchange`]); `run_dir` is then this actor's own copy.
    exchange: Option<Exchange>,
}

/// What [`ShardActor::play`] did.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Shard {
    /// The update.
    pub update: u64,
    /// The actor index (its share of the update's games).
    pub actor: usize,
    /// Sample rows in the partition.
    pub rows: usize,
    /// Games played.
    pub games: usize,
    /// False when an actor of this index that died before it could report it had
    /// written it already: not played or written again.
    pub written: bool,
}

impl ShardActor {
    /// Actor `index` of the run in `run_dir` (the policies it needs are loaded when it
    /// first plays).
    pub fn new(run_dir: &Path, config: PpoConfig, index: usize) -> Result<Self, PipelineError> {
        let actors = config.actors.max(1);
        if index >= actors {
            return Err(PipelineError::Actor {
                actor: index,
                message: format!("the run has actors 0..{actors}"),
            });
        }
        let exchange = open_exchange(&config)?;
        Ok(ShardActor {
            run_dir: run_dir.to_path_buf(),
            config,
            index,
            dev: Dev::default(),
            actor: None,
            exchange,
        })
    }

    /// Makes policy `version` available in the run folder (fetched from the exchange when
    /// there is one), pausing until it is published; false when `pause` gives up.
    fn fetch_policy(&self, version: u64, pause: &dyn Fn() -> bool) -> Result<bool, PipelineError> {
        let path = policy_dir(&self.run_dir, version);
        loop {
            if path.is_dir() {
                return Ok(true);
            }
            if let Some(ex) = &self.exchange {
                if ex.get_dir(&exchange_key(&self.run_dir, &path), &path)? {
                    return Ok(true);
                }
            }
            if !pause() {
                return Ok(false);
            }
        }
    }

    /// The actor at the version `update` is played with: the SL start, the pool's
    /// snapshots before it, the policy itself.
    fn start(
        &self,
        update: u64,
        pause: &dyn Fn() -> bool,
    ) -> Result<Option<PpoActor>, PipelineError> {
        let (config, dir, dev) = (&self.config, &self.run_dir, &self.dev);
        let every = config.pool.snapshot_every as u64;
        let start = acting_version(update, config.actor_lag);
        let multiples: Vec<u64> = (1..=start / every).map(|k| k * every).collect();
        let keep = multiples.len().saturating_sub(config.pool.max_snapshots);
        for &v in [start, 0].iter().chain(&multiples[keep..]) {
            if !self.fetch_policy(v, pause)? {
                return Ok(None);
            }
        }
        if let (Some(ex), true) = (&self.exchange, config.reward.grp) {
            let grp = grp_dir(dir);
            if !ex.get_dir(&exchange_key(dir, &grp), &grp)? {
                return Err(PipelineError::Actor {
                    actor: self.index,
                    message: format!(
                        "{}: the run's reward predictor is not in the exchange",
                        ex.url()
                    ),
                });
            }
        }
        // version 0 is the SL start (the frozen models and the SL opponent): models cross
        // between threads and processes only as files
        let sl = load_policy(dev, dir, 0, config)?.0;
        let (models, critic) = load_policy(dev, dir, start, config)?;
        let mut actor = PpoActor::new(sl, Some(critic.clone()), config.clone());
        if config.reward.grp {
            // the run's predictor, made before the run started (`run::prepare_grp`)
            let grp = Grp::load(dev, &grp_dir(dir), config.grp.hidden)?;
            actor.set_grp(Some(grp));
        }
        let mut snapshots = Vec::new();
        for &v in &multiples[keep..] {
            snapshots.push((v, load_policy(dev, dir, v, config)?.0));
        }
        actor.set_snapshots(snapshots);
        actor.replace_policy(start, &models, Some(&critic));
        for &v in [start, 0].iter().chain(&multiples[keep..]) {
            self.drop_copy(&policy_dir(dir, v))?;
        }
        Ok(Some(actor))
    }

    /// Plays this actor's share of `update` and writes it (atomically: a hidden folder
    /// renamed into place; committed to the exchange when there is one), unless an actor
    /// of this index that died had done so. While a policy it needs is not published it
    /// calls `pause()`, which waits a little and says false to give up (then `None`).
    /// Updates must come in increasing order.
    pub fn play(
        &mut self,
        update: u64,
        pause: &dyn Fn() -> bool,
    ) -> Result<Option<Shard>, PipelineError> {
        if update == 0 {
            return Err(PipelineError::Actor {
                actor: self.index,
                message: "updates count from 1".into(),
            });
        }
        if let Some(done) = self.done_before(update)? {
            return Ok(Some(done));
        }
        if self.actor.is_none() {
            self.actor = self.start(update, pause)?;
        }
        let Some(mut actor) = self.actor.take() else {
            return Ok(None);
        };
        let every = self.config.pool.snapshot_every as u64;
        let need = acting_version(update, self.config.actor_lag);
        for v in actor.version() + 1..=need {
            if !v.is_multiple_of(every) && v != need {
                continue;
            }
            if !self.fetch_policy(v, pause)? {
                self.actor = Some(actor);
                return Ok(None);
            }
            let (models, critic) = load_policy(&self.dev, &self.run_dir, v, &self.config)?;
            actor.set_policy(v, &models, Some(&critic));
            self.drop_copy(&policy_dir(&self.run_dir, v))?;
        }
        let shard = self.write_share(&mut actor, update);
        self.actor = Some(actor);
        shard.map(Some)
    }

    /// With an exchange, the actor's copy of a folder it has loaded or committed is not
    /// needed again (a replacement fetches what it needs): deleted, so a long run does not
    /// fill the actor's disk.
    fn drop_copy(&self, path: &Path) -> Result<(), PipelineError> {
        if self.exchange.is_some() && path.exists() {
            std::fs::remove_dir_all(path).map_err(io(path))?;
        }
        Ok(())
    }

    /// Plays this actor's share of `update` with `actor` and writes its partition.
    fn write_share(&self, actor: &mut PpoActor, update: u64) -> Result<Shard, PipelineError> {
        let (config, dir) = (&self.config, &self.run_dir);
        let partition = actor_partition(dir, update, self.index);
        let parent = samples_partition(dir, update);
        std::fs::create_dir_all(&parent).map_err(io(&parent))?;
        // what an actor of this index that died while writing left behind
        let stale = format!(".tmp-actor-{}-", self.index);
        for entry in std::fs::read_dir(&parent).map_err(io(&parent))? {
            let path = entry.map_err(io(&parent))?.path();
            if path
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with(&stale))
            {
                std::fs::remove_dir_all(&path).map_err(io(&path))?;
            }
        }
        let share = (self.index, config.actors.max(1));
        let new_game = |t: &Table, rules: &Rules| Game::new(rules.clone(), t.seed);
        let (rows, play) = actor
            .play_share(update, share, &new_game, None)
            .map_err(|e| PipelineError::Actor {
                actor: self.index,
                message: e.to_string(),
            })?;
        let tmp = parent.join(format!("{stale}{}", std::process::id()));
        std::fs::create_dir_all(&tmp).map_err(io(&tmp))?;
        write_json(&tmp.join("_play.json"), &play)?;
        write_rows(&tmp, &rows, WriterOptions::default())?;
        std::fs::rename(&tmp, &partition).map_err(io(&partition))?;
        if let Some(ex) = &self.exchange {
            ex.put_dir(&partition, &exchange_key(dir, &partition))?;
            self.drop_copy(&partition)?;
        }
        Ok(Shard {
            update,
            actor: self.index,
            rows: rows.len(),
            games: play.games,
            written: true,
        })
    }

    /// This actor's share of `update` when an earlier actor of its index wrote it (and
    /// died before it could say so): learned from already (the learner records it before
    /// publishing policy `update`), or waiting in its partition.
    fn done_before(&self, update: u64) -> Result<Option<Shard>, PipelineError> {
        let dir = &self.run_dir;
        let shard = |rows, games| Shard {
            update,
            actor: self.index,
            rows,
            games,
            written: false,
        };
        let ledger = dir.join("consumed.jsonl");
        let learned = match &self.exchange {
            // the learner's record, fetched
            Some(ex) => {
                let published = ex.committed(&exchange_key(dir, &policy_dir(dir, update)))?;
                published && ex.get_file(&exchange_key(dir, &ledger), &ledger)?
            }
            None => policy_dir(dir, update).is_dir(),
        };
        if learned {
            let record = consumed(dir)?;
            if let Some(c) = record
                .iter()
                .find(|c| c.update == update && c.actor == self.index)
            {
                return Ok(Some(shard(c.rows, c.games)));
            }
        }
        let partition = actor_partition(dir, update, self.index);
        if let Some(ex) = &self.exchange {
            ex.get_dir(&exchange_key(dir, &partition), &partition)?;
        }
        if partition.is_dir() {
            let play: PlayStats = read_json(&partition.join("_play.json"))?;
            let rows = meowlab_store::TableReader::open(&partition, None)?.num_rows()?;
            self.drop_copy(&partition)?;
            return Ok(Some(shard(rows as usize, play.games)));
        }
        Ok(None)
    }
}

/// What the learner of a run with external actors announces in `pipeline.json` once its
/// first policy is published: the updates the actors are to play.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PipelinePlan {
    /// The first update still to play (1, or the one after the checkpoint resumed).
    pub first_update: u64,
    /// The last update of the run.
    pub last_update: u64,
    /// Actors (each plays the games ≡ its index mod this).
    pub actors: usize,
    /// The config every actor must be made with (its seed is the run's, salted by the
    /// run seed as the learner's is).
    pub config: PpoConfig,
}

/// One line of `consumed.jsonl`, the learner's record of the partitions it learned from:
/// each (update, actor) once, however often an actor was replaced.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Consumed {
    /// The update.
    pub update: u64,
    /// The actor.
    pub actor: usize,
    /// Rows learned from.
    pub rows: usize,
    /// Games in them.
    pub games: usize,
}

/// The learner's record of consumed partitions (`consumed.jsonl`), in order.
pub fn consumed(run_dir: &Path) -> Result<Vec<Consumed>, PipelineError> {
    let path = run_dir.join("consumed.jsonl");
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io(&path)(e)),
    };
    text.lines()
        .enumerate()
        .map(|(i, line)| {
            serde_json::from_str(line).map_err(|e| PipelineError::BadSample {
                path: path.clone(),
                row: i,
                reason: e.to_string(),
            })
        })
        .collect()
}

/// Rewrites `consumed.jsonl` with only the entries of updates `..= c` (a resume).
fn truncate_consumed(run_dir: &Path, c: u64) -> Result<(), PipelineError> {
    let path = run_dir.join("consumed.jsonl");
    if !path.exists() {
        return Ok(());
    }
    let kept: String = consumed(run_dir)?
        .into_iter()
        .filter(|e| e.update <= c)
        .map(|e| serde_json::to_string(&e).expect("serialises") + "\n")
        .collect();
    let tmp = run_dir.join(".consumed.jsonl.tmp");
    std::fs::write(&tmp, kept).map_err(io(&tmp))?;
    std::fs::rename(&tmp, &path).map_err(io(&path))
}

/// One actor thread: plays its share of updates `first..=last`.
struct ActorJob {
    run_dir: PathBuf,
    config: PpoConfig,
    index: usize,
    first: u64,
    last: u64,
    signals: Arc<Signals>,
}

impl ActorJob {
    fn run(self) -> Result<(), PipelineError> {
        let mut actor = ShardActor::new(&self.run_dir, self.config, self.index)?;
        let pause = || {
            std::thread::sleep(Duration::from_millis(5));
            !self.signals.stop.load(Ordering::SeqCst)
        };
        for update in self.first..=self.last {
            if actor.play(update, &pause)?.is_none() {
                return Ok(());
            }
        }
        Ok(())
    }
}

/// The learner's side of a pipelined run (what `meowlab run` drives for `ppo.actors ≥ 1`).
pub struct Pipelined {
    run_dir: PathBuf,
    config: PpoConfig,
    learner: PpoLearner,
    last_update: u64,
    games: usize,
    hands: usize,
    actors: Vec<JoinHandle<Result<(), PipelineError>>>,
    /// The actors are other processes ([`PpoConfig::external_actors`]), started.
    external: bool,
    /// Where those actors get policies and leave partitions ([`PpoConfig::exchange`]).
    exchange: Option<Exchange>,
    signals: Arc<Signals>,
}

/// The counters of a pipelined run's checkpoint.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PipelineState {
    /// Games learned from.
    pub games: usize,
    /// Hands learned from.
    pub hands: usize,
    /// The learner's counters and stream.
    pub learner: LearnerState,
}

impl Pipelined {
    /// A learner for `games` games (rounded up to whole updates) from the SL models, in
    /// run folder `run_dir` (fails only when the exchange cannot be opened).
    pub fn new(
        dev: &Dev,
        run_dir: &Path,
        sl: Vec<MeowjongNet>,
        config: PpoConfig,
        games: usize,
    ) -> Result<Self, PipelineError> {
        let learner = PpoLearner::new(dev, &sl, config.clone());
        let per = config.games_per_update.max(1);
        let exchange = open_exchange(&config)?;
        Ok(Pipelined {
            run_dir: run_dir.to_path_buf(),
            last_update: games.div_ceil(per) as u64,
            learner,
            config,
            games: 0,
            hands: 0,
            actors: Vec::new(),
            external: false,
            exchange,
            signals: Arc::new(Signals::default()),
        })
    }

    /// Deletes folder `path` of the run, here and in the exchange.
    fn remove(&self, path: &Path) -> Result<(), PipelineError> {
        if path.exists() {
            std::fs::remove_dir_all(path).map_err(io(path))?;
        }
        if let Some(ex) = &self.exchange {
            ex.delete_dir(&exchange_key(&self.run_dir, path))?;
        }
        Ok(())
    }

    /// Puts the learner's record in the exchange (what replacement actors read).
    fn share_ledger(&self) -> Result<(), PipelineError> {
        let path = self.run_dir.join("consumed.jsonl");
        if let (Some(ex), true) = (&self.exchange, path.exists()) {
            ex.put_file(&path, &exchange_key(&self.run_dir, &path))?;
        }
        Ok(())
    }

    /// Games learned from so far.
    pub fn games(&self) -> usize {
        self.games
    }

    /// Updates made so far.
    pub fn updates(&self) -> u64 {
        self.learner.updates()
    }

    /// The five models of the latest policy.
    pub fn models(&self) -> Vec<MeowjongNet> {
        self.learner.models()
    }

    fn start_actors(&mut self) -> Result<(), PipelineError> {
        let version = self.learner.updates();
        publish(
            &self.run_dir,
            version,
            &self.learner.models(),
            self.learner.critic(),
            self.exchange.as_ref(),
        )?;
        if self.config.external_actors {
            if let Some(ex) = &self.exchange {
                // what actors on other machines load: every kept policy (the SL start,
                // the pool's snapshots) and the reward predictor
                for v in versions(&self.run_dir.join("policy"))? {
                    commit(ex, &self.run_dir, &policy_dir(&self.run_dir, v))?;
                }
                let grp = grp_dir(&self.run_dir);
                if grp.is_dir() {
                    commit(ex, &self.run_dir, &grp)?;
                }
            }
            let plan = PipelinePlan {
                first_update: version + 1,
                last_update: self.last_update,
                actors: self.config.actors.max(1),
                config: self.config.clone(),
            };
            self.external = true;
            let path = self.run_dir.join("pipeline.json");
            write_json(&path, &plan)?;
            if let Some(ex) = &self.exchange {
                ex.put_file(&path, &exchange_key(&self.run_dir, &path))?;
            }
            return Ok(());
        }
        for index in 0..self.config.actors.max(1) {
            let job = ActorJob {
                run_dir: self.run_dir.clone(),
                config: self.config.clone(),
                index,
                first: version + 1,
                last: self.last_update,
                signals: self.signals.clone(),
            };
            let signals = self.signals.clone();
            self.actors.push(std::thread::spawn(move || {
                let result = job.run();
                if let Err(e) = &result {
                    let mut failure = signals.failure.lock().expect("not poisoned");
                    failure.get_or_insert((index, e.to_string()));
                    signals.stop.store(true, Ordering::SeqCst);
                }
                result
            }));
        }
        Ok(())
    }

    /// Waits for the actors' samples of the next update, learns from them and publishes
    /// the new policy.
    pub fn update(&mut self) -> Result<PpoStats, PipelineError> {
        if self.actors.is_empty() && !self.external {
            self.start_actors()?;
        }
        let update = self.learner.updates() + 1;
        let actors = self.config.actors.max(1);
        let mut rows = Vec::new();
        let mut play = PlayStats::default();
        let mut ledger = String::new();
        for actor in 0..actors {
            let partition = actor_partition(&self.run_dir, update, actor);
            let ready = || meowlab_store::table::shards(&partition).is_ok_and(|s| !s.is_empty());
            match &self.exchange {
                None => {
                    if !wait_for(&self.signals, ready) {
                        return Err(self.failure());
                    }
                }
                Some(ex) => {
                    let key = exchange_key(&self.run_dir, &partition);
                    while !ready() && !ex.get_dir(&key, &partition)? {
                        std::thread::sleep(Duration::from_millis(20));
                    }
                }
            }
            let read = read_rows(&partition)?;
            check_rows(&read, &partition)?;
            let record: PlayStats = read_json(&partition.join("_play.json"))?;
            let entry = Consumed {
                update,
                actor,
                rows: read.len(),
                games: record.games,
            };
            ledger += &(serde_json::to_string(&entry).expect("serialises") + "\n");
            rows.extend(read);
            let seats = record.seats as f64;
            play.avg_rank += record.avg_rank * seats;
            play.mean_return += record.mean_return * seats;
            play.seats += record.seats;
            play.games += record.games;
            play.hands += record.hands;
            play.seconds = play.seconds.max(record.seconds);
        }
        let seats = play.seats.max(1) as f64;
        let mut stats = self.learner.learn(&rows);
        let path = self.run_dir.join("consumed.jsonl");
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(io(&path))?;
        file.write_all(ledger.as_bytes()).map_err(io(&path))?;
        self.share_ledger()?;
        publish(
            &self.run_dir,
            update,
            &self.learner.models(),
            self.learner.critic(),
            self.exchange.as_ref(),
        )?;
        self.games += play.games;
        self.hands += play.hands;
        play.avg_rank /= seats;
        play.mean_return /= seats;
        stats.absorb(&play, self.games, self.hands);
        if update == self.last_update {
            self.join()?;
        }
        Ok(stats)
    }

    fn failure(&self) -> PipelineError {
        let failure = self.signals.failure.lock().expect("not poisoned").clone();
        let (actor, message) = failure.unwrap_or((0, "stopped".into()));
        PipelineError::Actor { actor, message }
    }

    /// Waits for the actor threads to finish.
    fn join(&mut self) -> Result<(), PipelineError> {
        for (actor, handle) in self.actors.drain(..).enumerate() {
            match handle.join() {
                Ok(result) => result?,
                Err(_) => {
                    return Err(PipelineError::Actor {
                        actor,
                        message: "panicked".into(),
                    })
                }
            }
        }
        Ok(())
    }

    /// Writes a checkpoint into `dir` and deletes what no resume from it needs.
    pub fn save(&self, dir: &Path) -> Result<(), PipelineError> {
        let learner = self.learner.save(dir)?;
        let state = PipelineState {
            games: self.games,
            hands: self.hands,
            learner,
        };
        write_json(&dir.join("state.json"), &state)?;
        let c = self.learner.updates();
        if !self.config.keep_samples {
            for update in partitions(&self.run_dir.join("samples"), "update=")? {
                if update <= c {
                    self.remove(&samples_partition(&self.run_dir, update))?;
                }
            }
        }
        // the policies actors resuming at c + 1 load: the pool's snapshots and the
        // versions from c − lag on; kept in the checkpoint, deleted from `policy/` when
        // no running actor can need them any more
        let oldest_needed = c.saturating_sub(self.config.actor_lag);
        let every = self.config.pool.snapshot_every as u64;
        let multiples: Vec<u64> = (1..=oldest_needed / every).map(|k| k * every).collect();
        let pool = &multiples[multiples
            .len()
            .saturating_sub(self.config.pool.max_snapshots)..];
        let kept: std::collections::BTreeSet<u64> = std::iter::once(0)
            .chain(pool.iter().copied())
            .chain(oldest_needed..=c)
            .collect();
        for &version in &kept {
            let into = dir.join("policy").join(format!("v{version:08}"));
            copy_dir(&policy_dir(&self.run_dir, version), &into)?;
        }
        for version in versions(&self.run_dir.join("policy"))? {
            if !kept.contains(&version) && version < oldest_needed {
                self.remove(&policy_dir(&self.run_dir, version))?;
            }
        }
        Ok(())
    }

    /// Continues from what [`Pipelined::save`] wrote: what was written after it (samples,
    /// policies) is deleted and will be written again.
    pub fn restore(&mut self, dir: &Path) -> Result<(), PipelineError> {
        let state: PipelineState = read_json(&dir.join("state.json"))?;
        self.learner.restore(dir, state.learner)?;
        self.games = state.games;
        self.hands = state.hands;
        self.remove_after(self.learner.updates())?;
        for version in versions(&dir.join("policy"))? {
            let target = policy_dir(&self.run_dir, version);
            if !target.is_dir() {
                let tmp = self
                    .run_dir
                    .join("policy")
                    .join(format!(".tmp-v{version:08}"));
                copy_dir(&dir.join("policy").join(format!("v{version:08}")), &tmp)?;
                std::fs::rename(&tmp, &target).map_err(io(&target))?;
            }
        }
        Ok(())
    }

    /// Deletes the samples and policies after update `c` (a fresh run: `c = 0`, keeping
    /// nothing but the start).
    /// In the exchange: everything of the run for a fresh one, else what was written after
    /// `c`, found by listing it (actors may have left partitions the learner never read).
    pub fn remove_after(&self, c: u64) -> Result<(), PipelineError> {
        truncate_consumed(&self.run_dir, c)?;
        for update in partitions(&self.run_dir.join("samples"), "update=")? {
            if update > c {
                self.remove(&samples_partition(&self.run_dir, update))?;
            }
        }
        for version in versions(&self.run_dir.join("policy"))? {
            if version > c {
                self.remove(&policy_dir(&self.run_dir, version))?;
            }
        }
        if let Some(ex) = &self.exchange {
            let run = exchange_key(&self.run_dir, &self.run_dir);
            if c == 0 {
                ex.delete_dir(&run)?;
            } else {
                for (folder, prefix) in [("samples", "update="), ("policy", "v")] {
                    for name in ex.list_dirs(&format!("{run}/{folder}"))? {
                        let n = name
                            .strip_prefix(prefix)
                            .and_then(|n| n.parse::<u64>().ok());
                        if n.is_some_and(|n| n > c) {
                            ex.delete_dir(&format!("{run}/{folder}/{name}"))?;
                        }
                    }
                }
            }
            self.share_ledger()?;
        }
        Ok(())
    }
}

impl Drop for Pipelined {
    fn drop(&mut self) {
        self.signals.stop.store(true, Ordering::SeqCst);
        for handle in self.actors.drain(..) {
            let _ = handle.join();
        }
    }
}

/// The numbers of the `<prefix><n>` folders in `dir`.
fn partitions(dir: &Path, prefix: &str) -> Result<Vec<u64>, PipelineError> {
    let mut out = Vec::new();
    if !dir.is_dir() {
        return Ok(out);
    }
    for entry in std::fs::read_dir(dir).map_err(io(dir))? {
        let name = entry.map_err(io(dir))?.file_name();
        if let Some(n) = name.to_string_lossy().strip_prefix(prefix) {
            if let Ok(n) = n.parse() {
                out.push(n);
            }
        }
    }
    out.sort_unstable();
    Ok(out)
}

/// Checks what the learner relies on in rows read from files: a known model, the class
/// among the legal ones and within the model's, a finite log-probability, valid planes.
fn check_rows(rows: &[SampleRow], path: &Path) -> Result<(), PipelineError> {
    for (row, r) in rows.iter().enumerate() {
        let bad = |reason: String| PipelineError::BadSample {
            path: path.to_path_buf(),
            row,
            reason,
        };
        let kind: ModelKind = r.model.parse().map_err(bad)?;
        let classes = kind.classes();
        let teacher_legal = r.teacher_class.is_none_or(|t| r.legal.contains(&t));
        if r.legal.iter().any(|&c| c as usize >= classes)
            || !r.legal.contains(&r.class)
            || !teacher_legal
        {
            return Err(bad(format!(
                "class {} (teacher {:?}) or legal classes {:?} outside the {} model's {classes}",
                r.class, r.teacher_class, r.legal, r.model
            )));
        }
        if !r.log_prob.is_finite() || r.log_prob > 0.0 || !r.reward.is_finite() {
            return Err(bad(format!(
                "log_prob {} or reward {}",
                r.log_prob, r.reward
            )));
        }
        Planes::from_bytes(&r.observation).map_err(|e| bad(e.to_string()))?;
    }
    Ok(())
}

/// Copies the folder `from` (files and sub-folders) to `to`.
fn copy_dir(from: &Path, to: &Path) -> Result<(), PipelineError> {
    std::fs::create_dir_all(to).map_err(io(to))?;
    for entry in std::fs::read_dir(from).map_err(io(from))? {
        let path = entry.map_err(io(from))?.path();
        let target = to.join(path.file_name().unwrap_or_default());
        if path.is_dir() {
            copy_dir(&path, &target)?;
        } else {
            std::fs::copy(&path, &target).map_err(io(&path))?;
        }
    }
    Ok(())
}

/// The published versions in `policy/`.
fn versions(dir: &Path) -> Result<Vec<u64>, PipelineError> {
    partitions(dir, "v")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A foreign or damaged samples row is refused with its partition and row, not
    /// learned from or panicked on.
    #[test]
    fn rows_the_learner_cannot_use_are_refused() {
        let good = SampleRow {
            game_id: 0,
            seat: 0,
            step: 0,
            hand: 0,
            policy_version: 0,
            model: "pon".into(),
            legal: vec![0, 1],
            class: 1,
            teacher_class: Some(0),
            log_prob: -0.5,
            value: None,
            reward: 0.0,
            r#return: 0.0,
            opponents: ["learner".into(), "sl".into(), "heuristic".into()],
            final_rank: 2,
            observation: Planes::new().to_bytes(),
        };
        let path = Path::new("samples/update=00000001/actor=0");
        assert!(check_rows(std::slice::from_ref(&good), path).is_ok());
        let bad = [
            SampleRow {
                model: "dragon".into(),
                ..good.clone()
            },
            SampleRow {
                class: 2,
                legal: vec![0, 1, 2],
                ..good.clone()
            },
            SampleRow {
                class: 1,
                legal: vec![0],
                ..good.clone()
            },
            SampleRow {
                teacher_class: Some(7),
                ..good.clone()
            },
            SampleRow {
                log_prob: f32::NAN,
                ..good.clone()
            },
            SampleRow {
                observation: vec![0; 3],
                ..good.clone()
            },
        ];
        for (i, b) in bad.into_iter().enumerate() {
            let rows = vec![good.clone(), b];
            let e = check_rows(&rows, path).unwrap_err().to_string();
            assert!(
                e.starts_with("samples/update=00000001/actor=0: row 1:"),
                "case {i}: {e}"
            );
        }
    }
}
