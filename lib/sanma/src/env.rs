//! A turn-based environment over one game, in the agent-environment-cycle model of
//! PettingZoo: one seat acts at a time, with actions as indices of the action space
//! ([`Action::index`]) and a legal mask over it, the observation is the seat's 34×366
//! tile planes, and rewards come at the end of each hand or of the game.
//!
//! When several seats decide at once (calls and ron on a discard), they are asked one
//! after the other in seat order; the engine resolves the decision only when all have
//! answered, so a later seat never sees an earlier seat's answer.
//!
//! An index stands for every legal action it names ([`IndexedAction`]): a discard of the
//! drawn tile is taken as tsumogiri when that is legal, and a pon index takes the first
//! legal pair of tiles.
//!
//! [`IndexedAction`]: crate::action::IndexedAction

use crate::action::{index_name, Action, Seat, ACTION_SPACE};
use crate::game::Game;
use crate::planes::encode;
use crate::rules::Rules;
use crate::stats::HandScore;
use crate::Event;

/// What a seat is rewarded for.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum EnvReward {
    /// At the end of the game: `rewards[rank − 1]` (1st, 2nd, 3rd).
    Rank([f64; 3]),
    /// At the end of each hand: the seat's score change in the hand (wins, draws, honba
    /// and deposits, minus its riichi stick) divided by this many points.
    Score(f64),
}

impl Default for EnvReward {
    /// +1 / 0 / −1 by final rank.
    fn default() -> Self {
        EnvReward::Rank([1.0, 0.0, -1.0])
    }
}

/// Why a step was refused (the game is unchanged).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EnvError {
    /// The game is over: reset first.
    #[error("the game is over (reset to start a new one)")]
    Over,
    /// The index is not a legal action of the seat to act.
    #[error("seat {seat}: action {index} ({name}) is not legal here; legal: {legal}")]
    Illegal {
        /// The seat to act.
        seat: Seat,
        /// The index given.
        index: i64,
        /// Its name, or "outside the action space".
        name: String,
        /// The legal indices with their names.
        legal: String,
    },
    /// A reward setting that cannot work.
    #[error("bad reward: {0}")]
    BadReward(String),
}

/// One game, one seat at a time (see the module docs).
pub struct TurnEnv {
    rules: Rules,
    reward: EnvReward,
    game: Game,
    events_seen: usize,
    hand: HandScore,
    /// Each seat's score changes over the finished hands.
    paid: [i32; 3],
    /// Rewards of each seat from the last step (or reset).
    rewards: [f64; 3],
}

impl TurnEnv {
    /// A new env; the first game is dealt from seed 0 until [`TurnEnv::reset`].
    pub fn new(rules: Rules, reward: EnvReward) -> Result<Self, EnvError> {
        if let EnvReward::Score(points) = reward {
            if !(points.is_finite() && points > 0.0) {
                return Err(EnvError::BadReward(format!(
                    "the score scale must be a positive number of points, not {points}"
                )));
            }
        }
        let game = Game::new(rules.clone(), 0);
        Ok(TurnEnv {
            rules,
            reward,
            game,
            events_seen: 0,
            hand: HandScore::default(),
            paid: [0; 3],
            rewards: [0.0; 3],
        })
    }

    /// Starts a new game dealt from `seed`.
    pub fn reset(&mut self, seed: u64) {
        self.game = Game::new(self.rules.clone(), seed);
        self.events_seen = 0;
        self.hand = HandScore::default();
        self.paid = [0; 3];
        self.rewards = [0.0; 3];
        self.collect_rewards();
    }

    /// The seat to act next, `None` once the game is over.
    pub fn to_act(&self) -> Option<Seat> {
        self.game.deciding().next()
    }

    /// Whether the game has ended.
    pub fn is_over(&self) -> bool {
        self.game.is_over()
    }

    /// The game (events, result, views).
    pub fn game(&self) -> &Game {
        &self.game
    }

    /// Rewards of seats 0, 1, 2 earned by the last step.
    pub fn rewards(&self) -> [f64; 3] {
        self.rewards
    }

