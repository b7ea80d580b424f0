//! The Meowjong paper's self-play REINFORCE on the discard model (Zhao & Holden 2022,
//! §VI; `training/reinforce.py`), with its code's defects fixed.
//!
//! As in the paper: an episode is one hand, East 1 from 35,000 each ([`GameLength::OneHand`]),
//! episode `i` dealt from seed `seed + i`; the three seats share one learning discard
//! model, the other four models keep their SL weights and act when p > 0.5; the reward is
//! the seat's score change in the hand, given at its end; `G_t = R·γ^(T−1−t)` over the
//! seat's own discards (those with a choice: the forced discards after riichi teach
//! nothing and, learned from, would teach "throw the tile you drew"); the returns of an update are pooled and standardised (the
//! baseline); the loss is `−G·log π(a|s)`; Adam; training samples discards, evaluation
//! takes the argmax.
//!
//! Fixed, each a choice the paper's code made by accident:
//! - discards are sampled over the **legal** tiles only (the code sampled all 34);
//! - returns are floats (the code stored them in an integer array);
//! - seats whose score did not change **are** learned from (the code dropped them, so
//!   folding was never reinforced);
//! - the update differentiates the policy that acted: BatchNorm on its running statistics
//!   and no dropout ([`MeowjongNet::forward_frozen`]; the code trained in train mode);
//! - the engine scores every win correctly and pays tenpai at exhaustive draws (the code
//!   scored every tsumo as rinshan and paid no tenpai payments);
//! - the action-sampling stream is per game and seat, not reseeded by the wall shuffle.

use std::path::Path;

use meowlab_nn::{Dev, NnError};
use meowlab_rl::returns::{standardize, terminal_returns};
use meowlab_sanma::arena::{Arena, IllegalMove, Observer, Reply, Table};
use meowlab_sanma::planes::encode;
use meowlab_sanma::stats::HandScore;
use meowlab_sanma::{Action, Game, GameLength, Rules, Seat};
use meowlab_store::{SanmaLogger, StoreError};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::agent::{BatchModelAgent, DiscardChoice};
use crate::model::{MeowjongNet, ModelKind};
use crate::selfplay::log::GameLog;
use crate::sl::{unpack_batch, Trainer};

/// The paper's REINFORCE settings (defaults: the paper's).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReinforceConfig {
    /// Episodes (hands) per update, played at once (paper: 1).
    pub rounds_per_update: usize,
    /// Discount per decision back from the end of the hand.
    pub gamma: f64,
    /// Adam learning rate.
    pub lr: f64,
    /// Minibatch size of the one pass over an update's samples (the paper's `fit`).
    pub batch_size: usize,
    /// Seed of the first episode's wall (episode i uses seed + i) and of the shuffling.
    pub seed: u64,
}

impl Default for ReinforceConfig {
    fn default() -> Self {
        ReinforceConfig {
            rounds_per_update: 1,
            gamma: 0.99,
            lr: 1e-3,
            batch_size: 32,
            seed: 0,
        }
    }
}

/// The learner's counters and shuffling stream, saved with each checkpoint.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ReinforceState {
    /// Episodes played.
    pub rounds: usize,
    /// Updates made.
    pub updates: usize,
    /// The minibatch-shuffling stream.
    pub rng: ChaCha8Rng,
}

/// What one update did.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UpdateStats {
    /// Updates so far (1-based).
    pub update: usize,
    /// Episodes played so far.
    pub rounds: usize,
    /// Discard decisions learned from in this update.
    pub samples: usize,
    /// Mean loss over the update's minibatches (before each step).
    pub loss: f64,
    /// Mean absolute score change per seat and hand.
    pub mean_abs_reward: f64,
    /// Fraction of this update's hands won by someone.
    pub win_rate: f64,
}

/// One discard decision of a seat: its packed planes and the tile thrown.
struct Sample {
    planes: Vec<u8>,
    tile: u8,
}

