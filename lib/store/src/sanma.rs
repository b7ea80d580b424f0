//! The Sanma tables of a run: `games`, `kyoku`, `decisions` and `events`.
//!
//! [`SanmaLogger`] is fed by the play loop: [`SanmaLogger::record_decision`] before each
//! action, [`SanmaLogger::finish_game`] when a game ends (which fills the reward fields
//! of that game's decisions and writes all four tables' rows).

use std::sync::Arc;

use arrow_array::builder::{
    BooleanBuilder, FixedSizeBinaryBuilder, Float32Builder, Int32Builder, ListBuilder,
    StringBuilder, UInt16Builder, UInt32Builder, UInt64Builder, UInt8Builder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use meowlab_sanma::{Action, Event, Game, Phase, Seat};

use crate::error::Result;
use crate::run::Run;
use crate::table::{TableWriter, WriterOptions};

/// Bytes of the bit-packed 34×366 observation (12,444 bits): the Meowjong tile planes
/// ([`meowlab_sanma::planes`]), row-major, most significant bit first (cell (row, col)
/// is bit `row * 366 + col`, in byte `bit / 8` under mask `0x80 >> bit % 8`; 4 zero
/// padding bits). Decode with [`meowlab_sanma::planes::Planes::from_bytes`] or
/// `np.unpackbits(buf)[:12444].reshape(34, 366)`.
pub const OBSERVATION_BYTES: i32 = meowlab_sanma::planes::BYTES as i32;
const _: () = assert!(OBSERVATION_BYTES == 1556);

fn list(item: DataType) -> DataType {
    DataType::List(Arc::new(Field::new("item", item, true)))
}

/// `games`: one row per game.
pub fn games_schema() -> SchemaRef {
    let mut fields = vec![
        Field::new("game_id", DataType::UInt64, false),
        Field::new("seed", DataType::UInt64, false),
        Field::new("rules", DataType::Utf8, false),
        Field::new("kyoku_count", DataType::UInt16, false),
        Field::new("decision_count", DataType::UInt32, false),
    ];
    for s in 0..3 {
        fields.push(Field::new(format!("agent_{s}"), DataType::Utf8, false));
    }
    for s in 0..3 {
        fields.push(Field::new(format!("score_{s}"), DataType::Int32, false));
    }
    for s in 0..3 {
        fields.push(Field::new(format!("rank_{s}"), DataType::UInt8, false));
    }
    // where an imported game comes from (the Tenhou log id); null for played games.
    // Last and nullable: runs written before it existed still read (see `TableReader`).
    fields.push(Field::new("source", DataType::Utf8, true));
    Arc::new(Schema::new(fields))
}

/// `kyoku`: one row per hand.
pub fn kyoku_schema() -> SchemaRef {
    let mut fields = vec![
        Field::new("game_id", DataType::UInt64, false),
        Field::new("kyoku", DataType::UInt16, false),
        Field::new("round_wind", DataType::Utf8, false),
        Field::new("kyoku_in_wind", DataType::UInt8, false),
        Field::new("dealer", DataType::UInt8, false),
        Field::new("honba", DataType::UInt32, false),
        Field::new("deposits", DataType::UInt32, false),
        Field::new("result", DataType::Utf8, false),
        Field::new("winners", list(DataType::UInt8), false),
        Field::new("dealt_in", DataType::UInt8, true),
    ];
    for s in 0..3 {
        fields.push(Field::new(format!("delta_{s}"), DataType::Int32, false));
    }
    Arc::new(Schema::new(fields))
}

/// `decisions`: one row per decision point and deciding seat.
pub fn decisions_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("game_id", DataType::UInt64, false),
        Field::new("kyoku", DataType::UInt16, false),
        Field::new("step", DataType::UInt32, false),
        Field::new("seat", DataType::UInt8, false),
        Field::new("kind", DataType::Utf8, false),
        Field::new("legal", list(DataType::UInt16), false),
        Field::new("action", DataType::UInt16, false),
        Field::new("tsumogiri", DataType::Boolean, false),
        Field::new("action_text", DataType::Utf8, false),
        Field::new("policy", list(DataType::Float32), true),
        Field::new("value", DataType::Float32, true),
        Field::new("kyoku_delta", DataType::Int32, false),
        Field::new("final_score", DataType::Int32, false),
        Field::new("final_rank", DataType::UInt8, false),
        Field::new(
            "observation",
            DataType::FixedSizeBinary(OBSERVATION_BYTES),
            true,
        ),
    ]))
}

