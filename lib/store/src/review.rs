//! The `review` table of a Sanma run: what a model thinks of every logged decision (a
//! human's imported game or any agent's), beside `decisions` — its probabilities over the
//! action space, its preferred action, and the gap between its favourite and the action
//! taken that orders the workbench's worst-decisions list. Written by `meowlab review`.

use std::sync::Arc;

use arrow_array::builder::{
    Float32Builder, ListBuilder, StringBuilder, UInt16Builder, UInt32Builder, UInt64Builder,
    UInt8Builder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef};

use crate::error::Result;
use crate::run::Run;
use crate::table::{TableWriter, WriterOptions};

/// `review`: game_id, step (as in `decisions`), seat, action (taken), preferred (the
/// greedy model's choice), p_action, p_preferred, gap (highest probability − p_action),
/// policy (over the action space), reviewer.
pub fn review_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("game_id", DataType::UInt64, false),
        Field::new("step", DataType::UInt32, false),
        Field::new("seat", DataType::UInt8, false),
        Field::new("action", DataType::UInt16, false),
        Field::new("preferred", DataType::UInt16, false),
        Field::new("p_action", DataType::Float32, false),
        Field::new("p_preferred", DataType::Float32, false),
        Field::new("gap", DataType::Float32, false),
        Field::new(
            "policy",
            DataType::List(Arc::new(Field::new("item", DataType::Float32, true))),
            false,
        ),
        Field::new("reviewer", DataType::Utf8, false),
    ]))
}

/// One reviewed decision.
#[derive(Clone, Debug, PartialEq)]
pub struct ReviewRow {
    /// The game.
    pub game_id: u64,
    /// The decision's step in its game (`decisions.step`).
    pub step: u32,
    /// The deciding seat.
    pub seat: u8,
    /// Index of the action taken.
    pub action: u16,
    /// Index of the action the reviewer would take.
    pub preferred: u16,
    /// The reviewer's probability of the action taken.
    pub p_action: f32,
    /// The reviewer's probability of its preferred action.
    pub p_preferred: f32,
    /// The highest probability the reviewer gives any action, minus `p_action`: how far
    /// the action taken is from the reviewer's favourite (the workbench's gap). Not always
    /// `p_preferred − p_action`: the greedy model takes Kita, kans, pon and riichi only
    /// above one half, so its choice need not be its most probable action.
    pub gap: f32,
    /// The reviewer's probabilities over the action space.
    pub policy: Vec<f32>,
    /// Who reviewed (e.g. "model:data/runs/x/models").
    pub reviewer: String,
}

/// Writes the run's `review` table.
pub struct ReviewLogger {
    writer: TableWriter,
}

impl ReviewLogger {
    /// Opens `review` of `run`, replacing an earlier review.
    pub fn create(run: &Run, options: WriterOptions) -> Result<ReviewLogger> {
        let dir = run.dir().join("review");
        if dir.exists() {
            std::fs::remove_dir_all(&dir).map_err(|e| crate::StoreError::io(&dir, e))?;
        }
        Ok(ReviewLogger {
            writer: TableWriter::open(&run.dir().join("review"), review_schema(), options)?,
        })
    }

    /// Writes `rows` as one batch.
    pub fn write(&mut self, rows: &[ReviewRow]) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let (mut game, mut step, mut seat) = (
            UInt64Builder::new(),
            UInt32Builder::new(),
            UInt8Builder::new(),
        );
        let (mut action, mut preferred) = (UInt16Builder::new(), UInt16Builder::new());
        let (mut p_action, mut p_preferred, mut gap) = (
            Float32Builder::new(),
            Float32Builder::new(),
            Float32Builder::new(),
        );
        let mut policy = ListBuilder::new(Float32Builder::new());
        let mut reviewer = StringBuilder::new();
        for r in rows {
            game.append_value(r.game_id);
            step.append_value(r.step);
            seat.append_value(r.seat);
            action.append_value(r.action);
            preferred.append_value(r.preferred);
            p_action.append_value(r.p_action);
            p_preferred.append_value(r.p_preferred);
            gap.append_value(r.gap);
            policy.values().append_slice(&r.policy);
            policy.append(true);
            reviewer.append_value(&r.reviewer);
        }
        let cols: Vec<ArrayRef> = vec![
            Arc::new(game.finish()),
            Arc::new(step.finish()),
            Arc::new(seat.finish()),
            Arc::new(action.finish()),
            Arc::new(preferred.finish()),
            Arc::new(p_action.finish()),
            Arc::new(p_preferred.finish()),
            Arc::new(gap.finish()),
            Arc::new(policy.finish()),
            Arc::new(reviewer.finish()),
        ];
        let batch =
            RecordBatch::try_new(review_schema(), cols).expect("review columns match the schema");
        self.writer.write(&batch)
    }

    /// Completes the table.
    pub fn close(mut self) -> Result<()> {
        self.writer.finish_shard()
    }
}
