//! The embedded font: DejaVu Sans (regular and bold), registered with plotters' ab_glyph
//! text backend once per process, so PNG text needs no system fonts.

use std::sync::Once;

use plotters::style::{register_font, FontStyle};

use crate::style::FONT_FAMILY;

static REGISTER: Once = Once::new();

/// Registers the embedded font (idempotent; cheap after the first call).
pub fn ensure_registered() {
    REGISTER.call_once(|| {
        // the bytes are a known-good TTF shipped by the `dejavu` crate
        register_font(FONT_FAMILY, FontStyle::Normal, dejavu::sans::regular())
            .ok()
            .expect("the embedded DejaVu Sans parses");
        register_font(FONT_FAMILY, FontStyle::Bold, dejavu::sans::bold())
            .ok()
            .expect("the embedded DejaVu Sans Bold parses");
    });
}
