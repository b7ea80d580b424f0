//! The `sets` table of an evaluation run: one row per (set, agent) with the raw counts
//! every figure of `evaluation.json` is computed from, so DuckDB or polars can recompute
//! (or re-slice) any of them.

use std::sync::Arc;

use meowlab_store::arrow::builder::{
    Float64Builder, Int64Builder, StringBuilder, UInt32Builder, UInt64Builder,
};
use meowlab_store::arrow::{ArrayRef, DataType, Field, RecordBatch, Schema, SchemaRef};
use meowlab_store::{Run, StoreError, TableWriter, WriterOptions};

use crate::duplicate::{SetResult, SetTally};

/// Name of the table in the run folder.
pub const TABLE: &str = "sets";

/// The counts of one row, in column order (after `set`, `seed`, `agent`, `name`).
const COUNTS: [&str; 18] = [
    "seat_games",
    "first",
    "second",
    "third",
    "busts",
    "hands",
    "wins",
    "deal_ins",
    "riichi",
    "calls",
    "draws",
    "exhaustive_draws",
    "hand_first",
    "hand_second",
    "hand_third",
    "hand_none",
    "rank_sum",
    "games",
];

/// The schema: set (u64), seed (u64), agent ("challenger" | "opponent"), name (the
/// agent's spec), the counts (u32), score_sum, win_points, deal_in_points (i64),
/// rank_points (f64, summed over the row's seat-games).
pub fn schema() -> SchemaRef {
    let mut fields = vec![
        Field::new("set", DataType::UInt64, false),
        Field::new("seed", DataType::UInt64, false),
        Field::new("agent", DataType::Utf8, false),
        Field::new("name", DataType::Utf8, false),
    ];
    fields.extend(
        COUNTS
            .iter()
            .map(|c| Field::new(*c, DataType::UInt32, false)),
    );
    for c in ["score_sum", "win_points", "deal_in_points"] {
        fields.push(Field::new(c, DataType::Int64, false));
    }
    fields.push(Field::new("rank_points", DataType::Float64, false));
    Arc::new(Schema::new(fields))
}

fn counts(t: &SetTally) -> [u32; 18] {
    let s = &t.stats;
    let rank_sum = s.ranks[0] + 2 * s.ranks[1] + 3 * s.ranks[2];
    [
        t.seat_games,
        s.ranks[0],
        s.ranks[1],
        s.ranks[2],
        s.busts,
        s.kyoku,
        s.wins,
        s.deal_ins,
        s.riichi,
        s.calls,
        s.draws,
        s.exhaustive_draws,
        s.hand_places[0],
        s.hand_places[1],
        s.hand_places[2],
        s.hand_places[3],
        rank_sum,
        s.games,
    ]
}

/// Writes `sets` (both agents of each) as the run's `sets` table, one shard.
pub fn write(run: &Run, sets: &[SetResult], names: [&str; 2]) -> Result<(), StoreError> {
    let (mut set, mut seed) = (UInt64Builder::new(), UInt64Builder::new());
    let (mut agent, mut name) = (StringBuilder::new(), StringBuilder::new());
    let mut count_cols: Vec<UInt32Builder> = COUNTS.iter().map(|_| UInt32Builder::new()).collect();
    let mut points: Vec<Int64Builder> = (0..3).map(|_| Int64Builder::new()).collect();
    let mut rank_points = Float64Builder::new();
    for s in sets {
        for (label, who, tally) in [
            ("challenger", names[0], &s.challenger),
            ("opponent", names[1], &s.opponent),
        ] {
            set.append_value(s.set as u64);
            seed.append_value(s.seed);
            agent.append_value(label);
            name.append_value(who);
            for (col, v) in count_cols.iter_mut().zip(counts(tally)) {
                col.append_value(v);
            }
            let st = &tally.stats;
            for (col, v) in points
                .iter_mut()
                .zip([st.score_sum, st.win_points, st.deal_in_points])
            {
                col.append_value(v);
            }
            rank_points.append_value(tally.rank_points);
        }
    }
    let mut columns: Vec<ArrayRef> = vec![
        Arc::new(set.finish()),
        Arc::new(seed.finish()),
        Arc::new(agent.finish()),
        Arc::new(name.finish()),
    ];
    columns.extend(
        count_cols
            .iter_mut()
            .map(|c| Arc::new(c.finish()) as ArrayRef),
    );
    columns.extend(points.iter_mut().map(|c| Arc::new(c.finish()) as ArrayRef));
    columns.push(Arc::new(rank_points.finish()));
    let batch = RecordBatch::try_new(schema(), columns).expect("the columns follow the schema");
    let mut writer = TableWriter::open(&run.dir().join(TABLE), schema(), WriterOptions::default())?;
    writer.write(&batch)?;
    writer.close()
}
