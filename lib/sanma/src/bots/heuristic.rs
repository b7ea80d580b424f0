//! A strong rule-based player and the teacher for supervised learning:
//! ukeire-maximising discards that keep dora; riichi when tenpai, but dama on a wait with
//! no live tile or with a hand already worth a mangan and a yaku; Kita unless the North
//! is part of a hand near tenpai; calls only when they keep a yaku and improve the hand;
//! folding with the safest tile (genbutsu, then suji/kabe/visible honours) against a
//! riichi when its own hand is far.

use meowlab_hand::shanten::shanten;
use meowlab_hand::waits::{ukeire, waits};
use meowlab_hand::{Counts, Tile, Variant};

use super::Agent;
use crate::action::{Action, Seat};
use crate::view::SeatView;

/// The heuristic bot. Deterministic: it has no randomness.
#[derive(Default)]
pub struct HeuristicAgent;

impl Agent for HeuristicAgent {
    fn name(&self) -> String {
        "heuristic".into()
    }

    fn act(&mut self, view: &SeatView<'_>) -> Action {
        let legal = view.legal_actions();
        for a in [Action::Tsumo, Action::Ron] {
            if legal.contains(&a) {
                return a;
            }
        }
        if legal.contains(&Action::Kita) && !keeps_north(view) {
            return Action::Kita;
        }
        if view.offered_tile().is_some() {
            return respond(view, legal);
        }
        turn(view, legal)
    }
}

/// Whether to keep North rather than declare Kita: when the North is part of a hand at
/// most one tile from tenpai (a pair or a triplet in its best shape), so that setting it
/// aside would move the hand further from winning.
fn keeps_north(view: &SeatView<'_>) -> bool {
    let counts = view.hand_counts();
    let current = shanten(&counts);
    if current > 1 {
        return false;
    }
    let mut without = counts;
    without[Tile::NORTH.index()] -= 1;
    shanten(&without) > current
}

/// Whether a tenpai hand (`after`: the concealed tiles once `discarded` is thrown) is
/// better played without riichi: it already has a yaku that holds whatever tile
/// completes it (all simples, or a concealed triplet of a value tile) and is worth at
/// least four han without riichi (yaku + dora, red fives, Kita), i.e. about a mangan, so
/// riichi adds little value for a locked hand and a warning to the other players.
fn dama_is_enough(view: &SeatView<'_>, after: &Counts, discarded: Tile, dora: u64) -> bool {
    let seat = view.seat();
    let melds = view.melds(seat);
    let value = |t: Tile| -> u32 {
        t.is_dragon() as u32 + (t == view.seat_wind()) as u32 + (t == view.round_wind()) as u32
    };
    let simple = |i: usize| Tile::from_index(i).is_some_and(Tile::is_simple);
    let tanyao = (0..34).all(|i| after[i] == 0 || simple(i))
        && melds.iter().all(|m| m.kind_tile().is_simple())
        && waits(after, Variant::Sanma).iter().all(|t| t.is_simple());
    let yakuhai: u32 = (27..34)
        .filter(|&i| after[i] >= 3)
        .filter_map(Tile::from_index)
        .chain(melds.iter().map(|m| m.kind_tile()))
        .map(value)
        .sum();
    if !tanyao && yakuhai == 0 {
        return false;
    }
    let is_dora = |t: Tile| dora & (1 << t.index()) != 0;
    let in_hand: u32 = (0..34)
        .filter(|&i| dora & (1 << i) != 0)
        .map(|i| after[i] as u32)
        .sum();
    let in_melds = melds.iter().filter(|m| is_dora(m.kind_tile())).count() as u32 * 4;
    let red = (view.hand().iter().filter(|t| t.is_red()).count() as u32)
        .saturating_sub(discarded.is_red() as u32);
    let kita = view.kita(seat) as u32 * (1 + is_dora(Tile::NORTH) as u32);
    tanyao as u32 + yakuhai + in_hand + in_melds + red + kita >= 4
}

/// Dora kinds from the indicators.
fn dora_kinds(view: &SeatView<'_>) -> u64 {
    view.dora_indicators().iter().fold(0, |m, t| {
        m | 1 << t.dora_from_indicator(Variant::Sanma).index()
    })
}

