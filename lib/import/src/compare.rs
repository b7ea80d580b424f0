//! The engine's account of a round against the log's: the result (who won from whom,
//! each win's score changes; the kind of draw and its payments) and where the next
//! round starts (round, dealer, honba, deposits, scores).

use meowlab_hand::Yaku;
use meowlab_logs::yaku::{is_dora, TENHOU_YAKU};
use meowlab_logs::{DrawKind, RoundLog, RoundResult, WinScore};
use meowlab_sanma::Event;

/// The engine's name for a logged kind of draw (`None`: the engine has no such draw).
fn engine_reason(kind: DrawKind) -> Option<&'static str> {
    match kind {
        DrawKind::Exhaustive | DrawKind::AllTenpai | DrawKind::AllNoten => Some("exhaustive"),
        DrawKind::NagashiMangan => Some("nagashi"),
        DrawKind::NineTerminals => Some("kyuushu"),
        DrawKind::FourKans => Some("suukaikan"),
        DrawKind::AllRiichi | DrawKind::TripleRon => None,
    }
}

/// Compares `round`'s result with the engine's events of that round.
pub(crate) fn result(round: &RoundLog, events: &[Event]) -> Result<(), String> {
    let wins: Vec<(usize, usize, &[i32], &Event)> = events
        .iter()
        .filter_map(|e| match e {
            Event::Hora {
                actor,
                target,
                deltas,
                ..
            } => Some((
                usize::from(*actor),
                usize::from(*target),
                deltas.as_slice(),
                e,
            )),
            _ => None,
        })
        .collect();
    let draw = events.iter().find_map(|e| match e {
        Event::Ryukyoku { reason, deltas } => Some((reason.as_str(), deltas.as_slice())),
        _ => None,
    });
    match (&round.result, draw) {
        (RoundResult::Wins(logged), None) => {
            if logged.len() != wins.len() {
                return Err(format!(
                    "the log has {} win(s), the engine {}",
                    logged.len(),
                    wins.len()
                ));
            }
            for w in logged {
                let Some(&(_, target, deltas, hora)) = wins.iter().find(|(a, ..)| *a == w.winner)
                else {
                    return Err(format!(
                        "seat {} wins in the log, not in the engine",
                        w.winner
                    ));
                };
                if target != w.from {
                    return Err(format!(
                        "seat {} wins from seat {} in the log, from seat {target} in the engine",
                        w.winner, w.from
                    ));
                }
                if deltas != w.deltas {
                    return Err(format!(
                        "seat {}'s win changes the scores by {:?} in the log, {deltas:?} in the engine",
                        w.winner, w.deltas
                    ));
                }
                if let Some(score) = &w.score {
                    value(w.winner, score, hora)?;
                }
            }
            Ok(())
        }
        (RoundResult::Draw { kind, deltas }, Some((reason, engine_deltas))) if wins.is_empty() => {
            if engine_reason(*kind) != Some(reason) {
                return Err(format!(
                    "the log ends the round with {kind:?}, the engine with {reason:?}"
                ));
            }
            if engine_deltas != deltas {
                return Err(format!(
                    "the draw changes the scores by {deltas:?} in the log, {engine_deltas:?} in the engine"
                ));
            }
            Ok(())
        }
        (logged, _) => Err(format!(
            "the log ends the round with {logged:?}, the engine with {}",
            match draw {
                Some((reason, _)) => format!("a draw ({reason})"),
                None => format!("{} win(s)", wins.len()),
            }
        )),
    }
}

/// Compares what the log says `winner`'s win is worth (its yaku apart from dora, its
/// han, its fu where stated) with the engine's `hora` event.
fn value(winner: usize, score: &WinScore, hora: &Event) -> Result<(), String> {
    let Event::Hora { han, fu, yaku, .. } = hora else {
        return Ok(());
    };
    let dora_kinds = [Yaku::Dora, Yaku::AkaDora, Yaku::UraDora, Yaku::Nukidora].map(Yaku::name);
    let mut engine: Vec<&str> = yaku
        .iter()
        .map(String::as_str)
        .filter(|y| !dora_kinds.contains(y))
        .collect();
    let mut logged: Vec<&str> = score
        .yaku
        .iter()
        .filter(|(id, _)| !is_dora(*id))
        .map(|&(id, _)| TENHOU_YAKU[usize::from(id)].1.map_or("renhou", Yaku::name))
        .collect();
    engine.sort_unstable();
    logged.sort_unstable();
    if engine != logged {
        return Err(format!(
            "seat {winner}'s win has the yaku {logged:?} in the log, {engine:?} in the engine"
        ));
    }
    if !score.has_yakuman() && score.han() != u32::from(*han) {
        return Err(format!(
            "seat {winner}'s win is worth {} han in the log, {han} in the engine",
            score.han()
        ));
    }
    if let Some(logged_fu) = score.fu {
        if logged_fu != *fu {
            return Err(format!(
                "seat {winner}'s win is worth {logged_fu} fu in the log, {fu} in the engine"
            ));
        }
    }
    Ok(())
}

/// Compares where the engine starts the next round with the log's `next` round.
pub(crate) fn start(next: &RoundLog, event: &Event) -> Result<(), String> {
    let Event::StartKyoku {
        bakaze,
        kyoku,
        honba,
        kyotaku,
        scores,
        ..
    } = event
    else {
        return Err(format!(
            "expected the engine to start a round, it has {event:?}"
        ));
    };
    let wind = bakaze.index().saturating_sub(27);
    let engine = (4 * wind as u8 + kyoku.saturating_sub(1), *honba, *kyotaku);
    let logged = (next.index, u32::from(next.honba), u32::from(next.deposits));
    if engine != logged {
        return Err(format!(
            "the log starts round index {} (honba {}, deposits {}), the engine round index {} (honba {}, deposits {})",
            logged.0, logged.1, logged.2, engine.0, engine.1, engine.2
        ));
    }
    if scores.as_slice() != next.scores {
        return Err(format!(
            "the round starts with scores {:?} in the log, {scores:?} in the engine",
            next.scores
        ));
    }
    Ok(())
}
