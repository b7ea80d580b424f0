//! Decompositions of a complete hand into melds and a pair, and the meld types.

use crate::tile::{Counts, Tile, NUM_KINDS};

/// What kind of call (or concealed kan) a meld is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MeldKind {
    /// Called triplet.
    Pon,
    /// Open kan called on a discard.
    Daiminkan,
    /// Open kan made by adding a drawn tile to a pon (shouminkan).
    Kakan,
    /// Concealed kan; the hand stays closed.
    Ankan,
}

/// A declared meld: its kind, the tile kind and how many red fives it holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Meld {
    /// Call type.
    pub kind: MeldKind,
    /// The plain tile kind of the meld.
    pub tile: Tile,
    /// Red fives among its tiles.
    pub reds: u8,
}

impl Meld {
    /// Builds a meld from its tiles, checking they fit the kind.
    pub fn from_tiles(kind: MeldKind, tiles: &[Tile]) -> Result<Meld, String> {
        let want = if kind == MeldKind::Pon { 3 } else { 4 };
        let Some(&first) = tiles.first() else {
            return Err(format!("{kind:?} with no tiles"));
        };
        if tiles.len() != want {
            return Err(format!("{kind:?} needs {want} tiles, got {}", tiles.len()));
        }
        if tiles.iter().any(|t| t.kind() != first.kind()) {
            let list: Vec<String> = tiles.iter().map(|t| t.to_string()).collect();
            return Err(format!(
                "{kind:?} tiles are not all the same kind: {}",
                list.join(" ")
            ));
        }
        let reds = tiles.iter().filter(|t| t.is_red()).count() as u8;
        Ok(Meld {
            kind,
            tile: first.kind(),
            reds,
        })
    }

    /// Whether the meld opens the hand (everything but ankan).
    pub const fn is_open(self) -> bool {
        !matches!(self.kind, MeldKind::Ankan)
    }

    /// Whether it is any kind of kan.
    pub const fn is_kan(self) -> bool {
        !matches!(self.kind, MeldKind::Pon)
    }

    /// Number of tiles it holds.
    pub const fn len(self) -> u8 {
        if self.is_kan() {
            4
        } else {
            3
        }
    }

    /// Always false: a meld holds 3 or 4 tiles.
    pub const fn is_empty(self) -> bool {
        false
    }

    /// The meld as a scoring block.
    pub const fn block(self) -> Block {
        Block {
            kind: if self.is_kan() {
                BlockKind::Kan
            } else {
                BlockKind::Triplet
            },
            tile: self.tile,
            open: self.is_open(),
        }
    }
}

/// Shape of one block of a complete hand.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BlockKind {
    /// Three consecutive numbers of one suit.
    Sequence,
    /// Three of a kind.
    Triplet,
    /// Four of a kind (declared).
    Kan,
}

/// One meld of a complete hand: shape, lowest tile, and whether it was called.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Block {
    /// Shape.
    pub kind: BlockKind,
    /// Lowest tile (plain kind).
    pub tile: Tile,
    /// Called from another player (pon, daiminkan, kakan).
    pub open: bool,
}

impl Block {
    /// Whether `tile` is one of the block's tiles.
    pub fn contains(self, tile: Tile) -> bool {
        let (t, lo) = (tile.index(), self.tile.index());
        match self.kind {
            BlockKind::Sequence => t >= lo && t < lo + 3,
            _ => t == lo,
        }
    }

    /// Whether every tile of the block is a terminal or honour (for chanta/junchan).
    pub fn has_terminal_or_honor(self) -> bool {
        match self.kind {
            BlockKind::Sequence => matches!(self.tile.number(), 1 | 7),
            _ => self.tile.is_terminal_or_honor(),
        }
    }
}

/// A standard-shape reading of concealed tiles: a pair and concealed melds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decomposition {
    /// The pair.
    pub pair: Tile,
    /// Concealed sequences and triplets, lowest tile first.
    pub melds: Vec<Block>,
}

/// Every way to read 3k+2 concealed tiles as k melds and a pair.
pub fn decompositions(counts: &Counts) -> Vec<Decomposition> {
    let mut out = Vec::new();
    for_each_decomposition(counts, |pair, melds| {
        out.push(Decomposition {
            pair,
            melds: melds.to_vec(),
        })
    });
    out
}

/// Calls `f(pair, melds)` for every standard decomposition, without allocating.
pub(crate) fn for_each_decomposition(counts: &Counts, mut f: impl FnMut(Tile, &[Block])) {
    let total: usize = counts.iter().map(|&c| c as usize).sum();
    if total % 3 != 2 || total > 14 {
        return;
    }
    let mut c = *counts;
    let mut buf = [Block {
        kind: BlockKind::Triplet,
        tile: Tile::EAST,
        open: false,
    }; 4];
    for pair in 0..NUM_KINDS {
        if c[pair] >= 2 {
            c[pair] -= 2;
            melds(&mut c, 0, &mut buf, 0, Tile::kind_unchecked(pair), &mut f);
            c[pair] += 2;
        }
    }
}

fn melds(
    c: &mut Counts,
    start: usize,
    buf: &mut [Block; 4],
    n: usize,
    pair: Tile,
    f: &mut impl FnMut(Tile, &[Block]),
) {
    let Some(i) = (start..NUM_KINDS).find(|&i| c[i] > 0) else {
        f(pair, &buf[..n]);
        return;
    };
    if n == 4 {
        return;
    }
    let tile = Tile::kind_unchecked(i);
    if c[i] >= 3 {
        c[i] -= 3;
        buf[n] = Block {
            kind: BlockKind::Triplet,
            tile,
            open: false,
        };
        melds(c, i, buf, n + 1, pair, f);
        c[i] += 3;
    }
    if i < 27 && i % 9 <= 6 && c[i + 1] > 0 && c[i + 2] > 0 {
        c[i] -= 1;
        c[i + 1] -= 1;
        c[i + 2] -= 1;
        buf[n] = Block {
            kind: BlockKind::Sequence,
            tile,
            open: false,
        };
        melds(c, i, buf, n + 1, pair, f);
        c[i] += 1;
        c[i + 1] += 1;
        c[i + 2] += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shanten::counts;

    #[test]
    fn finds_every_reading() {
        // 111222333p: three triplets or three identical sequences
        let d = decompositions(&counts("111222333p99s"));
        assert_eq!(d.len(), 2);
        // 11122233344455p-style hands have several pairs to choose from
        let d = decompositions(&counts("11122233344455p"));
        assert!(d.len() >= 3, "{d:?}");
        assert!(d.iter().all(|x| x.melds.len() == 4));
        assert!(decompositions(&counts("19m19p19s12345677z")).is_empty());
    }

    #[test]
    fn meld_from_tiles_checks_shape() {
        let t = |s: &str| crate::tile::parse_tiles(s).unwrap();
        assert!(Meld::from_tiles(MeldKind::Pon, &t("550p")).is_ok());
        assert_eq!(Meld::from_tiles(MeldKind::Pon, &t("550p")).unwrap().reds, 1);
        assert!(Meld::from_tiles(MeldKind::Pon, &t("556p")).is_err());
        assert!(Meld::from_tiles(MeldKind::Ankan, &t("555p")).is_err());
    }
}
