//! Figures for papers and rich notebook output.
//!
//! Every figure is a [`Figure`]: a chart (data, already aggregated) plus a [`Layout`]
//! (size in inches, text size, dpi, title). It renders to SVG (resolution-free, text as
//! text) or PNG (300 dpi by default, text rasterised from the embedded DejaVu Sans, so
//! a headless machine needs no fonts installed), and shows itself in a notebook.
//!
//! ```
//! use meowlab_plot::{ActionBars, Figure};
//! let chart = ActionBars::new(vec!["1m".into(), "9p".into(), "E".into()], vec![0.2, 0.7, 0.1])
//!     .chosen(1);
//! let svg = Figure::new(chart).svg().unwrap();
//! assert!(svg.contains("<svg") && svg.contains("9p"));
//! ```
//!
//! Charts: [`Curves`] (learning curves, mean ± 95% CI over seeds), [`RankBars`] (final
//! ranks per agent), [`OutcomeBars`] (the Meowjong per-round 1st/2nd/3rd/draw table),
//! [`PlaneHeatmap`] (a 34×366 tile plane with its feature blocks), [`ActionBars`] (a
//! policy over actions), [`ShapleyChart`] (attributions as bars or a waterfall),
//! [`Intervals`] (point estimates with intervals: aggregate statistics), and [`Grid`]
//! (any of them as lettered panels with shared axes and one legend). Axis ticks come from
//! [`ticks`] (labels formatted from the step); [`check`] verifies a rendered SVG's text.
//! [`show`] renders games, decisions and tables as HTML for notebooks.
#![deny(missing_docs)]

pub mod aggregate;
mod axes;
mod bars;
pub mod check;
mod curves;
mod error;
mod eval;
mod figure;
mod font;
mod games;
mod grid;
mod intervals;
mod legend;
mod planes;
pub mod runs;
pub mod show;
mod style;
pub mod text;
pub mod ticks;

pub use axes::{AxisOptions, Frame};
pub use bars::{ActionBars, ShapleyChart, ShapleyStyle};
pub use curves::{Aggregate, CurveGroup, Curves, SeedSeries, TaskCurves};
pub use error::PlotError;
pub use eval::{EvalBars, EvalView};
pub use figure::{Chart, Figure, Format};
pub use games::{Grouping, OutcomeBars, RankBars};
pub use grid::{Grid, Panel};
pub use intervals::Intervals;
pub use planes::PlaneHeatmap;
pub use style::{
    series_color, Layout, Scale, COLUMN_WIDTH_IN, DEFAULT_DPI, FONT_FAMILY, PAGE_WIDTH_IN, PALETTE,
};
