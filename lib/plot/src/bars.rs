//! Bar charts of one decision: the policy over actions, and Shapley values (sorted bars
//! with standard errors, or a waterfall from v(∅) to v(F)).

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::axes::{self, AxisOptions, AxisSpec, Frame};
use crate::error::PlotError;
use crate::style::{local, Scale, INK, PALETTE};
use crate::ticks::{short_number, TickStyle};

/// Probabilities of a decision's actions, the chosen one highlighted.
#[derive(Clone, Debug, PartialEq)]
pub struct ActionBars {
    /// Action names (e.g. "discard 5p", "pon").
    pub labels: Vec<String>,
    /// Their probabilities.
    pub probs: Vec<f64>,
    /// The action taken.
    pub chosen: Option<usize>,
}

impl ActionBars {
    /// Bars for `labels` with `probs` (same length).
    pub fn new(labels: Vec<String>, probs: Vec<f64>) -> ActionBars {
        ActionBars {
            labels,
            probs,
            chosen: None,
        }
    }

    /// Highlights action `i`.
    pub fn chosen(mut self, i: usize) -> ActionBars {
        self.chosen = Some(i);
        self
    }

    /// The top of the probability axis.
    pub(crate) fn top(&self) -> f64 {
        (self.probs.iter().fold(0.0f64, |m, &p| m.max(p)) * 1.15).clamp(0.05, 1.0)
    }

    pub(crate) fn draw<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        s: &Scale,
        frame: &Frame,
    ) -> Result<(), PlotError> {
        let n = self.labels.len();
        if n == 0 {
            return Err(PlotError::Empty("no actions".into()));
        }
        if self.probs.len() != n || self.probs.iter().any(|p| !p.is_finite() || *p < 0.0) {
            return Err(PlotError::Invalid(format!(
                "{} labels but {} probabilities (each finite and ≥ 0)",
                n,
                self.probs.len()
            )));
        }
        if let Some(c) = self.chosen.filter(|&c| c >= n) {
            return Err(PlotError::Invalid(format!("chosen action {c} of {n}")));
        }
        let names: Vec<String> = self
            .labels
            .iter()
            .enumerate()
            .map(|(i, l)| match self.chosen == Some(i) {
                true => format!("{l}*"),
                false => l.clone(),
            })
            .collect();
        // the x axis holds the action names: upright when they fit their slots, turned
        // a quarter when not, and only every k-th when even turned ones would touch
        let (w, _) = area.dim_in_pixel();
        let slot = (w as f64 - s.uf(40.0)) / n as f64;
        let widest = names
            .iter()
            .map(|l| s.text_width(l, -1.0))
            .fold(0.0, f64::max);
        let rotate = widest + s.uf(2.0) > slot;
        let every = if rotate {
            ((s.line_height(-1.0) + s.uf(1.0)) / slot).ceil().max(1.0) as usize
        } else {
            1
        };
        let label_room = if rotate {
            s.uf(4.0) + widest.min(area.dim_in_pixel().1 as f64 * 0.4)
        } else {
            s.uf(4.0) + s.line_height(-1.0)
        };
        let plain = AxisOptions {
            hide_labels: true,
            hide_desc: true,
            ..AxisOptions::default()
        };
        let (plot, labels_area) = {
            let h = area.dim_in_pixel().1 as i32;
            area.split_vertically(h - label_room.round() as i32)
        };
        let empty: Vec<String> = vec![String::new(); n];
        let x = AxisSpec::categorical(&empty, &plain);
        let y = AxisSpec::numeric(0.0, self.top(), TickStyle::Percent, "probability", &frame.y);
        let (mut chart, _, _) = axes::build(&plot, s, &x, &y, (false, true))?;
        for (i, (label, &p)) in names.iter().zip(&self.probs).enumerate() {
            let chosen = self.chosen == Some(i);
            let color = if chosen { PALETTE[5] } else { PALETTE[0] };
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(i as f64 + 0.15, 0.0), (i as f64 + 0.85, p)],
                    color.filled(),
                )))
                .map_err(PlotError::draw)?;
            if i % every != 0 && !chosen {
                continue;
            }
            let at = local(&plot, chart.backend_coord(&(i as f64 + 0.5, 0.0)));
            let style = s.text(-1.0, INK);
            let (text, style) = if rotate {
                let text = s.fit(label, label_room - s.uf(4.0), -1.0);
                let style = style
                    .transform(FontTransform::Rotate270)
                    .pos(Pos::new(HPos::Right, VPos::Center));
                (text, style)
            } else {
                (label.clone(), style.pos(Pos::new(HPos::Center, VPos::Top)))
            };
            labels_area
                .draw(&Text::new(text, (at.0, s.u(3.0)), style))
                .map_err(PlotError::draw)?;
        }
        Ok(())
    }
}

/// How Shapley values are drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShapleyStyle {
    /// Horizontal bars sorted by |φ|, with ±1 standard error when known.
    Bars,
    /// From v(∅) through each φ (largest |φ| first) to v(F).
    Waterfall,
}

