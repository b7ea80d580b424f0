//! The statistics of an evaluation, all over duplicate *sets* (the independent unit: the
//! games of one set share their walls and are strongly correlated):
//!
//! - [`mean_ci`]: mean and Student-t 95% interval of per-set values;
//! - [`paired`]: the same for per-set differences, with a two-sided paired t-test;
//! - [`ratio_ci`]: a ratio of sums (e.g. points per win) with a percentile bootstrap
//!   interval over sets;
//! - [`sign_flip_test`]: a test that per-set difference *vectors* (the per-round table's
//!   category rates, challenger − opponent) have mean zero — Hotelling's statistic with
//!   the uncentred second-moment matrix, referred to its sign-flip permutation
//!   distribution (exact when the differences are symmetric about 0 under the null, as
//!   they are when the two agents are the same policy; asymptotically valid otherwise);
//! - [`Sprt`]: the generalised sequential probability ratio test fishtest uses for chess
//!   patches, on per-set differences with a normal model.
//!
//! Each is checked by simulation in the tests (interval coverage, uniform p-values under
//! the null, SPRT error rates).

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// A mean with its 95% interval (`None` when there are fewer than two sets).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    /// The point estimate (NaN, `null` in JSON, when undefined: points per win without a
    /// win).
    #[serde(with = "nan_as_null")]
    pub mean: f64,
    /// The 95% confidence interval.
    pub ci95: Option<[f64; 2]>,
}

/// An estimated difference with its interval and the p-value of "no difference".
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Difference {
    /// Mean difference.
    pub mean: f64,
    /// Its 95% confidence interval.
    pub ci95: Option<[f64; 2]>,
    /// Two-sided p-value of a zero mean difference.
    pub p_value: f64,
}

