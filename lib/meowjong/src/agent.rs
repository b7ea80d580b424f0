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

use meowlab_sanma::arena::{BatchAgent, Decision, Reply};
use meowlab_sanma::bots::{AgentSpec, HeuristicAgent, SpecError};
use meowlab_sanma::planes::encode;
use meowlab_sanma::{Action, Agent, Game, Seat, SeatView, ACTION_SPACE};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::dataset::label;
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

impl DiscardChoice {
    /// Sampled when `sample` (a `model-sample:` seat), else the argmax.
    pub fn of(sample: bool) -> Self {
        if sample {
            DiscardChoice::Sample
        } else {
            DiscardChoice::Argmax
        }
    }
}

/// The error of a model seat whose folder did not load.
fn models_error(spec: &AgentSpec, seat: u8) -> impl FnOnce(NnError) -> BuildAgentError + '_ {
    move |source| BuildAgentError::Models {
        seat,
        spec: spec.clone(),
        source,
    }
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
            let choice = DiscardChoice::of(*sample);
            let agent =
                ModelAgent::load(dev, dir, choice, seat).map_err(models_error(spec, seat))?;
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

/// The arena player of any [`AgentSpec`]: bots one instance per game and seat, model
/// seats as one [`BatchModelAgent`] that answers all their decisions in batches.
pub fn build_player(
    spec: &AgentSpec,
    seat: u8,
    dev: &Dev,
) -> Result<Box<dyn BatchAgent>, BuildAgentError> {
    match spec {
        AgentSpec::Model { dir, sample } => {
            let choice = DiscardChoice::of(*sample);
            let agent =
                BatchModelAgent::load(dev, dir, choice).map_err(models_error(spec, seat))?;
            Ok(Box::new(agent))
        }
        bot => Ok(bot.build_bot_player()?),
    }
}

/// The arena players of three seats: one per distinct spec, so seats with the same agent
/// share its batches, and each seat's player.
pub struct SeatPlayers {
    /// The distinct players.
    pub players: Vec<Box<dyn BatchAgent>>,
    /// Each seat's index into `players` (a [`Table`]'s `players`).
    ///
    /// [`Table`]: meowlab_sanma::Table
    pub seats: [usize; 3],
}

impl SeatPlayers {
    /// The players as [`Arena::play`](meowlab_sanma::Arena::play) takes them.
    pub fn batch_agents(&mut self) -> Vec<&mut dyn BatchAgent> {
        self.players
            .iter_mut()
            .map(|p| p.as_mut() as &mut dyn BatchAgent)
            .collect()
    }

    /// Each seat's player name.
    pub fn names(&self) -> [String; 3] {
        self.seats.map(|p| self.players[p].name())
    }
}

/// Builds the players of three seats from their specs (see [`SeatPlayers`]).
pub fn build_players(specs: &[AgentSpec; 3], dev: &Dev) -> Result<SeatPlayers, BuildAgentError> {
    let mut distinct: Vec<&AgentSpec> = Vec::new();
    let mut players = Vec::new();
    let mut seats = [0; 3];
    for (seat, spec) in (0u8..).zip(specs) {
        seats[seat as usize] = match distinct.iter().position(|s| *s == spec) {
            Some(p) => p,
            None => {
                players.push(build_player(spec, seat, dev)?);
                distinct.push(spec);
                players.len() - 1
            }
        };
    }
    Ok(SeatPlayers { players, seats })
}

/// The five models and the decision rules around them.
pub struct ModelAgent {
    /// Models in [`ModelKind::ALL`] order.
    models: Vec<MeowjongNet>,
    choice: DiscardChoice,
    rng: ChaCha8Rng,
    seat: u8,
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
            seat,
            last_policy: None,
        }
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

/// What the models are asked at one decision: the legal stages, found once.
pub(crate) struct Stages {
    /// Kita, Kan and Pon (in that order) with the action each would take, if legal.
    binary: Vec<(ModelKind, Action)>,
    /// Riichi options, one per tile kind.
    riichi: Vec<Action>,
    /// Discard options, one per tile kind.
    discards: Vec<Action>,
}

