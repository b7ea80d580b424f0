//! Files of logged games into a run: every game is replayed through the engine
//! ([`crate::replay`]) and, if it validates, logged exactly as a played game is (games,
//! kyoku, decisions with tile planes, events), with its log id in `games.source`. A game
//! that does not validate is skipped and reported with file, round, turn and reason.
//!
//! Files are read and replayed in chunks on several threads, so memory stays bounded
//! however many files there are. Game ids follow the order of the (sorted) input, so the
//! same files give the same run; an interrupted import resumes, skipping the games the
//! run already holds (by source).

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use meowlab_logs::{GameLog, LogError};
use meowlab_store::{DecisionRecord, Run, RunKind, SanmaLogger, StoreError, WriterOptions};
use serde::Serialize;

use crate::replay::{replay, Mismatch};

/// How an import writes.
#[derive(Clone, Debug)]
pub struct ImportOptions {
    /// The folder runs are written under.
    pub runs_dir: PathBuf,
    /// The run to write (resumed when it exists and is not complete).
    pub run_id: String,
    /// Games replayed in parallel.
    pub jobs: usize,
    /// Replace player names by stable pseudonyms (`player-` and 8 hex digits).
    pub anonymise: bool,
    /// Complete the open shards every this many games (a crash loses at most these).
    pub games_per_shard: usize,
    /// mjai logs state no game length: read them as East-only games (else hanchan).
    pub mjai_tonpuu: bool,
}

/// A game (or a file) left out, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Skipped {
    /// The input file.
    pub file: String,
    /// The round where the game and the engine part ways (Tenhou's name), if any.
    pub round: Option<String>,
    /// The turn there ("seat 1, turn 7", "start", "end"), if any.
    pub turn: Option<String>,
    /// The first difference, or why the file could not be read.
    pub reason: String,
}

/// What an import did (`--summary-json` writes it).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Games imported by this call.
    pub games_imported: usize,
    /// Games (or unreadable files) left out.
    pub games_skipped: usize,
    /// Games already in the run (an interrupted import resumed).
    pub games_resumed: usize,
    /// Rounds of the games imported by this call.
    pub rounds: usize,
    /// Decisions of the games imported by this call.
    pub decisions: usize,
    /// What was left out, in input order.
    pub skipped: Vec<Skipped>,
}

/// Why an import could not run at all (bad games are [`Skipped`], not errors).
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// An input path cannot be listed.
    #[error("{path}: {source}")]
    Input {
        /// The path.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// No log files among the inputs.
    #[error("no log files (.json, .mjlog, .xml, .gz, .mjson, .jsonl) in {0}")]
    NoFiles(String),
    /// The run named exists and holds something else.
    #[error("{path}: a {kind} run, not an import (choose another --run-id)")]
    NotAnImport {
        /// The run folder.
        path: PathBuf,
        /// Its kind.
        kind: String,
    },
    /// The run cannot be written.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The log files among `inputs` (folders are searched recursively), sorted.
pub fn log_files(inputs: &[PathBuf]) -> Result<Vec<PathBuf>, ImportError> {
    fn walk(path: &Path, out: &mut Vec<PathBuf>) -> Result<(), ImportError> {
        let io = |source| ImportError::Input {
            path: path.to_path_buf(),
            source,
        };
        if path.is_dir() {
            for entry in std::fs::read_dir(path).map_err(io)? {
                walk(&entry.map_err(io)?.path(), out)?;
            }
        } else if path.exists() {
            if Format::of(path).is_some() {
                out.push(path.to_path_buf());
            }
        } else {
            return Err(io(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "no such file or folder",
            )));
        }
        Ok(())
    }
    let mut files = Vec::new();
    for input in inputs {
        walk(input, &mut files)?;
    }
    files.sort();
    files.dedup();
    if files.is_empty() {
        let names: Vec<String> = inputs.iter().map(|p| p.display().to_string()).collect();
        return Err(ImportError::NoFiles(names.join(", ")));
    }
    Ok(files)
}

/// A log file's format, from its name (and, for `.jsonl`, its first line).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// tenhou.net/6 JSON.
    Tenhou6,
    /// mjlog XML, gzip or plain.
    Mjlog,
    /// mjai JSON lines.
    Mjai,
}

impl Format {
    /// The format of `path`, or `None` for files that are not logs.
    pub fn of(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        Some(match ext.as_str() {
            "json" => Format::Tenhou6,
            "mjlog" | "xml" | "gz" => Format::Mjlog,
            "mjson" => Format::Mjai,
            "jsonl" => {
                use std::io::BufRead;
                let file = std::fs::File::open(path).ok()?;
                let first = std::io::BufReader::new(file)
                    .lines()
                    .map_while(Result::ok)
                    .find(|l| !l.trim().is_empty())?;
                if first.contains("\"type\"") {
                    Format::Mjai
                } else {
                    Format::Tenhou6
                }
            }
            _ => return None,
        })
    }
}

/// Reads the games of one log file, whatever its format.
pub fn read_games(path: &Path) -> Result<Vec<GameLog>, LogError> {
    match Format::of(path) {
        Some(Format::Tenhou6) | None => meowlab_logs::read_tenhou6(path),
        Some(Format::Mjlog) => meowlab_logs::read_mjlog(path).map(|g| vec![g]),
        Some(Format::Mjai) => meowlab_logs::read_mjai(path).map(|g| vec![g]),
    }
}

/// A stable pseudonym for a player name.
pub fn pseudonym(name: &str) -> String {
    format!("player-{:08x}", crate::replay::seed_of(name) >> 32)
}

/// One game replayed and ready to write.
struct Replayed {
    game: meowlab_sanma::Game,
    decisions: Vec<DecisionRecord>,
    rounds: usize,
}

