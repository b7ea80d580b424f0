//! A tile plane (the 34×366 Meowjong observation) as a heatmap: rows are tile kinds,
//! columns the features, set cells dark; the feature blocks are shaded alternately and
//! named above the image; an optional per-column overlay (e.g. Shapley values) is drawn
//! as a diverging strip and tints its columns.

use meowlab_sanma::planes::{self, Planes, COLS, ROWS};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::error::PlotError;
use crate::style::{Scale, INK, PALETTE};
use crate::ticks::short_number;

/// A tile plane, optionally with one value per column to overlay.
#[derive(Clone, Debug, PartialEq)]
pub struct PlaneHeatmap {
    /// The observation.
    pub planes: Planes,
    /// One value per column (366), e.g. attributions; positive and negative are drawn in
    /// two colours.
    pub overlay: Option<Vec<f64>>,
}

/// Light shades of alternate blocks.
const SHADE: [RGBColor; 2] = [RGBColor(255, 255, 255), RGBColor(236, 236, 236)];

impl PlaneHeatmap {
    /// The plane without overlay.
    pub fn new(planes: Planes) -> PlaneHeatmap {
        PlaneHeatmap {
            planes,
            overlay: None,
        }
    }

    /// From the bit-packed bytes stored in a run's `decisions.observation`.
    pub fn from_packed(bytes: &[u8]) -> Result<PlaneHeatmap, PlotError> {
        Planes::from_bytes(bytes)
            .map(PlaneHeatmap::new)
            .map_err(|e| PlotError::Invalid(format!("observation: {}", e.reason)))
    }

    /// With a per-column overlay (must have 366 finite values).
    pub fn with_overlay(mut self, values: Vec<f64>) -> Result<PlaneHeatmap, PlotError> {
        if values.len() != COLS || values.iter().any(|v| !v.is_finite()) {
            return Err(PlotError::Invalid(format!(
                "overlay: {} values (expected {COLS} finite values, one per column)",
                values.len()
            )));
        }
        self.overlay = Some(values);
        Ok(self)
    }

    /// With the values of feature-block players (e.g. an explanation's φ) as the overlay:
    /// every column of a block shows the block's value. Names that are not blocks are
    /// an error.
    pub fn with_block_values(
        self,
        names: &[String],
        values: &[f64],
    ) -> Result<PlaneHeatmap, PlotError> {
        let blocks = planes::blocks();
        let mut overlay = vec![0.0; COLS];
        for (name, &v) in names.iter().zip(values) {
            let (_, _, cols) = blocks.iter().find(|(_, n, _)| n == name).ok_or_else(|| {
                PlotError::Invalid(format!(
                    "{name:?} is not a feature block of the tile planes"
                ))
            })?;
            overlay[cols.clone()].iter_mut().for_each(|c| *c = v);
        }
        self.with_overlay(overlay)
    }

