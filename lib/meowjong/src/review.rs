//! A model's review of a run (what mjai-reviewer does for 4-player games): every logged
//! decision — a human's in an imported Tenhou game, or any agent's — is replayed to its
//! table, and the greedy [`ModelAgent`] says what it would do there and how probable it
//! finds the action taken. The rows go to the run's `review` table, which the workbench
//! reads for its decision panel and worst-decisions list.

use std::path::{Path, PathBuf};

use meowlab_nn::nn::{Dev, NnError};
use meowlab_sanma::board::LoggedDecision;
use meowlab_sanma::{Action, Agent, Game, Rules};
use meowlab_store::browse::{self, GameRow};
use meowlab_store::{ReviewLogger, ReviewRow, Run, StoreError, WriterOptions};

use crate::agent::{DiscardChoice, ModelAgent};

/// Why a review could not run.
#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    /// The models could not be loaded.
    #[error("models in {dir}: {source}")]
    Models {
        /// The folder.
        dir: PathBuf,
        /// What failed.
        source: NnError,
    },
    /// The run could not be read or written.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a review did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ReviewSummary {
    /// Games reviewed.
    pub games: usize,
    /// Decisions reviewed.
    pub decisions: usize,
    /// Decisions where the model prefers another action.
    pub disagreements: usize,
    /// Mean probability the model gives the action taken.
    pub mean_p_action: f64,
    /// Games that could not be replayed to the end (each names the game and decision).
    pub problems: Vec<String>,
}

/// Reviews every decision of the run at `run_dir` (of `seat` only, when given) with the
/// models in `models`, on `jobs` threads; `progress(done, total)` after each game. A
/// run reviewed before gets its `review` table replaced.
pub fn review_run(
    run_dir: &Path,
    models: &Path,
    seat: Option<u8>,
    jobs: usize,
    mut progress: impl FnMut(usize, usize),
) -> Result<ReviewSummary, ReviewError> {
    let load = |seat: u8| {
        ModelAgent::load(&Dev::default(), models, DiscardChoice::Argmax, seat).map_err(|source| {
            ReviewError::Models {
                dir: models.to_path_buf(),
                source,
            }
        })
    };
    load(0)?; // fail early, before any work
    let run = Run::open(run_dir)?;
    let games = browse::games(run_dir)?;
    let mut summary = ReviewSummary {
        problems: games.problems.iter().map(|e| e.to_string()).collect(),
        ..ReviewSummary::default()
    };
    let reviewer = format!("model:{}", models.display());
    let mut logger = ReviewLogger::create(&run, WriterOptions::default())?;
    let total = games.rows.len();
    let jobs = jobs.max(1);
    let mut done = 0;
    let mut p_sum = 0.0;
    for chunk in games.rows.chunks(jobs * 4) {
        let results: Vec<Result<GameReview, ReviewError>> = std::thread::scope(|scope| {
            let parts: Vec<_> = chunk
                .chunks(chunk.len().div_ceil(jobs))
                .map(|part| {
                    let reviewer = &reviewer;
                    scope.spawn(move || {
                        let mut agent = load(0)?;
                        Ok(part
                            .iter()
                            .map(|g| review_game(&mut agent, run_dir, g, seat, reviewer))
                            .collect::<Vec<_>>())
                    })
                })
                .collect();
            parts
                .into_iter()
                .flat_map(|h| match h.join().expect("a review worker panicked") {
                    Ok(rows) => rows.into_iter().map(Ok).collect::<Vec<_>>(),
                    Err(e) => vec![Err(e)],
                })
                .collect()
        });
        for result in results {
            let (rows, problem) = result?;
            summary.games += 1;
            summary.decisions += rows.len();
            summary.disagreements += rows.iter().filter(|r| r.preferred != r.action).count();
            p_sum += rows.iter().map(|r| f64::from(r.p_action)).sum::<f64>();
            summary.problems.extend(problem);
            logger.write(&rows)?;
            done += 1;
            progress(done, total);
        }
    }
    logger.close()?;
    summary.mean_p_action = p_sum / summary.decisions.max(1) as f64;
    Ok(summary)
}

/// The review rows of one game, and why its replay stopped early if it did.
type GameReview = (Vec<ReviewRow>, Option<String>);

/// Reviews one game (see [`GameReview`]).
fn review_game(
    agent: &mut ModelAgent,
    run_dir: &Path,
    g: &GameRow,
    seat: Option<u8>,
    reviewer: &str,
) -> GameReview {
    let problem = |what: String| Some(format!("game {}: {what}", g.game_id));
    let decisions = match browse::decisions(run_dir, g.game_id) {
        Ok(d) => d.rows,
        Err(e) => return (Vec::new(), problem(e.to_string())),
    };
    let rules: Rules = serde_json::from_str(&g.rules).unwrap_or_default();
    let game = match &g.source {
        // an imported game's walls are in its events, not its seed
        Some(_) => browse::game_events(run_dir, g.game_id)
            .map_err(|e| e.to_string())
            .and_then(|events| {
                meowlab_sanma::replay::dealt_game(rules.clone(), &events.rows)
                    .map_err(|e| e.to_string())
            }),
        None => Ok(Game::with_names(rules, g.seed, g.agents.to_vec())),
    };
    let mut game = match game {
        Ok(game) => game,
        Err(e) => return (Vec::new(), problem(e)),
    };
    agent.start_game(g.seed);
    let mut rows = Vec::new();
    for (i, d) in decisions.iter().enumerate() {
        let logged = LoggedDecision {
            seat: d.seat,
            action: d.action,
            tsumogiri: d.tsumogiri,
        };
        let Some(action) = logged.find(&game) else {
            return (
                rows,
                problem(format!("decision {i} does not fit the replayed game")),
            );
        };
        if seat.is_none_or(|s| s == d.seat) {
            let preferred: Action = agent.act(&game.view(d.seat));
            let policy = agent.last_policy().unwrap_or_default();
            let p = |a: u16| policy.get(usize::from(a)).copied().unwrap_or(0.0);
            rows.push(ReviewRow {
                game_id: g.game_id,
                step: d.step,
                seat: d.seat,
                action: d.action,
                preferred: preferred.index(),
                p_action: p(d.action),
                p_preferred: p(preferred.index()),
                gap: (policy.iter().copied().fold(0.0, f32::max) - p(d.action)).max(0.0),
                policy,
                reviewer: reviewer.to_string(),
            });
        }
        if let Err(e) = game.act(d.seat, action) {
            return (rows, problem(format!("decision {i}: {e}")));
        }
    }
    (rows, None)
}
