//! A stronger self-play learner than the paper's REINFORCE: proximal policy optimisation
//! (Schulman et al. 2017) of the Meowjong models, played over whole games.
//!
//! Each update plays `games_per_update` games in the arena. The learner takes one seat of
//! each (seat `game % 3`); the two others are drawn from the opponent [`pool`] (the
//! learner itself, past snapshots, the SL start, the heuristic bot). Every stage of every
//! decision of the models that learn is sampled from the current policy and recorded by
//! the [`Actor`](crate::selfplay::actor::Actor).
//!
//! Rewards are the final rank (and optional points), with optional per-hand score
//! shaping ([`RewardConfig`]). With `reward.grp` the rank reward is paid hand by hand
//! through a global reward predictor ([`grp`](crate::selfplay::grp)), and with `episode =
//! "hand"` each hand is its own episode. Returns and advantages are GAE(γ, λ) over a
//! seat's own steps (of the game or the hand) with a learned value baseline V(s)
//! ([`Critic`](crate::selfplay::critic::Critic)). Then a few epochs of PPO's clipped
//! surrogate per model, an entropy bonus and a KL penalty to the SL policy (the networks
//! in eval mode: BatchNorm on its running statistics, no dropout — the policy that acted
//! is the one differentiated), and the critic's squared error.
//!
//! Each part can be switched off (`value_baseline = false`: standardised returns;
//! `epochs = 1, clip` large: plain advantage actor-critic; `kl_to_sl = 0`; `train =
//! ["discard"]`; pool weights; `reward.grp = false, episode = "game"`), so ablations are
//! configs.
//!
//! [`pool`]: crate::selfplay::pool

use std::path::Path;

use meowlab_nn::nn::{Dev, NnError};
use meowlab_sanma::arena::{IllegalMove, Table};
use meowlab_sanma::{Game, GameLength, Rules};
use meowlab_store::SanmaLogger;
use serde::{Deserialize, Serialize};

use crate::model::{find_models, model_dir, MeowjongNet, ModelKind};
use crate::selfplay::actor::RewardConfig;
use crate::selfplay::critic::CriticConfig;
use crate::selfplay::grp::{Grp, GrpConfig};
use crate::selfplay::pool::PoolConfig;

mod acting;
mod learning;

pub use acting::{PlayStats, PpoActor};
pub use learning::{LearnerState, PpoLearner};

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
    /// Coefficient of the cross-entropy to the heuristic bot's choice on the learner's own
    /// states (DAgger-style imitation of the teacher the SL models copied; 0: off).
    pub imitate: f64,
    /// Plays a residual policy over the heuristic bot: the logit of the bot's choice at
    /// every stage is raised by this much (saved in each model's card as
    /// [`ModelCard::teacher_prior`], so `model:` seats play it too), and the networks
    /// learn where to leave it. 0: the networks alone.
    ///
    /// [`ModelCard::teacher_prior`]: crate::ModelCard::teacher_prior
    pub teacher_prior: f64,
    /// Plays each update's games in pairs on the same walls (per-round walls, the same
    /// seating, each game its own sampling streams). While the two games of a pair are
    /// in the same state, a decision's baseline is what the partner got from that state
    /// to the hand's end (where they chose differently, the difference is the worth of
    /// one choice over the other, without the wall's luck); after they part, the
    /// critic's value. Needs `episode = "hand"` and an even `games_per_update`.
    pub paired: bool,
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
    /// What one episode of the returns and advantages is.
    pub episode: Episode,
    /// The global reward predictor of `reward.grp` (made once per run).
    pub grp: GrpConfig,
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
    /// The `actors` actors are other processes (Ray actors driven by `python -m
    /// meowlab.ray.selfplay`, each a [`ShardActor`]): the learner starts no threads,
    /// announces the updates in `pipeline.json` and waits for their partitions.
    ///
    /// [`ShardActor`]: crate::selfplay::pipeline::ShardActor
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub external_actors: bool,
    /// With external actors on machines that share no filesystem: the object-store URL
    /// (`file:///…`; `s3://…`, `gs://…`, `az://…` with the `cloud` feature) through
    /// which they get policies and leave their partitions; every process keeps its own
    /// copy of the run folder ([`meowlab_store::exchange`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exchange: Option<String>,
}

impl Default for PpoConfig {
    fn default() -> Self {
        PpoConfig {
            length: GameLength::Hanchan,
            games_per_update: 32,
            gamma: 1.0,
            gae_lambda: 1.0,
            lr: 1e-4,
            epochs: 2,
            batch_size: 256,
            clip: 0.2,
            entropy: 1e-3,
            kl_to_sl: 0.05,
            imitate: 0.0,
            teacher_prior: 0.0,
            paired: false,
            value_baseline: true,
            normalize_advantages: true,
            train: ModelKind::ALL.to_vec(),
            reward: RewardConfig::default(),
            episode: Episode::Game,
            grp: GrpConfig::default(),
            pool: PoolConfig::default(),
            critic: CriticConfig::default(),
            seed: 0,
            actors: 0,
            actor_lag: 0,
            keep_samples: false,
            external_actors: false,
            exchange: None,
        }
    }
}