    pub(crate) fn draw<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        s: &Scale,
    ) -> Result<(), PlotError> {
        let (w, h) = area.dim_in_pixel();
        let (w, h) = (w as i32, h as i32);
        let left = s.u(14.0);
        let right = s.u(4.0);
        let label_h = s.u(58.0);
        let strip_h = if self.overlay.is_some() { s.u(7.0) } else { 0 };
        let grid_top = label_h + strip_h + s.u(2.0);
        let grid_h = h - grid_top - s.u(3.0);
        let grid_w = w - left - right;
        if grid_h < ROWS as i32 || grid_w < COLS as i32 {
            return Err(PlotError::Invalid(
                "figure too small for 34×366 cells (try --width 7 --height 2.6)".into(),
            ));
        }
        let x_of = |c: usize| left + (c as i64 * grid_w as i64 / COLS as i64) as i32;
        let y_of = |r: usize| grid_top + (r as i64 * grid_h as i64 / ROWS as i64) as i32;
        let max_abs = self
            .overlay
            .as_ref()
            .map(|o| o.iter().fold(0.0f64, |m, v| m.max(v.abs())))
            .filter(|&m| m > 0.0);
        let tint = |c: usize| -> Option<RGBColor> {
            let (o, m) = (self.overlay.as_ref()?, max_abs?);
            let v = o[c] / m;
            let base = if v >= 0.0 { PALETTE[5] } else { PALETTE[0] };
            Some(mix(RGBColor(255, 255, 255), base, v.abs()))
        };
        let blocks = planes::blocks();
        // block backgrounds (or overlay tints), then the set cells
        for (i, (_, _, cols)) in blocks.iter().enumerate() {
            for c in cols.clone() {
                let bg = tint(c).unwrap_or(SHADE[i % 2]);
                let bg = if self.overlay.is_some() {
                    mix(SHADE[i % 2], bg, 0.6)
                } else {
                    bg
                };
                area.draw(&Rectangle::new(
                    [(x_of(c), grid_top), (x_of(c + 1), grid_top + grid_h)],
                    bg.filled(),
                ))
                .map_err(PlotError::draw)?;
            }
        }
        for r in 0..ROWS {
            for c in 0..COLS {
                if self.planes.get(r, c) {
                    area.draw(&Rectangle::new(
                        [(x_of(c), y_of(r)), (x_of(c + 1), y_of(r + 1))],
                        INK.filled(),
                    ))
                    .map_err(PlotError::draw)?;
                }
            }
        }
        // row names, as large as the rows allow
        let row_pt = (grid_h as f64 / ROWS as f64 / s.per_pt * 0.9).min(s.font_pt - 2.0);
        let row_style = s
            .text(row_pt - s.font_pt, INK)
            .pos(Pos::new(HPos::Right, VPos::Center));
        for r in 0..ROWS {
            let name = short_row_name(r);
            let y = (y_of(r) + y_of(r + 1)) / 2;
            area.draw(&Text::new(name, (left - s.u(2.0), y), row_style.clone()))
                .map_err(PlotError::draw)?;
        }
        // block names, rotated, pushed apart where blocks are narrow, with leader lines
        let label_pt = s.font_pt - 2.5;
        let min_gap = s.u(label_pt * 1.15);
        let mut last_x = i32::MIN;
        for (block, name, cols) in &blocks {
            let centre = (x_of(cols.start) + x_of(cols.end)) / 2;
            let x = centre.max(last_x.saturating_add(min_gap));
            last_x = x;
            let color = if block.always_empty() {
                RGBColor(150, 150, 150)
            } else {
                INK
            };
            let base_y = label_h - s.u(8.0);
            area.draw(&PathElement::new(
                vec![
                    (centre, grid_top - strip_h - s.u(1.0)),
                    (x, base_y + s.u(2.0)),
                ],
                color.stroke_width(1),
            ))
            .map_err(PlotError::draw)?;
            let style = s
                .text(label_pt - s.font_pt, color)
                .transform(FontTransform::Rotate270)
                .pos(Pos::new(HPos::Left, VPos::Center));
            area.draw(&Text::new(name.replace('_', " "), (x, base_y), style))
                .map_err(PlotError::draw)?;
        }
        if let Some(o) = &self.overlay {
            for (c, v) in o.iter().enumerate() {
                let color = match (max_abs, *v >= 0.0) {
                    (None, _) => SHADE[1],
                    (Some(m), pos) => mix(
                        RGBColor(255, 255, 255),
                        if pos { PALETTE[5] } else { PALETTE[0] },
                        v.abs() / m,
                    ),
                };
                area.draw(&Rectangle::new(
                    [(x_of(c), label_h), (x_of(c + 1), label_h + strip_h)],
                    color.filled(),
                ))
                .map_err(PlotError::draw)?;
            }
            let text = format!(
                "overlay: max |v| = {}",
                short_number(max_abs.unwrap_or(0.0))
            );
            let style = s.text(-2.0, INK).pos(Pos::new(HPos::Right, VPos::Top));
            area.draw(&Text::new(text, (w - right, s.u(1.0)), style))
                .map_err(PlotError::draw)?;
        }
        Ok(())
    }
}

/// "1m" … "9s", "E" "S" "W" "N", "P" "F" "C" (the row labels).
fn short_row_name(row: usize) -> String {
    match row {
        0..=26 => planes::row_name(row).to_string(),
        _ => ["E", "S", "W", "N", "P", "F", "C"][row - 27].to_string(),
    }
}

/// Linear blend from `a` (t = 0) to `b` (t = 1).
fn mix(a: RGBColor, b: RGBColor, t: f64) -> RGBColor {
    let t = t.clamp(0.0, 1.0);
    let f = |x: u8, y: u8| (x as f64 + (y as f64 - x as f64) * t).round() as u8;
    RGBColor(f(a.0, b.0), f(a.1, b.1), f(a.2, b.2))
}
