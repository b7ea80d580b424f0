//! Typed rows for browsing a run: games, hands and decisions of Sanma runs; episodes,
//! steps and metrics of control runs. The workbench and notebooks read runs through this
//! module rather than through raw arrow batches.
//!
//! Reading is *lenient*: a shard that cannot be read (corrupt, truncated, foreign) is
//! skipped and reported in [`Loaded::problems`], so one bad file never hides a whole run.
//! Shards still being written are invisible anyway (their temp names are not listed).

use std::path::Path;

use arrow_array::{
    Array, BooleanArray, FixedSizeBinaryArray, FixedSizeListArray, Float32Array, Float64Array,
    Int32Array, ListArray, RecordBatch, StringArray, UInt16Array, UInt32Array, UInt64Array,
    UInt8Array,
};

use crate::control::{episodes_schema, Phase};
use crate::error::{Result, StoreError};
use crate::metrics::metrics_schema;
use crate::sanma::{decisions_schema, events_schema, games_schema, kyoku_schema};
use crate::table::TableReader;

/// Rows read from a table, and the shards that could not be read.
#[derive(Debug)]
pub struct Loaded<T> {
    /// The rows, in file order.
    pub rows: Vec<T>,
    /// One error per unreadable shard (each names its file).
    pub problems: Vec<StoreError>,
}

impl<T> Default for Loaded<T> {
    fn default() -> Self {
        Loaded {
            rows: Vec::new(),
            problems: Vec::new(),
        }
    }
}

/// One row of `games`.
#[derive(Clone, Debug, PartialEq)]
pub struct GameRow {
    /// Game id within the run.
    pub game_id: u64,
    /// Seed of the game's walls.
    pub seed: u64,
    /// The rules as JSON (`meowlab_sanma::Rules`).
    pub rules: String,
    /// Hands played.
    pub kyoku_count: u16,
    /// Decisions logged.
    pub decision_count: u32,
    /// Agent names by seat.
    pub agents: [String; 3],
    /// Final scores by seat.
    pub scores: [i32; 3],
    /// Final ranks by seat (1 = first).
    pub ranks: [u8; 3],
    /// The log an imported game comes from (the Tenhou log id); `None` for played games.
    pub source: Option<String>,
}

/// One row of `kyoku` (a hand).
#[derive(Clone, Debug, PartialEq)]
pub struct KyokuRow {
    /// Game id.
    pub game_id: u64,
    /// Hand index within the game.
    pub kyoku: u16,
    /// "E" or "S" (or "W" in an extension).
    pub round_wind: String,
    /// 1-based hand number within the wind.
    pub kyoku_in_wind: u8,
    /// The dealer's seat.
    pub dealer: u8,
    /// Honba counters.
    pub honba: u32,
    /// Riichi sticks on the table at the start.
    pub deposits: u32,
    /// How it ended ("tsumo", "ron", "ryuukyoku", …).
    pub result: String,
    /// Winning seats.
    pub winners: Vec<u8>,
    /// The seat that dealt in, for a ron.
    pub dealt_in: Option<u8>,
    /// Score change by seat.
    pub deltas: [i32; 3],
}

/// One row of `decisions` (one seat choosing at one decision point).
#[derive(Clone, Debug, PartialEq)]
pub struct DecisionRow {
    /// Game id.
    pub game_id: u64,
    /// Hand index within the game.
    pub kyoku: u16,
    /// Actions taken in the game before this one (orders the decisions of a game).
    pub step: u32,
    /// The deciding seat.
    pub seat: u8,
    /// "turn", "after_call" or "response".
    pub kind: String,
    /// Indices of the legal actions (`meowlab_sanma::Action::index`).
    pub legal: Vec<u16>,
    /// Index of the action taken.
    pub action: u16,
    /// The discard was the drawn tile.
    pub tsumogiri: bool,
    /// The action in words.
    pub action_text: String,
    /// The agent's probabilities over the action space, when it gave them.
    pub policy: Option<Vec<f32>>,
    /// The agent's value estimate, when it gave one.
    pub value: Option<f32>,
    /// The seat's score change over this hand.
    pub kyoku_delta: i32,
    /// The seat's final score.
    pub final_score: i32,
    /// The seat's final rank.
    pub final_rank: u8,
    /// The bit-packed 34×366 tile planes, when logged.
    pub observation: Option<Vec<u8>>,
}

