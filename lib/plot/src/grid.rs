//! Multi-panel figures: any charts in a grid, with panel letters ((a), (b), …) and
//! titles, one legend for the whole figure (a series keeps its colour in every panel),
//! and axes shared between panels of the same kind (one range; tick labels and
//! descriptions only on the outer panels).

use std::collections::BTreeMap;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::axes::{AxisOptions, Extent, Frame};
use crate::error::PlotError;
use crate::figure::Chart;
use crate::legend::legend;
use crate::style::{Layout, Scale, INK, PAGE_WIDTH_IN};
use crate::ticks::{padded_range, AxisScale};

/// One panel: a chart, its title, and its axis scales.
#[derive(Clone, Debug)]
pub struct Panel {
    /// What the panel shows.
    pub chart: Chart,
    /// The title after the panel letter (e.g. the environment).
    pub title: Option<String>,
    /// The x axis' scale (linear or log).
    pub x_scale: AxisScale,
    /// The y axis' scale.
    pub y_scale: AxisScale,
}

impl Panel {
    /// A panel of `chart` with linear axes.
    pub fn new(chart: impl Into<Chart>) -> Panel {
        Panel {
            chart: chart.into(),
            title: None,
            x_scale: AxisScale::Linear,
            y_scale: AxisScale::Linear,
        }
    }

    /// With a title.
    pub fn titled(mut self, title: impl Into<String>) -> Panel {
        self.title = Some(title.into());
        self
    }
}

/// Charts in a grid of panels.
#[derive(Clone, Debug)]
pub struct Grid {
    /// The panels, row by row.
    pub panels: Vec<Panel>,
    /// Panels per row.
    pub columns: usize,
    /// Panels of the same kind share their x range (tick labels on the bottom row).
    pub share_x: bool,
    /// Panels of the same kind share their y range (tick labels on the first column).
    pub share_y: bool,
    /// Letter the panels (a), (b), ….
    pub letters: bool,
    /// One legend above all panels instead of one per panel.
    pub shared_legend: bool,
}

impl Grid {
    /// `panels` in rows of `columns`, lettered, one legend, independent axes.
    pub fn new(panels: Vec<Panel>, columns: usize) -> Grid {
        Grid {
            panels,
            columns,
            share_x: false,
            share_y: false,
            letters: true,
            shared_legend: true,
        }
    }

    fn rows(&self) -> usize {
        self.panels.len().div_ceil(self.columns.max(1))
    }

    /// The page width, 2.2 inches per row of panels.
    pub fn default_layout(&self) -> Layout {
        Layout::page().sized(PAGE_WIDTH_IN, 0.3 + 2.2 * self.rows() as f64)
    }

    /// The legend's series: (colour key, text) in order of first appearance.
    fn series(&self) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = Vec::new();
        for p in &self.panels {
            for (key, text) in p.chart.series() {
                if !out.iter().any(|(k, _)| *k == key) {
                    out.push((key, text));
                }
            }
        }
        out
    }

    /// Per chart kind, the x and y ranges its panels share (padded once for all).
    fn shared_ranges(&self) -> BTreeMap<String, Extent> {
        let mut out: BTreeMap<String, Extent> = BTreeMap::new();
        let union = |a: Option<(f64, f64)>, b: Option<(f64, f64)>| match (a, b) {
            (Some(a), Some(b)) => Some((a.0.min(b.0), a.1.max(b.1))),
            (a, b) => a.or(b),
        };
        for p in &self.panels {
            let (x, y) = p.chart.extent();
            let entry = out.entry(p.chart.share_key()).or_default();
            if self.share_x {
                entry.0 = union(entry.0, x);
            }
            if self.share_y {
                entry.1 = union(entry.1, y);
            }
        }
        // pad once here, so every panel shows the same range (bars keep their 0)
        let scales = |key: &str| {
            let p = self.panels.iter().find(|p| p.chart.share_key() == key);
            p.map_or((AxisScale::Linear, AxisScale::Linear), |p| {
                (p.x_scale, p.y_scale)
            })
        };
        for (key, (x, y)) in out.iter_mut() {
            let (xs, ys) = scales(key);
            let curves = key.starts_with("curves|");
            if let Some(r) = x
                .as_mut()
                .filter(|_| curves || key.starts_with("intervals|"))
            {
                *r = padded_range(r.0, r.1, xs);
            }
            if let Some(r) = y.as_mut().filter(|_| curves) {
                *r = padded_range(r.0, r.1, ys);
            }
        }
        out
    }

    pub(crate) fn draw<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        s: &Scale,
    ) -> Result<(), PlotError> {
        if self.panels.is_empty() {
            return Err(PlotError::Empty("a grid without panels".into()));
        }
        if self.columns == 0 {
            return Err(PlotError::Invalid("a grid of 0 columns".into()));
        }
        let series = self.series();
        let mut area = area.clone();
        if self.shared_legend && !series.is_empty() {
            let items: Vec<(String, RGBColor)> = series
                .iter()
                .enumerate()
                .map(|(i, (_, text))| (text.clone(), crate::style::series_color(i)))
                .collect();
            area = legend(&area, s, &items, true)?;
        }
        let colors: Vec<String> = series.into_iter().map(|(k, _)| k).collect();
        let shared = self.shared_ranges();
        let (rows, cols) = (self.rows(), self.columns);
        let cells = area.split_evenly((rows, cols));
        for (i, (panel, cell)) in self.panels.iter().zip(&cells).enumerate() {
            let col = i % cols;
            let key = panel.chart.share_key();
            // a panel of the same kind below this one shows the shared x labels, one to
            // its left the shared y labels
            let below = (i + cols..self.panels.len())
                .step_by(cols)
                .any(|j| self.panels[j].chart.share_key() == key);
            let left = col > 0 && self.panels[i - 1].chart.share_key() == key;
            let (x_range, y_range) = shared.get(&key).copied().unwrap_or_default();
            let frame = Frame {
                x: AxisOptions {
                    scale: panel.x_scale,
                    range: x_range,
                    hide_labels: x_range.is_some() && below,
                    hide_desc: x_range.is_some() && below,
                },
                y: AxisOptions {
                    scale: panel.y_scale,
                    range: y_range,
                    hide_labels: y_range.is_some() && left,
                    hide_desc: y_range.is_some() && left,
                },
                no_legend: self.shared_legend,
                colors: colors.clone(),
            };
            let letter = self
                .letters
                .then(|| format!("({})", (b'a' + (i % 26) as u8) as char));
            let heading = match (letter, &panel.title) {
                (Some(l), Some(t)) => Some(format!("{l} {t}")),
                (Some(l), None) => Some(l),
                (None, Some(t)) => Some(t.clone()),
                (None, None) => None,
            };
            let body = match heading {
                Some(text) => {
                    let h = (s.line_height(0.0) + s.uf(4.0)).round() as i32;
                    let (top, body) = cell.split_vertically(h);
                    let w = top.dim_in_pixel().0 as f64;
                    let text = s.fit(&text, w - s.uf(8.0), 0.0);
                    let style = s.text(0.0, INK).pos(Pos::new(HPos::Left, VPos::Center));
                    top.draw(&Text::new(text, (s.u(4.0), h / 2), style))
                        .map_err(PlotError::draw)?;
                    body
                }
                None => cell.clone(),
            };
            panel.chart.draw(&body, s, &frame)?;
        }
        Ok(())
    }
}
