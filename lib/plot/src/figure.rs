//! A chart with its layout, rendered to SVG or PNG.

use std::io::BufWriter;
use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::axes::{Extent, Frame};
use crate::bars::{ActionBars, ShapleyChart};
use crate::curves::Curves;
use crate::error::PlotError;
use crate::eval::EvalBars;
use crate::font;
use crate::games::{OutcomeBars, RankBars};
use crate::grid::Grid;
use crate::intervals::Intervals;
use crate::planes::PlaneHeatmap;
use crate::style::{Layout, Scale, INK};

/// SVG units per point (the SVG is scaled to inches by its `viewBox`).
const SVG_UNITS_PER_PT: f64 = 4.0;

/// What a figure shows.
#[derive(Clone, Debug)]
pub enum Chart {
    /// Learning curves.
    Curves(Curves),
    /// Final-rank distribution per agent or seat.
    Ranks(RankBars),
    /// The Meowjong per-round outcome table per seat.
    Outcomes(OutcomeBars),
    /// A tile plane (boxed: the bits are large).
    Planes(Box<PlaneHeatmap>),
    /// Action probabilities.
    Actions(ActionBars),
    /// Shapley values.
    Shapley(ShapleyChart),
    /// An evaluation's ranks or per-round table, challenger beside opponent.
    Eval(EvalBars),
    /// Point estimates with intervals (aggregate statistics, probabilities of
    /// improvement).
    Intervals(Intervals),
    /// Several charts in a grid of panels (boxed: it holds charts).
    Grid(Box<Grid>),
}

macro_rules! chart_from {
    ($($ty:ident => $variant:ident),*) => {$(
        impl From<$ty> for Chart {
            fn from(c: $ty) -> Chart {
                Chart::$variant(c)
            }
        }
    )*};
}
chart_from!(Curves => Curves, RankBars => Ranks, OutcomeBars => Outcomes,
    ActionBars => Actions, ShapleyChart => Shapley, EvalBars => Eval, Intervals => Intervals);

impl From<Grid> for Chart {
    fn from(g: Grid) -> Chart {
        Chart::Grid(Box::new(g))
    }
}

impl From<PlaneHeatmap> for Chart {
    fn from(c: PlaneHeatmap) -> Chart {
        Chart::Planes(Box::new(c))
    }
}

impl Chart {
    /// The size this chart reads best at: a column for bars and curves, the page for a
    /// tile plane (366 columns).
    pub fn default_layout(&self) -> Layout {
        match self {
            Chart::Planes(_) => Layout::page().sized(7.0, 2.6),
            Chart::Actions(a) if a.labels.len() > 12 => Layout::page().sized(7.0, 2.2),
            Chart::Grid(g) => g.default_layout(),
            _ => Layout::column(),
        }
    }

    /// Panels with the same key can share axes: the chart kind and what its axes
    /// measure (learning curves of one metric, intervals of one statistic).
    pub(crate) fn share_key(&self) -> String {
        match self {
            Chart::Curves(c) => format!("curves|{}|{}", c.x_label, c.metric),
            Chart::Ranks(_) => "bars|games".into(),
            Chart::Eval(e) => format!("bars|{}", e.unit()),
            Chart::Outcomes(_) => "outcomes".into(),
            Chart::Planes(_) => "planes".into(),
            Chart::Actions(_) => "actions".into(),
            Chart::Shapley(_) => "shapley".into(),
            Chart::Intervals(i) => format!("intervals|{}", i.x_label),
            Chart::Grid(_) => "grid".into(),
        }
    }

    /// The data extent of the numeric axes that panels can share: (x, y).
    pub(crate) fn extent(&self) -> Extent {
        match self {
            Chart::Curves(c) => c.extent().map_or((None, None), |(x, y)| (Some(x), Some(y))),
            Chart::Ranks(r) => (None, Some((0.0, r.top()))),
            Chart::Eval(e) => (None, Some((0.0, e.top()))),
            Chart::Actions(a) => (None, Some((0.0, a.top()))),
            Chart::Intervals(i) => (i.extent(), None),
            _ => (None, None),
        }
    }

