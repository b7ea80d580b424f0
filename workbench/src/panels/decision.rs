//! The decision panel: at the current decision, the legal actions with the logged policy
//! (or a reviewing model's, after `meowlab review`) as bars (chosen action outlined,
//! favourite starred), the gap between them with its
//! severity colour; below, the worst decisions of the game (click to jump) and the event
//! list kept in sync with the scrubber.

use egui::{Color32, RichText, Sense, Stroke, StrokeKind, Ui, Vec2};

use crate::app::Workbench;
use crate::game::Severity;

/// Draws the panel.
pub fn show(ui: &mut Ui, wb: &mut Workbench) {
    let Some(g) = &wb.game else { return };
    let mut jump = None;
    let mut follow = None;
    let mut set_flagged_only = None;
    ui.heading("Decision");
    if wb.cursor >= g.steps() {
        ui.label("Game over.");
        if let Some(e) = &g.replay.error {
            ui.colored_label(
                Severity::Severe.color(),
                format!("Replay stopped early: {e}"),
            );
        }
    } else {
        let d = &g.decisions[wb.cursor];
        let r = &g.replay.decisions[wb.cursor];
        ui.label(format!(
            "#{} | seat {} ({}) | {}",
            wb.cursor, d.seat, g.game.agents[d.seat as usize], d.kind
        ));
        ui.label(format!("chosen: {}", d.action_text));
        if let Some(v) = d.value {
            ui.label(format!("value estimate {v:.3}"));
        }
        match (&d.policy, g.gaps[wb.cursor]) {
            (Some(policy), gap) => {
                if let Some(gap) = gap {
                    let sev = Severity::of_gap(gap);
                    ui.colored_label(
                        sev.color(),
                        format!(
                            "gap to favourite {:.1} points ({})",
                            gap * 100.0,
                            sev.name()
                        ),
                    );
                }
                let p = |a: &meowlab::sanma::Action| {
                    policy.get(a.index() as usize).copied().unwrap_or(0.0)
                };
                let mut legal = r.legal.clone();
                legal.sort_by(|a, b| p(b).total_cmp(&p(a)));
                let best = legal.first().copied();
                ui.separator();
                let title = match &g.reviewer {
                    Some(r) => format!("Policy over legal actions (review by {r})"),
                    None => "Policy over legal actions".to_string(),
                };
                ui.label(RichText::new(title).strong());
                for a in &legal {
                    policy_row(ui, &a.to_string(), p(a), *a == r.action, Some(*a) == best);
                }
            }
            (None, _) => {
                ui.label(RichText::new("No policy logged for this decision.").weak());
                ui.label("Legal actions:");
                for a in &r.legal {
                    let text = if *a == r.action {
                        RichText::new(format!("> {a}")).strong()
                    } else {
                        RichText::new(a.to_string())
                    };
                    ui.label(text);
                }
            }
        }
    }
    ui.separator();
    egui::CollapsingHeader::new("Worst decisions")
        .default_open(true)
        .show(ui, |ui| {
            let all = g.worst_first();
            let mut only_flagged = wb.worst_flagged_only;
            ui.checkbox(
                &mut only_flagged,
                format!("only gaps of {:.0} pts or more", wb.gap_threshold * 100.0),
            );
            set_flagged_only = Some(only_flagged);
            let worst: Vec<usize> = all
                .iter()
                .copied()
                .filter(|&i| !only_flagged || g.gaps[i].is_some_and(|x| x >= wb.gap_threshold))
                .collect();
            if all.is_empty() {
                ui.label(RichText::new("No decisions with a logged policy and a choice.").weak());
            } else {
                ui.label(
                    RichText::new(format!("{} of {} judged decisions", worst.len(), all.len()))
                        .weak(),
                );
            }
            egui::ScrollArea::vertical()
                .id_salt("worst")
                .max_height(160.0)
                .show(ui, |ui| {
                    for &i in worst.iter().take(50) {
                        let gap = g.gaps[i].unwrap_or(0.0);
                        let d = &g.decisions[i];
                        let text = RichText::new(format!(
                            "#{i} seat {} {} (gap {:.1} pts)",
                            d.seat,
                            d.action_text,
                            gap * 100.0
                        ))
                        .color(Severity::of_gap(gap).color());
                        if ui.selectable_label(wb.cursor == i, text).clicked() {
                            jump = Some(i);
                        }
                    }
                });
        });
    egui::CollapsingHeader::new("Events")
        .default_open(true)
        .show(ui, |ui| {
            let events = &g.replay.events;
            let std::ops::Range {
                start: from,
                end: to,
            } = g.events_of(wb.cursor);
            let row_height = 16.0;
            let mut area = egui::ScrollArea::vertical().id_salt("events");
            if wb.events_follow != Some(wb.cursor) {
                // the scrubber moved: bring the current events into view
                area = area.vertical_scroll_offset(
                    (from as f32 - 3.0).max(0.0) * (row_height + ui.spacing().item_spacing.y),
                );
                follow = Some(wb.cursor);
            }
            area.show_rows(ui, row_height, events.len(), |ui, range| {
                for e in range {
                    let current = (from..to).contains(&e);
                    let text = format!("{e:>4} {}", event_text(&events[e]));
                    let label = ui.add(
                        egui::Button::selectable(
                            current,
                            RichText::new(text).monospace().size(11.0),
                        )
                        .wrap_mode(egui::TextWrapMode::Truncate),
                    );
                    if label.clicked() {
                        jump = Some(g.step_of_event(e));
                    }
                }
            });
        });
    if let Some(v) = set_flagged_only {
        wb.worst_flagged_only = v;
    }
    if follow.is_some() {
        wb.events_follow = follow;
    }
    if let Some(i) = jump {
        wb.cursor = i;
        wb.events_follow = Some(i); // clicked in the list: it is already in view
    }
}

