//! `samples`: what self-play actors hand to the learner, one row per sampled decision
//! stage of a learning model (a discard, or a Pon/Kan/Kita/Riichi yes-or-no), with
//! everything a policy-gradient learner needs and nothing it must recompute: the packed
//! tile planes, the legal classes, the class taken (and the class the heuristic teacher
//! would take, for imitation), its behaviour log-probability, the value estimate when
//! acting, the reward that followed and the return from this step on, the policy version
//! that acted and who sat at the table.
//!
//! The table is partitioned by update (`samples/update=00000042/part-00001.parquet`): an
//! actor writes one partition per batch of games and the learner consumes whole
//! partitions, so actors and learner share nothing but files and can run as threads, as
//! processes, or on other machines over a shared filesystem. A partition exists once its
//! shard is renamed into place ([`crate::table`]), so a reader never sees half of one.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::builder::{
    BinaryBuilder, Float32Builder, ListBuilder, StringBuilder, UInt32Builder, UInt64Builder,
    UInt8Builder,
};
use arrow_array::{
    Array, ArrayRef, BinaryArray, Float32Array, ListArray, RecordBatch, StringArray, UInt32Array,
    UInt64Array, UInt8Array,
};
use arrow_schema::{DataType, Field, Schema, SchemaRef};

use crate::error::{Result, StoreError};
use crate::table::{shards, TableReader, TableWriter, WriterOptions};

/// The `samples` schema.
pub fn samples_schema() -> SchemaRef {
    let list = |t: DataType| DataType::List(Arc::new(Field::new("item", t, true)));
    Arc::new(Schema::new(vec![
        Field::new("game_id", DataType::UInt64, false),
        Field::new("seat", DataType::UInt8, false),
        Field::new("step", DataType::UInt32, false),
        Field::new("hand", DataType::UInt32, false),
        Field::new("policy_version", DataType::UInt64, false),
        Field::new("model", DataType::Utf8, false),
        Field::new("legal", list(DataType::UInt8), false),
        Field::new("class", DataType::UInt8, false),
        Field::new("teacher_class", DataType::UInt8, true),
        Field::new("log_prob", DataType::Float32, false),
        Field::new("value", DataType::Float32, true),
        Field::new("reward", DataType::Float32, false),
        Field::new("return", DataType::Float32, false),
        Field::new("opponents", list(DataType::Utf8), false),
        Field::new("final_rank", DataType::UInt8, false),
        Field::new("observation", DataType::Binary, false),
    ]))
}

/// One row of `samples`.
#[derive(Clone, Debug, PartialEq)]
pub struct SampleRow {
    /// The game (its index in the run's schedule).
    pub game_id: u64,
    /// The seat that decided.
    pub seat: u8,
    /// Index of this step among the seat's steps in the game.
    pub step: u32,
    /// The hand it belongs to (0 = the game's first hand).
    pub hand: u32,
    /// Updates the acting policy had seen.
    pub policy_version: u64,
    /// The model of the stage (`discard`, `pon`, `kan`, `kita`, `riichi`).
    pub model: String,
    /// Classes the model could choose (tile kinds for `discard`, 0/1 otherwise).
    pub legal: Vec<u8>,
    /// The class taken.
    pub class: u8,
    /// The class the heuristic teacher would take here, when recorded (imitation, or a
    /// learner with a teacher prior).
    pub teacher_class: Option<u8>,
    /// Its log-probability under the acting policy, over the legal classes.
    pub log_prob: f32,
    /// The value estimate when acting, if the actor had one.
    pub value: Option<f32>,
    /// Reward received after this step, before the seat's next one.
    pub reward: f32,
    /// Sum of the rewards from this step to the end of the game.
    pub r#return: f32,
    /// Who sat in seats 0, 1, 2 (`learner`, `past3`, `sl`, `heuristic`).
    pub opponents: [String; 3],
    /// The seat's final rank (1..=3).
    pub final_rank: u8,
    /// The seat's view as packed tile planes (`meowlab_sanma::planes`).
    pub observation: Vec<u8>,
}