impl Stages {
    /// The rule-based answer (win, then kyuushu) if there is one, else the model stages.
    pub(crate) fn of(legal: &[Action]) -> Result<Stages, Action> {
        let win = legal
            .iter()
            .find(|a| matches!(a, Action::Tsumo | Action::Ron));
        if let Some(&a) = win.or_else(|| legal.iter().find(|a| matches!(a, Action::Kyuushu))) {
            return Err(a);
        }
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
        let binary = binary_stages
            .into_iter()
            .filter_map(|(kind, pick)| legal.iter().find(|a| pick(a)).map(|&a| (kind, a)))
            .collect();
        Ok(Stages {
            binary,
            riichi: candidates(legal, |a| matches!(a, Action::Riichi { .. })),
            discards: candidates(legal, |a| matches!(a, Action::Discard { .. })),
        })
    }

    /// Whether the model of `kind` is consulted.
    pub(crate) fn needs(&self, kind: ModelKind) -> bool {
        match kind {
            ModelKind::Discard => !self.riichi.is_empty() || !self.discards.is_empty(),
            ModelKind::Riichi => !self.riichi.is_empty(),
            _ => self.binary.iter().any(|&(k, _)| k == kind),
        }
    }

    /// The staged choice and policy (see the module docs) from each consulted model's
    /// probabilities (`probs(kind)`).
    fn resolve<'p>(
        &self,
        probs: impl Fn(ModelKind) -> &'p [f32],
        choice: DiscardChoice,
        rng: &mut ChaCha8Rng,
    ) -> (Action, Vec<f32>) {
        let mut policy = vec![0.0f32; ACTION_SPACE];
        let mut reach = 1.0f32; // probability of getting to the current stage
        let mut chosen: Option<Action> = None;
        for &(kind, action) in &self.binary {
            let p = probs(kind)[1];
            policy[action.index() as usize] += reach * p;
            reach *= 1.0 - p;
            if chosen.is_none() && p > 0.5 {
                chosen = Some(action);
            }
        }
        let (riichi, discards) = (&self.riichi, &self.discards);
        if riichi.is_empty() && discards.is_empty() {
            // Another player's tile: what is not called is passed.
            let pass = Action::Pass;
            policy[pass.index() as usize] += reach;
            return (chosen.unwrap_or(pass), policy);
        }
        let q = probs(ModelKind::Discard);
        let over = |options: &[Action]| shares(q, options);
        if !riichi.is_empty() {
            let p = probs(ModelKind::Riichi)[1];
            let shares = over(riichi);
            for (a, share) in riichi.iter().zip(&shares) {
                policy[a.index() as usize] += reach * p * share;
            }
            reach *= 1.0 - p;
            if chosen.is_none() && p > 0.5 {
                chosen = Some(riichi[pick(choice, rng, &shares)]);
            }
        }
        let shares = over(discards);
        for (a, share) in discards.iter().zip(&shares) {
            policy[a.index() as usize] += reach * share;
        }
        let action = match chosen {
            Some(a) => a,
            None if discards.is_empty() => riichi[pick(choice, rng, &over(riichi))],
            None => discards[pick(choice, rng, &shares)],
        };
        (action, policy)
    }
}

/// One stage of a decision taken by a learning agent: the model asked, the classes it
/// could choose from (bit `c` set for class `c`), the class chosen and its probability
/// among the legal ones.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StageStep {
    /// The model of the stage.
    pub kind: ModelKind,
    /// Legal classes as a bit set (the binary models: both).
    pub legal: u64,
    /// The class taken (binary models: 1 = call/declare).
    pub class: u8,
    /// Its probability under the model, renormalised over the legal classes.
    pub prob: f32,
}

