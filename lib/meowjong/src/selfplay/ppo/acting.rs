//! The acting half of PPO: an update's games (or an actor's share of them) played with
//! one policy version against the opponent pool, turned into [`SampleRow`]s.

use std::time::Instant;

use meowlab_sanma::arena::{Arena, BatchAgent, Table};
use meowlab_sanma::bots::AgentSpec;
use meowlab_sanma::{Game, Rules, WallDealing};
use meowlab_store::selfplay::SampleRow;
use meowlab_store::SanmaLogger;

use super::{wall_game, with_teacher_prior, PpoConfig, PpoError};
use crate::agent::{BatchModelAgent, DiscardChoice};
use crate::model::{MeowjongNet, ModelKind};
use crate::selfplay::actor::{Actor, Trajectory};
use crate::selfplay::critic::CriticNet;
use crate::selfplay::grp::Grp;
use crate::selfplay::log::{GameLog, Games};
use crate::selfplay::pool::Opponent;

/// What an actor's games were like.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PlayStats {
    /// Games played.
    pub games: usize,
    /// Hands played.
    pub hands: usize,
    /// The learner's seats (seat-games).
    pub seats: usize,
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
    /// The learner's models play with the config's teacher prior, the SL opponent
    /// without one.
    pub fn new(models: Vec<MeowjongNet>, critic: Option<CriticNet>, config: PpoConfig) -> Self {
        // the order of `models` is checked by the agents built from them
        let sl = with_teacher_prior(&models, 0.0);
        let models = with_teacher_prior(&models, config.teacher_prior);
        PpoActor {
            rules: Rules {
                length: config.length,
                // a pair's games meet the same tiles in every hand they both reach
                walls: if config.paired {
                    WallDealing::PerRound
                } else {
                    WallDealing::default()
                },
                ..Rules::default()
            },
            actor: {
                let mut actor = Actor::new(
                    models.clone(),
                    &config.train,
                    config.reward.clone(),
                    config.seed,
                );
                actor.set_imitate(config.imitate > 0.0);
                actor
            },
            critic: if config.value_baseline { critic } else { None },
            sl_player: BatchModelAgent::from_models(sl, DiscardChoice::Argmax),
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
        if version > 0 && version.is_multiple_of(pool.snapshot_every as u64) {
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

    /// The global reward predictor that pays the rank reward by hand (required with
    /// `reward.grp`).
    pub fn set_grp(&mut self, grp: Option<Grp>) {
        self.actor.set_grp(grp);
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
                let g = wall_game(&self.config, g);
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
            // a table's seed keys its players' sampling streams; its walls are those of
            // its wall game
            let seed = self.config.seed;
            let walls = |t: &Table| Table {
                seed: seed.wrapping_add(wall_game(&self.config, t.seed.wrapping_sub(seed))),
                ..*t
            };
            Arena::new(rules.clone(), tables.len().max(1)).play_from(
                &tables,
                &mut players,
                &mut observer,
                &|t: &Table, _names: Vec<String>| new_game(&walls(t), rules),
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
            seats: trajectories.len(),
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
                .flat_map(|chunk| c.values(&planes, chunk))
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
                    seat: t.seat,
                    step: k as u32,
                    hand: step.hand,
                    policy_version: self.version,
                    model: step.stage.kind.name().to_string(),
                    legal: (0..64u8)
                        .filter(|c| step.stage.legal >> c & 1 == 1)
                        .collect(),
                    class: step.stage.class,
                    teacher_class: step.teacher,
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
