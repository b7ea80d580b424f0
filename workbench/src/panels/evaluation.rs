//! The evaluation view of a `meowlab eval` run: the summary with its 95% intervals, the
//! paired differences and tests, and one duplicate set at a time with its games side by
//! side — a row per hand (round, honba), a column per seating — so the first hand where
//! the games diverge on identical tiles stands out. Clicking a cell replays that game
//! from that hand.

use egui::{Color32, RichText, Ui};
use meowlab::eval::duplicate::{Format, CHALLENGER};

use meowlab::eval::Evaluation;
use meowlab::store::browse::{GameRow, KyokuRow};

use crate::app::Workbench;
use crate::runs::RunData;

/// Highlight of the first hand whose outcome differs between the set's games.
const DIVERGED: Color32 = Color32::from_rgb(230, 159, 0);

fn summary(ui: &mut Ui, e: &Evaluation) {
    ui.heading(format!("{} vs {}", e.challenger.agent, e.opponent.agent));
    ui.label(format!(
        "{} duplicate sets × {} games ({}), seeds {}..{}; rank points: {}. Means with 95% intervals over sets.",
        e.sets,
        e.format.games_per_set(),
        e.format,
        e.seed,
        e.seed + e.sets as u64,
        e.rank_points_table.name
    ));
    egui::Grid::new("evaluation-summary")
        .striped(true)
        .num_columns(3)
        .show(ui, |ui| {
            ui.label("");
            ui.strong("challenger");
            ui.strong("opponent");
            ui.end_row();
            for (c, o) in e.challenger.rows().iter().zip(e.opponent.rows()) {
                ui.label(c.name);
                ui.label(c.text());
                ui.label(o.text());
                ui.end_row();
            }
        });
    ui.add_space(6.0);
    for (name, d) in [
        ("avg rank", &e.difference.avg_rank),
        ("rank points", &e.difference.rank_points),
    ] {
        ui.label(format!(
            "challenger - opponent, {name}: {}  (p = {:.4})",
            d.text(),
            d.p_value
        ));
    }
    let (c, o) = (&e.per_round.challenger, &e.per_round.opponent);
    ui.label(format!(
        "per round, 1st/2nd/3rd/no change %: challenger {:.1}/{:.1}/{:.1}/{:.1}, opponent {:.1}/{:.1}/{:.1}/{:.1}  (p = {:.4})",
        100.0 * c.first,
        100.0 * c.second,
        100.0 * c.third,
        100.0 * c.none,
        100.0 * o.first,
        100.0 * o.second,
        100.0 * o.third,
        100.0 * o.none,
        e.per_round.p_value
    ))
    .on_hover_text(&e.per_round.test);
    if let Some(s) = &e.sprt {
        ui.label(format!(
            "SPRT (H0 {} vs H1 {} rank points): {:?} after {} sets, LLR {:.2} in [{:.2}, {:.2}]",
            s.delta0, s.delta1, s.decision, e.sets, s.llr, s.bounds[0], s.bounds[1]
        ));
    }
}

/// A hand's outcome in a few characters: "ron 2→0 +8000", "tsumo 1", "draw".
fn outcome(k: &KyokuRow, challenger_seats: &[u8]) -> String {
    let who = |s: u8| {
        if challenger_seats.contains(&s) {
            format!("{s}*")
        } else {
            s.to_string()
        }
    };
    let gain = |s: u8| k.deltas[s as usize];
    match (k.winners.as_slice(), k.dealt_in) {
        ([], _) => format!("{} {:?}", k.result, k.deltas),
        (winners, Some(from)) => {
            let w: Vec<String> = winners.iter().map(|&s| who(s)).collect();
            format!("ron {}<-{} {:+}", w.join("+"), who(from), gain(winners[0]))
        }
        ([w, ..], None) => format!("tsumo {} {:+}", who(*w), gain(*w)),
    }
}

