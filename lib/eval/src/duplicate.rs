//! The duplicate protocol: which games a set holds, and what each agent did in them.
//!
//! A set is one wall seed played with the seats rotated: in `1v2` the challenger sits in
//! each of the three seats once against two opponents, in `2v1` the opponent does; `both`
//! plays the six games. Every hand's wall is a function of (set seed, round, honba)
//! ([`WallDealing::PerRound`]), so the rotations meet the same tiles whenever they reach
//! the same hand — luck of the deal cancels within a set, which is why statistics are
//! taken over sets.

use std::fmt;
use std::str::FromStr;

use meowlab_sanma::stats::{add_game, SeatStats};
use meowlab_sanma::{Game, Rules, Table, WallDealing};
use serde::{Deserialize, Serialize};

/// Player index of the challenger in an evaluation's [`Table`]s.
pub const CHALLENGER: usize = 0;
/// Player index of the opponent.
pub const OPPONENT: usize = 1;

/// Which seatings a set plays.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Format {
    /// The challenger alone against two opponents, in each seat (3 games per set).
    #[serde(rename = "1v2")]
    OneVsTwo,
    /// Two challengers against one opponent, the opponent in each seat (3 games).
    #[serde(rename = "2v1")]
    TwoVsOne,
    /// Both (6 games per set).
    #[serde(rename = "both")]
    Both,
}

impl Format {
    /// Games in one set.
    pub fn games_per_set(self) -> usize {
        match self {
            Format::OneVsTwo | Format::TwoVsOne => 3,
            Format::Both => 6,
        }
    }

    /// The player of each seat in the set's `k`-th game.
    pub fn seating(self, k: usize) -> [usize; 3] {
        let (lone, others, rotation) = match (self, k) {
            (Format::OneVsTwo, k) | (Format::Both, k @ 0..=2) => (CHALLENGER, OPPONENT, k),
            (Format::TwoVsOne, k) => (OPPONENT, CHALLENGER, k),
            (Format::Both, k) => (OPPONENT, CHALLENGER, k - 3),
        };
        std::array::from_fn(|seat| if seat == rotation { lone } else { others })
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::OneVsTwo => "1v2",
            Format::TwoVsOne => "2v1",
            Format::Both => "both",
        })
    }
}

impl FromStr for Format {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "1v2" => Ok(Format::OneVsTwo),
            "2v1" => Ok(Format::TwoVsOne),
            "both" => Ok(Format::Both),
            other => Err(format!("unknown format {other:?}: 1v2, 2v1 or both")),
        }
    }
}

/// The seed of set `set` of an evaluation seeded `seed`.
pub fn set_seed(seed: u64, set: usize) -> u64 {
    seed.wrapping_add(set as u64)
}

/// The rules of an evaluation: `rules` with per-round walls.
pub fn duplicate_rules(rules: &Rules) -> Rules {
    Rules {
        walls: WallDealing::PerRound,
        ..rules.clone()
    }
}

/// The games of sets `sets` in play order (set by set, rotation by rotation).
pub fn schedule(format: Format, seed: u64, sets: std::ops::Range<usize>) -> Vec<Table> {
    sets.flat_map(|set| {
        (0..format.games_per_set()).map(move |k| Table {
            seed: set_seed(seed, set),
            players: format.seating(k),
        })
    })
    .collect()
}

/// A rank-points table: `(score − return_points) / 1000 + uma[rank]`, plus the oka
/// `(return_points − start_points) · 3 / 1000` to the winner. Tenhou's sanma dan-point
/// table could not be established from a public source, so none is named after it; the
/// default is a plain ±20 uma with no oka.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RankPoints {
    /// A name for reports.
    pub name: String,
    /// Points of 1st, 2nd, 3rd.
    pub uma: [f64; 3],
    /// Points each player starts with.
    pub start_points: i32,
    /// Points the score is measured against.
    pub return_points: i32,
}

impl Default for RankPoints {
    fn default() -> Self {
        RankPoints {
            name: "uma +20/0/-20, no oka".into(),
            uma: [20.0, 0.0, -20.0],
            start_points: 35_000,
            return_points: 35_000,
        }
    }
}

impl RankPoints {
    /// The rank points of a final `score` at `rank` (1-based).
    pub fn of(&self, score: i32, rank: u8) -> f64 {
        let oka = if rank == 1 {
            f64::from(self.return_points - self.start_points) * 3.0 / 1000.0
        } else {
            0.0
        };
        f64::from(score - self.return_points) / 1000.0 + self.uma[rank as usize - 1] + oka
    }
}

/// What one agent did in one set, over the seats it held (one row of the `sets` table).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SetTally {
    /// Seat-games (3 for the lone agent of a 3-game set, 6 for the pair).
    pub seat_games: u32,
    /// Per-seat statistics summed over those seats.
    pub stats: SeatStats,
    /// Sum of rank points.
    pub rank_points: f64,
}