/// Kinds safe against a riichi by `seat`: its own discards and everything discarded
/// by anyone after its riichi (genbutsu).
fn genbutsu(view: &SeatView<'_>, seat: Seat) -> u64 {
    let mut safe = view
        .discards(seat)
        .iter()
        .fold(0u64, |m, d| m | 1 << d.tile.index());
    if let Some(riichi_at) = view.discards(seat).iter().position(|d| d.riichi) {
        // tiles others discarded after the riichi discard: approximate by their last
        // discards made since then (same number of turns)
        let turns_since = view.discards(seat).len() - riichi_at;
        for other in (0..3).filter(|&s| s != seat) {
            let d = view.discards(other);
            for x in d.iter().rev().take(turns_since) {
                safe |= 1 << x.tile.index();
            }
        }
    }
    safe
}

/// Danger of discarding `kind` against the riichi players (0 = safe).
fn danger(view: &SeatView<'_>, kind: Tile, visible: &Counts) -> f32 {
    let mut total = 0.0;
    for r in (0..3).filter(|&s| s != view.seat() && view.riichi(s)) {
        if genbutsu(view, r) & (1 << kind.index()) != 0 {
            continue;
        }
        let seen = visible[kind.index()];
        let d = if kind.is_honor() {
            match seen {
                3.. => 0.2,
                2 => 1.0,
                _ => 3.0,
            }
        } else {
            let discarded = |n: i8| -> bool {
                (1..=9).contains(&n)
                    && Tile::from_suit_number(kind.suit(), n as u8)
                        .is_some_and(|t| view.discards(r).iter().any(|d| d.tile.kind() == t))
            };
            let n = kind.number() as i8;
            let low = n - 3 < 1 || discarded(n - 3);
            let high = n + 3 > 9 || discarded(n + 3);
            // kabe: all four of a neighbour visible blocks ryanmen through it
            let wall = |m: i8| {
                (1..=9).contains(&m)
                    && Tile::from_suit_number(kind.suit(), m as u8)
                        .is_some_and(|t| visible[t.index()] >= 4)
            };
            let base = match (low, high) {
                (true, true) => 1.5,
                (true, false) | (false, true) => 4.0,
                _ => 7.0,
            };
            let kabe = if wall(n - 1) || wall(n + 1) { 0.6 } else { 1.0 };
            let edge = if kind.is_terminal() { 0.7 } else { 1.0 };
            base * kabe * edge
        };
        total += d;
    }
    total
}

fn riichi_opponents(view: &SeatView<'_>) -> usize {
    (0..3)
        .filter(|&s| s != view.seat() && view.riichi(s))
        .count()
}

/// Value of keeping a tile (dora, red) — discarding it costs this much.
fn keep_value(tile: Tile, dora: u64) -> f32 {
    let mut v = 0.0;
    if dora & (1 << tile.index()) != 0 {
        v += 1.5;
    }
    if tile.is_red() {
        v += 1.5;
    }
    v
}