/// NaN written as JSON `null` and read back (serde_json writes NaN as `null` but cannot
/// read it into an `f64`).
mod nan_as_null {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(x: &f64, s: S) -> Result<S::Ok, S::Error> {
        if x.is_nan() {
            s.serialize_none()
        } else {
            s.serialize_f64(*x)
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
    }
}

impl Estimate {
    /// The estimate with its interval clipped to `[lo, hi]` (rates stay in [0, 1]).
    pub fn clamped(self, lo: f64, hi: f64) -> Estimate {
        Estimate {
            mean: self.mean,
            ci95: self.ci95.map(|[a, b]| [a.clamp(lo, hi), b.clamp(lo, hi)]),
        }
    }
}

fn mean(xs: &[f64]) -> f64 {
    xs.iter().sum::<f64>() / xs.len().max(1) as f64
}

/// Sample standard deviation (n − 1).
fn sd(xs: &[f64]) -> f64 {
    if xs.len() < 2 {
        return 0.0;
    }
    let m = mean(xs);
    (xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (xs.len() - 1) as f64).sqrt()
}

/// Mean of per-set values with the Student-t 95% interval.
pub fn mean_ci(xs: &[f64]) -> Estimate {
    let m = mean(xs);
    let n = xs.len();
    let ci95 = (n >= 2).then(|| {
        let half = t_quantile(0.975, (n - 1) as f64) * sd(xs) / (n as f64).sqrt();
        [m - half, m + half]
    });
    Estimate { mean: m, ci95 }
}

/// Mean of per-set differences, its 95% interval and the two-sided paired t-test of a
/// zero mean (p = 1 when every difference is exactly 0, 0 when they are all the same
/// non-zero value).
pub fn paired(diffs: &[f64]) -> Difference {
    let Estimate { mean: m, ci95 } = mean_ci(diffs);
    let n = diffs.len();
    let s = sd(diffs);
    let p_value = if n < 2 {
        1.0
    } else if s == 0.0 {
        if m == 0.0 {
            1.0
        } else {
            0.0
        }
    } else {
        let t = m / (s / (n as f64).sqrt());
        2.0 * (1.0 - student_t_cdf(t.abs(), (n - 1) as f64))
    };
    Difference {
        mean: m,
        ci95,
        p_value: p_value.clamp(0.0, 1.0),
    }
}

/// Σ numerators / Σ denominators over sets, with a 95% percentile-bootstrap interval
/// (`resamples` resamples of the sets, seeded). `mean` is NaN when no set has a
/// denominator.
pub fn ratio_ci(num: &[f64], den: &[f64], resamples: usize, seed: u64) -> Estimate {
    assert_eq!(num.len(), den.len());
    let ratio = |idx: &mut dyn Iterator<Item = usize>| {
        let (mut a, mut b) = (0.0, 0.0);
        for i in idx {
            a += num[i];
            b += den[i];
        }
        if b > 0.0 {
            a / b
        } else {
            f64::NAN
        }
    };
    let n = num.len();
    let m = ratio(&mut (0..n));
    if n < 2 || m.is_nan() {
        return Estimate {
            mean: m,
            ci95: None,
        };
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut stats: Vec<f64> = (0..resamples)
        .map(|_| ratio(&mut (0..n).map(|_| rng.gen_range(0..n))))
        .filter(|r| !r.is_nan())
        .collect();
    stats.sort_by(f64::total_cmp);
    let at = |q: f64| stats[((q * (stats.len() - 1) as f64).round() as usize).min(stats.len() - 1)];
    Estimate {
        mean: m,
        ci95: (!stats.is_empty()).then(|| [at(0.025), at(0.975)]),
    }
}

/// The p-value of "the per-set difference vectors have mean zero" (see the module docs):
/// `T = d̄ᵀ M⁻¹ d̄` with `M = Σ d dᵀ / n`, which random sign flips of whole sets leave
/// unchanged, referred to `resamples` sign-flipped copies (seeded); p = (1 + #{T* ≥ T})
/// / (1 + resamples). Dimensions in which every difference is 0 are dropped; p = 1 when
/// nothing is left.
pub fn sign_flip_test(diffs: &[Vec<f64>], resamples: usize, seed: u64) -> f64 {
    let n = diffs.len();
    if n == 0 {
        return 1.0;
    }
    let dims: Vec<usize> = (0..diffs[0].len())
        .filter(|&j| diffs.iter().any(|d| d[j] != 0.0))
        .collect();
    if dims.is_empty() {
        return 1.0;
    }
    let rows: Vec<Vec<f64>> = diffs
        .iter()
        .map(|d| dims.iter().map(|&j| d[j]).collect())
        .collect();
    let k = dims.len();
    let mut m = vec![0.0; k * k];
    for r in &rows {
        for a in 0..k {
            for b in 0..k {
                m[a * k + b] += r[a] * r[b] / n as f64;
            }
        }
    }
    // a tiny ridge keeps M invertible when the differences span fewer dimensions
    let trace: f64 = (0..k).map(|a| m[a * k + a]).sum();
    for a in 0..k {
        m[a * k + a] += 1e-9 * trace.max(f64::MIN_POSITIVE);
    }
    let Some(inverse) = invert(&m, k) else {
        return 1.0;
    };
    let statistic = |signs: &mut dyn FnMut() -> f64| {
        let mut sum = vec![0.0; k];
        for r in &rows {
            let s = signs();
            for a in 0..k {
                sum[a] += s * r[a];
            }
        }
        let d: Vec<f64> = sum.iter().map(|v| v / n as f64).collect();
        let mut t = 0.0;
        for a in 0..k {
            for b in 0..k {
                t += d[a] * inverse[a * k + b] * d[b];
            }
        }
        t
    };
    let observed = statistic(&mut || 1.0);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut at_least = 0usize;
    for _ in 0..resamples {
        let t = statistic(&mut || if rng.gen::<bool>() { 1.0 } else { -1.0 });
        // relative tolerance: flips that give the same statistic up to rounding count
        if t >= observed * (1.0 - 1e-12) {
            at_least += 1;
        }
    }
    (1 + at_least) as f64 / (1 + resamples) as f64
}

/// Gauss–Jordan inverse of a small `k × k` matrix; `None` when singular.
fn invert(m: &[f64], k: usize) -> Option<Vec<f64>> {
    let mut a = m.to_vec();
    let mut inv: Vec<f64> = (0..k * k)
        .map(|i| if i / k == i % k { 1.0 } else { 0.0 })
        .collect();
    for col in 0..k {
        let pivot =
            (col..k).max_by(|&x, &y| a[x * k + col].abs().total_cmp(&a[y * k + col].abs()))?;
        if a[pivot * k + col].abs() < 1e-300 {
            return None;
        }
        for j in 0..k {
            a.swap(col * k + j, pivot * k + j);
            inv.swap(col * k + j, pivot * k + j);
        }
        let p = a[col * k + col];
        for j in 0..k {
            a[col * k + j] /= p;
            inv[col * k + j] /= p;
        }
        for r in 0..k {
            if r != col {
                let f = a[r * k + col];
                for j in 0..k {
                    a[r * k + j] -= f * a[col * k + j];
                    inv[r * k + j] -= f * inv[col * k + j];
                }
            }
        }
    }
    Some(inv)
}

/// What a sequential test has decided so far.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SprtDecision {
    /// Keep playing.
    Continue,
    /// The difference is `delta0` (no better).
    H0,
    /// The difference is `delta1` (better by the margin).
    H1,
}

/// The generalised SPRT on per-set differences (fishtest's test, normal model): H0: mean
/// = `delta0` against H1: mean = `delta1`, with false-positive rate `alpha` and
/// false-negative rate `beta`. The log-likelihood ratio after n sets is
/// `(δ1 − δ0)/σ̂² · (Σx − n(δ0 + δ1)/2)` with σ̂² the sample variance, floored at
/// `((δ1 − δ0)/2)²` so identical play (all differences 0) is not infinitely sure; no
/// decision before `min_sets` sets (with fewer than ~15 the variance estimate is too
/// noisy and the error rates exceed their nominal values: 8% instead of 5% at 5 sets in
/// the simulation of the tests).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Sprt {
    /// The null difference.
    pub delta0: f64,
    /// The alternative difference.
    pub delta1: f64,
    /// Probability of accepting H1 when H0 holds.
    pub alpha: f64,
    /// Probability of accepting H0 when H1 holds.
    pub beta: f64,
    /// Sets before any decision.
    pub min_sets: usize,
}

