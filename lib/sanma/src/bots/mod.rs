//! Agents that choose actions from a seat's view, and [`play_game`]: one game with them
//! through the [`Arena`].

mod heuristic;
mod spec;

pub use heuristic::HeuristicAgent;
pub use spec::{parse_seats, AgentSpec, SpecError};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::action::{Action, Seat};
use crate::arena::{Arena, BatchAgent, IllegalMove, Observer, Reply, Seated, Table};
use crate::game::Game;
use crate::rules::Rules;
use crate::view::SeatView;

/// Something that plays a seat. It sees only what the seat may know.
pub trait Agent {
    /// A short name for logs and reports.
    fn name(&self) -> String;

    /// Chooses one of `view.legal_actions()` (never empty when called).
    fn act(&mut self, view: &SeatView<'_>) -> Action;

    /// Called before each game, so a seeded agent plays the same way for the same seed.
    fn start_game(&mut self, _seed: u64) {}

    /// The agent's probabilities over the action space (`ACTION_SPACE`, by
    /// `Action::index`) at its last `act`, for logs; `None` for agents without a policy.
    fn last_policy(&self) -> Option<Vec<f32>> {
        None
    }
}

/// Uniform over the legal actions (seeded).
pub struct RandomAgent {
    seat: Seat,
    rng: ChaCha8Rng,
}

impl RandomAgent {
    /// A random agent for `seat` (its stream is re-seeded per game).
    pub fn new(seat: Seat) -> Self {
        RandomAgent {
            seat,
            rng: ChaCha8Rng::seed_from_u64(seat as u64),
        }
    }
}

impl Agent for RandomAgent {
    fn name(&self) -> String {
        "random".into()
    }

    fn act(&mut self, view: &SeatView<'_>) -> Action {
        let legal = view.legal_actions();
        legal[self.rng.gen_range(0..legal.len())]
    }

    fn start_game(&mut self, seed: u64) {
        self.rng =
            ChaCha8Rng::seed_from_u64(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ self.seat as u64);
    }
}

/// Wins when it can, otherwise discards the drawn tile and never calls.
#[derive(Default)]
pub struct TsumogiriAgent;

impl Agent for TsumogiriAgent {
    fn name(&self) -> String {
        "tsumogiri".into()
    }

    fn act(&mut self, view: &SeatView<'_>) -> Action {
        let legal = view.legal_actions();
        let pick = [Action::Tsumo, Action::Ron]
            .into_iter()
            .find(|a| legal.contains(a));
        pick.or_else(|| {
            legal.iter().copied().find(|a| {
                matches!(
                    a,
                    Action::Discard {
                        tsumogiri: true,
                        ..
                    }
                )
            })
        })
        .or_else(|| {
            legal
                .iter()
                .copied()
                .find(|a| matches!(a, Action::Discard { .. } | Action::Pass))
        })
        .unwrap_or(legal[0])
    }
}

/// Builds a bot from its name: `random`, `tsumogiri` or `heuristic` (see [`AgentSpec`];
/// model seats are built by `meowlab_meowjong::agent::build_agent`).
pub fn agent_from_name(name: &str, seat: Seat) -> Result<Box<dyn Agent>, SpecError> {
    name.parse::<AgentSpec>()?.build_bot(seat)
}

/// Plays one full game with three agents (seat order) through the [`Arena`] (one game in
/// flight). Stops at an illegal action.
pub fn play_game(
    rules: Rules,
    seed: u64,
    agents: &mut [Box<dyn Agent>],
) -> Result<Game, IllegalMove> {
    play_game_with(rules, seed, agents, |_, _, _| Ok(()))
}

/// Like [`play_game`], calling `before_act(game, seat, reply)` before each chosen action
/// is applied (for logging or invariant checks); its error stops the game.
pub fn play_game_with<E: From<IllegalMove>>(
    rules: Rules,
    seed: u64,
    agents: &mut [Box<dyn Agent>],
    before_act: impl FnMut(&Game, Seat, &Reply) -> Result<(), E>,
) -> Result<Game, E> {
    assert_eq!(agents.len(), 3, "sanma needs three agents");
    let mut seated: Vec<Seated<'_>> = agents.iter_mut().map(|a| Seated::new(a.as_mut())).collect();
    let mut players: Vec<&mut dyn BatchAgent> = seated
        .iter_mut()
        .map(|s| s as &mut dyn BatchAgent)
        .collect();
    let table = Table {
        seed,
        players: [0, 1, 2],
    };
    let mut hook = Hook {
        before_act,
        game: None,
        error: std::marker::PhantomData,
    };
    Arena::new(rules, 1).play(&[table], &mut players, &mut hook)?;
    Ok(hook.game.expect("the arena reports every game it plays"))
}

/// The observer of [`play_game_with`]: its hook, and the game at the end.
struct Hook<F, E> {
    before_act: F,
    game: Option<Game>,
    error: std::marker::PhantomData<E>,
}

impl<F, E> Observer for Hook<F, E>
where
    F: FnMut(&Game, Seat, &Reply) -> Result<(), E>,
    E: From<IllegalMove>,
{
    type Error = E;

    fn before_act(&mut self, _: usize, game: &Game, seat: Seat, reply: &Reply) -> Result<(), E> {
        (self.before_act)(game, seat, reply)
    }

    fn game_over(&mut self, _: usize, game: Game) -> Result<(), E> {
        self.game = Some(game);
        Ok(())
    }
}
