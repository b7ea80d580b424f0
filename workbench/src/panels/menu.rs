//! The top bar: File menu (open a run or a folder of runs, recent runs, quit), the
//! central-view tabs and the problems indicator.

use std::path::PathBuf;

use egui::Ui;

use crate::app::{Tab, Workbench};

/// Draws the menu bar.
pub fn show(ui: &mut Ui, wb: &mut Workbench) {
    egui::MenuBar::new().ui(ui, |ui| {
        ui.menu_button("File", |ui| {
            let label = ui.label("Run folder (or a folder of runs):");
            let edit = ui
                .add(
                    egui::TextEdit::singleline(&mut wb.open_path)
                        .hint_text("data/runs/...")
                        .desired_width(320.0),
                )
                .labelled_by(label.id);
            let enter = edit.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            if ui.button("Open").clicked() || enter {
                let path = PathBuf::from(wb.open_path.trim());
                wb.open(&path);
                ui.close();
            }
            if !wb.recent.is_empty() {
                ui.separator();
                ui.label("Recent runs");
                for dir in wb.recent.clone() {
                    if ui.button(dir.display().to_string()).clicked() {
                        wb.open(&dir);
                        ui.close();
                    }
                }
            }
            ui.separator();
            if ui.button("Quit").clicked() {
                ui.ctx().send_viewport_cmd(egui::ViewportCommand::Close);
            }
        });
        ui.separator();
        for tab in Tab::ALL {
            ui.selectable_value(&mut wb.tab, tab, tab.title());
        }
        if wb.selected_is_evaluation() {
            ui.selectable_value(&mut wb.tab, Tab::Evaluation, Tab::Evaluation.title());
        }
        ui.separator();
        let n = wb.messages.len();
        if n > 0 {
            ui.menu_button(format!("{n} problems"), |ui| {
                egui::ScrollArea::vertical()
                    .max_height(400.0)
                    .show(ui, |ui| {
                        for m in &wb.messages {
                            ui.label(m);
                        }
                    });
                if ui.button("Clear").clicked() {
                    wb.messages.clear();
                    ui.close();
                }
            });
        }
    });
}