    /// Writes `seat`'s tile planes (34 × 366 row-major, 0 or 1) into `planes` and its legal
    /// mask over the action space into `mask` (all false when it is not to act).
    pub fn observe(&self, seat: Seat, planes: &mut [u8], mask: &mut [bool]) {
        let view = self.game.view(seat);
        encode(&view).write_u8(planes);
        legal_mask(&self.game, seat, mask);
    }

    /// The seat to act plays the legal action `index` names.
    pub fn step(&mut self, index: i64) -> Result<(), EnvError> {
        let seat = self.to_act().ok_or(EnvError::Over)?;
        let action = u16::try_from(index)
            .ok()
            .and_then(|i| action_of(self.game.legal_actions(seat), i))
            .ok_or_else(|| illegal(&self.game, seat, index))?;
        self.game
            .act(seat, action)
            .expect("an action from the legal list is legal");
        self.collect_rewards();
        Ok(())
    }

    /// Sets `rewards` from the events since the last step.
    fn collect_rewards(&mut self) {
        self.rewards = [0.0; 3];
        for e in &self.game.events()[self.events_seen..] {
            match (self.reward, self.hand.event(e), e) {
                (EnvReward::Score(points), Some(deltas), _) => {
                    for ((paid, reward), d) in
                        self.paid.iter_mut().zip(&mut self.rewards).zip(deltas)
                    {
                        *paid += d;
                        *reward += f64::from(d) / points;
                    }
                }
                // the deposits left on the table go to first place at the end: so a
                // game's rewards add up to the final score changes
                (EnvReward::Score(points), None, Event::EndGame { .. }) => {
                    let result = self.game.result().expect("a finished game has a result");
                    let start = self.rules.starting_points;
                    for s in 0..3 {
                        let leftover = result.scores[s] - start - self.paid[s];
                        self.rewards[s] += f64::from(leftover) / points;
                    }
                }
                (EnvReward::Rank(by_rank), _, Event::EndGame { .. }) => {
                    let ranks = self
                        .game
                        .result()
                        .expect("a finished game has a result")
                        .ranks;
                    for (r, rank) in self.rewards.iter_mut().zip(ranks) {
                        *r += by_rank[rank as usize - 1];
                    }
                }
                _ => {}
            }
        }
        self.events_seen = self.game.events().len();
    }
}

/// The legal mask of `seat` over the action space (`mask.len()` = [`ACTION_SPACE`]).
pub fn legal_mask(game: &Game, seat: Seat, mask: &mut [bool]) {
    assert_eq!(
        mask.len(),
        ACTION_SPACE,
        "the mask has one entry per action index"
    );
    mask.fill(false);
    for a in game.legal_actions(seat) {
        mask[a.index() as usize] = true;
    }
}

/// The action among `legal` that `index` names: a discard of the drawn tile as
/// tsumogiri when that is legal, else the first legal action with that index.
pub fn action_of(legal: &[Action], index: u16) -> Option<Action> {
    let mut named = legal.iter().copied().filter(|a| a.index() == index);
    let first = named.next()?;
    let tsumogiri = |a: &Action| {
        matches!(
            a,
            Action::Discard {
                tsumogiri: true,
                ..
            }
        )
    };
    Some(if tsumogiri(&first) {
        first
    } else {
        named.find(tsumogiri).unwrap_or(first)
    })
}

fn illegal(game: &Game, seat: Seat, index: i64) -> EnvError {
    illegal_among(game.legal_actions(seat), seat, index)
}

