//! Our own tile painter: vector shapes and text scaled to any size, so no image assets
//! or CJK font are needed. A tile is an ivory rounded card with its number (red for a
//! red five) and a coloured suit letter; winds show E/S/W/N, dragons a white frame
//! (haku), a green F (hatsu) and a red C (chun).

use egui::{Color32, CornerRadius, FontId, Rect, Response, Sense, Stroke, StrokeKind, Ui, Vec2};
use meowlab::hand::{Suit, Tile};

/// How a tile is shown.
#[derive(Clone, Copy, Debug, Default)]
pub struct TileLook {
    /// Face down (another seat's hidden hand).
    pub back: bool,
    /// Greyed out (a discard someone called, a tsumogiri marker uses `marked`).
    pub dimmed: bool,
    /// Lying sideways (the riichi discard, the called tile of a meld).
    pub sideways: bool,
    /// A small dot in the corner (tsumogiri discards).
    pub marked: bool,
    /// A coloured outline (the chosen or highlighted tile).
    pub outline: Option<Color32>,
    /// A face colour instead of ivory (attributions: the tile's φ as a colour).
    pub tint: Option<Color32>,
}

/// The face colour of a tile.
pub const IVORY: Color32 = Color32::from_rgb(250, 246, 232);
const BACK: Color32 = Color32::from_rgb(214, 140, 52);
const EDGE: Color32 = Color32::from_rgb(120, 110, 90);

/// Text colour of a suit.
pub fn suit_color(suit: Suit) -> Color32 {
    match suit {
        Suit::Man => Color32::from_rgb(170, 40, 40),
        Suit::Pin => Color32::from_rgb(30, 80, 170),
        Suit::Sou => Color32::from_rgb(20, 120, 60),
        Suit::Honor => Color32::from_rgb(30, 30, 30),
    }
}

/// The size of an upright tile of height `height`.
pub fn tile_size(height: f32) -> Vec2 {
    Vec2::new(height * 0.72, height)
}

/// Paints `tile` into `rect` (upright or sideways as the rect's shape says).
pub fn paint_tile(ui: &Ui, rect: Rect, tile: Tile, look: TileLook) {
    let painter = ui.painter_at(rect.expand(2.0));
    let radius = CornerRadius::same((rect.height().min(rect.width()) * 0.12) as u8);
    let fill = if look.back {
        BACK
    } else {
        look.tint.unwrap_or(IVORY)
    };
    painter.rect(
        rect,
        radius,
        fill,
        Stroke::new(1.0, EDGE),
        StrokeKind::Inside,
    );
    if !look.back {
        let h = rect.height().min(rect.width() / 0.72);
        let center = rect.center();
        let (main, sub, color) = face(tile);
        if tile.index() == 31 {
            // haku: an empty blue frame
            let frame = Rect::from_center_size(center, Vec2::new(h * 0.42, h * 0.6));
            painter.rect_stroke(
                frame,
                CornerRadius::same(2),
                Stroke::new((h * 0.06).max(1.0), Color32::from_rgb(60, 90, 170)),
                StrokeKind::Inside,
            );
        } else {
            let number_pos = if sub.is_empty() {
                center
            } else {
                center - Vec2::new(0.0, h * 0.12)
            };
            painter.text(
                number_pos,
                egui::Align2::CENTER_CENTER,
                main,
                FontId::proportional(h * 0.52),
                color,
            );
            if !sub.is_empty() {
                painter.text(
                    center + Vec2::new(0.0, h * 0.26),
                    egui::Align2::CENTER_CENTER,
                    sub,
                    FontId::proportional(h * 0.3),
                    suit_color(tile.suit()),
                );
            }
        }
        if tile.is_red() {
            painter.circle_filled(
                rect.right_top() + Vec2::new(-h * 0.12, h * 0.12),
                (h * 0.06).max(1.5),
                Color32::from_rgb(210, 30, 30),
            );
        }
    }
    if look.dimmed {
        painter.rect_filled(rect, radius, Color32::from_black_alpha(90));
    }
    if look.marked {
        painter.circle_filled(
            rect.left_bottom() + Vec2::new(rect.width() * 0.18, -rect.height() * 0.1),
            (rect.height().min(rect.width()) * 0.07).max(1.5),
            Color32::from_rgb(90, 90, 90),
        );
    }
    if let Some(c) = look.outline {
        painter.rect_stroke(
            rect.expand(1.0),
            radius,
            Stroke::new(2.5, c),
            StrokeKind::Outside,
        );
    }
}

/// Number (or letter), suit letter and main colour of a tile's face.
fn face(tile: Tile) -> (String, &'static str, Color32) {
    let red = Color32::from_rgb(200, 30, 30);
    match tile.suit() {
        Suit::Honor => {
            let (letter, color) = match tile.index() {
                27 => ("E", Color32::from_rgb(25, 40, 90)),
                28 => ("S", Color32::from_rgb(25, 40, 90)),
                29 => ("W", Color32::from_rgb(25, 40, 90)),
                30 => ("N", Color32::from_rgb(25, 40, 90)),
                31 => ("P", Color32::from_rgb(60, 90, 170)),
                32 => ("F", Color32::from_rgb(20, 130, 60)),
                _ => ("C", red),
            };
            (letter.to_string(), "", color)
        }
        suit => {
            let color = if tile.is_red() {
                red
            } else {
                Color32::from_rgb(25, 25, 25)
            };
            let letter = match suit {
                Suit::Man => "m",
                Suit::Pin => "p",
                _ => "s",
            };
            (tile.number().to_string(), letter, color)
        }
    }
}

/// Allocates and paints one tile of `height`; hovering names it.
pub fn tile(ui: &mut Ui, tile: Tile, height: f32, look: TileLook) -> Response {
    let size = if look.sideways {
        let s = tile_size(height);
        Vec2::new(s.y, s.x)
    } else {
        tile_size(height)
    };
    let (rect, response) = ui.allocate_exact_size(size, Sense::hover());
    if ui.is_rect_visible(rect) {
        paint_tile(ui, rect, tile, look);
    }
    if look.back {
        response
    } else {
        response.on_hover_text(tile_name(tile))
    }
}

/// A readable name: "5p (red)", "east", "chun".
pub fn tile_name(tile: Tile) -> String {
    let base = meowlab::sanma::planes::row_name(tile.index()).to_string();
    if tile.is_red() {
        format!("{base} (red)")
    } else {
        base
    }
}
