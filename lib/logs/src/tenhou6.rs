//! tenhou.net/6 JSON: one game per object (`ref`, `name`, `rule.disp`, `sc`, `log`),
//! read from a file holding one game, a JSON array of games, or JSON lines.
//!
//! Each round of `log` is `[[index, honba, deposits], scores[4], dora[], ura[], hand0,
//! takes0, discards0, hand1, …, hand3, takes3, discards3, result]`. Tiles are Tenhou codes
//! (11–19 man, 21–29 pin, 31–39 sou, 41–47 honours, 51–53 red fives); 60 in a discard slot
//! is tsumogiri. Calls are strings whose letter says what (`p` pon, `m` open kan in draw
//! slots; `r` riichi, `a` closed kan, `k` added kan, `f` Kita in discard slots) and whose
//! position says from whom, in Tenhou's 4-seat scheme: at 0 the player before (+3), at 2
//! the one across (+2), at 4 (6 for a kan) the one after (+1); in 3-player games the seat
//! that results is never 3. The fourth seat's arrays are empty and its scores 0.

use meowlab_hand::Tile;
use serde_json::Value;

use crate::error::LogError;
use crate::game::{
    Discard, DrawKind, GameLog, LogRules, RoundLog, RoundResult, Take, Win, WinScore,
};

/// Reads every game in `text` (one object, an array of them, or one per line); `file`
/// names the input in errors.
pub fn read(text: &str, file: &str) -> Result<Vec<GameLog>, LogError> {
    let trimmed = text.trim_start();
    let values: Vec<Value> = if trimmed.starts_with('[') {
        match serde_json::from_str::<Value>(text) {
            Ok(Value::Array(games)) => games,
            Ok(_) => unreachable!("starts with ["),
            Err(e) => return Err(LogError::json(file, e)),
        }
    } else {
        let mut stream = serde_json::Deserializer::from_str(text).into_iter::<Value>();
        let mut values = Vec::new();
        for v in &mut stream {
            values.push(v.map_err(|e| LogError::json(file, e))?);
        }
        values
    };
    if values.is_empty() {
        return Err(LogError::at(file, "", "no game in the file"));
    }
    values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let at = if values.len() > 1 {
                format!("game {i}")
            } else {
                String::new()
            };
            game(v, file, &at)
        })
        .collect()
}

/// Errors at `file`, `at` (a path inside the document).
struct Ctx<'a> {
    file: &'a str,
    at: String,
}

impl Ctx<'_> {
    fn err(&self, what: impl Into<String>) -> LogError {
        LogError::at(self.file, &self.at, what)
    }

    fn child(&self, part: impl std::fmt::Display) -> Ctx<'_> {
        Ctx {
            file: self.file,
            at: if self.at.is_empty() {
                part.to_string()
            } else {
                format!("{}, {part}", self.at)
            },
        }
    }

    fn array<'v>(&self, v: &'v Value, what: &str) -> Result<&'v Vec<Value>, LogError> {
        v.as_array()
            .ok_or_else(|| self.err(format!("{what}: expected an array, found {}", brief(v))))
    }

    fn int(&self, v: &Value, what: &str) -> Result<i64, LogError> {
        v.as_i64()
            .ok_or_else(|| self.err(format!("{what}: expected an integer, found {}", brief(v))))
    }

    fn tile(&self, code: i64, what: &str) -> Result<Tile, LogError> {
        u8::try_from(code)
            .ok()
            .and_then(Tile::from_tenhou_code)
            .ok_or_else(|| self.err(format!("{what}: {code} is not a tile code")))
    }

    fn tiles(&self, v: &Value, what: &str) -> Result<Vec<Tile>, LogError> {
        self.array(v, what)?
            .iter()
            .map(|t| self.tile(self.int(t, what)?, what))
            .collect()
    }

    fn scores(&self, v: &Value, what: &str) -> Result<[i32; 3], LogError> {
        let a = self.array(v, what)?;
        if !(a.len() == 3 || a.len() == 4) {
            return Err(self.err(format!(
                "{what}: {} entries (expected 3, or 4 with a last 0)",
                a.len()
            )));
        }
        let n: Vec<i64> = a
            .iter()
            .map(|x| self.int(x, what))
            .collect::<Result<_, _>>()?;
        if n.len() == 4 && n[3] != 0 {
            return Err(LogError::FourPlayer {
                file: self.file.to_string(),
                why: format!("{what} has a fourth seat ({})", n[3]),
            });
        }
        let conv =
            |x: i64| i32::try_from(x).map_err(|_| self.err(format!("{what}: {x} is out of range")));
        Ok([conv(n[0])?, conv(n[1])?, conv(n[2])?])
    }
}

