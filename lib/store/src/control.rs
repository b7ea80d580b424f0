//! The control tables of a run, with Minari's column names: `steps` (one row per
//! environment step, Hive-partitioned by `phase=train|eval`) and `episodes`.

use std::path::PathBuf;
use std::sync::Arc;

use arrow_array::builder::{
    BooleanBuilder, FixedSizeListBuilder, Float32Builder, Float64Builder, UInt32Builder,
    UInt64Builder,
};
use arrow_array::{ArrayRef, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema, SchemaRef};

use crate::error::Result;
use crate::run::Run;
use crate::table::{TableWriter, WriterOptions};

/// Training or evaluation (the `phase=` partition of `steps`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Phase {
    /// Steps taken while learning.
    Train,
    /// Steps of a deterministic evaluation.
    Eval,
}

impl Phase {
    /// The partition value.
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Train => "train",
            Phase::Eval => "eval",
        }
    }
}

/// `steps` for observations of `obs_dim` and actions of `act_dim` floats (a discrete
/// action is one float holding its index). `thread` is the actor-learner thread that took
/// a training step (A3C), null for single-threaded algorithms and evaluations; added last
/// and nullable, so files written before it still read.
pub fn steps_schema(obs_dim: i32, act_dim: i32) -> SchemaRef {
    let f32_list =
        |n: i32| DataType::FixedSizeList(Arc::new(Field::new("item", DataType::Float32, false)), n);
    Arc::new(Schema::new(vec![
        Field::new("episode_id", DataType::UInt64, false),
        Field::new("step", DataType::UInt32, false),
        Field::new("observation", f32_list(obs_dim), false),
        Field::new("action", f32_list(act_dim), false),
        Field::new("reward", DataType::Float64, false),
        Field::new("terminated", DataType::Boolean, false),
        Field::new("truncated", DataType::Boolean, false),
        Field::new("log_prob", DataType::Float32, true),
        Field::new("value", DataType::Float32, true),
        Field::new("thread", DataType::UInt32, true),
    ]))
}

/// `episodes`: one row per finished episode.
pub fn episodes_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("episode_id", DataType::UInt64, false),
        Field::new("seed", DataType::UInt64, false),
        Field::new("phase", DataType::Utf8, false),
        Field::new("return", DataType::Float64, false),
        Field::new("length", DataType::UInt32, false),
        Field::new("global_step", DataType::UInt64, false),
        Field::new("thread", DataType::UInt32, true),
    ]))
}

/// One environment step.
#[derive(Clone, Debug, PartialEq)]
pub struct Step<'a> {
    /// Observation before the action.
    pub observation: &'a [f32],
    /// The action taken.
    pub action: &'a [f32],
    /// Reward received.
    pub reward: f64,
    /// The episode ended in a terminal state.
    pub terminated: bool,
    /// The episode was cut by a time limit.
    pub truncated: bool,
    /// Log-probability of the action under the policy, when stochastic.
    pub log_prob: Option<f32>,
    /// The critic's value of the observation, when there is one.
    pub value: Option<f32>,
    /// The actor-learner thread that took the step (A3C).
    pub thread: Option<u32>,
}

struct StepBuffer {
    episode: UInt64Builder,
    step: UInt32Builder,
    obs: FixedSizeListBuilder<Float32Builder>,
    act: FixedSizeListBuilder<Float32Builder>,
    reward: Float64Builder,
    terminated: BooleanBuilder,
    truncated: BooleanBuilder,
    log_prob: Float32Builder,
    value: Float32Builder,
    thread: UInt32Builder,
    rows: usize,
}

impl StepBuffer {
    fn new(obs_dim: i32, act_dim: i32) -> Self {
        StepBuffer {
            episode: UInt64Builder::new(),
            step: UInt32Builder::new(),
            obs: FixedSizeListBuilder::new(Float32Builder::new(), obs_dim).with_field(Field::new(
                "item",
                DataType::Float32,
                false,
            )),
            act: FixedSizeListBuilder::new(Float32Builder::new(), act_dim).with_field(Field::new(
                "item",
                DataType::Float32,
                false,
            )),
            reward: Float64Builder::new(),
            terminated: BooleanBuilder::new(),
            truncated: BooleanBuilder::new(),
            log_prob: Float32Builder::new(),
            value: Float32Builder::new(),
            thread: UInt32Builder::new(),
            rows: 0,
        }
    }

