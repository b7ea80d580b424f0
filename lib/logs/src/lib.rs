//! Real game logs in: Tenhou's tenhou.net/6 JSON and mjlog XML (the archive's format,
//! gzip or plain), and mjai JSON lines from other tools, read into a typed 3-player game record
//! ([`GameLog`]) whose score bookkeeping is checked round by round (every round starts
//! with what the previous one's result and riichi stakes leave, and the final scores
//! follow). Malformed input is an error naming the file and the position in it, never a
//! panic. [`RoundLog::steps`] puts a round's per-seat slots back into play order.
//!
//! **Invariant:** this crate reads formats; it knows no engine. Replaying a log through
//! the engine (and checking every action's legality and every score) is the importer's
//! job, one layer up (`meowlab-import`).
#![deny(missing_docs)]

mod error;
pub mod game;
pub mod mjai;
pub mod mjlog;
pub mod order;
pub mod tenhou6;
pub mod write;
pub mod yaku;

pub use error::LogError;
pub use game::{Discard, DrawKind, GameLog, LogRules, RoundLog, RoundResult, Take, Win, WinScore};
pub use order::{OrderError, Step, WallTiles};

/// Reads an mjlog file (gzip-compressed, as Tenhou's archive serves it, or plain XML).
pub fn read_mjlog(path: &std::path::Path) -> Result<GameLog, LogError> {
    let file = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| LogError::Syntax {
        file: file.clone(),
        message: format!("cannot read: {e}"),
    })?;
    mjlog::read_bytes(&bytes, &file)
}

/// Reads an mjai JSON-lines file (one game).
pub fn read_mjai(path: &std::path::Path) -> Result<GameLog, LogError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| LogError::Syntax {
        file: file.clone(),
        message: format!("cannot read: {e}"),
    })?;
    mjai::read(&text, &file)
}

/// Reads a tenhou.net/6 file (one game, an array of games, or JSON lines).
pub fn read_tenhou6(path: &std::path::Path) -> Result<Vec<GameLog>, LogError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| LogError::Syntax {
        file: file.clone(),
        message: format!("cannot read: {e}"),
    })?;
    tenhou6::read(&text, &file)
}
