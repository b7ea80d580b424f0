//! The timeline: a scrubber over the decisions of the open game (or the steps of the open
//! episode), step buttons, jumps to flagged decisions, and play/pause for episodes.
//! Keys do the same: ← / → step, P / N (or Page Up / Page Down) previous / next flagged
//! decision.

use egui::{Color32, Sense, Stroke, Ui, Vec2};

use crate::app::Workbench;

/// Draws the timeline.
pub fn show(ui: &mut Ui, wb: &mut Workbench) {
    let max = wb.max_cursor();
    ui.horizontal(|ui| {
        if ui.button("|<").on_hover_text("Start").clicked() {
            wb.cursor = 0;
        }
        if ui.button("< Step back").clicked() {
            wb.step_by(-1);
        }
        if ui.button("Step forward >").clicked() {
            wb.step_by(1);
        }
        if ui.button(">|").on_hover_text("End").clicked() {
            wb.cursor = max;
        }
        if wb.game.is_some() {
            if ui
                .button("Previous flagged")
                .on_hover_text("P or Page Up")
                .clicked()
            {
                wb.jump_flagged(false);
            }
            if ui
                .button("Next flagged")
                .on_hover_text("N or Page Down")
                .clicked()
            {
                wb.jump_flagged(true);
            }
            ui.add(
                egui::Slider::new(&mut wb.gap_threshold, 0.01..=1.0)
                    .text("flag gap >=")
                    .fixed_decimals(2),
            );
        } else {
            let label = if wb.playing { "Pause" } else { "Play" };
            if ui.button(label).clicked() {
                if !wb.playing && wb.cursor >= max {
                    wb.cursor = 0;
                }
                wb.playing = !wb.playing;
            }
        }
    });
    ui.horizontal(|ui| {
        let width = (ui.available_width() - 140.0).max(100.0);
        ui.spacing_mut().slider_width = width;
        ui.add(egui::Slider::new(&mut wb.cursor, 0..=max).text("Step"));
    });
    if let Some(g) = &wb.game {
        severity_strip(ui, wb.cursor, &g.gaps[..g.steps()], max);
    }
}

/// A thin strip under the scrubber: one tick per decision with a logged policy, coloured
/// by severity, so bad decisions stand out along the whole game.
fn severity_strip(ui: &mut Ui, cursor: usize, gaps: &[Option<f32>], max: usize) {
    let width = (ui.available_width() - 140.0).max(100.0);
    let (rect, _) = ui.allocate_exact_size(Vec2::new(width, 8.0), Sense::hover());
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, 0.0, ui.visuals().extreme_bg_color);
    let x = |i: usize| rect.left() + rect.width() * i as f32 / max.max(1) as f32;
    for (i, g) in gaps.iter().enumerate() {
        if let Some(g) = g {
            let sev = crate::game::Severity::of_gap(*g);
            if sev != crate::game::Severity::Fine {
                painter.line_segment(
                    [
                        egui::pos2(x(i), rect.top()),
                        egui::pos2(x(i), rect.bottom()),
                    ],
                    Stroke::new(2.0, sev.color()),
                );
            }
        }
    }
    painter.line_segment(
        [
            egui::pos2(x(cursor), rect.top()),
            egui::pos2(x(cursor), rect.bottom()),
        ],
        Stroke::new(2.0, Color32::WHITE),
    );
}
