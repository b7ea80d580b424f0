//! Error types of hand analysis: what was wrong and where.

use std::fmt;

use crate::tile::{Tile, Variant};

/// A tile string or tile list that cannot be a real hand.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TileError {
    source: String,
    position: usize,
    kind: TileErrorKind,
}

/// What was wrong with the tiles.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TileErrorKind {
    /// A character that is neither a digit, a suit letter nor whitespace.
    UnknownChar(char),
    /// Digits at the end of the string with no suit letter after them.
    DigitsWithoutSuit,
    /// A suit letter with no digits before it.
    SuitWithoutDigits(char),
    /// A digit that names no tile in that suit (e.g. "8z", "0z").
    NoSuchTile(u8, char),
    /// More than four copies of one kind.
    FifthCopy(Tile),
    /// Two red fives of the same suit.
    SecondRedFive(Tile),
    /// A tile the variant does not have (2m–8m or a red 5m in sanma).
    NotInVariant(Tile, Variant),
    /// A single tile was expected.
    NotOneTile(usize),
}

impl TileError {
    pub(crate) fn new(source: &str, position: usize, kind: TileErrorKind) -> Self {
        TileError {
            source: source.to_owned(),
            position,
            kind,
        }
    }

    /// What was wrong.
    pub fn kind(&self) -> &TileErrorKind {
        &self.kind
    }

    /// Byte offset in the parsed string, or the index of the tile in a list.
    pub fn position(&self) -> usize {
        self.position
    }
}

impl fmt::Display for TileErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TileErrorKind::UnknownChar(c) => write!(
                f,
                "unknown character {c:?} (expected digits followed by m, p, s or z)"
            ),
            TileErrorKind::DigitsWithoutSuit => {
                write!(f, "digits without a suit letter (m, p, s or z) after them")
            }
            TileErrorKind::SuitWithoutDigits(c) => {
                write!(f, "suit letter {c:?} with no digits before it")
            }
            TileErrorKind::NoSuchTile(d, c) => write!(f, "there is no tile {d}{c}"),
            TileErrorKind::FifthCopy(t) => write!(f, "5th copy of {t} (there are only 4)"),
            TileErrorKind::SecondRedFive(t) => write!(f, "second red five {t} (there is only one)"),
            TileErrorKind::NotInVariant(t, Variant::Sanma) => write!(
                f,
                "{t} does not exist in sanma (2m-8m and red 5m are removed)"
            ),
            TileErrorKind::NotInVariant(t, Variant::Yonma) => {
                write!(f, "{t} does not exist in 4-player mahjong")
            }
            TileErrorKind::NotOneTile(n) => write!(f, "expected exactly one tile, found {n}"),
        }
    }
}

impl fmt::Display for TileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid tiles in {:?} at position {}: {}",
            self.source, self.position, self.kind
        )
    }
}

impl std::error::Error for TileError {}
