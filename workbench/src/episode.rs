//! An open control episode: its logged steps, the running return, and the Shapley
//! explanations of its states.

use std::path::Path;

use meowlab::store::browse::{self, EpisodeRow, StepRow};
use meowlab::store::control::Phase;
use meowlab::store::Explanation;

/// A loaded episode.
pub struct OpenEpisode {
    /// The `episodes` row.
    pub row: EpisodeRow,
    /// The environment id, when the run says it.
    pub env: Option<String>,
    /// Its steps in order.
    pub steps: Vec<StepRow>,
    /// Return after each step.
    pub returns: Vec<f64>,
    /// Explanations of this episode's states (from the run's `explanations`).
    pub explanations: Vec<Explanation>,
    /// Anything that could not be read.
    pub problems: Vec<String>,
}

impl OpenEpisode {
    /// Loads the steps of `row` from the run at `dir`.
    pub fn load(dir: &Path, row: &EpisodeRow, env: Option<String>) -> OpenEpisode {
        let mut problems = Vec::new();
        let phase = if row.phase == "eval" {
            Phase::Eval
        } else {
            Phase::Train
        };
        let steps = crate::runs::read_or_note(
            browse::episode_steps(dir, phase, row.episode_id),
            &mut problems,
        );
        if steps.is_empty() && problems.is_empty() {
            problems.push(format!(
                "episode {} ({}) has no logged steps",
                row.episode_id, row.phase
            ));
        }
        let returns = steps
            .iter()
            .scan(0.0, |acc, s| {
                *acc += s.reward;
                Some(*acc)
            })
            .collect();
        let explanations = if dir.join("explanations").is_dir() {
            let all = crate::runs::read_or_note(browse::explanations(dir), &mut problems);
            all.into_iter()
                .filter(|e| e.episode_id == Some(row.episode_id) && e.game_id.is_none())
                .collect()
        } else {
            Vec::new()
        };
        OpenEpisode {
            row: row.clone(),
            env,
            steps,
            returns,
            explanations,
            problems,
        }
    }

    /// The kinds of explanation this episode has (value, policy, …), in first-seen order.
    pub fn explanation_kinds(&self) -> Vec<String> {
        let mut kinds: Vec<String> = Vec::new();
        for e in &self.explanations {
            if !kinds.contains(&e.kind) {
                kinds.push(e.kind.clone());
            }
        }
        kinds
    }

    /// The explanations of `kind`, ordered by step.
    pub fn explanations_of(&self, kind: &str) -> Vec<&Explanation> {
        let mut out: Vec<&Explanation> = self
            .explanations
            .iter()
            .filter(|e| e.kind == kind)
            .collect();
        out.sort_by_key(|e| e.step);
        out
    }

    /// Last valid cursor position.
    pub fn last(&self) -> usize {
        self.steps.len().saturating_sub(1)
    }
}