impl Stages {
    /// The choice of an agent that samples every stage whose model `learns`, and takes
    /// the others as [`ModelAgent`] does (p > 0.5, the most probable tile); returns the
    /// action, the staged policy (as [`Stages::resolve`]) and the sampled stages that had
    /// a choice — exactly the decisions a policy gradient credits.
    pub(crate) fn sample<'p>(
        &self,
        probs: impl Fn(ModelKind) -> &'p [f32],
        learns: impl Fn(ModelKind) -> bool,
        rng: &mut ChaCha8Rng,
    ) -> (Action, Vec<f32>, Vec<StageStep>) {
        let (_, policy) = self.resolve(&probs, DiscardChoice::Argmax, rng); // draws nothing
        let mut steps = Vec::new();
        let binary = |kind: ModelKind, steps: &mut Vec<StageStep>, rng: &mut ChaCha8Rng| {
            let p = probs(kind)[1];
            if !learns(kind) {
                return p > 0.5;
            }
            let take = rng.gen::<f32>() < p;
            steps.push(StageStep {
                kind,
                legal: 0b11,
                class: u8::from(take),
                prob: if take { p } else { 1.0 - p },
            });
            take
        };
        for &(kind, action) in &self.binary {
            if binary(kind, &mut steps, rng) {
                return (action, policy, steps);
            }
        }
        if self.riichi.is_empty() && self.discards.is_empty() {
            return (Action::Pass, policy, steps);
        }
        let q = probs(ModelKind::Discard);
        let tile = |options: &[Action], steps: &mut Vec<StageStep>, rng: &mut ChaCha8Rng| {
            let shares = shares(q, options);
            if !learns(ModelKind::Discard) {
                return options[pick(DiscardChoice::Argmax, rng, &shares)];
            }
            let i = pick(DiscardChoice::Sample, rng, &shares);
            if options.len() > 1 {
                steps.push(StageStep {
                    kind: ModelKind::Discard,
                    legal: options.iter().fold(0, |m, a| m | 1u64 << tile_kind(a)),
                    class: tile_kind(&options[i]) as u8,
                    prob: shares[i],
                });
            }
            options[i]
        };
        if !self.riichi.is_empty()
            && (self.discards.is_empty() || binary(ModelKind::Riichi, &mut steps, rng))
        {
            let action = tile(&self.riichi, &mut steps, rng);
            return (action, policy, steps);
        }
        let action = tile(&self.discards, &mut steps, rng);
        (action, policy, steps)
    }
}

/// The discard model's probabilities `q` over a set of legal tiles, renormalised
/// (uniform if the model gives them no weight at all).
fn shares(q: &[f32], options: &[Action]) -> Vec<f32> {
    let raw: Vec<f32> = options.iter().map(|a| q[tile_kind(a)]).collect();
    let total: f32 = raw.iter().sum();
    if total > 0.0 {
        raw.iter().map(|p| p / total).collect()
    } else {
        vec![1.0 / options.len() as f32; options.len()]
    }
}

/// The policy of a rule-based answer: all weight on it.
pub(crate) fn certain(action: Action) -> Vec<f32> {
    let mut policy = vec![0.0f32; ACTION_SPACE];
    policy[action.index() as usize] = 1.0;
    policy
}

impl Agent for ModelAgent {
    fn name(&self) -> String {
        agent_name(self.choice)
    }

    fn start_game(&mut self, seed: u64) {
        self.rng = game_rng(seed, self.seat);
    }

    fn last_policy(&self) -> Option<Vec<f32>> {
        self.last_policy.clone()
    }

    fn act(&mut self, view: &SeatView<'_>) -> Action {
        let stages = match Stages::of(view.legal_actions()) {
            Ok(stages) => stages,
            Err(rule) => {
                self.last_policy = Some(certain(rule));
                return rule;
            }
        };
        let planes = encode(view).to_f32();
        let teacher = has_prior(&self.models).then(|| teacher_classes(view));
        let mut outputs: [Vec<f32>; 5] = Default::default();
        for (i, kind) in ModelKind::ALL.into_iter().enumerate() {
            if stages.needs(kind) {
                outputs[i] = self.models[i].predict(&planes, &mut self.rng);
                if let Some(teacher) = &teacher {
                    let prior = self.models[i].card.teacher_prior;
                    apply_prior(&mut outputs[i], teacher[i], prior);
                }
            }
        }
        let (action, policy) =
            stages.resolve(|kind| &outputs[kind.index()], self.choice, &mut self.rng);
        self.last_policy = Some(policy);
        action
    }
}

fn agent_name(choice: DiscardChoice) -> String {
    match choice {
        DiscardChoice::Argmax => "model".into(),
        DiscardChoice::Sample => "model-sample".into(),
    }
}

