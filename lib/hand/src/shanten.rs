//! Shanten (distance to tenpai) for standard, seven-pairs and thirteen-orphans shapes.
//!
//! The standard shape uses the exact definition: the fewest tiles that must be drawn
//! (each replacing a useless tile) to complete `m` melds and a pair, minus one.
//! Per suit we need `D[m][h]`, the fewest missing tiles for `m` melds and `h` pairs
//! inside that suit; a hand's shanten is the best split of the melds and the pair over
//! the four suits. `D` is computed once per distinct suit pattern by a small dynamic
//! programme over the 9 (or 7) ranks and cached in a lock-free table, so a warm call is
//! a handful of table lookups and a 4×10 combination.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

use crate::tile::Counts;

/// Shanten of a complete hand (agari).
pub const AGARI: i8 = -1;

/// The smallest shanten over the standard shape, seven pairs and thirteen orphans.
///
/// `counts` holds the concealed tiles only; open melds are implied by the tile count:
/// an n-tile hand needs ⌊n/3⌋ melds and a pair (a 3k-tile hand, which cannot occur in
/// play, is measured as if it drew before discarding). Seven pairs and thirteen
/// orphans are only considered for a closed hand (13 or 14 tiles).
pub fn shanten(counts: &Counts) -> i8 {
    let n = tile_count(counts);
    let mut best = shanten_standard(counts);
    if n >= 13 && best > AGARI {
        best = best
            .min(shanten_chiitoitsu(counts))
            .min(shanten_kokushi(counts));
    }
    best
}

/// Shanten of the standard shape (melds and a pair).
pub fn shanten_standard(counts: &Counts) -> i8 {
    let n = tile_count(counts);
    let melds = (n / 3).min(4);
    let man = suit_table(&counts[0..9]);
    let pin = suit_table(&counts[9..18]);
    let sou = suit_table(&counts[18..27]);
    let honor = honor_table(&counts[27..34]);
    distance(&[man, pin, sou, honor], melds) as i8 - 1
}

/// Shanten of seven pairs (seven *different* pairs; four of a kind is not two pairs).
pub fn shanten_chiitoitsu(counts: &Counts) -> i8 {
    let (mut pairs, mut kinds) = (0i8, 0i8);
    for &c in counts {
        pairs += (c >= 2) as i8;
        kinds += (c >= 1) as i8;
    }
    6 - pairs + (7 - kinds).max(0)
}

/// Shanten of thirteen orphans.
pub fn shanten_kokushi(counts: &Counts) -> i8 {
    const ORPHANS: [usize; 13] = [0, 8, 9, 17, 18, 26, 27, 28, 29, 30, 31, 32, 33];
    let kinds = ORPHANS.iter().filter(|&&i| counts[i] >= 1).count() as i8;
    let pair = ORPHANS.iter().any(|&i| counts[i] >= 2) as i8;
    13 - kinds - pair
}

/// Whether the 3k+2 concealed tiles form a complete hand (any shape).
pub fn is_agari(counts: &Counts) -> bool {
    shanten(counts) == AGARI
}

fn tile_count(counts: &Counts) -> usize {
    counts.iter().map(|&c| c as usize).sum()
}

// ----- per-suit distance tables -----------------------------------------------------

/// `D[m][h]` packed 4 bits each at bit `4 * (2m + h)`; bit 63 marks a computed entry.
type Packed = u64;
const COMPUTED: u64 = 1 << 63;

fn unpack(p: Packed, melds: usize, pairs: usize) -> u8 {
    ((p >> (4 * (2 * melds + pairs))) & 0xF) as u8
}

/// The fewest missing tiles for `melds` melds and one pair over the four suit groups.
fn distance(groups: &[Packed; 4], melds: usize) -> u8 {
    let unpacked = |p: Packed| -> [[u8; 2]; 5] {
        std::array::from_fn(|m| std::array::from_fn(|h| unpack(p, m, h)))
    };
    // pairwise: (man + pin) and (sou + honours), then only the one entry we need
    let a = combine(&unpacked(groups[0]), &unpacked(groups[1]), melds);
    let b = combine(&unpacked(groups[2]), &unpacked(groups[3]), melds);
    let mut best = u8::MAX;
    for m in 0..=melds {
        best = best
            .min(a[m][0] + b[melds - m][1])
            .min(a[m][1] + b[melds - m][0]);
    }
    best
}

/// `out[m][h]` = the best split of `m` melds and `h` pairs over two groups.
fn combine(x: &[[u8; 2]; 5], y: &[[u8; 2]; 5], melds: usize) -> [[u8; 2]; 5] {
    let mut out = [[u8::MAX / 2; 2]; 5];
    for m in 0..=melds {
        let (mut h0, mut h1) = (u8::MAX / 2, u8::MAX / 2);
        for k in 0..=m {
            let (xa, yb) = (x[k], y[m - k]);
            h0 = h0.min(xa[0] + yb[0]);
            h1 = h1.min(xa[1] + yb[0]).min(xa[0] + yb[1]);
        }
        out[m] = [h0, h1];
    }
    out
}

