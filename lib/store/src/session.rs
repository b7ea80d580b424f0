//! Logged play: the session behind `meowlab play --log`, for notebooks and scripts too.
//!
//! A [`PlaySession`] chooses the run folder (a fresh id, or the interrupted run of the
//! same id to resume), knows which games that run logged already, plays and logs games
//! with optional engine invariant checks, and marks the run complete at the end. The
//! games themselves are the caller's: any agents, any seeds, played in the engine's
//! [`Arena`] with as many games in flight as asked ([`play_games`]).

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use meowlab_sanma::arena::{IllegalMove, Observer};
use meowlab_sanma::bots::AgentSpec;
use meowlab_sanma::{
    play_game_with, Agent, Arena, BatchAgent, Game, IllegalAction, Reply, Rules, Seat, Table,
};

use crate::error::{Result, StoreError};
use crate::run::{Run, RunKind, RunStatus};
use crate::sanma::{games_schema, AgentOutput, DecisionRecord, SanmaLogger};
use crate::table::{TableReader, WriterOptions};

/// Why a game could not be played or logged.
#[derive(Debug, thiserror::Error)]
pub enum PlayError {
    /// An agent chose an illegal action (the game cannot go on).
    #[error("seed {seed}: illegal action: {source}")]
    Illegal {
        /// The game's seed.
        seed: u64,
        /// What was refused and why.
        source: IllegalAction,
    },
    /// The engine broke one of its invariants (a bug in the engine).
    #[error("seed {seed}: invariant broken: {message}")]
    Invariant {
        /// The game's seed.
        seed: u64,
        /// What the check found.
        message: String,
    },
    /// Writing the game failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Plays one game with `agents` (seed `seed`), checking the engine's invariants at every
/// decision when `check`, and logging every decision and the game when `log` is given
/// (as `game_id` = `seed`).
pub fn play_game(
    rules: &Rules,
    seed: u64,
    agents: &mut [Box<dyn Agent>],
    check: bool,
    log: Option<&mut SanmaLogger>,
) -> std::result::Result<Game, PlayError> {
    play_with(rules, seed, seed, agents, check, log)
}

/// [`play_game`] with the game logged as `game_id`.
pub(crate) fn play_with(
    rules: &Rules,
    seed: u64,
    game_id: u64,
    agents: &mut [Box<dyn Agent>],
    check: bool,
    mut log: Option<&mut SanmaLogger>,
) -> std::result::Result<Game, PlayError> {
    let game = play_game_with(rules.clone(), seed, agents, |game, seat, reply: &Reply| {
        if check {
            game.check_invariants()
                .map_err(|message| PlayError::Invariant { seed, message })?;
        }
        if let Some(log) = log.as_deref_mut() {
            log.record_decision(game, seat, reply.action, output_of(reply), None);
        }
        Ok::<(), PlayError>(())
    })?;
    if let Some(log) = log {
        log.finish_game(&game, game_id)?;
    }
    Ok(game)
}

fn output_of(reply: &Reply) -> AgentOutput {
    AgentOutput {
        policy: reply.policy.clone(),
        value: None,
    }
}

impl From<IllegalMove> for PlayError {
    fn from(e: IllegalMove) -> Self {
        PlayError::Illegal {
            seed: e.seed,
            source: e.source,
        }
    }
}

/// Plays `tables` in `arena` with `players` (see [`Arena::play`]): checks the engine's
/// invariants at every decision when `check`, logs every game when `log` is given (as
/// `game_ids[i]` for table `i`, or its seed without ids), and hands each finished game
/// to `on_game(table, game)` in schedule order. Logs are identical whatever
/// `arena.in_flight` is.
pub fn play_games(
    arena: &Arena,
    tables: &[Table],
    players: &mut [&mut dyn BatchAgent],
    check: bool,
    log: Option<(&mut SanmaLogger, Option<&[u64]>)>,
    on_game: &mut dyn FnMut(usize, &Game),
) -> std::result::Result<(), PlayError> {
    if let Some((_, Some(ids))) = &log {
        assert_eq!(ids.len(), tables.len(), "one game id per table");
    }
    let (log, game_ids) = match log {
        Some((log, ids)) => (Some(log), ids),
        None => (None, None),
    };
    let mut observer = Logged {
        check,
        log,
        game_ids,
        captured: HashMap::new(),
        on_game,
    };
    arena.play(tables, players, &mut observer)
}

/// The observer of [`play_games`]: decisions are captured per game while games
/// interleave and written when the game is reported, in schedule order.
struct Logged<'a> {
    check: bool,
    log: Option<&'a mut SanmaLogger>,
    game_ids: Option<&'a [u64]>,
    captured: HashMap<usize, Vec<DecisionRecord>>,
    on_game: &'a mut dyn FnMut(usize, &Game),
}

impl Observer for Logged<'_> {
    type Error = PlayError;

    fn before_act(
        &mut self,
        table: usize,
        game: &Game,
        seat: Seat,
        reply: &Reply,
    ) -> std::result::Result<(), PlayError> {
        if self.check {
            game.check_invariants()
                .map_err(|message| PlayError::Invariant {
                    seed: game.seed(),
                    message,
                })?;
        }
        if let Some(log) = self.log.as_deref() {
            let record = log.capture_decision(game, seat, reply.action, output_of(reply), None);
            self.captured.entry(table).or_default().push(record);
        }
        Ok(())
    }

    fn game_over(&mut self, table: usize, game: Game) -> std::result::Result<(), PlayError> {
        if let Some(log) = self.log.as_deref_mut() {
            let decisions = self.captured.remove(&table).unwrap_or_default();
            let id = self.game_ids.map_or(game.seed(), |ids| ids[table]);
            log.finish_game_with(&game, id, decisions)?;
        }
        (self.on_game)(table, &game);
        Ok(())
    }
}

