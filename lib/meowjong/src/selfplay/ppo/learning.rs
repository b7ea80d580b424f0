//! The learning half of PPO: GAE over each seat's steps from the actors' values, a few
//! epochs of the clipped surrogate per model with an entropy bonus and a KL penalty to the
//! SL policy (each network in eval mode, the policy that acted), and the critic's squared
//! error — from [`SampleRow`]s alone.

use std::path::Path;
use std::time::Instant;

use dfdx::prelude::*;
use meowlab_nn::nn::{Dev, Matrix, NnError};
use meowlab_rl::{categorical_terms, clipped_policy_loss, Vector};
use meowlab_store::selfplay::SampleRow;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::{with_teacher_prior, Episode, PpoConfig, PpoStats};
use crate::model::{MeowjongNet, ModelKind};
use crate::selfplay::critic::{Critic, CriticNet};
use crate::sl::{unpack_batch, Trainer, ILLEGAL, PLANE_FLOATS};

/// One update's samples, flattened for the learner.
struct Batch {
    planes: Vec<Vec<u8>>,
    kind: Vec<ModelKind>,
    legal: Vec<u64>,
    class: Vec<u8>,
    teacher: Vec<Option<u8>>,
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
    pub(super) dev: Dev,
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
    /// KL reference (both with the config's teacher prior).
    pub fn new(dev: &Dev, models: &[MeowjongNet], config: PpoConfig) -> Self {
        let models = with_teacher_prior(models, config.teacher_prior);
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
    /// order, as [`PpoActor::play`](super::PpoActor::play) writes them).
    pub fn learn(&mut self, rows: &[SampleRow]) -> PpoStats {
        let learning = Instant::now();
        let (batch, explained_variance, paired_share) = self.batch(rows);
        let mut stats = self.epochs(&batch);
        self.updates += 1;
        stats.update = self.updates as usize;
        stats.samples = rows.len();
        stats.explained_variance = explained_variance;
        stats.paired_share = paired_share;
        stats.learner_samples_per_second =
            (rows.len() * self.config.epochs) as f64 / learning.elapsed().as_secs_f64().max(1e-9);
        stats
    }

    /// GAE advantages and value targets over each seat's steps; the baselines'
    /// explained variance of the targets and the share of paired baselines.
    fn batch(&self, rows: &[SampleRow]) -> (Batch, f64, f64) {
        let (values, paired) = if self.config.paired {
            paired_baselines(rows)
        } else {
            (rows.iter().map(|r| r.value.unwrap_or(0.0)).collect(), 0)
        };
        let mut advantage = gae(
            rows,
            &values,
            self.config.gamma as f32,
            self.config.gae_lambda as f32,
            self.config.episode,
        );
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
            teacher: rows.iter().map(|r| r.teacher_class).collect(),
            old_log_prob: rows.iter().map(|r| r.log_prob).collect(),
            advantage,
            target,
        };
        (batch, explained, paired as f64 / rows.len().max(1) as f64)
    }