impl Sprt {
    /// The log-likelihood ratio of H1 over H0 after `xs`.
    pub fn llr(&self, xs: &[f64]) -> f64 {
        let n = xs.len() as f64;
        let gap = self.delta1 - self.delta0;
        let floor = (gap / 2.0) * (gap / 2.0);
        let var = (sd(xs) * sd(xs)).max(floor);
        gap / var * (xs.iter().sum::<f64>() - n * (self.delta0 + self.delta1) / 2.0)
    }

    /// The decision after `xs` (per-set differences in play order).
    pub fn decide(&self, xs: &[f64]) -> SprtDecision {
        if xs.len() < self.min_sets.max(2) {
            return SprtDecision::Continue;
        }
        let llr = self.llr(xs);
        let lower = (self.beta / (1.0 - self.alpha)).ln();
        let upper = ((1.0 - self.beta) / self.alpha).ln();
        if llr >= upper {
            SprtDecision::H1
        } else if llr <= lower {
            SprtDecision::H0
        } else {
            SprtDecision::Continue
        }
    }
}

/// ln Γ(x) for x > 0 (Lanczos, g = 7, 9 terms; |error| < 1e-13 here).
fn ln_gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // reflection
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut a = C[0];
    let t = x + G + 0.5;
    for (i, c) in C.iter().enumerate().skip(1) {
        a += c / (x + i as f64);
    }
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