/// Where and how a logged play session writes.
#[derive(Clone, Debug)]
pub struct SessionOptions {
    /// The folder runs are written under.
    pub runs_dir: PathBuf,
    /// The run id asked for; `None` picks [`play_run_id`] (with `-2`, `-3`, … when a
    /// complete run has it).
    pub run_id: Option<String>,
    /// The seats (they name the default run id).
    pub seats: [AgentSpec; 3],
    /// The seed of the first game.
    pub seed: u64,
    /// What the run records as its config (command, games, rules …).
    pub config: serde_json::Value,
    /// Complete the open shards every this many games (a crash loses at most these).
    pub games_per_shard: usize,
}

/// The default run id of a play session: `play-<seat kinds>-seed<seed>` (model seats by
/// kind only; their folders are in the run's config).
pub fn play_run_id(seats: &[AgentSpec; 3], seed: u64) -> String {
    let kinds: Vec<&str> = seats.iter().map(AgentSpec::kind_name).collect();
    format!("play-{}-seed{seed}", kinds.join("-"))
}

/// An open logged-play run.
pub struct PlaySession {
    run: Run,
    logger: SanmaLogger,
    logged: BTreeSet<u64>,
}

impl PlaySession {
    /// Opens the run: an interrupted run of the chosen id is resumed (its logged games
    /// are skipped by [`PlaySession::is_logged`]); a complete run asked for by name is an
    /// error ([`StoreError::RunComplete`]); otherwise a new run is created.
    pub fn open(options: &SessionOptions) -> Result<PlaySession> {
        let base = play_run_id(&options.seats, options.seed);
        let mut run_id = options.run_id.clone().unwrap_or_else(|| base.clone());
        let mut logged = BTreeSet::new();
        let mut n = 1;
        loop {
            let existing = match Run::open(&options.runs_dir.join(&run_id)) {
                Ok(run) => run,
                Err(StoreError::NotARun { .. }) => break,
                Err(e) => return Err(e),
            };
            if existing.meta().status != RunStatus::Complete {
                logged = logged_games(existing.dir())?;
                break;
            }
            if options.run_id.is_some() {
                return Err(StoreError::RunComplete {
                    path: existing.dir().to_path_buf(),
                });
            }
            n += 1;
            run_id = format!("{base}-{n}");
        }
        let mut run = Run::create(
            &options.runs_dir,
            &run_id,
            RunKind::Play,
            options.seed,
            options.config.clone(),
        )?;
        let mut logger = SanmaLogger::create(&mut run, WriterOptions::default())?;
        logger.games_per_shard = options.games_per_shard.max(1);
        Ok(PlaySession {
            run,
            logger,
            logged,
        })
    }

    /// The run being written.
    pub fn run(&self) -> &Run {
        &self.run
    }

    /// Whether the run logged the game of this seed before it was interrupted.
    pub fn is_logged(&self, seed: u64) -> bool {
        self.logged.contains(&seed)
    }

    /// Games found logged when the session opened (0 for a new run).
    pub fn resumed_games(&self) -> usize {
        self.logged.len()
    }

    /// Plays and logs the game of `seed` (see [`play_game`]).
    pub fn play(
        &mut self,
        rules: &Rules,
        seed: u64,
        agents: &mut [Box<dyn Agent>],
        check: bool,
    ) -> std::result::Result<Game, PlayError> {
        let game = play_game(rules, seed, agents, check, Some(&mut self.logger))?;
        self.logged.insert(seed);
        Ok(game)
    }

    /// Plays and logs `tables` (see [`play_games`]); their seeds count as logged after.
    pub fn play_games(
        &mut self,
        arena: &Arena,
        tables: &[Table],
        players: &mut [&mut dyn BatchAgent],
        check: bool,
        on_game: &mut dyn FnMut(usize, &Game),
    ) -> std::result::Result<(), PlayError> {
        let logged = &mut self.logged;
        play_games(
            arena,
            tables,
            players,
            check,
            Some((&mut self.logger, None)),
            &mut |table, game: &Game| {
                logged.insert(game.seed());
                on_game(table, game);
            },
        )
    }

    /// Completes every table and marks the run complete.
    pub fn finish(self) -> Result<Run> {
        let PlaySession {
            mut run, logger, ..
        } = self;
        logger.close()?;
        run.finish(true)?;
        Ok(run)
    }
}

/// Game ids in a run's `games` table (finished shards only).
pub fn logged_games(run_dir: &Path) -> Result<BTreeSet<u64>> {
    use crate::arrow::UInt64Array;
    let dir = run_dir.join("games");
    if !dir.exists() {
        return Ok(BTreeSet::new());
    }
    let reader = TableReader::open(&dir, Some(games_schema()))?;
    let mut ids = BTreeSet::new();
    for batch in reader.read(Some(&["game_id"]))? {
        let col = batch
            .column(0)
            .as_any()
            .downcast_ref::<UInt64Array>()
            .ok_or_else(|| StoreError::SchemaMismatch {
                path: dir.clone(),
                reason: "game_id is not u64".into(),
            })?;
        ids.extend(col.iter().flatten());
    }
    Ok(ids)
}