/// A short rendering of a JSON value for messages.
fn brief(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 40 {
        format!("{}…", s.chars().take(40).collect::<String>())
    } else {
        s
    }
}

fn game(v: &Value, file: &str, at: &str) -> Result<GameLog, LogError> {
    let cx = Ctx {
        file,
        at: at.to_string(),
    };
    let obj = v
        .as_object()
        .ok_or_else(|| cx.err(format!("expected a game object, found {}", brief(v))))?;
    let disp = obj
        .get("rule")
        .and_then(|r| r.get("disp"))
        .and_then(Value::as_str)
        .unwrap_or("");
    let names = obj.get("name").and_then(Value::as_array);
    let four_names =
        names.is_some_and(|n| n.len() == 4 && n[3].as_str().is_some_and(|s| !s.is_empty()));
    if four_names || (!disp.is_empty() && !disp.contains('三')) {
        return Err(LogError::FourPlayer {
            file: file.to_string(),
            why: format!(
                "rule \"{disp}\" and {} named players",
                names.map_or(0, |n| n
                    .iter()
                    .filter(|x| x.as_str().is_some_and(|s| !s.is_empty()))
                    .count())
            ),
        });
    }
    let player = |i: usize| {
        names
            .and_then(|n| n.get(i))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let red_fives = match obj.get("rule").and_then(|r| r.get("aka")) {
        Some(a) => a.as_i64().unwrap_or(0) > 0,
        None => {
            ["aka51", "aka52", "aka53"].iter().any(|k| {
                obj.get("rule")
                    .and_then(|r| r.get(*k))
                    .and_then(Value::as_i64)
                    .unwrap_or(0)
                    > 0
            }) || disp.contains('赤')
        }
    };
    // 東 = East only; 南 = hanchan (Tenhou's lobby names)
    let hanchan = !disp.contains('東');
    let log = cx.array(obj.get("log").unwrap_or(&Value::Null), "log")?;
    if log.is_empty() {
        return Err(cx.err("log: no rounds"));
    }
    let rounds = log
        .iter()
        .enumerate()
        .map(|(k, r)| round(r, &cx.child(format!("round {k}"))))
        .collect::<Result<Vec<_>, _>>()?;
    let final_scores = match obj.get("sc").and_then(Value::as_array) {
        Some(sc) if sc.len() >= 6 => {
            let pick = |i: usize| sc[2 * i].as_i64().and_then(|x| i32::try_from(x).ok());
            match (pick(0), pick(1), pick(2)) {
                // some writers give scores in hundreds
                (Some(a), Some(b), Some(c)) => Some([a, b, c]),
                _ => {
                    return Err(cx.err(format!(
                        "sc: expected numbers, found {}",
                        brief(&Value::Array(sc.clone()))
                    )))
                }
            }
        }
        _ => None,
    };
    let source = obj
        .get("ref")
        .and_then(Value::as_str)
        .map(str::to_string)
        .unwrap_or_else(|| {
            std::path::Path::new(file)
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default()
        });
    GameLog {
        source,
        players: [player(0), player(1), player(2)],
        rules: LogRules { hanchan, red_fives },
        rounds,
        final_scores,
    }
    .validated(file, at)
}

fn round(v: &Value, cx: &Ctx<'_>) -> Result<RoundLog, LogError> {
    let a = cx.array(v, "round")?;
    if a.len() != 17 {
        return Err(cx.err(format!("{} entries (expected 17: header, scores, dora, ura, 4 × (hand, draws, discards), result)", a.len())));
    }
    let head = cx.array(&a[0], "header")?;
    if head.len() != 3 {
        return Err(cx.err(format!(
            "header: {} entries (expected [round, honba, deposits])",
            head.len()
        )));
    }
    let small = |v: &Value, what: &str| -> Result<u8, LogError> {
        let n = cx.int(v, what)?;
        u8::try_from(n).map_err(|_| cx.err(format!("{what}: {n} is out of range")))
    };
    let index = small(&head[0], "round index")?;
    if index % 4 == 3 || index > 11 {
        return Err(cx.err(format!(
            "round index {index}: no such 3-player round (4 × wind + dealer 0–2)"
        )));
    }
    let honba = small(&head[1], "honba")?;
    let deposits = small(&head[2], "deposits")?;
    let scores = cx.scores(&a[1], "scores")?;
    let dora_indicators = cx.tiles(&a[2], "dora indicators")?;
    let ura_indicators = cx.tiles(&a[3], "ura indicators")?;
    for (seat_arrays, what) in [(&a[13..16], "the fourth seat")] {
        if seat_arrays
            .iter()
            .any(|x| x.as_array().is_some_and(|v| !v.is_empty()))
        {
            return Err(LogError::FourPlayer {
                file: cx.file.to_string(),
                why: format!("{}: {what} has tiles", cx.at),
            });
        }
    }
    let mut hands: [Vec<Tile>; 3] = Default::default();
    let mut takes: [Vec<Take>; 3] = Default::default();
    let mut discards: [Vec<Discard>; 3] = Default::default();
    for seat in 0..3 {
        let sx = cx.child(format!("seat {seat}"));
        hands[seat] = sx.tiles(&a[4 + 3 * seat], "hand")?;
        if hands[seat].len() != 13 {
            return Err(sx.err(format!("hand: {} tiles (expected 13)", hands[seat].len())));
        }
        hands[seat].sort();
        takes[seat] = sx
            .array(&a[5 + 3 * seat], "draws")?
            .iter()
            .enumerate()
            .map(|(i, t)| take(t, seat, &sx.child(format!("draw {i}"))))
            .collect::<Result<_, _>>()?;
        // discard slot i follows draw slot i: a tsumogiri throws that draw
        discards[seat] = sx
            .array(&a[6 + 3 * seat], "discards")?
            .iter()
            .enumerate()
            .map(|(i, d)| {
                let dx = sx.child(format!("discard {i}"));
                match discard(d, seat, &dx)? {
                    Slot::Done(d) => Ok(d),
                    Slot::Tsumogiri { riichi } => match takes[seat].get(i) {
                        Some(&Take::Draw(tile)) => Ok(if riichi {
                            Discard::Riichi {
                                tile,
                                tsumogiri: true,
                            }
                        } else {
                            Discard::Tile {
                                tile,
                                tsumogiri: true,
                            }
                        }),
                        _ => Err(dx.err("tsumogiri (60) without a draw in the same turn")),
                    },
                }
            })
            .collect::<Result<_, _>>()?;
    }
    let result = result(&a[16], &cx.child("result"))?;
    Ok(RoundLog {
        index,
        honba,
        deposits,
        scores,
        dora_indicators,
        ura_indicators,
        hands,
        takes,
        discards,
        result,
    })
}

/// The seat a call's letter at `pos` points to, from `seat`.
fn caller_source(
    seat: usize,
    pos: usize,
    kan: bool,
    cx: &Ctx<'_>,
    call: &str,
) -> Result<usize, LogError> {
    let rel = match (pos, kan) {
        (0, _) => 3,
        (2, _) => 2,
        (4, false) | (6, true) => 1,
        _ => return Err(cx.err(format!("call {call:?}: its letter at {pos} names no seat"))),
    };
    let from = (seat + rel) % 4;
    if from == 3 {
        return Err(cx.err(format!(
            "call {call:?}: from the fourth seat, which a 3-player game has not"
        )));
    }
    Ok(from)
}

/// The tile codes of a call string around its letter (two digits each).
fn call_tiles(call: &str, letter: char, cx: &Ctx<'_>) -> Result<(usize, Vec<Tile>), LogError> {
    let pos = call
        .find(letter)
        .ok_or_else(|| cx.err(format!("call {call:?}: no '{letter}'")))?;
    let digits: String = call.chars().filter(char::is_ascii_digit).collect();
    if !digits.len().is_multiple_of(2) || call.chars().filter(|c| !c.is_ascii_digit()).count() != 1
    {
        return Err(cx.err(format!(
            "call {call:?}: expected one letter among two-digit tile codes"
        )));
    }
    let tiles = (0..digits.len())
        .step_by(2)
        .map(|i| {
            let code: i64 = digits[i..i + 2].parse().unwrap_or(0);
            cx.tile(code, &format!("call {call:?}"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok((pos, tiles))
}

fn take(v: &Value, seat: usize, cx: &Ctx<'_>) -> Result<Take, LogError> {
    if let Some(code) = v.as_i64() {
        return Ok(Take::Draw(cx.tile(code, "draw")?));
    }
    let call = v.as_str().ok_or_else(|| {
        cx.err(format!(
            "expected a tile code or a call, found {}",
            brief(v)
        ))
    })?;
    if call.contains('c') {
        return Err(cx.err(format!(
            "call {call:?}: chi does not exist in 3-player mahjong"
        )));
    }
    if call.contains('p') {
        let (pos, tiles) = call_tiles(call, 'p', cx)?;
        let [a, b, c] = tiles[..] else {
            return Err(cx.err(format!("pon {call:?}: {} tiles (expected 3)", tiles.len())));
        };
        let from = caller_source(seat, pos, false, cx, call)?;
        let called = tiles[pos / 2];
        let mut tiles = [a, b, c];
        tiles.sort();
        return Ok(Take::Pon {
            called,
            from,
            tiles,
        });
    }
    if call.contains('m') {
        let (pos, tiles) = call_tiles(call, 'm', cx)?;
        let [a, b, c, d] = tiles[..] else {
            return Err(cx.err(format!(
                "open kan {call:?}: {} tiles (expected 4)",
                tiles.len()
            )));
        };
        let from = caller_source(seat, pos, true, cx, call)?;
        let called = tiles[pos / 2];
        let mut tiles = [a, b, c, d];
        tiles.sort();
        return Ok(Take::Daiminkan {
            called,
            from,
            tiles,
        });
    }
    Err(cx.err(format!(
        "draw slot {call:?}: not a tile, pon (p) or open kan (m)"
    )))
}

/// A discard slot before tsumogiri (code 60) is resolved to the tile drawn that turn.
enum Slot {
    Done(Discard),
    /// A tsumogiri discard, with riichi or without.
    Tsumogiri {
        riichi: bool,
    },
}

fn discard(v: &Value, seat: usize, cx: &Ctx<'_>) -> Result<Slot, LogError> {
    if let Some(code) = v.as_i64() {
        return Ok(match code {
            60 => Slot::Tsumogiri { riichi: false },
            0 => Slot::Done(Discard::AfterKan),
            _ => Slot::Done(Discard::Tile {
                tile: cx.tile(code, "discard")?,
                tsumogiri: false,
            }),
        });
    }
    let call = v.as_str().ok_or_else(|| {
        cx.err(format!(
            "expected a tile code or a call, found {}",
            brief(v)
        ))
    })?;
    if let Some(rest) = call.strip_prefix('r') {
        let code: i64 = rest
            .parse()
            .map_err(|_| cx.err(format!("riichi {call:?}: expected r and a tile code")))?;
        return Ok(match code {
            60 => Slot::Tsumogiri { riichi: true },
            _ => Slot::Done(Discard::Riichi {
                tile: cx.tile(code, "riichi discard")?,
                tsumogiri: false,
            }),
        });
    }
    if let Some(rest) = call.strip_prefix('f') {
        let code: i64 = rest
            .parse()
            .map_err(|_| cx.err(format!("Kita {call:?}: expected f44")))?;
        if code != 44 {
            return Err(cx.err(format!("Kita {call:?}: only North (44) can be set aside")));
        }
        return Ok(Slot::Done(Discard::Kita));
    }
    if call.contains('a') {
        let (_, tiles) = call_tiles(call, 'a', cx)?;
        let [a, b, c, d] = tiles[..] else {
            return Err(cx.err(format!(
                "closed kan {call:?}: {} tiles (expected 4)",
                tiles.len()
            )));
        };
        let mut tiles = [a, b, c, d];
        tiles.sort();
        return Ok(Slot::Done(Discard::Ankan(tiles)));
    }
    if call.contains('k') {
        let (pos, tiles) = call_tiles(call, 'k', cx)?;
        if tiles.len() != 4 {
            return Err(cx.err(format!(
                "added kan {call:?}: {} tiles (expected 4)",
                tiles.len()
            )));
        }
        let from = caller_source(seat, pos, false, cx, call)?;
        return Ok(Slot::Done(Discard::Kakan {
            added: tiles[pos / 2],
            from,
        }));
    }
    Err(cx.err(format!(
        "discard slot {call:?}: not a tile, riichi (r), kan (a, k) or Kita (f)"
    )))
}

fn result(v: &Value, cx: &Ctx<'_>) -> Result<RoundResult, LogError> {
    let a = cx.array(v, "result")?;
    let name = a
        .first()
        .and_then(Value::as_str)
        .ok_or_else(|| cx.err(format!("expected [name, …], found {}", brief(v))))?;
    if name == "和了" {
        if a.len() < 3 || a.len().is_multiple_of(2) {
            return Err(cx.err(format!(
                "a win needs deltas and a detail list per winner, found {} entries",
                a.len() - 1
            )));
        }
        let wins = a[1..]
            .chunks(2)
            .enumerate()
            .map(|(i, pair)| {
                let wx = cx.child(format!("win {i}"));
                let deltas = wx.scores(&pair[0], "deltas")?;
                let detail = wx.array(&pair[1], "detail")?;
                if detail.len() < 3 {
                    return Err(wx.err("detail: expected [winner, from, pao, text…]"));
                }
                let seat = |x: &Value, what: &str| -> Result<usize, LogError> {
                    let n = wx.int(x, what)?;
                    usize::try_from(n)
                        .ok()
                        .filter(|&s| s < 3)
                        .ok_or_else(|| wx.err(format!("{what}: seat {n}")))
                };
                let text: Vec<String> = detail[3..]
                    .iter()
                    .filter_map(|t| t.as_str().map(str::to_string))
                    .collect();
                let score = win_score(&text).map_err(|e| wx.err(e))?;
                Ok(Win {
                    winner: seat(&detail[0], "winner")?,
                    from: seat(&detail[1], "from")?,
                    pao: seat(&detail[2], "pao")?,
                    deltas,
                    text,
                    score,
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        return Ok(RoundResult::Wins(wins));
    }
    let kind =
        DrawKind::from_tenhou(name).ok_or_else(|| cx.err(format!("unknown result {name:?}")))?;
    let deltas = match a.get(1) {
        Some(d) => cx.scores(d, "deltas")?,
        None => [0; 3],
    };
    Ok(RoundResult::Draw { kind, deltas })
}

/// The score a win's texts state: "30符2飜1000点" (fu below mangan) or "満貫8000点", then
/// "NAME(N飜)" or "NAME(役満)" per yaku. `None` when there are no texts.
fn win_score(text: &[String]) -> Result<Option<WinScore>, String> {
    let Some((head, yaku)) = text.split_first() else {
        return Ok(None);
    };
    let fu = match head.split_once('符') {
        Some((fu, _)) => Some(
            fu.parse::<u8>()
                .map_err(|_| format!("score line {head:?}: fu {fu:?} is not a number"))?,
        ),
        None => None,
    };
    let yaku = yaku
        .iter()
        .map(|y| {
            let bad = || format!("yaku {y:?}: expected NAME(N飜) or NAME(役満)");
            let (name, value) = y
                .strip_suffix(')')
                .and_then(|y| y.rsplit_once('('))
                .ok_or_else(bad)?;
            let id = crate::yaku::id_of(name).ok_or_else(|| format!("unknown yaku {name:?}"))?;
            let han = match value {
                "役満" => crate::yaku::YAKUMAN_HAN,
                v => v
                    .strip_suffix('飜')
                    .and_then(|n| n.parse().ok())
                    .ok_or_else(bad)?,
            };
            Ok((id, han))
        })
        .filter(|r| !matches!(r, Ok((_, 0))))
        .collect::<Result<Vec<_>, String>>()?;
    Ok(Some(WinScore { fu, yaku }))
}
