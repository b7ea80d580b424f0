//! Numeric axes for every chart: ticks from [`crate::ticks`] (labels formatted from the
//! step), as many as the axis' length has room for given the labels' measured widths,
//! label areas sized to the widest label, and panel options (a range shared with other
//! panels, tick labels or descriptions left to a neighbour).

use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::coord::Shift;
use plotters::prelude::*;

use crate::error::PlotError;
use crate::style::Scale;
use crate::ticks::{self, AxisScale, TickStyle, Ticks};

/// A linear coordinate (in drawing units: log10 of the value on a log axis) whose grid
/// lines and labels sit exactly at our ticks.
pub(crate) struct TickAxis {
    lo: f64,
    hi: f64,
    keys: Vec<f64>,
}

impl TickAxis {
    fn of(ticks: &Ticks) -> TickAxis {
        let r = ticks.axis_range();
        TickAxis {
            lo: r.start,
            hi: r.end,
            keys: ticks.axis_values(),
        }
    }
}

impl Ranged for TickAxis {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, v: &f64, limit: (i32, i32)) -> i32 {
        let t = if self.hi > self.lo {
            (v - self.lo) / (self.hi - self.lo)
        } else {
            0.5
        };
        limit.0 + ((limit.1 - limit.0) as f64 * t).round() as i32
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            vec![]
        } else {
            self.keys.clone()
        }
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.lo..self.hi
    }
}

/// The coordinate system of charts with two numeric axes.
pub(crate) type Plane = Cartesian2d<TickAxis, TickAxis>;

/// A data range (low, high).
pub(crate) type Span = (f64, f64);

/// The x and y data ranges of a chart that panels can share (`None`: no such axis).
pub(crate) type Extent = (Option<Span>, Option<Span>);

/// What a figure (or the panel grid holding the chart) asks of one axis.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AxisOptions {
    /// Linear or log.
    pub scale: AxisScale,
    /// A range to use instead of the data's (panels sharing an axis), in data units.
    pub range: Option<(f64, f64)>,
    /// Hide the tick labels (a neighbouring panel shows them).
    pub hide_labels: bool,
    /// Hide the description (a neighbouring panel shows it).
    pub hide_desc: bool,
}

/// How a chart is drawn inside a figure: axis options, and the figure's colour order
/// when one legend serves several panels.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Frame {
    /// The x axis.
    pub x: AxisOptions,
    /// The y axis.
    pub y: AxisOptions,
    /// Leave the legend to the figure.
    pub no_legend: bool,
    /// Series labels in the figure's order: a label found here takes that colour.
    pub colors: Vec<String>,
}

impl Frame {
    /// The colour of series `label`, the `i`-th of its chart.
    pub(crate) fn color(&self, label: &str, i: usize) -> RGBColor {
        let at = self.colors.iter().position(|c| c == label).unwrap_or(i);
        crate::style::series_color(at)
    }
}

/// One axis to build: its data range (unpadded), style and description.
pub(crate) struct AxisSpec<'a> {
    pub lo: f64,
    pub hi: f64,
    pub style: TickStyle,
    pub desc: &'a str,
    pub options: &'a AxisOptions,
    /// Pad the data range (curves); bars start at an exact 0.
    pub pad: bool,
    /// A categorical axis: one named slot per entry (from the low end), `lo..hi` = 0..n.
    pub categories: Option<&'a [String]>,
}

impl<'a> AxisSpec<'a> {
    /// A numeric axis over the data's `lo..hi`, used as is (bars start at an exact 0).
    pub(crate) fn numeric(
        lo: f64,
        hi: f64,
        style: TickStyle,
        desc: &'a str,
        options: &'a AxisOptions,
    ) -> AxisSpec<'a> {
        AxisSpec {
            lo,
            hi,
            style,
            desc,
            options,
            pad: false,
            categories: None,
        }
    }

    /// The same with the range padded, so data does not touch the frame.
    pub(crate) fn padded(mut self) -> AxisSpec<'a> {
        self.pad = true;
        self
    }

    /// A categorical axis: one named slot per entry, no description.
    pub(crate) fn categorical(names: &'a [String], options: &'a AxisOptions) -> AxisSpec<'a> {
        AxisSpec {
            lo: 0.0,
            hi: names.len() as f64,
            style: TickStyle::Number,
            desc: "",
            options,
            pad: false,
            categories: Some(names),
        }
    }

    /// The axis range in data units: shared, or the data's (padded), valid for the scale.
    fn range(&self, what: &str) -> Result<(f64, f64), PlotError> {
        if let Some(names) = self.categories {
            return Ok((0.0, names.len().max(1) as f64));
        }
        let (lo, hi) = self.options.range.unwrap_or((self.lo, self.hi));
        if !(lo.is_finite() && hi.is_finite()) {
            return Err(PlotError::Invalid(format!(
                "{what} axis: range {lo}..{hi} is not finite"
            )));
        }
        if self.options.scale == AxisScale::Log10 && lo <= 0.0 {
            return Err(PlotError::Invalid(format!(
                "{what} axis ({}): a log scale needs values > 0, the smallest is {lo}",
                self.desc
            )));
        }
        if self.options.range.is_some() {
            // a shared range is already padded by the figure
            return Ok(if lo < hi {
                (lo, hi)
            } else {
                ticks::padded_range(lo, hi, self.options.scale)
            });
        }
        Ok(if self.pad || lo >= hi {
            ticks::padded_range(lo, hi, self.options.scale)
        } else {
            (lo, hi)
        })
    }

    /// Ticks at the middle of each category's slot, labelled with its name.
    fn category_ticks(names: &[String]) -> Ticks {
        Ticks {
            values: (0..names.len()).map(|i| i as f64 + 0.5).collect(),
            labels: names.to_vec(),
            range: (0.0, names.len() as f64),
            scale: AxisScale::Linear,
        }
    }

    /// About `target` ticks (fewer if the labels would not fit `room` units at `per`
    /// units per label plus its gap).
    fn ticks(&self, range: (f64, f64), room: f64, size: impl Fn(&str) -> f64) -> Ticks {
        if let Some(names) = self.categories {
            return AxisSpec::category_ticks(names);
        }
        let make = |target: usize| match self.options.scale {
            AxisScale::Linear => ticks::linear(range.0, range.1, target, self.style),
            AxisScale::Log10 => ticks::log(range.0, range.1, target),
        };
        let mut target = 6;
        loop {
            let t = make(target);
            let need: f64 = t.labels.iter().map(|l| size(l)).sum();
            if need <= room || target <= 2 {
                return t;
            }
            target -= 1;
        }
    }
}

