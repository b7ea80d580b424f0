//! The 34×366 tile planes of the current decision as a heatmap: rows are tile kinds,
//! columns the features; feature blocks are shaded alternately and labelled, and hovering
//! a cell names its feature, column meaning and tile. `heatmap` also takes a per-column
//! overlay (Shapley attributions tint their columns red/blue).

use egui::{Color32, FontId, Pos2, Rect, RichText, Sense, Stroke, Ui, Vec2};
use meowlab::sanma::planes::{self, Planes, COLS, ROWS};

use crate::app::Workbench;

/// Draws the tab.
pub fn show(ui: &mut Ui, wb: &mut Workbench) {
    let Some(g) = &wb.game else {
        ui.label("Tile planes belong to Sanma decisions: open a game in the browser.");
        return;
    };
    let Some(d) = g.decisions.get(wb.cursor) else {
        ui.label("Game over: no decision here.");
        return;
    };
    ui.label(format!(
        "Decision #{} | seat {} | {} | chosen {}",
        wb.cursor, d.seat, d.kind, d.action_text
    ));
    let Some(bytes) = &d.observation else {
        ui.label(
            "This run logged no tile planes for this decision (logged with observations off).",
        );
        return;
    };
    match Planes::from_bytes(bytes) {
        Ok(p) => {
            ui.label(format!("{} cells set", p.count_ones()));
            heatmap(ui, &p, None);
        }
        Err(e) => {
            ui.colored_label(
                Color32::from_rgb(213, 94, 0),
                format!("decision #{}: {e}", wb.cursor),
            );
        }
    }
}

/// Column blocks as (name, columns), from the encoder's own map.
fn block_spans() -> Vec<(&'static str, std::ops::Range<usize>)> {
    planes::blocks()
        .into_iter()
        .map(|(_, name, r)| (name, r))
        .collect()
}

/// Draws `p` with an optional per-column overlay in [−1, 1].
pub fn heatmap(ui: &mut Ui, p: &Planes, overlay: Option<&[f32]>) {
    let zoom_id = ui.scope_id().with("planes_zoom");
    let mut cell_w: f32 = ui.data(|d| d.get_temp(zoom_id)).unwrap_or(3.0);
    ui.add(egui::Slider::new(&mut cell_w, 2.0..=12.0).text("column width"));
    ui.data_mut(|d| d.insert_temp(zoom_id, cell_w));
    let cell_h = 9.0;
    let label_w = 44.0;
    let header_h = 60.0;
    let spans = block_spans();
    let map = planes::column_map();
    egui::ScrollArea::horizontal()
        .id_salt("planes_scroll")
        .show(ui, |ui| {
            let size = Vec2::new(
                label_w + COLS as f32 * cell_w,
                header_h + ROWS as f32 * cell_h,
            );
            let (rect, response) = ui.allocate_exact_size(size, Sense::hover());
            response.widget_info(|| {
                egui::WidgetInfo::labeled(egui::Role::Canvas, true, "Tile planes heatmap")
            });
            let painter = ui.painter_at(rect);
            let origin = rect.min + Vec2::new(label_w, header_h);
            let cell = |row: usize, col: usize| {
                Rect::from_min_size(
                    origin + Vec2::new(col as f32 * cell_w, row as f32 * cell_h),
                    Vec2::new(cell_w, cell_h),
                )
            };
            let grid = Rect::from_min_size(
                origin,
                Vec2::new(COLS as f32 * cell_w, ROWS as f32 * cell_h),
            );
            painter.rect_filled(grid, 0.0, Color32::from_gray(245));
            let text_color = ui.visuals().text_color();
            let mut last_label_x = f32::MIN;
            for (i, (name, cols)) in spans.iter().enumerate() {
                let r =
                    Rect::from_min_max(cell(0, cols.start).min, cell(ROWS - 1, cols.end - 1).max);
                if i % 2 == 1 {
                    painter.rect_filled(r, 0.0, Color32::from_gray(225));
                }
                if let Some(o) = overlay {
                    for c in cols.clone() {
                        let v = o.get(c).copied().unwrap_or(0.0).clamp(-1.0, 1.0);
                        let tint = if v >= 0.0 {
                            Color32::from_rgba_unmultiplied(213, 94, 0, (v * 140.0) as u8)
                        } else {
                            Color32::from_rgba_unmultiplied(0, 114, 178, (-v * 140.0) as u8)
                        };
                        let cr = Rect::from_min_max(cell(0, c).min, cell(ROWS - 1, c).max);
                        painter.rect_filled(cr, 0.0, tint);
                    }
                }
                // block label, slanted upwards from its first column, unless it would overlap
                // the previous one (every block is named on hover anyway)
                let at = Pos2::new(r.left() + 1.0, origin.y - 4.0);
                if at.x - last_label_x >= 9.0 {
                    let galley = painter.layout_no_wrap(
                        name.to_string(),
                        FontId::proportional(9.0),
                        text_color,
                    );
                    let shape = egui::epaint::TextShape::new(at, galley, text_color)
                        .with_angle(-std::f32::consts::FRAC_PI_4);
                    painter.add(shape);
                    last_label_x = at.x;
                }
                painter.line_segment(
                    [
                        Pos2::new(r.left(), origin.y - 3.0),
                        Pos2::new(r.left(), r.bottom()),
                    ],
                    Stroke::new(0.5, Color32::from_gray(170)),
                );
            }
            for row in 0..ROWS {
                painter.text(
                    Pos2::new(
                        rect.left() + label_w - 4.0,
                        origin.y + (row as f32 + 0.5) * cell_h,
                    ),
                    egui::Align2::RIGHT_CENTER,
                    planes::row_name(row),
                    FontId::monospace(8.0),
                    text_color,
                );
                for col in 0..COLS {
                    if p.get(row, col) {
                        painter.rect_filled(
                            cell(row, col).shrink(0.3),
                            0.0,
                            Color32::from_rgb(20, 20, 60),
                        );
                    }
                }
            }
            if let Some(pos) = response.hover_pos() {
                let v = pos - origin;
                if v.x >= 0.0 && v.y >= 0.0 {
                    let (col, row) = ((v.x / cell_w) as usize, (v.y / cell_h) as usize);
                    if col < COLS && row < ROWS {
                        painter.rect_stroke(
                            cell(row, col),
                            0.0,
                            Stroke::new(1.0, Color32::RED),
                            egui::StrokeKind::Outside,
                        );
                        let info = &map[col];
                        let set = if p.get(row, col) { "set" } else { "clear" };
                        let mut text = format!(
                            "column {col}: {}\n{}\nrow {row}: {} - {set}",
                            info.block.name(),
                            info.meaning,
                            planes::row_name(row)
                        );
                        if let Some(o) = overlay {
                            text.push_str(&format!(
                                "\nattribution {:+.3}",
                                o.get(col).copied().unwrap_or(0.0)
                            ));
                        }
                        response.on_hover_text_at_pointer(RichText::new(text).monospace());
                    }
                }
            }
        });
}
