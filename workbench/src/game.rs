//! An open Sanma game: its logged decisions, the boards replayed from them, and how far
//! each choice was from the agent's favourite (the "gap" behind severity colours and the
//! worst-decisions list).

use std::path::Path;

use egui::Color32;
use meowlab::sanma::board::GameReplay;
use meowlab::store::browse::{self, DecisionRow, GameRow, KyokuRow, LoggedGame};
use meowlab::store::Explanation;

/// How bad a choice looks next to the logged policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// The favourite, or within 5 points of probability.
    Fine,
    /// 5–20 points below the favourite.
    Minor,
    /// 20–50 points below.
    Notable,
    /// 50 points or more below.
    Severe,
}

impl Severity {
    /// From the gap p(best) − p(chosen).
    pub fn of_gap(gap: f32) -> Severity {
        match gap {
            g if g >= 0.5 => Severity::Severe,
            g if g >= 0.2 => Severity::Notable,
            g if g >= 0.05 => Severity::Minor,
            _ => Severity::Fine,
        }
    }

    /// Colour used everywhere the severity shows (colour-blind-safe Okabe–Ito hues).
    pub fn color(self) -> Color32 {
        match self {
            Severity::Fine => Color32::from_rgb(0, 158, 115),
            Severity::Minor => Color32::from_rgb(240, 228, 66),
            Severity::Notable => Color32::from_rgb(230, 159, 0),
            Severity::Severe => Color32::from_rgb(213, 94, 0),
        }
    }

    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Severity::Fine => "fine",
            Severity::Minor => "minor",
            Severity::Notable => "notable",
            Severity::Severe => "severe",
        }
    }
}

/// The gap between the most probable legal action and the chosen one, when the agent
/// logged a policy; `None` otherwise (or with a single legal action, where there is no
/// choice to judge).
pub fn gap(d: &DecisionRow) -> Option<f32> {
    let policy = d.policy.as_ref()?;
    if d.legal.len() < 2 {
        return None;
    }
    let p = |i: u16| policy.get(i as usize).copied().unwrap_or(0.0);
    let best = d.legal.iter().map(|&i| p(i)).fold(f32::MIN, f32::max);
    Some((best - p(d.action)).max(0.0))
}

/// Puts the run's review (`meowlab review`) of game `game_id` in place of the logged
/// policies, decision by decision (matched by step and seat), so the bars, gaps and the
/// worst-decisions list show where the reviewing model disagrees; returns the reviewer.
fn apply_review(
    dir: &Path,
    game_id: u64,
    decisions: &mut [DecisionRow],
    problems: &mut Vec<String>,
) -> Option<String> {
    let rows = crate::runs::read_or_note(browse::review(dir, Some(game_id)), problems);
    let reviewer = rows.first()?.reviewer.clone();
    for d in decisions.iter_mut() {
        if let Some(r) = rows.iter().find(|r| r.step == d.step && r.seat == d.seat) {
            d.policy = Some(r.policy.clone());
        }
    }
    Some(reviewer)
}

/// A loaded and replayed game.
pub struct OpenGame {
    /// The `games` row.
    pub game: GameRow,
    /// Its hands.
    pub kyoku: Vec<KyokuRow>,
    /// Its decisions in order.
    pub decisions: Vec<DecisionRow>,
    /// Boards replayed from the decisions (the same length unless the log is broken).
    pub replay: GameReplay,
    /// `gap` of each decision.
    pub gaps: Vec<Option<f32>>,
    /// Anything that went wrong while loading or replaying.
    pub problems: Vec<String>,
    /// Shapley explanations of this game's decisions (from the run's `explanations`).
    pub explanations: Vec<Explanation>,
    /// Who reviewed the game (`meowlab review`), when its policies are a reviewer's
    /// rather than the playing agents' own.
    pub reviewer: Option<String>,
}

impl OpenGame {
    /// Loads game `game.game_id` of the run at `dir` and replays it.
    pub fn load(dir: &Path, game: &GameRow, kyoku: Vec<KyokuRow>) -> OpenGame {
        let LoggedGame {
            decisions,
            replay,
            mut problems,
            ..
        } = LoggedGame::load(dir, game);
        let mut decisions = decisions;
        let reviewer = apply_review(dir, game.game_id, &mut decisions, &mut problems);
        let gaps = decisions.iter().map(gap).collect();
        let explanations = if dir.join("explanations").is_dir() {
            let all = crate::runs::read_or_note(browse::explanations(dir), &mut problems);
            all.into_iter()
                .filter(|e| e.game_id == Some(game.game_id))
                .collect()
        } else {
            Vec::new()
        };
        OpenGame {
            game: game.clone(),
            kyoku,
            decisions,
            replay,
            gaps,
            problems,
            explanations,
            reviewer,
        }
    }

    /// Decisions that replayed (the scrubber's range is `0..=steps()`, the last position
    /// being the end of the game).
    pub fn steps(&self) -> usize {
        self.replay.decisions.len()
    }

