//! The Shapley value of each player i for a set function v over players F = {0..n}:
//!
//! φ_i = Σ_{C ⊆ F∖{i}} |C|! (n − |C| − 1)! / n! · (v(C ∪ {i}) − v(C)).
//!
//! Exact: every coalition is evaluated once (2ⁿ calls to v) and each marginal
//! contribution weighted by |C| — O(n·2ⁿ) arithmetic, and efficiency
//! Σφ = v(F) − v(∅) holds to rounding. Sampled: random orderings of the players, each
//! walked forwards and backwards (antithetic pairs: the reverse ordering's marginals are
//! negatively correlated with the forward ones), the mean marginal contribution per
//! player with its standard error over pairs; every ordering telescopes to
//! v(F) − v(∅), so efficiency holds for the estimate too.

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// A coalition: bit `i` set = player `i` present.
pub type Coalition = u64;

/// Most players for the exact method (2²⁴ coalitions, 128 MiB of values).
pub const MAX_EXACT_PLAYERS: usize = 24;
/// Most players for sampling (one bit per player in a [`Coalition`]).
pub const MAX_PLAYERS: usize = 64;

/// Why Shapley values could not be computed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ShapleyError {
    /// Too many or no players for the method.
    #[error("{players} players: the {method} method takes 1 to {max}")]
    Players {
        /// Players asked for.
        players: usize,
        /// The method.
        method: &'static str,
        /// Its limit.
        max: usize,
    },
    /// A table of coalition values does not have 2ⁿ entries.
    #[error(
        "{len} coalition values is not 2^n for any n ≤ {MAX_EXACT_PLAYERS} (expected 2, 4, 8, …)"
    )]
    TableLength {
        /// Entries given.
        len: usize,
    },
    /// v returned a value that is not finite (names the coalition).
    #[error("v(coalition {coalition:#b}) = {value} is not finite")]
    NotFinite {
        /// The coalition.
        coalition: Coalition,
        /// The value.
        value: f64,
    },
    /// A player names a feature that does not exist.
    #[error("feature {index} of a player is out of range ({dims} features)")]
    Feature {
        /// The feature index.
        index: usize,
        /// Features there are.
        dims: usize,
    },
    /// States, outputs or a background set do not fit together.
    #[error("{0}")]
    Shape(String),
    /// Sampling needs at least two antithetic pairs for a standard error.
    #[error("{0} antithetic pairs: at least 2 are needed for a standard error")]
    TooFewSamples(usize),
}

fn check_players(n: usize, method: &'static str, max: usize) -> Result<(), ShapleyError> {
    if n == 0 || n > max {
        return Err(ShapleyError::Players {
            players: n,
            method,
            max,
        });
    }
    Ok(())
}

/// |C|!(n−|C|−1)!/n! for |C| = 0..n, as 1 / (n · binom(n−1, |C|)) (no factorial overflow).
fn weights(n: usize) -> Vec<f64> {
    let mut binom = 1.0f64; // binom(n−1, k)
    (0..n)
        .map(|k| {
            if k > 0 {
                binom = binom * (n - k) as f64 / k as f64;
            }
            1.0 / (n as f64 * binom)
        })
        .collect()
}

