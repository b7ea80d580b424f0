//! Sanma outcome figures: final ranks per agent or seat (with 95% Wilson intervals), and
//! the Meowjong paper's per-round table (Tables VIII–XI: each seat's share of rounds
//! finished 1st, 2nd or 3rd by the round's score change, or drawn) as stacked bars.

use std::collections::BTreeMap;

use meowlab_store::browse::{GameRow, KyokuRow};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::axes::{self, AxisOptions, AxisSpec, Frame};
use crate::error::PlotError;
use crate::legend::legend;
use crate::style::{series_color, text_on, Scale, GRID};
use crate::ticks::TickStyle;

/// How games are grouped into bars.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Grouping {
    /// By the agent's name (seats with the same agent pooled).
    Agent,
    /// By seat (0 = the first dealer).
    Seat,
}

/// Final-rank counts per group: `counts[r]` = games finished at rank r + 1.
#[derive(Clone, Debug, PartialEq)]
pub struct RankBars {
    /// (label, [1st, 2nd, 3rd]) per group.
    pub groups: Vec<(String, [u32; 3])>,
}

/// The Wilson score interval of `k` successes in `n` trials at 95%.
pub fn wilson(k: u32, n: u32) -> (f64, f64) {
    if n == 0 {
        return (0.0, 0.0);
    }
    let (z, n, p) = (1.959964f64, n as f64, k as f64 / n as f64);
    let denom = 1.0 + z * z / n;
    let center = (p + z * z / (2.0 * n)) / denom;
    let half = z / denom * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt();
    ((center - half).max(0.0), (center + half).min(1.0))
}

fn seat_label(seat: usize, rows: &[GameRow]) -> String {
    let mut names: Vec<&str> = rows.iter().map(|g| g.agents[seat].as_str()).collect();
    names.sort();
    names.dedup();
    match names.as_slice() {
        [one] => format!("seat {seat}: {one}"),
        _ => format!("seat {seat}"),
    }
}

impl RankBars {
    /// Counts final ranks from a run's `games` rows.
    pub fn from_games(rows: &[GameRow], by: Grouping) -> Result<RankBars, PlotError> {
        if rows.is_empty() {
            return Err(PlotError::Empty("no finished games".into()));
        }
        let mut counts: BTreeMap<String, [u32; 3]> = BTreeMap::new();
        for g in rows {
            for seat in 0..3 {
                let rank = g.ranks[seat];
                if !(1..=3).contains(&rank) {
                    return Err(PlotError::Invalid(format!(
                        "game {}: seat {seat} has rank {rank} (expected 1–3)",
                        g.game_id
                    )));
                }
                let key = match by {
                    Grouping::Agent => g.agents[seat].clone(),
                    Grouping::Seat => seat_label(seat, rows),
                };
                counts.entry(key).or_default()[rank as usize - 1] += 1;
            }
        }
        Ok(RankBars {
            groups: counts.into_iter().collect(),
        })
    }

    /// The bars' labels: agent or seat with its number of games.
    pub(crate) fn labels(&self) -> Vec<String> {
        self.groups
            .iter()
            .map(|(l, c)| format!("{l} ({} games)", c.iter().sum::<u32>()))
            .collect()
    }

    fn shares(&self) -> Vec<Vec<(f64, f64, f64)>> {
        self.groups
            .iter()
            .map(|(_, c)| {
                let n: u32 = c.iter().sum();
                c.iter()
                    .map(|&k| {
                        let (lo, hi) = wilson(k, n);
                        (k as f64 / n.max(1) as f64, lo, hi)
                    })
                    .collect()
            })
            .collect()
    }

    /// The top of the value axis (the highest whisker and some room).
    pub(crate) fn top(&self) -> f64 {
        bars_top(&self.shares())
    }

    pub(crate) fn draw<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        s: &Scale,
        frame: &Frame,
    ) -> Result<(), PlotError> {
        let shares = self.shares();
        grouped_bars(
            area,
            s,
            frame,
            &["1st", "2nd", "3rd"],
            &self.labels(),
            &shares,
            bars_top(&shares),
            "share of games",
        )
    }
}

/// Per-round outcomes per seat: [1st, 2nd, 3rd, draw] counts.
#[derive(Clone, Debug, PartialEq)]
pub struct OutcomeBars {
    /// (seat label, [1st, 2nd, 3rd, draw]) per seat.
    pub seats: Vec<(String, [u32; 4])>,
}

