//! A stronger self-play learner than the paper's REINFORCE: proximal policy optimisation
//! (Schulman et al. 2017) of the Meowjong models, played over whole games.
//!
//! Each update plays `games_per_update` games in the arena. The learner takes one seat of
//! each (seat `game % 3`); the two others are drawn from the opponent [`pool`] (the
//! learner itself, past snapshots, the SL start, the heuristic bot). Every stage of every
//! decision of the models that learn is sampled from the current policy and recorded by
//! the [`Actor`]; rewards are the final rank (and optional points), with optional per-hand
//! score shaping ([`RewardConfig`]). Returns and advantages are GAE(γ, λ) over a seat's
//! own steps with a learned value baseline V(s) over the planes ([`Critic`]); then a few
//! epochs of PPO's clipped surrogate per model, an entropy bonus and a KL penalty to the
//! SL policy (the networks in eval mode: BatchNorm on its running statistics, no dropout —
//! the policy that acted is the one differentiated), and the critic's squared error.
//! Each part can be switched off (`value_baseline = false`: standardised returns;
//! `epochs = 1, clip` large: plain advantage actor-critic; `kl_to_sl = 0`; `train =
//! ["discard"]`; pool weights), so ablations are configs.
//!
//! [`pool`]: crate::selfplay::pool

use std::path::Path;
use std::time::Instant;

use dfdx::prelude::*;
use meowlab_nn::nn::{Dev, Matrix, NnError};
use meowlab_rl::{categorical_terms, clipped_policy_loss, Vector};
use meowlab_sanma::arena::{Arena, BatchAgent, IllegalMove, Table};
use meowlab_sanma::bots::AgentSpec;
use meowlab_sanma::{Game, GameLength, Rules};
use meowlab_store::selfplay::SampleRow;
use meowlab_store::SanmaLogger;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::agent::{BatchModelAgent, DiscardChoice};
use crate::model::{find_models, model_dir, MeowjongNet, ModelKind};
use crate::selfplay::actor::{Actor, RewardConfig, Trajectory};
use crate::selfplay::critic::{Critic, CriticConfig, CriticNet};
use crate::selfplay::log::{GameLog, Games};
use crate::selfplay::pool::{Opponent, PoolConfig};
use crate::sl::{unpack_batch, Trainer, ILLEGAL, PLANE_FLOATS};

/// The PPO learner's settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PpoConfig {
    /// Length of a training game (an episode).
    pub length: GameLength,
    /// Games per update, played at once.
    pub games_per_update: usize,
    /// Discount per step of a seat.
    pub gamma: f64,
    /// GAE's λ (1: Monte-Carlo advantages).
    pub gae_lambda: f64,
    /// Adam learning rate of the policies.
    pub lr: f64,
    /// Passes over an update's samples.
    pub epochs: usize,
    /// Minibatch size (samples of one model).
    pub batch_size: usize,
    /// PPO's clipping ε of the probability ratio.
    pub clip: f64,
    /// Entropy bonus coefficient.
    pub entropy: f64,
    /// Coefficient of the KL divergence KL(π ‖ π_SL) to the SL start.
    pub kl_to_sl: f64,
    /// Learn V(s) and use GAE advantages; without it, standardised returns (REINFORCE's
    /// pooled baseline).
    pub value_baseline: bool,
    /// Standardise the advantages of each update.
    pub normalize_advantages: bool,
    /// The models that learn; the others keep their SL weights and act as the model agent
    /// does (p > 0.5, the most probable tile).
    pub train: Vec<ModelKind>,
    /// The rewards.
    pub reward: RewardConfig,
    /// Who the learner plays against.
    pub pool: PoolConfig,
    /// The value network.
    pub critic: CriticConfig,
    /// Seed of the training games (game i is dealt from seed + i), the seating, the
    /// sampling streams, the critic's initialisation and the shuffling.
    pub seed: u64,
    /// Actor threads. 0: the actor and the learner take turns in one thread. N ≥ 1: N
    /// actor threads and a learner thread that share only the run's files — `samples`
    /// partitions one way, published policies (`policy/v<version>/`) the other
    /// ([`crate::selfplay::pipeline`]).
    pub actors: usize,
    /// Updates the actors may run ahead of the learner (0: the games of update u are
    /// played with policy u − 1; L: with policy u − 1 − L, so playing overlaps learning).
    pub actor_lag: u64,
    /// Keep every `samples` partition (the learner's input, with planes: ~2 kB per
    /// sample); by default those a checkpoint no longer needs are deleted.
    pub keep_samples: bool,
}