/// The sampling stream of `seat` in the game of `seed`.
pub(crate) fn game_rng(seed: u64, seat: u8) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed.wrapping_mul(3).wrapping_add(u64::from(seat)))
}

/// The model agent for the [`Arena`](meowlab_sanma::Arena): every pending decision of
/// every game is encoded in parallel and each model kind runs once over all the
/// decisions that consult it. Plays exactly as [`ModelAgent`] (same choices, same
/// policies, same sampling streams per game and seat), at batch speed.
pub struct BatchModelAgent {
    /// Models in [`ModelKind::ALL`] order.
    models: Vec<MeowjongNet>,
    choice: DiscardChoice,
    /// Sampling stream per (table, seat).
    rngs: std::collections::BTreeMap<(usize, Seat), ChaCha8Rng>,
    /// Scratch stream for `predict` (unused on the CPU).
    scratch: ChaCha8Rng,
}

impl BatchModelAgent {
    /// Loads the five models from `dir` (see [`ModelAgent::load`]).
    pub fn load(dev: &Dev, dir: &Path, choice: DiscardChoice) -> Result<Self, NnError> {
        let agent = ModelAgent::load(dev, dir, choice, 0)?;
        Ok(Self::from_models(agent.models, choice))
    }

    /// An agent from five models in [`ModelKind::ALL`] order (panics otherwise).
    pub fn from_models(models: Vec<MeowjongNet>, choice: DiscardChoice) -> Self {
        let checked = ModelAgent::from_models(models, choice, 0);
        BatchModelAgent {
            models: checked.models,
            choice,
            rngs: std::collections::BTreeMap::new(),
            scratch: ChaCha8Rng::seed_from_u64(0),
        }
    }
}

impl BatchModelAgent {
    /// Replaces the model of `net`'s kind (a learner publishing new weights); the next
    /// decisions use it.
    pub fn set_model(&mut self, mut net: MeowjongNet) {
        net.prepare_inference();
        let i = net.card.kind.index();
        self.models[i] = net;
    }

    /// The model of `kind`.
    pub fn model(&self, kind: ModelKind) -> &MeowjongNet {
        &self.models[kind.index()]
    }
}

/// The class the heuristic bot would take at each model's stage of a decision, in
/// [`ModelKind::ALL`] order ([`label`] of its action: `None` where its action does not
/// pass through the stage, e.g. it calls Pon where the Kita stage is asked).
pub(crate) type TeacherClasses = [Option<u8>; 5];

/// The heuristic bot's classes at `view` (see [`TeacherClasses`]).
pub(crate) fn teacher_classes(view: &SeatView<'_>) -> TeacherClasses {
    let legal: Vec<u16> = view.legal_actions().iter().map(|a| a.index()).collect();
    let action = HeuristicAgent.act(view).index();
    ModelKind::ALL.map(|kind| label(kind, &legal, action))
}

/// Whether any of the models plays as a residual policy over the heuristic bot.
fn has_prior(models: &[MeowjongNet]) -> bool {
    models.iter().any(|m| m.card.teacher_prior != 0.0)
}

/// Raises the logit of `class` by `prior` in a vector of probabilities (the residual
/// policy of [`ModelCard::teacher_prior`]): what the learner does to the logits before
/// its softmax.
///
/// [`ModelCard::teacher_prior`]: crate::ModelCard::teacher_prior
pub(crate) fn apply_prior(probs: &mut [f32], class: Option<u8>, prior: f32) {
    let Some(t) = class.map(usize::from).filter(|&t| t < probs.len()) else {
        return;
    };
    if prior == 0.0 {
        return;
    }
    let boost = prior.exp();
    let total = 1.0 + probs[t] * (boost - 1.0);
    probs[t] *= boost;
    probs.iter_mut().for_each(|p| *p /= total);
}

/// The models' answers to a batch of decisions: the planes of every decision a model is
/// consulted on (encoded in parallel), and each model's probabilities over the decisions
/// that consult it, each model run once.
pub(crate) struct Consulted {
    /// Dense planes per decision (empty for rule-based answers).
    pub planes: Vec<Vec<f32>>,
    /// The heuristic bot's classes per decision, when asked for or a model has a prior.
    pub teacher: Option<Vec<TeacherClasses>>,
    /// Per model ([`ModelKind::ALL`] order): probabilities, and each decision's row.
    outputs: Vec<(Vec<f32>, Vec<usize>)>,
}