/// Where returns and advantages stop.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Episode {
    /// A seat's whole game: a step's return is everything it got after it.
    Game,
    /// One hand: a step's return is what it got until the hand's end (with per-hand
    /// rewards — `reward.grp` or `reward.hand_shaping` — so the hands after it add no
    /// noise).
    Hand,
}

impl PpoConfig {
    /// Checks what serde cannot.
    pub fn validate(&self) -> Result<(), String> {
        if self.episode == Episode::Hand && !self.reward.grp && self.reward.hand_shaping == 0.0 {
            return Err("ppo.episode = \"hand\" needs per-hand rewards: ppo.reward.grp = true or ppo.reward.hand_shaping > 0".into());
        }
        if self.paired && (self.episode != Episode::Hand || self.games_per_update % 2 == 1) {
            return Err("ppo.paired plays games in pairs and compares their hands: it needs ppo.episode = \"hand\" and an even ppo.games_per_update".into());
        }
        if self.reward.grp && self.length == GameLength::OneHand {
            return Err("ppo.reward.grp pays the rank reward by hand: it needs games of several hands (length \"tonpuu\" or \"hanchan\")".into());
        }
        if self.grp.games < 10
            || self.grp.epochs == 0
            || self.grp.hidden == 0
            || !self.grp.lr.is_finite()
            || self.grp.lr <= 0.0
        {
            return Err("ppo.grp needs games ≥ 10 and positive epochs, hidden and lr".into());
        }
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
            self.imitate,
            self.teacher_prior,
            self.critic.lr,
        ];
        if finite.iter().any(|x| !x.is_finite() || *x < 0.0) || self.lr == 0.0 {
            return Err("ppo.lr must be positive; clip, entropy, kl_to_sl, imitate, teacher_prior and critic.lr finite and non-negative".into());
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

/// The game whose walls and seating game `game` shares: its own, or with
/// [`PpoConfig::paired`] the even game of its pair.
pub(crate) fn wall_game(config: &PpoConfig, game: u64) -> u64 {
    if config.paired {
        game & !1
    } else {
        game
    }
}

/// The models with teacher prior `prior` in their cards (see
/// [`PpoConfig::teacher_prior`]).
pub(crate) fn with_teacher_prior(models: &[MeowjongNet], prior: f64) -> Vec<MeowjongNet> {
    let mut models = models.to_vec();
    models
        .iter_mut()
        .for_each(|m| m.card.teacher_prior = prior as f32);
    models
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
    /// Cross-entropy of the discard policy to the heuristic bot's choice on the learner's
    /// states (its agreement with the teacher; 0 when no stage was labelled).
    pub teacher_ce: f64,
    /// Mean approximate KL between the policy before and after the update's steps.
    pub approx_kl: f64,
    /// Fraction of samples whose ratio was clipped.
    pub clipfrac: f64,
    /// Mean critic loss (½ squared error).
    pub value_loss: f64,
    /// Fraction of the returns' variance the critic explains (before the update).
    pub explained_variance: f64,
    /// Share of the steps whose baseline is the partner game's return from the same
    /// state ([`PpoConfig::paired`]; 0 otherwise).
    pub paired_share: f64,
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

/// PPO in one process: an actor and a learner taking turns, one update at a time.
pub struct Ppo {
    actor: PpoActor,
    learner: PpoLearner,
    games: usize,
    hands: usize,
}

impl Ppo {
    /// Gives the actor the global reward predictor (required with `reward.grp`).
    pub fn set_grp(&mut self, grp: Option<Grp>) {
        self.actor.set_grp(grp);
    }

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hand_episodes_and_the_grp_are_checked_and_read_from_toml() {
        let config: PpoConfig =
            toml::from_str("episode = \"hand\"\n[reward]\ngrp = true\nhand_shaping = 0.0\n")
                .unwrap();
        assert_eq!(config.episode, Episode::Hand);
        config.validate().unwrap();
        let no_hand_rewards = PpoConfig {
            reward: RewardConfig {
                grp: false,
                ..config.reward.clone()
            },
            ..config.clone()
        };
        let e = no_hand_rewards.validate().unwrap_err();
        assert!(e.contains("needs per-hand rewards"), "{e}");
        let one_hand = PpoConfig {
            length: GameLength::OneHand,
            ..config.clone()
        };
        assert!(one_hand.validate().unwrap_err().contains("several hands"));
        let bad_grp = PpoConfig {
            grp: GrpConfig {
                lr: f64::NAN,
                ..GrpConfig::default()
            },
            ..config
        };
        assert!(bad_grp.validate().unwrap_err().contains("ppo.grp"));
        assert!(toml::from_str::<PpoConfig>("episode = \"round\"").is_err());
    }
}
