//! The arena: many games in lockstep, every pending decision answered in one batch.
//!
//! A schedule of [`Table`]s (a seed and which player sits in each seat) is played with
//! up to `in_flight` games at a time. At each step the arena gathers the decisions of
//! every game in flight, hands each player all of its own at once
//! ([`BatchAgent::act_batch`]: one forward pass per model kind for a network agent),
//! applies the answers and moves on; finished games are replaced by the next tables.
//! This is how Mortal reaches its throughput (`BatchGame`, `react_batch`).
//!
//! **Results do not depend on `in_flight`.** Every game has its own seed and walls;
//! every player keeps its state per (table, seat) and seeds it from the game's seed
//! ([`BatchAgent::start_game`]); actions of one game are applied in seat order, as a
//! one-at-a-time loop would; and [`Observer::game_over`] sees the games in schedule
//! order. So a schedule played with 1, 7 or 64 games in flight gives identical games and
//! identical logs.
//!
//! Single-decision [`Agent`]s take part through [`EachGame`] (one instance per table
//! and seat, made by a factory) or, for one game at a time, [`Seated`].

use std::collections::BTreeMap;

use crate::action::{Action, IllegalAction, Seat};
use crate::bots::Agent;
use crate::event::Event;
use crate::game::Game;
use crate::rules::Rules;
use crate::stats::HandScore;
use crate::view::SeatView;

/// One pending decision handed to a [`BatchAgent`].
pub struct Decision<'a> {
    /// The game's index in the schedule (stable whatever `in_flight` is).
    pub table: usize,
    /// The deciding seat.
    pub seat: Seat,
    /// What the seat sees, with its legal actions.
    pub view: SeatView<'a>,
}

/// An answer to a [`Decision`].
#[derive(Clone, Debug, PartialEq)]
pub struct Reply {
    /// The chosen action (one of the view's legal actions).
    pub action: Action,
    /// The agent's probabilities over the action space (`ACTION_SPACE`, by
    /// `Action::index`), for logs; `None` for agents without a policy.
    pub policy: Option<Vec<f32>>,
}

impl Reply {
    /// An answer without a policy.
    pub fn action(action: Action) -> Self {
        Reply {
            action,
            policy: None,
        }
    }
}

/// A finished hand, for learners: the score change of every seat within the hand
/// (wins and draws with honba and deposits, minus riichi sticks put down in it; see
/// [`HandScore`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KyokuEnd {
    /// The hand's number within the game (0 = the first hand played).
    pub ordinal: u16,
    /// Round (0..=8: E1 E2 E3 S1 …) and honba of the hand.
    pub round: u8,
    /// Honba counters of the hand.
    pub honba: u32,
    /// Score change per seat.
    pub deltas: [i32; 3],
}

/// A player that answers many decisions at once. It keeps whatever state it needs per
/// (table, seat) — that is what makes results independent of the batch size.
pub trait BatchAgent {
    /// A short name for logs and reports.
    fn name(&self) -> String;

    /// A game starts at `table` with this player in `seat`; `seed` is the game's seed
    /// (seed per-game random streams from it).
    fn start_game(&mut self, _table: usize, _seat: Seat, _seed: u64) {}

    /// Answers every decision, in order: `replies` is cleared and gets one reply per
    /// decision, each one of its view's legal actions.
    fn act_batch(&mut self, decisions: &[Decision<'_>], replies: &mut Vec<Reply>);

    /// A hand of `table` ended (called for each seat this player holds).
    fn end_kyoku(&mut self, _table: usize, _seat: Seat, _end: &KyokuEnd) {}

    /// The game of `table` is over (called for each seat this player holds); drop its
    /// per-game state here.
    fn end_game(&mut self, _table: usize, _seat: Seat, _game: &Game) {}
}

/// One scheduled game: its seed and the player (an index into the players given to
/// [`Arena::play`]) in each seat.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Table {
    /// The game seed (walls, and the players' per-game streams).
    pub seed: u64,
    /// Player index of seats 0, 1 and 2.
    pub players: [usize; 3],
}

/// An illegal action in the arena: the game cannot go on.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("table {table} (seed {seed}): illegal action: {source}")]
pub struct IllegalMove {
    /// The game's index in the schedule.
    pub table: usize,
    /// The game's seed.
    pub seed: u64,
    /// What was refused and why.
    pub source: IllegalAction,
}

/// What the arena reports while it plays (logging, invariant checks, results).
pub trait Observer {
    /// The error that stops play (an illegal action becomes one of these).
    type Error: From<IllegalMove>;

    /// `seat` of `table` chose `reply`; called just before it is applied, in the order a
    /// one-at-a-time loop would apply it.
    fn before_act(
        &mut self,
        _table: usize,
        _game: &Game,
        _seat: Seat,
        _reply: &Reply,
    ) -> Result<(), Self::Error> {
        Ok(())
    }

