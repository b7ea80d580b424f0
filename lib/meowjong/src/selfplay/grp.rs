//! A global reward predictor (GRP): the distribution of a seat's final rank from the state
//! of the table at the start of a hand — the round, honba, deposits, dealer and the three
//! scores (Suphx's "global reward prediction", Mortal's GRP).
//!
//! Why: a full-hanchan rank reward arrives once per game, after a dozen hands whose luck
//! swamps any one decision. With a GRP each hand gets its own reward, the change of the
//! seat's expected rank reward over the hand, `E[uma | start of the next hand] − E[uma |
//! start of this hand]` (the game's end counts its actual rank), and a hand can be its own
//! episode: the sum over a game still telescopes to the rank reward, but a decision is no
//! longer credited with the noise of the hands after it. The reward stays rank-aware: a
//! 1,000-point win is worth much in All Last and little in East 1.
//!
//! The predictor is a small MLP on [`grp_features`], trained once per run on games of the
//! heuristic bot ([`GrpData::play`]) and kept beside the run (`grp/`).

use std::path::Path;

use dfdx::prelude::*;
use meowlab_nn::nn::{
    load_params, save_params, Activation, Dev, Matrix, Mlp, NnError, Optimizer, OptimizerConfig,
    Params,
};
use meowlab_sanma::arena::{Arena, IllegalMove, Observer, Table};
use meowlab_sanma::bots::AgentSpec;
use meowlab_sanma::event::{round_index, Event};
use meowlab_sanma::{Game, GameLength, Rules, Seat};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// How the GRP is made.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GrpConfig {
    /// Heuristic-bot games to learn from (the last 10% validate).
    pub games: usize,
    /// Seed of those games (game i is dealt from seed + i) and of the training.
    pub seed: u64,
    /// Passes over the training hands.
    pub epochs: usize,
    /// Units of each of the two hidden layers.
    pub hidden: usize,
    /// Adam learning rate.
    pub lr: f64,
}

impl Default for GrpConfig {
    fn default() -> Self {
        GrpConfig {
            games: 3000,
            seed: 7_000_000,
            epochs: 12,
            hidden: 64,
            lr: 1e-3,
        }
    }
}

/// The table at the start of a hand.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HandStart {
    /// Round index: 3 × wind + kyoku − 1 (0 = East 1, 3 = South 1, 6 = West 1).
    pub round: u8,
    /// Honba counters.
    pub honba: u32,
    /// Riichi deposits on the table.
    pub deposits: u32,
    /// The dealer.
    pub dealer: Seat,
    /// Scores of seats 0, 1, 2.
    pub scores: [i32; 3],
}

/// The start of every hand of `game`, in order (hand k of the arena's
/// [`KyokuEnd::ordinal`](meowlab_sanma::arena::KyokuEnd)).
pub fn hand_starts(game: &Game) -> Vec<HandStart> {
    game.events()
        .iter()
        .filter_map(|e| match e {
            Event::StartKyoku {
                bakaze,
                kyoku,
                honba,
                kyotaku,
                oya,
                scores,
                ..
            } => Some(HandStart {
                round: round_index(*bakaze, *kyoku),
                honba: *honba,
                deposits: *kyotaku,
                dealer: *oya,
                scores: [scores[0], scores[1], scores[2]],
            }),
            _ => None,
        })
        .collect()
}

/// Numbers in [`grp_features`].
pub const GRP_FEATURES: usize = 25;

/// Rounds told apart by the features (later ones share the last slot).
const ROUNDS: usize = 12;

/// What the GRP reads, from `seat`'s point of view: the round (one-hot), honba and
/// deposits (per 5), its own, the next and the previous seat's score (relative to 35,000,
/// per 10,000), its lead over each, its distance from the dealer (one-hot) and its rank
/// now (one-hot; ties go to the seat nearer the first dealer, as at the game's end).
pub fn grp_features(start: &HandStart, seat: Seat) -> [f32; GRP_FEATURES] {
    let mut f = [0.0f32; GRP_FEATURES];
    let s = seat as usize;
    let score = |k: usize| start.scores[(s + k) % 3] as f32;
    f[(start.round as usize).min(ROUNDS - 1)] = 1.0;
    f[ROUNDS] = start.honba.min(20) as f32 / 5.0;
    f[ROUNDS + 1] = start.deposits.min(20) as f32 / 5.0;
    for k in 0..3 {
        f[ROUNDS + 2 + k] = (score(k) - 35_000.0) / 10_000.0;
    }
    f[ROUNDS + 5] = (score(0) - score(1)) / 10_000.0;
    f[ROUNDS + 6] = (score(0) - score(2)) / 10_000.0;
    f[ROUNDS + 7 + (s + 3 - start.dealer as usize) % 3] = 1.0;
    f[ROUNDS + 10 + rank_now(&start.scores, seat) as usize - 1] = 1.0;
    f
}