/// Imports `files` into the run of `options` (see the module docs); `progress(done,
/// total)` is called after each file.
pub fn import(
    files: &[PathBuf],
    options: &ImportOptions,
    mut progress: impl FnMut(usize, usize),
) -> Result<Summary, ImportError> {
    let config = serde_json::json!({
        "command": "import",
        "files": files.len(),
        "anonymise": options.anonymise,
        "mjai_tonpuu": options.mjai_tonpuu,
    });
    let mut run = Run::create(
        &options.runs_dir,
        &options.run_id,
        RunKind::Import,
        0,
        config,
    )?;
    if run.meta().kind != RunKind::Import {
        return Err(ImportError::NotAnImport {
            path: run.dir().to_path_buf(),
            kind: run.meta().kind.as_str().to_string(),
        });
    }
    let already = imported_sources(run.dir())?;
    let mut logger = SanmaLogger::create(&mut run, WriterOptions::default())?;
    logger.games_per_shard = options.games_per_shard.max(1);

    let mut summary = Summary::default();
    // source → the file it was imported from (by this call or the one resumed)
    let mut imported: HashMap<String, String> = HashMap::new();
    // game ids follow the input order: the same files give the same ids, resumed or not
    let mut next_id = 0u64;
    let jobs = options.jobs.max(1);
    let mut done = 0;
    progress(done, files.len());
    // files in chunks, each read and replayed on `jobs` threads: memory stays bounded
    for chunk in files.chunks(jobs * 8) {
        let outcomes: Vec<FileOutcome> = std::thread::scope(|scope| {
            let parts: Vec<_> = chunk
                .chunks(chunk.len().div_ceil(jobs))
                .map(|part| {
                    let already = &already;
                    scope.spawn(move || {
                        part.iter()
                            .map(|path| import_file(path, options, already))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            parts
                .into_iter()
                .flat_map(|h| h.join().expect("an import worker panicked"))
                .collect()
        });
        for (path, outcome) in chunk.iter().zip(outcomes) {
            let file = path.display().to_string();
            let games = match outcome {
                Ok(games) => games,
                Err(e) => {
                    // the error names the file; the record has it in its own field
                    let reason = e.to_string();
                    let reason = reason.strip_prefix(&format!("{file}: ")).unwrap_or(&reason);
                    summary.skipped.push(Skipped {
                        reason: reason.to_string(),
                        file,
                        round: None,
                        turn: None,
                    });
                    done += 1;
                    progress(done, files.len());
                    continue;
                }
            };
            for (source, result) in games {
                let id = next_id;
                next_id += 1;
                // the same game twice (e.g. its mjlog and its JSON): the first that validates
                if let Some(earlier) = imported.get(&source) {
                    summary.skipped.push(same_game(&file, &source, earlier));
                    continue;
                }
                match result {
                    None => {
                        imported.insert(source, file.clone());
                        summary.games_resumed += 1;
                    }
                    Some(Ok(r)) => {
                        summary.games_imported += 1;
                        summary.rounds += r.rounds;
                        summary.decisions += r.decisions.len();
                        logger.finish_game_with_source(&r.game, id, r.decisions, Some(&source))?;
                        imported.insert(source, file.clone());
                    }
                    Some(Err(m)) => summary.skipped.push(Skipped {
                        file: file.clone(),
                        round: Some(m.round),
                        turn: Some(m.turn),
                        reason: m.reason,
                    }),
                }
            }
            done += 1;
            progress(done, files.len());
        }
    }
    logger.close()?;
    run.finish(true)?;
    summary.games_skipped = summary.skipped.len();
    Ok(summary)
}

/// A file's games by source: `None` for a game the run already holds, else its replay.
type FileOutcome = Result<Vec<(String, Option<Result<Replayed, Mismatch>>)>, LogError>;

/// Reads one file and replays its games that the run does not hold yet.
fn import_file(path: &Path, options: &ImportOptions, already: &BTreeSet<String>) -> FileOutcome {
    let mut games = read_games(path)?;
    if options.mjai_tonpuu && Format::of(path) == Some(Format::Mjai) {
        games.iter_mut().for_each(|g| g.rules.hanchan = false);
    }
    Ok(games
        .into_iter()
        .map(|g| {
            let result = (!already.contains(&g.source)).then(|| replay_one(&g, options.anonymise));
            (g.source, result)
        })
        .collect())
}

fn same_game(file: &str, source: &str, earlier: &str) -> Skipped {
    Skipped {
        file: file.to_string(),
        round: None,
        turn: None,
        reason: format!("the same game ({source}) as {earlier}, imported"),
    }
}

fn replay_one(log: &GameLog, anonymise: bool) -> Result<Replayed, Mismatch> {
    let renamed;
    let log = if anonymise {
        let mut g = log.clone();
        g.players = g.players.map(|p| pseudonym(&p));
        renamed = g;
        &renamed
    } else {
        log
    };
    let mut decisions = Vec::with_capacity(1024);
    let game = replay(log, |game, seat, action| {
        decisions.push(DecisionRecord::capture(
            game,
            seat,
            action,
            Default::default(),
            None,
            true,
        ));
    })?;
    Ok(Replayed {
        game,
        decisions,
        rounds: log.rounds.len(),
    })
}

/// The sources of the games a run holds (finished shards only).
fn imported_sources(run: &Path) -> Result<BTreeSet<String>, StoreError> {
    if !run.join("games").exists() {
        return Ok(BTreeSet::new());
    }
    let games = meowlab_store::browse::games(run)?;
    Ok(games.rows.into_iter().filter_map(|g| g.source).collect())
}
