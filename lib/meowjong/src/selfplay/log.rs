//! Logging self-play games into the run's tables as they are played in the arena: every
//! decision with the behaviour policy (`decisions`), and each finished game (`games`,
//! `kyoku`, `events`) under the game id given for its place in the schedule.

use std::collections::HashMap;

use meowlab_sanma::arena::{IllegalMove, Observer, Reply};
use meowlab_sanma::{Event, Game, Seat};
use meowlab_store::{AgentOutput, DecisionRecord, SanmaLogger, StoreError};

/// Captures the decisions of the games in flight and writes each game when it ends.
pub(crate) struct GameLog<'a> {
    log: &'a mut SanmaLogger,
    ids: Vec<u64>,
    captured: HashMap<usize, Vec<DecisionRecord>>,
    error: Option<StoreError>,
}

impl<'a> GameLog<'a> {
    /// Logs table `i` of the schedule as game `ids[i]`.
    pub(crate) fn new(log: &'a mut SanmaLogger, ids: Vec<u64>) -> Self {
        GameLog {
            log,
            ids,
            captured: HashMap::new(),
            error: None,
        }
    }

    pub(crate) fn before_act(&mut self, table: usize, game: &Game, seat: Seat, reply: &Reply) {
        let output = AgentOutput {
            policy: reply.policy.clone(),
            value: None,
        };
        let record = self
            .log
            .capture_decision(game, seat, reply.action, output, None);
        self.captured.entry(table).or_default().push(record);
    }

    pub(crate) fn game_over(&mut self, table: usize, game: &Game) {
        let decisions = self.captured.remove(&table).unwrap_or_default();
        let id = self.ids[table];
        // a write error is kept and reported when play ends
        if let Err(e) = self.log.finish_game_with(game, id, decisions) {
            self.error.get_or_insert(e);
        }
    }

    /// The first write error, if any.
    pub(crate) fn finish(self) -> Result<(), StoreError> {
        self.error.map_or(Ok(()), Err)
    }
}

/// An observer that logs the games when given a log, and counts the hands played.
pub(crate) struct Games<'a> {
    pub(crate) log: Option<GameLog<'a>>,
    pub(crate) hands: usize,
}

impl Observer for Games<'_> {
    type Error = IllegalMove;

    fn before_act(
        &mut self,
        table: usize,
        game: &Game,
        seat: Seat,
        reply: &Reply,
    ) -> Result<(), IllegalMove> {
        if let Some(log) = self.log.as_mut() {
            log.before_act(table, game, seat, reply);
        }
        Ok(())
    }

    fn game_over(&mut self, table: usize, game: Game) -> Result<(), IllegalMove> {
        self.hands += game
            .events()
            .iter()
            .filter(|e| matches!(e, Event::EndKyoku))
            .count();
        if let Some(log) = self.log.as_mut() {
            log.game_over(table, &game);
        }
        Ok(())
    }
}