    /// The epochs of clipped updates of every model that learns, and the critic's.
    fn epochs(&mut self, s: &Batch) -> PpoStats {
        let mut stats = PpoStats::default();
        let (mut steps, mut discard_batches) = (0usize, 0usize);
        let classes_of = |k: ModelKind| k.classes();
        for epoch in 0..self.config.epochs {
            let last = epoch + 1 == self.config.epochs;
            for kind in ModelKind::ALL {
                let Some(trainer) = self.trainers[kind.index()].as_mut() else {
                    continue;
                };
                let mut idx: Vec<usize> =
                    (0..s.kind.len()).filter(|&i| s.kind[i] == kind).collect();
                idx.shuffle(&mut self.rng);
                let reference = &mut self.reference[kind.index()];
                let prior = reference.card.teacher_prior;
                for chunk in idx.chunks(self.config.batch_size) {
                    let classes = classes_of(kind);
                    let b = chunk.len();
                    let planes = unpack_batch(&s.planes, chunk);
                    let mut offsets = vec![ILLEGAL; b * classes];
                    let mut onehot = vec![0.0f32; b * classes];
                    let mut teacher = vec![0.0f32; b * classes];
                    let mut labelled = 0usize;
                    for (r, &i) in chunk.iter().enumerate() {
                        for c in 0..classes {
                            if s.legal[i] >> c & 1 == 1 {
                                offsets[r * classes + c] = 0.0;
                            }
                        }
                        onehot[r * classes + s.class[i] as usize] = 1.0;
                        if let Some(t) = s.teacher[i] {
                            teacher[r * classes + t as usize] = 1.0;
                            labelled += 1;
                            // the residual policy the actor sampled from
                            offsets[r * classes + t as usize] += prior;
                        }
                    }
                    let refs = reference_log_probs(reference, &planes, &offsets, classes);
                    let dev = &self.dev;
                    let onehot: Matrix = dev.tensor_from_vec(onehot, (b, classes));
                    let reference: Matrix = dev.tensor_from_vec(refs, (b, classes));
                    let old: Vector = dev
                        .tensor_from_vec(chunk.iter().map(|&i| s.old_log_prob[i]).collect(), (b,));
                    let adv: Vector =
                        dev.tensor_from_vec(chunk.iter().map(|&i| s.advantage[i]).collect(), (b,));
                    let teacher: Matrix = dev.tensor_from_vec(teacher, (b, classes));
                    let (clip, ent_coef, kl_coef) = (
                        self.config.clip as f32,
                        self.config.entropy as f32,
                        self.config.kl_to_sl as f32,
                    );
                    // the imitation term is the mean over the labelled stages
                    let imitate = self.config.imitate as f32 / labelled.max(1) as f32;
                    let mut diag = (0.0, 0.0, 0.0, 0.0, meowlab_rl::ClipStats::default());
                    let (loss, norm) = trainer.step_on_logits(planes, offsets, |logits| {
                        let t = categorical_terms(logits, &onehot, &reference, &teacher);
                        let mean =
                            |v: &Vec<f32>| v.iter().map(|&x| f64::from(x)).sum::<f64>() / b as f64;
                        diag.0 = mean(&t.entropy.as_vec());
                        diag.1 = mean(&t.kl.as_vec());
                        diag.3 =
                            mean(&t.cross_entropy.as_vec()) * b as f64 / labelled.max(1) as f64;
                        let (pg, clip_stats) = clipped_policy_loss(t.log_prob, &old, &adv, clip);
                        diag.2 = f64::from(pg.array());
                        diag.4 = clip_stats;
                        pg - t.entropy.mean::<(), _>() * ent_coef
                            + t.kl.mean::<(), _>() * kl_coef
                            + t.cross_entropy.sum::<(), _>() * imitate
                    });
                    let _ = loss;
                    steps += 1;
                    stats.grad_norm += norm;
                    stats.approx_kl += diag.4.approx_kl;
                    stats.clipfrac += diag.4.clipfrac;
                    if kind == ModelKind::Discard && last {
                        discard_batches += 1;
                        stats.entropy += diag.0;
                        stats.kl_sl += diag.1;
                        stats.policy_loss += diag.2;
                        stats.teacher_ce += diag.3;
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
                    loss += self.critic.train_batch(&s.planes, chunk, &targets);
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
        stats.teacher_ce /= d;
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
            t.net.card.teacher_prior = self.config.teacher_prior as f32;
            t.load_optimizer(&dir.join(format!("{name}-adam.safetensors")))?;
        }
        self.critic.load(dir)?;
        self.updates = state.updates;
        self.rng = state.rng;
        Ok(())
    }
}

/// The reference (SL) policy's log-probabilities over the legal classes of a batch
/// (`offsets`: [`ILLEGAL`] for an illegal class, else what is added to its logit — 0,
/// or the teacher prior); illegal classes get [`ILLEGAL`].
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
        let legal = |c: usize| offsets[row.start + c] > ILLEGAL / 2.0;
        let weight = |c: usize| probs[row.start + c] * offsets[row.start + c].exp();
        let total: f32 = (0..classes).filter(|&c| legal(c)).map(weight).sum();
        for c in (0..classes).filter(|&c| legal(c)) {
            out[row.start + c] = (weight(c) / total.max(1e-30)).max(1e-12).ln();
        }
    }
    out
}

/// GAE(γ, λ) advantages of each row, over the rows of one episode — a (game, seat) or,
/// with [`Episode::Hand`], a (game, seat, hand), contiguous and in step order — with the
/// values (the critic's, or the baselines of paired games) and V = 0 after an episode's
/// last step.
fn gae(rows: &[SampleRow], values: &[f32], gamma: f32, lambda: f32, episode: Episode) -> Vec<f32> {
    let mut advantage = vec![0.0f32; rows.len()];
    let value = |t: usize| values[t];
    let key = |r: &SampleRow| {
        let hand = if episode == Episode::Hand { r.hand } else { 0 };
        (r.game_id, r.seat, hand)
    };
    let mut end = rows.len();
    while end > 0 {
        let episode_key = key(&rows[end - 1]);
        let mut start = end - 1;
        while start > 0 && key(&rows[start - 1]) == episode_key {
            start -= 1;
        }
        let mut acc = 0.0f32;
        for t in (start..end).rev() {
            let next = if t + 1 < end { value(t + 1) } else { 0.0 };
            let delta = rows[t].reward + gamma * next - value(t);
            acc = delta + gamma * lambda * acc;
            advantage[t] = acc;
        }
        end = start;
    }
    advantage
}

/// The baseline of each row in paired games ([`PpoConfig::paired`], game ids `2k` and
/// `2k + 1`): while the two games are in the same state — a seat's steps of a hand in
/// order, the same planes, stage and legal classes — what the partner got from there to
/// the hand's end; after they part, the row's critic value (0 without). The partner
/// samples on its own, so its return does not depend on the action it judges, and from
/// a shared state it is a sample of that state's value: where the two choose
/// differently, the difference of their returns is the worth of one choice over the
/// other, with the luck of the wall taken out.
/// Returns the baselines and how many rows got a partner's return.
fn paired_baselines(rows: &[SampleRow]) -> (Vec<f32>, usize) {
    let mut episodes: std::collections::BTreeMap<(u64, u8, u32), Vec<usize>> =
        std::collections::BTreeMap::new();
    for (i, r) in rows.iter().enumerate() {
        episodes
            .entry((r.game_id, r.seat, r.hand))
            .or_default()
            .push(i);
    }
    let mut baseline: Vec<f32> = rows.iter().map(|r| r.value.unwrap_or(0.0)).collect();
    let mut paired = 0;
    for (&(game, seat, hand), mine) in &episodes {
        let Some(theirs) = episodes.get(&(game ^ 1, seat, hand)) else {
            continue;
        };
        let mut to_go = vec![0.0f32; theirs.len()];
        let mut acc = 0.0;
        for (j, &t) in theirs.iter().enumerate().rev() {
            acc += rows[t].reward;
            to_go[j] = acc;
        }
        for (j, (&a, &t)) in mine.iter().zip(theirs).enumerate() {
            let (ra, rt) = (&rows[a], &rows[t]);
            if ra.observation != rt.observation || ra.model != rt.model || ra.legal != rt.legal {
                break;
            }
            baseline[a] = to_go[j];
            paired += 1;
        }
    }
    (baseline, paired)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn row(game: u64, seat: u8, reward: f32, value: f32) -> SampleRow {
        SampleRow {
            game_id: game,
            seat,
            step: 0,
            hand: 0,
            policy_version: 0,
            model: "discard".into(),
            legal: vec![0, 1],
            class: 0,
            teacher_class: None,
            log_prob: -0.7,
            value: Some(value),
            reward,
            r#return: 0.0,
            opponents: ["learner".into(), "sl".into(), "heuristic".into()],
            final_rank: 1,
            observation: Vec::new(),
        }
    }

    fn values(rows: &[SampleRow]) -> Vec<f32> {
        rows.iter().map(|r| r.value.unwrap_or(0.0)).collect()
    }

    /// Two seats' hand-built steps: λ = 1 gives return − value, λ = 0 the one-step TD
    /// error, and the seats' steps never mix.
    #[test]
    fn advantages_on_hand_built_steps() {
        let rows = vec![
            row(7, 0, 0.0, 0.5),
            row(7, 0, 0.0, 0.2),
            row(7, 0, 1.0, 0.1),
            row(7, 2, 0.25, -0.5),
            row(7, 2, -1.0, 0.0),
        ];
        let close = |a: &[f32], b: &[f32]| a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-6);
        let mc = gae(&rows, &values(&rows), 1.0, 1.0, Episode::Game);
        assert!(close(&mc, &[0.5, 0.8, 0.9, -0.25, -1.0]), "{mc:?}");
        let td = gae(&rows, &values(&rows), 1.0, 0.0, Episode::Game);
        assert!(close(&td, &[-0.3, -0.1, 0.9, 0.75, -1.0]), "{td:?}");
        let discounted = gae(&rows, &values(&rows), 0.5, 1.0, Episode::Game);
        // G = 0.25·1, 0.5·1, 1 for seat 0; 0.25 + 0.5·(−1), −1 for seat 2
        assert!(
            close(&discounted, &[-0.25, 0.3, 0.9, 0.25, -1.0]),
            "{discounted:?}"
        );
        // without values: advantages are the returns
        let bare: Vec<SampleRow> = rows
            .iter()
            .map(|r| SampleRow {
                value: None,
                ..r.clone()
            })
            .collect();
        assert!(close(
            &gae(&bare, &values(&bare), 1.0, 1.0, Episode::Game),
            &[1.0, 1.0, 1.0, -0.75, -1.0]
        ));
        // hand episodes: seat 0's first two steps are hand 0, its last hand 1; seat 2's
        // steps are hands 0 and 3 — returns stop at each hand's end
        let hands = [0, 0, 1, 0, 3];
        let by_hand: Vec<SampleRow> = bare
            .iter()
            .zip(hands)
            .map(|(r, hand)| SampleRow { hand, ..r.clone() })
            .collect();
        let per_hand = gae(&by_hand, &values(&by_hand), 1.0, 1.0, Episode::Hand);
        assert!(
            close(&per_hand, &[0.0, 0.0, 1.0, 0.25, -1.0]),
            "{per_hand:?}"
        );
        let valued: Vec<SampleRow> = rows
            .iter()
            .zip(hands)
            .map(|(r, hand)| SampleRow { hand, ..r.clone() })
            .collect();
        let per_hand = gae(&valued, &values(&valued), 1.0, 1.0, Episode::Hand);
        assert!(
            close(&per_hand, &[-0.5, -0.2, 0.9, 0.75, -1.0]),
            "{per_hand:?}"
        );
        assert!((explained_variance(&[1.0, 2.0, 3.0], &[1.0, 2.0, 3.0]) - 1.0).abs() < 1e-9);
        assert!(explained_variance(&[0.0; 3], &[1.0, 1.0, 1.0]).abs() < 1e-9);
    }

