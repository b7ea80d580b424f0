//! `evaluation.json`: the summary of an evaluation, a stable interface. Every statistic is
//! computed over sets (each set's value first, then the mean and its interval over sets);
//! differences are paired by set, challenger − opponent (a negative average-rank
//! difference means the challenger is better).

use serde::{Deserialize, Serialize};

use crate::duplicate::{Format, RankPoints, SetResult, SetTally};
use crate::stats::{mean_ci, paired, ratio_ci, sign_flip_test, Difference, Estimate, SprtDecision};

/// Bootstrap resamples of ratio intervals.
const BOOTSTRAP: usize = 2000;
/// Sign flips of the per-round test.
const SIGN_FLIPS: usize = 9999;

/// One agent's statistics (per game unless named per hand).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AgentSummary {
    /// The agent's spec or name.
    pub agent: String,
    /// Seat-games played.
    pub games: u32,
    /// Average final rank (1 = best).
    pub avg_rank: Estimate,
    /// Rate of 1st places.
    pub first: Estimate,
    /// Rate of 2nd places.
    pub second: Estimate,
    /// Rate of 3rd places.
    pub third: Estimate,
    /// Rate of games ended below zero.
    pub bust: Estimate,
    /// Average final score.
    pub avg_score: Estimate,
    /// Average rank points (see `rank_points` of the evaluation).
    pub rank_points: Estimate,
    /// Hands won, per hand.
    pub win: Estimate,
    /// Hands dealt into, per hand.
    pub deal_in: Estimate,
    /// Hands with an accepted riichi, per hand.
    pub riichi: Estimate,
    /// Hands with a call (pon or open kan), per hand.
    pub call: Estimate,
    /// Hands ending in an exhaustive draw, per hand.
    pub exhaustive_draw: Estimate,
    /// Points per win (bootstrap interval).
    pub avg_win_points: Estimate,
    /// Points per deal-in (bootstrap interval).
    pub avg_deal_in_points: Estimate,
}

/// One row of an agent's statistics table: its name, the estimate, and how to print it
/// (`scale` 100 for percentages).
pub struct Row<'a> {
    /// Row name.
    pub name: &'static str,
    /// The estimate.
    pub estimate: &'a Estimate,
    /// Factor to print with (100 for rates shown as percentages).
    pub scale: f64,
    /// Decimals to print.
    pub decimals: usize,
}

impl AgentSummary {
    /// Every statistic in table order, as the CLI and the workbench print them.
    pub fn rows(&self) -> [Row<'_>; 14] {
        let row = |name, estimate, scale, decimals| Row {
            name,
            estimate,
            scale,
            decimals,
        };
        [
            row("avg rank", &self.avg_rank, 1.0, 3),
            row("1st %", &self.first, 100.0, 1),
            row("2nd %", &self.second, 100.0, 1),
            row("3rd %", &self.third, 100.0, 1),
            row("bust %", &self.bust, 100.0, 1),
            row("avg score", &self.avg_score, 1.0, 0),
            row("rank points", &self.rank_points, 1.0, 2),
            row("win % (hand)", &self.win, 100.0, 1),
            row("deal-in %", &self.deal_in, 100.0, 1),
            row("riichi %", &self.riichi, 100.0, 1),
            row("call %", &self.call, 100.0, 1),
            row("draw %", &self.exhaustive_draw, 100.0, 1),
            row("pts / win", &self.avg_win_points, 1.0, 0),
            row("pts / deal-in", &self.avg_deal_in_points, 1.0, 0),
        ]
    }
}

impl Row<'_> {
    /// "mean [lo, hi]" in the row's scale, or "n/a" when undefined (points per deal-in
    /// of an agent that never dealt in).
    pub fn text(&self) -> String {
        let (e, k, d) = (self.estimate, self.scale, self.decimals);
        if e.mean.is_nan() {
            return "n/a".into();
        }
        match e.ci95 {
            Some([lo, hi]) => format!("{:.d$} [{:.d$}, {:.d$}]", e.mean * k, lo * k, hi * k),
            None => format!("{:.d$}", e.mean * k),
        }
    }
}

impl Difference {
    /// "mean [lo, hi]" with three decimals (the p-value is printed apart).
    pub fn text(&self) -> String {
        Row {
            name: "",
            estimate: &Estimate {
                mean: self.mean,
                ci95: self.ci95,
            },
            scale: 1.0,
            decimals: 3,
        }
        .text()
    }
}