/// Records the learner's discards per (table, seat) and each hand's score changes, and
/// logs every decision and game when a logger is given (game id = first id + table).
struct Episodes<'a> {
    discards: std::collections::BTreeMap<(usize, Seat), Vec<Sample>>,
    /// Per table: the hand's score change of each seat, and whether someone won.
    outcomes: Vec<([i32; 3], bool)>,
    log: Option<GameLog<'a>>,
}

impl Observer for Episodes<'_> {
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
        if let Action::Discard { tile, .. } | Action::Riichi { tile, .. } = reply.action {
            if !has_choice(game.legal_actions(seat)) {
                return Ok(()); // a forced discard (after riichi): nothing was chosen
            }
            self.discards
                .entry((table, seat))
                .or_default()
                .push(Sample {
                    planes: encode(&game.view(seat)).to_bytes(),
                    tile: tile.index() as u8,
                });
        }
        Ok(())
    }

    fn game_over(&mut self, table: usize, game: Game) -> Result<(), IllegalMove> {
        if let Some(log) = self.log.as_mut() {
            log.game_over(table, &game);
        }
        let mut score = HandScore::default();
        let deltas = game
            .events()
            .iter()
            .find_map(|e| score.event(e))
            .unwrap_or([0; 3]);
        let won = game
            .events()
            .iter()
            .any(|e| matches!(e, meowlab_sanma::Event::Hora { .. }));
        self.outcomes.push((deltas, won));
        Ok(())
    }
}

/// Whether the legal actions offer more than one tile to throw (a discard the model
/// chose, not one the rules forced).
fn has_choice(legal: &[Action]) -> bool {
    let mut first = None;
    for a in legal {
        if let Action::Discard { tile, .. } | Action::Riichi { tile, .. } = a {
            match first {
                None => first = Some(tile.index()),
                Some(k) if k != tile.index() => return true,
                Some(_) => {}
            }
        }
    }
    false
}

