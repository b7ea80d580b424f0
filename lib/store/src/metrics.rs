//! The `metrics` table of a run: scalars over training in long ("tidy") form, one row per
//! (global step, name), so any learning curve is one filter away in polars or DuckDB.

use std::path::Path;
use std::sync::Arc;

use arrow_array::builder::{Float64Builder, StringBuilder, UInt64Builder};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef};

use crate::error::Result;
use crate::run::Run;
use crate::table::{TableWriter, WriterOptions};

/// `metrics`: global_step, wall_time_s (seconds of training so far), name, value.
pub fn metrics_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("global_step", DataType::UInt64, false),
        Field::new("wall_time_s", DataType::Float64, false),
        Field::new("name", DataType::Utf8, false),
        Field::new("value", DataType::Float64, false),
    ]))
}

/// Buffers metric rows and writes them to the run's `metrics` table.
pub struct MetricsLogger {
    writer: TableWriter,
    step: UInt64Builder,
    wall: Float64Builder,
    name: StringBuilder,
    value: Float64Builder,
    rows: usize,
}

impl MetricsLogger {
    /// Opens (or appends to) `metrics` of `run`.
    pub fn create(run: &Run, options: WriterOptions) -> Result<MetricsLogger> {
        Self::open(&run.dir().join("metrics"), options)
    }

    /// Opens (or appends to) a `metrics` table at `dir` (e.g. a trained model's folder).
    pub fn open(dir: &Path, options: WriterOptions) -> Result<MetricsLogger> {
        Ok(MetricsLogger {
            writer: TableWriter::open(dir, metrics_schema(), options)?,
            step: UInt64Builder::new(),
            wall: Float64Builder::new(),
            name: StringBuilder::new(),
            value: Float64Builder::new(),
            rows: 0,
        })
    }

    /// Appends one scalar.
    pub fn log(&mut self, global_step: u64, wall_time_s: f64, name: &str, value: f64) {
        self.step.append_value(global_step);
        self.wall.append_value(wall_time_s);
        self.name.append_value(name);
        self.value.append_value(value);
        self.rows += 1;
    }

    /// Writes buffered rows and completes the shard (a checkpoint).
    pub fn flush(&mut self) -> Result<()> {
        if self.rows > 0 {
            let cols: Vec<ArrayRef> = vec![
                Arc::new(self.step.finish()),
                Arc::new(self.wall.finish()),
                Arc::new(self.name.finish()),
                Arc::new(self.value.finish()),
            ];
            self.rows = 0;
            let batch = RecordBatch::try_new(metrics_schema(), cols)
                .expect("metric columns match the schema");
            self.writer.write(&batch)?;
        }
        self.writer.finish_shard()
    }
}