impl Default for PpoConfig {
    fn default() -> Self {
        PpoConfig {
            length: GameLength::Hanchan,
            games_per_update: 32,
            gamma: 1.0,
            gae_lambda: 0.95,
            lr: 3e-5,
            epochs: 2,
            batch_size: 256,
            clip: 0.2,
            entropy: 1e-3,
            kl_to_sl: 0.05,
            value_baseline: true,
            normalize_advantages: true,
            train: ModelKind::ALL.to_vec(),
            reward: RewardConfig::default(),
            pool: PoolConfig::default(),
            critic: CriticConfig::default(),
            seed: 0,
            actors: 0,
            actor_lag: 0,
            keep_samples: false,
        }
    }
}

impl PpoConfig {
    /// Checks what serde cannot.
    pub fn validate(&self) -> Result<(), String> {
        if self.games_per_update == 0 || self.epochs == 0 || self.batch_size == 0 {
            return Err(
                "ppo.games_per_update, ppo.epochs and ppo.batch_size must be positive".into(),
            );
        }
        let finite = [
            self.lr,
            self.clip,
            self.entropy,
            self.kl_to_sl,
            self.critic.lr,
        ];
        if finite.iter().any(|x| !x.is_finite() || *x < 0.0) || self.lr == 0.0 {
            return Err("ppo.lr must be positive; clip, entropy, kl_to_sl and critic.lr finite and non-negative".into());
        }
        if !(0.0..=1.0).contains(&self.gamma) || !(0.0..=1.0).contains(&self.gae_lambda) {
            return Err("ppo.gamma and ppo.gae_lambda must be in [0, 1]".into());
        }
        if self.train.is_empty() {
            return Err("ppo.train must name at least one model".into());
        }
        self.pool.validate().map_err(|e| format!("ppo.{e}"))
    }
}

/// What a checkpoint of in-process PPO holds beside the weights.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PpoState {
    /// Games played.
    pub games: usize,
    /// Hands played.
    pub hands: usize,
    /// The learner's counters and stream.
    pub learner: LearnerState,
    /// The versions of the pool's snapshots (oldest first), saved under `pool/`.
    pub snapshots: Vec<u64>,
}

/// What one update did (the run's metrics).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PpoStats {
    /// Updates so far (1-based).
    pub update: usize,
    /// Games played so far.
    pub games: usize,
    /// Hands played so far.
    pub hands: usize,
    /// Steps learned from in this update.
    pub samples: usize,
    /// Mean return of the learner's seats (the reward summed over a game).
    pub mean_return: f64,
    /// The learner's average rank in this update's games.
    pub avg_rank: f64,
    /// Mean clipped-surrogate loss (discard model, last epoch).
    pub policy_loss: f64,
    /// Mean entropy of the discard policy over its legal tiles.
    pub entropy: f64,
    /// Mean KL(π ‖ π_SL) of the discard policy.
    pub kl_sl: f64,
    /// Mean approximate KL between the policy before and after the update's steps.
    pub approx_kl: f64,
    /// Fraction of samples whose ratio was clipped.
    pub clipfrac: f64,
    /// Mean critic loss (½ squared error).
    pub value_loss: f64,
    /// Fraction of the returns' variance the critic explains (before the update).
    pub explained_variance: f64,
    /// Mean gradient norm of the policy steps.
    pub grad_norm: f64,
    /// Hands per second while playing.
    pub hands_per_second: f64,
    /// Recorded steps per second while playing.
    pub actor_steps_per_second: f64,
    /// Samples × epochs per second while learning.
    pub learner_samples_per_second: f64,
}

impl PpoStats {
    /// Adds what the actor saw while playing the update's games.
    pub(crate) fn absorb(&mut self, play: &PlayStats, games: usize, hands: usize) {
        self.games = games;
        self.hands = hands;
        self.avg_rank = play.avg_rank;
        self.mean_return = play.mean_return;
        let seconds = play.seconds.max(1e-9);
        self.hands_per_second = play.hands as f64 / seconds;
        self.actor_steps_per_second = self.samples as f64 / seconds;
    }
}

fn kind_index(kind: ModelKind) -> usize {
    ModelKind::ALL
        .iter()
        .position(|&k| k == kind)
        .expect("a kind")
}