    /// The explanations of decision `index` (matched by its logged step).
    pub fn explanations_at(&self, index: usize) -> Vec<&Explanation> {
        let Some(step) = self.decisions.get(index).map(|d| d.step) else {
            return Vec::new();
        };
        self.explanations
            .iter()
            .filter(|e| e.step == Some(step))
            .collect()
    }

    /// Decision indices that have an explanation, in order.
    pub fn explained_decisions(&self) -> Vec<usize> {
        (0..self.decisions.len())
            .filter(|&i| !self.explanations_at(i).is_empty())
            .collect()
    }

    /// Indices of decisions with a gap, worst first.
    pub fn worst_first(&self) -> Vec<usize> {
        let mut idx: Vec<usize> = (0..self.steps())
            .filter(|&i| self.gaps[i].is_some())
            .collect();
        idx.sort_by(|&a, &b| {
            self.gaps[b]
                .partial_cmp(&self.gaps[a])
                .unwrap_or(std::cmp::Ordering::Equal)
                .then(a.cmp(&b))
        });
        idx
    }

    /// The events that led to the board at cursor position `cursor`: from the previous
    /// decision's action up to this decision (or the end of the game).
    pub fn events_of(&self, cursor: usize) -> std::ops::Range<usize> {
        let d = &self.replay.decisions;
        let from = match cursor {
            0 => 0,
            c => d.get(c - 1).map_or(0, |x| x.events_before),
        };
        let to = d
            .get(cursor)
            .map_or(self.replay.events.len(), |x| x.events_before);
        from..to.max(from)
    }

    /// The cursor position whose board event `e` led to: the events between decision
    /// `c − 1` and decision `c` belong to position `c` (those after the last decision to
    /// the end of the game).
    pub fn step_of_event(&self, e: usize) -> usize {
        self.replay
            .decisions
            .partition_point(|x| x.events_before <= e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(policy: Option<Vec<f32>>, legal: Vec<u16>, action: u16) -> DecisionRow {
        DecisionRow {
            game_id: 0,
            kyoku: 0,
            step: 0,
            seat: 0,
            kind: "turn".into(),
            legal,
            action,
            tsumogiri: false,
            action_text: String::new(),
            policy,
            value: None,
            kyoku_delta: 0,
            final_score: 0,
            final_rank: 1,
            observation: None,
        }
    }

    #[test]
    fn every_event_maps_back_to_the_position_that_lists_it() {
        use meowlab::sanma::board::{replay_decisions, LoggedDecision};
        use meowlab::sanma::bots::{HeuristicAgent, RandomAgent};
        use meowlab::sanma::{play_game, Agent, Rules};
        let mut agents: Vec<Box<dyn Agent>> = vec![
            Box::new(HeuristicAgent),
            Box::new(RandomAgent::new(1)),
            Box::new(HeuristicAgent),
        ];
        let played = play_game(Rules::default(), 4, &mut agents).unwrap();
        let logged: Vec<LoggedDecision> = played.history().iter().map(|&d| d.into()).collect();
        let names = ["a".to_string(), "b".into(), "c".into()];
        let replay = replay_decisions(Rules::default(), 4, names, &logged);
        let game = OpenGame {
            game: GameRow {
                game_id: 4,
                seed: 4,
                rules: String::new(),
                kyoku_count: 0,
                decision_count: logged.len() as u32,
                agents: Default::default(),
                scores: [0; 3],
                ranks: [1, 2, 3],
                source: None,
            },
            kyoku: vec![],
            decisions: vec![],
            gaps: vec![None; logged.len()],
            replay,
            problems: vec![],
            explanations: vec![],
            reviewer: None,
        };
        let mut covered = 0;
        for c in 0..=game.steps() {
            for e in game.events_of(c) {
                assert_eq!(game.step_of_event(e), c, "event {e}");
                covered += 1;
            }
        }
        assert_eq!(
            covered,
            game.replay.events.len(),
            "every event is listed once"
        );
    }

    #[test]
    fn gap_is_best_minus_chosen_over_legal_actions() {
        let mut p = vec![0.0; 150];
        p[3] = 0.7;
        p[5] = 0.2;
        p[9] = 0.9; // not legal: ignored
        let d = row(Some(p.clone()), vec![3, 5], 5);
        assert!((gap(&d).unwrap() - 0.5).abs() < 1e-6);
        assert_eq!(Severity::of_gap(gap(&d).unwrap()), Severity::Severe);
        assert_eq!(gap(&row(Some(p.clone()), vec![3, 5], 3)), Some(0.0));
        assert_eq!(gap(&row(None, vec![3, 5], 3)), None);
        assert_eq!(gap(&row(Some(p), vec![3], 3)), None);
        assert_eq!(Severity::of_gap(0.1), Severity::Minor);
        assert_eq!(Severity::of_gap(0.3), Severity::Notable);
        assert_eq!(Severity::of_gap(0.0), Severity::Fine);
    }
}