    /// The series a legend names: (key that picks the colour, text shown).
    pub(crate) fn series(&self) -> Vec<(String, String)> {
        match self {
            Chart::Curves(c) => c.series(),
            Chart::Ranks(r) => r.labels().into_iter().map(|l| (l.clone(), l)).collect(),
            Chart::Eval(e) => e.labels().into_iter().map(|l| (l.clone(), l)).collect(),
            Chart::Intervals(i) if i.color_by_row => {
                i.rows.iter().map(|(l, _)| (l.clone(), l.clone())).collect()
            }
            _ => vec![],
        }
    }

    pub(crate) fn draw<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        s: &Scale,
        frame: &Frame,
    ) -> Result<(), PlotError> {
        match self {
            Chart::Curves(c) => c.draw(area, s, frame),
            Chart::Ranks(c) => c.draw(area, s, frame),
            Chart::Outcomes(c) => c.draw(area, s),
            Chart::Planes(c) => c.draw(area, s),
            Chart::Actions(c) => c.draw(area, s, frame),
            Chart::Shapley(c) => c.draw(area, s),
            Chart::Eval(c) => c.draw(area, s, frame),
            Chart::Intervals(c) => c.draw(area, s, frame),
            Chart::Grid(g) => g.draw(area, s),
        }
    }
}

/// The output format, from a file name's extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Scalable vector graphics (text stays text).
    Svg,
    /// A PNG at the layout's dpi.
    Png,
}

impl Format {
    /// `.svg` or `.png` (any case).
    pub fn of_path(path: &Path) -> Result<Format, PlotError> {
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
        {
            Some(e) if e == "svg" => Ok(Format::Svg),
            Some(e) if e == "png" => Ok(Format::Png),
            _ => Err(PlotError::Format {
                path: path.to_path_buf(),
            }),
        }
    }
}

/// A chart and its layout.
#[derive(Clone, Debug)]
pub struct Figure {
    /// What is drawn.
    pub chart: Chart,
    /// Size, text and title.
    pub layout: Layout,
    /// Axis scales (log x or y).
    pub frame: Frame,
}

impl Figure {
    /// A figure at the chart's default layout.
    pub fn new(chart: impl Into<Chart>) -> Figure {
        let chart = chart.into();
        let layout = chart.default_layout();
        Figure {
            chart,
            layout,
            frame: Frame::default(),
        }
    }

    /// With a log x axis (values must be > 0).
    pub fn log_x(mut self) -> Figure {
        self.frame.x.scale = crate::ticks::AxisScale::Log10;
        self
    }

    /// With a log y axis (values must be > 0).
    pub fn log_y(mut self) -> Figure {
        self.frame.y.scale = crate::ticks::AxisScale::Log10;
        self
    }

    /// With another layout.
    pub fn with_layout(mut self, layout: Layout) -> Figure {
        self.layout = layout;
        self
    }

    /// With a title.
    pub fn titled(mut self, title: impl Into<String>) -> Figure {
        self.layout.title = Some(title.into());
        self
    }

    fn check_layout(&self) -> Result<(), PlotError> {
        let l = &self.layout;
        let ok = |v: f64, lo: f64, hi: f64| v.is_finite() && (lo..=hi).contains(&v);
        if !ok(l.width_in, 0.5, 40.0) || !ok(l.height_in, 0.5, 40.0) {
            return Err(PlotError::Invalid(format!(
                "size {} × {} in (each must be 0.5–40 in)",
                l.width_in, l.height_in
            )));
        }
        if !(30..=1200).contains(&l.dpi) || !ok(l.font_pt, 3.0, 30.0) {
            return Err(PlotError::Invalid(format!(
                "dpi {} (30–1200) or font size {} pt (3–30)",
                l.dpi, l.font_pt
            )));
        }
        Ok(())
    }