/// The regularised incomplete beta function I_x(a, b) (continued fraction, Lentz).
fn incomplete_beta(a: f64, b: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let front =
        (ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln()).exp();
    // the continued fraction converges fast for x < (a + 1) / (a + b + 2)
    if x > (a + 1.0) / (a + b + 2.0) {
        return 1.0 - incomplete_beta(b, a, 1.0 - x);
    }
    let tiny = 1e-300;
    let (mut c, mut d) = (1.0, 1.0 - (a + b) * x / (a + 1.0));
    if d.abs() < tiny {
        d = tiny;
    }
    d = 1.0 / d;
    let mut f = d;
    for m in 1..500 {
        let m = m as f64;
        // even step
        let num = m * (b - m) * x / ((a + 2.0 * m - 1.0) * (a + 2.0 * m));
        d = 1.0 + num * d;
        d = if d.abs() < tiny { 1.0 / tiny } else { 1.0 / d };
        c = 1.0 + num / c;
        if c.abs() < tiny {
            c = tiny;
        }
        f *= d * c;
        // odd step
        let num = -(a + m) * (a + b + m) * x / ((a + 2.0 * m) * (a + 2.0 * m + 1.0));
        d = 1.0 + num * d;
        d = if d.abs() < tiny { 1.0 / tiny } else { 1.0 / d };
        c = 1.0 + num / c;
        if c.abs() < tiny {
            c = tiny;
        }
        let delta = d * c;
        f *= delta;
        if (delta - 1.0).abs() < 1e-15 {
            break;
        }
    }
    front * f / a
}

/// P(T ≤ t) for Student's t with `df` degrees of freedom.
pub fn student_t_cdf(t: f64, df: f64) -> f64 {
    let tail = 0.5 * incomplete_beta(df / 2.0, 0.5, df / (df + t * t));
    if t >= 0.0 {
        1.0 - tail
    } else {
        tail
    }
}

