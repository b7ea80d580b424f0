//! Interval estimates, one row per algorithm: a bar over the 95% interval with a tick at
//! the point estimate (rliable's `plot_interval_estimates`; also the probability of
//! improvement, with its 0.5 line).

use meowlab_eval::aggregate::Interval;
use plotters::coord::Shift;
use plotters::prelude::*;

use crate::axes::{self, AxisSpec, Frame};
use crate::error::PlotError;
use crate::style::{Scale, INK};
use crate::ticks::TickStyle;

/// Point estimates with intervals, one row each, on a horizontal value axis.
#[derive(Clone, Debug, PartialEq)]
pub struct Intervals {
    /// (row label, estimate) from top to bottom.
    pub rows: Vec<(String, Interval)>,
    /// What the value axis measures (e.g. "IQM of normalised score").
    pub x_label: String,
    /// A vertical reference line (0.5 for a probability of improvement).
    pub reference: Option<f64>,
    /// Colour rows by their label in the figure's series order (algorithms), instead
    /// of one colour for all (pairs of algorithms).
    pub color_by_row: bool,
}

impl Intervals {
    /// Rows of `(label, interval)` on an axis named `x_label`.
    pub fn new(x_label: impl Into<String>, rows: Vec<(String, Interval)>) -> Intervals {
        Intervals {
            rows,
            x_label: x_label.into(),
            reference: None,
            color_by_row: true,
        }
    }

    /// The value axis' data extent (interval ends, reference line).
    pub(crate) fn extent(&self) -> Option<(f64, f64)> {
        let mut lo = self.reference.unwrap_or(f64::INFINITY);
        let mut hi = self.reference.unwrap_or(f64::NEG_INFINITY);
        for (_, i) in &self.rows {
            lo = lo.min(i.lo.min(i.point));
            hi = hi.max(i.hi.max(i.point));
        }
        (lo <= hi).then_some((lo, hi))
    }

    pub(crate) fn draw<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        s: &Scale,
        frame: &Frame,
    ) -> Result<(), PlotError> {
        let Some((lo, hi)) = self.extent().filter(|_| !self.rows.is_empty()) else {
            return Err(PlotError::Empty(format!(
                "no estimates of {}",
                self.x_label
            )));
        };
        if let Some((label, i)) = self
            .rows
            .iter()
            .find(|(_, i)| !(i.point.is_finite() && i.lo.is_finite() && i.hi.is_finite()))
        {
            return Err(PlotError::Invalid(format!(
                "{}: the estimate of {label} is not finite ({} [{}, {}])",
                self.x_label, i.point, i.lo, i.hi
            )));
        }
        let n = self.rows.len();
        // rows top to bottom: the first row at the top of the categorical axis
        let names: Vec<String> = self.rows.iter().rev().map(|(l, _)| l.clone()).collect();
        let x = AxisSpec::numeric(lo, hi, TickStyle::Number, &self.x_label, &frame.x).padded();
        let y = AxisSpec::categorical(&names, &frame.y);
        let (mut chart, _, _) = axes::build(area, s, &x, &y, (true, false))?;
        if let Some(r) = self.reference {
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(r, 0.0), (r, n as f64)],
                    INK.mix(0.6).stroke_width(s.u(0.6) as u32),
                )))
                .map_err(PlotError::draw)?;
        }
        for (r, (label, i)) in self.rows.iter().enumerate() {
            let y = (n - 1 - r) as f64;
            let color = if self.color_by_row {
                frame.color(label, r)
            } else {
                crate::style::series_color(0)
            };
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(i.lo, y + 0.25), (i.hi, y + 0.75)],
                    color.mix(0.75).filled(),
                )))
                .map_err(PlotError::draw)?;
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(i.point, y + 0.18), (i.point, y + 0.82)],
                    INK.stroke_width(s.u(1.0) as u32),
                )))
                .map_err(PlotError::draw)?;
        }
        Ok(())
    }
}