/// Why an update could not be made.
#[derive(Debug, thiserror::Error)]
pub enum PpoError {
    /// An agent chose an illegal action (a bug).
    #[error(transparent)]
    Illegal(#[from] IllegalMove),
    /// Logging the games failed.
    #[error(transparent)]
    Store(#[from] meowlab_store::StoreError),
}

/// What an actor's games were like.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PlayStats {
    /// Games played.
    pub games: usize,
    /// Hands played.
    pub hands: usize,
    /// Seconds of play.
    pub seconds: f64,
    /// The learner's average rank.
    pub avg_rank: f64,
    /// Mean return of the learner's seats (the reward summed over a game).
    pub mean_return: f64,
}

/// The acting half of PPO: the current policy (with a copy of the critic, for the value
/// of each step), the opponents and the seating. It plays one update's games and turns
/// them into [`SampleRow`]s — all a learner needs, so the two halves can share nothing
/// but the run's `samples` table and the published policies.
pub struct PpoActor {
    config: PpoConfig,
    rules: Rules,
    actor: Actor,
    critic: Option<CriticNet>,
    sl_player: BatchModelAgent,
    heuristic: Box<dyn BatchAgent>,
    snapshots: Vec<(u64, BatchModelAgent)>,
    version: u64,
}

impl PpoActor {
    /// An actor with the SL models (version 0) and the critic (none: no value baseline).
    pub fn new(models: Vec<MeowjongNet>, critic: Option<CriticNet>, config: PpoConfig) -> Self {
        assert!(
            models.len() == 5
                && models
                    .iter()
                    .zip(ModelKind::ALL)
                    .all(|(m, k)| m.card.kind == k),
            "models in ModelKind::ALL order"
        );
        PpoActor {
            rules: Rules {
                length: config.length,
                ..Rules::default()
            },
            actor: Actor::new(
                models.clone(),
                &config.train,
                config.reward.clone(),
                config.seed,
            ),
            critic: if config.value_baseline { critic } else { None },
            sl_player: BatchModelAgent::from_models(models, DiscardChoice::Argmax),
            heuristic: AgentSpec::Heuristic
                .build_bot_player()
                .expect("a bot spec builds"),
            snapshots: Vec::new(),
            version: 0,
            config,
        }
    }

    /// Acts with policy `version` from now on: the learning models of `models` and the
    /// critic. A version that is a multiple of `pool.snapshot_every` joins the pool.
    pub fn set_policy(&mut self, version: u64, models: &[MeowjongNet], critic: Option<&CriticNet>) {
        self.replace_policy(version, models, critic);
        let pool = &self.config.pool;
        if version > 0 && version % pool.snapshot_every as u64 == 0 {
            let snapshot = BatchModelAgent::from_models(self.models(), DiscardChoice::Argmax);
            self.snapshots.push((version, snapshot));
            if self.snapshots.len() > pool.max_snapshots {
                self.snapshots.remove(0);
            }
        }
    }

    /// [`PpoActor::set_policy`] without the snapshot (resuming: the pool is restored
    /// with [`PpoActor::set_snapshots`]).
    pub fn replace_policy(
        &mut self,
        version: u64,
        models: &[MeowjongNet],
        critic: Option<&CriticNet>,
    ) {
        for m in models {
            if self.config.train.contains(&m.card.kind) {
                self.actor.set_model(m.clone());
            }
        }
        if let (Some(mine), Some(new)) = (self.critic.as_mut(), critic) {
            *mine = new.clone();
        }
        self.version = version;
    }

    /// The policy version it acts with.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// The five models it acts with.
    pub fn models(&self) -> Vec<MeowjongNet> {
        self.actor.models().to_vec()
    }

    /// The pool's snapshots: (version, five models), oldest first.
    pub fn snapshots(&self) -> Vec<(u64, Vec<MeowjongNet>)> {
        self.snapshots
            .iter()
            .map(|(v, p)| (*v, ModelKind::ALL.map(|k| p.model(k).clone()).to_vec()))
            .collect()
    }

    /// Replaces the pool's snapshots (resuming).
    pub fn set_snapshots(&mut self, snapshots: Vec<(u64, Vec<MeowjongNet>)>) {
        self.snapshots = snapshots
            .into_iter()
            .map(|(v, m)| (v, BatchModelAgent::from_models(m, DiscardChoice::Argmax)))
            .collect();
    }