/// Own turn: riichi if possible, fold against riichi when far, else the discard with the
/// best (shanten, ukeire), keeping dora; kans that do not hurt the hand.
fn turn(view: &SeatView<'_>, legal: &[Action]) -> Action {
    let counts = view.hand_counts();
    let visible = view.visible_counts();
    let dora = dora_kinds(view);
    let current = shanten(&counts);

    if legal.contains(&Action::Kyuushu) {
        let kokushi = meowlab_hand::shanten::shanten_kokushi(&counts);
        if kokushi > 2 {
            return Action::Kyuushu;
        }
    }
    for a in legal {
        if let Action::Ankan { tile } | Action::Kakan { tile } = *a {
            let mut after = counts;
            after[tile.index()] = 0;
            if shanten(&after) <= current || view.riichi(view.seat()) {
                return *a;
            }
        }
    }

    // candidate discards (riichi versions preferred when tenpai); ukeire only for the
    // candidates that keep the best shanten, which is where the choice is made
    let threatened = riichi_opponents(view) > 0;
    let fold = threatened && current >= 2;
    let candidates: Vec<(Action, Tile, bool, i8)> = legal
        .iter()
        .filter_map(|&a| match a {
            Action::Discard { tile, .. } => Some((a, tile, false)),
            Action::Riichi { tile, .. } => Some((a, tile, true)),
            _ => None,
        })
        .map(|(a, tile, is_riichi)| {
            let mut after = counts;
            after[tile.index()] -= 1;
            (a, tile, is_riichi, shanten(&after))
        })
        .collect();
    let best_shanten = candidates.iter().map(|c| c.3).min().unwrap_or(8);
    let riichi_tiles: Vec<Tile> = candidates
        .iter()
        .filter(|c| c.2)
        .map(|c| c.1.kind())
        .collect();
    let mut best: Option<(f32, Action)> = None;
    for &(a, tile, is_riichi, s) in &candidates {
        let score = if fold {
            // minimise danger, then stay close to tenpai
            -danger(view, tile, &visible) * 100.0 - s as f32 * 5.0 - keep_value(tile, dora) * 0.1
        } else {
            let mut after = counts;
            after[tile.index()] -= 1;
            let u = if s == best_shanten {
                ukeire(&after, &visible, Variant::Sanma).total as f32
            } else {
                0.0
            };
            // Tenpai is worth most with riichi, unless riichi would lock a wait with no
            // live tile left (dama keeps the chance to change it), or the hand is worth a
            // mangan without it (then the plain discard of the same tile gets the bonus).
            let riichi_bonus = if !riichi_tiles.contains(&tile.kind()) || u == 0.0 {
                0.0
            } else if dama_is_enough(view, &after, tile, dora) != is_riichi {
                1000.0
            } else {
                0.0
            };
            let isolation = isolation_bonus(&after, tile);
            let push_danger = if threatened {
                danger(view, tile, &visible) * (1.0 + s.max(0) as f32)
            } else {
                0.0
            };
            riichi_bonus - s as f32 * 500.0 + u - keep_value(tile, dora) * 2.0 + isolation
                - push_danger
        };
        if best.is_none_or(|(b, _)| score > b) {
            best = Some((score, a));
        }
    }
    best.map(|(_, a)| a).unwrap_or(legal[0])
}

/// Prefers throwing isolated honours and terminals first among equal choices.
fn isolation_bonus(after: &Counts, tile: Tile) -> f32 {
    let kept = after[tile.index()];
    if kept > 0 {
        return 0.0;
    }
    if tile.is_honor() {
        0.6
    } else if tile.is_terminal() {
        0.4
    } else {
        0.0
    }
}

/// Whether an open hand would still have a yaku: a value-tile triplet (called or
/// concealed), or only simples (kuitan).
fn open_hand_has_yaku(view: &SeatView<'_>, counts: &Counts, called: Tile) -> bool {
    let value = |t: Tile| t.is_dragon() || t == view.seat_wind() || t == view.round_wind();
    if value(called) {
        return true;
    }
    let seat = view.seat();
    if view.melds(seat).iter().any(|m| value(m.kind_tile())) {
        return true;
    }
    if (27..34).any(|i| counts[i] >= 3 && value(Tile::from_index(i).expect("kind"))) {
        return true;
    }
    let all_simple = counts
        .iter()
        .enumerate()
        .all(|(i, &c)| c == 0 || Tile::from_index(i).is_some_and(Tile::is_simple));
    all_simple && called.is_simple() && view.melds(seat).iter().all(|m| m.kind_tile().is_simple())
}

/// Responding to another seat's tile: pon when it keeps a yaku and improves the hand.
fn respond(view: &SeatView<'_>, legal: &[Action]) -> Action {
    let Some(tile) = view.offered_tile() else {
        return Action::Pass;
    };
    let counts = view.hand_counts();
    let current = shanten(&counts);
    if riichi_opponents(view) > 0 && current >= 2 {
        return Action::Pass;
    }
    for &a in legal {
        if let Action::Pon { .. } = a {
            if !open_hand_has_yaku(view, &counts, tile.kind()) {
                continue;
            }
            let mut after = counts;
            after[tile.index()] -= 2;
            // best shanten after the pon and a discard
            let mut best = i8::MAX;
            for i in (0..34).filter(|&i| i != tile.index()) {
                if after[i] > 0 {
                    after[i] -= 1;
                    best = best.min(shanten(&after));
                    after[i] += 1;
                }
            }
            if best < current {
                return a;
            }
        }
    }
    Action::Pass
}
