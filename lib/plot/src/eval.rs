//! An evaluation's figures: each agent's final-rank distribution, or Meowjong's per-round
//! table (hands by place in the hand's score change), challenger beside opponent, every
//! bar the mean of the per-set rates with its 95% interval over duplicate sets.

use meowlab_eval::stats::Estimate;
use meowlab_eval::Evaluation;
use plotters::coord::Shift;
use plotters::prelude::*;

use crate::axes::Frame;
use crate::error::PlotError;
use crate::games::{bars_top, grouped_bars};
use crate::style::Scale;

/// Which table of an evaluation to draw.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EvalView {
    /// 1st, 2nd, 3rd place rates of games.
    Ranks,
    /// 1st, 2nd, 3rd and no change by score change within each hand.
    PerRound,
}

/// One bar: (mean, lower, upper end of its interval).
type Bar = (f64, f64, f64);

/// Bars of an evaluation (see [`EvalView`]).
#[derive(Clone, Debug, PartialEq)]
pub struct EvalBars {
    view: EvalView,
    /// (label, one bar per category) for challenger and opponent.
    groups: Vec<(String, Vec<Bar>)>,
}

fn bar(e: &Estimate) -> Bar {
    let [lo, hi] = e.ci95.unwrap_or([e.mean, e.mean]);
    (e.mean, lo, hi)
}

impl EvalBars {
    /// The `view` of evaluation `e`.
    pub fn new(e: &Evaluation, view: EvalView) -> EvalBars {
        let groups = [
            ("challenger", &e.challenger, &e.per_round.challenger_per_set),
            ("opponent", &e.opponent, &e.per_round.opponent_per_set),
        ]
        .into_iter()
        .map(|(role, agent, places)| {
            // the spec's kind only (a model's folder is in evaluation.json): legends stay short
            let kind = agent.agent.split(':').next().unwrap_or_default();
            let label = format!("{role}: {kind}, {} games", agent.games);
            let values = match view {
                EvalView::Ranks => vec![bar(&agent.first), bar(&agent.second), bar(&agent.third)],
                EvalView::PerRound => places.all().into_iter().map(bar).collect(),
            };
            (label, values)
        })
        .collect();
        EvalBars { view, groups }
    }

    /// What a bar's share counts: games (ranks) or hands (the per-round table); panels
    /// share an axis only for the same unit.
    pub(crate) fn unit(&self) -> &'static str {
        match self.view {
            EvalView::Ranks => "games",
            EvalView::PerRound => "hands",
        }
    }

    /// The two bars' labels (challenger, opponent).
    pub(crate) fn labels(&self) -> Vec<String> {
        self.groups.iter().map(|g| g.0.clone()).collect()
    }

    /// The top of the value axis.
    pub(crate) fn top(&self) -> f64 {
        let values: Vec<Vec<Bar>> = self.groups.iter().map(|g| g.1.clone()).collect();
        bars_top(&values)
    }

    pub(crate) fn draw<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        s: &Scale,
        frame: &Frame,
    ) -> Result<(), PlotError> {
        let (categories, y_desc): (&[&str], &str) = match self.view {
            EvalView::Ranks => (&["1st", "2nd", "3rd"], "share of games (95% CI over sets)"),
            EvalView::PerRound => (
                &["1st", "2nd", "3rd", "no change"],
                "share of hands (95% CI over sets)",
            ),
        };
        let values: Vec<Vec<Bar>> = self.groups.iter().map(|g| g.1.clone()).collect();
        grouped_bars(
            area,
            s,
            frame,
            categories,
            &self.labels(),
            &values,
            bars_top(&values),
            y_desc,
        )
    }
}