    /// The rules of the training games.
    pub fn rules(&self) -> &Rules {
        &self.rules
    }

    /// Plays the games of `update` (1-based: games `(update − 1)·n … update·n − 1`, dealt
    /// by `new_game`), logging them when given a log, and returns their samples.
    pub fn play(
        &mut self,
        update: u64,
        new_game: &dyn Fn(&Table, &Rules) -> Game,
        log: Option<&mut SanmaLogger>,
    ) -> Result<(Vec<SampleRow>, PlayStats), PpoError> {
        self.play_share(update, (0, 1), new_game, log)
    }

    /// [`PpoActor::play`] of actor `share.0` of `share.1`: the update's games whose index
    /// is `share.0` modulo `share.1` (each game's seating, seed and sampling streams are
    /// those of its index, whichever actor plays it).
    pub fn play_share(
        &mut self,
        update: u64,
        share: (usize, usize),
        new_game: &dyn Fn(&Table, &Rules) -> Game,
        log: Option<&mut SanmaLogger>,
    ) -> Result<(Vec<SampleRow>, PlayStats), PpoError> {
        let n = self.config.games_per_update as u64;
        let games: Vec<u64> = ((update - 1) * n..update * n)
            .filter(|g| g % share.1 as u64 == share.0 as u64)
            .collect();
        let seatings: Vec<[Opponent; 3]> = games
            .iter()
            .map(|&g| {
                self.config
                    .pool
                    .seating(self.config.seed, g, self.snapshots.len())
            })
            .collect();
        let tables: Vec<Table> = seatings
            .iter()
            .zip(&games)
            .map(|(seats, &g)| Table {
                seed: self.config.seed.wrapping_add(g),
                players: seats.map(|o| match o {
                    Opponent::Learner => 0,
                    Opponent::Sl => 1,
                    Opponent::Heuristic => 2,
                    Opponent::Past(k) => 3 + k,
                }),
            })
            .collect();
        let playing = Instant::now();
        let mut observer = Games {
            log: log.map(|l| GameLog::new(l, games.clone())),
            hands: 0,
        };
        {
            let mut players: Vec<&mut dyn BatchAgent> = vec![
                &mut self.actor,
                &mut self.sl_player,
                self.heuristic.as_mut(),
            ];
            for (_, s) in self.snapshots.iter_mut() {
                players.push(s);
            }
            let rules = &self.rules;
            Arena::new(rules.clone(), tables.len().max(1)).play_from(
                &tables,
                &mut players,
                &mut observer,
                &|t: &Table, _names: Vec<String>| new_game(t, rules),
            )?;
        }
        if let Some(log) = observer.log.take() {
            log.finish()?;
        }
        let trajectories = self.actor.take_finished();
        let rows = self.rows(&trajectories, &games, &seatings);
        let seats = trajectories.len().max(1) as f64;
        let stats = PlayStats {
            games: games.len(),
            hands: observer.hands,
            seconds: playing.elapsed().as_secs_f64(),
            avg_rank: trajectories.iter().map(|t| f64::from(t.rank)).sum::<f64>() / seats,
            mean_return: trajectories
                .iter()
                .map(|t| t.steps.iter().map(|s| f64::from(s.reward)).sum::<f64>())
                .sum::<f64>()
                / seats,
        };
        Ok((rows, stats))
    }

