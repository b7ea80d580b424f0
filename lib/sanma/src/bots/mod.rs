//! Agents that choose actions from a seat's view, and a loop that plays a game with them.

mod heuristic;
mod spec;

pub use heuristic::HeuristicAgent;
pub use spec::{parse_seats, AgentSpec, SpecError};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::action::{Action, IllegalAction, Seat};
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

/// Plays one full game with three agents (seat order). Stops at an illegal action.
pub fn play_game(
    rules: Rules,
    seed: u64,
    agents: &mut [Box<dyn Agent>],
) -> Result<Game, IllegalAction> {
    play_game_with(rules, seed, agents, |_, _, _, _| Ok(()))
}

/// Like [`play_game`], calling `before_act(game, seat, action, agent)` before each chosen
/// action is applied (for logging or invariant checks); its error stops the game.
pub fn play_game_with<E: From<IllegalAction>>(
    rules: Rules,
    seed: u64,
    agents: &mut [Box<dyn Agent>],
    mut before_act: impl FnMut(&Game, Seat, Action, &dyn Agent) -> Result<(), E>,
) -> Result<Game, E> {
    assert_eq!(agents.len(), 3, "sanma needs three agents");
    let names = agents.iter().map(|a| a.name()).collect();
    for a in agents.iter_mut() {
        a.start_game(seed);
    }
    let mut game = Game::with_names(rules, seed, names);
    let mut deciding = Vec::with_capacity(3);
    while !game.is_over() {
        deciding.clear();
        deciding.extend(game.deciding());
        for &seat in &deciding {
            let action = agents[seat as usize].act(&game.view(seat));
            before_act(&game, seat, action, agents[seat as usize].as_ref())?;
            game.act(seat, action)?;
        }
    }
    Ok(game)
}