const SUIT_PATTERNS: usize = 1_953_125; // 5^9
const HONOR_PATTERNS: usize = 78_125; // 5^7

fn lazy_table(len: usize) -> Box<[AtomicU64]> {
    (0..len).map(|_| AtomicU64::new(0)).collect()
}

fn suit_table(counts: &[u8]) -> Packed {
    static TABLE: OnceLock<Box<[AtomicU64]>> = OnceLock::new();
    cached(
        TABLE.get_or_init(|| lazy_table(SUIT_PATTERNS)),
        counts,
        true,
    )
}

fn honor_table(counts: &[u8]) -> Packed {
    static TABLE: OnceLock<Box<[AtomicU64]>> = OnceLock::new();
    cached(
        TABLE.get_or_init(|| lazy_table(HONOR_PATTERNS)),
        counts,
        false,
    )
}

fn cached(table: &[AtomicU64], counts: &[u8], sequences: bool) -> Packed {
    let key = counts
        .iter()
        .rev()
        .fold(0usize, |k, &c| k * 5 + c.min(4) as usize);
    let hit = table[key].load(Ordering::Relaxed);
    if hit & COMPUTED != 0 {
        return hit;
    }
    // Racing threads compute the same value; the store is idempotent.
    let computed = compute_suit(counts, sequences) | COMPUTED;
    table[key].store(computed, Ordering::Relaxed);
    computed
}

/// Dynamic programme over the ranks of one suit. State: sequences started one rank ago
/// (`p1`, they still need this rank and the next), two ranks ago (`p2`, need this rank),
/// melds so far, pairs so far; value: fewest missing tiles.
fn compute_suit(counts: &[u8], sequences: bool) -> Packed {
    const INF: u8 = u8::MAX;
    // index: ((p1 * 5 + p2) * 5 + m) * 2 + h
    let idx = |p1: usize, p2: usize, m: usize, h: usize| ((p1 * 5 + p2) * 5 + m) * 2 + h;
    let mut dp = [INF; 250];
    dp[idx(0, 0, 0, 0)] = 0;
    let ranks = counts.len();
    for (rank, &have) in counts.iter().enumerate() {
        let mut next = [INF; 250];
        let can_start = sequences && rank + 2 < ranks;
        for p1 in 0..5 {
            for p2 in 0..5 - p1 {
                for m in 0..5 {
                    for h in 0..2 {
                        let cost = dp[idx(p1, p2, m, h)];
                        if cost == INF {
                            continue;
                        }
                        let max_new = if can_start { 4 - m } else { 0 };
                        for k in 0..=max_new {
                            for trip in 0..=((m + k < 4) as usize) {
                                for pair in 0..=(1 - h) {
                                    let need = p1 + p2 + k + 3 * trip + 2 * pair;
                                    if need > 4 {
                                        continue;
                                    }
                                    let add = (need as u8).saturating_sub(have);
                                    let j = idx(k, p1, m + k + trip, h + pair);
                                    next[j] = next[j].min(cost + add);
                                }
                            }
                        }
                    }
                }
            }
        }
        dp = next;
    }
    let mut packed = 0u64;
    for m in 0..5 {
        for h in 0..2 {
            let v = dp[idx(0, 0, m, h)].min(15) as u64;
            packed |= v << (4 * (2 * m + h));
        }
    }
    packed
}

/// Counts of an mpsz string, for tests.
#[cfg(test)]
pub(crate) fn counts(s: &str) -> Counts {
    crate::tile::counts_of(&crate::tile::parse_tiles(s).unwrap())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(hand: &str, expected: i8) {
        assert_eq!(shanten(&counts(hand)), expected, "{hand}");
    }

    #[test]
    fn complete_hands() {
        check("111m999p123456s11z", -1);
        check("11m99p11s11223344z", -1); // chiitoitsu
        check("19m19p19s12345677z", -1); // kokushi
        check("11z", -1); // four open melds, tanki done
    }

    #[test]
    fn tenpai_and_beyond() {
        check("111m999p123456s1z", 0);
        check("19m19p19s1234567z", 0);
        check("19m19p19s1234566z", 0);
        check("11m99p11s1122334z", 0);
        check("1z", 0);
        check("1m", 0);
        check("159m159p159s1357z", 3); // kokushi: 10 orphan kinds, no pair
    }

    #[test]
    fn known_values() {
        // standard-only hands computed by hand
        check("123456789p12345s", 0); // 4 melds + 45s: discard one, wait on the other
        check("1234p", 0); // 4 tiles: 1 meld + tanki
        check("13p", 0); // tanki on either
        check("2468p", 1); // 24p needs 3p, 68p needs a pair
    }

    #[test]
    fn four_copies_are_not_a_pair_and_triplet_of_five() {
        // 1111p cannot be a triplet plus a pair: that would need a 5th 1p
        check("1111p", 1);
        check("11113333p5555s1z", 1);
    }
}
