//! One logged game through the engine: each hand is dealt from a wall rebuilt from the
//! log (hands, live and replacement draws, dora and ura indicators), every action the log
//! records is played as a seat's choice and must be legal, and every round must end as
//! the log says — the same wins (winner, payer, score changes), the same draw, the next
//! round starting where the log's does, and the same final scores.

use meowlab_hand::Tile;
use meowlab_logs::{Discard, GameLog, RoundLog, RoundResult, Step, Take};
use meowlab_sanma::event::round_index;
use meowlab_sanma::game::KyokuStart;
use meowlab_sanma::wall::WallSpec;
use meowlab_sanma::{Action, Event, Game, GameLength, Phase, Rules, Seat, Wall};

use crate::compare;

/// Where a logged game and the engine part ways.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{round}, {turn}: {reason}")]
pub struct Mismatch {
    /// The round, as Tenhou names it (e.g. "South 2, honba 1"); "game" for the end.
    pub round: String,
    /// The turn: the seat and its discard-slot number, or "start"/"end" of the round.
    pub turn: String,
    /// The first difference.
    pub reason: String,
}

/// The engine rules a log's header implies: Tenhou's sanma rules with the log's length
/// and red fives.
pub fn rules_of(log: &GameLog) -> Rules {
    Rules {
        length: if log.rules.hanchan {
            GameLength::Hanchan
        } else {
            GameLength::Tonpuu
        },
        red_fives: log.rules.red_fives,
        ..Rules::default()
    }
}

