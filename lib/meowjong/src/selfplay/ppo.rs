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
use meowlab_store::SanmaLogger;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::agent::{BatchModelAgent, DiscardChoice};
use crate::model::{find_models, model_dir, MeowjongNet, ModelKind};
use crate::selfplay::actor::{Actor, RewardConfig, Trajectory};
use crate::selfplay::critic::{Critic, CriticConfig};
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

/// The learner's counters and streams, saved with each checkpoint.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PpoState {
    /// Games played.
    pub games: usize,
    /// Hands played.
    pub hands: usize,
    /// Updates made.
    pub updates: usize,
    /// The update after which each kept snapshot was taken (oldest first).
    pub snapshots: Vec<usize>,
    /// The shuffling stream.
    pub rng: ChaCha8Rng,
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

/// One update's samples, flattened.
#[derive(Default)]
struct Samples {
    planes: Vec<Vec<u8>>,
    kind: Vec<ModelKind>,
    legal: Vec<u64>,
    class: Vec<u8>,
    old_log_prob: Vec<f32>,
    advantage: Vec<f32>,
    target: Vec<f32>,
}

/// The PPO learner: one trainer per model that learns, the critic, the actor and the
/// opponents it plays.
pub struct Ppo {
    config: PpoConfig,
    rules: Rules,
    trainers: Vec<Option<Trainer>>,
    reference: Vec<MeowjongNet>,
    critic: Critic,
    actor: Actor,
    sl_player: BatchModelAgent,
    heuristic: Box<dyn BatchAgent>,
    snapshots: Vec<(usize, BatchModelAgent)>,
    games: usize,
    hands: usize,
    updates: usize,
    rng: ChaCha8Rng,
    dev: Dev,
}

fn kind_index(kind: ModelKind) -> usize {
    ModelKind::ALL
        .iter()
        .position(|&k| k == kind)
        .expect("a kind")
}

impl Ppo {
    /// Starts from the five SL models (in [`ModelKind::ALL`] order).
    pub fn new(dev: &Dev, models: Vec<MeowjongNet>, config: PpoConfig) -> Self {
        assert!(
            models.len() == 5
                && models
                    .iter()
                    .zip(ModelKind::ALL)
                    .all(|(m, k)| m.card.kind == k),
            "models in ModelKind::ALL order"
        );
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
        let mut reference = models.clone();
        reference
            .iter_mut()
            .for_each(MeowjongNet::prepare_inference);
        Ppo {
            rules: Rules {
                length: config.length,
                ..Rules::default()
            },
            trainers,
            reference,
            critic,
            actor: Actor::new(
                models.clone(),
                &config.train,
                config.reward.clone(),
                config.seed,
            ),
            sl_player: BatchModelAgent::from_models(models, DiscardChoice::Argmax),
            heuristic: AgentSpec::Heuristic
                .build_bot_player()
                .expect("a bot spec builds"),
            snapshots: Vec::new(),
            games: 0,
            hands: 0,
            updates: 0,
            rng,
            config,
            dev: dev.clone(),
        }
    }

    /// The five models as they play now.
    pub fn models(&self) -> Vec<MeowjongNet> {
        self.actor.models().to_vec()
    }

    /// Games played so far.
    pub fn games(&self) -> usize {
        self.games
    }

    /// Updates made so far.
    pub fn updates(&self) -> usize {
        self.updates
    }

    /// The rules of the training games.
    pub fn rules(&self) -> &Rules {
        &self.rules
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
        let n = self.config.games_per_update;
        let tables: Vec<Table> = (0..n)
            .map(|i| {
                let game = (self.games + i) as u64;
                let seats = self
                    .config
                    .pool
                    .seating(self.config.seed, game, self.snapshots.len());
                Table {
                    seed: self.config.seed.wrapping_add(game),
                    players: seats.map(|o| match o {
                        Opponent::Learner => 0,
                        Opponent::Sl => 1,
                        Opponent::Heuristic => 2,
                        Opponent::Past(k) => 3 + k,
                    }),
                }
            })
            .collect();
        let playing = Instant::now();
        let mut observer = Games {
            log: log.map(|l| GameLog::new(l, self.games as u64)),
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
            Arena::new(rules.clone(), n).play_from(
                &tables,
                &mut players,
                &mut observer,
                &|t: &Table, _names: Vec<String>| new_game(t, rules),
            )?;
        }
        if let Some(log) = observer.log.take() {
            log.finish()?;
        }
        let play_seconds = playing.elapsed().as_secs_f64();
        self.games += n;
        self.hands += observer.hands;
        self.updates += 1;

        let trajectories = self.actor.take_finished();
        let learning = Instant::now();
        let (samples, explained_variance) = self.samples(&trajectories);
        let mut stats = self.learn(&samples);
        let learn_seconds = learning.elapsed().as_secs_f64();
        for (i, t) in self.trainers.iter().enumerate() {
            if let Some(t) = t {
                debug_assert_eq!(t.net.card.kind, ModelKind::ALL[i]);
                self.actor.set_model(t.net.clone());
            }
        }
        let pool = &self.config.pool;
        if self.updates % pool.snapshot_every == 0 {
            let snapshot = BatchModelAgent::from_models(self.models(), DiscardChoice::Argmax);
            self.snapshots.push((self.updates, snapshot));
            if self.snapshots.len() > pool.max_snapshots {
                self.snapshots.remove(0);
            }
        }

        let seats = trajectories.len().max(1) as f64;
        stats.update = self.updates;
        stats.games = self.games;
        stats.hands = self.hands;
        stats.samples = samples.kind.len();
        stats.mean_return = trajectories
            .iter()
            .map(|t| t.steps.iter().map(|s| f64::from(s.reward)).sum::<f64>())
            .sum::<f64>()
            / seats;
        stats.avg_rank = trajectories.iter().map(|t| f64::from(t.rank)).sum::<f64>() / seats;
        stats.explained_variance = explained_variance;
        stats.hands_per_second = observer.hands as f64 / play_seconds.max(1e-9);
        stats.actor_steps_per_second = stats.samples as f64 / play_seconds.max(1e-9);
        stats.learner_samples_per_second =
            (stats.samples * self.config.epochs) as f64 / learn_seconds.max(1e-9);
        Ok(stats)
    }