/// Paired differences, challenger − opponent.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Differences {
    /// In average rank (negative: the challenger finishes better).
    pub avg_rank: Difference,
    /// In average rank points (positive: the challenger earns more).
    pub rank_points: Difference,
}

/// Rates of hands by the agent's place in the hand's score change.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HandPlaces {
    /// Largest change.
    pub first: f64,
    /// Middle.
    pub second: f64,
    /// Smallest.
    pub third: f64,
    /// No change.
    pub none: f64,
}

/// Per-set means of the hand-place rates with their 95% intervals over sets.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HandPlaceEstimates {
    /// Largest change.
    pub first: Estimate,
    /// Middle.
    pub second: Estimate,
    /// Smallest.
    pub third: Estimate,
    /// No change.
    pub none: Estimate,
}

impl HandPlaceEstimates {
    /// The four estimates in table order (1st, 2nd, 3rd, no change).
    pub fn all(&self) -> [&Estimate; 4] {
        [&self.first, &self.second, &self.third, &self.none]
    }
}

/// Meowjong's per-round table with a valid test.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PerRound {
    /// The challenger's rates (pooled over hands).
    pub challenger: HandPlaces,
    /// The opponent's rates.
    pub opponent: HandPlaces,
    /// The challenger's per-set rates: means and intervals over sets.
    pub challenger_per_set: HandPlaceEstimates,
    /// The opponent's per-set rates.
    pub opponent_per_set: HandPlaceEstimates,
    /// p-value of "the two agents' place distributions are the same".
    pub p_value: f64,
    /// How `p_value` was computed.
    pub test: String,
}

/// The sequential test's outcome.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SprtReport {
    /// H0 (`delta0`), H1 (`delta1`) or undecided at the set limit.
    pub decision: SprtDecision,
    /// The log-likelihood ratio at the end.
    pub llr: f64,
    /// Its lower and upper bounds.
    pub bounds: [f64; 2],
    /// Rank-point difference under H0.
    pub delta0: f64,
    /// Rank-point difference under H1.
    pub delta1: f64,
    /// False-positive rate.
    pub alpha: f64,
    /// False-negative rate.
    pub beta: f64,
}

/// The summary written to `evaluation.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    /// Duplicate sets played.
    pub sets: usize,
    /// Games played.
    pub games: usize,
    /// Seatings of a set.
    pub format: Format,
    /// Seed of the first set.
    pub seed: u64,
    /// The rank-points table.
    pub rank_points_table: RankPoints,
    /// The challenger.
    pub challenger: AgentSummary,
    /// The opponent.
    pub opponent: AgentSummary,
    /// Challenger − opponent.
    pub difference: Differences,
    /// The per-round table.
    pub per_round: PerRound,
    /// The sequential test, when asked for.
    pub sprt: Option<SprtReport>,
}

/// A per-set difference rounded to 1e-9, so identical play differs by exactly 0 (the
/// two agents' averages are sums over different numbers of seats).
fn settle(x: f64) -> f64 {
    (x * 1e9).round() / 1e9
}

/// Per-set rank-point differences, challenger − opponent (what the SPRT reads).
pub fn rank_point_differences(sets: &[SetResult]) -> Vec<f64> {
    sets.iter()
        .map(|s| settle(s.challenger.avg_rank_points() - s.opponent.avg_rank_points()))
        .collect()
}