/// `events`: the mjai events of each game, in order.
pub fn events_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("game_id", DataType::UInt64, false),
        Field::new("seq", DataType::UInt32, false),
        Field::new("kyoku", DataType::UInt16, false),
        Field::new("type", DataType::Utf8, false),
        Field::new("json", DataType::Utf8, false),
    ]))
}

/// What an agent said about a decision, when it says anything.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AgentOutput {
    /// Probabilities over the action space (see `meowlab_sanma::ACTION_SPACE`).
    pub policy: Option<Vec<f32>>,
    /// A value estimate.
    pub value: Option<f32>,
}

/// One decision captured for the `decisions` table, kept until its game is written (see
/// [`SanmaLogger::capture_decision`]).
pub struct DecisionRecord {
    kyoku: u16,
    step: u32,
    seat: Seat,
    kind: &'static str,
    legal: Vec<u16>,
    action: Action,
    output: AgentOutput,
    observation: Option<Vec<u8>>,
}

impl DecisionRecord {
    /// `seat`'s choice at the current decision point of `game` (before `game.act`), with
    /// its tile planes encoded when `observation` is `None` and `encode` is set. A free
    /// function of the game, so games replayed on several threads can capture their own.
    pub fn capture(
        game: &Game,
        seat: Seat,
        action: Action,
        output: AgentOutput,
        observation: Option<Vec<u8>>,
        encode: bool,
    ) -> DecisionRecord {
        let kyoku = game
            .events()
            .iter()
            .filter(|e| matches!(e, Event::StartKyoku { .. }))
            .count()
            .saturating_sub(1) as u16;
        let kind = match game.phase() {
            Phase::Turn { .. } if game.view(seat).drawn().is_some() => "turn",
            Phase::Turn { .. } => "after_call",
            _ => "response",
        };
        let legal = game.legal_actions(seat).iter().map(|a| a.index()).collect();
        let step = game.history().len() as u32;
        let observation = observation
            .or_else(|| encode.then(|| meowlab_sanma::planes::encode(&game.view(seat)).to_bytes()));
        DecisionRecord {
            kyoku,
            step,
            seat,
            kind,
            legal,
            action,
            output,
            observation,
        }
    }
}

/// Writes the Sanma tables of a run.
pub struct SanmaLogger {
    games: TableWriter,
    kyoku: TableWriter,
    decisions: TableWriter,
    events: TableWriter,
    pending: Vec<DecisionRecord>,
    games_since_flush: usize,
    events_seen: usize,
    kyoku_seen: usize,
    /// Finished games per shard boundary: shards are completed every this many games,
    /// so a crash loses at most that many games.
    pub games_per_shard: usize,
    /// Encode the tile planes of a decision recorded without an observation (default
    /// true; false leaves such observations null).
    pub encode_observations: bool,
}