/// `seat`'s rank (1..=3) by score, ties to the lower seat.
fn rank_now(scores: &[i32; 3], seat: Seat) -> u8 {
    let s = seat as usize;
    1 + (0..3)
        .filter(|&o| o != s && (scores[o] > scores[s] || (scores[o] == scores[s] && o < s)))
        .count() as u8
}

/// Hands to learn from: each hand start of each game with the three final ranks.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct GrpData {
    /// (hand start, final rank of seats 0, 1, 2), games in order.
    pub hands: Vec<(HandStart, [u8; 3])>,
    /// Where each game's hands begin in `hands`.
    pub game_starts: Vec<usize>,
}

impl GrpData {
    /// Adds a finished game (unfinished ones are skipped).
    pub fn add(&mut self, game: &Game) {
        if let Some(result) = game.result() {
            self.game_starts.push(self.hands.len());
            for start in hand_starts(game) {
                self.hands.push((start, result.ranks));
            }
        }
    }

    /// `games` games of three heuristic bots under `rules` (game i dealt from seed + i),
    /// `progress(games done)` after each.
    pub fn play(
        rules: &Rules,
        games: usize,
        seed: u64,
        progress: &mut dyn FnMut(usize),
    ) -> Result<GrpData, IllegalMove> {
        struct Gather<'a> {
            data: GrpData,
            progress: &'a mut dyn FnMut(usize),
        }
        impl Observer for Gather<'_> {
            type Error = IllegalMove;
            fn game_over(&mut self, _table: usize, game: Game) -> Result<(), IllegalMove> {
                self.data.add(&game);
                (self.progress)(self.data.game_starts.len());
                Ok(())
            }
        }
        let tables: Vec<Table> = (0..games as u64)
            .map(|i| Table {
                seed: seed.wrapping_add(i),
                players: [0, 0, 0],
            })
            .collect();
        let mut bot = AgentSpec::Heuristic
            .build_bot_player()
            .expect("the heuristic spec builds");
        let mut gather = Gather {
            data: GrpData::default(),
            progress,
        };
        Arena::new(rules.clone(), 64).play(&tables, &mut [bot.as_mut()], &mut gather)?;
        Ok(gather.data)
    }
}

/// How well a GRP predicts on held-out games.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct GrpReport {
    /// Training (hand start, seat) samples.
    pub train_samples: usize,
    /// Validation samples (the last 10% of the games).
    pub val_samples: usize,
    /// Validation cross-entropy of the final rank (nats; ln 3 = 1.099 knows nothing).
    pub val_loss: f64,
    /// Validation accuracy of the most probable final rank.
    pub val_accuracy: f64,
    /// The same accuracy of "the rank now" (the baseline to beat).
    pub rank_now_accuracy: f64,
}

/// The predictor: P(final rank | hand start, seat).
#[derive(Clone, Debug)]
pub struct Grp {
    net: Mlp,
    dev: Dev,
}

impl Params for Grp {
    fn visit(&self, f: &mut dyn FnMut(&str, &Matrix)) {
        self.net.visit(f)
    }
    fn visit_mut(&mut self, f: &mut dyn FnMut(&str, &mut Matrix)) {
        self.net.visit_mut(f)
    }
}

impl Grp {
    /// A freshly initialised predictor with `hidden` units per hidden layer.
    pub fn new(dev: &Dev, hidden: usize, rng: &mut ChaCha8Rng) -> Self {
        Grp {
            net: Mlp::new(
                dev,
                &[GRP_FEATURES, hidden, hidden, 3],
                Activation::Relu,
                rng,
            ),
            dev: dev.clone(),
        }
    }

    fn logits<T: Tape<f32, Dev> + Merge<T> + Default>(
        &self,
        rows: &[(HandStart, Seat)],
        tape: T,
    ) -> Matrix<T> {
        let x: Vec<f32> = rows.iter().flat_map(|(h, s)| grp_features(h, *s)).collect();
        let x: Matrix = self.dev.tensor_from_vec(x, (rows.len(), GRP_FEATURES));
        self.net.forward(x.put_tape(tape))
    }

