//! What one seat may know: its own hand and everything on the table, never another
//! seat's hand or the wall. Bots and observation encoders read the game through this.

use meowlab_hand::{Counts, Tile};

use crate::action::{Action, Seat};
use crate::game::{CalledMeld, Discard, Game, Phase};

/// A read-only window on a [`Game`] from one seat. Cheap: it borrows the game.
#[derive(Clone, Copy)]
pub struct SeatView<'a> {
    game: &'a Game,
    seat: Seat,
}

impl<'a> SeatView<'a> {
    pub(crate) fn new(game: &'a Game, seat: Seat) -> Self {
        SeatView { game, seat }
    }

    /// The seat this view belongs to.
    pub fn seat(&self) -> Seat {
        self.seat
    }

    /// Own concealed tiles, sorted (the drawn tile included).
    pub fn hand(&self) -> Vec<Tile> {
        self.game.player(self.seat).tiles()
    }

    /// Own concealed tiles by kind (the drawn tile included).
    pub fn hand_counts(&self) -> Counts {
        self.game.player(self.seat).counts
    }

    /// The tile just drawn, while this seat is to act on it.
    pub fn drawn(&self) -> Option<Tile> {
        self.game.player(self.seat).drawn
    }

    /// The legal actions of this seat now.
    pub fn legal_actions(&self) -> &'a [Action] {
        self.game.legal_actions(self.seat)
    }

    /// The tile other seats may respond to, when this is a response decision.
    pub fn offered_tile(&self) -> Option<Tile> {
        match self.game.phase() {
            Phase::Respond { tile, .. } => Some(tile),
            _ => None,
        }
    }

    /// Discards of `seat`, in order.
    pub fn discards(&self, seat: Seat) -> &'a [Discard] {
        &self.game.player(seat).discards
    }

    /// Melds of `seat`.
    pub fn melds(&self, seat: Seat) -> &'a [CalledMeld] {
        &self.game.player(seat).melds
    }

    /// Kita set aside by `seat`.
    pub fn kita(&self, seat: Seat) -> u8 {
        self.game.player(seat).kita
    }

    /// Whether `seat` is in riichi (accepted or just declared).
    pub fn riichi(&self, seat: Seat) -> bool {
        let p = self.game.player(seat);
        p.riichi || p.riichi_declared
    }

    /// [`Game::turn_number`] when `seat` declared riichi, if it did.
    pub fn riichi_turn(&self, seat: Seat) -> Option<u8> {
        self.riichi(seat)
            .then(|| self.game.player(seat).riichi_turn)
    }

    /// The hand's turn number (see [`Game::turn_number`]).
    pub fn turn_number(&self) -> u8 {
        self.game.turn_number()
    }

    /// Scores of all seats when this hand began (before this hand's riichi deposits).
    pub fn kyoku_start_scores(&self) -> [i32; 3] {
        let mut s = self.game.scores();
        for (seat, score) in s.iter_mut().enumerate() {
            if self.game.player(seat as Seat).riichi {
                *score += 1000;
            }
        }
        s
    }

    /// Riichi deposits on the table when this hand began.
    pub fn kyoku_start_deposits(&self) -> u32 {
        let accepted = (0..3).filter(|&s| self.game.player(s).riichi).count() as u32;
        self.game.deposits().saturating_sub(accepted)
    }

    /// Revealed dora indicators.
    pub fn dora_indicators(&self) -> &'a [Tile] {
        self.game.wall().dora_indicators()
    }

    /// Scores of all seats.
    pub fn scores(&self) -> [i32; 3] {
        self.game.scores()
    }

    /// Round (0..=8: E1 … W3).
    pub fn round(&self) -> u8 {
        self.game.round()
    }

    /// Honba counters.
    pub fn honba(&self) -> u32 {
        self.game.honba()
    }

    /// Riichi deposits on the table.
    pub fn deposits(&self) -> u32 {
        self.game.deposits()
    }

    /// Live tiles left.
    pub fn tiles_left(&self) -> usize {
        self.game.wall().live_left()
    }

    /// This seat's wind.
    pub fn seat_wind(&self) -> Tile {
        self.game.seat_wind(self.seat)
    }

    /// The round wind.
    pub fn round_wind(&self) -> Tile {
        self.game.round_wind()
    }

    /// The dealer.
    pub fn dealer(&self) -> Seat {
        self.game.dealer()
    }

    /// Tiles this seat can see by kind: own hand, all discards, melds, Kita, dora
    /// indicators (for ukeire and safety reading).
    pub fn visible_counts(&self) -> Counts {
        let mut c = self.hand_counts();
        for s in 0..3 {
            let p = self.game.player(s);
            for d in p.discards.iter().filter(|d| !d.called) {
                c[d.tile.index()] += 1;
            }
            for m in &p.melds {
                for t in m.tiles() {
                    c[t.index()] += 1;
                }
            }
            c[Tile::NORTH.index()] += p.kita;
        }
        for t in self.dora_indicators() {
            c[t.index()] += 1;
        }
        c.iter_mut().for_each(|x| *x = (*x).min(4));
        c
    }
}