impl SanmaLogger {
    /// Opens (or appends to) the four tables of `run`.
    ///
    /// Shards are cut only at game boundaries ([`SanmaLogger::flush`]), one per table
    /// with the same number, and the `games` shard is renamed last: it commits the
    /// chunk. On reopening, shards of the other tables beyond the last committed
    /// `games` shard (a crash between renames) are removed, so every logged game is in
    /// all four tables exactly once. The run records the tile-plane encoder version, which
    /// dataset readers check.
    pub fn create(run: &mut Run, options: WriterOptions) -> Result<SanmaLogger> {
        run.record_planes_encoder(meowlab_sanma::planes::ENCODER_VERSION)?;
        let options = WriterOptions {
            max_rows_per_shard: usize::MAX,
            max_bytes_per_shard: usize::MAX,
            ..options
        };
        let committed = crate::table::shards(&run.dir().join("games"))?
            .iter()
            .filter_map(|p| shard_number(p))
            .max()
            .unwrap_or(0);
        for table in ["kyoku", "decisions", "events"] {
            for shard in crate::table::shards(&run.dir().join(table))? {
                if shard_number(&shard).is_some_and(|n| n > committed) {
                    std::fs::remove_file(&shard).map_err(|e| crate::StoreError::io(&shard, e))?;
                }
            }
        }
        let open = |name: &str, schema: SchemaRef| {
            TableWriter::open(&run.dir().join(name), schema, options)
        };
        Ok(SanmaLogger {
            games: open("games", games_schema())?,
            kyoku: open("kyoku", kyoku_schema())?,
            decisions: open("decisions", decisions_schema())?,
            events: open("events", events_schema())?,
            pending: Vec::with_capacity(1024),
            games_since_flush: 0,
            events_seen: 0,
            kyoku_seen: 0,
            games_per_shard: 100,
            encode_observations: true,
        })
    }

    /// Records `seat`'s choice at the current decision point of `game` (call it before
    /// `game.act`). `observation` is the bit-packed 34×366 image; when `None`, the
    /// logger encodes `seat`'s tile planes itself (unless `encode_observations` is off).
    pub fn record_decision(
        &mut self,
        game: &Game,
        seat: Seat,
        action: Action,
        output: AgentOutput,
        observation: Option<Vec<u8>>,
    ) {
        let record = self.capture_decision(game, seat, action, output, observation);
        self.pending.push(record);
    }

    /// What [`SanmaLogger::record_decision`] records, returned instead of kept: for
    /// many games in flight, whose decisions interleave; write them with
    /// [`SanmaLogger::finish_game_with`].
    pub fn capture_decision(
        &self,
        game: &Game,
        seat: Seat,
        action: Action,
        output: AgentOutput,
        observation: Option<Vec<u8>>,
    ) -> DecisionRecord {
        DecisionRecord::capture(
            game,
            seat,
            action,
            output,
            observation,
            self.encode_observations,
        )
    }

    /// Writes the finished `game` with `decisions`, its decisions captured in play order.
    pub fn finish_game_with(
        &mut self,
        game: &Game,
        game_id: u64,
        decisions: Vec<DecisionRecord>,
    ) -> Result<()> {
        self.finish_game_with_source(game, game_id, decisions, None)
    }

    /// [`SanmaLogger::finish_game_with`] for a game replayed from a log: `source` (the
    /// log's id) goes into the `source` column of `games`.
    pub fn finish_game_with_source(
        &mut self,
        game: &Game,
        game_id: u64,
        decisions: Vec<DecisionRecord>,
        source: Option<&str>,
    ) -> Result<()> {
        debug_assert!(
            self.pending.is_empty(),
            "decisions of another game are pending"
        );
        self.pending = decisions;
        self.finish_game_from(game, game_id, source)
    }

    /// Writes the finished `game` (its decisions recorded since the last call).
    pub fn finish_game(&mut self, game: &Game, game_id: u64) -> Result<()> {
        self.finish_game_from(game, game_id, None)
    }

    fn finish_game_from(&mut self, game: &Game, game_id: u64, source: Option<&str>) -> Result<()> {
        let result = game.result().cloned().unwrap_or(meowlab_sanma::GameResult {
            scores: [0; 3],
            ranks: [0; 3],
        });
        let events = game.events();
        let names: Vec<String> = match events.first() {
            Some(Event::StartGame { names, .. }) => names.clone(),
            _ => Vec::new(),
        };
        let kyoku_rows = kyoku_rows(events);
        self.write_games(game, game_id, &names, &result, kyoku_rows.len(), source)?;
        self.write_kyoku(game_id, &kyoku_rows)?;
        self.write_events(game_id, events)?;
        self.write_decisions(game_id, &kyoku_rows, &result)?;
        self.games_since_flush += 1;
        (self.events_seen, self.kyoku_seen) = (0, 0);
        if self.games_since_flush >= self.games_per_shard {
            self.flush()?;
        }
        Ok(())
    }