    fn size_at(&self, per_pt: f64) -> (u32, u32) {
        let w = (self.layout.width_in * 72.0 * per_pt).round() as u32;
        let h = (self.layout.height_in * 72.0 * per_pt).round() as u32;
        (w, h)
    }

    fn draw_all<DB: DrawingBackend>(
        &self,
        root: DrawingArea<DB, Shift>,
        s: &Scale,
    ) -> Result<(), PlotError> {
        font::ensure_registered();
        root.fill(&WHITE).map_err(PlotError::draw)?;
        let area = match &self.layout.title {
            Some(t) => root.titled(t, s.text(1.0, INK)).map_err(PlotError::draw)?,
            None => root.clone(),
        };
        self.chart.draw(&area, s, &self.frame)?;
        root.present().map_err(PlotError::draw)
    }

    /// The figure as an SVG document sized in inches.
    pub fn svg(&self) -> Result<String, PlotError> {
        self.check_layout()?;
        let s = Scale {
            per_pt: SVG_UNITS_PER_PT,
            font_pt: self.layout.font_pt,
        };
        let (w, h) = self.size_at(s.per_pt);
        let mut out = String::new();
        {
            let root = SVGBackend::with_string(&mut out, (w, h)).into_drawing_area();
            self.draw_all(root, &s)?;
        }
        // physical size for LaTeX and word processors; the viewBox keeps the drawing
        let from = format!("width=\"{w}\" height=\"{h}\"");
        let to = format!(
            "width=\"{}in\" height=\"{}in\"",
            self.layout.width_in, self.layout.height_in
        );
        Ok(out.replacen(&from, &to, 1))
    }

    /// The figure as RGB pixels (width, height, row-major RGB8) at the layout's dpi.
    pub fn rgb(&self) -> Result<(u32, u32, Vec<u8>), PlotError> {
        self.check_layout()?;
        let s = Scale {
            per_pt: self.layout.dpi as f64 / 72.0,
            font_pt: self.layout.font_pt,
        };
        let (w, h) = self.size_at(s.per_pt);
        let mut buf = vec![255u8; w as usize * h as usize * 3];
        {
            let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
            self.draw_all(root, &s)?;
        }
        Ok((w, h, buf))
    }

    /// The figure as a PNG file's bytes, with its dpi recorded (pHYs), so page-layout
    /// tools place it at the intended size.
    pub fn png(&self) -> Result<Vec<u8>, PlotError> {
        let (w, h, rgb) = self.rgb()?;
        let mut bytes = Vec::new();
        {
            let mut enc = png::Encoder::new(BufWriter::new(&mut bytes), w, h);
            enc.set_color(png::ColorType::Rgb);
            enc.set_depth(png::BitDepth::Eight);
            let ppm = (self.layout.dpi as f64 / 0.0254).round() as u32;
            enc.set_pixel_dims(Some(png::PixelDimensions {
                xppu: ppm,
                yppu: ppm,
                unit: png::Unit::Meter,
            }));
            let mut writer = enc.write_header().map_err(PlotError::draw)?;
            writer.write_image_data(&rgb).map_err(PlotError::draw)?;
            writer.finish().map_err(PlotError::draw)?;
        }
        Ok(bytes)
    }

    /// Writes the figure to `path`; the extension (.svg or .png) picks the format.
    /// The file is written whole or not at all (a temporary file renamed into place).
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), PlotError> {
        let path = path.as_ref();
        let bytes = match Format::of_path(path)? {
            Format::Svg => self.svg()?.into_bytes(),
            Format::Png => self.png()?,
        };
        let io = |source| PlotError::Io {
            path: path.to_path_buf(),
            source,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let tmp = path.with_extension("tmp-figure");
        std::fs::write(&tmp, bytes).map_err(io)?;
        std::fs::rename(&tmp, path).map_err(io)
    }

    /// Notebook display (evcxr): the figure as inline SVG.
    pub fn evcxr_display(&self) {
        match self.svg() {
            Ok(svg) => crate::show::emit("image/svg+xml", &svg),
            Err(e) => crate::show::emit("text/plain", &format!("figure error: {e}")),
        }
    }
}