    fn batch(&mut self, schema: &SchemaRef) -> RecordBatch {
        self.rows = 0;
        let cols: Vec<ArrayRef> = vec![
            Arc::new(self.episode.finish()),
            Arc::new(self.step.finish()),
            Arc::new(self.obs.finish()),
            Arc::new(self.act.finish()),
            Arc::new(self.reward.finish()),
            Arc::new(self.terminated.finish()),
            Arc::new(self.truncated.finish()),
            Arc::new(self.log_prob.finish()),
            Arc::new(self.value.finish()),
            Arc::new(self.thread.finish()),
        ];
        RecordBatch::try_new(schema.clone(), cols).expect("step columns match the schema")
    }
}

/// Writes `steps` and `episodes` of a control run, buffering rows in memory and
/// handing them to the shard writers in batches.
pub struct ControlLogger {
    obs_dim: usize,
    act_dim: usize,
    schema: SchemaRef,
    steps: [(TableWriter, StepBuffer); 2],
    episodes: TableWriter,
    dir: PathBuf,
    /// Rows buffered per phase before they go to the shard writer.
    pub batch_rows: usize,
}

impl ControlLogger {
    /// Opens (or appends to) the control tables of `run`.
    pub fn create(
        run: &Run,
        obs_dim: usize,
        act_dim: usize,
        options: WriterOptions,
    ) -> Result<ControlLogger> {
        let schema = steps_schema(obs_dim as i32, act_dim as i32);
        let steps = run.dir().join("steps");
        let open = |phase: Phase| -> Result<(TableWriter, StepBuffer)> {
            let w = TableWriter::open(
                &steps.join(format!("phase={}", phase.as_str())),
                schema.clone(),
                options,
            )?;
            Ok((w, StepBuffer::new(obs_dim as i32, act_dim as i32)))
        };
        Ok(ControlLogger {
            obs_dim,
            act_dim,
            schema: schema.clone(),
            steps: [open(Phase::Train)?, open(Phase::Eval)?],
            episodes: TableWriter::open(&run.dir().join("episodes"), episodes_schema(), options)?,
            dir: run.dir().to_owned(),
            batch_rows: 64 * 1024,
        })
    }

    /// Appends one step of episode `episode_id`.
    pub fn step(&mut self, phase: Phase, episode_id: u64, index: u32, s: &Step<'_>) -> Result<()> {
        if s.observation.len() != self.obs_dim || s.action.len() != self.act_dim {
            return Err(crate::StoreError::Write {
                path: self.dir.join("steps"),
                reason: format!(
                    "step has {} observation and {} action values; the table has {} and {}",
                    s.observation.len(),
                    s.action.len(),
                    self.obs_dim,
                    self.act_dim
                ),
            });
        }
        let (writer, b) = &mut self.steps[phase as usize];
        b.episode.append_value(episode_id);
        b.step.append_value(index);
        b.obs.values().append_slice(s.observation);
        b.obs.append(true);
        b.act.values().append_slice(s.action);
        b.act.append(true);
        b.reward.append_value(s.reward);
        b.terminated.append_value(s.terminated);
        b.truncated.append_value(s.truncated);
        b.log_prob.append_option(s.log_prob);
        b.value.append_option(s.value);
        b.thread.append_option(s.thread);
        b.rows += 1;
        if b.rows >= self.batch_rows {
            writer.write(&b.batch(&self.schema))?;
        }
        Ok(())
    }

    /// Records a finished episode (`thread`: the A3C thread that played it).
    #[allow(clippy::too_many_arguments)]
    pub fn episode(
        &mut self,
        phase: Phase,
        episode_id: u64,
        seed: u64,
        ret: f64,
        length: u32,
        global_step: u64,
        thread: Option<u32>,
    ) -> Result<()> {
        let cols: Vec<ArrayRef> = vec![
            Arc::new(arrow_array::UInt64Array::from(vec![episode_id])),
            Arc::new(arrow_array::UInt64Array::from(vec![seed])),
            Arc::new(StringArray::from(vec![phase.as_str()])),
            Arc::new(arrow_array::Float64Array::from(vec![ret])),
            Arc::new(arrow_array::UInt32Array::from(vec![length])),
            Arc::new(arrow_array::UInt64Array::from(vec![global_step])),
            Arc::new(arrow_array::UInt32Array::from(vec![thread])),
        ];
        self.episodes.write(
            &RecordBatch::try_new(episodes_schema(), cols)
                .expect("episode columns match the schema"),
        )
    }

    /// Writes the buffered rows and completes every open shard (a checkpoint).
    pub fn flush(&mut self) -> Result<()> {
        for (writer, b) in &mut self.steps {
            if b.rows > 0 {
                writer.write(&b.batch(&self.schema))?;
            }
            writer.finish_shard()?;
        }
        self.episodes.finish_shard()
    }

    /// Flushes and closes.
    pub fn close(mut self) -> Result<()> {
        self.flush()
    }
}