    /// P(final rank = 1, 2, 3) of each (hand start, seat).
    pub fn rank_probs(&self, rows: &[(HandStart, Seat)]) -> Vec<[f32; 3]> {
        if rows.is_empty() {
            return Vec::new();
        }
        let p = self.logits(rows, NoneTape).softmax::<Axis<1>>().as_vec();
        p.chunks(3).map(|c| [c[0], c[1], c[2]]).collect()
    }

    /// The expected rank reward `Σ P(rank) · uma[rank − 1]` of each (hand start, seat).
    pub fn expected(&self, rows: &[(HandStart, Seat)], uma: &[f64; 3]) -> Vec<f64> {
        self.rank_probs(rows)
            .iter()
            .map(|p| (0..3).map(|r| f64::from(p[r]) * uma[r]).sum())
            .collect()
    }

    /// Trains a predictor on `data` (the last 10% of its games validate), calling
    /// `progress(epoch)` after each epoch.
    pub fn fit(
        dev: &Dev,
        data: &GrpData,
        config: &GrpConfig,
        progress: &mut dyn FnMut(usize),
    ) -> (Grp, GrpReport) {
        let split_game = data.game_starts.len() - data.game_starts.len() / 10;
        let split = data
            .game_starts
            .get(split_game)
            .copied()
            .unwrap_or(data.hands.len());
        let samples = |range: std::ops::Range<usize>| -> Vec<(HandStart, Seat, u8)> {
            data.hands[range]
                .iter()
                .flat_map(|(h, ranks)| (0..3u8).map(move |s| (*h, s, ranks[s as usize])))
                .collect()
        };
        let (mut train, val) = (samples(0..split), samples(split..data.hands.len()));
        let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
        let mut grp = Grp::new(dev, config.hidden, &mut rng);
        let mut optimizer = Optimizer::new(&grp, OptimizerConfig::adam(config.lr));
        for epoch in 0..config.epochs {
            train.shuffle(&mut rng);
            for batch in train.chunks(512) {
                let rows: Vec<(HandStart, Seat)> = batch.iter().map(|b| (b.0, b.1)).collect();
                let target: Vec<f32> = batch
                    .iter()
                    .flat_map(|b| (1..=3u8).map(move |r| f32::from(u8::from(r == b.2))))
                    .collect();
                let target: Matrix = dev.tensor_from_vec(target, (batch.len(), 3));
                let logits = grp.logits(&rows, OwnedTape::default());
                let loss = cross_entropy_with_logits_loss(logits, target);
                let mut grads = loss.backward();
                optimizer.update(&mut grp, &mut grads);
            }
            progress(epoch + 1);
        }
        let report = grp.report(train.len(), &val);
        (grp, report)
    }

    fn report(&self, train_samples: usize, val: &[(HandStart, Seat, u8)]) -> GrpReport {
        let rows: Vec<(HandStart, Seat)> = val.iter().map(|v| (v.0, v.1)).collect();
        let probs: Vec<[f32; 3]> = rows.chunks(4096).flat_map(|c| self.rank_probs(c)).collect();
        let n = val.len().max(1) as f64;
        let mut loss = 0.0;
        let (mut hits, mut baseline) = (0usize, 0usize);
        for (p, v) in probs.iter().zip(val) {
            let r = v.2 as usize - 1;
            loss -= f64::from(p[r].max(1e-12)).ln();
            let best = (0..3).fold(0, |b, k| if p[k] > p[b] { k } else { b });
            hits += usize::from(best == r);
            baseline += usize::from(rank_now(&v.0.scores, v.1) == v.2);
        }
        GrpReport {
            train_samples,
            val_samples: val.len(),
            val_loss: loss / n,
            val_accuracy: hits as f64 / n,
            rank_now_accuracy: baseline as f64 / n,
        }
    }

    /// Writes the weights into `dir/grp.safetensors`.
    pub fn save(&self, dir: &Path) -> Result<(), NnError> {
        save_params(self, &dir.join("grp.safetensors"))
    }

    /// Reads what [`Grp::save`] wrote, for a predictor of `hidden` units.
    pub fn load(dev: &Dev, dir: &Path, hidden: usize) -> Result<Grp, NnError> {
        let mut grp = Grp::new(dev, hidden, &mut ChaCha8Rng::seed_from_u64(0));
        load_params(&mut grp, &dir.join("grp.safetensors"))?;
        Ok(grp)
    }
}