    /// Completes the open shards of every table (a checkpoint: all finished games are
    /// now safe on disk).
    pub fn flush(&mut self) -> Result<()> {
        self.games_since_flush = 0;
        // `games` last: its shard commits the chunk (see `create`)
        for t in [
            &mut self.kyoku,
            &mut self.decisions,
            &mut self.events,
            &mut self.games,
        ] {
            t.finish_shard()?;
        }
        Ok(())
    }

    /// Completes every table.
    pub fn close(mut self) -> Result<()> {
        self.flush()
    }

    /// Plays one game with `agents` (seed `seed`) and logs it as `game_id`: every
    /// decision with the agent's policy, then the game — what `meowlab play --log` does
    /// per game, for notebooks and scripts.
    pub fn play_game(
        &mut self,
        rules: meowlab_sanma::Rules,
        seed: u64,
        game_id: u64,
        agents: &mut [Box<dyn meowlab_sanma::Agent>],
    ) -> std::result::Result<Game, crate::PlayError> {
        crate::session::play_with(&rules, seed, game_id, agents, false, Some(self))
    }
}

impl SanmaLogger {
    fn write_games(
        &mut self,
        game: &Game,
        game_id: u64,
        names: &[String],
        r: &meowlab_sanma::GameResult,
        kyoku: usize,
        source: Option<&str>,
    ) -> Result<()> {
        let rules = serde_json::to_string(game.rules()).expect("rules serialise");
        let mut cols: Vec<ArrayRef> = vec![
            Arc::new(
                UInt64Builder::new()
                    .tap(|b| b.append_value(game_id))
                    .finish(),
            ),
            Arc::new(
                UInt64Builder::new()
                    .tap(|b| b.append_value(game.seed()))
                    .finish(),
            ),
            Arc::new(
                StringBuilder::new()
                    .tap(|b| b.append_value(&rules))
                    .finish(),
            ),
            Arc::new(
                UInt16Builder::new()
                    .tap(|b| b.append_value(kyoku as u16))
                    .finish(),
            ),
            Arc::new(
                UInt32Builder::new()
                    .tap(|b| b.append_value(self.pending.len() as u32))
                    .finish(),
            ),
        ];
        for s in 0..3 {
            let name = names.get(s).map(String::as_str).unwrap_or("");
            cols.push(Arc::new(
                StringBuilder::new().tap(|b| b.append_value(name)).finish(),
            ));
        }
        for s in 0..3 {
            cols.push(Arc::new(
                Int32Builder::new()
                    .tap(|b| b.append_value(r.scores[s]))
                    .finish(),
            ));
        }
        for s in 0..3 {
            cols.push(Arc::new(
                UInt8Builder::new()
                    .tap(|b| b.append_value(r.ranks[s]))
                    .finish(),
            ));
        }
        cols.push(Arc::new(
            StringBuilder::new()
                .tap(|b| b.append_option(source))
                .finish(),
        ));
        let batch =
            RecordBatch::try_new(games_schema(), cols).expect("games columns match the schema");
        self.games.write(&batch)
    }

