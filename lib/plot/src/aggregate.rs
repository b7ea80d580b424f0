//! Figures of aggregate statistics ([`meowlab_eval::aggregate`]): one interval panel per
//! statistic (rliable's `plot_interval_estimates`), performance profiles with their
//! bootstrap bands, and the probability of improvement of each pair, as charts or as one
//! multi-panel figure.

use meowlab_eval::aggregate::{Statistic, Summary};

use crate::curves::{Aggregate, Curves};
use crate::error::PlotError;
use crate::grid::{Grid, Panel};
use crate::intervals::Intervals;

/// The interval estimates of `statistic` for every algorithm of `summary`.
pub fn statistic_chart(summary: &Summary, statistic: Statistic) -> Result<Intervals, PlotError> {
    let name = statistic.name();
    let rows: Vec<_> = summary
        .statistics
        .iter()
        .filter_map(|(algorithm, stats)| stats.get(name).map(|i| (algorithm.clone(), *i)))
        .collect();
    if rows.is_empty() {
        return Err(PlotError::Empty(format!("no {name} estimates")));
    }
    Ok(Intervals::new(format!("{name} (normalised)"), rows))
}

/// Performance profiles: the share of runs above each τ, with its band.
pub fn profile_chart(summary: &Summary) -> Result<Curves, PlotError> {
    if summary.profiles.is_empty() {
        return Err(PlotError::Empty("no performance profiles".into()));
    }
    let bands = summary
        .profiles
        .iter()
        .map(|(algorithm, points)| {
            let band = Aggregate {
                steps: summary.taus.clone(),
                mean: points.iter().map(|i| i.point).collect(),
                lo: points.iter().map(|i| i.lo).collect(),
                hi: points.iter().map(|i| i.hi).collect(),
                n: vec![1; points.len()],
            };
            (algorithm.clone(), band)
        })
        .collect();
    Ok(Curves::bands(
        "normalised score τ",
        "fraction of runs with score > τ",
        bands,
    ))
}

/// P(X > Y) with its interval for every ordered pair run on the same tasks.
pub fn improvement_chart(summary: &Summary) -> Result<Intervals, PlotError> {
    if summary.improvement.is_empty() {
        return Err(PlotError::Empty(
            "no two algorithms were run on the same tasks: no probability of improvement".into(),
        ));
    }
    let mut chart = Intervals::new(
        "P(X > Y)",
        summary
            .improvement
            .iter()
            .map(|(x, y, i)| (format!("{x} > {y}"), *i))
            .collect(),
    );
    chart.reference = Some(0.5);
    chart.color_by_row = false;
    Ok(chart)
}

/// Everything in one figure: the four statistics in a row, then the profiles and the
/// probabilities of improvement (when some pair shares its tasks).
pub fn summary_grid(summary: &Summary) -> Result<Grid, PlotError> {
    let mut panels = Statistic::ALL
        .iter()
        .map(|&st| statistic_chart(summary, st).map(|c| Panel::new(c).titled(st.name())))
        .collect::<Result<Vec<_>, _>>()?;
    panels.push(Panel::new(profile_chart(summary)?).titled("performance profile"));
    if !summary.improvement.is_empty() {
        panels.push(Panel::new(improvement_chart(summary)?).titled("probability of improvement"));
    }
    let mut grid = Grid::new(panels, 3);
    grid.share_y = true;
    Ok(grid)
}