    /// The samples of the trajectories, with the critic's values and the returns.
    fn rows(
        &self,
        trajectories: &[Trajectory],
        games: &[u64],
        seatings: &[[Opponent; 3]],
    ) -> Vec<SampleRow> {
        let planes: Vec<Vec<u8>> = trajectories
            .iter()
            .flat_map(|t| t.steps.iter().map(|s| s.planes.clone()))
            .collect();
        let values: Option<Vec<f32>> = self.critic.as_ref().map(|c| {
            let all: Vec<usize> = (0..planes.len()).collect();
            all.chunks(512)
                .flat_map(|chunk| c.values(&unpack_batch(&planes, chunk)))
                .collect()
        });
        let mut rows = Vec::with_capacity(planes.len());
        for t in trajectories {
            let ids = seatings[t.table].map(Opponent::id);
            let mut to_go: f32 = t.steps.iter().map(|s| s.reward).sum();
            for (k, step) in t.steps.iter().enumerate() {
                let i = rows.len();
                rows.push(SampleRow {
                    game_id: games[t.table],
                    seat: t.seat as u8,
                    step: k as u32,
                    policy_version: self.version,
                    model: step.stage.kind.name().to_string(),
                    legal: (0..64u8)
                        .filter(|c| step.stage.legal >> c & 1 == 1)
                        .collect(),
                    class: step.stage.class,
                    log_prob: step.stage.prob.max(1e-12).ln(),
                    value: values.as_ref().map(|v| v[i]),
                    reward: step.reward,
                    r#return: to_go,
                    opponents: ids.clone(),
                    final_rank: t.rank,
                    observation: step.planes.clone(),
                });
                to_go -= step.reward;
            }
        }
        rows
    }
}

/// One update's samples, flattened for the learner.
struct Batch {
    planes: Vec<Vec<u8>>,
    kind: Vec<ModelKind>,
    legal: Vec<u64>,
    class: Vec<u8>,
    old_log_prob: Vec<f32>,
    advantage: Vec<f32>,
    target: Vec<f32>,
}

/// The learning half of PPO: one trainer per model that learns, the critic, the SL
/// reference and the shuffling stream. It learns from [`SampleRow`]s alone.
pub struct PpoLearner {
    config: PpoConfig,
    trainers: Vec<Option<Trainer>>,
    reference: Vec<MeowjongNet>,
    critic: Critic,
    updates: u64,
    rng: ChaCha8Rng,
    dev: Dev,
}

/// The learner's counters and streams, saved with each checkpoint.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LearnerState {
    /// Updates made.
    pub updates: u64,
    /// The shuffling stream.
    pub rng: ChaCha8Rng,
}