/// The error of `index` when `seat` may play only `legal`.
pub fn illegal_among(legal: &[Action], seat: Seat, index: i64) -> EnvError {
    let name = u16::try_from(index)
        .ok()
        .and_then(index_name)
        .unwrap_or_else(|| format!("outside the action space 0..{ACTION_SPACE}"));
    let mut legal: Vec<u16> = legal.iter().map(|a| a.index()).collect();
    legal.sort_unstable();
    legal.dedup();
    let legal: Vec<String> = legal
        .iter()
        .map(|&i| format!("{i} ({})", index_name(i).unwrap_or_default()))
        .collect();
    EnvError::Illegal {
        seat,
        index,
        name,
        legal: legal.join(", "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::planes::BITS;

    fn play_out(env: &mut TurnEnv) -> ([f64; 3], usize) {
        let mut total = [0.0; 3];
        let mut steps = 0;
        let (mut planes, mut mask) = (vec![0; BITS], vec![false; ACTION_SPACE]);
        while let Some(seat) = env.to_act() {
            env.observe(seat, &mut planes, &mut mask);
            let first = mask
                .iter()
                .position(|&m| m)
                .expect("a deciding seat has a move");
            env.step(first as i64).unwrap();
            for (t, r) in total.iter_mut().zip(env.rewards()) {
                *t += r;
            }
            steps += 1;
        }
        (total, steps)
    }

    #[test]
    fn rank_rewards_come_once_at_the_end() {
        let mut env = TurnEnv::new(Rules::default(), EnvReward::default()).unwrap();
        env.reset(3);
        let (total, steps) = play_out(&mut env);
        assert!(steps > 50);
        let ranks = env.game().result().unwrap().ranks;
        for s in 0..3 {
            assert_eq!(total[s], [1.0, 0.0, -1.0][ranks[s] as usize - 1]);
        }
        assert_eq!(env.step(0), Err(EnvError::Over));
    }

    #[test]
    fn score_rewards_add_up_to_the_final_score_changes() {
        for seed in [11, 12, 13] {
            let mut env = TurnEnv::new(Rules::default(), EnvReward::Score(1000.0)).unwrap();
            env.reset(seed);
            let start = f64::from(env.game().rules().starting_points);
            let (total, _) = play_out(&mut env);
            let result = env.game().result().unwrap();
            for (s, (&score, got)) in result.scores.iter().zip(total).enumerate() {
                let change = (f64::from(score) - start) / 1000.0;
                assert!(
                    (change - got).abs() < 1e-9,
                    "seed {seed} seat {s}: {change} vs {got}"
                );
            }
        }
    }

    #[test]
    fn illegal_indices_are_refused_by_name() {
        let mut env = TurnEnv::new(Rules::default(), EnvReward::default()).unwrap();
        env.reset(5);
        let seat = env.to_act().unwrap();
        let err = env.step(999).unwrap_err().to_string();
        assert!(
            err.contains("999 (outside the action space 0..150)"),
            "{err}"
        );
        let (mut planes, mut mask) = (vec![0; BITS], vec![false; ACTION_SPACE]);
        env.observe(seat, &mut planes, &mut mask);
        let not_legal = mask.iter().position(|&m| !m).unwrap();
        let err = env.step(not_legal as i64).unwrap_err().to_string();
        assert!(
            err.starts_with(&format!("seat {seat}: action {not_legal} (")),
            "{err}"
        );
        assert!(err.contains("legal: "), "{err}");
        assert_eq!(env.to_act(), Some(seat), "a refused step changes nothing");
        assert!(matches!(
            TurnEnv::new(Rules::default(), EnvReward::Score(0.0)),
            Err(EnvError::BadReward(_))
        ));
    }

    #[test]
    fn the_observation_is_the_encoded_view() {
        let mut env = TurnEnv::new(Rules::default(), EnvReward::default()).unwrap();
        env.reset(8);
        let seat = env.to_act().unwrap();
        let (mut planes, mut mask) = (vec![9; BITS], vec![true; ACTION_SPACE]);
        env.observe(seat, &mut planes, &mut mask);
        let want = encode(&env.game().view(seat));
        for (i, &p) in planes.iter().enumerate() {
            assert_eq!(p == 1, want.get(i / 366, i % 366));
            assert!(p <= 1);
        }
        let legal: Vec<u16> = env
            .game()
            .legal_actions(seat)
            .iter()
            .map(|a| a.index())
            .collect();
        for (i, &m) in mask.iter().enumerate() {
            assert_eq!(m, legal.contains(&(i as u16)));
        }
        // another seat's mask is empty
        env.observe((seat + 1) % 3, &mut planes, &mut mask);
        assert!(mask.iter().all(|&m| !m));
    }
}
