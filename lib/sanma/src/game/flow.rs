//! Applying actions: draws, discards, calls, kans, Kita, and resolving responses.

use meowlab_hand::{MeldKind, Tile};

use super::legal::{kind_bit, wait_mask};
use super::{CalledMeld, Discard, Game, Phase, Trigger};
use crate::action::{Action, Seat};
use crate::event::Event;
use crate::wall::Wall;

impl Game {
    /// Deals a hand and lets the dealer draw.
    pub(super) fn start_kyoku(&mut self, wall: Option<Wall>) {
        self.wall = match wall {
            Some(w) => w,
            None => match self.queued_walls.pop_front() {
                Some(w) => w,
                None => self.next_wall(),
            },
        };
        for p in &mut self.players {
            p.reset();
        }
        self.uninterrupted = true;
        self.kans = 0;
        self.kan_seats = 0;
        self.pending_dora = 0;
        self.replacement_draw = false;
        let dealer = self.dealer();
        let mut tehais = vec![Vec::new(); 3];
        for i in 0..3 {
            let seat = (dealer + i) % 3;
            let p = &mut self.players[seat as usize];
            for t in self.wall.deal(i as usize) {
                p.add(t);
            }
            p.waits = wait_mask(&p.counts);
            tehais[seat as usize] = p.tiles();
        }
        self.events.push(Event::StartKyoku {
            bakaze: self.round_wind(),
            dora_marker: self.wall.dora_indicators()[0],
            kyoku: dealer + 1,
            honba: self.honba,
            kyotaku: self.deposits,
            oya: dealer,
            scores: self.scores.to_vec(),
            tehais,
        });
        self.draw(dealer, false);
    }

    /// `seat` draws (a replacement tile after a kan or Kita) and is to act.
    fn draw(&mut self, seat: Seat, replacement: bool) {
        let tile = if replacement {
            self.wall.draw_replacement()
        } else {
            self.wall.draw()
        };
        let Some(tile) = tile else {
            // legality checks keep a tile available for every draw; be safe anyway
            self.exhaustive_draw();
            return;
        };
        let p = &mut self.players[seat as usize];
        p.add(tile);
        p.drawn = Some(tile);
        self.replacement_draw = replacement;
        self.events.push(Event::Tsumo {
            actor: seat,
            pai: tile,
        });
        self.set_turn(seat);
    }

    fn set_turn(&mut self, seat: Seat) {
        self.phase = Phase::Turn { seat };
        self.turn_actions(seat);
        self.waiting = 1 << seat;
        self.responses = [None; 3];
    }

    /// Called when every deciding seat has chosen.
    pub(super) fn resolve(&mut self) {
        match self.phase {
            Phase::Turn { seat } => {
                let action = self.responses[seat as usize]
                    .take()
                    .expect("the acting seat chose");
                self.apply_turn(seat, action);
            }
            Phase::Respond {
                from,
                tile,
                trigger,
            } => {
                let order = [(from + 1) % 3, (from + 2) % 3];
                let rons: Vec<Seat> = order
                    .iter()
                    .copied()
                    .filter(|&s| self.responses[s as usize] == Some(Action::Ron))
                    .collect();
                if !rons.is_empty() {
                    self.settle_ron(from, tile, trigger, &rons);
                    return;
                }
                let call = order
                    .iter()
                    .copied()
                    .find_map(|s| match self.responses[s as usize] {
                        Some(a @ (Action::Pon { .. } | Action::Daiminkan)) => Some((s, a)),
                        _ => None,
                    });
                match call {
                    Some((seat, action)) => self.call(seat, from, tile, action),
                    None => self.continue_after(from, tile, trigger),
                }
            }
            Phase::GameOver => {}
        }
    }

    fn apply_turn(&mut self, seat: Seat, action: Action) {
        // a riichi player who lets a winning draw go is furiten for the rest of the hand
        // (also when the tile goes to a Kita or kan instead of the discards)
        let p = &mut self.players[seat as usize];
        if p.riichi && action != Action::Tsumo && self.legal[seat as usize].contains(&Action::Tsumo)
        {
            p.furiten_riichi = true;
        }
        match action {
            Action::Discard { tile, tsumogiri } => self.discard(seat, tile, tsumogiri, false),
            Action::Riichi { tile, tsumogiri } => self.discard(seat, tile, tsumogiri, true),
            Action::Tsumo => self.settle_tsumo(seat),
            Action::Kita => self.kita(seat),
            Action::Ankan { tile } => self.ankan(seat, tile),
            Action::Kakan { tile } => self.kakan(seat, tile),
            Action::Kyuushu => self.abortive_draw("kyuushu"),
            Action::Ron | Action::Pon { .. } | Action::Daiminkan | Action::Pass => {
                unreachable!("legal turn actions never include {action}")
            }
        }
    }

