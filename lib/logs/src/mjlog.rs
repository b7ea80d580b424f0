//! mjlog XML, the format of Tenhou's archive (plain or gzip-compressed): a flat stream
//! of tags. `<GO type>` holds the rule flags (0x10 3-player, 0x08 hanchan, 0x02 no red
//! fives), `<UN n0..n3>` the URL-encoded names, `<INIT seed ten oya hai0..hai3>` a
//! round's start (seed = round index, honba, deposits, dice, dice, first dora indicator),
//! `<T..>/<U..>/<V..>` draws and `<D..>/<E..>/<F..>` discards of seats 0/1/2 (tile ids
//! 0–135; a discard of the tile just drawn is tsumogiri), `<N who m>` calls with a
//! bit-packed `m` (pon, added kan, closed or open kan, Kita = `(id << 8) | 0x20`),
//! `<REACH step=1>` before a riichi discard, `<DORA hai>`, `<AGARI>` and `<RYUUKYOKU>`
//! with `sc` = (score, change) pairs in hundreds and, on the last one, `owari` = the
//! final scores. `<BYE>`/`<UN>` reconnects, `<SHUFFLE>` and unknown tags carry no play.
//!
//! Read into the same [`GameLog`] as tenhou.net/6 JSON, slot for slot (after an open kan
//! the discard slot is [`Discard::AfterKan`]), so the two readers check each other.

use std::io::Read;

use meowlab_hand::Tile;

use crate::error::LogError;
use crate::game::{
    Discard, DrawKind, GameLog, LogRules, RoundLog, RoundResult, Take, Win, WinScore,
};

/// One tag: its name and attributes, and where it starts (byte offset).
struct Tag<'a> {
    name: &'a str,
    attrs: Vec<(&'a str, &'a str)>,
    offset: usize,
}

impl<'a> Tag<'a> {
    fn get(&self, key: &str) -> Option<&'a str> {
        self.attrs.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
    }
}

/// The tags of `text` in order; errors name the byte offset.
fn tags<'a>(text: &'a str, file: &str) -> Result<Vec<Tag<'a>>, LogError> {
    let syntax = |offset: usize, what: &str| LogError::Syntax {
        file: file.to_string(),
        message: format!("malformed XML at byte {offset}: {what}"),
    };
    let mut out = Vec::new();
    let mut rest = text;
    let mut base = 0;
    while let Some(start) = rest.find('<') {
        let offset = base + start;
        let after = &rest[start + 1..];
        let end = after
            .find('>')
            .ok_or_else(|| syntax(offset, "a tag is not closed (truncated?)"))?;
        let body = after[..end].trim_end_matches('/').trim();
        rest = &after[end + 1..];
        base = offset + 1 + end + 1;
        if body.starts_with('/') || body.starts_with('?') || body.starts_with('!') {
            continue;
        }
        let (name, mut attrs_text) = match body.find(char::is_whitespace) {
            Some(i) => (&body[..i], body[i..].trim()),
            None => (body, ""),
        };
        let mut attrs = Vec::new();
        while !attrs_text.is_empty() {
            let eq = attrs_text.find('=').ok_or_else(|| {
                syntax(offset, &format!("<{name}>: an attribute without a value"))
            })?;
            let key = attrs_text[..eq].trim();
            let value_text = attrs_text[eq + 1..].trim_start();
            let quote = value_text
                .chars()
                .next()
                .filter(|c| *c == '"' || *c == '\'')
                .ok_or_else(|| syntax(offset, &format!("<{name}>: {key}= is not quoted")))?;
            let close = value_text[1..]
                .find(quote)
                .ok_or_else(|| syntax(offset, &format!("<{name}>: {key}= is not closed")))?;
            attrs.push((key, &value_text[1..1 + close]));
            attrs_text = value_text[close + 2..].trim_start();
        }
        out.push(Tag {
            name,
            attrs,
            offset,
        });
    }
    Ok(out)
}