/// Exact Shapley values from the values of all 2ⁿ coalitions (`table[c]` = v(c)).
pub fn exact_from_table(table: &[f64]) -> Result<Vec<f64>, ShapleyError> {
    let len = table.len();
    if len < 2 || !len.is_power_of_two() || len.trailing_zeros() as usize > MAX_EXACT_PLAYERS {
        return Err(ShapleyError::TableLength { len });
    }
    if let Some((c, &v)) = table.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        return Err(ShapleyError::NotFinite {
            coalition: c as Coalition,
            value: v,
        });
    }
    let n = len.trailing_zeros() as usize;
    let w = weights(n);
    // φ_i = Σ_{C ∌ i} w(|C|)·(v(C ∪ i) − v(C)). Per player, the coalitions without i
    // are the lower halves of blocks of 2^(i+1) and C ∪ i the upper halves: contiguous
    // slices the compiler vectorises (marginals are taken before weighting, so dummies
    // get exactly 0).
    let weight: Vec<f64> = (0..len)
        .map(|c| w.get(c.count_ones() as usize).copied().unwrap_or(0.0))
        .collect();
    let phi = (0..n)
        .map(|i| {
            let bit = 1usize << i;
            let mut sum = 0.0;
            for base in (0..len).step_by(2 * bit) {
                let lower = &table[base..base + bit];
                let upper = &table[base + bit..base + 2 * bit];
                let w = &weight[base..base + bit];
                sum += lower
                    .iter()
                    .zip(upper)
                    .zip(w)
                    .map(|((l, u), w)| w * (u - l))
                    .sum::<f64>();
            }
            sum
        })
        .collect();
    Ok(phi)
}

/// Exact Shapley values of `n` players for `v`, which is called once per coalition.
pub fn exact(n: usize, mut v: impl FnMut(Coalition) -> f64) -> Result<Vec<f64>, ShapleyError> {
    check_players(n, "exact", MAX_EXACT_PLAYERS)?;
    let table: Vec<f64> = (0..1u64 << n).map(&mut v).collect();
    exact_from_table(&table)
}

