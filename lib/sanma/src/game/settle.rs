//! The end of a hand (wins, draws, payments) and of the game.

use meowlab_hand::points::{self, Payment};
use meowlab_hand::{Tile, WinContext, WinMethod, WinResult};

use super::{Game, GameResult, Phase, Trigger};
use crate::action::Seat;
use crate::event::Event;
use crate::rules::GameLength;

impl Game {
    fn hora(&mut self, winner: Seat, target: Seat, tile: Tile, r: &WinResult, deltas: [i32; 3]) {
        for (s, d) in deltas.iter().enumerate() {
            self.scores[s] += d;
        }
        let p = &self.players[winner as usize];
        let ura = if p.riichi || p.riichi_declared {
            self.wall.ura_indicators().to_vec()
        } else {
            Vec::new()
        };
        self.events.push(Event::Hora {
            actor: winner,
            target,
            pai: tile,
            deltas: deltas.to_vec(),
            ura_markers: ura,
            han: r.han,
            fu: r.fu,
            yaku: r.yaku.iter().map(|(y, _)| y.name().to_owned()).collect(),
            yaku_han: r.yaku.iter().map(|&(_, h)| h).collect(),
        });
    }

    pub(super) fn settle_tsumo(&mut self, seat: Seat) {
        let tile = self.players[seat as usize]
            .drawn
            .expect("tsumo on a drawn tile");
        let r = self
            .win_value(seat, tile, WinMethod::Tsumo, None)
            .expect("legal tsumo scores");
        let dealer = self.dealer();
        let mut deltas = [0i32; 3];
        if let Some(liable) = self.pao_liable(seat, &r) {
            // pao: the liable seat pays the whole hand
            let pay = r.payment.total(seat == dealer) as i32;
            deltas[liable as usize] -= pay;
            deltas[seat as usize] += pay;
        } else {
            self.collect_tsumo(seat, r.payment, &mut deltas);
        }
        deltas[seat as usize] += 1000 * self.deposits as i32;
        self.deposits = 0;
        self.hora(seat, seat, tile, &r, deltas);
        self.end_kyoku(seat == dealer, false);
    }

    /// Adds a tsumo payment to `deltas`: the dealer pays its share, the non-dealer its.
    fn collect_tsumo(&self, winner: Seat, payment: Payment, deltas: &mut [i32; 3]) {
        if let Payment::Tsumo {
            from_dealer,
            from_non_dealer,
        } = payment
        {
            for payer in (0..3).filter(|&p| p != winner) {
                let pay = if payer == self.dealer() {
                    from_dealer
                } else {
                    from_non_dealer
                } as i32;
                deltas[payer as usize] -= pay;
                deltas[winner as usize] += pay;
            }
        }
    }

    /// The seat liable (pao) for `winner`'s yakuman, when the hand scores it.
    fn pao_liable(&self, winner: Seat, r: &WinResult) -> Option<Seat> {
        let (liable, yaku) = self.players[winner as usize].pao?;
        (r.yakuman > 0 && r.yaku.iter().any(|(y, _)| *y == yaku)).then_some(liable)
    }

    /// One or two winners on `from`'s tile. Honba and deposits go to the winner first in
    /// turn order from the discarder (Tenhou's atama-hane for the sticks).
    pub(super) fn settle_ron(
        &mut self,
        from: Seat,
        tile: Tile,
        trigger: Trigger,
        winners: &[Seat],
    ) {
        let dealer = self.dealer();
        for (i, &w) in winners.iter().enumerate() {
            let r = self
                .win_value(w, tile, WinMethod::Ron, Some(trigger))
                .expect("legal ron scores");
            let Payment::Ron { from_discarder } = r.payment else {
                unreachable!("ron pays as ron")
            };
            let honba = if i == 0 {
                0
            } else {
                self.scoring.honba_ron * self.honba
            };
            let pay = (from_discarder - honba) as i32;
            let mut deltas = [0i32; 3];
            deltas[w as usize] += pay;
            match self.pao_liable(w, &r) {
                // pao on a ron: the liable seat pays half the hand and the honba
                Some(liable) => {
                    let honba_part = if i == 0 {
                        (self.scoring.honba_ron * self.honba) as i32
                    } else {
                        0
                    };
                    let half = (pay - honba_part) / 2;
                    deltas[liable as usize] -= half + honba_part;
                    deltas[from as usize] -= pay - half - honba_part;
                }
                None => deltas[from as usize] -= pay,
            }
            if i == 0 {
                deltas[w as usize] += 1000 * self.deposits as i32;
                self.deposits = 0;
            }
            self.hora(w, from, tile, &r, deltas);
        }
        self.end_kyoku(winners.contains(&dealer), false);
    }

