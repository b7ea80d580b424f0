//! The trajectory store: every decision and step goes to Parquet in a run directory.
//!
//! A run is `data/runs/<run_id>/` with `run.json` ([`Run`]) and one folder per table
//! (`games/`, `kyoku/`, `decisions/`, `events/` for Sanma; `steps/`, `episodes/` for
//! control), each a set of zstd-compressed shards `part-00001.parquet` … that pyarrow,
//! DuckDB, polars and Spark read as one dataset (Hive-style `key=value` partition folders
//! where a table is partitioned). Shards are written under a temp name and renamed when
//! complete: a killed run leaves every completed shard readable, and a resumed run
//! appends new shards.
//!
//! The store depends on the engine (it logs games), never the other way round.
#![deny(missing_docs)]

pub mod browse;
pub mod control;
pub mod dataset;
pub mod error;
pub mod exchange;
pub mod explanations;
pub mod metrics;
pub mod review;
pub mod run;
pub mod sanma;
pub mod selfplay;
pub mod session;
pub mod table;

/// The arrow arrays the readers return, re-exported so users need no direct dependency.
pub mod arrow {
    pub use arrow_array::*;
    pub use arrow_schema::{DataType, Field, Schema, SchemaRef};
}

pub use control::ControlLogger;
pub use error::{Result, StoreError};
pub use explanations::{Explanation, ExplanationLogger};
pub use metrics::MetricsLogger;
pub use review::{ReviewLogger, ReviewRow};
pub use run::{Run, RunKind, RunMeta, RunStatus, SCHEMA_VERSION};
pub use sanma::{AgentOutput, DecisionRecord, SanmaLogger};
pub use session::{PlayError, PlaySession, SessionOptions};
pub use table::{TableReader, TableWriter, WriterOptions};
