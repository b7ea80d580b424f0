//! The acting side of self-play: an arena player that samples every decision stage of
//! the models being trained from the current policy and records, per game and seat, the
//! trajectory a learner needs — each stage's planes, legal classes, chosen class and
//! behaviour probability, and the rewards that followed it.
//!
//! Rewards (see [`RewardConfig`]): per hand, `hand_shaping × (score change)/1000`; at
//! the game's end the rank reward `uma[rank − 1] + final_points × (score − 35,000)/1000`.
//! With a global reward predictor ([`Grp`]) the rank reward is paid by hand instead: the
//! change of the seat's expected rank reward over each hand (it telescopes to
//! `uma[rank − 1]` minus the expectation at the start). A reward is credited to the seat's
//! last step before it (a hand in which the seat made no choice passes its reward on to
//! the previous one; one before the seat's first step pays no one).

use std::collections::BTreeMap;

use meowlab_sanma::arena::{BatchAgent, Decision, KyokuEnd, Reply};
use meowlab_sanma::{Action, Game, Seat};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::agent::{certain, consult, game_rng, StageStep, Stages};
use crate::model::{MeowjongNet, ModelKind};
use crate::selfplay::grp::{hand_starts, Grp};
use crate::sl::pack_planes;

/// How a seat's play is rewarded.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RewardConfig {
    /// Reward of finishing 1st, 2nd, 3rd (default: 1, 0, −1, so the expected return is
    /// 2 − the average rank).
    pub uma: [f64; 3],
    /// Reward per 1,000 points of the final score above the start, at the game's end.
    pub final_points: f64,
    /// Reward per 1,000 points of each hand's score change, at the hand's end.
    pub hand_shaping: f64,
    /// Pay the rank reward by hand through a global reward predictor ([`Grp`]).
    pub grp: bool,
}

impl Default for RewardConfig {
    fn default() -> Self {
        RewardConfig {
            uma: [1.0, 0.0, -1.0],
            final_points: 0.0,
            hand_shaping: 0.02,
            grp: false,
        }
    }
}

/// One sampled stage of a decision.
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    /// The stage (model, legal classes, class, behaviour probability).
    pub stage: StageStep,
    /// The seat's view as packed planes (the store's layout).
    pub planes: Vec<u8>,
    /// The hand it was taken in (0 = the game's first).
    pub hand: u32,
    /// The class the heuristic bot would take at this stage (recorded when the actor
    /// imitates or its models have a teacher prior; `None` also when the bot's action
    /// does not pass through the stage, e.g. it wins instead of discarding).
    pub teacher: Option<u8>,
    /// Reward received after this step and before the next one.
    pub reward: f32,
}

/// Everything one seat of one game did and got.
#[derive(Clone, Debug, PartialEq)]
pub struct Trajectory {
    /// The game's index in the schedule.
    pub table: usize,
    /// The seat.
    pub seat: Seat,
    /// Its steps in order.
    pub steps: Vec<Step>,
    /// Final rank (1..=3).
    pub rank: u8,
    /// Final score.
    pub score: i32,
    /// Hands played.
    pub hands: usize,
}

/// The learner's player: the current five models, sampling the stages of the models that
/// learn (the others act as the model agent does), recording [`Trajectory`]s.
pub struct Actor {
    models: Vec<MeowjongNet>,
    learns: [bool; 5],
    rewards: RewardConfig,
    grp: Option<Grp>,
    imitate: bool,
    salt: u64,
    rngs: BTreeMap<(usize, Seat), ChaCha8Rng>,
    open: BTreeMap<(usize, Seat), Trajectory>,
    finished: Vec<Trajectory>,
    scratch: ChaCha8Rng,
}

impl Actor {
    /// An actor with five models in [`ModelKind::ALL`] order; `learns` names the models
    /// whose stages are sampled and recorded; `salt` varies the sampling streams between
    /// runs (each stream is a function of the game seed, seat and salt).
    pub fn new(
        models: Vec<MeowjongNet>,
        learns: &[ModelKind],
        rewards: RewardConfig,
        salt: u64,
    ) -> Self {
        let mut on = [false; 5];
        for &k in learns {
            on[k.index()] = true;
        }
        let mut models = models;
        models.iter_mut().for_each(MeowjongNet::prepare_inference);
        Actor {
            models,
            learns: on,
            rewards,
            grp: None,
            imitate: false,
            salt,
            rngs: BTreeMap::new(),
            open: BTreeMap::new(),
            finished: Vec::new(),
            scratch: ChaCha8Rng::seed_from_u64(0),
        }
    }

    /// Replaces the model of `net`'s kind (new weights from the learner).
    pub fn set_model(&mut self, mut net: MeowjongNet) {
        net.prepare_inference();
        let i = net.card.kind.index();
        self.models[i] = net;
    }

