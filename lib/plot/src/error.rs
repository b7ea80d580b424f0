use std::path::PathBuf;

/// Why a figure could not be made.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    /// There is nothing to draw (names what was missing).
    #[error("nothing to plot: {0}")]
    Empty(String),
    /// The input does not fit the chart (names the field).
    #[error("invalid input: {0}")]
    Invalid(String),
    /// The file name's extension is neither .svg nor .png.
    #[error("{path}: unknown figure format (use .svg or .png)")]
    Format {
        /// The output path.
        path: PathBuf,
    },
    /// The drawing backend failed.
    #[error("drawing failed: {0}")]
    Draw(String),
    /// Writing the file failed.
    #[error("{path}: {source}")]
    Io {
        /// The output path.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Reading a run failed.
    #[error(transparent)]
    Store(#[from] meowlab_store::StoreError),
}

impl PlotError {
    pub(crate) fn draw<E: std::fmt::Debug>(e: E) -> PlotError {
        PlotError::Draw(format!("{e:?}"))
    }
}
