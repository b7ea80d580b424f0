//! The `explanations` table of a run: Shapley values in long form, one row per
//! (explanation, player), so "mean |φ| per block over 1,000 decisions" is one group-by
//! in DuckDB or polars. Every row says what was explained, how the missing features were
//! filled (on-manifold or interventional) and how the values were computed.

use std::sync::Arc;

use arrow_array::builder::{
    Float64Builder, StringBuilder, UInt16Builder, UInt32Builder, UInt64Builder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef};

use crate::error::Result;
use crate::run::Run;
use crate::table::{TableWriter, WriterOptions};

/// `explanations`: explanation_id, kind, target, conditioning, method, game_id, step,
/// episode_id, player_index, player, value, stderr, base (v(∅)), full (v(F)).
pub fn explanations_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("explanation_id", DataType::UInt64, false),
        Field::new("kind", DataType::Utf8, false),
        Field::new("target", DataType::Utf8, false),
        Field::new("conditioning", DataType::Utf8, false),
        Field::new("method", DataType::Utf8, false),
        Field::new("game_id", DataType::UInt64, true),
        Field::new("step", DataType::UInt32, true),
        Field::new("episode_id", DataType::UInt64, true),
        Field::new("player_index", DataType::UInt16, false),
        Field::new("player", DataType::Utf8, false),
        Field::new("value", DataType::Float64, false),
        Field::new("stderr", DataType::Float64, true),
        Field::new("base", DataType::Float64, false),
        Field::new("full", DataType::Float64, false),
    ]))
}

/// One explained decision or state.
#[derive(Clone, Debug, PartialEq)]
pub struct Explanation {
    /// Unique within the run.
    pub explanation_id: u64,
    /// "value", "policy" (Sanma: the model's top tile), "policy_logged" (Sanma: the
    /// logged discard), "performance_local" or "performance_global".
    pub kind: String,
    /// What number was explained, e.g. "p(discard 5p)" or "V(s)".
    pub target: String,
    /// "on-manifold (learned)", "on-manifold (exact matching)", "on-manifold (kernel)" or
    /// "interventional (off-manifold)".
    pub conditioning: String,
    /// "exact" or "sampled (N pairs)".
    pub method: String,
    /// The Sanma game, when a decision was explained.
    pub game_id: Option<u64>,
    /// The decision's step in its game, or the step in its episode.
    pub step: Option<u32>,
    /// The control episode, when a state was explained.
    pub episode_id: Option<u64>,
    /// Player names (features or feature blocks).
    pub players: Vec<String>,
    /// φ per player.
    pub values: Vec<f64>,
    /// Standard error per player (sampled values only).
    pub stderr: Option<Vec<f64>>,
    /// v(∅).
    pub base: f64,
    /// v(F).
    pub full: f64,
}

/// Writes explanations to the run's `explanations` table.
pub struct ExplanationLogger {
    writer: TableWriter,
    rows: Vec<Explanation>,
}

impl ExplanationLogger {
    /// Opens (or appends to) `explanations` of `run`.
    pub fn create(run: &Run, options: WriterOptions) -> Result<ExplanationLogger> {
        Ok(ExplanationLogger {
            writer: TableWriter::open(
                &run.dir().join("explanations"),
                explanations_schema(),
                options,
            )?,
            rows: Vec::new(),
        })
    }

    /// Buffers one explanation (players, values and standard errors of equal length).
    pub fn record(&mut self, e: Explanation) {
        debug_assert_eq!(e.players.len(), e.values.len());
        self.rows.push(e);
    }

    /// Writes the buffered explanations and completes the shard.
    pub fn flush(&mut self) -> Result<()> {
        if !self.rows.is_empty() {
            let mut id = UInt64Builder::new();
            let (mut kind, mut target, mut cond, mut method) = (
                StringBuilder::new(),
                StringBuilder::new(),
                StringBuilder::new(),
                StringBuilder::new(),
            );
            let (mut game, mut step, mut episode) = (
                UInt64Builder::new(),
                UInt32Builder::new(),
                UInt64Builder::new(),
            );
            let (mut index, mut player) = (UInt16Builder::new(), StringBuilder::new());
            let (mut value, mut stderr, mut base, mut full) = (
                Float64Builder::new(),
                Float64Builder::new(),
                Float64Builder::new(),
                Float64Builder::new(),
            );
            for e in self.rows.drain(..) {
                for (i, (name, v)) in e.players.iter().zip(&e.values).enumerate() {
                    id.append_value(e.explanation_id);
                    kind.append_value(&e.kind);
                    target.append_value(&e.target);
                    cond.append_value(&e.conditioning);
                    method.append_value(&e.method);
                    game.append_option(e.game_id);
                    step.append_option(e.step);
                    episode.append_option(e.episode_id);
                    index.append_value(i as u16);
                    player.append_value(name);
                    value.append_value(*v);
                    stderr.append_option(e.stderr.as_ref().map(|s| s[i]));
                    base.append_value(e.base);
                    full.append_value(e.full);
                }
            }
            let cols: Vec<ArrayRef> = vec![
                Arc::new(id.finish()),
                Arc::new(kind.finish()),
                Arc::new(target.finish()),
                Arc::new(cond.finish()),
                Arc::new(method.finish()),
                Arc::new(game.finish()),
                Arc::new(step.finish()),
                Arc::new(episode.finish()),
                Arc::new(index.finish()),
                Arc::new(player.finish()),
                Arc::new(value.finish()),
                Arc::new(stderr.finish()),
                Arc::new(base.finish()),
                Arc::new(full.finish()),
            ];
            let batch = RecordBatch::try_new(explanations_schema(), cols)
                .expect("explanation columns match the schema");
            self.writer.write(&batch)?;
        }
        self.writer.finish_shard()
    }
}

/// The id the next explanation of the run at `run_dir` gets: one more than the largest
/// logged, 0 when there are none. An explanations shard that cannot be read is an
/// error (guessing would reuse ids and mix two explanations).
pub fn next_explanation_id(run_dir: &std::path::Path) -> crate::Result<u64> {
    if !run_dir.join("explanations").is_dir() {
        return Ok(0);
    }
    let mut loaded = crate::browse::explanations(run_dir)?;
    if !loaded.problems.is_empty() {
        return Err(loaded.problems.swap_remove(0));
    }
    Ok(loaded
        .rows
        .iter()
        .map(|e| e.explanation_id + 1)
        .max()
        .unwrap_or(0))
}