/// Where a run keeps its predictor (`grp.safetensors`, `report.json`).
pub fn grp_dir(run_dir: &Path) -> std::path::PathBuf {
    run_dir.join("grp")
}

/// The rules a GRP of `length` games learns from.
pub fn grp_rules(length: GameLength) -> Rules {
    Rules {
        length,
        ..Rules::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn start(round: u8, scores: [i32; 3]) -> HandStart {
        HandStart {
            round,
            honba: 0,
            deposits: 0,
            dealer: round % 3,
            scores,
        }
    }

    #[test]
    fn features_are_from_the_seats_point_of_view() {
        let s = start(4, [30_000, 45_000, 30_000]);
        let f = grp_features(&s, 1);
        assert_eq!(f[4], 1.0, "South 2");
        assert_eq!(&f[ROUNDS + 2..ROUNDS + 5], &[1.0, -0.5, -0.5]);
        assert_eq!(&f[ROUNDS + 5..ROUNDS + 7], &[1.5, 1.5]);
        assert_eq!(f[ROUNDS + 7], 1.0, "seat 1 deals South 2");
        assert_eq!(f[ROUNDS + 10], 1.0, "1st now");
        // ties go to the lower seat: seat 0 is 2nd, seat 2 3rd
        assert_eq!(rank_now(&s.scores, 0), 2);
        assert_eq!(rank_now(&s.scores, 2), 3);
        assert_eq!(grp_features(&s, 2)[ROUNDS + 12], 1.0);
    }

    #[test]
    fn hand_starts_follow_the_game_and_the_data_keeps_each_games_ranks() {
        let data = GrpData::play(&grp_rules(GameLength::Tonpuu), 6, 40, &mut |_| {}).unwrap();
        assert_eq!(data.game_starts.len(), 6);
        assert_eq!(data.game_starts[0], 0);
        let (first, _) = data.hands[0];
        assert_eq!(first, start(0, [35_000; 3]));
        for (h, ranks) in &data.hands {
            let mut sorted = *ranks;
            sorted.sort();
            assert_eq!(sorted, [1, 2, 3]);
            assert!(h.scores.iter().sum::<i32>() + 1000 * h.deposits as i32 == 105_000);
        }
    }

    /// The final rank is the rank after the last hand start in these synthetic games, so
    /// the predictor must beat a uniform guess by far and match the current leader late
    /// in the game, and it saves and loads exactly.
    #[test]
    fn the_predictor_learns_who_wins_and_round_trips() {
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let mut data = GrpData::default();
        use rand::Rng;
        for _ in 0..600 {
            data.game_starts.push(data.hands.len());
            let mut scores = [35_000; 3];
            let mut hands = Vec::new();
            for round in 0..6u8 {
                hands.push(start(round, scores));
                let winner = rng.gen_range(0..3);
                let points = 1000 * rng.gen_range(1..12);
                for (s, x) in scores.iter_mut().enumerate() {
                    *x += if s == winner { points } else { -points / 2 };
                }
            }
            let ranks = [0u8, 1, 2].map(|s| rank_now(&scores, s));
            data.hands.extend(hands.into_iter().map(|h| (h, ranks)));
        }
        let dev = Dev::default();
        let config = GrpConfig {
            epochs: 60,
            lr: 3e-3,
            ..GrpConfig::default()
        };
        let (grp, report) = Grp::fit(&dev, &data, &config, &mut |_| {});
        assert!(
            report.val_loss < 0.9 && report.val_accuracy > report.rank_now_accuracy - 0.02,
            "{report:?}"
        );
        let late = start(5, [52_000, 30_000, 23_000]);
        let p = grp.rank_probs(&[(late, 0), (late, 2)]);
        assert!(p[0][0] > 0.7 && p[1][2] > 0.7, "{p:?}");
        let uma = [1.0, 0.0, -1.0];
        let e = grp.expected(&[(late, 0)], &uma)[0];
        assert!((e - f64::from(p[0][0] - p[0][2])).abs() < 1e-6);
        let dir = std::env::temp_dir().join(format!("meowlab-grp-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        grp.save(&dir).unwrap();
        let back = Grp::load(&dev, &dir, config.hidden).unwrap();
        assert_eq!(back.rank_probs(&[(late, 1)]), grp.rank_probs(&[(late, 1)]));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
