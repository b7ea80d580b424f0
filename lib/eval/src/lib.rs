//! Judging Sanma agents: a challenger against an opponent in duplicate sets played in the
//! arena ([`duplicate`]), per-agent statistics with 95% intervals over sets, paired
//! differences, Meowjong's per-round table with a valid test, and an optional sequential
//! test that stops as soon as the rank-point difference is decided ([`stats`],
//! [`report`]). [`evaluate`] plays and summarises; [`run_evaluation`] also writes the run
//! folder (`evaluation.json`, the `sets` table, and with logging the games' tables).
//!
//! **Invariant:** agents come in as arena players; this crate knows no networks (model
//! seats are built by `meowlab-meowjong`), so the workbench can read evaluations without
//! them.
#![deny(missing_docs)]

pub mod aggregate;
pub mod duplicate;
pub mod report;
pub mod sets;
pub mod stats;

use std::path::{Path, PathBuf};

use meowlab_sanma::{Arena, BatchAgent, Rules};
use meowlab_store::session::play_games;
use meowlab_store::{PlayError, Run, RunKind, SanmaLogger, StoreError, WriterOptions};

pub use duplicate::{Format, RankPoints, SetResult};
pub use report::Evaluation;
pub use stats::Sprt;

use duplicate::{duplicate_rules, schedule, set_seed};
use report::{rank_point_differences, summarise, SprtReport};
use stats::SprtDecision;

/// How an evaluation is played.
#[derive(Clone, Debug)]
pub struct EvalOptions {
    /// Seatings of a set.
    pub format: Format,
    /// Sets to play (the most, with a sequential test).
    pub sets: usize,
    /// Seed of the first set (set `i` uses `seed + i`).
    pub seed: u64,
    /// The game rules (walls are dealt per round whatever these say).
    pub rules: Rules,
    /// The rank-points table.
    pub rank_points: RankPoints,
    /// Games in flight.
    pub in_flight: usize,
    /// Stop as soon as this test decides (checked every `check_every` sets).
    pub sprt: Option<Sprt>,
    /// Sets between two looks of the sequential test (a fixed number, so results do not
    /// depend on `in_flight`).
    pub check_every: usize,
    /// Check the engine's invariants at every decision.
    pub check: bool,
}

impl Default for EvalOptions {
    fn default() -> Self {
        EvalOptions {
            format: Format::OneVsTwo,
            sets: 100,
            seed: 0,
            rules: Rules::default(),
            rank_points: RankPoints::default(),
            in_flight: 64,
            sprt: None,
            check_every: 16,
            check: false,
        }
    }
}

impl EvalOptions {
    /// Refuses options no evaluation can run with (checked before anything is written).
    pub fn validate(&self) -> Result<(), EvalError> {
        if self.sets == 0 || self.in_flight == 0 || self.check_every == 0 {
            return Err(EvalError::Options(
                "sets, in-flight games and check-every must be positive".into(),
            ));
        }
        if let Some(t) = &self.sprt {
            let valid = |p: f64| p > 0.0 && p < 0.5;
            if !(valid(t.alpha) && valid(t.beta)) || t.delta1 <= t.delta0 {
                return Err(EvalError::Options(format!(
                    "sprt: alpha and beta must be in (0, 0.5) and delta1 > delta0 (got {t:?})"
                )));
            }
        }
        Ok(())
    }
}

/// Where an evaluation stands (for progress bars).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EvalProgress {
    /// Games finished.
    pub games: usize,
    /// Games planned (the most, with a sequential test).
    pub games_max: usize,
}

