//! Rich notebook output. evcxr shows a cell's final value richly when its type has an
//! `evcxr_display` method that prints `EVCXR_BEGIN_CONTENT <mime>` … `EVCXR_END_CONTENT`;
//! [`Html`], [`Svg`] and [`Figure`](crate::Figure) do. The functions here turn the
//! store's rows and the engine's boards into those:
//!
//! - [`games`], [`episodes`]: a run's games or episodes as an HTML table;
//! - [`board`]: the Sanma table (three seats: hand, melds, Kita, discards; dora, round);
//! - [`decision`]: one logged decision — the board, the legal actions with the logged
//!   policy, the action taken;
//! - [`planes`]: a tile plane as an SVG heatmap.
//!
//! Everything is plain strings, so the same output works outside notebooks (write the
//! `.0` to a file).

use std::fmt::Write;

use meowlab_hand::{Suit, Tile};
use meowlab_sanma::board::{wind_letter, Board, SeatBoard};
use meowlab_sanma::planes::Planes;
use meowlab_store::browse::{EpisodeRow, GameRow, LoggedGame};

use crate::planes::PlaneHeatmap;
use crate::{Figure, PlotError};

/// Rows shown before a table is cut (the rest are counted in a last line).
pub const MAX_ROWS: usize = 50;

/// An HTML fragment that renders in a notebook.
#[derive(Clone, Debug, PartialEq)]
pub struct Html(pub String);

/// An SVG document that renders in a notebook.
#[derive(Clone, Debug, PartialEq)]
pub struct Svg(pub String);

impl Html {
    /// Notebook display.
    pub fn evcxr_display(&self) {
        emit("text/html", &self.0);
    }
}

impl Svg {
    /// Notebook display.
    pub fn evcxr_display(&self) {
        emit("image/svg+xml", &self.0);
    }
}

pub(crate) fn emit(mime: &str, body: &str) {
    println!("EVCXR_BEGIN_CONTENT {mime}\n{body}\nEVCXR_END_CONTENT");
}

/// Escapes text for HTML.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

const TABLE: &str = "border-collapse:collapse;font:12px sans-serif";
const CELL: &str = "border-bottom:1px solid #ddd;padding:2px 8px;text-align:right";

fn table(head: &[&str], rows: impl Iterator<Item = Vec<String>>, total: usize) -> Html {
    let mut h = format!("<table style=\"{TABLE}\"><tr>");
    for c in head {
        let _ = write!(h, "<th style=\"{CELL}\">{}</th>", esc(c));
    }
    h.push_str("</tr>");
    for row in rows.take(MAX_ROWS) {
        h.push_str("<tr>");
        for c in row {
            let _ = write!(h, "<td style=\"{CELL}\">{}</td>", esc(&c));
        }
        h.push_str("</tr>");
    }
    h.push_str("</table>");
    if total > MAX_ROWS {
        let _ = write!(
            h,
            "<p style=\"font:12px sans-serif\">… {} more rows</p>",
            total - MAX_ROWS
        );
    }
    Html(h)
}

/// A run's games: id, seed, agents, final scores and ranks, rounds and decisions.
pub fn games(rows: &[GameRow]) -> Html {
    let head = [
        "game",
        "seed",
        "agents",
        "scores",
        "ranks",
        "rounds",
        "decisions",
    ];
    let body = rows.iter().map(|g| {
        vec![
            g.game_id.to_string(),
            g.seed.to_string(),
            g.agents.join(", "),
            format!("{} / {} / {}", g.scores[0], g.scores[1], g.scores[2]),
            format!("{} / {} / {}", g.ranks[0], g.ranks[1], g.ranks[2]),
            g.kyoku_count.to_string(),
            g.decision_count.to_string(),
        ]
    });
    table(&head, body, rows.len())
}

/// A control run's episodes: id, phase, seed, return, length, global step.
pub fn episodes(rows: &[EpisodeRow]) -> Html {
    let head = [
        "episode",
        "phase",
        "seed",
        "return",
        "length",
        "global step",
    ];
    let body = rows.iter().map(|e| {
        vec![
            e.episode_id.to_string(),
            e.phase.clone(),
            e.seed.to_string(),
            format!("{:.2}", e.ret),
            e.length.to_string(),
            e.global_step.to_string(),
        ]
    });
    table(&head, body, rows.len())
}

/// One tile as a small ivory card: the number in the suit's colour (red for a red five),
/// winds as E/S/W/N, dragons as P/F/C. `sideways` marks a riichi discard or a called
/// tile, `dim` a discard someone called.
fn tile(t: Tile, sideways: bool, dim: bool) -> String {
    let (text, color) = match t.suit() {
        Suit::Honor => {
            let i = t.index() - 27;
            let colors = ["#222", "#222", "#222", "#222", "#1e50aa", "#147a3c", "#b22"];
            (
                ["E", "S", "W", "N", "P", "F", "C"][i].to_string(),
                colors[i],
            )
        }
        suit => {
            let (c, letter) = match suit {
                Suit::Man => ("#aa2828", 'm'),
                Suit::Pin => ("#1e50aa", 'p'),
                _ => ("#147a3c", 's'),
            };
            (
                format!("{}<small>{letter}</small>", t.number()),
                if t.is_red() { "#e00" } else { c },
            )
        }
    };
    let rotate = if sideways {
        "transform:rotate(90deg);margin:0 6px;"
    } else {
        ""
    };
    let opacity = if dim { "opacity:.45;" } else { "" };
    format!(
        "<span style=\"display:inline-block;width:18px;height:24px;line-height:24px;\
         text-align:center;background:#faf6e8;border:1px solid #786e5a;border-radius:3px;\
         margin:1px;font:bold 13px sans-serif;color:{color};{rotate}{opacity}\">{text}</span>"
    )
}

