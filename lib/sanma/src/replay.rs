//! Replaying a game from its mjai event log: each hand's wall is rebuilt from what the
//! log shows (starting hands, live and replacement draws, dora and ura indicators),
//! each seat's action is read off the events, the engine plays them, and the log it
//! produces must be the same, event for event.

use meowlab_hand::Tile;

use crate::action::{Action, Seat};
use crate::event::Event;
use crate::game::{Game, KyokuStart, Phase};
use crate::rules::Rules;
use crate::wall::{Wall, WallSpec};

/// Why a log could not be replayed; `event` is the index in the log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplayError {
    /// Index of the event where replay failed.
    pub event: usize,
    /// What went wrong.
    pub reason: String,
}

impl std::fmt::Display for ReplayError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "event {}: {}", self.event, self.reason)
    }
}

impl std::error::Error for ReplayError {}

fn err(event: usize, reason: impl Into<String>) -> ReplayError {
    ReplayError {
        event,
        reason: reason.into(),
    }
}

/// The wall of the hand starting at `events[start]` (a `start_kyoku`), rebuilt from the log.
fn wall_of_hand(events: &[Event], start: usize, red: bool) -> Result<Wall, ReplayError> {
    let Event::StartKyoku {
        oya,
        dora_marker,
        tehais,
        ..
    } = &events[start]
    else {
        return Err(err(start, "expected start_kyoku"));
    };
    if tehais.len() != 3 || *oya > 2 {
        return Err(err(start, "start_kyoku needs 3 hands and a dealer 0..3"));
    }
    let hands: Vec<&[Tile]> = (0..3)
        .map(|i| tehais[(*oya as usize + i) % 3].as_slice())
        .collect();
    let (mut draws, mut replacements, mut dora, mut ura) =
        (Vec::new(), Vec::new(), vec![*dora_marker], Vec::new());
    let mut replacement_next = false;
    for e in &events[start + 1..] {
        match e {
            Event::Tsumo { pai, .. } => {
                if std::mem::take(&mut replacement_next) {
                    replacements.push(*pai);
                } else {
                    draws.push(*pai);
                }
            }
            Event::Ankan { .. }
            | Event::Daiminkan { .. }
            | Event::Kakan { .. }
            | Event::Nukidora { .. } => replacement_next = true,
            Event::Dora { dora_marker } => dora.push(*dora_marker),
            Event::Hora { ura_markers, .. } if ura.is_empty() => ura.clone_from(ura_markers),
            Event::Hora { .. } => replacement_next = false,
            Event::EndKyoku => break,
            _ => {}
        }
    }
    let spec = WallSpec {
        hands: [hands[0], hands[1], hands[2]],
        draws: &draws,
        replacements: &replacements,
        dora: &dora,
        ura: &ura,
        red,
    };
    Wall::build(&spec).map_err(|e| err(start, format!("the hand's tiles do not fit one wall: {e}")))
}

/// The actions of the deciding seats, read off the log at `next` (the first event the
/// engine has not produced yet).
fn actions_at(game: &Game, log: &[Event], next: usize) -> Result<Vec<(Seat, Action)>, ReplayError> {
    let at = |i: usize| {
        log.get(i)
            .ok_or_else(|| err(i, "the log ends while a decision is pending"))
    };
    let mut out = Vec::with_capacity(2);
    match game.phase() {
        Phase::Turn { seat } => {
            let action = match at(next)? {
                Event::Reach { .. } => match at(next + 1)? {
                    Event::Dahai { pai, tsumogiri, .. } => Action::Riichi {
                        tile: *pai,
                        tsumogiri: *tsumogiri,
                    },
                    other => {
                        return Err(err(
                            next + 1,
                            format!("reach must be followed by dahai, got {other:?}"),
                        ))
                    }
                },
                Event::Dahai { pai, tsumogiri, .. } => Action::Discard {
                    tile: *pai,
                    tsumogiri: *tsumogiri,
                },
                Event::Hora { .. } => Action::Tsumo,
                Event::Nukidora { .. } => Action::Kita,
                Event::Ankan { consumed, .. } => Action::Ankan {
                    tile: consumed
                        .first()
                        .ok_or_else(|| err(next, "ankan without tiles"))?
                        .kind(),
                },
                Event::Kakan { pai, .. } => Action::Kakan { tile: pai.kind() },
                Event::Ryukyoku { reason, .. } if reason == "kyuushu" => Action::Kyuushu,
                other => {
                    return Err(err(
                        next,
                        format!("seat {seat} is to act, but the log has {other:?}"),
                    ))
                }
            };
            out.push((seat, action));
        }
        Phase::Respond { .. } => {
            let deciding: Vec<Seat> = game.deciding().collect();
            let mut chosen: Vec<(Seat, Action)> = Vec::new();
            // a riichi is accepted when its discard is called, before the call's event
            let next = if matches!(log.get(next), Some(Event::ReachAccepted { .. })) {
                next + 1
            } else {
                next
            };
            let mut i = next;
            while let Some(Event::Hora { actor, .. }) = log.get(i) {
                chosen.push((*actor, Action::Ron));
                i += 1;
            }
            if chosen.is_empty() {
                match log.get(next) {
                    Some(Event::Pon {
                        actor, consumed, ..
                    }) if consumed.len() == 2 => chosen.push((
                        *actor,
                        Action::Pon {
                            consumed: [consumed[0], consumed[1]],
                        },
                    )),
                    Some(Event::Daiminkan { actor, .. }) => {
                        chosen.push((*actor, Action::Daiminkan))
                    }
                    _ => {}
                }
            }
            for s in deciding {
                let a = chosen
                    .iter()
                    .find(|(c, _)| *c == s)
                    .map_or(Action::Pass, |&(_, a)| a);
                out.push((s, a));
            }
        }
        Phase::GameOver => {}
    }
    Ok(out)
}