/// The `p` quantile of Student's t with `df` degrees of freedom (bisection).
pub fn t_quantile(p: f64, df: f64) -> f64 {
    let (mut lo, mut hi) = (-1e3, 1e3);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if student_t_cdf(mid, df) < p {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    #[test]
    fn t_distribution_matches_tables() {
        // two-sided 95% critical values
        for (df, want) in [
            (1.0, 12.706),
            (5.0, 2.571),
            (10.0, 2.228),
            (30.0, 2.042),
            (1e6, 1.960),
        ] {
            let q = t_quantile(0.975, df);
            assert!((q - want).abs() < 2e-3, "df {df}: {q}");
        }
        assert!((student_t_cdf(0.0, 7.0) - 0.5).abs() < 1e-12);
        assert!((student_t_cdf(2.998, 7.0) - 0.99).abs() < 1e-4);
    }

    /// Skewed data with a known mean: the 95% interval over 40 sets covers it in about
    /// 95% of repetitions.
    #[test]
    fn intervals_cover_the_true_mean_about_95_percent_of_the_time() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let reps = 4000;
        let mut covered = 0;
        for _ in 0..reps {
            // mean of an exponential(1) plus a Bernoulli(0.3): 1.3
            let xs: Vec<f64> = (0..40)
                .map(|_| -(1.0 - rng.gen::<f64>()).ln() + f64::from(rng.gen_bool(0.3)))
                .collect();
            let [lo, hi] = mean_ci(&xs).ci95.unwrap();
            covered += usize::from(lo <= 1.3 && 1.3 <= hi);
        }
        let rate = covered as f64 / reps as f64;
        assert!((0.93..=0.965).contains(&rate), "coverage {rate}");
    }

    #[test]
    fn ratio_intervals_cover_about_95_percent_of_the_time() {
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        let reps = 400;
        let mut covered = 0;
        for r in 0..reps {
            // wins per set ~ 1..6, points per win ~ uniform 1000..13000: ratio 7000
            let mut num = Vec::new();
            let mut den = Vec::new();
            for _ in 0..60 {
                let wins = rng.gen_range(1..=6);
                den.push(wins as f64);
                num.push((0..wins).map(|_| rng.gen_range(1000.0..13000.0)).sum());
            }
            let [lo, hi] = ratio_ci(&num, &den, 1000, r).ci95.unwrap();
            covered += usize::from(lo <= 7000.0 && 7000.0 <= hi);
        }
        let rate = covered as f64 / reps as f64;
        assert!((0.91..=0.98).contains(&rate), "coverage {rate}");
    }

    /// Under the null (symmetric differences) the p-values are uniform: each decile of
    /// [0, 1] gets about a tenth of them, and 5% of them fall below 0.05.
    #[test]
    fn p_values_are_uniform_under_the_null() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let reps = 1000;
        let mut flip = Vec::new();
        let mut t = Vec::new();
        for r in 0..reps {
            // per-round category rates: challenger and opponent drawn from one distribution
            let diffs: Vec<Vec<f64>> = (0..30)
                .map(|_| {
                    let draw = |rng: &mut ChaCha8Rng| -> Vec<f64> {
                        let mut c = [0.0; 4];
                        for _ in 0..20 {
                            let u: f64 = rng.gen();
                            c[[0.35, 0.6, 0.85, 1.0].iter().position(|&b| u < b).unwrap()] += 1.0;
                        }
                        c.iter().map(|x| x / 20.0).collect()
                    };
                    let (a, b) = (draw(&mut rng), draw(&mut rng));
                    a.iter().zip(&b).map(|(x, y)| x - y).collect()
                })
                .collect();
            flip.push(sign_flip_test(&diffs, 199, r));
            let xs: Vec<f64> = (0..25)
                .map(|_| rng.gen::<f64>() - rng.gen::<f64>())
                .collect();
            t.push(paired(&xs).p_value);
        }
        for (name, ps) in [("sign-flip", &flip), ("paired t", &t)] {
            let mut deciles = [0usize; 10];
            for &p in ps.iter() {
                deciles[((p * 10.0) as usize).min(9)] += 1;
            }
            for (d, &count) in deciles.iter().enumerate() {
                assert!(
                    (60..=140).contains(&count),
                    "{name}: decile {d} has {count} of {reps}"
                );
            }
            let below = ps.iter().filter(|&&p| p < 0.05).count();
            assert!(
                (25..=75).contains(&below),
                "{name}: {below} p-values below 0.05"
            );
        }
    }

    #[test]
    fn tests_find_real_differences() {
        let mut rng = ChaCha8Rng::seed_from_u64(4);
        let diffs: Vec<Vec<f64>> = (0..40)
            .map(|_| vec![0.05 + 0.1 * (rng.gen::<f64>() - 0.5), -0.05, 0.0])
            .collect();
        assert!(sign_flip_test(&diffs, 999, 0) < 0.01);
        let xs: Vec<f64> = (0..40).map(|_| 0.3 + rng.gen::<f64>() - 0.5).collect();
        assert!(paired(&xs).p_value < 0.01);
        // identical play: every difference 0
        assert_eq!(sign_flip_test(&vec![vec![0.0; 3]; 10], 99, 0), 1.0);
        assert_eq!(paired(&[0.0; 10]).p_value, 1.0);
    }

    /// Error rates of the SPRT by simulation: data at delta0 rarely ends in H1, data at
    /// delta1 rarely in H0, and both decide long before a fixed-size test would stop.
    #[test]
    fn sprt_keeps_its_error_rates() {
        let sprt = Sprt {
            delta0: 0.0,
            delta1: 1.0,
            alpha: 0.05,
            beta: 0.05,
            min_sets: 16,
        };
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let normal = |rng: &mut ChaCha8Rng| {
            let (u, v): (f64, f64) = (rng.gen(), rng.gen());
            (-2.0 * (1.0 - u).ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
        };
        for (truth, wrong) in [(0.0, SprtDecision::H1), (1.0, SprtDecision::H0)] {
            let (mut errors, mut sets) = (0, 0);
            let reps = 500;
            for _ in 0..reps {
                let mut xs = Vec::new();
                loop {
                    xs.push(truth + 2.0 * normal(&mut rng));
                    let d = sprt.decide(&xs);
                    if d != SprtDecision::Continue || xs.len() >= 2000 {
                        errors += usize::from(d == wrong);
                        break;
                    }
                }
                sets += xs.len();
            }
            let rate = errors as f64 / reps as f64;
            // nominal 0.05; Wald's bounds with an estimated variance are approximate,
            // and the first look waits for `min_sets` sets so the variance is not a guess
            assert!(rate <= 0.07, "truth {truth}: error rate {rate}");
            assert!(
                sets / reps < 200,
                "truth {truth}: {} sets on average",
                sets / reps
            );
        }
        // identical play decides H0 as soon as it may
        assert_eq!(sprt.decide(&[0.0; 16]), SprtDecision::H0);
        assert_eq!(sprt.decide(&[0.0; 15]), SprtDecision::Continue);
    }
}
