//! The Shapley panel. Sanma: for the current decision, the attributions of each player
//! (feature blocks, or the own hand per tile kind) as sorted bars with what was explained,
//! how it was conditioned and estimated (standard errors where sampled), the hand's tiles
//! tinted by their φ, and the tile planes with the block attributions as a column overlay
//! (positive red, negative blue); when a decision was explained several ways (quantity,
//! conditioning, players) the user picks one; the game's explained decisions are listed
//! so that they are one click away (explanations usually cover a sample of decisions). Control: the same bars per
//! observation feature at the current step for one kind of explanation (value, policy,
//! performance), and each feature's φ along the episode's explained steps.

use egui::{Color32, RichText, Ui};
use egui_plot::{Legend, Line, Plot, PlotPoints, Points, VLine};
use meowlab::sanma::planes::{self, Planes, COLS};
use meowlab::store::Explanation;

use crate::app::Workbench;
use crate::tiles::{TileLook, IVORY};

const POSITIVE: Color32 = Color32::from_rgb(213, 94, 0);
const NEGATIVE: Color32 = Color32::from_rgb(0, 114, 178);

/// Draws the tab.
pub fn show(ui: &mut Ui, wb: &mut Workbench) {
    ui.heading("Shapley attributions");
    if wb.episode.is_some() {
        episode_view(ui, wb);
        return;
    }
    let Some(g) = wb.game.as_ref() else {
        ui.label(
            RichText::new(
                "Open a Sanma game or a control episode. Runs explained with `meowlab \
                 explain` show attributions per feature block or feature here.",
            )
            .weak(),
        );
        return;
    };
    let explained = g.explained_decisions();
    if explained.is_empty() {
        ui.label(
            RichText::new(
                "No explanations for this game (`meowlab explain --run RUN --agent MODEL` \
                 explains a sample of a run's decisions).",
            )
            .weak(),
        );
    } else {
        ui.horizontal_wrapped(|ui| {
            ui.label(format!(
                "Explained decisions in this game ({}):",
                explained.len()
            ));
            for &i in &explained {
                if ui
                    .selectable_label(wb.cursor == i, format!("#{i}"))
                    .clicked()
                {
                    wb.cursor = i;
                }
            }
        });
    }
    let Some(g) = wb.game.as_ref() else { return };
    let here: Vec<Explanation> = g.explanations_at(wb.cursor).into_iter().cloned().collect();
    let planes = current_planes(wb);
    // several explanations of one decision: the user picks which
    let variants: Vec<String> = here.iter().map(variant).fold(Vec::new(), |mut v, k| {
        if !v.contains(&k) {
            v.push(k);
        }
        v
    });
    let mut chosen = match &wb.shapley_kind {
        Some(k) if variants.contains(k) => k.clone(),
        _ => variants.first().cloned().unwrap_or_default(),
    };
    if variants.len() > 1 {
        ui.horizontal_wrapped(|ui| {
            ui.label("Explained as:");
            for v in &variants {
                ui.selectable_value(&mut chosen, v.clone(), v.as_str());
            }
        });
    }
    if !variants.is_empty() {
        wb.shapley_kind = Some(chosen.clone());
    }
    let shown = here.iter().find(|e| variant(e) == chosen);
    if let (Some(e), Some(p)) = (shown, &planes) {
        hand(ui, e, p);
    }
    ui.columns(2, |cols| {
        match shown {
            Some(e) => bars(&mut cols[0], e),
            None => {
                cols[0].label(RichText::new("This decision has no explanation.").weak());
            }
        }
        cols[1].label(RichText::new("Tile planes of the current decision").strong());
        match &planes {
            Some(p) => {
                let overlay = shown.map(column_overlay);
                super::planes::heatmap(&mut cols[1], p, overlay.as_deref());
            }
            None => {
                cols[1].label("Pick a decision with logged planes.");
            }
        }
    });
}

