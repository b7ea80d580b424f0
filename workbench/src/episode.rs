//! An open control episode: its logged steps and the running return.

use std::path::Path;

use meowlab::store::browse::{self, EpisodeRow, StepRow};
use meowlab::store::control::Phase;

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
        OpenEpisode {
            row: row.clone(),
            env,
            steps,
            returns,
            problems,
        }
    }

    /// Last valid cursor position.
    pub fn last(&self) -> usize {
        self.steps.len().saturating_sub(1)
    }
}
