//! Sanma (3-player Riichi Mahjong) hand analysis under Tenhou rules: tiles, shanten,
//! waits and ukeire, and win evaluation (yaku, fu, dora, points, payments).
//!
//! Pure and allocation-light: no tensors, no files, no randomness beyond the seeded
//! sampler in [`sample`]. The engine, bots, encoders and GUI all build on it.
//!
//! ```
//! use meowlab_hand::{parse_hand, shanten::shanten, Variant};
//! let hand = parse_hand("111m999p123456s1z", Variant::Sanma).unwrap();
//! assert_eq!(shanten(&hand.counts()), 0);
//! ```
#![deny(missing_docs)]

pub mod agari;
pub mod case;
pub mod error;
pub mod points;
pub mod sample;
pub mod score;
pub mod shanten;
pub mod tile;
pub mod waits;
pub mod yaku;

pub use agari::{Meld, MeldKind};
pub use error::{TileError, TileErrorKind};
pub use points::{Limit, Payment};
pub use score::{
    evaluate, RiichiKind, ScoreError, ScoringRules, TsumoPayment, WinContext, WinMethod, WinResult,
    WinningHand,
};
pub use tile::{counts_of, parse_hand, parse_tiles, Counts, Suit, Tile, Tiles, Variant, NUM_KINDS};
pub use yaku::Yaku;