    /// A game is over; called in schedule order.
    fn game_over(&mut self, table: usize, game: Game) -> Result<(), Self::Error>;
}

/// Collects the finished games in schedule order.
#[derive(Default)]
pub struct Collect(pub Vec<Game>);

impl Observer for Collect {
    type Error = IllegalMove;

    fn game_over(&mut self, _table: usize, game: Game) -> Result<(), IllegalMove> {
        self.0.push(game);
        Ok(())
    }
}

/// Plays schedules of games in lockstep.
#[derive(Clone, Debug)]
pub struct Arena {
    /// The rules of every game.
    pub rules: Rules,
    /// Games played at once (at least 1).
    pub in_flight: usize,
}

/// A game in flight.
struct Live {
    table: usize,
    game: Game,
    /// Events already scanned for hand ends.
    events_seen: usize,
    /// Hands finished so far.
    hands: u16,
    /// Round and honba of the hand being played.
    hand: (u8, u32),
    /// Score change of the hand being played so far.
    score: HandScore,
}

impl Arena {
    /// An arena for `rules` with `in_flight` games at a time.
    pub fn new(rules: Rules, in_flight: usize) -> Self {
        Arena { rules, in_flight }
    }

    /// Plays every table of `tables` with `players` (indexed by [`Table::players`]),
    /// reporting to `observer`. Stops at the first error.
    pub fn play<O: Observer>(
        &self,
        tables: &[Table],
        players: &mut [&mut dyn BatchAgent],
        observer: &mut O,
    ) -> Result<(), O::Error> {
        let new_game =
            |t: &Table, names: Vec<String>| Game::with_names(self.rules.clone(), t.seed, names);
        self.play_from(tables, players, observer, &new_game)
    }

    /// [`Arena::play`] with the games dealt by `new_game(table, seat names)` instead of
    /// from the rules and the table's seed (scenario tests, curricula on hand-built walls).
    pub fn play_from<O: Observer>(
        &self,
        tables: &[Table],
        players: &mut [&mut dyn BatchAgent],
        observer: &mut O,
        new_game: &dyn Fn(&Table, Vec<String>) -> Game,
    ) -> Result<(), O::Error> {
        for t in tables {
            assert!(
                t.players.iter().all(|&p| p < players.len()),
                "a table names a player that was not given"
            );
        }
        let names: Vec<String> = players.iter().map(|p| p.name()).collect();
        let mut live: Vec<Live> = Vec::with_capacity(self.in_flight.max(1));
        let mut next_table = 0;
        let mut finished: BTreeMap<usize, Game> = BTreeMap::new();
        let mut next_to_report = 0;
        let mut replies: Vec<Vec<Reply>> = vec![Vec::new(); players.len()];
        // per game in flight, the reply of each seat
        let mut chosen: Vec<[Option<Reply>; 3]> = Vec::new();
        loop {
            while live.len() < self.in_flight.max(1) && next_table < tables.len() {
                let t = tables[next_table];
                let seat_names = t.players.iter().map(|&p| names[p].clone()).collect();
                let game = new_game(&t, seat_names);
                for (seat, &p) in (0u8..).zip(&t.players) {
                    players[p].start_game(next_table, seat, t.seed);
                }
                let mut l = Live {
                    table: next_table,
                    game,
                    events_seen: 0,
                    hands: 0,
                    hand: (0, 0),
                    score: HandScore::default(),
                };
                // a game can end before anyone decides only in theory; scan anyway
                scan_hand_ends(&mut l, &t, players);
                live.push(l);
                next_table += 1;
            }
            if live.is_empty() {
                break;
            }

            // every pending decision, each player's in one batch
            chosen.clear();
            chosen.resize(live.len(), [None, None, None]);
            for (p, player) in players.iter_mut().enumerate() {
                let mut whose = Vec::new();
                let decisions: Vec<Decision<'_>> = live
                    .iter()
                    .enumerate()
                    .flat_map(|(slot, l)| {
                        let t = &tables[l.table];
                        l.game
                            .deciding()
                            .filter(move |&seat| t.players[seat as usize] == p)
                            .map(move |seat| (slot, l, seat))
                    })
                    .map(|(slot, l, seat)| {
                        whose.push((slot, seat));
                        Decision {
                            table: l.table,
                            seat,
                            view: l.game.view(seat),
                        }
                    })
                    .collect();
                if decisions.is_empty() {
                    continue;
                }
                let out = &mut replies[p];
                player.act_batch(&decisions, out);
                assert_eq!(
                    out.len(),
                    decisions.len(),
                    "{} answered {} of {} decisions",
                    names[p],
                    out.len(),
                    decisions.len()
                );
                for (&(slot, seat), reply) in whose.iter().zip(out.drain(..)) {
                    chosen[slot][seat as usize] = Some(reply);
                }
            }

            // apply in seat order per game, then report the ended hands and games
            let mut slot = 0;
            while slot < live.len() {
                let l = &mut live[slot];
                for seat in 0..3u8 {
                    if let Some(reply) = chosen[slot][seat as usize].take() {
                        observer.before_act(l.table, &l.game, seat, &reply)?;
                        l.game
                            .act(seat, reply.action)
                            .map_err(|source| IllegalMove {
                                table: l.table,
                                seed: l.game.seed(),
                                source,
                            })?;
                    }
                }
                let t = tables[l.table];
                scan_hand_ends(l, &t, players);
                if l.game.is_over() {
                    let done = live.swap_remove(slot);
                    chosen.swap_remove(slot);
                    for (seat, &p) in (0u8..).zip(&t.players) {
                        players[p].end_game(done.table, seat, &done.game);
                    }
                    finished.insert(done.table, done.game);
                    while let Some(game) = finished.remove(&next_to_report) {
                        observer.game_over(next_to_report, game)?;
                        next_to_report += 1;
                    }
                } else {
                    slot += 1;
                }
            }
        }
        Ok(())
    }
}

/// Reports the hands of `l` that ended since the last scan to its players.
fn scan_hand_ends(l: &mut Live, t: &Table, players: &mut [&mut dyn BatchAgent]) {
    let events = l.game.events();
    for e in &events[l.events_seen..] {
        if let Event::StartKyoku {
            bakaze,
            kyoku,
            honba,
            ..
        } = e
        {
            l.hand = (crate::event::round_index(*bakaze, *kyoku), *honba);
        }
        if let Some(deltas) = l.score.event(e) {
            let end = KyokuEnd {
                ordinal: l.hands,
                round: l.hand.0,
                honba: l.hand.1,
                deltas,
            };
            for (seat, &p) in (0u8..).zip(&t.players) {
                players[p].end_kyoku(l.table, seat, &end);
            }
            l.hands += 1;
        }
    }
    l.events_seen = events.len();
}

/// Single-decision agents in the arena: one instance per (table, seat), made by a
/// factory for the seat and started with the game's seed, dropped when the game ends.
pub struct EachGame<F> {
    make: F,
    name: String,
    agents: BTreeMap<(usize, Seat), Box<dyn Agent>>,
}

impl<F: FnMut(Seat) -> Box<dyn Agent>> EachGame<F> {
    /// Wraps a factory of agents (called with the seat the agent will sit in).
    pub fn new(mut make: F) -> Self {
        let name = make(0).name();
        EachGame {
            make,
            name,
            agents: BTreeMap::new(),
        }
    }
}

impl<F: FnMut(Seat) -> Box<dyn Agent>> BatchAgent for EachGame<F> {
    fn name(&self) -> String {
        self.name.clone()
    }