impl PpoLearner {
    /// Starts from the five SL models (in [`ModelKind::ALL`] order), which are also the
    /// KL reference.
    pub fn new(dev: &Dev, models: &[MeowjongNet], config: PpoConfig) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(config.seed ^ 0x0BB0_5EED);
        let trainers = models
            .iter()
            .map(|m| {
                config
                    .train
                    .contains(&m.card.kind)
                    .then(|| Trainer::with_net(dev, m.clone(), config.lr, rng.clone()))
            })
            .collect();
        let critic = Critic::new(dev, &config.critic, &mut rng);
        let mut reference = models.to_vec();
        reference
            .iter_mut()
            .for_each(MeowjongNet::prepare_inference);
        PpoLearner {
            config,
            trainers,
            reference,
            critic,
            updates: 0,
            rng,
            dev: dev.clone(),
        }
    }

    /// Updates made (the version of the policy it would publish).
    pub fn updates(&self) -> u64 {
        self.updates
    }

    /// The five models: the trained ones, and the SL weights of the others.
    pub fn models(&self) -> Vec<MeowjongNet> {
        self.reference
            .iter()
            .zip(&self.trainers)
            .map(|(sl, t)| t.as_ref().map_or_else(|| sl.clone(), |t| t.net.clone()))
            .collect()
    }

    /// The critic's network.
    pub fn critic(&self) -> &CriticNet {
        &self.critic.net
    }

    /// One update from an actor's samples (rows of a seat's game contiguous and in step
    /// order, as [`PpoActor::play`] writes them).
    pub fn learn(&mut self, rows: &[SampleRow]) -> PpoStats {
        let learning = Instant::now();
        let (batch, explained_variance) = self.batch(rows);
        let mut stats = self.epochs(&batch);
        self.updates += 1;
        stats.update = self.updates as usize;
        stats.samples = rows.len();
        stats.explained_variance = explained_variance;
        stats.learner_samples_per_second =
            (rows.len() * self.config.epochs) as f64 / learning.elapsed().as_secs_f64().max(1e-9);
        stats
    }

    /// GAE advantages and value targets over each seat's steps; the critic's explained
    /// variance of the targets.
    fn batch(&self, rows: &[SampleRow]) -> (Batch, f64) {
        let (gamma, lambda) = (self.config.gamma as f32, self.config.gae_lambda as f32);
        let values: Vec<f32> = rows.iter().map(|r| r.value.unwrap_or(0.0)).collect();
        let mut advantage = vec![0.0f32; rows.len()];
        let mut end = rows.len();
        while end > 0 {
            let key = (rows[end - 1].game_id, rows[end - 1].seat);
            let mut start = end - 1;
            while start > 0 && (rows[start - 1].game_id, rows[start - 1].seat) == key {
                start -= 1;
            }
            let mut gae = 0.0f32;
            for t in (start..end).rev() {
                let next = if t + 1 < end { values[t + 1] } else { 0.0 };
                let delta = rows[t].reward + gamma * next - values[t];
                gae = delta + gamma * lambda * gae;
                advantage[t] = gae;
            }
            end = start;
        }
        let target: Vec<f32> = advantage.iter().zip(&values).map(|(a, v)| a + v).collect();
        let explained = explained_variance(&values, &target);
        if self.config.normalize_advantages {
            let mut a: Vec<f64> = advantage.iter().map(|&x| f64::from(x)).collect();
            meowlab_rl::returns::standardize(&mut a);
            advantage = a.into_iter().map(|x| x as f32).collect();
        }
        let kind_of = |name: &str| {
            ModelKind::ALL
                .into_iter()
                .find(|k| k.name() == name)
                .expect("a model name written by an actor")
        };
        let batch = Batch {
            planes: rows.iter().map(|r| r.observation.clone()).collect(),
            kind: rows.iter().map(|r| kind_of(&r.model)).collect(),
            legal: rows
                .iter()
                .map(|r| r.legal.iter().fold(0u64, |m, &c| m | 1 << c))
                .collect(),
            class: rows.iter().map(|r| r.class).collect(),
            old_log_prob: rows.iter().map(|r| r.log_prob).collect(),
            advantage,
            target,
        };
        (batch, explained)
    }

    /// The epochs of clipped updates of every model that learns, and the critic's.
    fn epochs(&mut self, s: &Batch) -> PpoStats {
        let mut stats = PpoStats::default();
        let (mut steps, mut discard_batches) = (0usize, 0usize);
        let classes_of = |k: ModelKind| k.classes();
        for epoch in 0..self.config.epochs {
            let last = epoch + 1 == self.config.epochs;
            for kind in ModelKind::ALL {
                let Some(trainer) = self.trainers[kind_index(kind)].as_mut() else {
                    continue;
                };
                let mut idx: Vec<usize> =
                    (0..s.kind.len()).filter(|&i| s.kind[i] == kind).collect();
                idx.shuffle(&mut self.rng);
                let reference = &mut self.reference[kind_index(kind)];
                for chunk in idx.chunks(self.config.batch_size) {
                    let classes = classes_of(kind);
                    let b = chunk.len();
                    let planes = unpack_batch(&s.planes, chunk);
                    let mut offsets = vec![ILLEGAL; b * classes];
                    let mut onehot = vec![0.0f32; b * classes];
                    for (r, &i) in chunk.iter().enumerate() {
                        for c in 0..classes {
                            if s.legal[i] >> c & 1 == 1 {
                                offsets[r * classes + c] = 0.0;
                            }
                        }
                        onehot[r * classes + s.class[i] as usize] = 1.0;
                    }
                    let refs = reference_log_probs(reference, &planes, &offsets, classes);
                    let dev = &self.dev;
                    let onehot: Matrix = dev.tensor_from_vec(onehot, (b, classes));
                    let reference: Matrix = dev.tensor_from_vec(refs, (b, classes));
                    let old: Vector = dev
                        .tensor_from_vec(chunk.iter().map(|&i| s.old_log_prob[i]).collect(), (b,));
                    let adv: Vector =
                        dev.tensor_from_vec(chunk.iter().map(|&i| s.advantage[i]).collect(), (b,));
                    let (clip, ent_coef, kl_coef) = (
                        self.config.clip as f32,
                        self.config.entropy as f32,
                        self.config.kl_to_sl as f32,
                    );
                    let mut diag = (0.0, 0.0, 0.0, meowlab_rl::ClipStats::default());
                    let (loss, norm) = trainer.step_on_logits(planes, offsets, |logits| {
                        let (logp, entropy, kl) = categorical_terms(logits, &onehot, &reference);
                        let mean =
                            |v: &Vec<f32>| v.iter().map(|&x| f64::from(x)).sum::<f64>() / b as f64;
                        diag.0 = mean(&entropy.as_vec());
                        diag.1 = mean(&kl.as_vec());
                        let (pg, clip_stats) = clipped_policy_loss(logp, &old, &adv, clip);
                        diag.2 = f64::from(pg.array());
                        diag.3 = clip_stats;
                        pg - entropy.mean::<(), _>() * ent_coef + kl.mean::<(), _>() * kl_coef
                    });
                    let _ = loss;
                    steps += 1;
                    stats.grad_norm += norm;
                    stats.approx_kl += diag.3.approx_kl;
                    stats.clipfrac += diag.3.clipfrac;
                    if kind == ModelKind::Discard && last {
                        discard_batches += 1;
                        stats.entropy += diag.0;
                        stats.kl_sl += diag.1;
                        stats.policy_loss += diag.2;
                    }
                }
            }
            if self.config.value_baseline {
                let mut idx: Vec<usize> = (0..s.kind.len()).collect();
                idx.shuffle(&mut self.rng);
                let mut batches = 0;
                let mut loss = 0.0;
                for chunk in idx.chunks(self.config.batch_size) {
                    let targets: Vec<f32> = chunk.iter().map(|&i| s.target[i]).collect();
                    loss += self
                        .critic
                        .train_batch(&unpack_batch(&s.planes, chunk), &targets);
                    batches += 1;
                }
                if last {
                    stats.value_loss = loss / f64::from(batches.max(1));
                }
            }
        }
        let (steps, d) = (steps.max(1) as f64, discard_batches.max(1) as f64);
        stats.grad_norm /= steps;
        stats.approx_kl /= steps;
        stats.clipfrac /= steps;
        stats.entropy /= d;
        stats.kl_sl /= d;
        stats.policy_loss /= d;
        stats
    }

    /// Writes the learning models with their optimizers and the critic with its
    /// optimizer into `dir`; returns the counters to save beside them.
    pub fn save(&self, dir: &Path) -> Result<LearnerState, NnError> {
        for t in self.trainers.iter().flatten() {
            let name = t.net.card.kind.name();
            t.net.save(&dir.join(name))?;
            t.save_optimizer(&dir.join(format!("{name}-adam.safetensors")))?;
        }
        self.critic.save(dir)?;
        Ok(LearnerState {
            updates: self.updates,
            rng: self.rng.clone(),
        })
    }

    /// Continues from what [`PpoLearner::save`] wrote (the same config and SL models).
    pub fn restore(&mut self, dir: &Path, state: LearnerState) -> Result<(), NnError> {
        for t in self.trainers.iter_mut().flatten() {
            let name = t.net.card.kind.name();
            t.net = MeowjongNet::load(&self.dev, &dir.join(name))?;
            t.load_optimizer(&dir.join(format!("{name}-adam.safetensors")))?;
        }
        self.critic.load(dir)?;
        self.updates = state.updates;
        self.rng = state.rng;
        Ok(())
    }
}

