//! The meowlab workbench: an egui app that replays logged Sanma games and control
//! episodes from Parquet runs, shows the tile planes of each decision, the agent's policy
//! next to the chosen action, and learning curves across runs and seeds.
//!
//! Layout (one file per panel, as in egui's demo app): `app.rs` holds the state and
//! arranges the panels; `panels/` draws them; `runs.rs`, `game.rs` and `episode.rs` are
//! the data behind them (no drawing); `tiles.rs` paints tiles.

pub mod app;
pub mod episode;
pub mod game;
pub mod panels;
pub mod runs;
pub mod tiles;

pub use app::{Tab, Workbench};
