//! A [`GameLog`] written out: tenhou.net/6 JSON (what Tenhou's viewer and most converters
//! read; the layout is described in [`crate::tenhou6`]) and the score line Tenhou shows
//! for a win ("30符2飜2000点", "満貫2000-4000点", "跳満6000点∀").

use meowlab_hand::points::base_points;
use serde_json::{json, Value};

use crate::game::{Discard, DrawKind, GameLog, RoundLog, RoundResult, Take, Win, WinScore};
use crate::yaku::{TENHOU_YAKU, YAKUMAN_HAN};

/// The game as one tenhou.net/6 JSON object.
pub fn tenhou6(game: &GameLog) -> Value {
    let disp = format!(
        "三般{}喰{}",
        if game.rules.hanchan { "南" } else { "東" },
        if game.rules.red_fives { "赤" } else { "" }
    );
    let aka = i32::from(game.rules.red_fives);
    let mut sc = Vec::with_capacity(8);
    if let Some(scores) = game.final_scores {
        for (seat, &score) in scores.iter().enumerate() {
            sc.push(json!(score));
            sc.push(json!(rank_points(&scores, seat)));
        }
        sc.extend([json!(0), json!(0)]);
    }
    json!({
        "ver": 2.3,
        "ref": game.source,
        "rule": {"disp": disp, "aka53": aka, "aka52": aka, "aka51": aka},
        "lobby": 0,
        "name": [game.players[0], game.players[1], game.players[2], ""],
        "sc": sc,
        "log": game.rounds.iter().map(round).collect::<Vec<_>>(),
    })
}

/// Tenhou's rank points for 3-player games: (score − 40,000) / 1,000, +20 uma for the
/// top and −20 for the last, and the +15 oka to the top (three 35,000 starts, 40,000
/// returned). Ties go to the seat nearer the first dealer.
fn rank_points(scores: &[i32; 3], seat: usize) -> f64 {
    let rank = (0..3)
        .filter(|&s| scores[s] > scores[seat] || (scores[s] == scores[seat] && s < seat))
        .count();
    let bonus = [35.0, 0.0, -20.0][rank];
    let points = (f64::from(scores[seat]) - 40_000.0) / 1000.0 + bonus;
    (points * 10.0).round() / 10.0
}

fn code(t: meowlab_hand::Tile) -> Value {
    json!(t.tenhou_code())
}

fn codes(tiles: &[meowlab_hand::Tile]) -> Value {
    Value::Array(tiles.iter().map(|&t| code(t)).collect())
}

/// Where a call's letter goes for a call from `from` by `seat` (Tenhou's 4-seat scheme:
/// 0 from the player before, 2 from the one across, 4 (6 for a kan) from the one after).
fn letter_at(seat: usize, from: usize, kan: bool) -> usize {
    match (from + 4 - seat) % 4 {
        3 => 0,
        2 => 2,
        _ if kan => 6,
        _ => 4,
    }
}

/// A call string: the tiles as two-digit codes with `letter` before the called tile,
/// placed at `pos` (the other tiles in order around it).
fn call_string(
    letter: char,
    pos: usize,
    called: meowlab_hand::Tile,
    tiles: &[meowlab_hand::Tile],
) -> String {
    let mut rest: Vec<meowlab_hand::Tile> = tiles.to_vec();
    if let Some(i) = rest.iter().position(|&t| t == called) {
        rest.remove(i);
    }
    let mut out = String::with_capacity(2 * tiles.len() + 1);
    let mut rest = rest.into_iter();
    for slot in 0..tiles.len() {
        if slot * 2 == pos {
            out.push(letter);
            out.push_str(&called.tenhou_code().to_string());
        } else if let Some(t) = rest.next() {
            out.push_str(&t.tenhou_code().to_string());
        }
    }
    out
}

