//! The Sanma table at the current decision: round, honba, deposits, dora indicators and
//! tiles left on top; then each seat with its wind, score, riichi, hand (the drawn tile
//! apart), melds, Kita and discards (riichi tile sideways, tsumogiri dotted, called tiles
//! dimmed). Open replay shows every hand; the seat view hides the others.

use egui::{Color32, RichText, Ui};
use meowlab::hand::tile::to_mpsz;
use meowlab::sanma::board::{wind_letter, Board, SeatBoard};
use meowlab::sanma::Action;

use crate::app::Workbench;
use crate::game::Severity;
use crate::tiles::{self, TileLook};

const TILE: f32 = 34.0;
const SMALL: f32 = 26.0;

/// Draws the table.
pub fn show(ui: &mut Ui, wb: &mut Workbench) {
    let Some(g) = &wb.game else { return };
    let (board, deciding, chosen, gap) = match g.replay.decisions.get(wb.cursor) {
        Some(d) => (&d.board, Some(d.seat), Some(d.action), g.gaps[wb.cursor]),
        None => (&g.replay.final_board, None, None, None),
    };
    ui.horizontal(|ui| {
        ui.heading(format!("Game {}", g.game.game_id));
        egui::ComboBox::from_label("View")
            .selected_text(match wb.seat_view {
                None => "open (all hands)".to_string(),
                Some(s) => format!("seat {s}'s view"),
            })
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut wb.seat_view, None, "open (all hands)");
                for s in 0..3u8 {
                    ui.selectable_value(&mut wb.seat_view, Some(s), format!("seat {s}'s view"));
                }
            });
    });
    round_info(ui, board);
    if let Some(k) = kyoku_result(g, wb.cursor) {
        ui.label(RichText::new(k).weak());
    }
    ui.separator();
    egui::ScrollArea::vertical()
        .id_salt("table")
        .show(ui, |ui| {
            for s in 0..3u8 {
                let hidden = wb.seat_view.is_some_and(|v| v != s);
                let highlight = (deciding == Some(s)).then(|| {
                    gap.map_or(Color32::from_rgb(0, 114, 178), |x| {
                        Severity::of_gap(x).color()
                    })
                });
                seat(
                    ui,
                    s,
                    &board.seats[s as usize],
                    board.dealer == s,
                    hidden,
                    highlight,
                    chosen.filter(|_| deciding == Some(s)),
                );
                ui.separator();
            }
        });
}

fn round_info(ui: &mut Ui, board: &Board) {
    ui.horizontal(|ui| {
        ui.label(RichText::new(board.round_label()).strong().size(18.0));
        ui.label(format!("honba {}", board.honba));
        ui.label(format!("deposits {}", board.deposits));
        ui.label(format!("tiles left {}", board.tiles_left));
        ui.separator();
        ui.label("dora indicators");
        for &t in &board.dora_indicators {
            tiles::tile(ui, t, SMALL, TileLook::default());
        }
    });
}

/// "E1: tsumo by seat 0 (+14000 / −6000 / −6000)" for the hand the cursor is in.
fn kyoku_result(g: &crate::game::OpenGame, cursor: usize) -> Option<String> {
    let kyoku = g
        .decisions
        .get(cursor.min(g.decisions.len().saturating_sub(1)))?
        .kyoku;
    let k = g.kyoku.iter().find(|k| k.kyoku == kyoku)?;
    let winners = if k.winners.is_empty() {
        String::new()
    } else {
        format!(
            " by seat {}",
            k.winners
                .iter()
                .map(u8::to_string)
                .collect::<Vec<_>>()
                .join(" and ")
        )
    };
    Some(format!(
        "this hand ({}{}): {}{winners} ({:+} / {:+} / {:+})",
        k.round_wind, k.kyoku_in_wind, k.result, k.deltas[0], k.deltas[1], k.deltas[2]
    ))
}

fn seat(
    ui: &mut Ui,
    s: u8,
    p: &SeatBoard,
    dealer: bool,
    hidden: bool,
    highlight: Option<Color32>,
    chosen: Option<Action>,
) {
    ui.horizontal(|ui| {
        let title = format!("Seat {s} | {} | {}", wind_letter(p.wind), p.name);
        let title = RichText::new(title).strong();
        match highlight {
            Some(c) => ui.label(title.color(c)).on_hover_text("deciding now"),
            None => ui.label(title),
        };
        if dealer {
            ui.label(RichText::new("dealer").italics());
        }
        ui.label(RichText::new(format!("score {}", p.score)).monospace());
        if p.riichi {
            ui.label(
                RichText::new("RIICHI")
                    .color(Color32::from_rgb(213, 94, 0))
                    .strong(),
            );
        }
        if p.kita > 0 {
            ui.label(format!("kita x{}", p.kita));
        }
    });
    // the tile the action discards (or declares riichi with), to outline in the hand
    let (discard, tsumogiri) = match chosen {
        Some(Action::Discard { tile, tsumogiri }) => (Some(tile), tsumogiri),
        Some(Action::Riichi { tile, tsumogiri }) => (Some(tile), tsumogiri),
        _ => (None, false),
    };
    let outline = Some(Color32::from_rgb(0, 114, 178));
    ui.horizontal(|ui| {
        let mut outlined = false;
        for &t in &p.hand {
            let mark = !outlined && !tsumogiri && discard == Some(t);
            outlined |= mark;
            let look = TileLook {
                back: hidden,
                outline: if mark { outline } else { None },
                ..TileLook::default()
            };
            tiles::tile(ui, t, TILE, look);
        }
        if let Some(d) = p.drawn {
            ui.add_space(8.0);
            let look = TileLook {
                back: hidden,
                outline: if tsumogiri && discard == Some(d) {
                    outline
                } else {
                    None
                },
                ..TileLook::default()
            };
            tiles::tile(ui, d, TILE, look);
        }
        for m in &p.melds {
            ui.add_space(10.0);
            for (i, &t) in m.tiles().iter().enumerate() {
                // the called tile lies sideways (closed kans show their ends face down)
                let closed = m.from == s && m.tiles().len() == 4;
                let look = TileLook {
                    sideways: i == 0 && m.from != s,
                    back: closed && (i == 0 || i == 3),
                    ..TileLook::default()
                };
                tiles::tile(ui, t, SMALL, look);
            }
        }
    });
    if !hidden {
        let mut text = to_mpsz(&p.hand);
        if let Some(d) = p.drawn {
            text.push_str(&format!(" + {d}"));
        }
        ui.label(
            RichText::new(format!("seat {s} hand {text}"))
                .weak()
                .size(11.0),
        );
    }
    ui.horizontal_wrapped(|ui| {
        ui.spacing_mut().item_spacing.x = 1.0;
        for (i, d) in p.discards.iter().enumerate() {
            if i > 0 && i % 12 == 0 {
                ui.end_row();
            }
            let look = TileLook {
                sideways: d.riichi,
                dimmed: d.called,
                marked: d.tsumogiri,
                ..TileLook::default()
            };
            tiles::tile(ui, d.tile, SMALL, look);
        }
    });
}