impl OutcomeBars {
    /// The Meowjong classification of every round in `kyoku` (from a run's `kyoku`
    /// table): a round in which no score changed is a draw; otherwise a seat's place is
    /// 1 + the number of seats whose score rose more (ties share the better place).
    /// `games` names the agents in the labels.
    pub fn from_kyoku(kyoku: &[KyokuRow], games: &[GameRow]) -> Result<OutcomeBars, PlotError> {
        if kyoku.is_empty() {
            return Err(PlotError::Empty("no finished rounds".into()));
        }
        let mut counts = [[0u32; 4]; 3];
        for k in kyoku {
            if k.deltas.iter().all(|&d| d == 0) {
                counts.iter_mut().for_each(|c| c[3] += 1);
                continue;
            }
            for (seat, count) in counts.iter_mut().enumerate() {
                let better = k.deltas.iter().filter(|&&d| d > k.deltas[seat]).count();
                count[better] += 1;
            }
        }
        Ok(OutcomeBars {
            seats: (0..3).map(|s| (seat_label(s, games), counts[s])).collect(),
        })
    }

    pub(crate) fn draw<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        s: &Scale,
    ) -> Result<(), PlotError> {
        let names = ["1st", "2nd", "3rd", "draw"];
        let n = self.seats.len();
        if n == 0 {
            return Err(PlotError::Empty("no seats".into()));
        }
        let color = |i: usize| if i == 3 { GRID } else { series_color(i) };
        let items: Vec<(String, RGBColor)> = names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.to_string(), color(i)))
            .collect();
        let plot = legend(area, s, &items, true)?;
        // rows top to bottom: seat 0 first
        let rows: Vec<String> = self
            .seats
            .iter()
            .rev()
            .map(|(label, c)| format!("{label} ({} rounds)", c.iter().sum::<u32>()))
            .collect();
        let plain = AxisOptions::default();
        let x = AxisSpec::numeric(0.0, 1.0, TickStyle::Percent, "share of rounds", &plain);
        let y = AxisSpec::categorical(&rows, &plain);
        let (mut chart, _, _) = axes::build(&plot, s, &x, &y, (true, false))?;
        for (row, (_, c)) in self.seats.iter().enumerate() {
            let total = c.iter().sum::<u32>().max(1) as f64;
            let y = (n - 1 - row) as f64;
            let mut x = 0.0;
            for (i, &k) in c.iter().enumerate() {
                let w = k as f64 / total;
                chart
                    .draw_series(std::iter::once(Rectangle::new(
                        [(x, y + 0.2), (x + w, y + 0.8)],
                        color(i).filled(),
                    )))
                    .map_err(PlotError::draw)?;
                // the share inside its segment, when the segment is wide enough for it
                let text = format!("{:.1}", 100.0 * w);
                let room = chart.backend_coord(&(x + w, y)).0 - chart.backend_coord(&(x, y)).0;
                if room as f64 >= s.text_width(&text, -1.5) + s.uf(3.0) {
                    let style = s
                        .text(-1.5, text_on(color(i)))
                        .pos(Pos::new(HPos::Center, VPos::Center));
                    chart
                        .draw_series(std::iter::once(Text::new(
                            text,
                            (x + w / 2.0, y + 0.5),
                            style,
                        )))
                        .map_err(PlotError::draw)?;
                }
                x += w;
            }
        }
        Ok(())
    }
}

/// The top of a bar chart's value axis: above the highest whisker, at most 100%.
pub(crate) fn bars_top(values: &[Vec<(f64, f64, f64)>]) -> f64 {
    let top = values
        .iter()
        .flatten()
        .map(|v| v.2.max(v.0))
        .fold(0.0, f64::max)
        .max(0.05);
    (top * 1.15).min(1.0)
}

