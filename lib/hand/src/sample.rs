//! Seeded random winning sanma hands in the [`Case`] format, for oracle cross-checks
//! and benchmarks. The mix is biased towards the unusual (kans, Kita, dora, limit
//! hands, yakuman flavours) so rare rules get exercised; a hand may still lack a yaku.

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::agari::MeldKind;
use crate::case::{Case, CaseMeld, Conditions};

/// Generates `n` hands from `seed` (ChaCha8: the same seed gives the same hands).
pub fn winning_cases(n: usize, seed: u64) -> Vec<Case> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        if let Some(case) = one_case(&mut rng) {
            out.push(case);
        }
    }
    out
}

/// Kinds that exist in sanma.
fn sanma_kinds() -> Vec<usize> {
    (0..34).filter(|&k| !(1..=7).contains(&k)).collect()
}

/// Physical tiles left to hand out, per kind (136-ids, shuffled).
struct Pool {
    ids: Vec<Vec<u32>>,
}

impl Pool {
    fn new(rng: &mut ChaCha8Rng) -> Self {
        let mut ids: Vec<Vec<u32>> = (0..34)
            .map(|k| (0..4).map(|c| (k * 4 + c) as u32).collect())
            .collect();
        ids[1..=7].iter_mut().for_each(Vec::clear); // 2m-8m are not in sanma
        for v in &mut ids {
            v.shuffle(rng);
        }
        Pool { ids }
    }

    fn left(&self, kind: usize) -> usize {
        self.ids[kind].len()
    }

    fn take(&mut self, kind: usize) -> Option<u32> {
        self.ids[kind].pop()
    }