    fn write_kyoku(&mut self, game_id: u64, rows: &[KyokuRow]) -> Result<()> {
        let mut id = UInt64Builder::new();
        let mut k = UInt16Builder::new();
        let mut wind = StringBuilder::new();
        let mut in_wind = UInt8Builder::new();
        let mut dealer = UInt8Builder::new();
        let mut honba = UInt32Builder::new();
        let mut deposits = UInt32Builder::new();
        let mut result = StringBuilder::new();
        let mut winners = ListBuilder::new(UInt8Builder::new());
        let mut dealt_in = UInt8Builder::new();
        let mut deltas = [
            Int32Builder::new(),
            Int32Builder::new(),
            Int32Builder::new(),
        ];
        for (i, r) in rows.iter().enumerate() {
            id.append_value(game_id);
            k.append_value(i as u16);
            wind.append_value(&r.round_wind);
            in_wind.append_value(r.kyoku_in_wind);
            dealer.append_value(r.dealer);
            honba.append_value(r.honba);
            deposits.append_value(r.deposits);
            result.append_value(&r.result);
            winners.values().append_slice(&r.winners);
            winners.append(true);
            dealt_in.append_option(r.dealt_in);
            for (builder, &d) in deltas.iter_mut().zip(&r.deltas) {
                builder.append_value(d);
            }
        }
        let [mut d0, mut d1, mut d2] = deltas;
        let cols: Vec<ArrayRef> = vec![
            Arc::new(id.finish()),
            Arc::new(k.finish()),
            Arc::new(wind.finish()),
            Arc::new(in_wind.finish()),
            Arc::new(dealer.finish()),
            Arc::new(honba.finish()),
            Arc::new(deposits.finish()),
            Arc::new(result.finish()),
            Arc::new(winners.finish()),
            Arc::new(dealt_in.finish()),
            Arc::new(d0.finish()),
            Arc::new(d1.finish()),
            Arc::new(d2.finish()),
        ];
        self.kyoku.write(
            &RecordBatch::try_new(kyoku_schema(), cols).expect("kyoku columns match the schema"),
        )
    }

    fn write_events(&mut self, game_id: u64, events: &[Event]) -> Result<()> {
        let mut id = UInt64Builder::with_capacity(events.len());
        let mut seq = UInt32Builder::with_capacity(events.len());
        let mut kyoku = UInt16Builder::with_capacity(events.len());
        let mut kind = StringBuilder::new();
        let mut json = StringBuilder::new();
        let mut k = 0u16;
        let mut started = false;
        for (i, e) in events.iter().enumerate() {
            if matches!(e, Event::StartKyoku { .. }) {
                k += started as u16;
                started = true;
            }
            let text = serde_json::to_string(e).expect("events serialise");
            // internally tagged: the JSON starts with {"type":"<name>"
            let ty = text
                .strip_prefix("{\"type\":\"")
                .and_then(|t| t.split('"').next())
                .unwrap_or_default();
            id.append_value(game_id);
            seq.append_value(i as u32);
            kyoku.append_value(k);
            kind.append_value(ty);
            json.append_value(text);
        }
        let cols: Vec<ArrayRef> = vec![
            Arc::new(id.finish()),
            Arc::new(seq.finish()),
            Arc::new(kyoku.finish()),
            Arc::new(kind.finish()),
            Arc::new(json.finish()),
        ];
        self.events.write(
            &RecordBatch::try_new(events_schema(), cols).expect("events columns match the schema"),
        )
    }