/// One row of `episodes`.
#[derive(Clone, Debug, PartialEq)]
pub struct EpisodeRow {
    /// Episode id within its phase.
    pub episode_id: u64,
    /// Reset seed.
    pub seed: u64,
    /// "train" or "eval".
    pub phase: String,
    /// Undiscounted return.
    pub ret: f64,
    /// Steps.
    pub length: u32,
    /// Training steps taken when it ended.
    pub global_step: u64,
    /// The A3C actor-learner thread that played it (training episodes of A3C runs).
    pub thread: Option<u32>,
}

/// One row of `steps`.
#[derive(Clone, Debug, PartialEq)]
pub struct StepRow {
    /// Episode id.
    pub episode_id: u64,
    /// Step index within the episode.
    pub step: u32,
    /// Observation before the action.
    pub observation: Vec<f32>,
    /// The action (a discrete action is one float holding its index).
    pub action: Vec<f32>,
    /// Reward received.
    pub reward: f64,
    /// The episode ended in a terminal state.
    pub terminated: bool,
    /// The episode was cut by the time limit.
    pub truncated: bool,
    /// Log-probability of the action, when the agent gave it.
    pub log_prob: Option<f32>,
    /// Value estimate, when the agent gave it.
    pub value: Option<f32>,
}

/// One row of `metrics`.
#[derive(Clone, Debug, PartialEq)]
pub struct MetricRow {
    /// Training steps so far.
    pub global_step: u64,
    /// Seconds of training so far.
    pub wall_time_s: f64,
    /// Metric name (e.g. "eval/return").
    pub name: String,
    /// Value.
    pub value: f64,
}

/// Typed access to the columns of one batch; errors name the shard.
struct Cols<'a> {
    batch: &'a RecordBatch,
    path: &'a Path,
}

impl<'a> Cols<'a> {
    fn get<A: Array + 'static>(&self, name: &str) -> Result<&'a A> {
        self.batch
            .column_by_name(name)
            .and_then(|c| c.as_any().downcast_ref::<A>())
            .ok_or_else(|| StoreError::SchemaMismatch {
                path: self.path.to_owned(),
                reason: format!("column {name:?} is missing or has another type"),
            })
    }

    /// A column added to the schema later (absent from older files).
    fn optional<A: Array + 'static>(&self, name: &str) -> Option<&'a A> {
        self.batch
            .column_by_name(name)
            .and_then(|c| c.as_any().downcast_ref::<A>())
    }

    /// The three per-seat columns `<prefix>_0..2` at `row`.
    fn three<A: Array + 'static, T>(
        &self,
        prefix: &str,
        row: usize,
        get: impl Fn(&A, usize) -> T,
    ) -> Result<[T; 3]> {
        let a = self.get::<A>(&format!("{prefix}_0"))?;
        let b = self.get::<A>(&format!("{prefix}_1"))?;
        let c = self.get::<A>(&format!("{prefix}_2"))?;
        Ok([get(a, row), get(b, row), get(c, row)])
    }
}

fn opt<T>(valid: bool, value: impl FnOnce() -> T) -> Option<T> {
    valid.then(value)
}