/// Why an evaluation could not finish.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    /// A bad option.
    #[error("evaluation options: {0}")]
    Options(String),
    /// A game could not be played or logged.
    #[error(transparent)]
    Play(#[from] PlayError),
    /// The run folder could not be written.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// `evaluation.json` could not be written or read.
    #[error("{path}: {message}")]
    Summary {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
}

/// Plays and summarises an evaluation of `challenger` against `opponent` (`names` for
/// the report), logging every game to `log` when given (game id = set × games per set +
/// rotation). Returns the summary and every set's tallies.
pub fn evaluate(
    options: &EvalOptions,
    challenger: &mut dyn BatchAgent,
    opponent: &mut dyn BatchAgent,
    names: [&str; 2],
    mut log: Option<&mut SanmaLogger>,
    progress: &mut dyn FnMut(EvalProgress),
) -> Result<(Evaluation, Vec<SetResult>), EvalError> {
    options.validate()?;
    let per_set = options.format.games_per_set();
    let arena = Arena::new(duplicate_rules(&options.rules), options.in_flight);
    let chunk = if options.sprt.is_some() {
        options.check_every
    } else {
        options.sets
    };
    let mut sets: Vec<SetResult> = Vec::new();
    let mut decision = SprtDecision::Continue;
    let mut games = 0;
    while sets.len() < options.sets && decision == SprtDecision::Continue {
        let range = sets.len()..(sets.len() + chunk).min(options.sets);
        let first = range.start;
        let tables = schedule(options.format, options.seed, range.clone());
        let ids: Vec<u64> = (0..tables.len())
            .map(|i| (first * per_set + i) as u64)
            .collect();
        let mut results: Vec<SetResult> = range
            .map(|s| SetResult::new(s, set_seed(options.seed, s)))
            .collect();
        let mut players: [&mut dyn BatchAgent; 2] = [&mut *challenger, &mut *opponent];
        play_games(
            &arena,
            &tables,
            &mut players,
            options.check,
            log.as_deref_mut().map(|l| (l, Some(ids.as_slice()))),
            &mut |table, game| {
                results[table / per_set].add(game, tables[table].players, &options.rank_points);
                games += 1;
                progress(EvalProgress {
                    games,
                    games_max: options.sets * per_set,
                });
            },
        )?;
        sets.extend(results);
        if let Some(t) = &options.sprt {
            decision = t.decide(&rank_point_differences(&sets));
        }
    }
    let sprt = options.sprt.as_ref().map(|t| SprtReport {
        decision,
        llr: t.llr(&rank_point_differences(&sets)),
        bounds: [
            (t.beta / (1.0 - t.alpha)).ln(),
            ((1.0 - t.beta) / t.alpha).ln(),
        ],
        delta0: t.delta0,
        delta1: t.delta1,
        alpha: t.alpha,
        beta: t.beta,
    });
    let evaluation = summarise(
        &sets,
        options.format,
        options.seed,
        &options.rank_points,
        names,
        sprt,
    );
    Ok((evaluation, sets))
}

/// File name of the summary in an evaluation run.
pub const SUMMARY_FILE: &str = "evaluation.json";

/// Plays an evaluation into a new run `runs_dir/run_id` (kind `eval`): `evaluation.json`,
/// the `sets` table (one row per set and agent), and with `log` the games' tables
/// (`games`, `kyoku`, `decisions`, `events`) for replay. `config` is recorded in
/// `run.json`.
#[allow(clippy::too_many_arguments)]
pub fn run_evaluation(
    options: &EvalOptions,
    runs_dir: &Path,
    run_id: &str,
    config: serde_json::Value,
    challenger: &mut dyn BatchAgent,
    opponent: &mut dyn BatchAgent,
    names: [&str; 2],
    log: bool,
    progress: &mut dyn FnMut(EvalProgress),
) -> Result<(Evaluation, Run), EvalError> {
    options.validate()?;
    let mut run = Run::create(runs_dir, run_id, RunKind::Eval, options.seed, config)?;
    let mut logger = if log {
        Some(SanmaLogger::create(&mut run, WriterOptions::default())?)
    } else {
        None
    };
    let (evaluation, sets) = evaluate(
        options,
        challenger,
        opponent,
        names,
        logger.as_mut(),
        progress,
    )?;
    if let Some(logger) = logger {
        logger.close()?;
    }
    sets::write(&run, &sets, names)?;
    write_summary(&run.dir().join(SUMMARY_FILE), &evaluation)?;
    run.finish(true)?;
    Ok((evaluation, run))
}

/// Writes an evaluation summary as pretty JSON.
pub fn write_summary(path: &Path, evaluation: &Evaluation) -> Result<(), EvalError> {
    let text = serde_json::to_string_pretty(evaluation).expect("an evaluation serialises");
    std::fs::write(path, text).map_err(|e| EvalError::Summary {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}

/// Reads the summary of an evaluation run (its folder or the file).
pub fn read_summary(path: &Path) -> Result<Evaluation, EvalError> {
    let file = if path.is_dir() {
        path.join(SUMMARY_FILE)
    } else {
        path.to_path_buf()
    };
    let err = |message: String| EvalError::Summary {
        path: file.clone(),
        message,
    };
    let text = std::fs::read_to_string(&file).map_err(|e| err(e.to_string()))?;
    serde_json::from_str(&text).map_err(|e| err(e.to_string()))
}
