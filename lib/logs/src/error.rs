/// Why a log could not be read; every variant names the file and, where it applies, the
/// position inside it (game, round, seat, slot).
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    /// The file is not valid JSON (or XML), with the parser's position.
    #[error("{file}: {message}")]
    Syntax {
        /// The input file.
        file: String,
        /// The parser's message, with line and column.
        message: String,
    },
    /// The content is well-formed but not a valid game record.
    #[error("{file}: {at}{sep}{what}", sep = if at.is_empty() { "" } else { ": " })]
    Invalid {
        /// The input file.
        file: String,
        /// Where in the file (e.g. "round 3, seat 1, discard 7").
        at: String,
        /// What is wrong.
        what: String,
    },
    /// A 4-player game (meowlab plays 3-player mahjong).
    #[error("{file}: not a 3-player game ({why})")]
    FourPlayer {
        /// The input file.
        file: String,
        /// What shows it.
        why: String,
    },
}

impl LogError {
    pub(crate) fn json(file: &str, e: serde_json::Error) -> LogError {
        LogError::Syntax {
            file: file.to_string(),
            message: format!(
                "invalid JSON at line {}, column {}: {e}",
                e.line(),
                e.column()
            ),
        }
    }

    pub(crate) fn at(file: &str, at: &str, what: impl Into<String>) -> LogError {
        LogError::Invalid {
            file: file.to_string(),
            at: at.to_string(),
            what: what.into(),
        }
    }
}