/// Exact Shapley values of a vector-valued `v` (e.g. a policy: one value per action):
/// `result[i][k]` is player i's share of output k. `v` is called once per coalition and
/// must return `outputs` values.
pub fn exact_vector(
    n: usize,
    outputs: usize,
    mut v: impl FnMut(Coalition) -> Vec<f64>,
) -> Result<Vec<Vec<f64>>, ShapleyError> {
    check_players(n, "exact", MAX_EXACT_PLAYERS)?;
    let rows: Vec<Vec<f64>> = (0..1u64 << n).map(&mut v).collect();
    // one exact computation per output, then transposed to player-major
    let per_output = (0..outputs)
        .map(|k| {
            let table: Vec<f64> = rows
                .iter()
                .map(|r| r.get(k).copied().unwrap_or(f64::NAN))
                .collect();
            exact_from_table(&table)
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok((0..n)
        .map(|i| per_output.iter().map(|phi| phi[i]).collect())
        .collect())
}

/// A sampled estimate.
#[derive(Clone, Debug, PartialEq)]
pub struct Estimate {
    /// φ per player.
    pub values: Vec<f64>,
    /// Standard error per player (over antithetic pairs).
    pub stderr: Vec<f64>,
    /// Calls to v (coalitions evaluated).
    pub evaluations: usize,
    /// Antithetic pairs of orderings drawn.
    pub pairs: usize,
    /// v(∅).
    pub empty: f64,
    /// v(F).
    pub full: f64,
    /// Σφ − (v(F) − v(∅)): zero up to rounding, reported as a check.
    pub efficiency_gap: f64,
}

/// Shapley values of `n` players estimated from `pairs` random orderings, each walked
/// forwards and in reverse; seeded, so the same seed gives the same estimate.
pub fn sampled(
    n: usize,
    pairs: usize,
    seed: u64,
    mut v: impl FnMut(Coalition) -> f64,
) -> Result<Estimate, ShapleyError> {
    let fixed = Sampling::fixed(pairs);
    sampled_batched(n, &fixed, seed, |coalitions| {
        Ok(coalitions.iter().map(|&c| v(c)).collect())
    })
}

/// How many antithetic pairs [`sampled_batched`] draws: at least `min_pairs`, then
/// `batch_pairs` more at a time until every player's standard error is at most
/// `relative_stderr` × the largest |φ|, or `max_pairs` are drawn. Adaptive, because the
/// pairs a decision needs depend on how spread its credit is: a decision that one player
/// drives converges in a few pairs, an even split needs many.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sampling {
    /// Pairs drawn before the first stopping check (≥ 2).
    pub min_pairs: usize,
    /// Pairs drawn at most.
    pub max_pairs: usize,
    /// Pairs evaluated per call of the characteristic (its batch is
    /// `2 · batch_pairs · (n − 1)` coalitions).
    pub batch_pairs: usize,
    /// Stop once max standard error ≤ this × max |φ| (0: always draw `max_pairs`).
    pub relative_stderr: f64,
}

impl Sampling {
    /// Exactly `pairs` pairs.
    pub fn fixed(pairs: usize) -> Sampling {
        Sampling {
            min_pairs: pairs,
            max_pairs: pairs,
            batch_pairs: pairs.clamp(1, 64),
            relative_stderr: 0.0,
        }
    }

    /// The benchmark's target: standard errors below 10% of the largest |φ|, 8 to 512
    /// pairs, 8 at a time.
    pub fn to_tenth() -> Sampling {
        Sampling {
            min_pairs: 8,
            max_pairs: 512,
            batch_pairs: 8,
            relative_stderr: 0.1,
        }
    }
}

/// Permutation sampling with a batched characteristic: `v` gets many coalitions at once
/// (a network evaluates them as one batch) and returns one value per coalition. Seeded;
/// v(∅) and v(F) are asked for first, in one batch of two.
pub fn sampled_batched(
    n: usize,
    sampling: &Sampling,
    seed: u64,
    mut v: impl FnMut(&[Coalition]) -> Result<Vec<f64>, ShapleyError>,
) -> Result<Estimate, ShapleyError> {
    check_players(n, "sampling", MAX_PLAYERS)?;
    if sampling.min_pairs < 2 {
        return Err(ShapleyError::TooFewSamples(sampling.min_pairs));
    }
    let full: Coalition = if n == 64 { u64::MAX } else { (1 << n) - 1 };
    let mut evaluations = 0;
    let mut eval = |coalitions: &[Coalition]| -> Result<Vec<f64>, ShapleyError> {
        evaluations += coalitions.len();
        let values = v(coalitions)?;
        if values.len() != coalitions.len() {
            return Err(ShapleyError::Shape(format!(
                "{} values for {} coalitions",
                values.len(),
                coalitions.len()
            )));
        }
        match values.iter().zip(coalitions).find(|(v, _)| !v.is_finite()) {
            Some((&value, &coalition)) => Err(ShapleyError::NotFinite { coalition, value }),
            None => Ok(values),
        }
    };
    let ends = eval(&[0, full])?;
    let (v_empty, v_full) = (ends[0], ends[1]);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut order: Vec<usize> = (0..n).collect();
    let (mut sum, mut sum_sq) = (vec![0.0; n], vec![0.0; n]);
    let (mut pairs, mut orders, mut batch) = (0usize, Vec::new(), Vec::new());
    let estimate = |sum: &[f64], sum_sq: &[f64], pairs: usize| {
        let m = pairs as f64;
        let values: Vec<f64> = sum.iter().map(|s| s / m).collect();
        let stderr: Vec<f64> = (0..n)
            .map(|i| {
                let var = (sum_sq[i] - m * values[i] * values[i]) / (m - 1.0);
                (var.max(0.0) / m).sqrt()
            })
            .collect();
        (values, stderr)
    };
    loop {
        let want = if pairs < sampling.min_pairs {
            sampling.min_pairs - pairs
        } else {
            sampling.batch_pairs.max(1)
        }
        .min(sampling.max_pairs.saturating_sub(pairs));
        if want == 0 {
            break;
        }
        // every ordering's coalitions, forwards then in reverse (∅ and F are known)
        orders.clear();
        batch.clear();
        for _ in 0..want {
            order.shuffle(&mut rng);
            for forward in [true, false] {
                let mut c: Coalition = 0;
                for step in 0..n - 1 {
                    c |= 1
                        << if forward {
                            order[step]
                        } else {
                            order[n - 1 - step]
                        };
                    batch.push(c);
                }
            }
            orders.extend_from_slice(&order);
        }
        let values = eval(&batch)?;
        let walk = 2 * (n - 1);
        let mut pair = vec![0.0; n];
        for (k, order) in orders.chunks(n).enumerate() {
            pair.iter_mut().for_each(|p| *p = 0.0);
            for forward in [true, false] {
                let offset = k * walk + if forward { 0 } else { n - 1 };
                let mut prev = v_empty;
                for step in 0..n {
                    let i = if forward {
                        order[step]
                    } else {
                        order[n - 1 - step]
                    };
                    let cur = if step == n - 1 {
                        v_full
                    } else {
                        values[offset + step]
                    };
                    pair[i] += 0.5 * (cur - prev);
                    prev = cur;
                }
            }
            for i in 0..n {
                sum[i] += pair[i];
                sum_sq[i] += pair[i] * pair[i];
            }
        }
        pairs += want;
        if pairs >= sampling.min_pairs && sampling.relative_stderr > 0.0 {
            let (values, stderr) = estimate(&sum, &sum_sq, pairs);
            let largest = values.iter().fold(0.0f64, |m, v| m.max(v.abs()));
            if stderr
                .iter()
                .all(|&s| s <= sampling.relative_stderr * largest)
            {
                break;
            }
        }
    }
    let (values, stderr) = estimate(&sum, &sum_sq, pairs);
    let efficiency_gap = values.iter().sum::<f64>() - (v_full - v_empty);
    Ok(Estimate {
        values,
        stderr,
        evaluations,
        pairs,
        empty: v_empty,
        full: v_full,
        efficiency_gap,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The apex game: player 0 weighs n − 2, the others 1, quota n − 1; its Shapley values
    /// are (n − 2)/n for the apex and 2/(n(n − 1)) for each minor player.
    fn apex(n: usize) -> impl Fn(Coalition) -> f64 {
        move |c: Coalition| {
            let weight = (c & 1) as usize * (n - 2) + (c >> 1).count_ones() as usize;
            (weight >= n - 1) as u8 as f64
        }
    }

    #[test]
    fn exact_matches_the_apex_game_closed_form() {
        for n in 3..=12 {
            let phi = exact(n, apex(n)).unwrap();
            assert!((phi[0] - (n - 2) as f64 / n as f64).abs() < 1e-12, "n={n}");
            for p in &phi[1..] {
                assert!((p - 2.0 / (n * (n - 1)) as f64).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn axioms_efficiency_symmetry_dummy_and_additivity() {
        // v depends on players 0 and 1 symmetrically and ignores player 2 (a dummy)
        let v =
            |c: Coalition| ((c & 1) + ((c >> 1) & 1)) as f64 * 3.0 + ((c & 3) == 3) as u8 as f64;
        let phi = exact(3, v).unwrap();
        assert!((phi.iter().sum::<f64>() - (v(7) - v(0))).abs() < 1e-12);
        assert!((phi[0] - phi[1]).abs() < 1e-12);
        assert!(phi[2].abs() < 1e-12);
        let w = |c: Coalition| c.count_ones() as f64;
        let sum = exact(3, |c| v(c) + w(c)).unwrap();
        let (a, b) = (exact(3, v).unwrap(), exact(3, w).unwrap());
        for i in 0..3 {
            assert!((sum[i] - a[i] - b[i]).abs() < 1e-12);
        }
    }

    #[test]
    fn vector_values_are_per_output_shapley_values() {
        let phi = exact_vector(4, 2, |c| vec![apex(4)(c), c.count_ones() as f64]).unwrap();
        let apex4 = exact(4, apex(4)).unwrap();
        for i in 0..4 {
            assert!((phi[i][0] - apex4[i]).abs() < 1e-12);
            assert!((phi[i][1] - 1.0).abs() < 1e-12); // additive: each player adds 1
        }
        assert!(exact_vector(2, 2, |_| vec![1.0]).is_err()); // too few outputs
    }

    #[test]
    fn sampling_converges_like_one_over_root_samples() {
        let n = 10;
        let truth = exact(n, apex(n)).unwrap();
        let rmse = |pairs: usize| {
            // root mean squared error over players and 20 seeds
            let mut se = 0.0;
            for seed in 0..20 {
                let e = sampled(n, pairs, seed, apex(n)).unwrap();
                assert!(e.efficiency_gap.abs() < 1e-12);
                se += e
                    .values
                    .iter()
                    .zip(&truth)
                    .map(|(a, b)| (a - b).powi(2))
                    .sum::<f64>();
            }
            (se / (20 * n) as f64).sqrt()
        };
        let (small, large) = (rmse(25), rmse(400));
        // 16× the samples: the error shrinks about 4× (allow 2.5–6.5×)
        let ratio = small / large;
        assert!(
            (2.5..6.5).contains(&ratio),
            "ratio {ratio} ({small} vs {large})"
        );
        let e = sampled(n, 400, 1, apex(n)).unwrap();
        assert_eq!(e.evaluations, 2 + 400 * 2 * (n - 1));
        // the reported standard error describes the actual error
        let z = (e.values[0] - truth[0]) / e.stderr[0];
        assert!(z.abs() < 4.0, "z = {z}");
    }

    #[test]
    fn adaptive_sampling_stops_at_the_tolerance_and_batches_agree_with_single_calls() {
        let n = 10;
        let truth = exact(n, apex(n)).unwrap();
        let mut calls = 0;
        let e = sampled_batched(n, &Sampling::to_tenth(), 3, |cs| {
            calls += 1;
            Ok(cs.iter().map(|&c| apex(n)(c)).collect())
        })
        .unwrap();
        let largest = e.values.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        assert!(e.pairs >= 8 && e.pairs < 512, "{} pairs", e.pairs);
        assert!(e.stderr.iter().all(|s| *s <= 0.1 * largest), "{e:?}");
        assert_eq!(calls, 1 + e.pairs / 8); // the ends, then 8 pairs at a time
        assert_eq!(e.evaluations, 2 + e.pairs * 2 * (n - 1));
        assert!((e.values[0] - truth[0]).abs() < 4.0 * e.stderr[0] + 1e-9);
        // the same orderings as one coalition at a time
        let one = sampled(n, e.pairs, 3, apex(n)).unwrap();
        let fixed = sampled_batched(n, &Sampling::fixed(e.pairs), 3, |cs| {
            Ok(cs.iter().map(|&c| apex(n)(c)).collect())
        })
        .unwrap();
        assert_eq!(one, fixed);
        let short = sampled_batched(3, &Sampling::fixed(4), 0, |cs| Ok(vec![0.0; cs.len() - 1]));
        assert!(matches!(short, Err(ShapleyError::Shape(_))), "{short:?}");
    }

    #[test]
    fn bad_input_is_an_error_not_a_panic() {
        assert_eq!(
            exact_from_table(&[0.0; 3]),
            Err(ShapleyError::TableLength { len: 3 })
        );
        assert!(matches!(
            exact(0, |_| 0.0),
            Err(ShapleyError::Players { .. })
        ));
        assert!(matches!(
            exact(25, |_| 0.0),
            Err(ShapleyError::Players { .. })
        ));
        let nan = exact(2, |c| if c == 2 { f64::NAN } else { 0.0 }).unwrap_err();
        assert!(nan.to_string().contains("0b10"), "{nan}");
        assert_eq!(
            sampled(3, 1, 0, |_| 0.0).unwrap_err(),
            ShapleyError::TooFewSamples(1)
        );
    }
}
