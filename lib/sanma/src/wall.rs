//! The seeded wall. The shuffle is our own Fisher–Yates over ChaCha8's raw 32-bit
//! output with Lemire's unbiased bounded integers, so a seed means the same wall in
//! every release (no dependence on `rand`'s shuffle, which may change).
//!
//! Layout of the 108 tiles `w` (the same as riichienv-core's 3-player wall, so walls can
//! be exchanged in lockstep tests):
//! - `w[0..39]` the deal: packets of 4 in seat order from the dealer (`w[0..4]` dealer,
//!   `w[4..8]` next seat, …), three rounds, then one tile each (`w[36]` dealer, …);
//! - `w[39..94]` the live wall, drawn upwards from `w[39]` (the dealer's first draw);
//! - replacement draws (kan or Kita) from `w[107]` downwards; each one also shortens the
//!   live wall by one (Tenhou tops the dead wall up from the live wall's tail), so after
//!   `r` replacements the last live tile is `w[93 - r]`;
//! - dora indicators `w[99]`, `w[97]`, `w[95]`, `w[93]`, `w[91]` (the first shown at the
//!   deal), ura indicators one below each (`w[98]`, `w[96]`, …). The later ones lie in
//!   the nominal live range but are never drawn: each needs a kan, whose replacement draw
//!   has already moved the live wall's end below them.

use meowlab_hand::Tile;
use rand::RngCore;
use rand_chacha::ChaCha8Rng;

/// Number of tiles in a sanma set.
pub const WALL_SIZE: usize = 108;
const DEAL_END: usize = 39;
const LIVE_END: usize = 94;

/// The 108 sanma tiles in kind order (red 5p/5s replace one plain copy when `red`).
pub fn tile_set(red: bool) -> [Tile; WALL_SIZE] {
    // Written as a closure over the index: the obvious nested loop sends rustc 1.95's
    // optimiser into a minutes-long spin at opt-level 3.
    std::array::from_fn(|i| {
        let slot = i / 4; // 27 kinds: 1m, 9m, then 1p..chun
        let kind = if slot == 0 { 0 } else { slot + 7 };
        let tile = Tile::from_index(kind).unwrap_or(Tile::EAST);
        let red_five = red && i % 4 == 0 && (kind == 13 || kind == 22);
        if red_five {
            Tile::red_five(tile.suit()).unwrap_or(tile)
        } else {
            tile
        }
    })
}

/// An unbiased integer in `0..n` (Lemire 2019), from raw 32-bit outputs.
fn below(rng: &mut ChaCha8Rng, n: u32) -> u32 {
    let threshold = n.wrapping_neg() % n;
    loop {
        let m = rng.next_u32() as u64 * n as u64;
        if (m as u32) >= threshold {
            return (m >> 32) as u32;
        }
    }
}

/// What a hand-built wall must contain (see [`Wall::build`]).
#[derive(Clone, Debug, Default)]
pub struct WallSpec<'a> {
    /// Starting hands, dealer first (13 tiles each).
    pub hands: [&'a [Tile]; 3],
    /// Live draws in order, starting with the dealer's first draw.
    pub draws: &'a [Tile],
    /// Replacement draws in order (kans and Kita).
    pub replacements: &'a [Tile],
    /// Dora indicators in reveal order.
    pub dora: &'a [Tile],
    /// Ura indicators in the same order.
    pub ura: &'a [Tile],
    /// Whether the set has red fives.
    pub red: bool,
}

/// The wall of one hand and how far it has been drawn.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Wall {
    tiles: [Tile; WALL_SIZE],
    next: usize,
    live_end: usize,
    replacements: u8,
    dora: [Tile; 5],
    ura: [Tile; 5],
    dora_revealed: u8,
}

