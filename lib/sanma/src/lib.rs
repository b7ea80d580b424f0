//! The Sanma (3-player Riichi Mahjong) game engine under Tenhou rules.
//!
//! A [`Game`] is created from [`Rules`] and a seed and advances to *decision points*:
//! which seats decide, their legal [`Action`]s, and each seat's [`SeatView`]. Every
//! change is an mjai [`Event`]; a game replays from (seed, actions). Bots implement
//! [`Agent`]. The engine knows nothing about tensors, Parquet or GUIs.
//!
//! ```
//! use meowlab_sanma::{bots::RandomAgent, play_game, Agent, Rules};
//! let mut agents: Vec<Box<dyn Agent>> = (0..3).map(|s| Box::new(RandomAgent::new(s)) as Box<dyn Agent>).collect();
//! let game = play_game(Rules::default(), 7, &mut agents).unwrap();
//! assert!(game.result().is_some());
//! ```
#![deny(missing_docs)]

pub mod action;
pub mod arena;
pub mod board;
pub mod bots;
pub mod env;
pub mod event;
pub mod game;
pub mod planes;
pub mod replay;
pub mod rules;
pub mod stats;
pub mod view;
pub mod wall;

pub use action::{layout, Action, IllegalAction, IndexedAction, Seat, ACTION_SPACE};
pub use arena::{Arena, BatchAgent, Decision, Reply, Table};
pub use bots::{play_game, play_game_with, Agent};
pub use env::{EnvError, EnvReward, TurnEnv};
pub use event::Event;
pub use game::{Game, GameResult, KyokuStart, Phase, ReplayError};
pub use rules::{GameLength, Rules, RulesError, WallDealing};
pub use view::SeatView;
pub use wall::{Wall, WallError, WallSpec};