/// Shapley values of named players (features or feature blocks).
#[derive(Clone, Debug, PartialEq)]
pub struct ShapleyChart {
    /// Player names.
    pub players: Vec<String>,
    /// φ per player.
    pub values: Vec<f64>,
    /// Standard error per player (sampled estimates).
    pub stderr: Option<Vec<f64>>,
    /// v(∅), the value with no player present (the waterfall's start).
    pub base: f64,
    /// Bars or waterfall.
    pub style: ShapleyStyle,
    /// Show the `top` largest |φ| and pool the rest as "N others" (0 = all).
    pub top: usize,
    /// What was explained and how (e.g. "policy p(5p), on-manifold"); the x-axis label.
    pub what: String,
}

impl ShapleyChart {
    /// Bars of `values` for `players`, v(∅) = 0.
    pub fn new(players: Vec<String>, values: Vec<f64>) -> ShapleyChart {
        ShapleyChart {
            players,
            values,
            stderr: None,
            base: 0.0,
            style: ShapleyStyle::Bars,
            top: 12,
            what: "Shapley value".into(),
        }
    }

    /// One stored explanation (bars; set `style` for a waterfall from its v(∅)).
    pub fn from_explanation(e: &meowlab_store::Explanation) -> ShapleyChart {
        let mut chart = ShapleyChart::new(e.players.clone(), e.values.clone());
        chart.stderr = e.stderr.clone();
        chart.base = e.base;
        let at = match (e.game_id, e.step, e.episode_id) {
            (Some(g), Some(s), _) => format!(", game {g} step {s}"),
            (_, Some(s), Some(ep)) => format!(", episode {ep} step {s}"),
            _ => String::new(),
        };
        chart.what = format!("φ of {}{at}", e.target);
        chart
    }

    /// The mean |φ| per player over `explanations` (how much each player matters,
    /// whichever way); they must share their players, kind and conditioning.
    pub fn mean_abs(
        explanations: &[meowlab_store::Explanation],
    ) -> Result<ShapleyChart, PlotError> {
        ShapleyChart::summary(explanations, false)
    }

    /// The mean φ per player over `explanations`, with its standard error over them:
    /// over states sampled from the agent's own distribution, SVERL's global summary
    /// Φ_i = E_s[φ_i(s)] (e.g. of global performance). Same requirements as
    /// [`ShapleyChart::mean_abs`].
    pub fn mean(explanations: &[meowlab_store::Explanation]) -> Result<ShapleyChart, PlotError> {
        ShapleyChart::summary(explanations, true)
    }

    fn summary(
        explanations: &[meowlab_store::Explanation],
        signed: bool,
    ) -> Result<ShapleyChart, PlotError> {
        let first = explanations
            .first()
            .ok_or_else(|| PlotError::Empty("no explanations".into()))?;
        if let Some(other) = explanations.iter().find(|e| e.players != first.players) {
            return Err(PlotError::Invalid(format!(
                "explanation {} has other players than explanation {}",
                other.explanation_id, first.explanation_id
            )));
        }
        if let Some(other) = explanations
            .iter()
            .find(|e| e.kind != first.kind || e.conditioning != first.conditioning)
        {
            return Err(PlotError::Invalid(format!(
                "explanation {} ({}, {}) and explanation {} ({}, {}) explain different \
                 things; summarise one kind and conditioning at a time",
                first.explanation_id,
                first.kind,
                first.conditioning,
                other.explanation_id,
                other.kind,
                other.conditioning
            )));
        }
        let n = explanations.len() as f64;
        let at = |i: usize| {
            explanations.iter().map(move |e| {
                if signed {
                    e.values[i]
                } else {
                    e.values[i].abs()
                }
            })
        };
        let players = first.players.len();
        let mean: Vec<f64> = (0..players).map(|i| at(i).sum::<f64>() / n).collect();
        let mut chart = ShapleyChart::new(first.players.clone(), mean.clone());
        if explanations.len() > 1 {
            chart.stderr = Some(
                (0..players)
                    .map(|i| {
                        let var = at(i).map(|v| (v - mean[i]).powi(2)).sum::<f64>() / (n - 1.0);
                        (var / n).sqrt()
                    })
                    .collect(),
            );
        }
        let conditioning = &first.conditioning;
        let stat = if signed { "mean φ" } else { "mean |φ|" };
        chart.what = format!(
            "{stat} of {}: {}, {conditioning}",
            explanations.len(),
            first.kind.replace('_', " ")
        );
        Ok(chart)
    }