fn round(r: &RoundLog) -> Value {
    let mut a = vec![
        json!([r.index, r.honba, r.deposits]),
        json!([r.scores[0], r.scores[1], r.scores[2], 0]),
        codes(&r.dora_indicators),
        codes(&r.ura_indicators),
    ];
    // the pons each seat has made, for the position of an added kan's letter
    for seat in 0..3 {
        a.push(codes(&r.hands[seat]));
        let takes: Vec<Value> = r.takes[seat]
            .iter()
            .map(|t| match *t {
                Take::Draw(tile) => code(tile),
                Take::Pon {
                    called,
                    from,
                    tiles,
                } => {
                    json!(call_string(
                        'p',
                        letter_at(seat, from, false),
                        called,
                        &tiles
                    ))
                }
                Take::Daiminkan {
                    called,
                    from,
                    tiles,
                } => {
                    json!(call_string(
                        'm',
                        letter_at(seat, from, true),
                        called,
                        &tiles
                    ))
                }
            })
            .collect();
        let discards: Vec<Value> = r.discards[seat]
            .iter()
            .map(|d| match *d {
                Discard::Tile {
                    tsumogiri: true, ..
                } => json!(60),
                Discard::Tile { tile, .. } => code(tile),
                Discard::Riichi {
                    tsumogiri: true, ..
                } => json!("r60"),
                Discard::Riichi { tile, .. } => json!(format!("r{}", tile.tenhou_code())),
                Discard::Ankan(tiles) => json!(call_string('a', 6, tiles[3], &tiles)),
                Discard::Kakan { added, from } => {
                    let pon = r.takes[seat].iter().find_map(|t| match *t {
                        Take::Pon { called, tiles, .. } if called.kind() == added.kind() => {
                            Some(tiles)
                        }
                        _ => None,
                    });
                    let mut tiles = pon.map_or(vec![added; 3], |t| t.to_vec());
                    tiles.push(added);
                    json!(call_string(
                        'k',
                        letter_at(seat, from, false),
                        added,
                        &tiles
                    ))
                }
                Discard::Kita => json!("f44"),
                Discard::AfterKan => json!(0),
            })
            .collect();
        a.push(Value::Array(takes));
        a.push(Value::Array(discards));
    }
    a.extend([json!([]), json!([]), json!([])]);
    a.push(result(r));
    Value::Array(a)
}

fn draw_name(kind: DrawKind) -> &'static str {
    match kind {
        DrawKind::Exhaustive => "流局",
        DrawKind::AllTenpai => "全員聴牌",
        DrawKind::AllNoten => "全員不聴",
        DrawKind::NineTerminals => "九種九牌",
        DrawKind::NagashiMangan => "流し満貫",
        DrawKind::FourKans => "四槓散了",
        DrawKind::AllRiichi => "三家立直",
        DrawKind::TripleRon => "三家和了",
    }
}

fn result(r: &RoundLog) -> Value {
    match &r.result {
        RoundResult::Draw { kind, deltas } => {
            if deltas.iter().all(|&d| d == 0) {
                json!([draw_name(*kind)])
            } else {
                json!([draw_name(*kind), [deltas[0], deltas[1], deltas[2], 0]])
            }
        }
        RoundResult::Wins(wins) => {
            let mut a = vec![json!("和了")];
            for w in wins {
                a.push(json!([w.deltas[0], w.deltas[1], w.deltas[2], 0]));
                let mut detail = vec![json!(w.winner), json!(w.from), json!(w.pao)];
                detail.extend(win_text(w, r.dealer()).into_iter().map(Value::String));
                a.push(Value::Array(detail));
            }
            Value::Array(a)
        }
    }
}

/// The texts Tenhou shows for a win: the log's own when it has them, else the score line
/// and "NAME(N飜)" per yaku from [`Win::score`].
pub fn win_text(w: &Win, dealer: usize) -> Vec<String> {
    if !w.text.is_empty() {
        return w.text.clone();
    }
    let Some(score) = &w.score else {
        return Vec::new();
    };
    let mut text = vec![score_line(score, w.winner == dealer, w.winner == w.from)];
    for &(id, han) in &score.yaku {
        let name = TENHOU_YAKU.get(usize::from(id)).map_or("?", |y| y.0);
        text.push(if (37..=51).contains(&id) {
            format!("{name}(役満)")
        } else {
            format!("{name}({han}飜)")
        });
    }
    text
}