    /// The live wall is empty: tenpai payments, or nagashi mangan.
    pub(super) fn exhaustive_draw(&mut self) {
        let tenpai: [bool; 3] = std::array::from_fn(|s| self.players[s].waits != 0);
        let nagashi: Vec<Seat> = if self.rules.nagashi_mangan {
            (0..3)
                .filter(|&s| {
                    let d = &self.players[s as usize].discards;
                    !d.is_empty() && d.iter().all(|d| d.tile.is_terminal_or_honor() && !d.called)
                })
                .collect()
        } else {
            Vec::new()
        };
        let mut deltas = [0i32; 3];
        let reason = if nagashi.is_empty() {
            let n = tenpai.iter().filter(|&&t| t).count() as i32;
            if n == 1 || n == 2 {
                for (s, &t) in tenpai.iter().enumerate() {
                    deltas[s] = if t { 2000 / n } else { -2000 / (3 - n) };
                }
            }
            "exhaustive"
        } else {
            // paid like a mangan tsumo, without honba
            for &s in &nagashi {
                let mut ctx = WinContext::new(WinMethod::Tsumo);
                ctx.seat_wind = self.seat_wind(s);
                self.collect_tsumo(s, points::payment(2000, &ctx, &self.scoring), &mut deltas);
            }
            "nagashi"
        };
        for (s, d) in deltas.iter().enumerate() {
            self.scores[s] += d;
        }
        self.events.push(Event::Ryukyoku {
            reason: reason.to_owned(),
            deltas: deltas.to_vec(),
        });
        self.end_kyoku(tenpai[self.dealer() as usize], true);
    }

    /// Kyuushu kyuuhai or four kans: no payments, the hand is replayed.
    pub(super) fn abortive_draw(&mut self, reason: &str) {
        self.events.push(Event::Ryukyoku {
            reason: reason.to_owned(),
            deltas: vec![0, 0, 0],
        });
        // replayed with the same dealer and one more honba; never agari-yame
        self.events.push(Event::EndKyoku);
        if self.rules.length == GameLength::OneHand {
            return self.finish();
        }
        self.honba += 1;
        self.start_kyoku(None);
    }

    fn ranks(&self) -> [u8; 3] {
        let mut order = [0usize, 1, 2];
        // ties: the seat nearer the first dealer (seat 0) ranks higher
        order.sort_by_key(|&s| (std::cmp::Reverse(self.scores[s]), s));
        let mut ranks = [0u8; 3];
        for (rank, &s) in order.iter().enumerate() {
            ranks[s] = rank as u8 + 1;
        }
        ranks
    }

    /// Decides between the next hand and the end of the game.
    fn end_kyoku(&mut self, dealer_stays: bool, drawn: bool) {
        self.events.push(Event::EndKyoku);
        let last = self.last_scheduled_round();
        let target = self.rules.target_points;
        let someone_reached = self.scores.iter().any(|&s| s >= target);
        if self.rules.length == GameLength::OneHand
            || (self.rules.bust && self.scores.iter().any(|&s| s < 0))
        {
            return self.finish();
        }
        if dealer_stays {
            // a renchan goes on, in sudden death too, unless the all-last dealer is first
            // with the target (agari-yame / tenpai-yame)
            self.honba += 1;
            if self.round >= last {
                let dealer = self.dealer();
                let dealer_top =
                    self.ranks()[dealer as usize] == 1 && self.scores[dealer as usize] >= target;
                if self.rules.agari_yame && dealer_top {
                    return self.finish();
                }
            }
        } else {
            self.honba = if drawn { self.honba + 1 } else { 0 };
            if self.round >= last
                && (someone_reached || !self.rules.extension || self.round >= last + 3)
            {
                return self.finish();
            }
            self.round += 1;
        }
        self.start_kyoku(None);
    }

    fn finish(&mut self) {
        let ranks = self.ranks();
        let first = ranks.iter().position(|&r| r == 1).expect("a first place");
        self.scores[first] += 1000 * self.deposits as i32;
        self.deposits = 0;
        self.events.push(Event::EndGame {
            scores: self.scores.to_vec(),
        });
        self.phase = Phase::GameOver;
        self.waiting = 0;
        self.result = Some(GameResult {
            scores: self.scores,
            ranks,
        });
    }
}