    /// The rows to draw: (name, φ, stderr), sorted by |φ|, the tail pooled.
    fn rows(&self) -> Vec<(String, f64, Option<f64>)> {
        let mut idx: Vec<usize> = (0..self.values.len()).collect();
        idx.sort_by(|&a, &b| self.values[b].abs().total_cmp(&self.values[a].abs()));
        let se = |i: usize| self.stderr.as_ref().map(|s| s[i]);
        let keep = if self.top == 0 || self.top >= idx.len() {
            idx.len()
        } else {
            self.top
        };
        let mut rows: Vec<_> = idx[..keep]
            .iter()
            .map(|&i| (self.players[i].clone(), self.values[i], se(i)))
            .collect();
        if keep < idx.len() {
            let rest = &idx[keep..];
            let sum: f64 = rest.iter().map(|&i| self.values[i]).sum();
            // independent errors add in quadrature
            let err = self
                .stderr
                .as_ref()
                .map(|s| rest.iter().map(|&i| s[i] * s[i]).sum::<f64>().sqrt());
            rows.push((format!("{} others", rest.len()), sum, err));
        }
        rows
    }

    pub(crate) fn draw<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        s: &Scale,
    ) -> Result<(), PlotError> {
        let n = self.players.len();
        if n == 0 {
            return Err(PlotError::Empty("no players".into()));
        }
        let bad_len = self.values.len() != n
            || self.stderr.as_ref().is_some_and(|e| e.len() != n)
            || self.values.iter().any(|v| !v.is_finite())
            || !self.base.is_finite();
        if bad_len {
            return Err(PlotError::Invalid(format!(
                "{n} players but {} values (and standard errors, if given, one per player; all finite)",
                self.values.len()
            )));
        }
        let rows = self.rows();
        let k = rows.len();
        // the x range covers the bars (with errors) or every waterfall step
        let start = match self.style {
            ShapleyStyle::Bars => 0.0,
            ShapleyStyle::Waterfall => self.base,
        };
        let (mut lo, mut hi) = (start, start);
        let mut spans = Vec::with_capacity(k);
        let mut at = self.base;
        for (_, v, e) in &rows {
            let (a, b) = match self.style {
                ShapleyStyle::Bars => (0.0, *v),
                ShapleyStyle::Waterfall => (at, at + v),
            };
            at += v;
            let e = e.unwrap_or(0.0);
            lo = lo.min(a.min(b) - e);
            hi = hi.max(a.max(b) + e);
            spans.push((a, b));
        }
        let plot = match self.style {
            ShapleyStyle::Bars => area.clone(),
            ShapleyStyle::Waterfall => {
                let (top, rest) = area.split_vertically(s.u(11.0));
                let text = format!(
                    "v(∅) = {}  →  v(F) = {}",
                    short_number(self.base),
                    short_number(at)
                );
                let style = s.text(-1.0, INK).pos(Pos::new(HPos::Right, VPos::Center));
                let (w, h) = top.dim_in_pixel();
                top.draw(&Text::new(text, (w as i32 - s.u(6.0), h as i32 / 2), style))
                    .map_err(PlotError::draw)?;
                rest
            }
        };
        // row names with their values ("own hand  +0.12"), at most 45% of the width
        let (area_w, _) = plot.dim_in_pixel();
        let names: Vec<String> = rows
            .iter()
            .rev()
            .map(|(name, v, _)| {
                let value = format!("  {}{}", if *v >= 0.0 { "+" } else { "" }, short_number(*v));
                let name = s.fit(
                    name,
                    0.45 * area_w as f64 - s.text_width(&value, -1.0),
                    -1.0,
                );
                format!("{name}{value}")
            })
            .collect();
        // the description is centred under the plot, right of the row names
        let widest = names
            .iter()
            .map(|n| s.text_width(n, -1.0))
            .fold(0.0, f64::max);
        let what = s.fit(&self.what, area_w as f64 - widest - s.uf(24.0), 0.0);
        let plain = AxisOptions::default();
        let x = AxisSpec::numeric(lo, hi, TickStyle::Number, &what, &plain).padded();
        let y = AxisSpec::categorical(&names, &plain);
        let (mut chart, _, _) = axes::build(&plot, s, &x, &y, (true, false))?;
        let zero = if self.style == ShapleyStyle::Waterfall {
            self.base
        } else {
            0.0
        };
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(zero, 0.0), (zero, k as f64)],
                INK.stroke_width(s.u(0.5) as u32),
            )))
            .map_err(PlotError::draw)?;
        for (r, ((_, v, e), (a, b))) in rows.iter().zip(&spans).enumerate() {
            let y = (k - 1 - r) as f64;
            let color = if *v >= 0.0 { PALETTE[5] } else { PALETTE[0] };
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(a.min(*b), y + 0.18), (a.max(*b), y + 0.82)],
                    color.filled(),
                )))
                .map_err(PlotError::draw)?;
            if let Some(e) = e.filter(|e| *e > 0.0) {
                let stroke = INK.stroke_width(s.u(0.6) as u32);
                chart
                    .draw_series(std::iter::once(PathElement::new(
                        vec![(b - e, y + 0.5), (b + e, y + 0.5)],
                        stroke,
                    )))
                    .map_err(PlotError::draw)?;
            }
        }
        Ok(())
    }
}
