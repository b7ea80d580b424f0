//! The paper style: figure sizes in inches (a journal column or the full page), fonts in
//! points, 300-dpi PNG, and the Okabe–Ito palette (distinguishable with every common
//! colour-vision deficiency and in greyscale by lightness).

use plotters::style::{FontDesc, FontFamily, FontStyle, RGBColor, TextStyle};

/// One column of a two-column paper, in inches.
pub const COLUMN_WIDTH_IN: f64 = 3.5;
/// The full text width of a two-column paper, in inches.
pub const PAGE_WIDTH_IN: f64 = 7.0;
/// Resolution of PNG figures.
pub const DEFAULT_DPI: u32 = 300;

/// The family name the embedded DejaVu Sans is registered under; it doubles as the CSS
/// `font-family` of SVG text, so a viewer without DejaVu falls back to a sans-serif.
pub const FONT_FAMILY: &str = "DejaVu Sans, Helvetica, Arial, sans-serif";

/// Okabe & Ito (2008): blue, orange, bluish green, reddish purple, sky blue, vermillion,
/// yellow, black — the order in which series take them.
pub const PALETTE: [RGBColor; 8] = [
    RGBColor(0, 114, 178),
    RGBColor(230, 159, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(86, 180, 233),
    RGBColor(213, 94, 0),
    RGBColor(240, 228, 66),
    RGBColor(0, 0, 0),
];

/// Text and axis grey.
pub const INK: RGBColor = RGBColor(34, 34, 34);
/// Grid and frame grey.
pub const GRID: RGBColor = RGBColor(220, 220, 220);

/// The colour of series `i` (the palette repeats after eight).
pub fn series_color(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// A figure's size, resolution and text.
#[derive(Clone, Debug, PartialEq)]
pub struct Layout {
    /// Width in inches.
    pub width_in: f64,
    /// Height in inches.
    pub height_in: f64,
    /// PNG resolution (dots per inch); SVG is resolution-free.
    pub dpi: u32,
    /// Body text size in points (tick labels are one point smaller, titles one larger).
    pub font_pt: f64,
    /// Title above the plot, if any.
    pub title: Option<String>,
}

impl Layout {
    /// One paper column wide (3.5 in × 2.4 in, 8-pt text).
    pub fn column() -> Layout {
        Layout {
            width_in: COLUMN_WIDTH_IN,
            height_in: 2.4,
            dpi: DEFAULT_DPI,
            font_pt: 8.0,
            title: None,
        }
    }

    /// The full page width (7 in × 3 in, 8-pt text).
    pub fn page() -> Layout {
        Layout {
            width_in: PAGE_WIDTH_IN,
            height_in: 3.0,
            ..Layout::column()
        }
    }

    /// With a title.
    pub fn titled(mut self, title: impl Into<String>) -> Layout {
        self.title = Some(title.into());
        self
    }

    /// With another size in inches.
    pub fn sized(mut self, width_in: f64, height_in: f64) -> Layout {
        self.width_in = width_in;
        self.height_in = height_in;
        self
    }
}

/// Converts points (1/72 in) to backend units: SVG is drawn at 4 units per point (then
/// scaled to inches by its `viewBox`), PNG at `dpi / 72` pixels per point — so a chart
/// is drawn once, in points, for both.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Scale {
    /// Backend units per point.
    pub per_pt: f64,
    /// Body text size in points.
    pub font_pt: f64,
}

impl Scale {
    /// Units for a length in points (at least one unit).
    pub fn u(&self, pt: f64) -> i32 {
        ((pt * self.per_pt).round() as i32).max(1)
    }

    /// Units for a length in points, unrounded (stroke widths).
    pub fn uf(&self, pt: f64) -> f64 {
        pt * self.per_pt
    }

    /// The paper look of a chart's mesh: light grid at the major ticks only, thin dark
    /// axes, tick labels a point smaller than the axis descriptions.
    pub(crate) fn paper_mesh<'a, 'b, 'm, X, Y, DB>(
        &self,
        mesh: &'m mut plotters::chart::MeshStyle<'a, 'b, X, Y, DB>,
    ) -> &'m mut plotters::chart::MeshStyle<'a, 'b, X, Y, DB>
    where
        X: plotters::coord::ranged1d::Ranged<ValueType: std::fmt::Debug>,
        Y: plotters::coord::ranged1d::Ranged<ValueType: std::fmt::Debug>,
        DB: plotters::prelude::DrawingBackend,
    {
        use plotters::style::Color;
        mesh.light_line_style(plotters::style::WHITE.mix(0.0))
            .bold_line_style(GRID.stroke_width(self.u(0.4) as u32))
            .axis_style(INK.stroke_width(self.u(0.6) as u32))
            .label_style(self.text(-1.0, INK))
            .axis_desc_style(self.text(0.0, INK))
    }

    /// The width of `text` at the body size plus `delta_pt` points, in backend units
    /// (measured from the embedded font at the PNG's em, the larger of the two formats).
    pub fn text_width(&self, text: &str, delta_pt: f64) -> f64 {
        crate::text::width_em(text) * self.em(delta_pt)
    }

    /// One em at the body size plus `delta_pt`, in backend units (the PNG's em).
    pub(crate) fn em(&self, delta_pt: f64) -> f64 {
        self.line_height(delta_pt) / crate::text::LINE_HEIGHT_EM
    }

    /// `text` shortened with "…" to at most `width` backend units at the body size plus
    /// `delta_pt`.
    pub(crate) fn fit(&self, text: &str, width: f64, delta_pt: f64) -> String {
        crate::text::fit(text, width / self.em(delta_pt))
    }

    /// The height a line of text at the body size plus `delta_pt` takes, in backend units.
    pub fn line_height(&self, delta_pt: f64) -> f64 {
        (self.font_pt + delta_pt) * self.per_pt
    }

    /// Text at the body size plus `delta_pt` points, in `color`.
    pub fn text(&self, delta_pt: f64, color: RGBColor) -> TextStyle<'static> {
        let size = (self.font_pt + delta_pt) * self.per_pt;
        FontDesc::new(FontFamily::Name(FONT_FAMILY), size, FontStyle::Normal).color(&color)
    }
}

/// A point from a chart's `backend_coord` (absolute) in `area`'s own coordinates, for
/// drawing labels beside a chart on the area that holds it.
pub(crate) fn local<DB: plotters::prelude::DrawingBackend>(
    area: &plotters::prelude::DrawingArea<DB, plotters::coord::Shift>,
    p: (i32, i32),
) -> (i32, i32) {
    let base = area.get_base_pixel();
    (p.0 - base.0, p.1 - base.1)
}

/// Black or white, whichever reads better on `bg` (by relative luminance).
pub(crate) fn text_on(bg: RGBColor) -> RGBColor {
    let l = 0.2126 * bg.0 as f64 + 0.7152 * bg.1 as f64 + 0.0722 * bg.2 as f64;
    if l > 140.0 {
        INK
    } else {
        RGBColor(255, 255, 255)
    }
}