/// A control episode: pick the kind, jump between explained steps, bars at the cursor,
/// φ per feature along the episode.
fn episode_view(ui: &mut Ui, wb: &mut Workbench) {
    let Some(ep) = wb.episode.as_ref() else {
        return;
    };
    let kinds = ep.explanation_kinds();
    if kinds.is_empty() {
        ui.label(
            RichText::new(
                "No explanations of this episode's states (`meowlab explain --run RUN --kind \
                 value|policy|performance` explains a sample of the states of the run's final \
                 evaluation episodes).",
            )
            .weak(),
        );
        return;
    }
    let kind = match &wb.shapley_kind {
        Some(k) if kinds.contains(k) => k.clone(),
        _ => kinds[0].clone(),
    };
    let mut chosen = kind.clone();
    ui.horizontal(|ui| {
        ui.label("Explained:");
        for k in &kinds {
            ui.selectable_value(&mut chosen, k.clone(), k.replace('_', " "));
        }
    });
    wb.shapley_kind = Some(chosen.clone());
    let Some(ep) = wb.episode.as_ref() else {
        return;
    };
    let explained = ep.explanations_of(&chosen);
    let steps: Vec<usize> = explained
        .iter()
        .filter_map(|e| e.step)
        .map(|s| s as usize)
        .collect();
    let mut jump = None;
    ui.horizontal_wrapped(|ui| {
        ui.label(format!("Explained steps ({}):", steps.len()));
        for &s in steps.iter().take(200) {
            if ui
                .selectable_label(wb.cursor == s, format!("t{s}"))
                .clicked()
            {
                jump = Some(s);
            }
        }
        if steps.len() > 200 {
            ui.label(format!("… {} more", steps.len() - 200));
        }
    });
    let here = explained
        .iter()
        .find(|e| e.step == Some(wb.cursor as u32))
        .map(|e| (*e).clone());
    let series: Vec<(String, Vec<[f64; 2]>)> = explained
        .first()
        .map(|first| {
            first
                .players
                .iter()
                .enumerate()
                .map(|(i, name)| {
                    let points = explained
                        .iter()
                        .filter_map(|e| Some([e.step? as f64, *e.values.get(i)?]))
                        .collect();
                    (name.clone(), points)
                })
                .collect()
        })
        .unwrap_or_default();
    let cursor = wb.cursor as f64;
    ui.columns(2, |cols| {
        match &here {
            Some(e) => bars(&mut cols[0], e),
            None => {
                cols[0].label(RichText::new("This step has no explanation of this kind.").weak());
            }
        }
        cols[1].label(RichText::new("φ per feature along the episode").strong());
        Plot::new("shapley_along_episode")
            .height(260.0)
            .legend(Legend::default())
            .show(&mut cols[1], |p| {
                for (name, points) in &series {
                    if points.len() > 1 {
                        p.line(Line::new(name.as_str(), PlotPoints::from(points.clone())));
                    } else {
                        p.points(Points::new(name.as_str(), PlotPoints::from(points.clone())));
                    }
                }
                p.vline(VLine::new("step", cursor));
            });
    });
    if let Some(s) = jump {
        wb.cursor = s.min(wb.max_cursor());
    }
}

/// What tells one explanation of a decision from another: the explained quantity, the
/// conditioning and the players.
fn variant(e: &Explanation) -> String {
    format!(
        "{} · {} · {} players",
        e.kind.replace('_', " "),
        e.conditioning,
        e.players.len()
    )
}

/// The seat's hand (and the target tile) with each tile's face tinted by the φ of its
/// player: its tile kind when the own hand was split per kind, else the whole hand's.
fn hand(ui: &mut Ui, e: &Explanation, p: &Planes) {
    let hand_col = planes::FeatureBlock::OwnHand.columns().start;
    let target_col = planes::FeatureBlock::TargetTile.columns().start;
    let value = |name: &str| {
        e.players
            .iter()
            .position(|n| n == name)
            .map(|i| e.values[i])
    };
    let max = e.values.iter().fold(1e-12f64, |m, v| m.max(v.abs()));
    let per_kind = e.players.iter().any(|n| n.starts_with("hand "));
    ui.horizontal_wrapped(|ui| {
        ui.label(if per_kind {
            "Hand, each tile tinted by its kind's φ:"
        } else {
            "Hand, tinted by the own hand's φ (explain with --players hand-kinds for one \
             value per tile kind):"
        });
        for row in 0..planes::ROWS {
            let count = (0..4).filter(|k| p.get(row, hand_col + k)).count();
            let Some(tile) = meowlab::hand::Tile::from_index(row) else {
                continue;
            };
            let phi = if per_kind {
                value(&format!("hand {}", planes::row_name(row)))
            } else {
                value("own_hand")
            };
            for _ in 0..count {
                let look = TileLook {
                    tint: phi.map(|v| tint(v, max)),
                    ..TileLook::default()
                };
                crate::tiles::tile(ui, tile, 34.0, look).on_hover_text(format!(
                    "{}: φ = {:+.4}",
                    planes::row_name(row),
                    phi.unwrap_or(0.0)
                ));
            }
        }
        if let Some(row) = (0..planes::ROWS).find(|&r| p.get(r, target_col)) {
            if let Some(tile) = meowlab::hand::Tile::from_index(row) {
                ui.label("  target:");
                let phi = value("target_tile");
                let look = TileLook {
                    tint: phi.map(|v| tint(v, max)),
                    ..TileLook::default()
                };
                crate::tiles::tile(ui, tile, 34.0, look)
                    .on_hover_text(format!("target tile: φ = {:+.4}", phi.unwrap_or(0.0)));
            }
        }
    });
}