/// The partition folder of `update` under `<run>/samples`.
pub fn samples_partition(run_dir: &Path, update: u64) -> PathBuf {
    run_dir.join("samples").join(format!("update={update:08}"))
}

/// Whether `update`'s partition has a finished shard.
pub fn samples_ready(run_dir: &Path, update: u64) -> Result<bool> {
    Ok(!shards(&samples_partition(run_dir, update))?.is_empty())
}

/// Writes `rows` as one shard into the folder `dir` (a partition, or a sub-partition of
/// one, e.g. `update=…/actor=1`).
pub fn write_rows(dir: &Path, rows: &[SampleRow], options: WriterOptions) -> Result<()> {
    let mut game_id = UInt64Builder::new();
    let mut seat = UInt8Builder::new();
    let mut step = UInt32Builder::new();
    let mut hand = UInt32Builder::new();
    let mut version = UInt64Builder::new();
    let mut model = StringBuilder::new();
    let mut legal = ListBuilder::new(UInt8Builder::new());
    let mut class = UInt8Builder::new();
    let mut teacher = UInt8Builder::new();
    let mut log_prob = Float32Builder::new();
    let mut value = Float32Builder::new();
    let mut reward = Float32Builder::new();
    let mut ret = Float32Builder::new();
    let mut opponents = ListBuilder::new(StringBuilder::new());
    let mut rank = UInt8Builder::new();
    let mut observation = BinaryBuilder::new();
    for r in rows {
        game_id.append_value(r.game_id);
        seat.append_value(r.seat);
        step.append_value(r.step);
        hand.append_value(r.hand);
        version.append_value(r.policy_version);
        model.append_value(&r.model);
        legal.values().append_slice(&r.legal);
        legal.append(true);
        class.append_value(r.class);
        teacher.append_option(r.teacher_class);
        log_prob.append_value(r.log_prob);
        value.append_option(r.value);
        reward.append_value(r.reward);
        ret.append_value(r.r#return);
        for o in &r.opponents {
            opponents.values().append_value(o);
        }
        opponents.append(true);
        rank.append_value(r.final_rank);
        observation.append_value(&r.observation);
    }
    let columns: Vec<ArrayRef> = vec![
        Arc::new(game_id.finish()),
        Arc::new(seat.finish()),
        Arc::new(step.finish()),
        Arc::new(hand.finish()),
        Arc::new(version.finish()),
        Arc::new(model.finish()),
        Arc::new(legal.finish()),
        Arc::new(class.finish()),
        Arc::new(teacher.finish()),
        Arc::new(log_prob.finish()),
        Arc::new(value.finish()),
        Arc::new(reward.finish()),
        Arc::new(ret.finish()),
        Arc::new(opponents.finish()),
        Arc::new(rank.finish()),
        Arc::new(observation.finish()),
    ];
    let batch = RecordBatch::try_new(samples_schema(), columns).map_err(|e| StoreError::Write {
        path: dir.to_path_buf(),
        reason: e.to_string(),
    })?;
    let mut writer = TableWriter::open(dir, samples_schema(), options)?;
    writer.write(&batch)?;
    writer.close()
}

/// Reads `update`'s partition, every actor's rows (analysis; the learner reads each
/// actor's sub-partition with [`read_rows`]).
pub fn read_samples(run_dir: &Path, update: u64) -> Result<Vec<SampleRow>> {
    read_rows(&samples_partition(run_dir, update))
}

/// Reads every shard under `dir` (recursing into `key=value` folders, in name order).
pub fn read_rows(dir: &Path) -> Result<Vec<SampleRow>> {
    let reader = TableReader::open(dir, Some(samples_schema()))?;
    let mut out = Vec::new();
    for path in reader.files().to_vec() {
        for batch in reader.shard(&path).read(None)? {
            read_batch(&batch, &path, &mut out)?;
        }
    }
    Ok(out)
}

fn column<'a, A: Array + 'static>(
    batch: &'a RecordBatch,
    name: &str,
    path: &Path,
) -> Result<&'a A> {
    batch
        .column_by_name(name)
        .and_then(|c| c.as_any().downcast_ref::<A>())
        .ok_or_else(|| StoreError::SchemaMismatch {
            path: path.to_owned(),
            reason: format!("column {name:?} is missing or has another type"),
        })
}

