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

/// Adds one finished game to `stats` (one entry per seat).
pub fn add_game(stats: &mut [SeatStats; 3], game: &Game) {
    let Some(result) = game.result() else { return };
    for (s, st) in stats.iter_mut().enumerate() {
        st.games += 1;
        st.ranks[result.ranks[s] as usize - 1] += 1;
        st.score_sum += result.scores[s] as i64;
    }
    let mut riichi = [false; 3];
    let mut called = [false; 3];
    for e in game.events() {
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
            Event::Hora { actor, target, .. } => {
                stats[*actor as usize].wins += 1;
                if target != actor {
                    stats[*target as usize].deal_ins += 1;
                }
            }
            Event::Ryukyoku { .. } => stats.iter_mut().for_each(|st| st.draws += 1),
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