/// `%E3%82%B1…` → UTF-8 text (Tenhou's names).
fn url_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Reads an mjlog file's bytes (gzip-compressed or plain).
pub fn read_bytes(bytes: &[u8], file: &str) -> Result<GameLog, LogError> {
    let text = if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut s = String::new();
        flate2::read::GzDecoder::new(bytes)
            .read_to_string(&mut s)
            .map_err(|e| LogError::Syntax {
                file: file.to_string(),
                message: format!("not a readable gzip file: {e}"),
            })?;
        s
    } else {
        String::from_utf8(bytes.to_vec()).map_err(|e| LogError::Syntax {
            file: file.to_string(),
            message: format!("not UTF-8 text at byte {}", e.utf8_error().valid_up_to()),
        })?
    };
    read(&text, file)
}

/// The state of the round being read.
struct Round {
    log: RoundLog,
    /// Each seat's last drawn tile id, while its turn lasts.
    drawn: [Option<u8>; 3],
    /// A seat that announced riichi (its next discard declares it).
    riichi: Option<usize>,
    aka: bool,
}

/// Reads one game from mjlog XML text.
pub fn read(text: &str, file: &str) -> Result<GameLog, LogError> {
    let tags = tags(text, file)?;
    let at = |t: &Tag<'_>| format!("byte {} (<{}>)", t.offset, t.name);
    let err = |t: &Tag<'_>, what: String| LogError::at(file, &at(t), what);
    let go = tags.iter().find(|t| t.name == "GO");
    let flags: u32 = match go.and_then(|t| t.get("type")) {
        Some(v) => v
            .parse()
            .map_err(|_| LogError::at(file, "<GO>", format!("type=\"{v}\" is not a number")))?,
        None => {
            return Err(LogError::at(
                file,
                "",
                "no <GO type> tag: not an mjlog game",
            ))
        }
    };
    if flags & 0x10 == 0 {
        return Err(LogError::FourPlayer {
            file: file.to_string(),
            why: format!("<GO type=\"{flags}\"> has no 3-player flag (0x10)"),
        });
    }
    let rules = LogRules {
        hanchan: flags & 0x08 != 0,
        red_fives: flags & 0x02 == 0,
    };
    let mut players: [String; 3] = Default::default();
    if let Some(un) = tags
        .iter()
        .find(|t| t.name == "UN" && t.get("n0").is_some())
    {
        for (seat, p) in players.iter_mut().enumerate() {
            *p = url_decode(un.get(&format!("n{seat}")).unwrap_or(""));
        }
    }
    let mut rounds: Vec<RoundLog> = Vec::new();
    let mut current: Option<Round> = None;
    let mut final_scores = None;
    let tile = |t: &Tag<'_>, id: i64, aka: bool| -> Result<Tile, LogError> {
        u8::try_from(id)
            .ok()
            .and_then(|id| Tile::from_id136(id, aka))
            .ok_or_else(|| err(t, format!("{id} is not a tile id (0–135)")))
    };
    let numbers = |t: &Tag<'_>, key: &str| -> Result<Vec<i64>, LogError> {
        let v = t.get(key).ok_or_else(|| err(t, format!("no {key}=")))?;
        if v.is_empty() {
            return Ok(vec![]);
        }
        v.split(',')
            .map(|x| {
                x.trim()
                    .parse::<i64>()
                    .map_err(|_| err(t, format!("{key}=\"{v}\": {x:?} is not a number")))
            })
            .collect()
    };
    for (i, t) in tags.iter().enumerate() {
        let name = t.name;
        let Some(letter) = name.chars().next() else {
            continue; // "<>" or "< …": no tag
        };
        let digits = &name[letter.len_utf8()..];
        if !digits.is_empty()
            && digits.chars().all(|c| c.is_ascii_digit())
            && "TUVWDEFGdefg".contains(letter)
        {
            let r = current
                .as_mut()
                .ok_or_else(|| err(t, "a draw or discard before <INIT>".into()))?;
            let id: i64 = digits.parse().map_err(|_| err(t, "a bad tile id".into()))?;
            let tl = tile(t, id, r.aka)?;
            // T/U/V/W draw for seats 0–3, D/E/F/G (or lowercase) discard
            let (draw, seat) = match letter.to_ascii_uppercase() {
                c @ 'T'..='W' => (true, c as usize - 'T' as usize),
                c => (false, c as usize - 'D' as usize),
            };
            if seat == 3 {
                return Err(LogError::FourPlayer {
                    file: file.to_string(),
                    why: format!("{}: the fourth seat plays", at(t)),
                });
            }
            if draw {
                r.log.takes[seat].push(Take::Draw(tl));
                r.drawn[seat] = Some(id as u8);
            } else {
                let tsumogiri = r.drawn[seat] == Some(id as u8);
                r.drawn[seat] = None;
                let d = if r.riichi == Some(seat) {
                    r.riichi = None;
                    Discard::Riichi {
                        tile: tl,
                        tsumogiri,
                    }
                } else {
                    Discard::Tile {
                        tile: tl,
                        tsumogiri,
                    }
                };
                r.log.discards[seat].push(d);
            }
            continue;
        }
        match name {
            "INIT" => {
                if let Some(r) = current.take() {
                    return Err(err(
                        t,
                        format!("round {} has no result before the next <INIT>", r.log.index),
                    ));
                }
                let seed = numbers(t, "seed")?;
                let ten = numbers(t, "ten")?;
                if seed.len() != 6 || !(ten.len() == 3 || ten.len() == 4) {
                    return Err(err(t, "seed= needs 6 numbers and ten= 3 or 4".into()));
                }
                if ten.len() == 4 && ten[3] != 0 || t.get("hai3").is_some_and(|h| !h.is_empty()) {
                    return Err(LogError::FourPlayer {
                        file: file.to_string(),
                        why: format!("{}: a fourth seat has points or tiles", at(t)),
                    });
                }
                let small = |v: i64, what: &str| {
                    u8::try_from(v).map_err(|_| err(t, format!("{what} {v} is out of range")))
                };
                let mut hands: [Vec<Tile>; 3] = Default::default();
                for (seat, hand) in hands.iter_mut().enumerate() {
                    *hand = numbers(t, &format!("hai{seat}"))?
                        .into_iter()
                        .map(|id| tile(t, id, rules.red_fives))
                        .collect::<Result<_, _>>()?;
                    if hand.len() != 13 {
                        return Err(err(
                            t,
                            format!("hai{seat}: {} tiles (expected 13)", hand.len()),
                        ));
                    }
                    hand.sort();
                }
                let score =
                    |i: usize| points(ten[i]).ok_or_else(|| err(t, "ten= out of range".into()));
                current = Some(Round {
                    log: RoundLog {
                        index: small(seed[0], "round index")?,
                        honba: small(seed[1], "honba")?,
                        deposits: small(seed[2], "deposits")?,
                        scores: [score(0)?, score(1)?, score(2)?],
                        dora_indicators: vec![tile(t, seed[5], rules.red_fives)?],
                        ura_indicators: vec![],
                        hands,
                        takes: Default::default(),
                        discards: Default::default(),
                        result: RoundResult::Draw {
                            kind: DrawKind::Exhaustive,
                            deltas: [0; 3],
                        },
                    },
                    drawn: [None; 3],
                    riichi: None,
                    aka: rules.red_fives,
                });
            }
            "N" => {
                let r = current
                    .as_mut()
                    .ok_or_else(|| err(t, "a call before <INIT>".into()))?;
                let who = seat_of(t, "who", &err)?;
                let m: u32 = t
                    .get("m")
                    .and_then(|m| m.parse().ok())
                    .ok_or_else(|| err(t, "no numeric m=".into()))?;
                call(r, who, m, t, &err)?;
            }
            "REACH" => {
                let r = current
                    .as_mut()
                    .ok_or_else(|| err(t, "riichi before <INIT>".into()))?;
                if t.get("step") == Some("1") {
                    r.riichi = Some(seat_of(t, "who", &err)?);
                }
            }
            "DORA" => {
                let r = current
                    .as_mut()
                    .ok_or_else(|| err(t, "a dora before <INIT>".into()))?;
                let id: i64 = t
                    .get("hai")
                    .and_then(|h| h.parse().ok())
                    .ok_or_else(|| err(t, "no numeric hai=".into()))?;
                let d = tile(t, id, r.aka)?;
                r.log.dora_indicators.push(d);
            }
            "AGARI" | "RYUUKYOKU" => {
                let sc = numbers(t, "sc")?;
                if !(sc.len() == 6 || sc.len() == 8) {
                    return Err(err(
                        t,
                        format!("sc= has {} numbers (expected 6 or 8)", sc.len()),
                    ));
                }
                if sc.len() == 8 && (sc[6] != 0 || sc[7] != 0) {
                    return Err(LogError::FourPlayer {
                        file: file.to_string(),
                        why: format!("{}: a fourth seat's score", at(t)),
                    });
                }
                let mut deltas = [0; 3];
                for (s, d) in deltas.iter_mut().enumerate() {
                    *d = points(sc[2 * s + 1]).ok_or_else(|| err(t, "sc= out of range".into()))?;
                }
                if name == "AGARI" {
                    let r = match current.as_mut() {
                        Some(r) => r,
                        // a double ron: the second <AGARI> joins the round just ended
                        None => return Err(err(t, "a win outside a round".into())),
                    };
                    let winner = seat_of(t, "who", &err)?;
                    let from = seat_of(t, "fromWho", &err)?;
                    let pao = match t.get("paoWho") {
                        Some(_) => seat_of(t, "paoWho", &err)?,
                        None => winner,
                    };
                    if let Some(ura) = t.get("doraHaiUra") {
                        if r.log.ura_indicators.is_empty() {
                            r.log.ura_indicators = ura
                                .split(',')
                                .map(|x| {
                                    x.parse::<i64>()
                                        .map_err(|_| err(t, format!("doraHaiUra: {x:?}")))
                                        .and_then(|id| tile(t, id, r.aka))
                                })
                                .collect::<Result<_, _>>()?;
                        }
                    }
                    let win = Win {
                        winner,
                        from,
                        pao,
                        deltas,
                        text: vec![],
                        score: Some(win_score(t, &numbers, &err)?),
                    };
                    match &mut r.log.result {
                        RoundResult::Wins(w) => w.push(win),
                        other => *other = RoundResult::Wins(vec![win]),
                    }
                } else {
                    let r = current
                        .as_mut()
                        .ok_or_else(|| err(t, "a draw outside a round".into()))?;
                    let tenpai = (0..3)
                        .filter(|s| t.get(&format!("hai{s}")).is_some())
                        .count();
                    let kind = match t.get("type") {
                        None => match tenpai {
                            3 => DrawKind::AllTenpai,
                            0 => DrawKind::AllNoten,
                            _ => DrawKind::Exhaustive,
                        },
                        Some("yao9") => DrawKind::NineTerminals,
                        Some("nm") => DrawKind::NagashiMangan,
                        Some("kan4") => DrawKind::FourKans,
                        Some("reach3") | Some("reach4") => DrawKind::AllRiichi,
                        Some("ron3") => DrawKind::TripleRon,
                        Some(other) => return Err(err(t, format!("unknown draw type {other:?}"))),
                    };
                    r.log.result = RoundResult::Draw { kind, deltas };
                }
                // the round ends unless another <AGARI> (a double ron) follows
                if let Some(owari) = t.get("owari") {
                    let o: Vec<i64> = owari
                        .split(',')
                        .filter_map(|x| x.trim().parse::<f64>().ok().map(|v| v as i64))
                        .collect();
                    if o.len() < 6 {
                        return Err(err(
                            t,
                            format!("owari=\"{owari}\": expected score, uma pairs"),
                        ));
                    }
                    let mut fin = [0; 3];
                    for (s, f) in fin.iter_mut().enumerate() {
                        *f =
                            points(o[2 * s]).ok_or_else(|| err(t, "owari= out of range".into()))?;
                    }
                    final_scores = Some(fin);
                }
                let next_is_win = tags[i + 1..]
                    .iter()
                    .find(|x| !matches!(x.name, "BYE" | "UN"))
                    .is_some_and(|x| x.name == "AGARI");
                if !next_is_win {
                    if let Some(r) = current.take() {
                        rounds.push(r.log);
                    }
                }
            }
            _ => {} // GO, UN, TAIKYOKU, SHUFFLE, BYE, closing tags: no play
        }
    }
    if let Some(r) = current {
        return Err(LogError::at(
            file,
            &format!("round {}", r.log.index),
            "the log ends before the round's result (truncated?)",
        ));
    }
    if rounds.is_empty() {
        return Err(LogError::at(file, "", "no rounds"));
    }
    let source = std::path::Path::new(file)
        .file_name()
        .map(|n| {
            n.to_string_lossy()
                .split('.')
                .next()
                .unwrap_or_default()
                .to_string()
        })
        .unwrap_or_default();
    GameLog {
        source,
        players,
        rules,
        rounds,
        final_scores,
    }
    .validated(file, "")
}