/// Grouped vertical bars: one cluster per category, one bar per series, each with its
/// (value, lo, hi) whisker; the series are named in a legend on top (unless the figure
/// holds one for all panels).
#[allow(clippy::too_many_arguments)]
pub(crate) fn grouped_bars<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    s: &Scale,
    frame: &Frame,
    categories: &[&str],
    series: &[String],
    values: &[Vec<(f64, f64, f64)>],
    top: f64,
    y_desc: &str,
) -> Result<(), PlotError> {
    if series.is_empty() {
        return Err(PlotError::Empty("no groups".into()));
    }
    let color = |j: usize| frame.color(&series[j], j);
    let plot = if frame.no_legend {
        area.clone()
    } else {
        let items: Vec<(String, RGBColor)> = series
            .iter()
            .enumerate()
            .map(|(j, name)| (name.clone(), color(j)))
            .collect();
        legend(area, s, &items, false)?
    };
    let names: Vec<String> = categories.iter().map(|c| c.to_string()).collect();
    let x = AxisSpec::categorical(&names, &frame.x);
    let y = AxisSpec::numeric(0.0, top, TickStyle::Percent, y_desc, &frame.y);
    let (mut chart, _, _) = axes::build(&plot, s, &x, &y, (false, true))?;
    let k = series.len() as f64;
    let width = 0.8 / k;
    for c in 0..categories.len() {
        for (j, vals) in values.iter().enumerate() {
            let (v, lo, hi) = vals[c];
            let x0 = c as f64 + 0.1 + j as f64 * width;
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [(x0 + width * 0.08, 0.0), (x0 + width * 0.92, v)],
                    color(j).filled(),
                )))
                .map_err(PlotError::draw)?;
            let xm = x0 + width / 2.0;
            let stroke = crate::style::INK.stroke_width(s.u(0.6) as u32);
            chart
                .draw_series([
                    PathElement::new(vec![(xm, lo), (xm, hi)], stroke),
                    PathElement::new(vec![(xm - width * 0.2, lo), (xm + width * 0.2, lo)], stroke),
                    PathElement::new(vec![(xm - width * 0.2, hi), (xm + width * 0.2, hi)], stroke),
                ])
                .map_err(PlotError::draw)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn game(id: u64, agents: [&str; 3], ranks: [u8; 3]) -> GameRow {
        GameRow {
            game_id: id,
            seed: id,
            rules: String::new(),
            kyoku_count: 1,
            decision_count: 1,
            agents: agents.map(str::to_string),
            scores: [0; 3],
            ranks,
            source: None,
        }
    }

    #[test]
    fn ranks_pool_seats_by_agent_or_split_by_seat() {
        let rows = [
            game(0, ["m", "h", "h"], [1, 2, 3]),
            game(1, ["m", "h", "h"], [3, 1, 2]),
        ];
        let by_agent = RankBars::from_games(&rows, Grouping::Agent).unwrap();
        assert_eq!(
            by_agent.groups,
            vec![("h".to_string(), [1, 2, 1]), ("m".to_string(), [1, 0, 1])]
        );
        let by_seat = RankBars::from_games(&rows, Grouping::Seat).unwrap();
        assert_eq!(by_seat.groups[0], ("seat 0: m".to_string(), [1, 0, 1]));
        let bad = [game(2, ["m", "h", "h"], [1, 2, 4])];
        let e = RankBars::from_games(&bad, Grouping::Agent)
            .unwrap_err()
            .to_string();
        assert!(e.contains("game 2") && e.contains("rank 4"), "{e}");
    }

    #[test]
    fn rounds_are_placed_by_score_change_and_no_change_is_a_draw() {
        let k = |deltas: [i32; 3]| KyokuRow {
            game_id: 0,
            kyoku: 0,
            round_wind: "E".into(),
            kyoku_in_wind: 1,
            dealer: 0,
            honba: 0,
            deposits: 0,
            result: String::new(),
            winners: vec![],
            dealt_in: None,
            deltas,
        };
        let rows = [k([8000, -8000, 0]), k([0, 0, 0]), k([-2000, 4000, -2000])];
        let o = OutcomeBars::from_kyoku(&rows, &[]).unwrap();
        assert_eq!(o.seats[0].1, [1, 1, 0, 1]); // 1st, then 2nd (tied with seat 2)
        assert_eq!(o.seats[1].1, [1, 0, 1, 1]);
        assert_eq!(o.seats[2].1, [0, 2, 0, 1]);
    }

    #[test]
    fn wilson_interval_contains_the_estimate_and_shrinks() {
        let (lo, hi) = wilson(30, 100);
        assert!(lo < 0.3 && 0.3 < hi);
        let (lo2, hi2) = wilson(300, 1000);
        assert!(hi2 - lo2 < hi - lo);
        assert_eq!(wilson(0, 0), (0.0, 0.0));
        // the known value for 0 of 10: upper end 0.2775
        assert!((wilson(0, 10).1 - 0.2775).abs() < 1e-4);
    }
}