fn read_batch(batch: &RecordBatch, path: &Path, out: &mut Vec<SampleRow>) -> Result<()> {
    let game_id = column::<UInt64Array>(batch, "game_id", path)?;
    let seat = column::<UInt8Array>(batch, "seat", path)?;
    let step = column::<UInt32Array>(batch, "step", path)?;
    let hand = column::<UInt32Array>(batch, "hand", path)?;
    let version = column::<UInt64Array>(batch, "policy_version", path)?;
    let model = column::<StringArray>(batch, "model", path)?;
    let legal = column::<ListArray>(batch, "legal", path)?;
    let class = column::<UInt8Array>(batch, "class", path)?;
    let teacher = column::<UInt8Array>(batch, "teacher_class", path)?;
    let log_prob = column::<Float32Array>(batch, "log_prob", path)?;
    let value = column::<Float32Array>(batch, "value", path)?;
    let reward = column::<Float32Array>(batch, "reward", path)?;
    let ret = column::<Float32Array>(batch, "return", path)?;
    let opponents = column::<ListArray>(batch, "opponents", path)?;
    let rank = column::<UInt8Array>(batch, "final_rank", path)?;
    let observation = column::<BinaryArray>(batch, "observation", path)?;
    let bad = |reason: String| StoreError::SchemaMismatch {
        path: path.to_owned(),
        reason,
    };
    for i in 0..batch.num_rows() {
        let legal_i = legal.value(i);
        let legal_i = legal_i
            .as_any()
            .downcast_ref::<UInt8Array>()
            .ok_or_else(|| bad("legal is not a list of u8".into()))?;
        let opp = opponents.value(i);
        let opp = opp
            .as_any()
            .downcast_ref::<StringArray>()
            .ok_or_else(|| bad("opponents is not a list of strings".into()))?;
        if opp.len() != 3 {
            return Err(bad(format!("row {i}: {} opponents, not 3", opp.len())));
        }
        out.push(SampleRow {
            game_id: game_id.value(i),
            seat: seat.value(i),
            step: step.value(i),
            hand: hand.value(i),
            policy_version: version.value(i),
            model: model.value(i).to_string(),
            legal: legal_i.values().to_vec(),
            class: class.value(i),
            teacher_class: (!teacher.is_null(i)).then(|| teacher.value(i)),
            log_prob: log_prob.value(i),
            value: (!value.is_null(i)).then(|| value.value(i)),
            reward: reward.value(i),
            r#return: ret.value(i),
            opponents: [0, 1, 2].map(|k| opp.value(k).to_string()),
            final_rank: rank.value(i),
            observation: observation.value(i).to_vec(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_round_trip_per_update() {
        let dir = std::env::temp_dir().join(format!("meowlab-samples-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let row = |game: u64, value: Option<f32>| SampleRow {
            teacher_class: value.map(|_| 5),
            game_id: game,
            seat: 2,
            step: 7,
            hand: 2,
            policy_version: 41,
            model: "discard".into(),
            legal: vec![0, 5, 27],
            class: 27,
            log_prob: -0.25,
            value,
            reward: 0.5,
            r#return: -1.0,
            opponents: ["sl".into(), "heuristic".into(), "learner".into()],
            final_rank: 3,
            observation: vec![1, 2, 255],
        };
        let rows = vec![row(3, Some(0.125)), row(4, None)];
        assert!(!samples_ready(&dir, 42).unwrap());
        write_rows(
            &samples_partition(&dir, 42),
            &rows,
            WriterOptions::default(),
        )
        .unwrap();
        assert!(samples_ready(&dir, 42).unwrap());
        assert!(!samples_ready(&dir, 43).unwrap());
        assert_eq!(read_samples(&dir, 42).unwrap(), rows);
        assert!(read_samples(&dir, 43).is_err(), "no such partition");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