/// Why [`Wall::build`] cannot lay out a scenario's tiles.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum WallError {
    /// A starting hand does not have 13 tiles.
    #[error("hand {hand} has {tiles} tiles, expected 13")]
    HandSize {
        /// The hand, counted from the dealer.
        hand: usize,
        /// Its size.
        tiles: usize,
    },
    /// A tile is used more often than the set has it.
    #[error("{part}: no {tile} left in the set")]
    TileUsedUp {
        /// The part of the spec that asked for it (hands, draws, replacements, dora, ura).
        part: &'static str,
        /// The tile.
        tile: Tile,
    },
    /// More tiles in one part than the wall has slots for.
    #[error("{given} {part} given, the wall has room for {most}")]
    TooMany {
        /// The part of the spec.
        part: &'static str,
        /// Tiles given.
        given: usize,
        /// Slots in the wall.
        most: usize,
    },
}

impl Wall {
    /// Shuffles a fresh wall with `rng` (Fisher–Yates from the top).
    pub fn shuffled(rng: &mut ChaCha8Rng, red: bool) -> Wall {
        let mut tiles = tile_set(red);
        for i in (1..WALL_SIZE).rev() {
            let j = below(rng, i as u32 + 1) as usize;
            tiles.swap(i, j);
        }
        Wall::from_tiles(tiles)
    }

    /// A wall in the layout described in the module docs (for hand-built scenarios).
    pub fn from_tiles(tiles: [Tile; WALL_SIZE]) -> Wall {
        Wall {
            tiles,
            next: DEAL_END,
            live_end: LIVE_END,
            replacements: 0,
            dora: std::array::from_fn(|k| tiles[99 - 2 * k]),
            ura: std::array::from_fn(|k| tiles[98 - 2 * k]),
            dora_revealed: 1,
        }
    }