/// PPO in one process: an actor and a learner taking turns, one update at a time.
pub struct Ppo {
    actor: PpoActor,
    learner: PpoLearner,
    games: usize,
    hands: usize,
}

impl Ppo {
    /// Starts from the five SL models (in [`ModelKind::ALL`] order).
    pub fn new(dev: &Dev, models: Vec<MeowjongNet>, config: PpoConfig) -> Self {
        let learner = PpoLearner::new(dev, &models, config.clone());
        let actor = PpoActor::new(models, Some(learner.critic().clone()), config);
        Ppo {
            actor,
            learner,
            games: 0,
            hands: 0,
        }
    }

    /// The five models as they play now.
    pub fn models(&self) -> Vec<MeowjongNet> {
        self.actor.models()
    }

    /// Games played so far.
    pub fn games(&self) -> usize {
        self.games
    }

    /// Updates made so far.
    pub fn updates(&self) -> usize {
        self.learner.updates() as usize
    }

    /// The rules of the training games.
    pub fn rules(&self) -> &Rules {
        self.actor.rules()
    }

    /// Plays one update's games and learns from them; with `log`, every game is logged
    /// (game id = its index in the run).
    pub fn update(&mut self, log: Option<&mut SanmaLogger>) -> Result<PpoStats, PpoError> {
        self.update_on(
            &|t: &Table, rules: &Rules| Game::new(rules.clone(), t.seed),
            log,
        )
    }