    fn write_decisions(
        &mut self,
        game_id: u64,
        kyoku: &[KyokuRow],
        r: &meowlab_sanma::GameResult,
    ) -> Result<()> {
        let n = self.pending.len();
        let mut id = UInt64Builder::with_capacity(n);
        let mut k = UInt16Builder::with_capacity(n);
        let mut step = UInt32Builder::with_capacity(n);
        let mut seat = UInt8Builder::with_capacity(n);
        let mut kind = StringBuilder::new();
        let mut legal = ListBuilder::new(UInt16Builder::new());
        let mut action = UInt16Builder::with_capacity(n);
        let mut tsumogiri = BooleanBuilder::with_capacity(n);
        let mut text = StringBuilder::new();
        let mut policy = ListBuilder::new(Float32Builder::new());
        let mut value = Float32Builder::with_capacity(n);
        let mut delta = Int32Builder::with_capacity(n);
        let mut score = Int32Builder::with_capacity(n);
        let mut rank = UInt8Builder::with_capacity(n);
        let mut obs = FixedSizeBinaryBuilder::new(OBSERVATION_BYTES);
        for d in self.pending.drain(..) {
            id.append_value(game_id);
            k.append_value(d.kyoku);
            step.append_value(d.step);
            seat.append_value(d.seat);
            kind.append_value(d.kind);
            legal.values().append_slice(&d.legal);
            legal.append(true);
            action.append_value(d.action.index());
            tsumogiri.append_value(matches!(
                d.action,
                Action::Discard {
                    tsumogiri: true,
                    ..
                } | Action::Riichi {
                    tsumogiri: true,
                    ..
                }
            ));
            text.append_value(d.action.to_string());
            match &d.output.policy {
                Some(p) => {
                    policy.values().append_slice(p);
                    policy.append(true);
                }
                None => policy.append(false),
            }
            value.append_option(d.output.value);
            delta.append_value(
                kyoku
                    .get(d.kyoku as usize)
                    .map_or(0, |row| row.deltas[d.seat as usize]),
            );
            score.append_value(r.scores[d.seat as usize]);
            rank.append_value(r.ranks[d.seat as usize]);
            match d.observation.as_deref() {
                Some(bytes) if bytes.len() == OBSERVATION_BYTES as usize => {
                    obs.append_value(bytes).expect("length checked")
                }
                _ => obs.append_null(),
            }
        }
        let cols: Vec<ArrayRef> = vec![
            Arc::new(id.finish()),
            Arc::new(k.finish()),
            Arc::new(step.finish()),
            Arc::new(seat.finish()),
            Arc::new(kind.finish()),
            Arc::new(legal.finish()),
            Arc::new(action.finish()),
            Arc::new(tsumogiri.finish()),
            Arc::new(text.finish()),
            Arc::new(policy.finish()),
            Arc::new(value.finish()),
            Arc::new(delta.finish()),
            Arc::new(score.finish()),
            Arc::new(rank.finish()),
            Arc::new(obs.finish()),
        ];
        self.decisions.write(
            &RecordBatch::try_new(decisions_schema(), cols)
                .expect("decision columns match the schema"),
        )
    }
}

fn shard_number(path: &std::path::Path) -> Option<u32> {
    path.file_name()?
        .to_str()?
        .strip_prefix("part-")?
        .strip_suffix(".parquet")?
        .parse()
        .ok()
}

/// A hand's summary, from the events.
struct KyokuRow {
    round_wind: String,
    kyoku_in_wind: u8,
    dealer: u8,
    honba: u32,
    deposits: u32,
    result: String,
    winners: Vec<u8>,
    dealt_in: Option<u8>,
    deltas: [i32; 3],
}

fn kyoku_rows(events: &[Event]) -> Vec<KyokuRow> {
    let mut rows: Vec<KyokuRow> = Vec::new();
    for e in events {
        match e {
            Event::StartKyoku {
                bakaze,
                kyoku,
                honba,
                kyotaku,
                oya,
                ..
            } => rows.push(KyokuRow {
                round_wind: bakaze.mjai().to_owned(),
                kyoku_in_wind: *kyoku,
                dealer: *oya,
                honba: *honba,
                deposits: *kyotaku,
                result: String::new(),
                winners: Vec::new(),
                dealt_in: None,
                deltas: [0; 3],
            }),
            Event::Hora {
                actor,
                target,
                deltas,
                ..
            } => {
                if let Some(r) = rows.last_mut() {
                    r.result = "hora".into();
                    r.winners.push(*actor);
                    if actor != target {
                        r.dealt_in = Some(*target);
                    }
                    for (total, d) in r.deltas.iter_mut().zip(deltas) {
                        *total += d;
                    }
                }
            }
            Event::Ryukyoku { reason, deltas } => {
                if let Some(r) = rows.last_mut() {
                    r.result = format!("ryukyoku:{reason}");
                    for (total, d) in r.deltas.iter_mut().zip(deltas) {
                        *total += d;
                    }
                }
            }
            Event::ReachAccepted { actor } => {
                // the deposit is part of the hand's score change
                if let Some(r) = rows.last_mut() {
                    r.deltas[*actor as usize] -= 1000;
                }
            }
            _ => {}
        }
    }
    rows
}

/// `builder.tap(|b| …)`: fill a builder inline.
trait Tap: Sized {
    fn tap(mut self, f: impl FnOnce(&mut Self)) -> Self {
        f(&mut self);
        self
    }
}

impl<T> Tap for T {}
