//! [`ModelAgent`]: a Sanma agent that plays with the five Meowjong models, as in the
//! paper: wins (tsumo, ron) and kyuushu are rule-based (always taken); Kita, Kan, Pon and
//! Riichi are taken when their model's probability is above 0.5; the discard is the
//! discard model's most probable legal tile, or a sample from it.
//!
//! Every decision encodes the seat's view as the 34×366 planes once and asks only the
//! models whose decision is legal.
//!
//! **Logged policy.** [`Agent::last_policy`] gives the agent's probabilities over the
//! action space as a sequence of stages — Kita, then Kan, then Pon, then Riichi, then the
//! discard (or Pass on another player's tile) — each binary model taking probability `p`
//! of what is left and passing `1 − p` on; Riichi and discard spread their share over
//! the legal tiles by the discard model renormalised to them. That is exactly the policy
//! of an agent that samples every stage, and it says how sure the greedy agent was.

use std::path::Path;

use meowlab_sanma::bots::{AgentSpec, SpecError};
use meowlab_sanma::planes::encode;
use meowlab_sanma::{Action, Agent, SeatView, ACTION_SPACE};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::model::{find_models, MeowjongNet, ModelKind};
use meowlab_nn::nn::{Dev, NnError};

/// How the discard is chosen from the discard model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DiscardChoice {
    /// The most probable legal tile.
    Argmax,
    /// A sample from the model's probabilities over the legal tiles (seeded per game).
    Sample,
}

/// Why a seat's agent could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildAgentError {
    /// The spec names no agent, or the seats are not three.
    #[error(transparent)]
    Spec(#[from] SpecError),
    /// A model seat's folder does not hold five loadable models.
    #[error("seat {seat} ({spec}): {source}")]
    Models {
        /// The seat.
        seat: u8,
        /// What it asked for.
        spec: AgentSpec,
        /// Why the models did not load.
        source: NnError,
    },
}

/// Builds the agent of any [`AgentSpec`] for `seat`: bots from the engine, model seats
/// from their folder (argmax or sampled discards). What `meowlab play --seats` uses.
pub fn build_agent(
    spec: &AgentSpec,
    seat: u8,
    dev: &Dev,
) -> Result<Box<dyn Agent>, BuildAgentError> {
    match spec {
        AgentSpec::Model { dir, sample } => {
            let choice = if *sample {
                DiscardChoice::Sample
            } else {
                DiscardChoice::Argmax
            };
            let agent = ModelAgent::load(dev, dir, choice, seat).map_err(|source| {
                BuildAgentError::Models {
                    seat,
                    spec: spec.clone(),
                    source,
                }
            })?;
            Ok(Box::new(agent))
        }
        bot => Ok(bot.build_bot(seat)?),
    }
}

/// The agents of the three seats, in seat order.
pub fn build_seats(
    specs: &[AgentSpec; 3],
    dev: &Dev,
) -> Result<Vec<Box<dyn Agent>>, BuildAgentError> {
    specs
        .iter()
        .zip(0u8..)
        .map(|(spec, seat)| build_agent(spec, seat, dev))
        .collect()
}

/// The five models and the decision rules around them.
pub struct ModelAgent {
    /// Models in [`ModelKind::ALL`] order.
    models: Vec<MeowjongNet>,
    choice: DiscardChoice,
    rng: ChaCha8Rng,
    seat: u64,
    last_policy: Option<Vec<f32>>,
}

impl ModelAgent {
    /// Loads the five models from `dir` as `meowlab train-sl` writes them: one folder per
    /// model named `<model>-<preset>` holding `model.safetensors` and `model.json` (the
    /// preset may differ between models; two presets of one model are ambiguous).
    pub fn load(dev: &Dev, dir: &Path, choice: DiscardChoice, seat: u8) -> Result<Self, NnError> {
        let mut models = Vec::new();
        for (kind, folder) in ModelKind::ALL.into_iter().zip(find_models(dir)?) {
            let mut net = MeowjongNet::open(dev, &folder)?;
            net.prepare_inference();
            if net.card.kind != kind {
                return Err(NnError::Format {
                    path: folder.join("model.json").display().to_string(),
                    message: format!("holds a {} model", net.card.kind.name()),
                });
            }
            models.push(net);
        }
        Ok(Self::from_models(models, choice, seat))
    }

    /// An agent from five models in [`ModelKind::ALL`] order (panics otherwise).
    pub fn from_models(models: Vec<MeowjongNet>, choice: DiscardChoice, seat: u8) -> Self {
        assert!(
            models.len() == 5
                && models
                    .iter()
                    .zip(ModelKind::ALL)
                    .all(|(m, k)| m.card.kind == k),
            "ModelAgent needs the five models in ModelKind::ALL order"
        );
        ModelAgent {
            models,
            choice,
            rng: ChaCha8Rng::seed_from_u64(seat as u64),
            seat: seat as u64,
            last_policy: None,
        }
    }

    fn probabilities(&mut self, kind: ModelKind, planes: &[f32]) -> Vec<f32> {
        let index = ModelKind::ALL
            .iter()
            .position(|&k| k == kind)
            .expect("a kind");
        self.models[index].predict(planes, &mut self.rng)
    }
}

/// Whether a legal action belongs to a stage.
type Pick = fn(&Action) -> bool;