/// Reads every readable shard of `dir` (or the rows of `key == value` when given),
/// converting each batch with `convert`; unreadable shards become problems.
fn load<T>(
    dir: &Path,
    schema: Option<arrow_schema::SchemaRef>,
    filter: Option<(&str, u64)>,
    mut convert: impl FnMut(&Cols<'_>, usize) -> Result<T>,
) -> Result<Loaded<T>> {
    let reader = TableReader::open(dir, schema)?;
    let mut out = Loaded::default();
    for path in reader.files() {
        let single = reader.shard(path);
        let batches = match filter {
            Some((key, value)) => single.read_where(key, value, None),
            None => single.read(None),
        };
        let rows = batches.and_then(|batches| {
            let mut rows = Vec::new();
            for batch in &batches {
                let cols = Cols { batch, path };
                for r in 0..batch.num_rows() {
                    rows.push(convert(&cols, r)?);
                }
            }
            Ok(rows)
        });
        match rows {
            Ok(rows) => out.rows.extend(rows),
            Err(e) => out.problems.push(e),
        }
    }
    Ok(out)
}

/// The `games` table of a Sanma run, sorted by game id.
pub fn games(run: &Path) -> Result<Loaded<GameRow>> {
    let mut loaded = load(&run.join("games"), Some(games_schema()), None, |c, r| {
        Ok(GameRow {
            game_id: c.get::<UInt64Array>("game_id")?.value(r),
            seed: c.get::<UInt64Array>("seed")?.value(r),
            rules: c.get::<StringArray>("rules")?.value(r).to_string(),
            kyoku_count: c.get::<UInt16Array>("kyoku_count")?.value(r),
            decision_count: c.get::<UInt32Array>("decision_count")?.value(r),
            agents: c.three("agent", r, |a: &StringArray, r| a.value(r).to_string())?,
            scores: c.three("score", r, |a: &Int32Array, r| a.value(r))?,
            ranks: c.three("rank", r, |a: &UInt8Array, r| a.value(r))?,
            source: c
                .optional::<StringArray>("source")
                .filter(|a| a.is_valid(r))
                .map(|a| a.value(r).to_string()),
        })
    })?;
    loaded.rows.sort_by_key(|g| g.game_id);
    Ok(loaded)
}

/// The hands of one game (all games when `game_id` is `None`), in order.
pub fn kyoku(run: &Path, game_id: Option<u64>) -> Result<Loaded<KyokuRow>> {
    let filter = game_id.map(|g| ("game_id", g));
    let mut loaded = load(&run.join("kyoku"), Some(kyoku_schema()), filter, |c, r| {
        let winners = c.get::<ListArray>("winners")?.value(r);
        let winners = winners
            .as_any()
            .downcast_ref::<UInt8Array>()
            .map(|a| a.values().to_vec())
            .unwrap_or_default();
        let dealt_in = c.get::<UInt8Array>("dealt_in")?;
        Ok(KyokuRow {
            game_id: c.get::<UInt64Array>("game_id")?.value(r),
            kyoku: c.get::<UInt16Array>("kyoku")?.value(r),
            round_wind: c.get::<StringArray>("round_wind")?.value(r).to_string(),
            kyoku_in_wind: c.get::<UInt8Array>("kyoku_in_wind")?.value(r),
            dealer: c.get::<UInt8Array>("dealer")?.value(r),
            honba: c.get::<UInt32Array>("honba")?.value(r),
            deposits: c.get::<UInt32Array>("deposits")?.value(r),
            result: c.get::<StringArray>("result")?.value(r).to_string(),
            winners,
            dealt_in: opt(dealt_in.is_valid(r), || dealt_in.value(r)),
            deltas: c.three("delta", r, |a: &Int32Array, r| a.value(r))?,
        })
    })?;
    loaded.rows.sort_by_key(|k| (k.game_id, k.kyoku));
    Ok(loaded)
}

/// The `review` rows of one game (all games when `game_id` is `None`), by game and step;
/// empty when the run has not been reviewed.
pub fn review(run: &Path, game_id: Option<u64>) -> Result<Loaded<crate::ReviewRow>> {
    let dir = run.join("review");
    if !dir.is_dir() {
        return Ok(Loaded::default());
    }
    let filter = game_id.map(|g| ("game_id", g));
    let mut loaded = load(
        &dir,
        Some(crate::review::review_schema()),
        filter,
        |c, r| {
            let policy = c.get::<ListArray>("policy")?.value(r);
            let policy = policy
                .as_any()
                .downcast_ref::<Float32Array>()
                .map(|a| a.values().to_vec())
                .unwrap_or_default();
            Ok(crate::ReviewRow {
                game_id: c.get::<UInt64Array>("game_id")?.value(r),
                step: c.get::<UInt32Array>("step")?.value(r),
                seat: c.get::<UInt8Array>("seat")?.value(r),
                action: c.get::<UInt16Array>("action")?.value(r),
                preferred: c.get::<UInt16Array>("preferred")?.value(r),
                p_action: c.get::<Float32Array>("p_action")?.value(r),
                p_preferred: c.get::<Float32Array>("p_preferred")?.value(r),
                gap: c.get::<Float32Array>("gap")?.value(r),
                policy,
                reviewer: c.get::<StringArray>("reviewer")?.value(r).to_string(),
            })
        },
    )?;
    loaded.rows.sort_by_key(|r| (r.game_id, r.step, r.seat));
    Ok(loaded)
}

/// The mjai events of one game, in order.
pub fn game_events(run: &Path, game_id: u64) -> Result<Loaded<meowlab_sanma::Event>> {
    let filter = Some(("game_id", game_id));
    let mut loaded = load(
        &run.join("events"),
        Some(events_schema()),
        filter,
        |c, r| {
            let seq = c.get::<UInt32Array>("seq")?.value(r);
            let json = c.get::<StringArray>("json")?.value(r);
            let event = serde_json::from_str(json).map_err(|e| StoreError::SchemaMismatch {
                path: c.path.to_owned(),
                reason: format!("game {game_id}, event {seq}: not an mjai event ({e})"),
            })?;
            Ok((seq, event))
        },
    )?;
    loaded.rows.sort_by_key(|(seq, _)| *seq);
    Ok(Loaded {
        rows: loaded.rows.into_iter().map(|(_, e)| e).collect(),
        problems: loaded.problems,
    })
}

/// The decisions of one game, in the order they were taken.
pub fn decisions(run: &Path, game_id: u64) -> Result<Loaded<DecisionRow>> {
    let dir = run.join("decisions");
    let filter = Some(("game_id", game_id));
    let mut loaded = load(&dir, Some(decisions_schema()), filter, |c, r| {
        let legal = c.get::<ListArray>("legal")?.value(r);
        let legal = legal
            .as_any()
            .downcast_ref::<UInt16Array>()
            .map(|a| a.values().to_vec())
            .unwrap_or_default();
        let policy = c.get::<ListArray>("policy")?;
        let policy = opt(policy.is_valid(r), || {
            policy
                .value(r)
                .as_any()
                .downcast_ref::<Float32Array>()
                .map(|a| a.values().to_vec())
                .unwrap_or_default()
        });
        let value = c.get::<Float32Array>("value")?;
        let obs = c.get::<FixedSizeBinaryArray>("observation")?;
        Ok(DecisionRow {
            game_id: c.get::<UInt64Array>("game_id")?.value(r),
            kyoku: c.get::<UInt16Array>("kyoku")?.value(r),
            step: c.get::<UInt32Array>("step")?.value(r),
            seat: c.get::<UInt8Array>("seat")?.value(r),
            kind: c.get::<StringArray>("kind")?.value(r).to_string(),
            legal,
            action: c.get::<UInt16Array>("action")?.value(r),
            tsumogiri: c.get::<BooleanArray>("tsumogiri")?.value(r),
            action_text: c.get::<StringArray>("action_text")?.value(r).to_string(),
            policy,
            value: opt(value.is_valid(r), || value.value(r)),
            kyoku_delta: c.get::<Int32Array>("kyoku_delta")?.value(r),
            final_score: c.get::<Int32Array>("final_score")?.value(r),
            final_rank: c.get::<UInt8Array>("final_rank")?.value(r),
            observation: opt(obs.is_valid(r), || obs.value(r).to_vec()),
        })
    })?;
    loaded.rows.sort_by_key(|d| d.step);
    Ok(loaded)
}

/// One logged game read back and replayed: its row, its decisions and the boards
/// replayed from them (seed, rules and the decisions' action indices), so readers can
/// show the table at every decision without engine code of their own.
#[derive(Clone, Debug)]
pub struct LoggedGame {
    /// The `games` row.
    pub game: GameRow,
    /// Its decisions, in order.
    pub decisions: Vec<DecisionRow>,
    /// One board per decision that replayed (all of them unless the log is broken).
    pub replay: meowlab_sanma::board::GameReplay,
    /// What went wrong while reading or replaying (each names the file or decision).
    pub problems: Vec<String>,
}

impl LoggedGame {
    /// Reads and replays `game` of the run at `run`. Lenient like the rest of this
    /// module: unreadable shards, invalid rules (replayed with Tenhou defaults) and a
    /// decision that does not fit (the replay stops there) become `problems`.
    pub fn load(run: &Path, game: &GameRow) -> LoggedGame {
        use meowlab_sanma::board::{replay_decisions, replay_decisions_in, LoggedDecision};
        let mut problems = Vec::new();
        let decisions = match decisions(run, game.game_id) {
            Ok(l) => {
                problems.extend(l.problems.iter().map(|e| e.to_string()));
                l.rows
            }
            Err(e) => {
                problems.push(e.to_string());
                Vec::new()
            }
        };
        let rules = serde_json::from_str(&game.rules).unwrap_or_else(|e| {
            problems.push(format!(
                "game {}: rules column is not valid ({e}); replaying with Tenhou defaults",
                game.game_id
            ));
            meowlab_sanma::Rules::default()
        });
        let logged: Vec<LoggedDecision> = decisions
            .iter()
            .map(|d| LoggedDecision {
                seat: d.seat,
                action: d.action,
                tsumogiri: d.tsumogiri,
            })
            .collect();
        let replay = match &game.source {
            // an imported game's walls are not its seed's: they are in its events
            Some(source) => {
                let dealt = game_events(run, game.game_id).and_then(|events| {
                    problems.extend(events.problems.iter().map(|e| e.to_string()));
                    meowlab_sanma::replay::dealt_game(rules.clone(), &events.rows).map_err(|e| {
                        StoreError::NoRow {
                            path: run.join("events"),
                            reason: format!("game {} ({source}): {e}", game.game_id),
                        }
                    })
                });
                match dealt {
                    Ok(dealt) => replay_decisions_in(dealt, game.agents.clone(), &logged),
                    Err(e) => {
                        problems.push(e.to_string());
                        replay_decisions(rules, game.seed, game.agents.clone(), &logged)
                    }
                }
            }
            None => replay_decisions(rules, game.seed, game.agents.clone(), &logged),
        };
        if let Some(e) = &replay.error {
            problems.push(format!("game {}: replay stopped: {e}", game.game_id));
        }
        LoggedGame {
            game: game.clone(),
            decisions,
            replay,
            problems,
        }
    }

    /// Game `game_id` of the run at `run` (an error names the run when it has no such
    /// game).
    pub fn find(run: &Path, game_id: u64) -> Result<LoggedGame> {
        let games = games(run)?;
        match games.rows.iter().find(|g| g.game_id == game_id) {
            Some(g) => Ok(LoggedGame::load(run, g)),
            None => Err(StoreError::NoRow {
                path: run.join("games"),
                reason: format!(
                    "no game {game_id} (the run has {} finished games)",
                    games.rows.len()
                ),
            }),
        }
    }
}

/// The `episodes` table of a control run, in the order they finished.
pub fn episodes(run: &Path) -> Result<Loaded<EpisodeRow>> {
    let mut loaded = load(
        &run.join("episodes"),
        Some(episodes_schema()),
        None,
        |c, r| {
            Ok(EpisodeRow {
                episode_id: c.get::<UInt64Array>("episode_id")?.value(r),
                seed: c.get::<UInt64Array>("seed")?.value(r),
                phase: c.get::<StringArray>("phase")?.value(r).to_string(),
                ret: c.get::<Float64Array>("return")?.value(r),
                length: c.get::<UInt32Array>("length")?.value(r),
                global_step: c.get::<UInt64Array>("global_step")?.value(r),
                thread: c
                    .optional::<UInt32Array>("thread")
                    .filter(|a| a.is_valid(r))
                    .map(|a| a.value(r)),
            })
        },
    )?;
    loaded
        .rows
        .sort_by_key(|e| (e.global_step, e.phase.clone(), e.episode_id));
    Ok(loaded)
}

/// The steps of one episode of `phase`, in order.
pub fn episode_steps(run: &Path, phase: Phase, episode_id: u64) -> Result<Loaded<StepRow>> {
    let mut loaded = steps_where(run, phase, Some(("episode_id", episode_id)))?;
    loaded.rows.sort_by_key(|s| s.step);
    Ok(loaded)
}

/// Every step of `phase`, ordered by episode and step (e.g. the evaluation episodes
/// whose states an explanation conditions on).
pub fn phase_steps(run: &Path, phase: Phase) -> Result<Loaded<StepRow>> {
    let mut loaded = steps_where(run, phase, None)?;
    loaded.rows.sort_by_key(|s| (s.episode_id, s.step));
    Ok(loaded)
}

fn steps_where(run: &Path, phase: Phase, filter: Option<(&str, u64)>) -> Result<Loaded<StepRow>> {
    let dir = run.join("steps").join(format!("phase={}", phase.as_str()));
    let floats = |a: &FixedSizeListArray, r: usize| {
        a.value(r)
            .as_any()
            .downcast_ref::<Float32Array>()
            .map(|v| v.values().to_vec())
            .unwrap_or_default()
    };
    load(&dir, None, filter, |c, r| {
        let log_prob = c.get::<Float32Array>("log_prob")?;
        let value = c.get::<Float32Array>("value")?;
        Ok(StepRow {
            episode_id: c.get::<UInt64Array>("episode_id")?.value(r),
            step: c.get::<UInt32Array>("step")?.value(r),
            observation: floats(c.get::<FixedSizeListArray>("observation")?, r),
            action: floats(c.get::<FixedSizeListArray>("action")?, r),
            reward: c.get::<Float64Array>("reward")?.value(r),
            terminated: c.get::<BooleanArray>("terminated")?.value(r),
            truncated: c.get::<BooleanArray>("truncated")?.value(r),
            log_prob: opt(log_prob.is_valid(r), || log_prob.value(r)),
            value: opt(value.is_valid(r), || value.value(r)),
        })
    })
}

/// The `metrics` table of a run (or of any folder holding one, e.g. a trained model's
/// `metrics/`), sorted by step.
pub fn metrics(table_dir: &Path) -> Result<Loaded<MetricRow>> {
    let mut loaded = load(table_dir, Some(metrics_schema()), None, |c, r| {
        Ok(MetricRow {
            global_step: c.get::<UInt64Array>("global_step")?.value(r),
            wall_time_s: c.get::<Float64Array>("wall_time_s")?.value(r),
            name: c.get::<StringArray>("name")?.value(r).to_string(),
            value: c.get::<Float64Array>("value")?.value(r),
        })
    })?;
    loaded.rows.sort_by_key(|m| m.global_step);
    Ok(loaded)
}

/// The logged observation (packed tile planes) of each Sanma explanation's decision,
/// `None` where the decision or its planes are not in the run (control explanations,
/// runs logged without planes); each game's decisions are read once.
pub fn explained_observations(
    run: &Path,
    explanations: &[crate::Explanation],
) -> Result<Vec<Option<Vec<u8>>>> {
    let mut games = std::collections::BTreeMap::new();
    for game in explanations.iter().filter_map(|e| e.game_id) {
        if let std::collections::btree_map::Entry::Vacant(slot) = games.entry(game) {
            slot.insert(decisions(run, game)?.rows);
        }
    }
    Ok(explanations
        .iter()
        .map(|e| {
            let rows = games.get(&e.game_id?)?;
            let step = e.step?;
            rows.iter().find(|d| d.step == step)?.observation.clone()
        })
        .collect())
}

/// The `explanations` table of a run, one [`crate::Explanation`] per explained decision or
/// state (its per-player rows gathered back), in id order.
pub fn explanations(run: &Path) -> Result<Loaded<crate::Explanation>> {
    use crate::explanations::explanations_schema;
    let rows = load(
        &run.join("explanations"),
        Some(explanations_schema()),
        None,
        |c, r| {
            let text = |name: &str| -> Result<String> {
                Ok(c.get::<StringArray>(name)?.value(r).to_string())
            };
            let game = c.get::<UInt64Array>("game_id")?;
            let step = c.get::<UInt32Array>("step")?;
            let episode = c.get::<UInt64Array>("episode_id")?;
            let stderr = c.get::<Float64Array>("stderr")?;
            Ok(crate::Explanation {
                explanation_id: c.get::<UInt64Array>("explanation_id")?.value(r),
                kind: text("kind")?,
                target: text("target")?,
                conditioning: text("conditioning")?,
                method: text("method")?,
                game_id: opt(game.is_valid(r), || game.value(r)),
                step: opt(step.is_valid(r), || step.value(r)),
                episode_id: opt(episode.is_valid(r), || episode.value(r)),
                players: vec![text("player")?],
                values: vec![c.get::<Float64Array>("value")?.value(r)],
                stderr: opt(stderr.is_valid(r), || vec![stderr.value(r)]),
                base: c.get::<Float64Array>("base")?.value(r),
                full: c.get::<Float64Array>("full")?.value(r),
            })
        },
    )?;
    // one row per player → one explanation per id (rows of an id are written together)
    let mut out: Vec<crate::Explanation> = Vec::new();
    for row in rows.rows {
        match out.last_mut() {
            Some(e) if e.explanation_id == row.explanation_id => {
                e.players.extend(row.players);
                e.values.extend(row.values);
                if let (Some(s), Some(more)) = (e.stderr.as_mut(), row.stderr) {
                    s.extend(more);
                }
            }
            _ => out.push(row),
        }
    }
    out.sort_by_key(|e| e.explanation_id);
    Ok(Loaded {
        rows: out,
        problems: rows.problems,
    })
}