    /// Builds a wall for a hand-made scenario: the starting hands (dealer first), the live
    /// draws in order, the replacement draws in order, dora and ura indicators. Every
    /// other slot is filled with the unused tiles in kind order. Errors when a tile is
    /// used more often than the set has it.
    pub fn build(spec: &WallSpec<'_>) -> Result<Wall, WallError> {
        let mut pool: Vec<Tile> = tile_set(spec.red).to_vec();
        let mut take = |tile: Tile, part: &'static str| -> Result<Tile, WallError> {
            let i = pool
                .iter()
                .position(|&p| p == tile)
                .ok_or(WallError::TileUsedUp { part, tile })?;
            Ok(pool.remove(i))
        };
        let mut slots: [Option<Tile>; WALL_SIZE] = [None; WALL_SIZE];
        for (i, hand) in spec.hands.iter().enumerate() {
            if hand.len() != 13 {
                return Err(WallError::HandSize {
                    hand: i,
                    tiles: hand.len(),
                });
            }
            for (k, &t) in hand.iter().enumerate() {
                let slot = if k < 12 {
                    12 * (k / 4) + 4 * i + k % 4
                } else {
                    36 + i
                };
                slots[slot] = Some(take(t, "hands")?);
            }
        }
        for (part, given, most) in [
            ("draws", spec.draws.len(), 55),
            ("replacements", spec.replacements.len(), 8),
            ("dora", spec.dora.len(), 5),
            ("ura", spec.ura.len(), 5),
        ] {
            if given > most {
                return Err(WallError::TooMany { part, given, most });
            }
        }
        for (k, &t) in spec.draws.iter().enumerate() {
            slots[DEAL_END + k] = Some(take(t, "draws")?);
        }
        for (k, &t) in spec.replacements.iter().enumerate() {
            slots[WALL_SIZE - 1 - k] = Some(take(t, "replacements")?);
        }
        for (k, &t) in spec.dora.iter().enumerate() {
            slots[99 - 2 * k] = Some(take(t, "dora")?);
        }
        for (k, &t) in spec.ura.iter().enumerate() {
            slots[98 - 2 * k] = Some(take(t, "ura")?);
        }
        let mut rest = pool.into_iter();
        let tiles: [Tile; WALL_SIZE] =
            std::array::from_fn(|i| slots[i].unwrap_or_else(|| rest.next().unwrap_or(Tile::EAST)));
        Ok(Wall::from_tiles(tiles))
    }

    /// All 108 tiles in layout order.
    pub fn tiles(&self) -> &[Tile; WALL_SIZE] {
        &self.tiles
    }

    /// The 13 starting tiles of the `i`-th seat counted from the dealer.
    pub fn deal(&self, i: usize) -> [Tile; 13] {
        std::array::from_fn(|k| {
            if k < 12 {
                self.tiles[12 * (k / 4) + 4 * i + k % 4]
            } else {
                self.tiles[36 + i]
            }
        })
    }

    /// Live tiles left to draw.
    pub fn live_left(&self) -> usize {
        self.live_end - self.next
    }

    /// Draws the next live tile.
    pub fn draw(&mut self) -> Option<Tile> {
        (self.next < self.live_end).then(|| {
            self.next += 1;
            self.tiles[self.next - 1]
        })
    }

    /// Draws a replacement tile (after a kan or Kita); the live wall shrinks by one.
    pub fn draw_replacement(&mut self) -> Option<Tile> {
        (self.next < self.live_end && self.replacements < 8).then(|| {
            self.live_end -= 1;
            self.replacements += 1;
            self.tiles[WALL_SIZE - self.replacements as usize]
        })
    }

    /// Tiles not drawn yet (live or dead wall).
    pub fn undrawn(&self) -> impl Iterator<Item = Tile> + '_ {
        self.tiles[self.next..WALL_SIZE - self.replacements as usize]
            .iter()
            .copied()
    }

    /// Replacement draws so far (kans and Kita).
    pub fn replacements(&self) -> u8 {
        self.replacements
    }

    /// Reveals the next dora indicator; returns it.
    pub fn reveal_dora(&mut self) -> Tile {
        self.dora_revealed = (self.dora_revealed + 1).min(5);
        self.dora[self.dora_revealed as usize - 1]
    }

    /// Dora indicators revealed so far.
    pub fn dora_indicators(&self) -> &[Tile] {
        &self.dora[..self.dora_revealed as usize]
    }

    /// Ura dora indicators matching the revealed dora.
    pub fn ura_indicators(&self) -> &[Tile] {
        &self.ura[..self.dora_revealed as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn a_seed_means_the_same_wall_forever() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let wall = Wall::shuffled(&mut rng, true);
        // pinned: changing the shuffle breaks every recorded seed
        let head: Vec<String> = wall.tiles()[..8].iter().map(|t| t.to_string()).collect();
        assert_eq!(head.join(" "), PINNED_HEAD);
        let mut counts = [0u8; 34];
        wall.tiles().iter().for_each(|t| counts[t.index()] += 1);
        assert!(counts
            .iter()
            .enumerate()
            .all(|(k, &c)| c == if (1..=7).contains(&k) { 0 } else { 4 }));
        assert_eq!(wall.tiles().iter().filter(|t| t.is_red()).count(), 2);
    }

    const PINNED_HEAD: &str = "9p 3z 3p 8p 3s 3p 6p 0p";

    #[test]
    fn replacements_shorten_the_live_wall() {
        let mut wall = Wall::from_tiles(tile_set(true));
        assert_eq!(wall.live_left(), 55);
        wall.draw();
        assert_eq!(wall.draw_replacement(), Some(wall.tiles()[107]));
        assert_eq!(wall.live_left(), 53);
        assert_eq!(wall.dora_indicators(), &[wall.tiles()[99]]);
        wall.reveal_dora();
        assert_eq!(
            wall.dora_indicators(),
            &[wall.tiles()[99], wall.tiles()[97]]
        );
        assert_eq!(wall.ura_indicators(), &[wall.tiles()[98], wall.tiles()[96]]);
    }

    #[test]
    fn deal_follows_the_packet_order() {
        let wall = Wall::from_tiles(tile_set(false));
        let t = wall.tiles();
        assert_eq!(wall.deal(1)[..4], t[4..8]);
        assert_eq!(wall.deal(1)[4..8], t[16..20]);
        assert_eq!(wall.deal(2)[12], t[38]);
    }
}
