//! The run browser: open runs first, then the selected run's games (Sanma) or episodes
//! (control) as a sortable, filterable table; clicking a row opens it.

use egui::{RichText, Ui};

use crate::app::{SortKey, Workbench};
use crate::runs::RunData;

/// Draws the browser.
pub fn show(ui: &mut Ui, wb: &mut Workbench) {
    ui.heading("Runs");
    if wb.runs.is_empty() {
        ui.label("No run open. File > Open a run folder, e.g. data/runs/<run>.");
    }
    let mut reload = None;
    for (i, run) in wb.runs.iter().enumerate() {
        ui.horizontal(|ui| {
            let kind = match &run.data {
                RunData::Sanma(s) if s.evaluation.is_some() => "eval",
                RunData::Sanma(_) => "sanma",
                RunData::Control(_) => "control",
            };
            let mut text = format!("{} ({kind})", run.name());
            if run.in_progress() {
                text.push_str(" | in progress");
            }
            let hover = match &run.meta {
                Some(m) => format!(
                    "{}\nseed {}, started {}",
                    run.dir.display(),
                    m.seed,
                    m.started_at
                ),
                None => run.dir.display().to_string(),
            };
            if ui
                .selectable_label(wb.selected_run == Some(i), text)
                .on_hover_text(hover)
                .clicked()
            {
                wb.selected_run = Some(i);
            }
            if ui
                .small_button("reload")
                .on_hover_text("Reload from disk")
                .clicked()
            {
                reload = Some(i);
            }
        });
    }
    if let Some(i) = reload {
        wb.reload(i);
    }
    let Some(run) = wb.selected_run.and_then(|i| wb.runs.get(i)) else {
        return;
    };
    ui.separator();
    if let Some(meta) = &run.meta {
        ui.label(format!("{} run, seed {}", meta.kind, meta.seed));
    }
    if !run.problems.is_empty() {
        ui.colored_label(
            egui::Color32::from_rgb(213, 94, 0),
            format!(
                "{} unreadable part(s): see the problems menu",
                run.problems.len()
            ),
        );
    }
    ui.horizontal(|ui| {
        let label = ui.label("Filter");
        ui.add(egui::TextEdit::singleline(&mut wb.browser.filter).desired_width(140.0))
            .labelled_by(label.id);
    });
    ui.horizontal(|ui| {
        ui.label("Sort");
        let b = &mut wb.browser;
        ui.selectable_value(&mut b.sort, SortKey::Id, "id");
        ui.selectable_value(&mut b.sort, SortKey::Length, "length");
        ui.selectable_value(&mut b.sort, SortKey::Outcome, "outcome");
        ui.checkbox(&mut b.descending, "descending");
    });
    ui.separator();
    let filter = wb.browser.filter.to_lowercase();
    let (sort, descending) = (wb.browser.sort, wb.browser.descending);
    let mut open_game = None;
    let mut open_episode = None;
    match &run.data {
        RunData::Sanma(s) => {
            let mut rows: Vec<usize> = (0..s.games.len())
                .filter(|&i| {
                    let g = &s.games[i];
                    filter.is_empty()
                        || g.game_id.to_string().contains(&filter)
                        || g.agents.iter().any(|a| a.to_lowercase().contains(&filter))
                })
                .collect();
            rows.sort_by_key(|&i| {
                let g = &s.games[i];
                match sort {
                    SortKey::Id => g.game_id as i64,
                    SortKey::Length => g.decision_count as i64,
                    SortKey::Outcome => g.scores[0] as i64,
                }
            });
            if descending {
                rows.reverse();
            }
            ui.label(
                RichText::new(format!(
                    "{} of {} games | seat 0 / 1 / 2 scores",
                    rows.len(),
                    s.games.len()
                ))
                .weak(),
            );
            let current = wb.game.as_ref().map(|g| g.game.game_id);
            egui::ScrollArea::vertical().id_salt("games").show_rows(
                ui,
                18.0,
                rows.len(),
                |ui, range| {
                    for &i in &rows[range] {
                        let g = &s.games[i];
                        ui.horizontal(|ui| {
                            if ui
                                .selectable_label(
                                    current == Some(g.game_id),
                                    format!("Game {}", g.game_id),
                                )
                                .on_hover_text(format!(
                                    "{} | ranks {:?} | {} hands, {} decisions",
                                    g.agents.join(" / "),
                                    g.ranks,
                                    g.kyoku_count,
                                    g.decision_count
                                ))
                                .clicked()
                            {
                                open_game = Some(g.game_id);
                            }
                            ui.label(format!(
                                "{} dec | {} / {} / {}",
                                g.decision_count, g.scores[0], g.scores[1], g.scores[2]
                            ));
                        });
                    }
                },
            );
        }
        RunData::Control(c) => {
            let mut rows: Vec<usize> = (0..c.episodes.len())
                .filter(|&i| {
                    let e = &c.episodes[i];
                    filter.is_empty()
                        || e.phase.contains(&filter)
                        || e.episode_id.to_string().contains(&filter)
                })
                .collect();
            rows.sort_by(|&a, &b| {
                let (x, y) = (&c.episodes[a], &c.episodes[b]);
                let o = match sort {
                    SortKey::Id => x
                        .global_step
                        .cmp(&y.global_step)
                        .then(x.episode_id.cmp(&y.episode_id)),
                    SortKey::Length => x.length.cmp(&y.length),
                    SortKey::Outcome => x.ret.total_cmp(&y.ret),
                };
                if descending {
                    o.reverse()
                } else {
                    o
                }
            });
            ui.label(
                RichText::new(format!(
                    "{} of {} episodes | {}",
                    rows.len(),
                    c.episodes.len(),
                    c.env.as_deref().unwrap_or("unknown env")
                ))
                .weak(),
            );
            let current = wb
                .episode
                .as_ref()
                .map(|e| (e.row.phase.clone(), e.row.episode_id));
            egui::ScrollArea::vertical().id_salt("episodes").show_rows(
                ui,
                18.0,
                rows.len(),
                |ui, range| {
                    for &i in &rows[range] {
                        let e = &c.episodes[i];
                        ui.horizontal(|ui| {
                            let selected =
                                current.as_ref() == Some(&(e.phase.clone(), e.episode_id));
                            if ui
                                .selectable_label(
                                    selected,
                                    format!("{} episode {}", e.phase, e.episode_id),
                                )
                                .clicked()
                            {
                                open_episode = Some((e.phase.clone(), e.episode_id));
                            }
                            let thread = e
                                .thread
                                .map(|t| format!(" | thread {t}"))
                                .unwrap_or_default();
                            ui.label(format!(
                                "return {:.1} | {} steps | at {}{thread}",
                                e.ret, e.length, e.global_step
                            ));
                        });
                    }
                },
            );
        }
    }
    if let Some(id) = open_game {
        wb.open_game(id);
    }
    if let Some((phase, id)) = open_episode {
        wb.open_episode(&phase, id);
    }
}