    /// [`Ppo::update`] on games dealt by `new_game` (scenario tests use hand-built walls).
    pub fn update_on(
        &mut self,
        new_game: &dyn Fn(&Table, &Rules) -> Game,
        log: Option<&mut SanmaLogger>,
    ) -> Result<PpoStats, PpoError> {
        let update = self.learner.updates() + 1;
        let (rows, play) = self.actor.play(update, new_game, log)?;
        let mut stats = self.learner.learn(&rows);
        self.actor.set_policy(
            self.learner.updates(),
            &self.learner.models(),
            Some(self.learner.critic()),
        );
        self.games += play.games;
        self.hands += play.hands;
        stats.absorb(&play, self.games, self.hands);
        Ok(stats)
    }

    /// Writes a checkpoint into `dir`: the learner, and the pool's snapshots.
    pub fn save(&self, dir: &Path) -> Result<PpoState, NnError> {
        let learner = self.learner.save(dir)?;
        let snapshots = self.actor.snapshots();
        for (version, models) in &snapshots {
            save_models(models, &dir.join("pool").join(format!("v{version:08}")))?;
        }
        Ok(PpoState {
            games: self.games,
            hands: self.hands,
            learner,
            snapshots: snapshots.iter().map(|(v, _)| *v).collect(),
        })
    }

    /// Continues from what [`Ppo::save`] wrote (the same config and SL models).
    pub fn restore(&mut self, dir: &Path, state: PpoState) -> Result<(), NnError> {
        self.learner.restore(dir, state.learner)?;
        let mut snapshots = Vec::new();
        for version in &state.snapshots {
            let from = dir.join("pool").join(format!("v{version:08}"));
            snapshots.push((*version, load_models(&self.learner.dev, &from)?));
        }
        self.actor.set_snapshots(snapshots);
        let version = self.learner.updates();
        let critic = self.learner.critic().clone();
        self.actor
            .replace_policy(version, &self.learner.models(), Some(&critic));
        self.games = state.games;
        self.hands = state.hands;
        Ok(())
    }
}

/// Writes five models into `dir` (a `model:DIR` seat).
pub fn save_models(models: &[MeowjongNet], dir: &Path) -> Result<(), NnError> {
    for net in models {
        let target = model_dir(dir, net.card.kind, &net.card.preset.name);
        std::fs::create_dir_all(&target).map_err(|source| NnError::Io {
            path: target.display().to_string(),
            source,
        })?;
        net.save(&target.join("model"))?;
    }
    Ok(())
}

/// Reads the five models of `dir` in [`ModelKind::ALL`] order.
pub fn load_models(dev: &Dev, dir: &Path) -> Result<Vec<MeowjongNet>, NnError> {
    find_models(dir)?
        .iter()
        .map(|f| MeowjongNet::open(dev, f))
        .collect()
}

/// The reference (SL) policy's log-probabilities over the legal classes of a batch
/// (`offsets`: 0 legal, [`ILLEGAL`] not); illegal classes get [`ILLEGAL`].
fn reference_log_probs(
    net: &mut MeowjongNet,
    planes: &[f32],
    offsets: &[f32],
    classes: usize,
) -> Vec<f32> {
    let b = planes.len() / PLANE_FLOATS;
    let probs = net.predict(planes, &mut ChaCha8Rng::seed_from_u64(0));
    let mut out = vec![ILLEGAL; b * classes];
    for r in 0..b {
        let row = r * classes..(r + 1) * classes;
        let legal = |c: usize| offsets[r * classes + c] == 0.0;
        let total: f32 = (0..classes)
            .filter(|&c| legal(c))
            .map(|c| probs[row.start + c])
            .sum();
        for c in (0..classes).filter(|&c| legal(c)) {
            out[row.start + c] = (probs[row.start + c] / total.max(1e-30)).max(1e-12).ln();
        }
    }
    out
}

/// 1 − Var(target − value)/Var(target) (CleanRL's diagnostic; 0 when the targets are
/// constant).
fn explained_variance(values: &[f32], targets: &[f32]) -> f64 {
    let n = targets.len() as f64;
    if n < 2.0 {
        return 0.0;
    }
    let var = |x: &mut dyn Iterator<Item = f64>| {
        let v: Vec<f64> = x.collect();
        let m = v.iter().sum::<f64>() / n;
        v.iter().map(|a| (a - m).powi(2)).sum::<f64>() / n
    };
    let vt = var(&mut targets.iter().map(|&t| f64::from(t)));
    if vt <= 0.0 {
        return 0.0;
    }
    let vr = var(&mut targets.iter().zip(values).map(|(&t, &v)| f64::from(t - v)));
    1.0 - vr / vt
}