fn summary(agent: &str, tallies: &[&SetTally], seed: u64) -> AgentSummary {
    let per_set = |f: &dyn Fn(&SetTally) -> f64| -> Estimate {
        mean_ci(&tallies.iter().map(|t| f(t)).collect::<Vec<_>>())
    };
    let rate = |f: &dyn Fn(&SetTally) -> f64| per_set(f).clamped(0.0, 1.0);
    let per_hand = |count: &dyn Fn(&SetTally) -> u32| -> Estimate {
        rate(&|t| f64::from(count(t)) / f64::from(t.stats.kyoku.max(1)))
    };
    let ratio = |num: &dyn Fn(&SetTally) -> i64, den: &dyn Fn(&SetTally) -> u32, salt: u64| {
        let n: Vec<f64> = tallies.iter().map(|t| num(t) as f64).collect();
        let d: Vec<f64> = tallies.iter().map(|t| f64::from(den(t))).collect();
        ratio_ci(&n, &d, BOOTSTRAP, seed ^ salt)
    };
    AgentSummary {
        agent: agent.to_string(),
        games: tallies.iter().map(|t| t.seat_games).sum(),
        avg_rank: per_set(&|t| t.avg_rank()).clamped(1.0, 3.0),
        first: rate(&|t| t.place_rate(0)),
        second: rate(&|t| t.place_rate(1)),
        third: rate(&|t| t.place_rate(2)),
        bust: rate(&|t| f64::from(t.stats.busts) / f64::from(t.seat_games.max(1))),
        avg_score: per_set(&|t| t.stats.score_sum as f64 / f64::from(t.seat_games.max(1))),
        rank_points: per_set(&|t| t.avg_rank_points()),
        win: per_hand(&|t| t.stats.wins),
        deal_in: per_hand(&|t| t.stats.deal_ins),
        riichi: per_hand(&|t| t.stats.riichi),
        call: per_hand(&|t| t.stats.calls),
        exhaustive_draw: per_hand(&|t| t.stats.exhaustive_draws),
        avg_win_points: ratio(&|t| t.stats.win_points, &|t| t.stats.wins, 1),
        avg_deal_in_points: ratio(&|t| t.stats.deal_in_points, &|t| t.stats.deal_ins, 2),
    }
}

fn pooled_places(tallies: &[&SetTally]) -> HandPlaces {
    let mut counts = [0u32; 4];
    for t in tallies {
        for (c, x) in counts.iter_mut().zip(t.stats.hand_places) {
            *c += x;
        }
    }
    let total = f64::from(counts.iter().sum::<u32>().max(1));
    HandPlaces {
        first: f64::from(counts[0]) / total,
        second: f64::from(counts[1]) / total,
        third: f64::from(counts[2]) / total,
        none: f64::from(counts[3]) / total,
    }
}

fn place_estimates(tallies: &[&SetTally]) -> HandPlaceEstimates {
    let at = |p: usize| {
        mean_ci(
            &tallies
                .iter()
                .map(|t| t.hand_place_rate(p))
                .collect::<Vec<_>>(),
        )
        .clamped(0.0, 1.0)
    };
    HandPlaceEstimates {
        first: at(0),
        second: at(1),
        third: at(2),
        none: at(3),
    }
}

/// Summarises the sets of an evaluation.
#[allow(clippy::too_many_arguments)]
pub fn summarise(
    sets: &[SetResult],
    format: Format,
    seed: u64,
    rank_points: &RankPoints,
    names: [&str; 2],
    sprt: Option<SprtReport>,
) -> Evaluation {
    let challenger: Vec<&SetTally> = sets.iter().map(|s| &s.challenger).collect();
    let opponent: Vec<&SetTally> = sets.iter().map(|s| &s.opponent).collect();
    let diff = |f: &dyn Fn(&SetTally) -> f64| {
        paired(
            &sets
                .iter()
                .map(|s| settle(f(&s.challenger) - f(&s.opponent)))
                .collect::<Vec<_>>(),
        )
    };
    // per set: the challenger's place rates minus the opponent's (1st, 2nd, 3rd; "no
    // change" is implied by the other three)
    let place_diffs: Vec<Vec<f64>> = sets
        .iter()
        .map(|s| {
            (0..3)
                .map(|p| settle(s.challenger.hand_place_rate(p) - s.opponent.hand_place_rate(p)))
                .collect()
        })
        .collect();
    Evaluation {
        sets: sets.len(),
        games: sets.len() * format.games_per_set(),
        format,
        seed,
        rank_points_table: rank_points.clone(),
        challenger: summary(names[0], &challenger, seed),
        opponent: summary(names[1], &opponent, seed),
        difference: Differences {
            avg_rank: diff(&|t| t.avg_rank()),
            rank_points: diff(&|t| t.avg_rank_points()),
        },
        per_round: PerRound {
            challenger: pooled_places(&challenger),
            opponent: pooled_places(&opponent),
            challenger_per_set: place_estimates(&challenger),
            opponent_per_set: place_estimates(&opponent),
            p_value: sign_flip_test(&place_diffs, SIGN_FLIPS, seed),
            test: format!(
                "paired sign-flip permutation test over sets ({SIGN_FLIPS} flips) of the \
                 per-set differences in 1st/2nd/3rd hand-place rates, statistic d̄ᵀM⁻¹d̄ \
                 (M the uncentred second moments)"
            ),
        },
        sprt,
    }
}