/// Hundreds (mjlog's unit) as points, `None` when out of range.
fn points(hundreds: i64) -> Option<i32> {
    hundreds
        .checked_mul(100)
        .and_then(|p| i32::try_from(p).ok())
}

/// The score `<AGARI>` states: `ten="fu,points,limit"`, `yaku="id,han,…"` and
/// `yakuman="id,…"`. Fu is kept below mangan only (limit 0), as tenhou.net/6 states it;
/// dora kinds worth 0 han (ura when none hit) are left out.
fn win_score(
    t: &Tag<'_>,
    numbers: &impl Fn(&Tag<'_>, &str) -> Result<Vec<i64>, LogError>,
    err: &impl Fn(&Tag<'_>, String) -> LogError,
) -> Result<WinScore, LogError> {
    let ten = numbers(t, "ten")?;
    let [fu, _, limit] = ten[..] else {
        return Err(err(
            t,
            format!("ten= has {} numbers (expected 3)", ten.len()),
        ));
    };
    let small = |x: i64, what: &str| {
        u8::try_from(x).map_err(|_| err(t, format!("{what} {x} is out of range")))
    };
    let mut yaku = Vec::new();
    if t.get("yaku").is_some() {
        let pairs = numbers(t, "yaku")?;
        if pairs.len() % 2 != 0 {
            return Err(err(t, "yaku= needs id,han pairs".into()));
        }
        for pair in pairs.chunks(2) {
            let (id, han) = (small(pair[0], "yaku id")?, small(pair[1], "han")?);
            if usize::from(id) >= crate::yaku::TENHOU_YAKU.len() {
                return Err(err(t, format!("unknown yaku id {id}")));
            }
            if han > 0 {
                yaku.push((id, han));
            }
        }
    }
    if t.get("yakuman").is_some() {
        for id in numbers(t, "yakuman")? {
            let id = small(id, "yakuman id")?;
            if usize::from(id) >= crate::yaku::TENHOU_YAKU.len() {
                return Err(err(t, format!("unknown yaku id {id}")));
            }
            yaku.push((id, crate::yaku::YAKUMAN_HAN));
        }
    }
    Ok(WinScore {
        fu: (limit == 0).then(|| small(fu, "fu")).transpose()?,
        yaku,
    })
}

fn seat_of(
    t: &Tag<'_>,
    key: &str,
    err: &impl Fn(&Tag<'_>, String) -> LogError,
) -> Result<usize, LogError> {
    let v = t.get(key).ok_or_else(|| err(t, format!("no {key}=")))?;
    v.parse::<usize>()
        .ok()
        .filter(|&s| s < 3)
        .ok_or_else(|| err(t, format!("{key}=\"{v}\" is not a seat of a 3-player game")))
}

/// Applies `<N who m>` (the bit layout of Tenhou's meld codes).
fn call(
    r: &mut Round,
    who: usize,
    m: u32,
    t: &Tag<'_>,
    err: &impl Fn(&Tag<'_>, String) -> LogError,
) -> Result<(), LogError> {
    let id = |raw: u32| -> Result<Tile, LogError> {
        u8::try_from(raw)
            .ok()
            .and_then(|id| Tile::from_id136(id, r.aka))
            .ok_or_else(|| err(t, format!("m=\"{m}\": tile id {raw} out of range")))
    };
    let from_rel = (m & 3) as usize;
    let from = (who + from_rel) % 4;
    if m & 0x4 != 0 {
        return Err(err(
            t,
            format!("m=\"{m}\": a chi, which 3-player mahjong has not"),
        ));
    }
    if m & 0x18 != 0 {
        // pon (0x08) or added kan (0x10): kind and which copy was called, and the unused copy
        let code = (m >> 9) & 0x7f;
        let (kind, called) = (code / 3, code % 3);
        if kind >= 34 {
            return Err(err(t, format!("m=\"{m}\": no tile kind {kind}")));
        }
        let unused = (m >> 5) & 0x3;
        let base = kind * 4;
        let three: Vec<u32> = (0..4).filter(|&i| i != unused).map(|i| base + i).collect();
        if from == 3 || from == who {
            return Err(err(t, format!("m=\"{m}\": called from seat {from}")));
        }
        if m & 0x08 != 0 {
            let mut tiles = [id(three[0])?, id(three[1])?, id(three[2])?];
            tiles.sort();
            r.log.takes[who].push(Take::Pon {
                called: id(three[called as usize])?,
                from,
                tiles,
            });
            r.drawn[who] = None;
        } else {
            r.log.discards[who].push(Discard::Kakan {
                added: id(base + unused)?,
                from,
            });
            r.drawn[who] = None;
        }
        return Ok(());
    }
    if m & 0x20 != 0 {
        // Kita: the North tile's id in the high byte
        let tile = id(m >> 8)?;
        if tile.tenhou_code() != 44 {
            return Err(err(
                t,
                format!("m=\"{m}\": Kita of a tile that is not North"),
            ));
        }
        r.log.discards[who].push(Discard::Kita);
        r.drawn[who] = None;
        return Ok(());
    }
    // a kan: the called (or fourth) tile's id in the high byte
    let called_id = m >> 8;
    let base = called_id / 4 * 4;
    if base >= 136 {
        return Err(err(
            t,
            format!("m=\"{m}\": tile id {called_id} out of range"),
        ));
    }
    let mut tiles = [id(base)?, id(base + 1)?, id(base + 2)?, id(base + 3)?];
    tiles.sort();
    if from_rel == 0 {
        r.log.discards[who].push(Discard::Ankan(tiles));
    } else {
        if from == 3 {
            return Err(err(t, format!("m=\"{m}\": called from the fourth seat")));
        }
        r.log.takes[who].push(Take::Daiminkan {
            called: id(called_id)?,
            from,
            tiles,
        });
        // tenhou.net/6 keeps the discard slot of the kan's turn empty
        r.log.discards[who].push(Discard::AfterKan);
    }
    r.drawn[who] = None;
    Ok(())
}
