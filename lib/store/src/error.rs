//! Typed errors of the store; each names the file it is about.

use std::fmt;
use std::path::{Path, PathBuf};

/// What went wrong with a run or one of its files.
#[derive(Debug)]
#[non_exhaustive]
pub enum StoreError {
    /// Reading or writing a file failed.
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The folder is not a run (no `run.json`).
    NotARun {
        /// The folder.
        path: PathBuf,
    },
    /// `run.json` is not valid.
    BadRunMeta {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A Parquet file is corrupt or truncated.
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What the Parquet reader said.
        reason: String,
    },
    /// A Parquet file has other columns than the table (a foreign file).
    SchemaMismatch {
        /// The file.
        path: PathBuf,
        /// What differs.
        reason: String,
    },
    /// Writing a shard failed.
    Write {
        /// The shard.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The run has no such table.
    NoTable {
        /// The run folder.
        path: PathBuf,
        /// The table asked for.
        table: String,
    },
    /// Object storage refused or failed (`exchange`).
    Exchange {
        /// The URL and key.
        path: PathBuf,
        /// What the store said.
        reason: String,
    },
    /// The table has no such column.
    NoColumn {
        /// The table folder.
        path: PathBuf,
        /// The column asked for.
        column: String,
        /// The columns there are, comma-separated.
        columns: String,
    },
    /// The table has no such row (e.g. a game id the run never logged).
    NoRow {
        /// The table folder.
        path: PathBuf,
        /// What was asked for and what there is.
        reason: String,
    },
    /// A run asked for by name to be continued is complete already.
    RunComplete {
        /// The run folder.
        path: PathBuf,
    },
    /// The run's tile planes were written by another encoder than this build's.
    EncoderMismatch {
        /// The run folder.
        path: PathBuf,
        /// The encoder version recorded in the run.
        found: String,
        /// This build's encoder version.
        expected: String,
    },
}

impl StoreError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        StoreError::Io {
            path: path.to_owned(),
            source,
        }
    }

    /// The file or folder the error is about.
    pub fn path(&self) -> &Path {
        match self {
            StoreError::Io { path, .. }
            | StoreError::NotARun { path }
            | StoreError::BadRunMeta { path, .. }
            | StoreError::Corrupt { path, .. }
            | StoreError::SchemaMismatch { path, .. }
            | StoreError::Write { path, .. }
            | StoreError::NoTable { path, .. }
            | StoreError::NoColumn { path, .. }
            | StoreError::Exchange { path, .. }
            | StoreError::NoRow { path, .. }
            | StoreError::RunComplete { path }
            | StoreError::EncoderMismatch { path, .. } => path,
        }
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::Io { path, source } => write!(f, "{}: {source}", path.display()),
            StoreError::NotARun { path } => {
                write!(f, "{}: not a run folder (no run.json)", path.display())
            }
            StoreError::BadRunMeta { path, reason } => {
                write!(f, "{}: invalid run metadata: {reason}", path.display())
            }
            StoreError::Corrupt { path, reason } => write!(
                f,
                "{}: corrupt or truncated Parquet file: {reason}",
                path.display()
            ),
            StoreError::SchemaMismatch { path, reason } => {
                write!(f, "{}: not a file of this table: {reason}", path.display())
            }
            StoreError::Write { path, reason } => {
                write!(f, "{}: cannot write shard: {reason}", path.display())
            }
            StoreError::NoTable { path, table } => {
                write!(f, "{}: the run has no table {table:?}", path.display())
            }
            StoreError::Exchange { path, reason } => {
                write!(f, "{}: object storage: {reason}", path.display())
            }
            StoreError::NoColumn {
                path,
                column,
                columns,
            } => write!(
                f,
                "{}: no column {column:?} (columns: {columns})",
                path.display()
            ),
            StoreError::NoRow { path, reason } => write!(f, "{}: {reason}", path.display()),
            StoreError::RunComplete { path } => write!(
                f,
                "run {} is complete already; choose another run id or remove it",
                path.display()
            ),
            StoreError::EncoderMismatch {
                path,
                found,
                expected,
            } => write!(
                f,
                "{}: its tile planes were written by encoder {found:?}, this build reads \
                 {expected:?}; log the games again with this build",
                path.display()
            ),
        }
    }
}

impl std::error::Error for StoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StoreError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// Result of store operations.
pub type Result<T> = std::result::Result<T, StoreError>;
