//! Property tests: shanten is −1 exactly for complete hands, it moves by one tile per
//! draw/discard (which pins it to the exchange distance), every wait completes the
//! hand, and nothing panics on any 0–14-tile input.

use meowlab_hand::agari::decompositions;
use meowlab_hand::shanten::{shanten, shanten_kokushi, AGARI};
use meowlab_hand::waits::{discard_options, ukeire, waits};
use meowlab_hand::{
    evaluate, Counts, Meld, MeldKind, RiichiKind, ScoringRules, Tile, Variant, WinContext,
    WinMethod, WinningHand,
};
use proptest::prelude::*;

const SANMA: [usize; 27] = [
    0, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30,
    31, 32, 33,
];

/// Exactly `n` sanma tiles (n drawn from `sizes`), at most four of a kind: a pick
/// whose kind is full moves on to the next kind with room.
fn hand_of(sizes: &'static [usize]) -> impl Strategy<Value = Counts> {
    prop::sample::select(sizes)
        .prop_flat_map(|n| prop::collection::vec(0..27usize, n))
        .prop_map(|picks| {
            let mut c = [0u8; 34];
            for p in picks {
                let mut i = p;
                while c[SANMA[i]] >= 4 {
                    i = (i + 1) % 27;
                }
                c[SANMA[i]] += 1;
            }
            c
        })
}

fn hand(max: usize) -> impl Strategy<Value = Counts> {
    const ALL: [usize; 15] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14];
    hand_of(&ALL[..=max])
}

const DRAWING: &[usize] = &[1, 4, 7, 10, 13];
const DISCARDING: &[usize] = &[2, 5, 8, 11, 14];

fn size(c: &Counts) -> usize {
    c.iter().map(|&x| x as usize).sum()
}

/// Completeness by enumeration, independent of the shanten tables.
fn complete(c: &Counts) -> bool {
    let n = size(c);
    n % 3 == 2
        && (!decompositions(c).is_empty()
            || (n == 14 && c.iter().filter(|&&x| x == 2).count() == 7)
            || (n == 14 && shanten_kokushi(c) == AGARI))
}

/// A complete hand: up to four random blocks and a pair.
fn complete_hand() -> impl Strategy<Value = Counts> {
    (
        prop::collection::vec((any::<bool>(), 0..27usize), 0..=4),
        0..27usize,
    )
        .prop_filter_map("too many copies", |(blocks, pair)| {
            let mut c = [0u8; 34];
            for (seq, p) in blocks {
                let k = SANMA[p];
                if seq && (9..27).contains(&k) && k % 9 <= 6 {
                    (k..k + 3).for_each(|t| c[t] += 1);
                } else {
                    c[k] += 3;
                }
            }
            c[SANMA[pair]] += 2;
            c.iter().all(|&x| x <= 4).then_some(c)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn shanten_is_minus_one_exactly_for_complete_hands(c in hand(14)) {
        prop_assert_eq!(shanten(&c) == AGARI, complete(&c), "{:?}", c);
    }

    #[test]
    fn built_complete_hands_are_complete(c in complete_hand()) {
        prop_assert_eq!(shanten(&c), AGARI);
    }

    #[test]
    fn a_draw_lowers_shanten_by_exactly_one(c in hand_of(DRAWING)) {
        let s = shanten(&c);
        let mut best = i8::MAX;
        let mut h = c;
        for &k in &SANMA {
            if h[k] < 4 {
                h[k] += 1;
                best = best.min(shanten(&h));
                prop_assert!(shanten(&h) >= s - 1);
                h[k] -= 1;
            }
        }
        prop_assert_eq!(best, s - 1, "{:?}", c);
    }

    #[test]
    fn the_best_discard_keeps_shanten(c in hand_of(DISCARDING)) {
        let s = shanten(&c);
        let best = discard_options(&c, &c, Variant::Sanma).iter().map(|d| d.ukeire.shanten).min().unwrap();
        prop_assert_eq!(best, s.max(0), "{:?}", c);
    }

    #[test]
    fn every_wait_completes_the_hand(full in complete_hand(), drop in 0..27usize) {
        // drop the first tile at or after `drop` that the hand holds
        let k = (0..27).map(|i| SANMA[(drop + i) % 27]).find(|&k| full[k] > 0).unwrap();
        let mut c = full;
        c[k] -= 1;
        let w = waits(&c, Variant::Sanma);
        prop_assert!(w.contains(&Tile::from_index(k).unwrap()));
        for t in w {
            let mut h = c;
            h[t.index()] += 1;
            prop_assert!(complete(&h), "{:?} + {}", c, t);
        }
    }

    #[test]
    fn nothing_panics_on_any_hand(c in hand(14), visible in hand(14)) {
        let _ = shanten(&c);
        let _ = waits(&c, Variant::Sanma);
        let _ = ukeire(&c, &visible, Variant::Sanma);
        let _ = discard_options(&c, &visible, Variant::Sanma);
    }

    #[test]
    fn evaluate_never_panics(c in hand(14), win in 0..27usize, tsumo: bool, riichi: bool, kita in 0u8..6,
                             honba in 0u32..10, pon in proptest::option::of(0..27usize)) {
        let concealed: Vec<Tile> = (0..34).flat_map(|i| std::iter::repeat_n(Tile::from_index(i).unwrap(), c[i] as usize)).collect();
        let melds = pon.map(|p| Meld { kind: MeldKind::Pon, tile: Tile::from_index(SANMA[p]).unwrap(), reds: 0 }).into_iter().collect();
        let hand = WinningHand { concealed, melds, win_tile: Tile::from_index(SANMA[win]).unwrap() };
        let mut ctx = WinContext::new(if tsumo { WinMethod::Tsumo } else { WinMethod::Ron });
        ctx.riichi = if riichi { RiichiKind::Riichi } else { RiichiKind::None };
        ctx.kita = kita;
        ctx.honba = honba;
        ctx.dora_indicators = vec![Tile::WEST];
        let _ = evaluate(&hand, &ctx, &ScoringRules::default());
    }
}
