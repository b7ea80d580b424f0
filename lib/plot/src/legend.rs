//! Legends drawn above the plot (never over the data): coloured squares with names,
//! flowed into rows by their measured widths; a name wider than the figure is shortened
//! with "…".

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::error::PlotError;
use crate::style::{Scale, INK};

/// Square, gap after it, gap between items and around the legend, in points.
const SQUARE_PT: f64 = 6.0;
const AFTER_SQUARE_PT: f64 = 3.0;
const BETWEEN_PT: f64 = 10.0;
const SIDE_PT: f64 = 6.0;

/// The items laid out: (x of the square, row, shortened name) and the number of rows.
fn flow(
    s: &Scale,
    width: f64,
    names: &[String],
    centred: bool,
) -> (Vec<(f64, usize, String)>, usize) {
    let usable = (width - 2.0 * s.uf(SIDE_PT)).max(s.uf(20.0));
    let fixed = s.uf(SQUARE_PT + AFTER_SQUARE_PT);
    // (x, row, name, width) left-aligned; a name wider than a row is shortened to fit it
    let mut items: Vec<(f64, usize, String, f64)> = Vec::with_capacity(names.len());
    let (mut x, mut row) = (0.0, 0);
    for name in names {
        let name = s.fit(name, usable - fixed, -1.0);
        let w = fixed + s.text_width(&name, -1.0);
        if x > 0.0 && x + w > usable {
            (x, row) = (0.0, row + 1);
        }
        items.push((x, row, name, w));
        x += w + s.uf(BETWEEN_PT);
    }
    let rows = row + 1;
    // each row's width is where its last item ends
    let mut ends = vec![0.0f64; rows];
    for (x, r, _, w) in &items {
        ends[*r] = ends[*r].max(x + w);
    }
    let placed = items
        .into_iter()
        .map(|(x, r, name, _)| {
            let centring = if centred {
                ((usable - ends[r]) / 2.0).max(0.0)
            } else {
                0.0
            };
            (s.uf(SIDE_PT) + centring + x, r, name)
        })
        .collect();
    (placed, rows)
}

/// Draws `items` (name, colour) in rows at the top of `area` and returns the area left
/// below them for the plot. Nothing to draw leaves the area as it is.
pub(crate) fn legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    s: &Scale,
    items: &[(String, RGBColor)],
    centred: bool,
) -> Result<DrawingArea<DB, Shift>, PlotError> {
    if items.is_empty() {
        return Ok(area.clone());
    }
    let names: Vec<String> = items.iter().map(|(n, _)| n.clone()).collect();
    let width = area.dim_in_pixel().0 as f64;
    let (placed, rows) = flow(s, width, &names, centred);
    let row_h = s.line_height(-1.0) + s.uf(3.0);
    let height = row_h * rows as f64 + s.uf(3.0);
    let (top, plot) = area.split_vertically(height.round() as i32);
    let b = s.u(SQUARE_PT);
    for ((x, row, name), (_, color)) in placed.into_iter().zip(items) {
        let x = x.round() as i32;
        let y = (s.uf(2.0) + row_h * row as f64 + row_h / 2.0).round() as i32;
        top.draw(&Rectangle::new(
            [(x, y - b / 2), (x + b, y + b / 2)],
            color.filled(),
        ))
        .map_err(PlotError::draw)?;
        let style = s.text(-1.0, INK).pos(Pos::new(HPos::Left, VPos::Center));
        top.draw(&Text::new(
            name,
            (x + s.u(SQUARE_PT + AFTER_SQUARE_PT), y),
            style,
        ))
        .map_err(PlotError::draw)?;
    }
    Ok(plot)
}