/// "30符2飜2000点", "満貫2000-4000点", "跳満6000点∀": the value and what each payer pays
/// (honba and deposits not included).
pub fn score_line(score: &WinScore, dealer: bool, tsumo: bool) -> String {
    let yakuman = score
        .yaku
        .iter()
        .filter(|(id, _)| (37..=51).contains(id))
        .map(|&(_, han)| han / YAKUMAN_HAN)
        .sum::<u8>();
    let han = u8::try_from(score.han()).unwrap_or(u8::MAX);
    let (base, _) = match score.fu {
        Some(fu) => base_points(han, fu, yakuman, true),
        // a log states no fu for a limit hand: below 5 han that is a mangan
        None => base_points(han.max(5), 0, yakuman, true),
    };
    let up = |x: u32| x.div_ceil(100) * 100;
    let points = match (tsumo, dealer) {
        (false, true) => format!("{}点", up(6 * base)),
        (false, false) => format!("{}点", up(4 * base)),
        (true, true) => format!("{}点∀", up(2 * base)),
        (true, false) => format!("{}-{}点", up(base), up(2 * base)),
    };
    let limit = match (yakuman, han) {
        (1.., _) | (_, 13..) => "役満",
        (_, 11..) => "三倍満",
        (_, 8..) => "倍満",
        (_, 6..) => "跳満",
        _ if base >= 2000 => "満貫",
        _ => "",
    };
    if limit.is_empty() {
        format!("{}符{han}飜{points}", score.fu.unwrap_or(0))
    } else {
        format!("{limit}{points}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(fu: Option<u8>, yaku: &[(u8, u8)]) -> WinScore {
        WinScore {
            fu,
            yaku: yaku.to_vec(),
        }
    }

    #[test]
    fn score_lines_read_like_tenhou() {
        // riichi, tsumo, dora 2: 40 fu 4 han non-dealer tsumo = mangan 2000-4000
        assert_eq!(
            score_line(&s(None, &[(1, 1), (0, 1), (52, 2)]), false, true),
            "満貫2000-4000点"
        );
        assert_eq!(
            score_line(&s(Some(30), &[(1, 1), (52, 1)]), false, false),
            "30符2飜2000点"
        );
        assert_eq!(
            score_line(&s(Some(30), &[(8, 1), (52, 1)]), true, true),
            "30符2飜1000点∀"
        );
        assert_eq!(
            score_line(&s(None, &[(34, 3), (52, 3)]), true, false),
            "跳満18000点"
        );
        assert_eq!(
            score_line(&s(None, &[(39, 13)]), false, false),
            "役満32000点"
        );
        assert_eq!(
            score_line(&s(Some(40), &[(1, 1), (52, 2)]), false, false),
            "40符3飜5200点"
        );
    }

    #[test]
    fn call_strings_put_the_letter_where_the_tile_came_from() {
        let t = |s: &str| -> meowlab_hand::Tile { s.parse().unwrap() };
        // seat 1 pons from seat 0 (the player before): letter first
        assert_eq!(
            call_string('p', letter_at(1, 0, false), t("5z"), &[t("5z"); 3]),
            "p454545"
        );
        // seat 0 pons from seat 2 (across in Tenhou's 4-seat scheme)
        assert_eq!(
            call_string('p', letter_at(0, 2, false), t("5z"), &[t("5z"); 3]),
            "45p4545"
        );
        // seat 0 calls an open kan from seat 1 (the player after)
        assert_eq!(
            call_string('m', letter_at(0, 1, true), t("1p"), &[t("1p"); 4]),
            "212121m21"
        );
    }

    #[test]
    fn rank_points_follow_tenhou() {
        // 2026011901gm-00b9-0000-f1410863: 900, 48200, 55900 → −59.1, 8.2, 50.9
        let scores = [900, 48_200, 55_900];
        assert_eq!(
            (0..3).map(|s| rank_points(&scores, s)).collect::<Vec<_>>(),
            vec![-59.1, 8.2, 50.9]
        );
    }
}