    /// The global reward predictor that pays the rank reward by hand (used when
    /// [`RewardConfig::grp`] is on; required then).
    pub fn set_grp(&mut self, grp: Option<Grp>) {
        self.grp = grp;
    }

    /// Records at every sampled stage the class the heuristic bot would take there (the
    /// target of the learner's imitation term).
    pub fn set_imitate(&mut self, imitate: bool) {
        self.imitate = imitate;
    }

    /// The current models.
    pub fn models(&self) -> &[MeowjongNet] {
        &self.models
    }

    /// The finished trajectories since the last call, ordered by (table, seat).
    pub fn take_finished(&mut self) -> Vec<Trajectory> {
        let mut out = std::mem::take(&mut self.finished);
        out.sort_by_key(|t| (t.table, t.seat));
        out
    }

    fn credit(&mut self, table: usize, seat: Seat, reward: f64) {
        if let Some(step) = self
            .open
            .get_mut(&(table, seat))
            .and_then(|t| t.steps.last_mut())
        {
            step.reward += reward as f32;
        }
    }
}

impl BatchAgent for Actor {
    fn name(&self) -> String {
        "learner".into()
    }

    fn start_game(&mut self, table: usize, seat: Seat, seed: u64) {
        let rng = game_rng(seed ^ self.salt.wrapping_mul(0xA24B_AED4_963E_E407), seat);
        self.rngs.insert((table, seat), rng);
        self.open.insert(
            (table, seat),
            Trajectory {
                table,
                seat,
                steps: Vec::new(),
                rank: 0,
                score: 0,
                hands: 0,
            },
        );
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
            self.imitate,
            &mut self.scratch,
        );
        let learns = self.learns;
        for (i, d) in decisions.iter().enumerate() {
            let stage = match &stages[i] {
                Err(rule) => {
                    replies.push(Reply {
                        action: *rule,
                        policy: Some(certain(*rule)),
                    });
                    continue;
                }
                Ok(stage) => stage,
            };
            let rng = self
                .rngs
                .get_mut(&(d.table, d.seat))
                .expect("start_game was called for every seat");
            let (action, policy, steps) = stage.sample(
                |kind| consulted.probs(kind, i),
                |kind| learns[kind.index()],
                rng,
            );
            if !steps.is_empty() {
                let teacher = consulted.teacher.as_ref().map(|t| t[i]);
                let planes = pack_planes(&consulted.planes[i]);
                let trajectory = self
                    .open
                    .get_mut(&(d.table, d.seat))
                    .expect("start_game was called for every seat");
                let hand = trajectory.hands as u32;
                for stage in steps {
                    let teacher = teacher
                        .and_then(|t| t[stage.kind.index()])
                        .filter(|&c| stage.legal >> c & 1 == 1);
                    trajectory.steps.push(Step {
                        stage,
                        planes: planes.clone(),
                        hand,
                        teacher,
                        reward: 0.0,
                    });
                }
            }
            replies.push(Reply {
                action,
                policy: Some(policy),
            });
        }
    }

    fn end_kyoku(&mut self, table: usize, seat: Seat, end: &KyokuEnd) {
        let reward = self.rewards.hand_shaping * f64::from(end.deltas[seat as usize]) / 1000.0;
        self.credit(table, seat, reward);
        if let Some(t) = self.open.get_mut(&(table, seat)) {
            t.hands += 1;
        }
    }

    fn end_game(&mut self, table: usize, seat: Seat, game: &Game) {
        self.rngs.remove(&(table, seat));
        let Some(result) = game.result() else {
            self.open.remove(&(table, seat));
            return;
        };
        let (rank, score) = (result.ranks[seat as usize], result.scores[seat as usize]);
        let start = game.rules().starting_points;
        let uma = self.rewards.uma[rank as usize - 1];
        let mut reward = self.rewards.final_points * f64::from(score - start) / 1000.0;
        if !self.rewards.grp {
            reward += uma;
        } else if let Some(t) = self.open.get_mut(&(table, seat)) {
            let grp = self
                .grp
                .as_ref()
                .expect("reward.grp needs a predictor (Actor::set_grp)");
            let rows: Vec<_> = hand_starts(game).into_iter().map(|h| (h, seat)).collect();
            let mut expected = grp.expected(&rows, &self.rewards.uma);
            expected.push(uma);
            for (hand, pair) in expected.windows(2).enumerate() {
                let last_before = t.steps.iter_mut().rev().find(|s| s.hand <= hand as u32);
                if let Some(step) = last_before {
                    step.reward += (pair[1] - pair[0]) as f32;
                }
            }
        }
        self.credit(table, seat, reward);
        if let Some(mut t) = self.open.remove(&(table, seat)) {
            t.rank = rank;
            t.score = score;
            self.finished.push(t);
        }
    }
}
