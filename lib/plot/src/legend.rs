//! Legends drawn above the plot (never over the data): coloured squares with names.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::error::PlotError;
use crate::style::{series_color, Scale, INK};

/// One item: a square of `color` and `name`, its square's left edge at `x`.
fn item<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    s: &Scale,
    (x, y): (i32, i32),
    name: &str,
    color: RGBColor,
) -> Result<(), PlotError> {
    let b = s.u(6.0);
    area.draw(&Rectangle::new(
        [(x, y - b / 2), (x + b, y + b / 2)],
        color.filled(),
    ))
    .map_err(PlotError::draw)?;
    let style = s.text(-1.0, INK).pos(Pos::new(HPos::Left, VPos::Center));
    area.draw(&Text::new(name.to_string(), (x + b + s.u(3.0), y), style))
        .map_err(PlotError::draw)
}

/// Short names in one centred row (e.g. 1st / 2nd / 3rd / draw).
pub(crate) fn legend_row<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    s: &Scale,
    names: &[&str],
    color: impl Fn(usize) -> RGBColor,
) -> Result<(), PlotError> {
    let (w, h) = area.dim_in_pixel();
    let step = s.u(46.0);
    let x0 = (w as i32 - step * names.len() as i32) / 2;
    for (i, name) in names.iter().enumerate() {
        item(
            area,
            s,
            (x0 + i as i32 * step, h as i32 / 2),
            name,
            color(i),
        )?;
    }
    Ok(())
}

/// Series names two per row at the top of `area` (colours by series index); returns
/// the area left for the plot.
pub(crate) fn legend_rows<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    s: &Scale,
    names: &[String],
) -> Result<DrawingArea<DB, Shift>, PlotError> {
    let row_h = s.u(11.0);
    let rows = names.len().div_ceil(2) as i32;
    let (legend, plot) = area.split_vertically(row_h * rows + s.u(3.0));
    let half = legend.dim_in_pixel().0 as i32 / 2;
    for (i, name) in names.iter().enumerate() {
        let x = s.u(8.0) + (i as i32 % 2) * half;
        let y = s.u(2.0) + (i as i32 / 2) * row_h + row_h / 2;
        item(&legend, s, (x, y), name, series_color(i))?;
    }
    Ok(plot)
}
