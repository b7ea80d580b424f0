//! The opponent pool of self-play (fictitious self-play, against the cycling pure self-play
//! is prone to): each training game seats the learner and, in each other seat, a player
//! drawn from the pool — the learner itself, a past snapshot of it, its SL start or the
//! heuristic bot — with the weights of [`PoolConfig`]. The draw is a function of the run's
//! seed and the game's index alone, so a run replays the same seating whatever its
//! batching and after a resume.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// Who sits in a seat of a training game.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Opponent {
    /// The learner's current policy (sampled, learned from).
    Learner,
    /// Past snapshot number `k` (0 = the oldest kept), argmax.
    Past(usize),
    /// The SL start, argmax.
    Sl,
    /// The heuristic bot.
    Heuristic,
}

impl Opponent {
    /// A short id for logs (`learner`, `past3`, `sl`, `heuristic`).
    pub fn id(self) -> String {
        match self {
            Opponent::Learner => "learner".into(),
            Opponent::Past(k) => format!("past{k}"),
            Opponent::Sl => "sl".into(),
            Opponent::Heuristic => "heuristic".into(),
        }
    }
}

/// The pool's weights (relative; they need not sum to 1) and its snapshots.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PoolConfig {
    /// Weight of the learner itself (pure self-play when the others are 0).
    pub learner: f64,
    /// Weight of a past snapshot (uniform over those kept).
    pub past: f64,
    /// Weight of the SL start.
    pub sl: f64,
    /// Weight of the heuristic bot.
    pub heuristic: f64,
    /// Updates between snapshots of the learner.
    pub snapshot_every: usize,
    /// Snapshots kept (the oldest is dropped).
    pub max_snapshots: usize,
}

impl Default for PoolConfig {
    fn default() -> Self {
        PoolConfig {
            learner: 0.25,
            past: 0.25,
            sl: 0.25,
            heuristic: 0.25,
            snapshot_every: 20,
            max_snapshots: 5,
        }
    }
}

impl PoolConfig {
    /// Checks the weights.
    pub fn validate(&self) -> Result<(), String> {
        let w = [self.learner, self.past, self.sl, self.heuristic];
        if w.iter().any(|x| !x.is_finite() || *x < 0.0) || w.iter().sum::<f64>() <= 0.0 {
            return Err("pool weights must be finite, non-negative and not all zero".into());
        }
        if self.max_snapshots == 0 || self.snapshot_every == 0 {
            return Err("pool.max_snapshots and pool.snapshot_every must be positive".into());
        }
        Ok(())
    }

    /// The seating of training game `game` of a run seeded `seed` with `snapshots` past
    /// snapshots available: the learner in seat `game % 3` (every seat equally often),
    /// the two others drawn from the pool (a past snapshot's weight goes to the learner
    /// while there is none).
    pub fn seating(&self, seed: u64, game: u64, snapshots: usize) -> [Opponent; 3] {
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ game.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let (learner, past) = if snapshots == 0 {
            (self.learner + self.past, 0.0)
        } else {
            (self.learner, self.past)
        };
        let total = learner + past + self.sl + self.heuristic;
        let mut seats = [Opponent::Learner; 3];
        for (seat, slot) in seats.iter_mut().enumerate() {
            if seat as u64 == game % 3 {
                continue;
            }
            let u = rng.gen::<f64>() * total;
            *slot = if u < learner {
                Opponent::Learner
            } else if u < learner + past {
                Opponent::Past(rng.gen_range(0..snapshots))
            } else if u < learner + past + self.sl {
                Opponent::Sl
            } else {
                Opponent::Heuristic
            };
        }
        seats
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seating_is_a_function_of_seed_and_game() {
        let pool = PoolConfig::default();
        let a: Vec<_> = (0..200).map(|g| pool.seating(7, g, 3)).collect();
        let b: Vec<_> = (0..200).map(|g| pool.seating(7, g, 3)).collect();
        assert_eq!(a, b);
        let other: Vec<_> = (0..200).map(|g| pool.seating(8, g, 3)).collect();
        assert_ne!(a, other, "another seed seats differently");
        for (g, seats) in a.iter().enumerate() {
            assert_eq!(seats[g % 3], Opponent::Learner, "game {g}");
        }
    }

    #[test]
    fn seating_follows_the_weights() {
        let pool = PoolConfig {
            learner: 0.0,
            past: 1.0,
            sl: 0.0,
            heuristic: 3.0,
            ..PoolConfig::default()
        };
        let mut counts = std::collections::HashMap::new();
        for g in 0..3000 {
            for (seat, o) in pool.seating(1, g, 2).into_iter().enumerate() {
                if seat as u64 != g % 3 {
                    let key = match o {
                        Opponent::Past(k) => {
                            assert!(k < 2);
                            "past"
                        }
                        Opponent::Heuristic => "heuristic",
                        other => panic!("{other:?} has weight 0"),
                    };
                    *counts.entry(key).or_insert(0) += 1;
                }
            }
        }
        let share = f64::from(counts["heuristic"]) / 6000.0;
        assert!((share - 0.75).abs() < 0.03, "{share}");
        // no snapshot yet: the past weight goes to the learner
        let seats = pool.seating(1, 4, 0);
        assert!(seats
            .iter()
            .all(|o| matches!(o, Opponent::Learner | Opponent::Heuristic)));
        assert!(PoolConfig {
            sl: -1.0,
            ..PoolConfig::default()
        }
        .validate()
        .is_err());
    }
}