/// A seed for the replayed game, a function of the log's id (FNV-1a), so a re-import
/// gives the same run. The walls come from the log, not from the seed.
pub fn seed_of(source: &str) -> u64 {
    source.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// Tenhou's name of a round: "East 1, honba 0".
pub fn round_name(round: &RoundLog) -> String {
    let wind = ["East", "South", "West", "North"][usize::from(round.index / 4).min(3)];
    format!("{wind} {}, honba {}", round.index % 4 + 1, round.honba)
}

/// Replays `log` through the engine, calling `before_act(game, seat, action)` before
/// each decision is applied (a logger records it there). Returns the finished game, or
/// the first place where the log and the engine differ.
pub fn replay(
    log: &GameLog,
    mut before_act: impl FnMut(&Game, Seat, Action),
) -> Result<Game, Mismatch> {
    let rules = rules_of(log);
    let first = log.rounds.first().ok_or_else(|| Mismatch {
        round: "game".into(),
        turn: "start".into(),
        reason: "the log has no rounds".into(),
    })?;
    let mut plans = Vec::with_capacity(log.rounds.len());
    for round in &log.rounds {
        plans.push(plan(round, rules.red_fives)?);
    }
    let walls: Vec<Wall> = plans.iter().map(|p| p.wall.clone()).collect();
    let mut game = Game::with_walls(
        rules,
        seed_of(&log.source),
        log.players.to_vec(),
        start_of(first),
        walls,
    );
    let mut k = 0;
    let mut at = 0;
    let mut kyoku_start = 1; // index of the current round's start_kyoku event
    loop {
        let round = &log.rounds[k];
        let plan = &plans[k];
        let end =
            round_end(&game, kyoku_start).or_else(|| game.is_over().then(|| game.events().len()));
        if let Some(end) = end {
            // the round is over: its result, then the next round's start or the game's end
            compare::result(round, &game.events()[kyoku_start..end]).map_err(|reason| {
                Mismatch {
                    round: round_name(round),
                    turn: "end".into(),
                    reason,
                }
            })?;
            if at < plan.steps.len() {
                return Err(Mismatch {
                    round: round_name(round),
                    turn: "end".into(),
                    reason: format!(
                        "the engine ended the round with {} logged actions left, the next {:?}",
                        plan.steps.len() - at,
                        plan.steps[at]
                    ),
                });
            }
            k += 1;
            at = 0;
            if game.is_over() {
                return finish(log, game, k);
            }
            kyoku_start = end + 1;
            let Some(next) = log.rounds.get(k) else {
                return Err(Mismatch {
                    round: "game".into(),
                    turn: "end".into(),
                    reason: format!(
                        "the log ends after {k} rounds, the engine plays on ({})",
                        describe_start(&game.events()[kyoku_start])
                    ),
                });
            };
            compare::start(next, &game.events()[kyoku_start]).map_err(|reason| Mismatch {
                round: round_name(next),
                turn: "start".into(),
                reason,
            })?;
            continue;
        }
        let actions =
            choose(&game, round, &plan.steps, &mut at).map_err(|(seat, reason)| Mismatch {
                round: round_name(round),
                turn: turn_name(&plan.steps, at, seat),
                reason,
            })?;
        for (seat, action) in actions {
            before_act(&game, seat, action);
            game.act(seat, action).map_err(|e| Mismatch {
                round: round_name(round),
                turn: turn_name(&plan.steps, at, seat),
                reason: format!("the engine refuses the logged action: {e}"),
            })?;
        }
    }
}

/// A round made ready for the engine: its steps in play order and its wall.
struct Plan {
    steps: Vec<Step>,
    wall: Wall,
}

fn plan(round: &RoundLog, red: bool) -> Result<Plan, Mismatch> {
    let at_start = |reason: String| Mismatch {
        round: round_name(round),
        turn: "start".into(),
        reason,
    };
    let steps = round
        .steps()
        .map_err(|e| at_start(format!("the log's slots do not interleave: {e}")))?;
    let tiles = round.wall_tiles(&steps);
    let spec = WallSpec {
        hands: [&tiles.hands[0], &tiles.hands[1], &tiles.hands[2]],
        draws: &tiles.draws,
        replacements: &tiles.replacements,
        dora: &round.dora_indicators,
        ura: &round.ura_indicators,
        red,
    };
    let wall = Wall::build(&spec)
        .map_err(|e| at_start(format!("the round's tiles do not fit one wall: {e}")))?;
    Ok(Plan { steps, wall })
}

fn start_of(round: &RoundLog) -> KyokuStart {
    KyokuStart {
        round: 3 * (round.index / 4) + round.index % 4,
        honba: u32::from(round.honba),
        deposits: u32::from(round.deposits),
        scores: Some(round.scores),
    }
}

fn describe_start(e: &Event) -> String {
    match e {
        Event::StartKyoku {
            bakaze,
            kyoku,
            honba,
            ..
        } => format!(
            "round index {}, honba {honba}",
            round_index(*bakaze, *kyoku)
        ),
        other => format!("{other:?}"),
    }
}

/// Where the round that started at `kyoku_start` ended (its `end_kyoku`), once it has.
fn round_end(game: &Game, kyoku_start: usize) -> Option<usize> {
    game.events()
        .get(kyoku_start..)?
        .iter()
        .position(|e| matches!(e, Event::EndKyoku))
        .map(|p| kyoku_start + p)
}

fn finish(log: &GameLog, game: Game, rounds_played: usize) -> Result<Game, Mismatch> {
    let at_end = |reason: String| Mismatch {
        round: "game".into(),
        turn: "end".into(),
        reason,
    };
    if rounds_played < log.rounds.len() {
        return Err(at_end(format!(
            "the engine ends the game after {rounds_played} rounds, the log has {}",
            log.rounds.len()
        )));
    }
    if let (Some(logged), Some(result)) = (log.final_scores, game.result()) {
        if logged != result.scores {
            return Err(at_end(format!(
                "final scores {:?} in the log, {:?} in the engine",
                logged, result.scores
            )));
        }
    }
    Ok(game)
}

/// "seat 1, turn 7": the seat and how many of its discard slots it has used.
fn turn_name(steps: &[Step], at: usize, seat: Seat) -> String {
    let turns = steps[..at.min(steps.len())]
        .iter()
        .filter(|s| matches!(s, Step::Act { seat: s, .. } if *s == usize::from(seat)))
        .count();
    format!("seat {seat}, turn {}", turns + 1)
}

/// The deciding seats' actions at this decision point, read off the log's steps from
/// `at` (advanced past what they use); errors name the seat.
fn choose(
    game: &Game,
    round: &RoundLog,
    steps: &[Step],
    at: &mut usize,
) -> Result<Vec<(Seat, Action)>, (Seat, String)> {
    match game.phase() {
        Phase::Turn { seat } => {
            let s = usize::from(seat);
            if let Some(&Step::Draw { seat: d, tile, .. }) = steps.get(*at) {
                if d != s {
                    return Err((
                        seat,
                        format!("the engine has seat {seat} to move, the log has seat {d} draw"),
                    ));
                }
                let drawn = game.view(seat).drawn();
                if drawn != Some(tile) {
                    return Err((
                        seat,
                        format!("the log draws {tile}, the engine dealt {drawn:?}"),
                    ));
                }
                *at += 1;
            }
            let action = match steps.get(*at) {
                Some(&Step::Act { seat: a, discard }) if a == s => {
                    *at += 1;
                    turn_action(discard)
                }
                Some(other) => {
                    return Err((
                        seat,
                        format!("the engine has seat {seat} to move, the log has {other:?}"),
                    ))
                }
                None => match &round.result {
                    RoundResult::Wins(wins)
                        if wins.iter().any(|w| w.winner == s && w.from == s) =>
                    {
                        Action::Tsumo
                    }
                    RoundResult::Draw {
                        kind: meowlab_logs::DrawKind::NineTerminals,
                        ..
                    } => Action::Kyuushu,
                    other => {
                        return Err((
                            seat,
                            format!(
                                "the log's round ends here ({other:?}), but seat {seat} is to move"
                            ),
                        ))
                    }
                },
            };
            Ok(vec![(seat, action)])
        }
        Phase::Respond { from, .. } => {
            let mut chosen: Vec<(Seat, Action)> = Vec::with_capacity(2);
            match steps.get(*at) {
                Some(&Step::Call { seat: c, take }) => {
                    let caller = c as Seat;
                    let action = call_action(game, caller, take).ok_or_else(|| {
                        (caller, format!("the engine offers no {take:?} to seat {c}"))
                    })?;
                    *at += 1;
                    chosen.push((caller, action));
                }
                None => {
                    if let RoundResult::Wins(wins) = &round.result {
                        for w in wins
                            .iter()
                            .filter(|w| w.from == usize::from(from) && w.winner != w.from)
                        {
                            chosen.push((w.winner as Seat, Action::Ron));
                        }
                    }
                }
                Some(_) => {}
            }
            Ok(game
                .deciding()
                .map(|s| {
                    chosen
                        .iter()
                        .find(|(c, _)| *c == s)
                        .map_or((s, Action::Pass), |&c| c)
                })
                .chain(
                    chosen
                        .iter()
                        .filter(|(c, _)| !game.deciding().any(|s| s == *c))
                        .copied(),
                )
                .collect())
        }
        Phase::GameOver => Ok(Vec::new()),
    }
}

fn turn_action(discard: Discard) -> Action {
    match discard {
        Discard::Tile { tile, tsumogiri } => Action::Discard { tile, tsumogiri },
        Discard::Riichi { tile, tsumogiri } => Action::Riichi { tile, tsumogiri },
        Discard::Ankan(tiles) => Action::Ankan {
            tile: tiles[0].kind(),
        },
        Discard::Kakan { added, .. } => Action::Kakan { tile: added.kind() },
        Discard::Kita => Action::Kita,
        // never reached: `RoundLog::steps` consumes the placeholder with its open kan
        Discard::AfterKan => Action::Pass,
    }
}

/// The engine's action for a logged call, if the engine offers it to `seat`.
fn call_action(game: &Game, seat: Seat, take: Take) -> Option<Action> {
    let legal = game.legal_actions(seat);
    match take {
        Take::Pon { called, tiles, .. } => {
            let mut mine: Vec<Tile> = tiles.to_vec();
            let i = mine.iter().position(|&t| t == called)?;
            mine.remove(i);
            mine.sort();
            legal.iter().copied().find(|a| match a {
                Action::Pon { consumed } => {
                    let mut c = consumed.to_vec();
                    c.sort();
                    c == mine
                }
                _ => false,
            })
        }
        Take::Daiminkan { .. } => legal.iter().copied().find(|a| *a == Action::Daiminkan),
        Take::Draw(_) => None,
    }
}
