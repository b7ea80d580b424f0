//! The Shapley panel (filled by the explanations issue): per-feature-block attribution
//! bars on the left and the tile planes with the same attributions as a column overlay on
//! the right, for the current decision. Until a run carries an `explanations` table the
//! panel says so and shows the layout with the block names.

use egui::{RichText, Ui};
use meowlab::sanma::planes;

use crate::app::Workbench;

/// Draws the tab.
pub fn show(ui: &mut Ui, wb: &mut Workbench) {
    let has_table = wb
        .selected_run
        .and_then(|i| wb.runs.get(i))
        .is_some_and(|r| r.dir.join("explanations").is_dir());
    ui.heading("Shapley attributions");
    if has_table {
        ui.label("This run has an explanations table; this workbench version cannot read it yet.");
    } else {
        ui.label(
            RichText::new(
                "No explanations in this run. Attributions per feature block will appear here \
                 (bars on the left, an overlay on the tile planes on the right) once the run \
                 has an `explanations` table.",
            )
            .weak(),
        );
    }
    ui.columns(2, |cols| {
        cols[0].label(RichText::new("Feature blocks (players)").strong());
        for (_, name, range) in planes::blocks() {
            cols[0].label(format!("{name}  [{}..{})", range.start, range.end));
        }
        cols[1].label(RichText::new("Tile planes of the current decision").strong());
        if let Some(p) = current_planes(wb) {
            super::planes::heatmap(&mut cols[1], &p, None);
        } else {
            cols[1].label("Open a Sanma game and pick a decision with logged planes.");
        }
    });
}

fn current_planes(wb: &Workbench) -> Option<planes::Planes> {
    let g = wb.game.as_ref()?;
    let bytes = g.decisions.get(wb.cursor)?.observation.as_ref()?;
    planes::Planes::from_bytes(bytes).ok()
}
