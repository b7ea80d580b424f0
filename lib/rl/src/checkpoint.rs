//! Small checkpoint files every learner writes beside its safetensors: JSON state
//! (counters, RNG streams, normalisation statistics) written atomically, and the error
//! that names the file when one is missing or malformed.

use std::path::{Path, PathBuf};

/// A checkpoint file is missing, unreadable or malformed.
#[derive(Debug, thiserror::Error)]
#[error("{}: {message}", path.display())]
pub struct CheckpointError {
    /// The file.
    pub path: PathBuf,
    /// What is wrong.
    pub message: String,
}

impl CheckpointError {
    /// An error about `path`.
    pub fn new(path: &Path, message: impl Into<String>) -> CheckpointError {
        CheckpointError {
            path: path.to_path_buf(),
            message: message.into(),
        }
    }
}

/// Reads a JSON file written by [`write_json`].
pub fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, CheckpointError> {
    let text =
        std::fs::read_to_string(path).map_err(|e| CheckpointError::new(path, e.to_string()))?;
    serde_json::from_str(&text).map_err(|e| CheckpointError::new(path, e.to_string()))
}

/// Writes JSON atomically (temp file, then rename), so a crash never leaves half a file.
pub fn write_json<T: serde::Serialize>(path: &Path, value: &T) -> Result<(), CheckpointError> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| CheckpointError::new(path, e.to_string()))?;
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, text).map_err(|e| CheckpointError::new(&tmp, e.to_string()))?;
    std::fs::rename(&tmp, path).map_err(|e| CheckpointError::new(path, e.to_string()))
}