    /// Flattens the trajectories into samples with GAE advantages and value targets;
    /// returns them and the critic's explained variance of the returns.
    fn samples(&mut self, trajectories: &[Trajectory]) -> (Samples, f64) {
        let mut s = Samples::default();
        let mut rewards = Vec::new();
        let mut ends = Vec::new(); // one past each trajectory's last sample
        for t in trajectories {
            for step in &t.steps {
                s.planes.push(step.planes.clone());
                s.kind.push(step.stage.kind);
                s.legal.push(step.stage.legal);
                s.class.push(step.stage.class);
                s.old_log_prob.push(step.stage.prob.max(1e-12).ln());
                rewards.push(step.reward);
            }
            ends.push(s.kind.len());
        }
        let values = if self.config.value_baseline {
            let mut v = Vec::with_capacity(s.planes.len());
            let all: Vec<usize> = (0..s.planes.len()).collect();
            for chunk in all.chunks(512) {
                v.extend(self.critic.values(&unpack_batch(&s.planes, chunk)));
            }
            v
        } else {
            vec![0.0; s.planes.len()]
        };
        let (gamma, lambda) = (self.config.gamma as f32, self.config.gae_lambda as f32);
        let mut advantage = vec![0.0f32; values.len()];
        let mut start = 0;
        for &end in &ends {
            let mut gae = 0.0f32;
            for t in (start..end).rev() {
                let next = if t + 1 < end { values[t + 1] } else { 0.0 };
                let delta = rewards[t] + gamma * next - values[t];
                gae = delta + gamma * lambda * gae;
                advantage[t] = gae;
            }
            start = end;
        }
        s.target = advantage.iter().zip(&values).map(|(a, v)| a + v).collect();
        let explained = explained_variance(&values, &s.target);
        if self.config.normalize_advantages {
            let mut a: Vec<f64> = advantage.iter().map(|&x| f64::from(x)).collect();
            meowlab_rl::returns::standardize(&mut a);
            advantage = a.into_iter().map(|x| x as f32).collect();
        }
        s.advantage = advantage;
        (s, explained)
    }

    /// The epochs of clipped updates of every model that learns, and the critic's.
    fn learn(&mut self, s: &Samples) -> PpoStats {
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

    /// Writes the learning models with their optimizers, the critic and the snapshots
    /// into `dir`; returns the counters to save beside them.
    pub fn save(&self, dir: &Path) -> Result<PpoState, NnError> {
        for t in self.trainers.iter().flatten() {
            let name = t.net.card.kind.name();
            t.net.save(&dir.join(name))?;
            t.save_optimizer(&dir.join(format!("{name}-adam.safetensors")))?;
        }
        self.critic.save(dir)?;
        for (update, snapshot) in &self.snapshots {
            let into = dir.join("pool").join(format!("update-{update:08}"));
            for net in ModelKind::ALL.map(|k| snapshot.model(k)) {
                let target = model_dir(&into, net.card.kind, &net.card.preset.name);
                std::fs::create_dir_all(&target).map_err(|e| NnError::Io {
                    path: target.display().to_string(),
                    source: e,
                })?;
                net.save(&target.join("model"))?;
            }
        }
        Ok(PpoState {
            games: self.games,
            hands: self.hands,
            updates: self.updates,
            snapshots: self.snapshots.iter().map(|(u, _)| *u).collect(),
            rng: self.rng.clone(),
        })
    }

    /// Continues from what [`Ppo::save`] wrote (the same config and SL models).
    pub fn restore(&mut self, dir: &Path, state: PpoState) -> Result<(), NnError> {
        for t in self.trainers.iter_mut().flatten() {
            let name = t.net.card.kind.name();
            t.net = MeowjongNet::load(&self.dev, &dir.join(name))?;
            t.load_optimizer(&dir.join(format!("{name}-adam.safetensors")))?;
            self.actor.set_model(t.net.clone());
        }
        self.critic.load(dir)?;
        self.snapshots.clear();
        for update in &state.snapshots {
            let from = dir.join("pool").join(format!("update-{update:08}"));
            let models = find_models(&from)?
                .iter()
                .map(|f| MeowjongNet::open(&self.dev, f))
                .collect::<Result<Vec<_>, _>>()?;
            let player = BatchModelAgent::from_models(models, DiscardChoice::Argmax);
            self.snapshots.push((*update, player));
        }
        self.games = state.games;
        self.hands = state.hands;
        self.updates = state.updates;
        self.rng = state.rng;
        Ok(())
    }
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
