//! Real game logs through the engine and into runs. [`replay`] deals each hand of a
//! logged game from the log's own tiles, plays the logged actions as the seats' choices
//! (each must be legal) and checks every round's result and the next round's start
//! against the log: the strongest rules test there is. [`import()`] turns the games that
//! validate into a run that the rest of meowlab reads like a played one, and
//! [`game_log`] turns any game of a run back into a log (tenhou.net/6 or mjai).
#![deny(missing_docs)]

mod compare;
pub mod export;
pub mod import;
pub mod replay;

pub use export::{game_log, ExportError};
pub use import::{
    import, log_files, read_games, Format, ImportError, ImportOptions, Skipped, Summary,
};
pub use replay::{replay, rules_of, seed_of, Mismatch};