/// The game `log` records, dealt and waiting for its first decision: every hand's wall
/// rebuilt from the log, the first hand's start, the seat names. For games whose walls
/// do not follow from their seed (imported logs).
pub fn dealt_game(rules: Rules, log: &[Event]) -> Result<Game, ReplayError> {
    let Some(Event::StartGame { names, seed }) = log.first() else {
        return Err(err(0, "the log must start with start_game"));
    };
    let starts: Vec<usize> = log
        .iter()
        .enumerate()
        .filter(|(_, e)| matches!(e, Event::StartKyoku { .. }))
        .map(|(i, _)| i)
        .collect();
    let Some(&first) = starts.first() else {
        return Err(err(1, "the log has no start_kyoku"));
    };
    let walls = starts
        .iter()
        .map(|&s| wall_of_hand(log, s, rules.red_fives))
        .collect::<Result<Vec<_>, _>>()?;
    let Event::StartKyoku {
        bakaze,
        oya,
        honba,
        kyotaku,
        scores,
        ..
    } = &log[first]
    else {
        unreachable!()
    };
    let wind = bakaze
        .index()
        .checked_sub(27)
        .filter(|w| *w < 3)
        .ok_or_else(|| err(first, "bakaze must be E, S or W"))?;
    let scores: [i32; 3] = scores
        .as_slice()
        .try_into()
        .map_err(|_| err(first, "start_kyoku needs 3 scores"))?;
    let start = KyokuStart {
        round: wind as u8 * 3 + oya,
        honba: *honba,
        deposits: *kyotaku,
        scores: Some(scores),
    };
    Ok(Game::with_walls(
        rules,
        seed.unwrap_or(0),
        names.clone(),
        start,
        walls,
    ))
}

/// Replays a meowlab mjai log under `rules`; returns the replayed game, whose events
/// equal `log` exactly, or the first place where they differ.
pub fn replay_events(rules: Rules, log: &[Event]) -> Result<Game, ReplayError> {
    let mut game = dealt_game(rules, log)?;
    while !game.is_over() {
        let next = game.events().len();
        check_prefix(&game, log)?;
        for (seat, action) in actions_at(&game, log, next)? {
            game.act(seat, action)
                .map_err(|e| err(next, e.to_string()))?;
        }
    }
    check_prefix(&game, log)?;
    if game.events().len() != log.len() {
        return Err(err(
            game.events().len(),
            "the game ended before the log did",
        ));
    }
    Ok(game)
}

fn check_prefix(game: &Game, log: &[Event]) -> Result<(), ReplayError> {
    for (i, e) in game.events().iter().enumerate() {
        match log.get(i) {
            Some(l) if l == e => {}
            Some(l) => {
                return Err(err(
                    i,
                    format!("the log has {l:?}, the replay produced {e:?}"),
                ))
            }
            None => {
                return Err(err(
                    i,
                    format!("the replay produced {e:?} after the log's end"),
                ))
            }
        }
    }
    Ok(())
}