/// Ivory blended towards red (φ > 0) or blue (φ < 0) by |φ| / max.
fn tint(v: f64, max: f64) -> Color32 {
    let t = (v.abs() / max).clamp(0.0, 1.0) as f32 * 0.8;
    let to = if v >= 0.0 { POSITIVE } else { NEGATIVE };
    let mix = |a: u8, b: u8| (a as f32 + (b as f32 - a as f32) * t).round() as u8;
    Color32::from_rgb(
        mix(IVORY.r(), to.r()),
        mix(IVORY.g(), to.g()),
        mix(IVORY.b(), to.b()),
    )
}

/// The attributions as horizontal bars, largest |φ| first.
fn bars(ui: &mut Ui, e: &Explanation) {
    ui.label(RichText::new(format!("{} — {}", e.kind, e.target)).strong());
    ui.label(format!("{} · {}", e.conditioning, e.method));
    if let Some(se) = &e.stderr {
        let largest = e.values.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let worst = se.iter().fold(0.0f64, |m, s| m.max(*s));
        ui.label(format!(
            "sampled: largest standard error {worst:.4} ({:.0}% of the largest |φ|)",
            100.0 * worst / largest.max(1e-12)
        ));
    }
    ui.label(format!(
        "v(empty) = {:.4}, v(all) = {:.4}, sum of values = {:.4}",
        e.base,
        e.full,
        e.values.iter().sum::<f64>()
    ));
    let mut order: Vec<usize> = (0..e.values.len()).collect();
    order.sort_by(|&a, &b| e.values[b].abs().total_cmp(&e.values[a].abs()));
    let max = e.values.iter().fold(1e-12f64, |m, v| m.max(v.abs()));
    let width = ui.available_width().max(120.0) * 0.45;
    for i in order {
        let v = e.values[i];
        ui.horizontal(|ui| {
            ui.add_sized([150.0, 16.0], egui::Label::new(e.players[i].as_str()));
            let w = (v.abs() / max) as f32 * width;
            let (rect, _) = ui.allocate_exact_size(egui::vec2(width, 12.0), egui::Sense::hover());
            let color = if v >= 0.0 { POSITIVE } else { NEGATIVE };
            let bar = egui::Rect::from_min_size(rect.min, egui::vec2(w.max(1.0), 12.0));
            ui.painter().rect_filled(bar, 1.0, color);
            let se = e
                .stderr
                .as_ref()
                .map(|s| format!(" ± {:.4}", s[i]))
                .unwrap_or_default();
            ui.label(format!("{v:+.4}{se}"));
        });
    }
}

/// One value per column: each block's φ on all of its columns (a block's columns act
/// together as one player).
fn column_overlay(e: &Explanation) -> Vec<f32> {
    let mut out = vec![0.0f32; COLS];
    for (name, v) in e.players.iter().zip(&e.values) {
        if let Some((_, _, cols)) = planes::blocks().into_iter().find(|(_, n, _)| n == name) {
            out[cols].iter_mut().for_each(|c| *c = *v as f32);
        }
    }
    out
}

fn current_planes(wb: &Workbench) -> Option<Planes> {
    let g = wb.game.as_ref()?;
    let bytes = g.decisions.get(wb.cursor)?.observation.as_ref()?;
    Planes::from_bytes(bytes).ok()
}
