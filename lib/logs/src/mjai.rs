//! mjai JSON lines, as Mortal-style tools convert 3-player games: `start_game {names}`,
//! `start_kyoku {bakaze, kyoku (1-based), honba, kyotaku, oya, scores, dora_marker,
//! tehais}`, `tsumo`, `dahai {tsumogiri}`, `pon`/`daiminkan {target, pai, consumed}`,
//! `ankan`, `kakan`, Kita as `nukidora` or `kita`, `reach`, `dora`, `hora {actor, target,
//! deltas, ura_markers | uradora_markers}`, `ryukyoku {reason, deltas}`, `end_kyoku`,
//! `end_game {scores}`. Score arrays have 3 entries, or 4 with a last 0.
//!
//! mjai carries no rule header: games are read as Tenhou's ranked 3-player ones
//! (hanchan, red fives). Tools differ in what they keep — some drop the ura indicators or
//! the final scores — and what is absent stays empty.

use meowlab_hand::Tile;
use serde_json::Value;

use crate::error::LogError;
use crate::game::{Discard, DrawKind, GameLog, LogRules, RoundLog, RoundResult, Take, Win};

/// Reads one game from mjai JSON lines; `file` names the input in errors.
pub fn read(text: &str, file: &str) -> Result<GameLog, LogError> {
    let mut names: [String; 3] = Default::default();
    let mut source = std::path::Path::new(file)
        .file_name()
        .map(|n| {
            n.to_string_lossy()
                .split('.')
                .next()
                .unwrap_or_default()
                .to_string()
        })
        .unwrap_or_default();
    let mut rounds: Vec<RoundLog> = Vec::new();
    let mut current: Option<RoundLog> = None;
    let mut riichi: Option<usize> = None;
    let mut final_scores = None;
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let at = format!("line {}", n + 1);
        let err = |what: String| LogError::at(file, &at, what);
        let e: Value = serde_json::from_str(line).map_err(|e| LogError::Syntax {
            file: file.to_string(),
            message: format!("{at}: invalid JSON: {e}"),
        })?;
        let kind = e
            .get("type")
            .and_then(Value::as_str)
            .ok_or_else(|| err("an event without a \"type\"".into()))?;
        let seat = |key: &str| -> Result<usize, LogError> {
            let v = e
                .get(key)
                .and_then(Value::as_u64)
                .ok_or_else(|| err(format!("{kind}: no {key}")))?;
            match v {
                0..=2 => Ok(v as usize),
                _ => Err(LogError::FourPlayer {
                    file: file.to_string(),
                    why: format!("{at}: {kind} by seat {v}"),
                }),
            }
        };
        let tile_of = |v: &Value, what: &str| -> Result<Tile, LogError> {
            let name = v
                .as_str()
                .ok_or_else(|| err(format!("{kind}: {what} is not a tile name")))?;
            Tile::from_mjai(name).ok_or_else(|| {
                err(format!(
                    "{kind}: {what} {name:?} is not a known tile (\"?\" cannot be replayed)"
                ))
            })
        };
        let tiles_of = |key: &str| -> Result<Vec<Tile>, LogError> {
            e.get(key)
                .and_then(Value::as_array)
                .ok_or_else(|| err(format!("{kind}: no {key} list")))?
                .iter()
                .map(|t| tile_of(t, key))
                .collect()
        };
        let scores_of = |v: &Value, what: &str| -> Result<[i32; 3], LogError> {
            let a = v
                .as_array()
                .ok_or_else(|| err(format!("{kind}: {what} is not a list")))?;
            let n: Vec<i64> = a
                .iter()
                .map(|x| {
                    x.as_i64()
                        .ok_or_else(|| err(format!("{kind}: {what} holds a non-integer")))
                })
                .collect::<Result<_, _>>()?;
            match n[..] {
                [a, b, c] | [a, b, c, 0] => {
                    let c32 = |x: i64| {
                        i32::try_from(x)
                            .map_err(|_| err(format!("{kind}: {what} {x} out of range")))
                    };
                    Ok([c32(a)?, c32(b)?, c32(c)?])
                }
                [_, _, _, _] => Err(LogError::FourPlayer {
                    file: file.to_string(),
                    why: format!("{at}: {what} has a fourth seat"),
                }),
                _ => Err(err(format!(
                    "{kind}: {what} has {} entries (expected 3)",
                    n.len()
                ))),
            }
        };
        match kind {
            "start_game" => {
                if let Some(list) = e.get("names").and_then(Value::as_array) {
                    if list.len() == 4 && list[3].as_str().is_some_and(|s| !s.is_empty()) {
                        return Err(LogError::FourPlayer {
                            file: file.to_string(),
                            why: format!("{at}: four names"),
                        });
                    }
                    for (i, name) in names.iter_mut().enumerate() {
                        *name = list
                            .get(i)
                            .and_then(Value::as_str)
                            .unwrap_or("")
                            .to_string();
                    }
                }
                if let Some(id) = e
                    .get("uri")
                    .and_then(Value::as_str)
                    .and_then(|u| u.split("log=").nth(1))
                {
                    source = id.split('&').next().unwrap_or(id).to_string();
                }
            }
            "start_kyoku" => {
                if current.is_some() {
                    return Err(err(
                        "start_kyoku before the previous round's end_kyoku".into()
                    ));
                }
                let wind = match e.get("bakaze").and_then(Value::as_str) {
                    Some("E") => 0,
                    Some("S") => 1,
                    Some("W") => 2,
                    other => return Err(err(format!("start_kyoku: bakaze {other:?}"))),
                };
                let number = e
                    .get("kyoku")
                    .and_then(Value::as_u64)
                    .filter(|k| (1..=3).contains(k))
                    .ok_or_else(|| {
                        err("start_kyoku: kyoku must be 1–3 in a 3-player game".into())
                    })?;
                let small = |key: &str| -> Result<u8, LogError> {
                    e.get(key)
                        .and_then(Value::as_u64)
                        .and_then(|v| u8::try_from(v).ok())
                        .ok_or_else(|| err(format!("start_kyoku: no {key}")))
                };
                let hands_json = e
                    .get("tehais")
                    .and_then(Value::as_array)
                    .ok_or_else(|| err("start_kyoku: no tehais".into()))?;
                if hands_json.len() == 4 && hands_json[3].as_array().is_some_and(|h| !h.is_empty())
                {
                    return Err(LogError::FourPlayer {
                        file: file.to_string(),
                        why: format!("{at}: a fourth hand"),
                    });
                }
                let mut hands: [Vec<Tile>; 3] = Default::default();
                for (s, hand) in hands.iter_mut().enumerate() {
                    let h = hands_json
                        .get(s)
                        .and_then(Value::as_array)
                        .ok_or_else(|| err(format!("start_kyoku: no hand {s}")))?;
                    *hand = h
                        .iter()
                        .map(|t| tile_of(t, "tehais"))
                        .collect::<Result<_, _>>()?;
                    if hand.len() != 13 {
                        return Err(err(format!(
                            "start_kyoku: hand {s} has {} tiles (expected 13)",
                            hand.len()
                        )));
                    }
                    hand.sort();
                }
                current = Some(RoundLog {
                    index: 4 * wind + (number as u8 - 1),
                    honba: small("honba")?,
                    deposits: small("kyotaku")?,
                    scores: scores_of(e.get("scores").unwrap_or(&Value::Null), "scores")?,
                    dora_indicators: vec![tile_of(
                        e.get("dora_marker").unwrap_or(&Value::Null),
                        "dora_marker",
                    )?],
                    ura_indicators: vec![],
                    hands,
                    takes: Default::default(),
                    discards: Default::default(),
                    result: RoundResult::Draw {
                        kind: DrawKind::Exhaustive,
                        deltas: [0; 3],
                    },
                });
                riichi = None;
            }
            "tsumo" => {
                let r = open(&mut current, kind, file, &at)?;
                let s = seat("actor")?;
                r.takes[s].push(Take::Draw(tile_of(
                    e.get("pai").unwrap_or(&Value::Null),
                    "pai",
                )?));
            }
            "dahai" => {
                let r = open(&mut current, kind, file, &at)?;
                let s = seat("actor")?;
                let tile = tile_of(e.get("pai").unwrap_or(&Value::Null), "pai")?;
                // after a pon nothing was drawn: some converters still mark the discard
                // of the seat's last drawn tile as tsumogiri
                let after_call = matches!(r.takes[s].last(), Some(Take::Pon { .. }))
                    && r.takes[s].len() == r.discards[s].len() + 1;
                let tsumogiri =
                    !after_call && e.get("tsumogiri").and_then(Value::as_bool).unwrap_or(false);
                r.discards[s].push(if riichi == Some(s) {
                    riichi = None;
                    Discard::Riichi { tile, tsumogiri }
                } else {
                    Discard::Tile { tile, tsumogiri }
                });
            }
            "reach" => {
                open(&mut current, kind, file, &at)?;
                riichi = Some(seat("actor")?);
            }
            "pon" | "daiminkan" => {
                let r = open(&mut current, kind, file, &at)?;
                let (s, from) = (seat("actor")?, seat("target")?);
                let called = tile_of(e.get("pai").unwrap_or(&Value::Null), "pai")?;
                let mut tiles = tiles_of("consumed")?;
                tiles.push(called);
                tiles.sort();
                match (kind, &tiles[..]) {
                    ("pon", &[a, b, c]) => r.takes[s].push(Take::Pon {
                        called,
                        from,
                        tiles: [a, b, c],
                    }),
                    ("daiminkan", &[a, b, c, d]) => {
                        r.takes[s].push(Take::Daiminkan {
                            called,
                            from,
                            tiles: [a, b, c, d],
                        });
                        r.discards[s].push(Discard::AfterKan);
                    }
                    _ => {
                        return Err(err(format!(
                            "{kind}: {} tiles with the called one",
                            tiles.len()
                        )))
                    }
                }
            }
            "ankan" => {
                let r = open(&mut current, kind, file, &at)?;
                let s = seat("actor")?;
                let mut tiles = tiles_of("consumed")?;
                tiles.sort();
                let [a, b, c, d] = tiles[..] else {
                    return Err(err(format!("ankan: {} tiles (expected 4)", tiles.len())));
                };
                r.discards[s].push(Discard::Ankan([a, b, c, d]));
            }
            "kakan" => {
                let r = open(&mut current, kind, file, &at)?;
                let s = seat("actor")?;
                let added = tile_of(e.get("pai").unwrap_or(&Value::Null), "pai")?;
                // mjai does not say whom the pon came from: the seat's pon of that kind does
                let from = r.takes[s]
                    .iter()
                    .find_map(|t| match t {
                        Take::Pon { called, from, .. } if called.kind() == added.kind() => {
                            Some(*from)
                        }
                        _ => None,
                    })
                    .ok_or_else(|| err(format!("kakan of {added:?} without a pon of it")))?;
                r.discards[s].push(Discard::Kakan { added, from });
            }
            "nukidora" | "kita" => {
                let r = open(&mut current, kind, file, &at)?;
                r.discards[seat("actor")?].push(Discard::Kita);
            }
            "dora" => {
                let r = open(&mut current, kind, file, &at)?;
                r.dora_indicators.push(tile_of(
                    e.get("dora_marker").unwrap_or(&Value::Null),
                    "dora_marker",
                )?);
            }
            "hora" => {
                let r = open(&mut current, kind, file, &at)?;
                let winner = seat("actor")?;
                let from = seat("target")?;
                let deltas = scores_of(
                    e.get("deltas").ok_or_else(|| {
                        err(
                            "hora: no deltas (the score changes are needed to check the game)"
                                .into(),
                        )
                    })?,
                    "deltas",
                )?;
                let ura = e.get("ura_markers").or_else(|| e.get("uradora_markers"));
                if let (Some(list), true) =
                    (ura.and_then(Value::as_array), r.ura_indicators.is_empty())
                {
                    r.ura_indicators = list
                        .iter()
                        .map(|t| tile_of(t, "ura_markers"))
                        .collect::<Result<_, _>>()?;
                }
                let win = Win {
                    winner,
                    from,
                    pao: winner,
                    deltas,
                    text: vec![],
                    // mjai tools name yaku their own way: not compared
                    score: None,
                };
                match &mut r.result {
                    RoundResult::Wins(w) => w.push(win),
                    other => *other = RoundResult::Wins(vec![win]),
                }
            }
            "ryukyoku" => {
                let r = open(&mut current, kind, file, &at)?;
                let deltas = match e.get("deltas") {
                    Some(d) => scores_of(d, "deltas")?,
                    None => [0; 3],
                };
                let tenpai = e
                    .get("tenpais")
                    .and_then(Value::as_array)
                    .map(|t| t.iter().filter(|x| x.as_bool() == Some(true)).count());
                let kind = match e.get("reason").and_then(Value::as_str) {
                    None | Some("fanpai") | Some("ryukyoku") | Some("exhaustive") => match tenpai {
                        Some(3) => DrawKind::AllTenpai,
                        Some(0) => DrawKind::AllNoten,
                        _ => DrawKind::Exhaustive,
                    },
                    // meowlab's own names too ("kyuushu", "nagashi")
                    Some("kyushukyuhai") | Some("kyuushukyuuhai") | Some("kyuushu") => {
                        DrawKind::NineTerminals
                    }
                    Some("nagashimangan") | Some("nagashi_mangan") | Some("nagashi") => {
                        DrawKind::NagashiMangan
                    }
                    Some("suukaikan") | Some("sukaikan") => DrawKind::FourKans,
                    Some("sanchaho") | Some("sanchahou") => DrawKind::TripleRon,
                    Some("suuchariichi") | Some("sanchariichi") | Some("suucha_riichi") => {
                        DrawKind::AllRiichi
                    }
                    Some(other) => return Err(err(format!("ryukyoku: unknown reason {other:?}"))),
                };
                r.result = RoundResult::Draw { kind, deltas };
            }
            "end_kyoku" => {
                open(&mut current, kind, file, &at)?;
                rounds.extend(current.take());
            }
            "end_game" => {
                if let Some(s) = e.get("scores") {
                    final_scores = Some(scores_of(s, "scores")?);
                }
            }
            // reach_accepted (the stake follows from the result), and tools' extras
            _ => {}
        }
    }
    if current.is_some() {
        return Err(LogError::at(
            file,
            "the end",
            "the log ends inside a round (no end_kyoku; truncated?)",
        ));
    }
    if rounds.is_empty() {
        return Err(LogError::at(
            file,
            "",
            "no rounds (no start_kyoku … end_kyoku)",
        ));
    }
    // mjai states no rules: hanchan (East-only logs are imported with that said), and red
    // fives unless a round shows a fourth plain 5p or 5s
    let plain_fives = |r: &RoundLog| {
        let seen = r
            .hands
            .iter()
            .flatten()
            .chain(r.takes.iter().flatten().filter_map(|t| match t {
                Take::Draw(t) => Some(t),
                _ => None,
            }))
            .chain(&r.dora_indicators);
        let mut count = [0; 2];
        for t in seen {
            match t.to_string().as_str() {
                "5p" => count[0] += 1,
                "5s" => count[1] += 1,
                _ => {}
            }
        }
        count.contains(&4)
    };
    let red_fives = !rounds.iter().any(plain_fives);
    GameLog {
        source,
        players: names,
        rules: LogRules {
            hanchan: true,
            red_fives,
        },
        rounds,
        final_scores,
    }
    .validated(file, "")
}

/// The round an event belongs to; an event outside any round is an error.
fn open<'a>(
    current: &'a mut Option<RoundLog>,
    kind: &str,
    file: &str,
    at: &str,
) -> Result<&'a mut RoundLog, LogError> {
    current
        .as_mut()
        .ok_or_else(|| LogError::at(file, at, format!("{kind} outside a round (no start_kyoku)")))
}
