//! The table as a replay viewer shows it: a snapshot of every seat's hand, discards,
//! melds and Kita plus the round state ([`Board`]), and [`replay_decisions`], which
//! replays a logged game (seed, rules and the decisions' action indices) into one board
//! per decision. The workbench and the notebooks draw from these; nothing here knows
//! about files.

use meowlab_hand::Tile;

use crate::action::{Action, Seat};
use crate::event::Event;
use crate::game::{CalledMeld, Discard, Game};
use crate::rules::Rules;

/// One seat at one moment.
#[derive(Clone, Debug, PartialEq)]
pub struct SeatBoard {
    /// Concealed tiles, sorted, without the drawn tile.
    pub hand: Vec<Tile>,
    /// The tile just drawn, when the seat holds one apart.
    pub drawn: Option<Tile>,
    /// Discards in order (riichi tile, tsumogiri and called flags included).
    pub discards: Vec<Discard>,
    /// Called melds (and closed kans).
    pub melds: Vec<CalledMeld>,
    /// Norths set aside.
    pub kita: u8,
    /// In riichi.
    pub riichi: bool,
    /// Current score.
    pub score: i32,
    /// Seat wind.
    pub wind: Tile,
    /// Agent or player name.
    pub name: String,
}

/// The whole table at one moment (open replay: every hand visible).
#[derive(Clone, Debug, PartialEq)]
pub struct Board {
    /// The three seats.
    pub seats: [SeatBoard; 3],
    /// Round wind.
    pub round_wind: Tile,
    /// Round index (0..=8: E1 … W3).
    pub round: u8,
    /// Dealer seat.
    pub dealer: Seat,
    /// Honba counters.
    pub honba: u32,
    /// Riichi sticks on the table.
    pub deposits: u32,
    /// Revealed dora indicators.
    pub dora_indicators: Vec<Tile>,
    /// Live tiles left.
    pub tiles_left: usize,
}

impl Board {
    /// The table of `game` now.
    pub fn of(game: &Game, names: &[String; 3]) -> Board {
        let seat = |s: Seat| {
            let v = game.view(s);
            let drawn = v.drawn();
            let mut hand = v.hand();
            if let Some(d) = drawn {
                if let Some(i) = hand.iter().position(|&t| t == d) {
                    hand.remove(i);
                }
            }
            hand.sort();
            SeatBoard {
                hand,
                drawn,
                discards: v.discards(s).to_vec(),
                melds: v.melds(s).to_vec(),
                kita: v.kita(s),
                riichi: v.riichi(s),
                score: v.scores()[s as usize],
                wind: v.seat_wind(),
                name: names[s as usize].clone(),
            }
        };
        let v = game.view(0);
        Board {
            seats: [seat(0), seat(1), seat(2)],
            round_wind: v.round_wind(),
            round: v.round(),
            dealer: v.dealer(),
            honba: v.honba(),
            deposits: v.deposits(),
            dora_indicators: v.dora_indicators().to_vec(),
            tiles_left: v.tiles_left(),
        }
    }

    /// "E1", "S3", …
    pub fn round_label(&self) -> String {
        format!("{}{}", wind_letter(self.round_wind), self.round % 3 + 1)
    }
}

/// "E", "S", "W" or "N" for a wind tile ("?" for any other tile).
pub fn wind_letter(wind: Tile) -> &'static str {
    match wind.index() {
        27 => "E",
        28 => "S",
        29 => "W",
        30 => "N",
        _ => "?",
    }
}

/// A decision as logged: who chose, the action index and the tsumogiri flag (the index
/// alone does not tell a tsumogiri from a hand discard of the same tile).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoggedDecision {
    /// The deciding seat.
    pub seat: Seat,
    /// `Action::index` of the action taken.
    pub action: u16,
    /// The discard was the drawn tile.
    pub tsumogiri: bool,
}

impl LoggedDecision {
    /// The legal action of `game` this decision names (its index, and for a discard
    /// whether it was the drawn tile), when its seat is deciding.
    pub fn find(&self, game: &Game) -> Option<Action> {
        game.legal_actions(self.seat).iter().copied().find(|a| {
            a.index() == self.action
                && match a {
                    Action::Discard { tsumogiri, .. } => *tsumogiri == self.tsumogiri,
                    _ => true,
                }
        })
    }
}

impl From<(Seat, Action)> for LoggedDecision {
    /// A decision of [`Game::history`], as a log records it.
    fn from((seat, action): (Seat, Action)) -> Self {
        LoggedDecision {
            seat,
            action: action.index(),
            tsumogiri: matches!(
                action,
                Action::Discard {
                    tsumogiri: true,
                    ..
                }
            ),
        }
    }
}

/// One decision of a replayed game.
#[derive(Clone, Debug)]
pub struct ReplayedDecision {
    /// The deciding seat.
    pub seat: Seat,
    /// The action taken.
    pub action: Action,
    /// The legal actions the seat had.
    pub legal: Vec<Action>,
    /// The table before the action.
    pub board: Board,
    /// How many of the game's events had happened before the action.
    pub events_before: usize,
}

