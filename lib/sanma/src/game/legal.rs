//! What each seat may do at a decision point.

use meowlab_hand::shanten::{shanten, shanten_kokushi};
use meowlab_hand::waits::waits;
use meowlab_hand::{
    evaluate, Counts, MeldKind, RiichiKind, Tile, Variant, WinContext, WinMethod, WinResult,
    WinningHand,
};

use super::{Game, Player, Trigger};
use crate::action::{Action, Seat};

/// Kinds as a bit mask.
pub(super) fn kind_bit(t: Tile) -> u64 {
    1 << t.index()
}

/// Winning kinds of a 3k+1 concealed hand as a mask (0 when not tenpai).
pub(super) fn wait_mask(counts: &Counts) -> u64 {
    if shanten(counts) != 0 {
        return 0;
    }
    waits(counts, Variant::Sanma)
        .iter()
        .fold(0, |m, &t| m | kind_bit(t))
}

/// Terminal and honour kinds (kyuushu kyuuhai).
const YAOCHU: [usize; 13] = [0, 8, 9, 17, 18, 26, 27, 28, 29, 30, 31, 32, 33];

impl Game {
    /// Scores a win of `seat` on `tile` (by tsumo: the drawn tile, already in hand).
    pub(super) fn win_value(
        &self,
        seat: Seat,
        tile: Tile,
        method: WinMethod,
        trigger: Option<Trigger>,
    ) -> Option<WinResult> {
        let p = &self.players[seat as usize];
        let mut concealed = p.tiles();
        if method == WinMethod::Tsumo {
            let i = concealed.iter().position(|&t| t == tile)?;
            concealed.remove(i);
        }
        let hand = WinningHand {
            concealed,
            melds: p.melds.iter().map(|m| m.to_meld()).collect(),
            win_tile: tile,
        };
        let riichi = p.riichi || p.riichi_declared;
        let last = self.wall.live_left() == 0;
        let ctx = WinContext {
            method,
            riichi: match (riichi, p.double_riichi) {
                (false, _) => RiichiKind::None,
                (true, false) => RiichiKind::Riichi,
                (true, true) => RiichiKind::Double,
            },
            ippatsu: p.ippatsu,
            haitei: method == WinMethod::Tsumo && last && !self.replacement_draw,
            houtei: method == WinMethod::Ron && last && trigger == Some(Trigger::Discard),
            rinshan: method == WinMethod::Tsumo && self.replacement_draw,
            chankan: trigger == Some(Trigger::Kakan),
            first_draw: method == WinMethod::Tsumo && self.uninterrupted && p.discards.is_empty(),
            seat_wind: self.seat_wind(seat),
            round_wind: self.round_wind(),
            dora_indicators: self.wall.dora_indicators().to_vec(),
            ura_indicators: if riichi {
                self.wall.ura_indicators().to_vec()
            } else {
                Vec::new()
            },
            kita: p.kita,
            honba: self.honba,
            deposits: self.deposits,
        };
        evaluate(&hand, &ctx, &self.scoring).ok()
    }

    /// Fills `legal[seat]` for its own turn.
    pub(super) fn turn_actions(&mut self, seat: Seat) {
        let mut legal = std::mem::take(&mut self.legal[seat as usize]);
        legal.clear();
        let p = &self.players[seat as usize];
        let live = self.wall.live_left();
        let can_replace = live > 0 && self.wall.replacements() < 8;
        if let Some(drawn) = p.drawn {
            if p.waits & kind_bit(drawn) != 0
                && self
                    .win_value(seat, drawn, WinMethod::Tsumo, None)
                    .is_some()
            {
                legal.push(Action::Tsumo);
            }
        }
        if p.riichi {
            // after riichi: tsumogiri, Kita of the drawn North, ankan that keeps the waits
            let drawn = p.drawn.expect("a riichi seat acts only after drawing");
            legal.push(Action::Discard {
                tile: drawn,
                tsumogiri: true,
            });
            if drawn == Tile::NORTH && can_replace {
                legal.push(Action::Kita);
            }
            if p.counts[drawn.index()] == 4
                && self.kans < 4
                && can_replace
                && self.ankan_keeps_waits(p, drawn)
            {
                legal.push(Action::Ankan { tile: drawn.kind() });
            }
            self.legal[seat as usize] = legal;
            return;
        }
        // discards: exact tiles from the hand, then the drawn tile as tsumogiri
        for (i, &c) in p.counts.iter().enumerate() {
            if c == 0 || p.forbidden & (1 << i) != 0 {
                continue;
            }
            let t = Tile::from_index(i).expect("kind");
            let mut red = p.has_red_of(t);
            let mut plain = c - red as u8;
            match p.drawn {
                Some(d) if d.index() == i && d.is_red() => red = false,
                Some(d) if d.index() == i => plain -= 1,
                _ => {}
            }
            if red {
                legal.push(Action::Discard {
                    tile: Tile::red_five(t.suit()).expect("five"),
                    tsumogiri: false,
                });
            }
            if plain > 0 {
                legal.push(Action::Discard {
                    tile: t,
                    tsumogiri: false,
                });
            }
        }
        if let Some(d) = p.drawn {
            legal.push(Action::Discard {
                tile: d,
                tsumogiri: true,
            });
        }
        // riichi
        let closed = p.is_closed();
        if closed
            && p.drawn.is_some()
            && self.scores[seat as usize] >= self.rules.riichi_min_points
            && live >= self.rules.riichi_min_tiles_left as usize
            && shanten(&p.counts) <= 0
        {
            let mut counts = p.counts;
            let discards: Vec<Action> = legal.clone();
            for a in discards {
                if let Action::Discard { tile, tsumogiri } = a {
                    counts[tile.index()] -= 1;
                    if shanten(&counts) == 0 {
                        legal.push(Action::Riichi { tile, tsumogiri });
                    }
                    counts[tile.index()] += 1;
                }
            }
        }
        if p.drawn.is_some() {
            if p.counts[Tile::NORTH.index()] > 0 && can_replace {
                legal.push(Action::Kita);
            }
            if self.kans < 4 && can_replace {
                for (i, &c) in p.counts.iter().enumerate() {
                    if c == 4 {
                        legal.push(Action::Ankan {
                            tile: Tile::from_index(i).expect("kind"),
                        });
                    }
                }
                for m in &p.melds {
                    if m.kind == MeldKind::Pon && p.counts[m.kind_tile().index()] > 0 {
                        legal.push(Action::Kakan {
                            tile: m.kind_tile(),
                        });
                    }
                }
            }
            if self.rules.kyuushu_kyuuhai && self.uninterrupted && p.discards.is_empty() {
                let kinds = YAOCHU.iter().filter(|&&i| p.counts[i] > 0).count();
                if kinds >= 9 {
                    legal.push(Action::Kyuushu);
                }
            }
        }
        self.legal[seat as usize] = legal;
    }