    fn discard(&mut self, seat: Seat, tile: Tile, tsumogiri: bool, riichi: bool) {
        let uninterrupted = self.uninterrupted;
        let turn = self.turn_number();
        let p = &mut self.players[seat as usize];
        if riichi {
            self.events.push(Event::Reach { actor: seat });
            p.riichi_declared = true;
            p.riichi_turn = turn;
            p.double_riichi = uninterrupted && p.discards.is_empty();
        }
        let removed = p.remove(tile);
        debug_assert!(removed, "legal discard {tile} is in the hand");
        p.drawn = None;
        p.forbidden = 0;
        if p.riichi {
            p.ippatsu = false; // the ippatsu window closes with the next own discard
        }
        p.furiten_temporary = false;
        p.discards.push(Discard {
            tile,
            tsumogiri,
            riichi,
            called: false,
        });
        p.discarded_kinds |= kind_bit(tile);
        p.waits = wait_mask(&p.counts);
        self.events.push(Event::Dahai {
            actor: seat,
            pai: tile,
            tsumogiri,
        });
        self.reveal_pending_dora();
        self.offer(seat, tile, Trigger::Discard);
    }

    fn reveal_dora(&mut self) {
        let marker = self.wall.reveal_dora();
        self.events.push(Event::Dora {
            dora_marker: marker,
        });
    }

    /// Shows the dora of earlier open kans (after a discard or a Kita, or before a new
    /// kan).
    fn reveal_pending_dora(&mut self) {
        for _ in 0..std::mem::take(&mut self.pending_dora) {
            self.reveal_dora();
        }
    }

    /// Lets the other seats respond to `tile`, or goes on when nobody can.
    fn offer(&mut self, from: Seat, tile: Tile, trigger: Trigger) {
        let mask = self.response_actions(from, tile, trigger);
        if mask == 0 {
            self.continue_after(from, tile, trigger);
        } else {
            self.phase = Phase::Respond {
                from,
                tile,
                trigger,
            };
            self.waiting = mask;
            self.responses = [None; 3];
        }
    }

    /// Seats waiting on `tile` that did not win on it become furiten. A concealed kan
    /// only counts for the seats that could rob it (kokushi).
    fn mark_passed_wins(&mut self, from: Seat, tile: Tile, trigger: Trigger) {
        for s in (0..3).filter(|&s| s != from) {
            let could_rob = self.legal[s as usize].contains(&Action::Ron);
            let p = &mut self.players[s as usize];
            if p.waits & kind_bit(tile) != 0 && (trigger != Trigger::Ankan || could_rob) {
                p.furiten_temporary = true;
                if p.riichi {
                    p.furiten_riichi = true;
                }
            }
        }
    }

    /// A riichi declared with the discard now on the table stands once nobody wins on it.
    fn accept_riichi(&mut self, seat: Seat) {
        let p = &mut self.players[seat as usize];
        if p.riichi_declared {
            p.riichi_declared = false;
            p.riichi = true;
            p.ippatsu = true;
            self.scores[seat as usize] -= 1000;
            self.deposits += 1;
            self.events.push(Event::ReachAccepted { actor: seat });
        }
    }

    /// Nobody won on or called `tile`: the game goes on.
    fn continue_after(&mut self, from: Seat, tile: Tile, trigger: Trigger) {
        self.mark_passed_wins(from, tile, trigger);
        match trigger {
            Trigger::Discard => {
                self.accept_riichi(from);
                if self.rules.four_kan_abort && self.kans == 4 && self.kan_seats.count_ones() >= 2 {
                    self.abortive_draw("suukaikan");
                } else if self.wall.live_left() == 0 {
                    self.exhaustive_draw();
                } else {
                    self.draw((from + 1) % 3, false);
                }
            }
            Trigger::Kakan => {
                // the kan stands only now: a chankan ron would have kept everyone's ippatsu
                self.interrupt();
                self.pending_dora += 1;
                self.draw(from, true);
            }
            Trigger::Kita => {
                // the Kita stands only now: a ron on the North keeps everyone's ippatsu
                // (Tenhou scores ippatsu on it: 2026011901gm-00b9-0000-f1410863, East 3)
                if self.rules.kita_breaks_ippatsu {
                    self.interrupt();
                }
                self.draw(from, true)
            }
            Trigger::Ankan => self.draw(from, true),
        }
    }

    fn interrupt(&mut self) {
        self.uninterrupted = false;
        for p in &mut self.players {
            p.ippatsu = false;
        }
    }