/// Space between a tick label and its neighbour, and around label areas, in points.
const GAP_PT: f64 = 4.0;

/// A chart on `area` with numeric axes `x` and `y`: ticks fitted to the room, label areas
/// sized to the labels, the paper mesh with grid lines at the ticks (`grid`: x, y).
pub(crate) fn build<'a, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    s: &Scale,
    x: &AxisSpec<'_>,
    y: &AxisSpec<'_>,
    grid: (bool, bool),
) -> Result<(ChartContext<'a, DB, Plane>, Ticks, Ticks), PlotError> {
    let (w, h) = area.dim_in_pixel();
    let (w, h) = (w as f64, h as f64);
    let label = -1.0; // tick labels are a point smaller than the body text
    let line = s.line_height(label);
    let margin = s.uf(6.0);
    let x_range = x.range("x")?;
    let y_range = y.range("y")?;
    // the x label area: a row of tick labels and the description below it
    let x_area = s.uf(3.0)
        + if x.options.hide_labels { 0.0 } else { line }
        + if x.options.hide_desc || x.desc.is_empty() {
            0.0
        } else {
            s.line_height(0.0) + s.uf(2.0)
        };
    let y_room = (h - x_area - 2.0 * margin).max(1.0);
    let mut y_ticks = y.ticks(y_range, y_room, |_| line + s.uf(GAP_PT));
    if y.categories.is_some() {
        // row names take at most 40% of the width
        for l in y_ticks.labels.iter_mut() {
            *l = s.fit(l, 0.4 * w, label);
        }
    }
    let widest = y_ticks
        .labels
        .iter()
        .map(|l| s.text_width(l, label))
        .fold(0.0, f64::max);
    let y_area = s.uf(6.0)
        + if y.options.hide_labels { 0.0 } else { widest }
        + if y.options.hide_desc || y.desc.is_empty() {
            0.0
        } else {
            s.line_height(0.0) + s.uf(3.0)
        };
    let x_room = (w - y_area - 2.0 * margin).max(1.0);
    let x_ticks = x.ticks(x_range, x_room, |l| s.text_width(l, label) + s.uf(GAP_PT));
    // the last x label is centred on its tick: the right margin holds half of it
    let right = x_ticks
        .labels
        .last()
        .filter(|_| !x.options.hide_labels)
        .map_or(margin, |l| {
            margin.max(s.text_width(l, label) / 2.0 + s.uf(1.0))
        });
    let mut chart = ChartBuilder::on(area)
        .margin(margin.round() as i32)
        .margin_right(right.round() as i32)
        .x_label_area_size(x_area.round() as i32)
        .y_label_area_size(y_area.round() as i32)
        .build_cartesian_2d(TickAxis::of(&x_ticks), TickAxis::of(&y_ticks))
        .map_err(PlotError::draw)?;
    let blank = |_: &f64| String::new();
    let x_label = |v: &f64| x_ticks.label_at(*v);
    let y_label = |v: &f64| y_ticks.label_at(*v);
    let mut mesh = chart.configure_mesh();
    s.paper_mesh(&mut mesh);
    if x.options.hide_labels {
        mesh.x_label_formatter(&blank);
    } else {
        mesh.x_label_formatter(&x_label);
    }
    if y.options.hide_labels {
        mesh.y_label_formatter(&blank);
    } else {
        mesh.y_label_formatter(&y_label);
    }
    if !grid.0 {
        mesh.disable_x_mesh();
    }
    if !grid.1 {
        mesh.disable_y_mesh();
    }
    if !(x.options.hide_desc || x.desc.is_empty()) {
        mesh.x_desc(x.desc);
    }
    if !(y.options.hide_desc || y.desc.is_empty()) {
        mesh.y_desc(y.desc);
    }
    mesh.draw().map_err(PlotError::draw)?;
    Ok((chart, x_ticks, y_ticks))
}
