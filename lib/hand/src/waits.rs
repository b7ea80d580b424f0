//! Waits, ukeire (tile acceptance) and discard choice, counting the tiles a player can
//! see as used.

use crate::shanten::{shanten, AGARI};
use crate::tile::{Counts, Tile, Variant};

/// Tiles that improve a 3k+1 hand, with how many of each remain unseen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ukeire {
    /// Shanten of the hand before drawing.
    pub shanten: i8,
    /// Each improving tile kind and its unseen copies (0 when all are visible).
    pub tiles: Vec<(Tile, u8)>,
    /// Sum of unseen copies over `tiles`.
    pub total: u32,
}

/// One possible discard from a 3k+2 hand.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DiscardOption {
    /// The tile discarded (plain kind).
    pub tile: Tile,
    /// What the remaining hand's acceptance is.
    pub ukeire: Ukeire,
}

fn unseen(visible: &Counts, tile: Tile) -> u8 {
    4u8.saturating_sub(visible[tile.index()])
}

/// Tiles that lower the shanten of a 3k+1 `hand`. `visible` counts every tile the
/// player can see (own hand included; add discards, melds, dora indicators, Kita);
/// kinds that do not exist in `variant` are never counted.
pub fn ukeire(hand: &Counts, visible: &Counts, variant: Variant) -> Ukeire {
    let mut h = *hand;
    let current = shanten(&h);
    let mut tiles = Vec::new();
    let mut total = 0;
    for t in variant.kinds() {
        let i = t.index();
        if h[i] >= 4 {
            continue;
        }
        h[i] += 1;
        if shanten(&h) < current {
            let left = unseen(visible, t);
            tiles.push((t, left));
            total += left as u32;
        }
        h[i] -= 1;
    }
    Ukeire {
        shanten: current,
        tiles,
        total,
    }
}

/// Winning tiles of a tenpai 3k+1 `hand` (empty when not tenpai). A kind the player
/// already holds four of is not a wait.
pub fn waits(hand: &Counts, variant: Variant) -> Vec<Tile> {
    let mut h = *hand;
    if shanten(&h) != 0 {
        return Vec::new();
    }
    variant
        .kinds()
        .filter(|t| {
            let i = t.index();
            if h[i] >= 4 {
                return false;
            }
            h[i] += 1;
            let done = shanten(&h) == AGARI;
            h[i] -= 1;
            done
        })
        .collect()
}

/// Every distinct discard of a 3k+2 `hand`, best first: lowest shanten after the
/// discard, then most unseen improving tiles, then tile order.
pub fn discard_options(hand: &Counts, visible: &Counts, variant: Variant) -> Vec<DiscardOption> {
    let mut h = *hand;
    let mut out = Vec::new();
    for (i, &c) in hand.iter().enumerate() {
        if c == 0 {
            continue;
        }
        h[i] -= 1;
        out.push(DiscardOption {
            tile: Tile::kind_unchecked(i),
            ukeire: ukeire(&h, visible, variant),
        });
        h[i] += 1;
    }
    out.sort_by_key(|d| (d.ukeire.shanten, std::cmp::Reverse(d.ukeire.total), d.tile));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shanten::counts;

    #[test]
    fn waits_of_tenpai_hands() {
        let names = |v: Vec<Tile>| {
            v.iter()
                .map(|t| t.to_string())
                .collect::<Vec<_>>()
                .join(" ")
        };
        assert_eq!(
            names(waits(&counts("111m999p123456s1z"), Variant::Sanma)),
            "1z"
        );
        assert_eq!(names(waits(&counts("159p159s1357z"), Variant::Sanma)), "");
        // junsei chuuren: 1112345678999p waits on all nine pins
        assert_eq!(waits(&counts("1112345678999p"), Variant::Sanma).len(), 9);
        // 13-sided kokushi
        assert_eq!(
            waits(&counts("19m19p19s1234567z"), Variant::Sanma).len(),
            13
        );
        // 23m would wait on 1m/4m in yonma; in sanma 23m cannot exist, but 23p waits 1p/4p
        assert_eq!(
            names(waits(&counts("23p111999s11177z"), Variant::Sanma)),
            "1p 4p"
        );
    }

    #[test]
    fn ukeire_counts_visible_tiles() {
        let hand = counts("23p111999s11177z");
        let mut visible = hand;
        visible[9] += 3; // three 1p seen elsewhere
        let u = ukeire(&hand, &visible, Variant::Sanma);
        assert_eq!(u.shanten, 0);
        assert_eq!(
            u.tiles,
            vec![("1p".parse().unwrap(), 1), ("4p".parse().unwrap(), 4)]
        );
        assert_eq!(u.total, 5);
    }

    #[test]
    fn best_discard_first() {
        let hand = counts("23p111999s11177z5z");
        let options = discard_options(&hand, &hand, Variant::Sanma);
        assert_eq!(options[0].tile.to_string(), "5z");
        assert_eq!(options[0].ukeire.shanten, 0);
    }
}