impl Consulted {
    /// Model `kind`'s probabilities at decision `i` (which consulted it), after the
    /// model's teacher prior.
    pub fn probs(&self, kind: ModelKind, i: usize) -> &[f32] {
        let (probs, rows) = &self.outputs[kind.index()];
        let (r, classes) = (rows[i], kind.classes());
        &probs[r * classes..(r + 1) * classes]
    }
}

/// Runs each model once over the decisions whose stages consult it; finds the heuristic
/// bot's classes too when `want_teacher` or a model plays with a teacher prior.
pub(crate) fn consult(
    models: &mut [MeowjongNet],
    decisions: &[Decision<'_>],
    stages: &[Result<Stages, Action>],
    want_teacher: bool,
    scratch: &mut ChaCha8Rng,
) -> Consulted {
    use rayon::prelude::*;
    let planes: Vec<Vec<f32>> = (0..decisions.len())
        .into_par_iter()
        .map(|i| match stages[i] {
            Ok(_) => encode(&decisions[i].view).to_f32(),
            Err(_) => Vec::new(),
        })
        .collect();
    let teacher: Option<Vec<TeacherClasses>> = (want_teacher || has_prior(models)).then(|| {
        (0..decisions.len())
            .into_par_iter()
            .map(|i| match stages[i] {
                Ok(_) => teacher_classes(&decisions[i].view),
                Err(_) => [None; 5],
            })
            .collect()
    });
    let mut outputs = Vec::with_capacity(5);
    for (m, kind) in ModelKind::ALL.into_iter().enumerate() {
        let mut rows = vec![usize::MAX; decisions.len()];
        let mut batch = Vec::new();
        let mut n = 0;
        for (i, stage) in stages.iter().enumerate() {
            if stage.as_ref().is_ok_and(|s| s.needs(kind)) {
                rows[i] = n;
                n += 1;
                batch.extend_from_slice(&planes[i]);
            }
        }
        let mut probs = if n > 0 {
            models[m].predict(&batch, scratch)
        } else {
            Vec::new()
        };
        let prior = models[m].card.teacher_prior;
        if let (Some(teacher), true) = (&teacher, prior != 0.0) {
            let classes = kind.classes();
            for (i, &r) in rows.iter().enumerate().filter(|(_, &r)| r != usize::MAX) {
                apply_prior(
                    &mut probs[r * classes..(r + 1) * classes],
                    teacher[i][m],
                    prior,
                );
            }
        }
        outputs.push((probs, rows));
    }
    Consulted {
        planes,
        teacher,
        outputs,
    }
}

impl BatchAgent for BatchModelAgent {
    fn name(&self) -> String {
        agent_name(self.choice)
    }

    fn start_game(&mut self, table: usize, seat: Seat, seed: u64) {
        self.rngs.insert((table, seat), game_rng(seed, seat));
    }

    fn act_batch(&mut self, decisions: &[Decision<'_>], replies: &mut Vec<Reply>) {
        replies.clear();
        let stages: Vec<Result<Stages, Action>> = decisions
            .iter()
            .map(|d| Stages::of(d.view.legal_actions()))
            .collect();
        let consulted = consult(
            &mut self.models,
            decisions,
            &stages,
            false,
            &mut self.scratch,
        );
        for (i, d) in decisions.iter().enumerate() {
            let reply = match &stages[i] {
                Err(rule) => Reply {
                    action: *rule,
                    policy: Some(certain(*rule)),
                },
                Ok(stage) => {
                    let rng = self
                        .rngs
                        .get_mut(&(d.table, d.seat))
                        .expect("start_game was called for every seat");
                    let probs = |kind| consulted.probs(kind, i);
                    let (action, policy) = stage.resolve(probs, self.choice, rng);
                    Reply {
                        action,
                        policy: Some(policy),
                    }
                }
            };
            replies.push(reply);
        }
    }

    fn end_game(&mut self, table: usize, seat: Seat, _game: &Game) {
        self.rngs.remove(&(table, seat));
    }
}