fn seat_row(h: &mut String, seat: usize, s: &SeatBoard, deciding: Option<usize>) {
    let marker = if deciding == Some(seat) { " ◀" } else { "" };
    let riichi = if s.riichi { " · riichi" } else { "" };
    let _ = write!(
        h,
        "<tr><td style=\"padding:4px 8px;font:12px sans-serif;vertical-align:top\">\
         <b>{} {}</b>{marker}<br>{}{riichi}<br>{} pts</td><td style=\"padding:4px\">",
        wind_letter(s.wind),
        seat,
        esc(&s.name),
        s.score
    );
    for &t in &s.hand {
        h.push_str(&tile(t, false, false));
    }
    if let Some(d) = s.drawn {
        h.push_str("&nbsp;&nbsp;");
        h.push_str(&tile(d, false, false));
    }
    for m in &s.melds {
        h.push_str("&nbsp;&nbsp;");
        for (i, &t) in m.tiles().iter().enumerate() {
            h.push_str(&tile(t, i == 0 && m.from as usize != seat, false));
        }
    }
    for _ in 0..s.kita {
        h.push_str("&nbsp;");
        h.push_str(&tile(Tile::NORTH, false, false));
    }
    h.push_str("<br>");
    for d in &s.discards {
        h.push_str(&tile(d.tile, d.riichi, d.called));
    }
    h.push_str("</td></tr>");
}

fn board_html(b: &Board, deciding: Option<usize>) -> String {
    let mut h = format!(
        "<div style=\"font:12px sans-serif\"><b>{}</b> · honba {} · deposits {} · \
         {} tiles left · dora indicators ",
        b.round_label(),
        b.honba,
        b.deposits,
        b.tiles_left
    );
    for &t in &b.dora_indicators {
        h.push_str(&tile(t, false, false));
    }
    h.push_str("</div><table style=\"border-collapse:collapse\">");
    for (seat, s) in b.seats.iter().enumerate() {
        seat_row(&mut h, seat, s, deciding);
    }
    h.push_str("</table>");
    h
}

/// The Sanma table: every seat's hand (drawn tile apart), melds (called tile sideways),
/// Kita and discards (riichi tile sideways, called tiles faded); dora and round.
pub fn board(b: &Board) -> Html {
    Html(board_html(b, None))
}

/// Decision `index` of a logged game: the board before it (the deciding seat marked),
/// then every legal action with its logged probability as a bar, the taken one in bold.
pub fn decision(game: &LoggedGame, index: usize) -> Result<Html, PlotError> {
    let (Some(d), Some(r)) = (game.decisions.get(index), game.replay.decisions.get(index)) else {
        return Err(PlotError::Invalid(format!(
            "game {}: decision {index} of {} that replayed",
            game.game.game_id,
            game.replay.decisions.len()
        )));
    };
    let mut h = board_html(&r.board, Some(r.seat as usize));
    let _ = write!(
        h,
        "<p style=\"font:12px sans-serif\">game {} · decision {index} · seat {} ({}) · {}</p>",
        game.game.game_id,
        d.seat,
        esc(&game.game.agents[d.seat as usize % 3]),
        esc(&d.kind)
    );
    h.push_str(&format!("<table style=\"{TABLE}\">"));
    for a in &r.legal {
        let p = d
            .policy
            .as_ref()
            .and_then(|p| p.get(a.index() as usize).copied());
        let chosen = *a == r.action;
        let bar = p.map_or(String::new(), |p| {
            format!(
                "<span style=\"display:inline-block;height:10px;width:{:.0}px;background:{}\"></span> {:.1}%",
                (p * 200.0).max(1.0),
                if chosen { "#d55e00" } else { "#0072b2" },
                p * 100.0
            )
        });
        let name = if chosen {
            format!("<b>{} ✓</b>", esc(&a.to_string()))
        } else {
            esc(&a.to_string())
        };
        let _ = write!(h, "<tr><td style=\"{CELL}\">{name}</td><td style=\"{CELL};text-align:left\">{bar}</td></tr>");
    }
    h.push_str("</table>");
    Ok(Html(h))
}

/// A tile plane as an SVG heatmap with its feature blocks (page wide).
pub fn planes(p: &Planes) -> Result<Svg, PlotError> {
    Figure::new(PlaneHeatmap::new(p.clone())).svg().map(Svg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_escape_text_and_cut_long_runs() {
        let g = GameRow {
            game_id: 1,
            seed: 2,
            rules: String::new(),
            kyoku_count: 3,
            decision_count: 4,
            agents: ["<model>".into(), "h".into(), "h".into()],
            scores: [50000, 30000, 25000],
            ranks: [1, 2, 3],
            source: None,
        };
        let h = games(&vec![g; MAX_ROWS + 5]).0;
        assert!(h.contains("&lt;model&gt;") && !h.contains("<model>"));
        assert_eq!(h.matches("<tr>").count(), MAX_ROWS + 1);
        assert!(h.contains("… 5 more rows"));
    }

    #[test]
    fn tiles_show_numbers_suits_and_red_fives() {
        let five = Tile::red_five(Suit::Pin).unwrap();
        assert!(
            tile(five, false, false).contains("#e00")
                && tile(five, false, false).contains("5<small>p")
        );
        assert!(
            tile(Tile::HATSU, true, false).contains(">F<")
                && tile(Tile::HATSU, true, false).contains("rotate")
        );
    }
}