/// Draws the set picker (`set`) and the chosen set's games side by side; returns the
/// (game, hand) the user clicked.
fn set_games(
    ui: &mut Ui,
    set: &mut usize,
    e: &Evaluation,
    games: &[GameRow],
    kyoku: &[KyokuRow],
) -> Option<(u64, u16)> {
    if games.is_empty() {
        ui.label("The games of this evaluation were not logged (run `meowlab eval` with --log to replay them).");
        return None;
    }
    let per_set = e.format.games_per_set();
    ui.horizontal(|ui| {
        let label = ui.label("Set");
        ui.add(egui::DragValue::new(set).range(0..=e.sets.saturating_sub(1)))
            .labelled_by(label.id);
        ui.label(format!(
            "of {} (seed {}): the same walls in every column; * marks the challenger's seats",
            e.sets,
            e.seed + *set as u64
        ));
    });
    let set = (*set).min(e.sets.saturating_sub(1));
    let ids: Vec<u64> = (0..per_set).map(|k| (set * per_set + k) as u64).collect();
    let columns: Vec<(u64, Option<&GameRow>, Vec<u8>)> = ids
        .iter()
        .enumerate()
        .map(|(k, &id)| {
            let seats = challenger_seats(e.format, k);
            (id, games.iter().find(|g| g.game_id == id), seats)
        })
        .collect();
    // hands keyed by (wind, hand, honba), in the order the longest game played them
    let hands_of =
        |id: u64| -> Vec<&KyokuRow> { kyoku.iter().filter(|k| k.game_id == id).collect() };
    let mut keys: Vec<(String, u8, u32)> = Vec::new();
    for &id in &ids {
        for k in hands_of(id) {
            let key = (k.round_wind.clone(), k.kyoku_in_wind, k.honba);
            if !keys.contains(&key) {
                keys.push(key);
            }
        }
    }
    let cell = |id: u64, key: &(String, u8, u32)| -> Option<&KyokuRow> {
        kyoku.iter().find(|k| {
            k.game_id == id && k.round_wind == key.0 && k.kyoku_in_wind == key.1 && k.honba == key.2
        })
    };
    let first_divergence = keys.iter().position(|key| {
        let outcomes: Vec<Option<([i32; 3], &str)>> = ids
            .iter()
            .map(|&id| cell(id, key).map(|k| (k.deltas, k.result.as_str())))
            .collect();
        outcomes.windows(2).any(|w| w[0] != w[1])
    });
    let mut open = None;
    egui::ScrollArea::both().show(ui, |ui| {
        egui::Grid::new("evaluation-set")
            .striped(true)
            .show(ui, |ui| {
                ui.strong("hand");
                for (id, game, seats) in &columns {
                    let ranks = game.map_or(String::new(), |g| {
                        let mine: Vec<String> = seats
                            .iter()
                            .map(|&s| g.ranks[s as usize].to_string())
                            .collect();
                        format!(" -> challenger {}", mine.join(", "))
                    });
                    ui.strong(format!("game {id}, challenger in seat {seats:?}{ranks}"));
                }
                ui.end_row();
                for (row, key) in keys.iter().enumerate() {
                    let label = format!("{}{}-{}", key.0, key.1, key.2);
                    if Some(row) == first_divergence {
                        ui.label(
                            RichText::new(format!("{label} (first difference)")).color(DIVERGED),
                        );
                    } else {
                        ui.label(label);
                    }
                    for (id, _, seats) in &columns {
                        match cell(*id, key) {
                            Some(k) => {
                                if ui
                                    .button(outcome(k, seats))
                                    .on_hover_text("Replay this game from this hand")
                                    .clicked()
                                {
                                    open = Some((*id, k.kyoku));
                                }
                            }
                            None => {
                                ui.label("-");
                            }
                        }
                    }
                    ui.end_row();
                }
            });
    });
    open
}

/// The seats the challenger holds in game `k` of a set.
fn challenger_seats(format: Format, k: usize) -> Vec<u8> {
    (0u8..3)
        .filter(|&s| format.seating(k)[s as usize] == CHALLENGER)
        .collect()
}

/// Draws the evaluation view of the selected run.
pub fn show(ui: &mut Ui, wb: &mut Workbench) {
    let Some(run) = wb.selected_run.and_then(|i| wb.runs.get(i)) else {
        ui.label("Open an evaluation run (made by `meowlab eval`).");
        return;
    };
    let RunData::Sanma(s) = &run.data else {
        ui.label("This run is not an evaluation.");
        return;
    };
    let Some(e) = &s.evaluation else {
        ui.label("This run is not an evaluation (no evaluation.json).");
        return;
    };
    summary(ui, e);
    ui.separator();
    let mut set = wb.eval_set;
    let open = set_games(ui, &mut set, e, &s.games, &s.kyoku);
    wb.eval_set = set;
    if let Some((id, hand)) = open {
        wb.open_game(id);
        wb.jump_to_hand(hand);
    }
}
