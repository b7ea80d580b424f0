//! Runs as the workbench holds them: what a run folder contains (a Sanma run's games and
//! hands, a control run's episodes and metrics), read through `meowlab::store::browse`.
//! Unreadable shards and a missing or broken `run.json` become messages on the run; only
//! a folder with no readable table at all fails to open.

use std::path::{Path, PathBuf};

use meowlab::eval::{read_summary, Evaluation, SUMMARY_FILE};
use meowlab::store::browse::{self, EpisodeRow, GameRow, KyokuRow, Loaded, MetricRow};
use meowlab::store::{Run, RunMeta};

/// A Sanma run's tables.
pub struct SanmaRun {
    /// Games, by id.
    pub games: Vec<GameRow>,
    /// Hands of every game, by (game, hand).
    pub kyoku: Vec<KyokuRow>,
    /// The summary of an evaluation run (`meowlab eval`), when it is one.
    pub evaluation: Option<Box<Evaluation>>,
    /// Scalars over training of a self-play run (empty for played or evaluated games).
    pub metrics: Vec<MetricRow>,
}

/// A control run's tables.
pub struct ControlRun {
    /// The environment id from the run's config (e.g. "CartPole-v1"), when known.
    pub env: Option<String>,
    /// Finished episodes.
    pub episodes: Vec<EpisodeRow>,
    /// Scalars over training.
    pub metrics: Vec<MetricRow>,
}

/// What kind of run it is.
pub enum RunData {
    /// Logged Sanma games.
    Sanma(SanmaRun),
    /// Control training/evaluation.
    Control(ControlRun),
}

/// An open run.
pub struct OpenRun {
    /// Its folder.
    pub dir: PathBuf,
    /// Its `run.json`, when readable.
    pub meta: Option<RunMeta>,
    /// The tables.
    pub data: RunData,
    /// Everything that could not be read (each names its file).
    pub problems: Vec<String>,
}

impl OpenRun {
    /// The folder name (the run id).
    pub fn name(&self) -> String {
        self.dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| self.dir.display().to_string())
    }

    /// The experiment a control run belongs to (its config's `name`), which groups seeds.
    pub fn experiment(&self) -> String {
        self.meta
            .as_ref()
            .and_then(|m| m.config.get("name"))
            .and_then(|v| v.as_str())
            .map(str::to_string)
            .unwrap_or_else(|| self.name())
    }

    /// The run's seed, when `run.json` was readable.
    pub fn seed(&self) -> Option<u64> {
        self.meta.as_ref().map(|m| m.seed)
    }

    /// Its scalars over training: a control run's, or a self-play run's.
    pub fn metrics(&self) -> &[MetricRow] {
        match &self.data {
            RunData::Sanma(s) => &s.metrics,
            RunData::Control(c) => &c.metrics,
        }
    }

    /// Whether the run was still being written when opened.
    pub fn in_progress(&self) -> bool {
        self.meta.as_ref().is_some_and(|m| m.finished_at.is_none())
    }
}

fn keep<T>(loaded: Loaded<T>, problems: &mut Vec<String>) -> Vec<T> {
    problems.extend(loaded.problems.iter().map(|e| e.to_string()));
    loaded.rows
}

/// The rows of a read that may fail (a table missing from a run still starting, a
/// foreign file): the error and any unreadable shards become messages.
pub(crate) fn read_or_note<T>(
    loaded: meowlab::store::Result<Loaded<T>>,
    problems: &mut Vec<String>,
) -> Vec<T> {
    match loaded {
        Ok(l) => keep(l, problems),
        Err(e) => {
            problems.push(e.to_string());
            Vec::new()
        }
    }
}

/// Opens a run folder.
pub fn open_run(dir: &Path) -> Result<OpenRun, String> {
    if !dir.is_dir() {
        return Err(format!("{}: no such folder", dir.display()));
    }
    let mut problems = Vec::new();
    let meta = match Run::open(dir) {
        Ok(run) => Some(run.meta().clone()),
        Err(e) => {
            problems.push(e.to_string());
            None
        }
    };
    let evaluation = if dir.join(SUMMARY_FILE).is_file() {
        read_summary(dir)
            .map(Box::new)
            .map_err(|e| problems.push(e.to_string()))
            .ok()
    } else {
        None
    };
    let data = if dir.join("games").is_dir() {
        let games = browse::games(dir).map_err(|e| e.to_string())?;
        let games = keep(games, &mut problems);
        let kyoku = read_or_note(browse::kyoku(dir, None), &mut problems);
        let metrics = if dir.join("metrics").is_dir() {
            read_or_note(browse::metrics(&dir.join("metrics")), &mut problems)
        } else {
            Vec::new()
        };
        RunData::Sanma(SanmaRun {
            games,
            kyoku,
            evaluation,
            metrics,
        })
    } else if evaluation.is_some() {
        // an evaluation played without --log: its summary, no games to replay
        RunData::Sanma(SanmaRun {
            games: Vec::new(),
            kyoku: Vec::new(),
            evaluation,
            metrics: Vec::new(),
        })
    } else if dir.join("episodes").is_dir() || dir.join("metrics").is_dir() {
        let episodes = read_or_note(browse::episodes(dir), &mut problems);
        let metrics = read_or_note(browse::metrics(&dir.join("metrics")), &mut problems);
        let env = meta
            .as_ref()
            .and_then(|m| m.config.get("env"))
            .and_then(|v| v.as_str())
            .map(str::to_string);
        RunData::Control(ControlRun {
            env,
            episodes,
            metrics,
        })
    } else {
        return Err(format!(
            "{}: not a meowlab run (no games/, episodes/ or metrics/ table, no evaluation.json)",
            dir.display()
        ));
    };
    Ok(OpenRun {
        dir: dir.to_owned(),
        meta,
        data,
        problems,
    })
}

/// The run folders inside `dir` (itself when it is a run), for File → Open on a folder
/// of runs such as `data/runs`.
pub fn runs_in(dir: &Path) -> Vec<PathBuf> {
    let is_run = |p: &Path| {
        p.join("run.json").is_file() || p.join("games").is_dir() || p.join("episodes").is_dir()
    };
    if is_run(dir) {
        return vec![dir.to_owned()];
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir() && is_run(p))
        .collect();
    found.sort();
    found
}