impl SetTally {
    /// Average rank in the set.
    pub fn avg_rank(&self) -> f64 {
        self.stats.average_rank()
    }

    /// Average rank points per game in the set.
    pub fn avg_rank_points(&self) -> f64 {
        self.rank_points / f64::from(self.seat_games.max(1))
    }

    /// Fraction of its games at `place` (0 = 1st).
    pub fn place_rate(&self, place: usize) -> f64 {
        f64::from(self.stats.ranks[place]) / f64::from(self.seat_games.max(1))
    }

    /// Fraction of its hands at hand place `place` (0..3 = 1st, 2nd, 3rd, no change).
    pub fn hand_place_rate(&self, place: usize) -> f64 {
        let hands: u32 = self.stats.hand_places.iter().sum();
        f64::from(self.stats.hand_places[place]) / f64::from(hands.max(1))
    }
}

/// Both agents' tallies of one set.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SetResult {
    /// The set's index.
    pub set: usize,
    /// Its wall seed.
    pub seed: u64,
    /// The challenger's tally.
    pub challenger: SetTally,
    /// The opponent's tally.
    pub opponent: SetTally,
}

impl SetResult {
    /// An empty set.
    pub fn new(set: usize, seed: u64) -> Self {
        SetResult {
            set,
            seed,
            ..Default::default()
        }
    }

    /// Adds one finished game of the set, seated as `players` says.
    pub fn add(&mut self, game: &Game, players: [usize; 3], rank_points: &RankPoints) {
        let mut seats: [SeatStats; 3] = Default::default();
        add_game(&mut seats, game);
        let Some(result) = game.result() else { return };
        for (seat, st) in seats.into_iter().enumerate() {
            let tally = if players[seat] == CHALLENGER {
                &mut self.challenger
            } else {
                &mut self.opponent
            };
            tally.seat_games += 1;
            tally.rank_points += rank_points.of(result.scores[seat], result.ranks[seat]);
            add_stats(&mut tally.stats, &st);
        }
    }
}

fn add_stats(sum: &mut SeatStats, x: &SeatStats) {
    sum.games += x.games;
    for r in 0..3 {
        sum.ranks[r] += x.ranks[r];
    }
    sum.score_sum += x.score_sum;
    sum.kyoku += x.kyoku;
    sum.wins += x.wins;
    sum.deal_ins += x.deal_ins;
    sum.riichi += x.riichi;
    sum.calls += x.calls;
    sum.draws += x.draws;
    sum.exhaustive_draws += x.exhaustive_draws;
    sum.win_points += x.win_points;
    sum.deal_in_points += x.deal_in_points;
    sum.busts += x.busts;
    for p in 0..4 {
        sum.hand_places[p] += x.hand_places[p];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each agent holds every seat equally often per set; the lone agent exactly once.
    #[test]
    fn every_agent_holds_every_seat_equally_per_set() {
        for format in [Format::OneVsTwo, Format::TwoVsOne, Format::Both] {
            let tables = schedule(format, 7, 0..4);
            assert_eq!(tables.len(), 4 * format.games_per_set());
            for set in tables.chunks(format.games_per_set()) {
                assert!(
                    set.iter().all(|t| t.seed == set[0].seed),
                    "one wall seed per set"
                );
                for player in [CHALLENGER, OPPONENT] {
                    let per_seat: Vec<usize> = (0..3)
                        .map(|s| set.iter().filter(|t| t.players[s] == player).count())
                        .collect();
                    assert!(
                        per_seat.iter().all(|&c| c == per_seat[0]),
                        "{format}: {per_seat:?}"
                    );
                }
                for t in set {
                    let lone = t.players.iter().filter(|&&p| p == CHALLENGER).count();
                    assert!(lone == 1 || lone == 2);
                }
            }
            let seeds: Vec<u64> = tables.iter().map(|t| t.seed).collect();
            assert!(seeds.windows(2).all(|w| w[0] <= w[1]));
        }
        assert_eq!("2v1".parse::<Format>(), Ok(Format::TwoVsOne));
        assert!("3v0".parse::<Format>().unwrap_err().contains("1v2"));
    }

    #[test]
    fn rank_points_follow_the_table() {
        let table = RankPoints::default();
        assert_eq!(table.of(45_000, 1), 30.0);
        assert_eq!(table.of(35_000, 2), 0.0);
        assert_eq!(table.of(25_000, 3), -30.0);
        let oka = RankPoints {
            return_points: 40_000,
            ..RankPoints::default()
        };
        // 3 × 5,000 of oka to the winner: the three players' points sum to zero
        let total = oka.of(50_000, 1) + oka.of(35_000, 2) + oka.of(20_000, 3);
        assert!((total).abs() < 1e-9, "{total}");
    }
}