    fn start_game(&mut self, table: usize, seat: Seat, seed: u64) {
        let mut agent = (self.make)(seat);
        agent.start_game(seed);
        self.agents.insert((table, seat), agent);
    }

    fn act_batch(&mut self, decisions: &[Decision<'_>], replies: &mut Vec<Reply>) {
        replies.clear();
        for d in decisions {
            let agent = self
                .agents
                .get_mut(&(d.table, d.seat))
                .expect("start_game was called for every seat");
            let action = agent.act(&d.view);
            replies.push(Reply {
                action,
                policy: agent.last_policy(),
            });
        }
    }

    fn end_game(&mut self, table: usize, seat: Seat, _game: &Game) {
        self.agents.remove(&(table, seat));
    }
}

/// A borrowed single-decision agent, for schedules that play one game at a time
/// (`in_flight` = 1): the same instance serves every game, started with each game's
/// seed, as [`play_game`](crate::play_game) always did.
pub struct Seated<'a> {
    agent: &'a mut dyn Agent,
    table: Option<usize>,
}

impl<'a> Seated<'a> {
    /// Seats `agent`.
    pub fn new(agent: &'a mut dyn Agent) -> Self {
        Seated { agent, table: None }
    }
}

impl BatchAgent for Seated<'_> {
    fn name(&self) -> String {
        self.agent.name()
    }

    fn start_game(&mut self, table: usize, _seat: Seat, seed: u64) {
        assert!(
            self.table.is_none(),
            "a Seated agent plays one game at a time (in_flight = 1, one seat)"
        );
        self.table = Some(table);
        self.agent.start_game(seed);
    }

    fn act_batch(&mut self, decisions: &[Decision<'_>], replies: &mut Vec<Reply>) {
        replies.clear();
        for d in decisions {
            let action = self.agent.act(&d.view);
            replies.push(Reply {
                action,
                policy: self.agent.last_policy(),
            });
        }
    }

    fn end_game(&mut self, _table: usize, _seat: Seat, _game: &Game) {
        self.table = None;
    }
}