/// Why an update could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ReinforceError {
    /// An agent chose an illegal action (a bug).
    #[error(transparent)]
    Illegal(#[from] IllegalMove),
    /// Logging the games failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Self-play REINFORCE: a learner (the discard model and its optimiser) and the player
/// that acts with its latest weights.
pub struct Reinforce {
    config: ReinforceConfig,
    trainer: Trainer,
    player: BatchModelAgent,
    rules: Rules,
    rounds: usize,
    updates: usize,
    rng: ChaCha8Rng,
}

impl Reinforce {
    /// Starts from the five SL models (in [`ModelKind::ALL`] order); only the discard
    /// model learns.
    pub fn new(dev: &Dev, models: Vec<MeowjongNet>, config: ReinforceConfig) -> Self {
        let discard = models[0].clone();
        assert_eq!(
            discard.card.kind,
            ModelKind::Discard,
            "models in ModelKind::ALL order"
        );
        let rng = ChaCha8Rng::seed_from_u64(config.seed ^ 0x5E1F_0B1A);
        let trainer = Trainer::with_net(dev, discard, config.lr, rng.clone());
        Reinforce {
            player: BatchModelAgent::from_models(models, DiscardChoice::Sample),
            trainer,
            rules: Rules {
                length: GameLength::OneHand,
                ..Rules::default()
            },
            rounds: 0,
            updates: 0,
            rng,
            config,
        }
    }

    /// The rules of the episodes (one hand).
    pub fn rules(&self) -> &Rules {
        &self.rules
    }

    /// The discard model as trained so far.
    pub fn discard_model(&self) -> &MeowjongNet {
        &self.trainer.net
    }

    /// Episodes played so far.
    pub fn rounds(&self) -> usize {
        self.rounds
    }

    /// Updates made so far.
    pub fn updates(&self) -> usize {
        self.updates
    }

    /// Writes the discard model and the optimizer's moments into `dir`; returns the
    /// counters to save beside them.
    pub fn save(&self, dir: &Path) -> Result<ReinforceState, NnError> {
        self.trainer.net.save(&dir.join("discard"))?;
        self.trainer.save_optimizer(&dir.join("adam.safetensors"))?;
        Ok(ReinforceState {
            rounds: self.rounds,
            updates: self.updates,
            rng: self.rng.clone(),
        })
    }

    /// Continues from what [`Reinforce::save`] wrote (the same config).
    pub fn restore(&mut self, dev: &Dev, dir: &Path, state: ReinforceState) -> Result<(), NnError> {
        let net = MeowjongNet::load(dev, &dir.join("discard"))?;
        self.trainer.net = net;
        self.trainer.load_optimizer(&dir.join("adam.safetensors"))?;
        self.player.set_model(self.trainer.net.clone());
        self.rounds = state.rounds;
        self.updates = state.updates;
        self.rng = state.rng;
        Ok(())
    }

    /// Plays `rounds_per_update` episodes and makes one update; with `log`, every game
    /// (its decisions with the behaviour policy, hands and events) is logged as game id
    /// = episode index.
    pub fn update(&mut self, log: Option<&mut SanmaLogger>) -> Result<UpdateStats, ReinforceError> {
        let arena = Arena::new(self.rules.clone(), self.config.rounds_per_update);
        let tables: Vec<Table> = (0..self.config.rounds_per_update)
            .map(|i| Table {
                seed: self.config.seed.wrapping_add((self.rounds + i) as u64),
                players: [0, 0, 0],
            })
            .collect();
        self.update_on(
            &arena,
            &tables,
            &|t: &Table, rules: &Rules| Game::new(rules.clone(), t.seed),
            log,
        )
    }

    /// [`Reinforce::update`] on given games (`new_game` deals each table; scenario tests
    /// use hand-built walls).
    pub fn update_on(
        &mut self,
        arena: &Arena,
        tables: &[Table],
        new_game: &dyn Fn(&Table, &Rules) -> Game,
        log: Option<&mut SanmaLogger>,
    ) -> Result<UpdateStats, ReinforceError> {
        let first_id = self.rounds as u64;
        let mut episodes = Episodes {
            discards: Default::default(),
            outcomes: Vec::new(),
            log: log.map(|l| GameLog::new(l, (first_id..first_id + tables.len() as u64).collect())),
        };
        arena.play_from(
            tables,
            &mut [&mut self.player],
            &mut episodes,
            &|t: &Table, _names: Vec<String>| new_game(t, &self.rules),
        )?;
        if let Some(log) = episodes.log.take() {
            log.finish()?;
        }
        self.rounds += tables.len();
        self.updates += 1;

        // returns of every seat's discards, pooled over the update and standardised
        let mut planes = Vec::new();
        let mut tiles = Vec::new();
        let mut returns = Vec::new();
        for ((table, seat), samples) in &episodes.discards {
            let reward = f64::from(episodes.outcomes[*table].0[*seat as usize]);
            returns.extend(terminal_returns(reward, samples.len(), self.config.gamma));
            for s in samples {
                planes.push(s.planes.clone());
                tiles.push(s.tile);
            }
        }
        standardize(&mut returns);
        let mut order: Vec<usize> = (0..tiles.len()).collect();
        order.shuffle(&mut self.rng);
        let mut loss = 0.0;
        let mut batches = 0;
        for chunk in order.chunks(self.config.batch_size.max(1)) {
            let labels: Vec<u8> = chunk.iter().map(|&i| tiles[i]).collect();
            let weights: Vec<f32> = chunk.iter().map(|&i| returns[i] as f32).collect();
            let x = unpack_batch(&planes, chunk);
            loss += self.trainer.policy_gradient_batch(x, &labels, &weights);
            batches += 1;
        }
        self.player.set_model(self.trainer.net.clone());

        let n = episodes.outcomes.len().max(1) as f64;
        let mean_abs_reward = episodes
            .outcomes
            .iter()
            .flat_map(|(d, _)| d.iter().map(|x| f64::from(x.abs())))
            .sum::<f64>()
            / (3.0 * n);
        Ok(UpdateStats {
            update: self.updates,
            rounds: self.rounds,
            samples: tiles.len(),
            loss: loss / f64::from(batches.max(1)),
            mean_abs_reward,
            win_rate: episodes.outcomes.iter().filter(|o| o.1).count() as f64 / n,
        })
    }
}
