//! A game of a run, played or imported, back out as a log: its events turned into a
//! [`GameLog`] (the inverse of [`crate::replay`]), which `meowlab_logs::write` prints as
//! tenhou.net/6 JSON; mjai is the events themselves. Importing the export gives the same
//! game, event for event.

use meowlab_hand::points::{base_points, Limit};
use meowlab_hand::{Tile, Yaku};
use meowlab_logs::yaku::TENHOU_YAKU;
use meowlab_logs::{
    Discard, DrawKind, GameLog, LogRules, RoundLog, RoundResult, Take, Win, WinScore,
};
use meowlab_sanma::{Event, GameLength, Rules, WallDealing};

/// Why a game cannot be written as a Tenhou log.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("event {event}: {reason}")]
pub struct ExportError {
    /// Index of the event (0 for the rules).
    pub event: usize,
    /// What cannot be expressed.
    pub reason: String,
}

fn err(event: usize, reason: impl Into<String>) -> ExportError {
    ExportError {
        event,
        reason: reason.into(),
    }
}

/// The Tenhou rule set `rules` amount to (`LogRules`), or why they are not Tenhou's.
pub fn tenhou_rules(rules: &Rules) -> Result<LogRules, ExportError> {
    let hanchan = match rules.length {
        GameLength::Hanchan => true,
        GameLength::Tonpuu => false,
        GameLength::OneHand => {
            return Err(err(0, "one-hand games have no Tenhou equivalent"));
        }
    };
    let tenhou = Rules {
        length: rules.length,
        red_fives: rules.red_fives,
        walls: WallDealing::default(),
        ..Rules::default()
    };
    let played = Rules {
        walls: WallDealing::default(),
        ..rules.clone()
    };
    if played != tenhou {
        return Err(err(
            0,
            "the game's rules differ from Tenhou's in more than length and red fives",
        ));
    }
    Ok(LogRules {
        hanchan,
        red_fives: rules.red_fives,
    })
}

/// Our name of a draw as the log's kind.
fn draw_kind(reason: &str, event: usize) -> Result<DrawKind, ExportError> {
    Ok(match reason {
        "exhaustive" => DrawKind::Exhaustive,
        "nagashi" => DrawKind::NagashiMangan,
        "kyuushu" => DrawKind::NineTerminals,
        "suukaikan" => DrawKind::FourKans,
        other => return Err(err(event, format!("unknown draw {other:?}"))),
    })
}

/// The game recorded by `events` (a run's `events` of one game) as a [`GameLog`] with id
/// `source`.
pub fn game_log(events: &[Event], rules: &Rules, source: &str) -> Result<GameLog, ExportError> {
    let log_rules = tenhou_rules(rules)?;
    let mut players: [String; 3] = Default::default();
    let mut rounds: Vec<RoundLog> = Vec::new();
    let mut riichi: Option<usize> = None;
    let mut final_scores = None;
    for (i, e) in events.iter().enumerate() {
        if let Event::StartGame { names, .. } = e {
            for (p, n) in players.iter_mut().zip(names) {
                p.clone_from(n);
            }
            continue;
        }
        if let Event::StartKyoku {
            bakaze,
            dora_marker,
            honba,
            kyotaku,
            oya,
            scores,
            tehais,
            ..
        } = e
        {
            let wind = bakaze.index().checked_sub(27).filter(|w| *w < 3);
            let (Some(wind), true, true) = (wind, *oya < 3, tehais.len() == 3 && scores.len() == 3)
            else {
                return Err(err(
                    i,
                    "start_kyoku needs a wind E/S/W, a dealer 0–2, 3 hands and 3 scores",
                ));
            };
            let small = |x: u32, what: &str| {
                u8::try_from(x).map_err(|_| err(i, format!("{what} {x} is too large for a log")))
            };
            let mut hands: [Vec<Tile>; 3] = Default::default();
            for (h, t) in hands.iter_mut().zip(tehais) {
                *h = t.clone();
                h.sort();
            }
            rounds.push(RoundLog {
                index: 4 * wind as u8 + oya,
                honba: small(*honba, "honba")?,
                deposits: small(*kyotaku, "deposits")?,
                scores: [scores[0], scores[1], scores[2]],
                dora_indicators: vec![*dora_marker],
                ura_indicators: Vec::new(),
                hands,
                takes: Default::default(),
                discards: Default::default(),
                result: RoundResult::Wins(Vec::new()),
            });
            riichi = None;
            continue;
        }
        if let Event::EndGame { scores } = e {
            if let [a, b, c] = scores[..] {
                final_scores = Some([a, b, c]);
            }
            continue;
        }
        let Some(r) = rounds.last_mut() else {
            if matches!(e, Event::EndKyoku) {
                continue;
            }
            return Err(err(i, format!("{e:?} before the first start_kyoku")));
        };
        let seat = |s: u8| -> Result<usize, ExportError> {
            Some(usize::from(s))
                .filter(|&s| s < 3)
                .ok_or_else(|| err(i, format!("seat {s}")))
        };
        match e {
            Event::Tsumo { actor, pai } => r.takes[seat(*actor)?].push(Take::Draw(*pai)),
            Event::Reach { actor } => riichi = Some(seat(*actor)?),
            Event::Dahai {
                actor,
                pai,
                tsumogiri,
            } => {
                let s = seat(*actor)?;
                let (tile, tsumogiri) = (*pai, *tsumogiri);
                r.discards[s].push(if riichi.take_if(|&mut r| r == s).is_some() {
                    Discard::Riichi { tile, tsumogiri }
                } else {
                    Discard::Tile { tile, tsumogiri }
                });
            }
            Event::Pon {
                actor,
                target,
                pai,
                consumed,
            } => {
                let tiles = meld(consumed, Some(*pai), i, "a pon")?;
                r.takes[seat(*actor)?].push(Take::Pon {
                    called: *pai,
                    from: seat(*target)?,
                    tiles,
                });
            }
            Event::Daiminkan {
                actor,
                target,
                pai,
                consumed,
            } => {
                let tiles = meld(consumed, Some(*pai), i, "an open kan")?;
                let s = seat(*actor)?;
                r.takes[s].push(Take::Daiminkan {
                    called: *pai,
                    from: seat(*target)?,
                    tiles,
                });
                r.discards[s].push(Discard::AfterKan);
            }
            Event::Kakan { actor, pai, .. } => {
                let s = seat(*actor)?;
                let from = r.takes[s]
                    .iter()
                    .find_map(|t| match *t {
                        Take::Pon { called, from, .. } if called.kind() == pai.kind() => Some(from),
                        _ => None,
                    })
                    .ok_or_else(|| err(i, "an added kan without its pon"))?;
                r.discards[s].push(Discard::Kakan { added: *pai, from });
            }
            Event::Ankan { actor, consumed } => {
                let tiles = meld(consumed, None, i, "a closed kan")?;
                r.discards[seat(*actor)?].push(Discard::Ankan(tiles));
            }
            Event::Nukidora { actor, .. } => r.discards[seat(*actor)?].push(Discard::Kita),
            Event::Dora { dora_marker } => r.dora_indicators.push(*dora_marker),
            Event::Hora {
                actor,
                target,
                deltas,
                ura_markers,
                han,
                fu,
                yaku,
                yaku_han,
                ..
            } => {
                if r.ura_indicators.is_empty() {
                    r.ura_indicators.clone_from(ura_markers);
                }
                let (winner, from) = (seat(*actor)?, seat(*target)?);
                let deltas: [i32; 3] = deltas[..]
                    .try_into()
                    .map_err(|_| err(i, "3 score changes"))?;
                let score = win_score(r, winner, *han, *fu, yaku, yaku_han);
                let win = Win {
                    winner,
                    from,
                    pao: liable(winner, from, &deltas),
                    deltas,
                    text: Vec::new(),
                    score,
                };
                match &mut r.result {
                    RoundResult::Wins(w) => w.push(win),
                    other => *other = RoundResult::Wins(vec![win]),
                }
            }
            Event::Ryukyoku { reason, deltas } => {
                r.result = RoundResult::Draw {
                    kind: draw_kind(reason, i)?,
                    deltas: deltas[..]
                        .try_into()
                        .map_err(|_| err(i, "3 score changes"))?,
                };
            }
            _ => {}
        }
    }
    Ok(GameLog {
        source: source.to_string(),
        players,
        rules: log_rules,
        rounds,
        final_scores,
    })
}