/// Legal actions matching `pick`, best representative first: a plain tile before a red
/// five (keep the dora), a hand tile before the drawn one.
fn candidates(legal: &[Action], pick: impl Fn(&Action) -> bool) -> Vec<Action> {
    let mut found: Vec<Action> = legal.iter().copied().filter(pick).collect();
    let key = |a: &Action| match *a {
        Action::Discard { tile, tsumogiri } | Action::Riichi { tile, tsumogiri } => {
            (tile.index(), tile.is_red(), tsumogiri)
        }
        _ => (0, false, false),
    };
    found.sort_by_key(key);
    found.dedup_by_key(|a| key(a).0);
    found
}

/// Index of the chosen tile among options with probabilities `probs`.
fn pick(choice: DiscardChoice, rng: &mut ChaCha8Rng, probs: &[f32]) -> usize {
    match choice {
        DiscardChoice::Argmax => meowlab_rl::argmax(probs),
        DiscardChoice::Sample => {
            let u: f32 = rng.gen();
            let mut acc = 0.0;
            probs
                .iter()
                .position(|p| {
                    acc += p;
                    u < acc
                })
                .unwrap_or(probs.len() - 1)
        }
    }
}

/// The tile of a discard or riichi action.
fn tile_kind(a: &Action) -> usize {
    match *a {
        Action::Discard { tile, .. } | Action::Riichi { tile, .. } => tile.index(),
        _ => unreachable!("not a discard"),
    }
}

impl Agent for ModelAgent {
    fn name(&self) -> String {
        match self.choice {
            DiscardChoice::Argmax => "model".into(),
            DiscardChoice::Sample => "model-sample".into(),
        }
    }

    fn start_game(&mut self, seed: u64) {
        self.rng = ChaCha8Rng::seed_from_u64(seed.wrapping_mul(3).wrapping_add(self.seat));
    }

    fn last_policy(&self) -> Option<Vec<f32>> {
        self.last_policy.clone()
    }

    fn act(&mut self, view: &SeatView<'_>) -> Action {
        let legal = view.legal_actions();
        let mut policy = vec![0.0f32; ACTION_SPACE];
        // Rule-based: always win (before anything else, kyuushu included), always abort
        // with nine terminals.
        let win = legal
            .iter()
            .find(|a| matches!(a, Action::Tsumo | Action::Ron));
        if let Some(&a) = win.or_else(|| legal.iter().find(|a| matches!(a, Action::Kyuushu))) {
            policy[a.index() as usize] = 1.0;
            self.last_policy = Some(policy);
            return a;
        }
        let planes = encode(view).to_f32();
        let mut reach = 1.0f32; // probability of getting to the current stage
        let mut chosen: Option<Action> = None;
        let binary_stages: [(ModelKind, Pick); 3] = [
            (ModelKind::Kita, |a| matches!(a, Action::Kita)),
            (ModelKind::Kan, |a| {
                matches!(
                    a,
                    Action::Ankan { .. } | Action::Kakan { .. } | Action::Daiminkan
                )
            }),
            (ModelKind::Pon, |a| matches!(a, Action::Pon { .. })),
        ];
        for (kind, pick) in binary_stages {
            let Some(&action) = legal.iter().find(|a| pick(a)) else {
                continue;
            };
            let p = self.probabilities(kind, &planes)[1];
            policy[action.index() as usize] += reach * p;
            reach *= 1.0 - p;
            if chosen.is_none() && p > 0.5 {
                chosen = Some(action);
            }
        }
        let riichi = candidates(legal, |a| matches!(a, Action::Riichi { .. }));
        let discards = candidates(legal, |a| matches!(a, Action::Discard { .. }));
        if riichi.is_empty() && discards.is_empty() {
            // Another player's tile: what is not called is passed.
            let pass = Action::Pass;
            policy[pass.index() as usize] += reach;
            self.last_policy = Some(policy);
            return chosen.unwrap_or(pass);
        }
        let q = self.probabilities(ModelKind::Discard, &planes);
        // The discard model over a set of legal tiles, renormalised.
        let over = |options: &[Action]| -> Vec<f32> {
            let raw: Vec<f32> = options.iter().map(|a| q[tile_kind(a)]).collect();
            let total: f32 = raw.iter().sum();
            if total > 0.0 {
                raw.iter().map(|p| p / total).collect()
            } else {
                vec![1.0 / options.len() as f32; options.len()]
            }
        };
        if !riichi.is_empty() {
            let p = self.probabilities(ModelKind::Riichi, &planes)[1];
            let probs = over(&riichi);
            for (a, share) in riichi.iter().zip(&probs) {
                policy[a.index() as usize] += reach * p * share;
            }
            reach *= 1.0 - p;
            if chosen.is_none() && p > 0.5 {
                chosen = Some(riichi[pick(self.choice, &mut self.rng, &probs)]);
            }
        }
        let probs = over(&discards);
        for (a, share) in discards.iter().zip(&probs) {
            policy[a.index() as usize] += reach * share;
        }
        let action = match chosen {
            Some(a) => a,
            None if discards.is_empty() => riichi[pick(self.choice, &mut self.rng, &over(&riichi))],
            None => discards[pick(self.choice, &mut self.rng, &probs)],
        };
        self.last_policy = Some(policy);
        action
    }
}