    fn take_any(&mut self, rng: &mut ChaCha8Rng) -> Option<u32> {
        let kinds: Vec<usize> = (0..34).filter(|&k| self.left(k) > 0).collect();
        let &k = kinds.choose(rng)?;
        self.take(k)
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Shape {
    Seq(usize),
    Trip(usize),
}

fn one_case(rng: &mut ChaCha8Rng) -> Option<Case> {
    let mut pool = Pool::new(rng);
    let all = sanma_kinds();
    // a flavour restricts the kinds to provoke tile-level yaku
    let flavour: Vec<usize> = match rng.gen_range(0..100) {
        0..=11 => {
            let suit = rng.gen_range(1..3) * 9;
            (suit..suit + 9).chain(27..34).collect() // honitsu
        }
        12..=17 => {
            let suit = rng.gen_range(1..3) * 9;
            (suit..suit + 9).collect() // chinitsu
        }
        18..=19 => (27..34).collect(), // tsuuiisou
        20..=22 => vec![0, 8, 9, 17, 18, 26, 27, 28, 29, 30, 31, 32, 33], // honroutou / chinroutou
        23 => vec![19, 20, 21, 23, 25, 32], // ryuuiisou
        24..=27 => vec![31, 32, 33, 27, 28, 29, 30, 10, 15, 20, 25], // dragons and winds
        28..=45 => (9..27).filter(|k| !matches!(k % 9, 0 | 8)).collect(), // tanyao
        _ => all.clone(),
    };
    // some hands start from a template of blocks that provokes a rare yaku
    let suit = rng.gen_range(1..3) * 9;
    let (template, seq_starts): (Vec<Shape>, Vec<usize>) = match rng.gen_range(0..100) {
        0..=4 => (
            vec![Shape::Seq(suit), Shape::Seq(suit + 3), Shape::Seq(suit + 6)],
            vec![],
        ), // ittsu
        5..=9 => (vec![], vec![0, 6]), // chanta/junchan
        10..=11 => (
            vec![Shape::Trip(0), Shape::Trip(9), Shape::Trip(18)],
            vec![],
        ), // sanshoku doukou
        _ => (vec![], vec![]),
    };
    let chuuren = template.is_empty() && seq_starts.is_empty() && rng.gen_ratio(1, 100);
    let kokushi = !chuuren && rng.gen_ratio(1, 100);
    let chiitoi = !kokushi && !chuuren && rng.gen_ratio(6, 100);
    let mut concealed: Vec<u32> = Vec::new();
    let mut melds: Vec<CaseMeld> = Vec::new();
    if chuuren {
        for (r, n) in [3, 1, 1, 1, 1, 1, 1, 1, 3].into_iter().enumerate() {
            for _ in 0..n {
                concealed.push(pool.take(suit + r)?);
            }
        }
        concealed.push(pool.take(suit + rng.gen_range(0..9))?);
    } else if kokushi {
        let orphans = [0usize, 8, 9, 17, 18, 26, 27, 28, 29, 30, 31, 32, 33];
        for &k in &orphans {
            concealed.push(pool.take(k)?);
        }
        concealed.push(pool.take(*orphans.choose(rng)?)?);
    } else if chiitoi {
        let mut kinds = flavour.clone();
        if kinds.len() < 7 {
            kinds = all.clone();
        }
        kinds.shuffle(rng);
        for &k in &kinds[..7] {
            concealed.push(pool.take(k)?);
            concealed.push(pool.take(k)?);
        }
    } else {
        let trip_bias = rng.gen_range(0.05..0.9);
        let mut shapes = Vec::new();
        for b in 0..4 {
            let mut placed = false;
            for attempt in 0..20 {
                let k = *flavour.choose(rng)?;
                let seq_ok = (9..27).contains(&k)
                    && (seq_starts.is_empty() || seq_starts.contains(&(k % 9)))
                    && k % 9 <= 6;
                let k = if seq_starts.is_empty()
                    || seq_ok
                    || (27..34).contains(&k)
                    || matches!(k % 9, 0 | 8)
                {
                    k
                } else {
                    27 + k % 7
                };
                if let (Some(&forced), 0) = (template.get(b), attempt) {
                    let ok = match forced {
                        Shape::Seq(k) => (k..k + 3).all(|t| pool.left(t) >= 1),
                        Shape::Trip(k) => pool.left(k) >= 3,
                    };
                    if ok {
                        match forced {
                            Shape::Seq(k) => {
                                (k..k + 3).for_each(|t| concealed.push(pool.take(t).unwrap_or(0)))
                            }
                            Shape::Trip(k) => {
                                (0..3).for_each(|_| concealed.push(pool.take(k).unwrap_or(0)))
                            }
                        }
                        shapes.push(forced);
                        placed = true;
                        break;
                    }
                }
                let shape = if seq_ok && !rng.gen_bool(trip_bias) {
                    Shape::Seq(k)
                } else {
                    Shape::Trip(k)
                };
                let ok = match shape {
                    Shape::Seq(k) => (k..k + 3).all(|t| pool.left(t) >= 1),
                    Shape::Trip(k) => pool.left(k) >= 3,
                };
                if ok {
                    shapes.push(shape);
                    match shape {
                        Shape::Seq(k) => {
                            (k..k + 3).for_each(|t| concealed.push(pool.take(t).unwrap_or(0)))
                        }
                        Shape::Trip(k) => {
                            (0..3).for_each(|_| concealed.push(pool.take(k).unwrap_or(0)))
                        }
                    }
                    placed = true;
                    break;
                }
            }
            if !placed {
                return None;
            }
        }
        let pair = (0..20)
            .map(|_| *flavour.choose(rng).unwrap_or(&0))
            .find(|&k| pool.left(k) >= 2)?;
        let pair_ids = [pool.take(pair)?, pool.take(pair)?];
        // turn some triplets into melds
        let n_melds = match rng.gen_range(0..100) {
            0..=49 => 0,
            50..=74 => 1,
            75..=89 => 2,
            90..=96 => 3,
            _ => 4,
        };
        let mut trip_blocks: Vec<usize> = shapes
            .iter()
            .enumerate()
            .filter(|(_, s)| matches!(s, Shape::Trip(_)))
            .map(|(i, _)| i)
            .collect();
        trip_blocks.shuffle(rng);
        let called: Vec<usize> = trip_blocks.into_iter().take(n_melds).collect();
        let mut rest = Vec::new();
        for (i, shape) in shapes.iter().enumerate() {
            let ids = concealed[i * 3..i * 3 + 3].to_vec();
            match shape {
                Shape::Trip(k) if called.contains(&i) => {
                    let kind = match rng.gen_range(0..10) {
                        0..=5 => MeldKind::Pon,
                        6..=7 if pool.left(*k) > 0 => MeldKind::Ankan,
                        8 if pool.left(*k) > 0 => MeldKind::Daiminkan,
                        9 if pool.left(*k) > 0 => MeldKind::Kakan,
                        _ => MeldKind::Pon,
                    };
                    let mut tiles = ids;
                    if kind != MeldKind::Pon {
                        tiles.push(pool.take(*k)?);
                    }
                    melds.push(CaseMeld {
                        meld_type: kind,
                        tiles,
                        opened: kind != MeldKind::Ankan,
                        from_who: if kind == MeldKind::Ankan {
                            None
                        } else {
                            Some(rng.gen_range(1..3))
                        },
                    });
                }
                _ => rest.extend(ids),
            }
        }
        rest.extend(pair_ids);
        concealed = rest;
    }
    concealed.shuffle(rng);
    let win_tile = concealed.pop()?;

    let closed = melds.iter().all(|m| !m.opened);
    let kans = melds
        .iter()
        .filter(|m| m.meld_type != MeldKind::Pon)
        .count();
    let tsumo = rng.gen_bool(0.5);
    let first = closed && melds.is_empty() && tsumo && rng.gen_ratio(1, 100);
    let riichi = closed && !first && rng.gen_bool(0.45);
    let double_riichi = riichi && rng.gen_ratio(1, 12);
    let win_kind = win_tile / 4;
    let win_copies = concealed.iter().filter(|&&t| t / 4 == win_kind).count();
    let kita_available = pool.left(30).min(4);
    let kita_count = if rng.gen_bool(0.45) {
        rng.gen_range(0..=kita_available) as u8
    } else {
        0
    };
    let replacement_draw = kans > 0 || kita_count > 0;
    let rinshan = tsumo && !first && replacement_draw && rng.gen_ratio(1, 6);
    let haitei = tsumo && !first && !rinshan && rng.gen_ratio(1, 25);
    let houtei = !tsumo && rng.gen_ratio(1, 25);
    let chankan = !tsumo
        && !houtei
        && win_copies == 0
        && !(27..34).contains(&(win_kind as usize))
        && rng.gen_ratio(1, 25);
    let ippatsu = riichi && !rinshan && rng.gen_bool(0.25);
    let n_dora = 1 + kans;
    let dora: Vec<u32> = (0..n_dora).filter_map(|_| pool.take_any(rng)).collect();
    let ura: Vec<u32> = if riichi {
        (0..n_dora).filter_map(|_| pool.take_any(rng)).collect()
    } else {
        vec![]
    };
    for _ in 0..kita_count {
        pool.take(30)?;
    }
    Some(Case {
        tiles_136: concealed,
        melds,
        win_tile_136: win_tile,
        dora_indicators: dora,
        ura_indicators: ura,
        conditions: Conditions {
            tsumo,
            riichi: riichi && !double_riichi,
            double_riichi,
            ippatsu,
            haitei,
            houtei,
            rinshan,
            chankan,
            tsumo_first_turn: first,
            player_wind: rng.gen_range(0..3),
            round_wind: if rng.gen_ratio(1, 10) {
                2
            } else {
                rng.gen_range(0..2)
            },
            honba: if rng.gen_bool(0.3) {
                rng.gen_range(1..6)
            } else {
                0
            },
            kita_count,
            is_sanma: true,
            num_players: 3,
            deposits: 0,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_hands_and_all_well_formed() {
        let a = winning_cases(300, 7);
        assert_eq!(a, winning_cases(300, 7));
        assert_ne!(a, winning_cases(300, 8));
        for (i, case) in a.iter().enumerate() {
            let (hand, ..) = case.to_hand().unwrap_or_else(|e| panic!("case {i}: {e}"));
            let mut counts = crate::tile::counts_of(&hand.concealed);
            counts[hand.win_tile.index()] += 1;
            assert_eq!(
                crate::shanten::shanten(&counts),
                crate::shanten::AGARI,
                "case {i}"
            );
        }
    }
}