/// A meld's tiles in tile order: `consumed` and the `called` tile; `what` names the meld
/// when the count is wrong.
fn meld<const N: usize>(
    consumed: &[Tile],
    called: Option<Tile>,
    event: usize,
    what: &str,
) -> Result<[Tile; N], ExportError> {
    let mut tiles: Vec<Tile> = consumed.iter().copied().chain(called).collect();
    tiles.sort();
    tiles
        .try_into()
        .map_err(|_| err(event, format!("{what} of other than {N} tiles")))
}

/// The seat liable under pao: on a ron, a third seat that pays; on a tsumo, the only
/// payer; else the winner (nobody).
fn liable(winner: usize, from: usize, deltas: &[i32; 3]) -> usize {
    let payers: Vec<usize> = (0..3).filter(|&s| deltas[s] < 0).collect();
    match payers[..] {
        [a, b] if winner != from => {
            if a == from {
                b
            } else {
                a
            }
        }
        [only] if winner == from => only,
        _ => winner,
    }
}

/// What the engine says a win is worth, in Tenhou's terms (yaku ids, Kita inside dora,
/// fu only below mangan); `None` for logs written before the engine kept each yaku's han.
fn win_score(
    r: &RoundLog,
    winner: usize,
    han: u8,
    fu: u8,
    yaku: &[String],
    yaku_han: &[u8],
) -> Option<WinScore> {
    if yaku_han.len() != yaku.len() {
        return None;
    }
    let dealer = r.dealer();
    let seat_wind = ((winner + 3 - dealer) % 3) as u8;
    let round_wind = r.index / 4;
    let id_of = |y: Yaku| -> Option<u8> {
        Some(match y {
            Yaku::SeatWind => 10 + seat_wind,
            Yaku::RoundWind => 14 + round_wind,
            Yaku::Nukidora => 52,
            other => TENHOU_YAKU.iter().position(|(_, m)| *m == Some(other))? as u8,
        })
    };
    let mut out: Vec<(u8, u8)> = Vec::with_capacity(yaku.len());
    for (name, &h) in yaku.iter().zip(yaku_han) {
        let id = id_of(Yaku::from_name(name)?)?;
        match out.iter_mut().find(|(i, _)| *i == id) {
            Some((_, total)) => *total += h,
            None => out.push((id, h)),
        }
    }
    out.retain(|&(_, h)| h > 0);
    out.sort_by_key(|&(id, _)| id);
    let yakuman = out.iter().any(|(id, _)| (37..=51).contains(id));
    let below_mangan = !yakuman && base_points(han, fu, 0, true).1 == Limit::None;
    Some(WinScore {
        fu: below_mangan.then_some(fu),
        yaku: out,
    })
}