    /// Tenhou: an ankan after riichi is allowed only with the drawn tile and when the
    /// waits stay the same.
    fn ankan_keeps_waits(&self, p: &Player, drawn: Tile) -> bool {
        let mut before = p.counts;
        before[drawn.index()] -= 1;
        let mut after = p.counts;
        after[drawn.index()] -= 4;
        let before_waits = wait_mask(&before);
        before_waits != 0 && wait_mask(&after) == before_waits
    }

    /// Fills `legal` for the seats that may respond to `tile`; returns the mask of
    /// seats with a choice beyond passing.
    pub(super) fn response_actions(&mut self, from: Seat, tile: Tile, trigger: Trigger) -> u8 {
        let mut mask = 0;
        let live = self.wall.live_left();
        for seat in (0..3).filter(|&s| s != from) {
            let mut legal = std::mem::take(&mut self.legal[seat as usize]);
            legal.clear();
            let p = &self.players[seat as usize];
            let kind = tile.kind();
            let robbable = match trigger {
                Trigger::Ankan => {
                    let mut c = p.counts;
                    c[kind.index()] += 1;
                    shanten_kokushi(&c) == -1
                }
                _ => true,
            };
            if robbable
                && p.waits & kind_bit(tile) != 0
                && !p.is_furiten()
                && self
                    .win_value(seat, tile, WinMethod::Ron, Some(trigger))
                    .is_some()
            {
                legal.push(Action::Ron);
            }
            // the discard after a fourth kan by two or more players cannot be called: the
            // hand is aborted unless it is ronned
            let four_kan_abort =
                self.rules.four_kan_abort && self.kans == 4 && self.kan_seats.count_ones() >= 2;
            if trigger == Trigger::Discard && !p.riichi && live > 0 && !four_kan_abort {
                let c = p.counts[kind.index()];
                if c >= 2 {
                    // a pon must leave a legal discard (kuikae forbids this kind)
                    let other_kinds = p.counts.iter().sum::<u8>() - c;
                    if other_kinds > 0 {
                        for consumed in pon_choices(p, kind) {
                            legal.push(Action::Pon { consumed });
                        }
                    }
                }
                if c >= 3 && self.kans < 4 && self.wall.replacements() < 8 {
                    legal.push(Action::Daiminkan);
                }
            }
            if !legal.is_empty() {
                legal.push(Action::Pass);
                mask |= 1 << seat;
            }
            self.legal[seat as usize] = legal;
        }
        mask
    }

    /// Explains why `action` is not in the legal list (for error messages).
    pub(super) fn why_illegal(&self, seat: Seat, action: Action) -> String {
        let p = &self.players[seat as usize];
        match action {
            Action::Discard { tile, .. } | Action::Riichi { tile, .. } if !p.holds(tile) => {
                format!("the hand does not hold {tile}")
            }
            Action::Discard { tile, .. } if p.forbidden & kind_bit(tile) != 0 => {
                format!("kuikae: {tile} cannot be discarded right after calling it")
            }
            Action::Discard { .. } if p.riichi => {
                "after riichi only the drawn tile may be discarded".into()
            }
            Action::Riichi { .. } if !p.is_closed() => "riichi needs a closed hand".into(),
            Action::Riichi { .. } if self.scores[seat as usize] < self.rules.riichi_min_points => {
                format!("riichi needs {} points", self.rules.riichi_min_points)
            }
            Action::Riichi { .. } => {
                "the hand is not tenpai after that discard, or too few tiles are left".into()
            }
            Action::Tsumo => "the hand is not complete with a yaku".into(),
            Action::Ron => "not a winning tile with a yaku, or furiten".into(),
            _ => format!(
                "not legal now; legal: {}",
                self.legal[seat as usize]
                    .iter()
                    .map(|a| a.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }
}

/// The distinct pairs of hand tiles that can pon `kind` (red and plain fives differ).
fn pon_choices(p: &Player, kind: Tile) -> Vec<[Tile; 2]> {
    let red = Tile::red_five(kind.suit())
        .filter(|r| r.kind() == kind && p.reds & super::red_bit(*r) != 0);
    let plain = p.counts[kind.index()] - red.is_some() as u8;
    let mut out = Vec::with_capacity(2);
    if plain >= 2 {
        out.push([kind, kind]);
    }
    if let Some(r) = red {
        if plain >= 1 {
            out.push([r, kind]);
        }
    }
    out
}
