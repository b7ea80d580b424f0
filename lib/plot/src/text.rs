//! Text metrics from the embedded DejaVu Sans: how wide a label is, so layouts make room
//! for it and the figure checks can compute every label's box.

use std::sync::OnceLock;

use ab_glyph::{Font, FontRef};

/// Em-relative glyph extents used for text boxes: DejaVu's digits and capitals reach
/// 0.73 em above the baseline (accents and brackets a little more), descenders 0.24 em
/// below.
pub(crate) const ASCENT_EM: f64 = 0.76;
/// See [`ASCENT_EM`].
pub(crate) const DESCENT_EM: f64 = 0.24;

/// plotters sizes text by its line height: ascent − descent, 1.164 em in DejaVu.
pub(crate) const LINE_HEIGHT_EM: f64 = 1.164;

/// plotters rasterises at [`LINE_HEIGHT_EM`] and writes `font-size = size / 1.24` into
/// SVG: the PNG's em is this much larger than the SVG's, and boxes use the larger.
pub(crate) const PNG_EM_PER_SVG_EM: f64 = 1.24 / LINE_HEIGHT_EM;

fn font() -> &'static FontRef<'static> {
    static FONT: OnceLock<FontRef<'static>> = OnceLock::new();
    FONT.get_or_init(|| {
        // the bytes are a known-good TTF shipped by the `dejavu` crate
        FontRef::try_from_slice(dejavu::sans::regular()).expect("the embedded DejaVu Sans parses")
    })
}

/// The advance width of `text` in em (kerning ignored: DejaVu's is small and labels are
/// short, so this errs wide by a hair).
pub fn width_em(text: &str) -> f64 {
    let f = font();
    let per_em = f.units_per_em().unwrap_or(2048.0) as f64;
    text.chars()
        .map(|c| f.h_advance_unscaled(f.glyph_id(c)) as f64 / per_em)
        .sum()
}

/// `text` shortened with "…" to at most `max_em` wide.
pub fn fit(text: &str, max_em: f64) -> String {
    if width_em(text) <= max_em {
        return text.to_string();
    }
    let mut out: String = text.to_string();
    while !out.is_empty() && width_em(&out) + width_em("…") > max_em {
        out.pop();
    }
    format!("{}…", out.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_follow_the_font() {
        // DejaVu Sans digits are 0.636 em wide
        assert!((width_em("0") - 0.636).abs() < 0.01, "{}", width_em("0"));
        assert!(width_em("WWW") > width_em("iii") * 2.0);
        assert_eq!(width_em(""), 0.0);
        let short = fit("a very long label that will not fit", 5.0);
        assert!(short.ends_with('…') && width_em(&short) <= 5.0, "{short}");
        assert_eq!(fit("ok", 5.0), "ok");
    }
}