/// One mjai event as a compact line: its type, then `key=value` for the other fields.
fn event_text(e: &meowlab::sanma::Event) -> String {
    let json = serde_json::to_value(e).unwrap_or_default();
    let Some(obj) = json.as_object() else {
        return format!("{e:?}");
    };
    let mut out = obj
        .get("type")
        .and_then(|t| t.as_str())
        .unwrap_or("?")
        .to_string();
    for (k, v) in obj.iter().filter(|(k, _)| *k != "type") {
        let v = match v {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string().replace('"', ""),
        };
        out.push_str(&format!(" {k}={v}"));
    }
    out
}

/// A probability bar with the action's name and percentage; the chosen action is
/// outlined, the favourite starred.
fn policy_row(ui: &mut Ui, action: &str, p: f32, chosen: bool, best: bool) {
    ui.horizontal(|ui| {
        let (rect, _) = ui.allocate_exact_size(Vec2::new(120.0, 14.0), Sense::hover());
        let painter = ui.painter_at(rect.expand(2.0));
        painter.rect_filled(rect, 2.0, ui.visuals().extreme_bg_color);
        let mut fill = rect;
        fill.set_width(rect.width() * p.clamp(0.0, 1.0));
        let color = if chosen {
            Color32::from_rgb(0, 114, 178)
        } else {
            Color32::from_rgb(120, 140, 160)
        };
        painter.rect_filled(fill, 2.0, color);
        if chosen {
            painter.rect_stroke(
                rect,
                2.0,
                Stroke::new(1.5, Color32::WHITE),
                StrokeKind::Outside,
            );
        }
        let mark = match (chosen, best) {
            (true, true) => "> * ",
            (true, false) => "> ",
            (false, true) => "* ",
            _ => "",
        };
        let text = format!("{mark}{action} {:.1}%", p * 100.0);
        if chosen {
            ui.label(RichText::new(text).strong());
        } else {
            ui.label(text);
        }
    });
}
