//! Per-seat statistics over finished games, computed from their events and results.

use crate::event::Event;
use crate::game::Game;

/// Totals for one seat over many games.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SeatStats {
    /// Games played.
    pub games: u32,
    /// Finishes in 1st, 2nd, 3rd place.
    pub ranks: [u32; 3],
    /// Sum of final scores.
    pub score_sum: i64,
    /// Hands played.
    pub kyoku: u32,
    /// Hands won.
    pub wins: u32,
    /// Hands where this seat dealt into someone's ron.
    pub deal_ins: u32,
    /// Hands with an accepted riichi.
    pub riichi: u32,
    /// Hands with at least one pon or open kan.
    pub calls: u32,
    /// Hands that ended in a draw (exhaustive or abortive).
    pub draws: u32,
    /// Hands that ended in an exhaustive draw (the wall ran out).
    pub exhaustive_draws: u32,
    /// Points received for this seat's wins (honba and deposits included).
    pub win_points: i64,
    /// Points paid for this seat's deal-ins.
    pub deal_in_points: i64,
    /// Games that ended with this seat below zero.
    pub busts: u32,
    /// Hands by this seat's place in the hand's score change (see [`hand_places`]):
    /// 1st, 2nd, 3rd, no change.
    pub hand_places: [u32; 4],
}

impl SeatStats {
    /// Average rank (1 = best).
    pub fn average_rank(&self) -> f64 {
        let sum: u32 = self
            .ranks
            .iter()
            .enumerate()
            .map(|(i, &n)| (i as u32 + 1) * n)
            .sum();
        sum as f64 / self.games.max(1) as f64
    }

    /// Fraction of hands in `count`.
    pub fn rate(&self, count: u32) -> f64 {
        count as f64 / self.kyoku.max(1) as f64
    }
}

/// The score change of each seat within one hand, read from its events: wins and draws
/// (honba and deposits included) minus the riichi sticks put down in the hand. Feed it
/// a game's events in order; it gives the changes at each `end_kyoku`.
#[derive(Clone, Debug, Default)]
pub struct HandScore {
    deltas: [i32; 3],
}

impl HandScore {
    /// Takes the next event; returns the hand's changes when it is the hand's end.
    pub fn event(&mut self, e: &Event) -> Option<[i32; 3]> {
        match e {
            Event::StartKyoku { .. } => self.deltas = [0; 3],
            Event::ReachAccepted { actor } => self.deltas[*actor as usize] -= 1000,
            Event::Hora { deltas, .. } | Event::Ryukyoku { deltas, .. } => {
                for (d, x) in self.deltas.iter_mut().zip(deltas) {
                    *d += x;
                }
            }
            Event::EndKyoku => return Some(self.deltas),
            _ => {}
        }
        None
    }
}

/// Each seat's place in a hand by its score change, as Meowjong's per-round table counts
/// them: 0 = 1st, 1 = 2nd, 2 = 3rd (one more than the number of seats whose change is
/// strictly larger, so tied seats share the better place), 3 = no change (a change of 0,
/// whatever the others did).
pub fn hand_places(deltas: [i32; 3]) -> [usize; 3] {
    std::array::from_fn(|s| {
        if deltas[s] == 0 {
            3
        } else {
            deltas.iter().filter(|&&d| d > deltas[s]).count()
        }
    })
}

/// Adds one finished game to `stats` (one entry per seat).
pub fn add_game(stats: &mut [SeatStats; 3], game: &Game) {
    let Some(result) = game.result() else { return };
    for (s, st) in stats.iter_mut().enumerate() {
        st.games += 1;
        st.ranks[result.ranks[s] as usize - 1] += 1;
        st.score_sum += result.scores[s] as i64;
        st.busts += u32::from(result.scores[s] < 0);
    }
    let mut riichi = [false; 3];
    let mut called = [false; 3];
    let mut hand = HandScore::default();
    for e in game.events() {
        if let Some(deltas) = hand.event(e) {
            for (st, place) in stats.iter_mut().zip(hand_places(deltas)) {
                st.hand_places[place] += 1;
            }
        }
        match e {
            Event::StartKyoku { .. } => {
                riichi = [false; 3];
                called = [false; 3];
                stats.iter_mut().for_each(|st| st.kyoku += 1);
            }
            Event::ReachAccepted { actor } => riichi[*actor as usize] = true,
            Event::Pon { actor, .. } | Event::Daiminkan { actor, .. } => {
                called[*actor as usize] = true
            }
            Event::Hora {
                actor,
                target,
                deltas,
                ..
            } => {
                let winner = &mut stats[*actor as usize];
                winner.wins += 1;
                winner.win_points += i64::from(deltas[*actor as usize]);
                if target != actor {
                    let dealer_in = &mut stats[*target as usize];
                    dealer_in.deal_ins += 1;
                    dealer_in.deal_in_points -= i64::from(deltas[*target as usize]);
                }
            }
            Event::Ryukyoku { reason, .. } => {
                for st in stats.iter_mut() {
                    st.draws += 1;
                    st.exhaustive_draws += u32::from(reason == "exhaustive");
                }
            }
            Event::EndKyoku => {
                for (s, st) in stats.iter_mut().enumerate() {
                    st.riichi += riichi[s] as u32;
                    st.calls += called[s] as u32;
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_places_rank_changes_and_count_no_change_apart() {
        assert_eq!(hand_places([8000, -4000, -4000]), [0, 1, 1]);
        assert_eq!(hand_places([-1000, 0, 0]), [2, 3, 3]);
        assert_eq!(hand_places([3000, 3000, -6000]), [0, 0, 2]);
        assert_eq!(hand_places([0, 12000, -12000]), [3, 0, 2]);
    }
}