    fn call(&mut self, seat: Seat, from: Seat, tile: Tile, action: Action) {
        let turn = self.turn_number();
        self.accept_riichi(from);
        self.mark_passed_wins(from, tile, Trigger::Discard);
        if let Some(d) = self.players[from as usize].discards.last_mut() {
            d.called = true;
        }
        self.interrupt();
        let p = &mut self.players[seat as usize];
        p.drawn = None;
        match action {
            Action::Pon { consumed } => {
                for t in consumed {
                    p.remove(t);
                }
                p.melds.push(CalledMeld {
                    kind: MeldKind::Pon,
                    tiles: [tile, consumed[0], consumed[1], tile],
                    from,
                    turn,
                });
                p.forbidden = kind_bit(tile);
                self.events.push(Event::Pon {
                    actor: seat,
                    target: from,
                    pai: tile,
                    consumed: consumed.to_vec(),
                });
                self.check_pao(seat, from, tile);
                self.set_turn(seat);
            }
            Action::Daiminkan => {
                // (any earlier open kan's dora came with the discard being called)
                let consumed = take_all(p, tile.kind());
                p.melds.push(CalledMeld {
                    kind: MeldKind::Daiminkan,
                    tiles: [tile, consumed[0], consumed[1], consumed[2]],
                    from,
                    turn,
                });
                p.waits = wait_mask(&p.counts);
                self.kans += 1;
                self.kan_seats |= 1 << seat;
                self.pending_dora += 1;
                self.events.push(Event::Daiminkan {
                    actor: seat,
                    target: from,
                    pai: tile,
                    consumed: consumed.to_vec(),
                });
                self.check_pao(seat, from, tile);
                self.draw(seat, true);
            }
            _ => unreachable!("only pon and daiminkan are calls"),
        }
    }

    /// Pao (Tenhou): a call that completes the third dragon meld (fourth wind meld)
    /// makes the discarder liable for daisangen (daisuushii).
    fn check_pao(&mut self, seat: Seat, from: Seat, tile: Tile) {
        let p = &mut self.players[seat as usize];
        let count = |pred: fn(Tile) -> bool| p.melds.iter().filter(|m| pred(m.kind_tile())).count();
        if tile.is_dragon() && count(Tile::is_dragon) == 3 {
            p.pao = Some((from, meowlab_hand::Yaku::Daisangen));
        } else if tile.is_wind() && count(Tile::is_wind) == 4 {
            p.pao = Some((from, meowlab_hand::Yaku::Daisuushii));
        }
    }

    fn kita(&mut self, seat: Seat) {
        let p = &mut self.players[seat as usize];
        p.remove(Tile::NORTH);
        p.kita += 1;
        p.drawn = None;
        p.waits = wait_mask(&p.counts);
        self.events.push(Event::Nukidora {
            actor: seat,
            pai: Tile::NORTH,
        });
        // a Kita shows an earlier open kan's dora as a discard does (Tenhou's mjlogs put
        // the <DORA> right after the Kita, e.g. 2026012019gm-00b9-0000-6c8a7249)
        self.reveal_pending_dora();
        self.offer(seat, Tile::NORTH, Trigger::Kita);
    }

    fn ankan(&mut self, seat: Seat, kind: Tile) {
        let turn = self.turn_number();
        self.interrupt();
        self.reveal_pending_dora();
        let p = &mut self.players[seat as usize];
        let mut tiles = [kind; 4];
        let three = take_all(p, kind);
        tiles[..3].copy_from_slice(&three);
        let fourth = if p.holds(kind) {
            kind
        } else {
            Tile::red_five(kind.suit()).expect("red five")
        };
        p.remove(fourth);
        tiles[3] = fourth;
        tiles.sort_by_key(|t| !t.is_red());
        p.melds.push(CalledMeld {
            kind: MeldKind::Ankan,
            tiles,
            from: seat,
            turn,
        });
        p.drawn = None;
        p.waits = wait_mask(&p.counts);
        self.kans += 1;
        self.kan_seats |= 1 << seat;
        self.events.push(Event::Ankan {
            actor: seat,
            consumed: tiles.to_vec(),
        });
        self.reveal_dora(); // a concealed kan's dora is revealed at once
        self.offer(seat, kind, Trigger::Ankan);
    }

    fn kakan(&mut self, seat: Seat, kind: Tile) {
        let turn = self.turn_number();
        self.reveal_pending_dora();
        let p = &mut self.players[seat as usize];
        let added = if p.holds(kind) {
            kind
        } else {
            Tile::red_five(kind.suit()).expect("red five")
        };
        p.remove(added);
        let meld = p
            .melds
            .iter_mut()
            .find(|m| m.kind == MeldKind::Pon && m.kind_tile() == kind)
            .expect("legal kakan has a pon");
        meld.kind = MeldKind::Kakan;
        meld.tiles[3] = added;
        meld.turn = turn;
        let consumed = meld.tiles[..3].to_vec();
        p.drawn = None;
        p.waits = wait_mask(&p.counts);
        self.kans += 1;
        self.kan_seats |= 1 << seat;
        self.events.push(Event::Kakan {
            actor: seat,
            pai: added,
            consumed,
        });
        self.offer(seat, added, Trigger::Kakan);
    }
}

/// Removes the three tiles of `kind` the hand holds for a kan (red first).
fn take_all(p: &mut super::Player, kind: Tile) -> [Tile; 3] {
    let mut out = [kind; 3];
    let mut n = 0;
    if let Some(red) = Tile::red_five(kind.suit()).filter(|r| r.kind() == kind) {
        if p.remove(red) {
            out[0] = red;
            n = 1;
        }
    }
    while n < 3 {
        p.remove(kind);
        out[n] = kind;
        n += 1;
    }
    out
}