/// A logged game replayed decision by decision.
#[derive(Clone, Debug)]
pub struct GameReplay {
    /// The decisions that replayed, in order.
    pub decisions: Vec<ReplayedDecision>,
    /// The table after the last decision that replayed.
    pub final_board: Board,
    /// Every event the replay produced (mjai).
    pub events: Vec<Event>,
    /// Why the replay stopped early, naming the decision, when it did.
    pub error: Option<String>,
}

/// Replays a game from its seed, rules, seat names and logged decisions. A decision that
/// does not fit the game (corrupt or foreign log) stops the replay there: what replayed
/// so far is kept and `error` says which decision failed and why.
pub fn replay_decisions(
    rules: Rules,
    seed: u64,
    names: [String; 3],
    logged: &[LoggedDecision],
) -> GameReplay {
    replay_decisions_in(Game::with_names(rules, seed, names.to_vec()), names, logged)
}

/// [`replay_decisions`] from a game already dealt (e.g. by
/// [`crate::replay::dealt_game`] for an imported game, whose walls are in its events).
pub fn replay_decisions_in(
    mut game: Game,
    names: [String; 3],
    logged: &[LoggedDecision],
) -> GameReplay {
    let mut decisions = Vec::with_capacity(logged.len());
    let mut error = None;
    for (i, d) in logged.iter().enumerate() {
        let deciding: Vec<Seat> = game.deciding().collect();
        if !deciding.contains(&d.seat) {
            error = Some(format!(
                "decision {i}: seat {} is not deciding (deciding: {deciding:?})",
                d.seat
            ));
            break;
        }
        let legal = game.legal_actions(d.seat).to_vec();
        let Some(action) = d.find(&game) else {
            error = Some(format!(
                "decision {i}: action index {} is not legal for seat {}",
                d.action, d.seat
            ));
            break;
        };
        decisions.push(ReplayedDecision {
            seat: d.seat,
            action,
            legal,
            board: Board::of(&game, &names),
            events_before: game.events().len(),
        });
        if let Err(e) = game.act(d.seat, action) {
            error = Some(format!("decision {i}: {e}"));
            break;
        }
    }
    if error.is_none() && !game.is_over() {
        error = Some(format!(
            "the log ends after {} decisions but the game is not over",
            logged.len()
        ));
    }
    GameReplay {
        decisions,
        final_board: Board::of(&game, &names),
        events: game.events().to_vec(),
        error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bots::{play_game, Agent, HeuristicAgent, RandomAgent};

    fn logged_game() -> (Game, Vec<LoggedDecision>) {
        let mut agents: Vec<Box<dyn Agent>> = vec![
            Box::new(HeuristicAgent),
            Box::new(RandomAgent::new(5)),
            Box::new(HeuristicAgent),
        ];
        let game = play_game(Rules::default(), 11, &mut agents).unwrap();
        let log = game.history().iter().map(|&d| d.into()).collect();
        (game, log)
    }

    fn names() -> [String; 3] {
        ["a".into(), "b".into(), "c".into()]
    }

    #[test]
    fn a_logged_game_replays_to_the_same_end() {
        let (game, log) = logged_game();
        let r = replay_decisions(Rules::default(), 11, names(), &log);
        assert_eq!(r.error, None);
        assert_eq!(r.decisions.len(), log.len());
        // the same events after `start_game` (which names the seats)
        assert!(r.events[1..] == game.events()[1..], "events differ");
        assert_eq!(
            r.final_board.seats.each_ref().map(|s| s.score),
            game.result().unwrap().scores
        );
        // 13 concealed tiles (+ a drawn one) minus 3 per meld, on the first turn
        let first = &r.decisions[0].board;
        let dealer = &first.seats[first.dealer as usize];
        assert_eq!(dealer.hand.len(), 13);
        assert_eq!(first.round_label(), "E1");
        assert!(dealer.drawn.is_some());
        assert!(r
            .decisions
            .windows(2)
            .all(|w| w[0].events_before <= w[1].events_before));
        for d in &r.decisions {
            assert!(d.legal.contains(&d.action));
            for s in &d.board.seats {
                let held = s.hand.len() + s.drawn.is_some() as usize + 3 * s.melds.len();
                assert!((13..=14).contains(&held), "{held} tiles held");
            }
        }
    }

    #[test]
    fn a_corrupt_log_stops_at_the_bad_decision_and_keeps_the_rest() {
        let (_, mut log) = logged_game();
        log[40].action = 148; // kyuushu, never legal that late
        let r = replay_decisions(Rules::default(), 11, names(), &log);
        assert_eq!(r.decisions.len(), 40);
        let e = r.error.unwrap();
        assert!(e.starts_with("decision 40:"), "{e}");
        let short = replay_decisions(Rules::default(), 11, names(), &log[..10]);
        assert_eq!(short.decisions.len(), 10);
        assert!(short.error.unwrap().contains("not over"));
    }
}