    /// Paired games' baselines: while a seat's steps of a hand match the partner's
    /// (same planes, stage, legal classes) the baseline is the partner's return from
    /// there to the hand's end; from the first state that differs on, the critic value.
    #[test]
    fn paired_baselines_are_the_partner_returns_from_shared_states() {
        let at = |game, hand, reward, value, planes: &[u8]| SampleRow {
            hand,
            observation: planes.to_vec(),
            ..row(game, 0, reward, value)
        };
        let rows = vec![
            // game 4, hand 0: two shared states, then its own; hand 1 has no partner
            at(4, 0, 0.0, 0.3, &[1]),
            at(4, 0, 0.0, 0.3, &[2]),
            at(4, 0, 0.5, 0.3, &[3]),
            at(4, 1, -0.2, 0.1, &[9]),
            // game 5, hand 0: the same two states, then another
            at(5, 0, 0.0, 0.9, &[1]),
            at(5, 0, 0.1, 0.9, &[2]),
            at(5, 0, 0.15, 0.7, &[4]),
        ];
        let (b, paired) = paired_baselines(&rows);
        assert_eq!(b, vec![0.25, 0.25, 0.3, 0.1, 0.5, 0.5, 0.7]);
        assert_eq!(paired, 4);
        let advantage = gae(&rows, &b, 1.0, 1.0, Episode::Hand);
        let close = |a: &[f32], b: &[f32]| a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-6);
        assert!(
            close(&advantage, &[0.25, 0.25, 0.2, -0.3, -0.25, -0.25, -0.55]),
            "{advantage:?}"
        );
    }
}
