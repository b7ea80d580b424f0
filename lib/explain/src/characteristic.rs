//! Characteristic functions v(C) of an agent at an explained state x, for every coalition
//! C of players at once (a table of 2ⁿ values for [`crate::exact_from_table`]).
//!
//! A player is a group of feature indices ([`Players`]). The agent is seen only through
//! numbers the caller computed: `outputs[s]`, the model's output (a probability, a value)
//! at each logged state s, or a closure for interventional filling. Three ways to fill
//! the features a coalition leaves out:
//!
//! - **on-manifold, exact matching** ([`on_manifold_exact`], SVERL's definition for
//!   discrete features): v(C) is the mean output over the logged states that agree with x
//!   on every feature of C — the agent's own state distribution conditioned on what C
//!   reveals. All 2ⁿ coalitions cost one pass over the states plus a superset-sum
//!   transform, O(N·d + n·2ⁿ).
//! - **on-manifold, kernel** ([`on_manifold_kernel`], continuous features): the logged
//!   states weighted by a Gaussian kernel on the standardised features of C.
//! - **interventional** ([`interventional`], KernelSHAP/shap's definition, off-manifold):
//!   v(C) = mean over a background set b of f(x_C, b_C̄), which may ask the model about
//!   states the agent never visits.
//!
//! In all three, v(F) = f(x) (everything observed). The explained state should be one
//! of the logged states (its occupancy is then counted once); with exact matching, a
//! coalition that no logged state matches falls back to f(x), the one state known to
//! agree.

use crate::shapley::{Coalition, ShapleyError, MAX_EXACT_PLAYERS};

/// Which conditioning produced a table (recorded with every explanation).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Conditioning {
    /// Logged states that agree exactly with x on the coalition's features.
    OnManifoldExact,
    /// Logged states weighted by closeness to x on the coalition's features.
    OnManifoldKernel,
    /// A surrogate trained on randomly masked logged states to predict the model's
    /// output: its minimiser is the conditional expectation given the kept features.
    OnManifoldLearned,
    /// Missing features from a background set, independently of the present ones.
    Interventional,
}

impl Conditioning {
    /// The name used in files and figure labels.
    pub fn name(self) -> &'static str {
        match self {
            Conditioning::OnManifoldExact => "on-manifold (exact matching)",
            Conditioning::OnManifoldKernel => "on-manifold (kernel)",
            Conditioning::OnManifoldLearned => "on-manifold (learned)",
            Conditioning::Interventional => "interventional (off-manifold)",
        }
    }
}

/// Players: named groups of feature indices.
#[derive(Clone, Debug, PartialEq)]
pub struct Players {
    /// One name per player.
    pub names: Vec<String>,
    /// The features of each player.
    pub features: Vec<Vec<usize>>,
}

impl Players {
    /// One player per feature.
    pub fn singletons(names: Vec<String>) -> Players {
        let features = (0..names.len()).map(|i| vec![i]).collect();
        Players { names, features }
    }

    /// Number of players.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// Checks the players against `dims` features (each index in range, at most
    /// [`MAX_EXACT_PLAYERS`] players, names and groups of equal count).
    pub fn check(&self, dims: usize) -> Result<(), ShapleyError> {
        let n = self.features.len();
        if n == 0 || n > MAX_EXACT_PLAYERS || self.names.len() != n {
            return Err(ShapleyError::Players {
                players: n,
                method: "exact",
                max: MAX_EXACT_PLAYERS,
            });
        }
        if let Some(&j) = self.features.iter().flatten().find(|&&j| j >= dims) {
            return Err(ShapleyError::Feature { index: j, dims });
        }
        Ok(())
    }
}

fn full(n: usize) -> Coalition {
    (1 << n) - 1
}

/// Σ over supersets: after the call, `a[c]` = Σ_{m ⊇ c} a[m] (in place, O(n·2ⁿ)).
fn superset_sums(a: &mut [f64], n: usize) {
    for i in 0..n {
        let bit = 1 << i;
        // within each block of 2·bit, the lower half (bit clear) gains the upper half
        for block in a.chunks_exact_mut(2 * bit) {
            let (lower, upper) = block.split_at_mut(bit);
            lower
                .iter_mut()
                .zip(upper.iter())
                .for_each(|(l, u)| *l += u);
        }
    }
}

/// On-manifold v(C) for every coalition by exact matching: the mean of `outputs` over
/// the logged `states` (rows of `dims` features, flat) that agree with `x` on every
/// feature of C (`fx` where none does, and for C = F).
pub fn on_manifold_exact(
    players: &Players,
    x: &[f32],
    fx: f64,
    states: &[f32],
    outputs: &[f64],
) -> Result<Vec<f64>, ShapleyError> {
    let dims = x.len();
    players.check(dims)?;
    check_states(dims, states, outputs)?;
    let masks = states.chunks_exact(dims).zip(outputs).map(|(s, &out)| {
        let mut agree: Coalition = 0;
        for (p, feats) in players.features.iter().enumerate() {
            if feats.iter().all(|&j| s[j] == x[j]) {
                agree |= 1 << p;
            }
        }
        (agree, out)
    });
    Ok(on_manifold_from_masks(players.len(), masks, fx))
}

/// On-manifold v(C) for every coalition from each logged state's *agreement mask* (the
/// players on which it agrees with x) and output: v(C) is the mean output of the states
/// whose mask contains C (`fx` where none does, and for C = F). Callers with their own
/// fast comparison (e.g. bit-packed tile planes) use this directly; `n` ≤
/// [`MAX_EXACT_PLAYERS`].
pub fn on_manifold_from_masks(
    n: usize,
    masks: impl IntoIterator<Item = (Coalition, f64)>,
    fx: f64,
) -> Vec<f64> {
    let (mut sum, mut count) = (vec![0.0; 1 << n], vec![0.0; 1 << n]);
    for (agree, out) in masks {
        sum[agree as usize] += out;
        count[agree as usize] += 1.0;
    }
    superset_sums(&mut sum, n);
    superset_sums(&mut count, n);
    let mut v: Vec<f64> = sum
        .iter()
        .zip(&count)
        .map(|(&s, &c)| if c > 0.0 { s / c } else { fx })
        .collect();
    v[full(n) as usize] = fx;
    v
}

fn check_states(dims: usize, states: &[f32], outputs: &[f64]) -> Result<(), ShapleyError> {
    if dims == 0 || states.len() != outputs.len() * dims {
        return Err(ShapleyError::Shape(format!(
            "{} state values for {} outputs of {dims} features each",
            states.len(),
            outputs.len()
        )));
    }
    if let Some(o) = outputs.iter().find(|o| !o.is_finite()) {
        return Err(ShapleyError::Shape(format!("output {o} is not finite")));
    }
    Ok(())
}

/// On-manifold v(C) for every coalition by kernel weighting (continuous features):
/// state s weighs exp(−‖(s − x)_C / σ‖² / 2h²) over the features of C, each scaled by
/// its standard deviation σ over the states; `bandwidth` h is in standard deviations.
/// v(∅) is the mean output, v(F) = `fx`. See [`KernelConditional`].
pub fn on_manifold_kernel(
    players: &Players,
    x: &[f32],
    fx: f64,
    states: &[f32],
    outputs: &[f64],
    bandwidth: f64,
) -> Result<Vec<f64>, ShapleyError> {
    check_states(x.len(), states, outputs)?;
    let conditional = KernelConditional::new(players, states, x.len(), bandwidth)?;
    conditional.table(x, fx, outputs)
}

/// A run's logged states prepared for on-manifold conditioning of continuous features:
/// p(s' | s_C) ∝ exp(−‖(s' − s)_C / σ‖² / 2h²) over the logged s' (σ: each feature's
/// standard deviation over the states; h: the bandwidth in standard deviations).
///
/// Weights are taken relative to the nearest logged state, so a coalition that no state
/// matches closely falls back to its nearest neighbours instead of underflowing.
#[derive(Clone, Debug)]
pub struct KernelConditional {
    players: Players,
    dims: usize,
    /// The states divided by their feature's σ (flat, rows of `dims`).
    scaled: Vec<f32>,
    inv_sd: Vec<f32>,
    inv_two_h2: f64,
}

impl KernelConditional {
    /// Prepares `states` (flat rows of `dims` features) with bandwidth `h`.
    pub fn new(
        players: &Players,
        states: &[f32],
        dims: usize,
        bandwidth: f64,
    ) -> Result<KernelConditional, ShapleyError> {
        players.check(dims)?;
        if states.is_empty() || !states.len().is_multiple_of(dims) {
            return Err(ShapleyError::Shape(format!(
                "{} state values is not a whole number of {dims}-feature rows",
                states.len()
            )));
        }
        if !(bandwidth.is_finite() && bandwidth > 0.0) {
            return Err(ShapleyError::Shape(format!(
                "bandwidth {bandwidth} (must be > 0)"
            )));
        }
        let rows = (states.len() / dims) as f64;
        let inv_sd: Vec<f32> = (0..dims)
            .map(|j| {
                let column = || states.iter().skip(j).step_by(dims).map(|&v| v as f64);
                let mean = column().sum::<f64>() / rows;
                let var = column().map(|v| (v - mean).powi(2)).sum::<f64>() / rows;
                if var > 0.0 {
                    (1.0 / var.sqrt()) as f32
                } else {
                    1.0
                }
            })
            .collect();
        let scaled = states
            .chunks_exact(dims)
            .flat_map(|s| s.iter().zip(&inv_sd).map(|(v, k)| v * k))
            .collect();
        Ok(KernelConditional {
            players: players.clone(),
            dims,
            scaled,
            inv_sd,
            inv_two_h2: 1.0 / (2.0 * bandwidth * bandwidth),
        })
    }

    /// Number of logged states.
    pub fn len(&self) -> usize {
        self.scaled.len() / self.dims
    }

    /// Whether there are none (never, once built).
    pub fn is_empty(&self) -> bool {
        self.scaled.is_empty()
    }

    /// Squared standardised distance from `x` to every state, per player (rows × n).
    fn player_distances(&self, x: &[f32]) -> Vec<f64> {
        let xs: Vec<f32> = x.iter().zip(&self.inv_sd).map(|(v, k)| v * k).collect();
        let xs = &xs;
        self.scaled
            .chunks_exact(self.dims)
            .flat_map(|s| {
                self.players.features.iter().map(move |feats| {
                    feats
                        .iter()
                        .map(|&j| ((s[j] - xs[j]) as f64).powi(2))
                        .sum::<f64>()
                })
            })
            .collect()
    }

    /// The kernel weights of every state given x on coalition C (largest weight 1).
    fn weights(&self, distances: &[f64], coalition: Coalition, out: &mut Vec<f64>) {
        let n = self.players.len();
        out.clear();
        out.extend(distances.chunks_exact(n).map(|d| {
            (0..n)
                .filter(|p| coalition >> p & 1 == 1)
                .map(|p| d[p])
                .sum::<f64>()
        }));
        let nearest = out.iter().copied().fold(f64::INFINITY, f64::min);
        for d in out.iter_mut() {
            *d = (-(*d - nearest) * self.inv_two_h2).exp();
        }
    }

    /// v(C) for every coalition: the kernel-weighted mean of `outputs` (one per state),
    /// v(F) = `fx`.
    pub fn table(&self, x: &[f32], fx: f64, outputs: &[f64]) -> Result<Vec<f64>, ShapleyError> {
        check_states(self.dims, &self.scaled, outputs)?;
        if x.len() != self.dims {
            return Err(ShapleyError::Shape(format!(
                "a state of {} features, the logged ones have {}",
                x.len(),
                self.dims
            )));
        }
        let n = self.players.len();
        let distances = self.player_distances(x);
        let mut w = Vec::with_capacity(outputs.len());
        let mut v: Vec<f64> = (0..1u64 << n)
            .map(|c| {
                self.weights(&distances, c, &mut w);
                let den: f64 = w.iter().sum();
                w.iter().zip(outputs).map(|(w, o)| w * o).sum::<f64>() / den
            })
            .collect();
        v[full(n) as usize] = fx;
        Ok(v)
    }

    /// The conditional mean of vector outputs (`outputs`: one row of `out.len()` per
    /// state) given x on coalition C, written into `out` (e.g. π_C(·|x) from the logged
    /// states' policies).
    pub fn mean_into(&self, x: &[f32], coalition: Coalition, outputs: &[f32], out: &mut [f64]) {
        let width = out.len();
        debug_assert_eq!(outputs.len(), self.len() * width);
        let mut w = Vec::with_capacity(self.len());
        self.weights(&self.player_distances(x), coalition, &mut w);
        out.fill(0.0);
        let mut den = 0.0;
        for (w, row) in w.iter().zip(outputs.chunks_exact(width)) {
            if *w > 1e-12 {
                den += w;
                for (o, r) in out.iter_mut().zip(row) {
                    *o += w * *r as f64;
                }
            }
        }
        out.iter_mut().for_each(|o| *o /= den);
    }
}

/// Interventional v(C) for every coalition: the mean over `background` rows (flat, of
/// `x.len()` features) of `f` at x with the features outside C taken from the row.
pub fn interventional(
    players: &Players,
    x: &[f32],
    background: &[f32],
    mut f: impl FnMut(&[f32]) -> f64,
) -> Result<Vec<f64>, ShapleyError> {
    let dims = x.len();
    players.check(dims)?;
    if background.is_empty() || !background.len().is_multiple_of(dims) {
        return Err(ShapleyError::Shape(format!(
            "{} background values is not a whole number of {dims}-feature rows",
            background.len()
        )));
    }
    let n = players.len();
    let mut z = vec![0.0f32; dims];
    let rows = (background.len() / dims) as f64;
    let mut v = Vec::with_capacity(1 << n);
    for c in 0..1u64 << n {
        let mut total = 0.0;
        for b in background.chunks_exact(dims) {
            z.copy_from_slice(b);
            for (p, feats) in players.features.iter().enumerate() {
                if c >> p & 1 == 1 {
                    feats.iter().for_each(|&j| z[j] = x[j]);
                }
            }
            total += f(&z);
        }
        v.push(total / rows);
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exact_from_table;

    /// Every combination of three binary features (a full-factorial, independent log).
    fn factorial() -> Vec<f32> {
        (0..8u32)
            .flat_map(|s| (0..3).map(move |j| ((s >> j) & 1) as f32))
            .collect()
    }

    #[test]
    fn an_ignored_independent_feature_gets_zero() {
        let players = Players::singletons(vec!["a".into(), "b".into(), "c".into()]);
        let f = |s: &[f32]| (2.0 * s[0] + s[1] + s[0] * s[1]) as f64; // ignores c
        let states = factorial();
        let outputs: Vec<f64> = states.chunks(3).map(f).collect();
        let x = [1.0, 1.0, 0.0];
        let v = on_manifold_exact(&players, &x, f(&x), &states, &outputs).unwrap();
        let phi = exact_from_table(&v).unwrap();
        assert!(phi[2].abs() < 1e-12, "{phi:?}");
        assert!((phi.iter().sum::<f64>() - (f(&x) - v[0])).abs() < 1e-12);
        let v = interventional(&players, &x, &states, f).unwrap();
        assert!(exact_from_table(&v).unwrap()[2].abs() < 1e-12);
    }

    #[test]
    fn a_duplicated_feature_splits_its_credit_evenly() {
        // feature 1 is a copy of feature 0 in every logged state; the policy reads only 0
        let states: Vec<f32> = (0..4u32)
            .flat_map(|s| {
                let a = (s & 1) as f32;
                [a, a, (s >> 1) as f32]
            })
            .collect();
        let f = |s: &[f32]| s[0] as f64 * 3.0 + s[2] as f64;
        let outputs: Vec<f64> = states.chunks(3).map(f).collect();
        let players = Players::singletons(vec!["a".into(), "copy".into(), "c".into()]);
        let x = [1.0, 1.0, 1.0];
        let v = on_manifold_exact(&players, &x, f(&x), &states, &outputs).unwrap();
        let phi = exact_from_table(&v).unwrap();
        assert!((phi[0] - phi[1]).abs() < 1e-12 && phi[0] > 0.0, "{phi:?}");
        assert!((phi[0] + phi[1] - 1.5).abs() < 1e-12); // 3 × (1 − mean 0.5), shared
                                                        // off-manifold, the copy the model never reads gets nothing
        let off = exact_from_table(&interventional(&players, &x, &states, f).unwrap()).unwrap();
        assert!(off[1].abs() < 1e-12 && (off[0] - 1.5).abs() < 1e-12);
    }

    #[test]
    fn exact_matching_equals_brute_force_and_groups_act_together() {
        let players = Players {
            names: vec!["ab".into(), "c".into()],
            features: vec![vec![0, 1], vec![2]],
        };
        let states = factorial();
        let outputs: Vec<f64> = (0..8).map(|i| (i * i % 5) as f64).collect();
        let x = [1.0, 0.0, 1.0];
        let v = on_manifold_exact(&players, &x, 7.0, &states, &outputs).unwrap();
        for c in 0..4u64 {
            let feats: Vec<usize> = players
                .features
                .iter()
                .enumerate()
                .filter(|(p, _)| c >> p & 1 == 1)
                .flat_map(|(_, f)| f.clone())
                .collect();
            let (mut sum, mut n) = (0.0, 0.0);
            for (s, o) in states.chunks(3).zip(&outputs) {
                if feats.iter().all(|&j| s[j] == x[j]) {
                    sum += o;
                    n += 1.0;
                }
            }
            let want = if c == 3 || n == 0.0 { 7.0 } else { sum / n };
            assert!(
                (v[c as usize] - want).abs() < 1e-12,
                "C={c}: {} vs {want}",
                v[c as usize]
            );
        }
    }

    #[test]
    fn the_kernel_narrows_to_the_matching_states() {
        let players = Players::singletons(vec!["a".into(), "b".into(), "c".into()]);
        let states = factorial();
        let outputs: Vec<f64> = states
            .chunks(3)
            .map(|s| (s[0] * 4.0 + s[1]) as f64)
            .collect();
        let x = [1.0, 0.0, 0.0];
        let exact = on_manifold_exact(&players, &x, 4.0, &states, &outputs).unwrap();
        let tight = on_manifold_kernel(&players, &x, 4.0, &states, &outputs, 0.05).unwrap();
        for (a, b) in exact.iter().zip(&tight) {
            assert!((a - b).abs() < 1e-9, "{a} vs {b}");
        }
        assert!(on_manifold_kernel(&players, &x, 4.0, &states, &outputs, 0.0).is_err());
        assert!(on_manifold_exact(&players, &x, 4.0, &states[1..], &outputs).is_err());
        let bad = Players::singletons(vec!["a".into(); 4]);
        assert!(on_manifold_exact(&bad, &x, 4.0, &states, &outputs).is_err());
    }

    #[test]
    fn the_kernel_conditional_of_one_coalition_agrees_with_the_table() {
        let players = Players::singletons(vec!["a".into(), "b".into()]);
        // a line of states; outputs two-wide: (s₀, 1 − s₀)
        let states: Vec<f32> = (0..50)
            .flat_map(|i| [i as f32 / 10.0, (i % 7) as f32])
            .collect();
        let outputs: Vec<f32> = states.chunks(2).flat_map(|s| [s[0], 1.0 - s[0]]).collect();
        let k = KernelConditional::new(&players, &states, 2, 0.3).unwrap();
        assert_eq!(k.len(), 50);
        let x = [2.0f32, 3.0];
        let first: Vec<f64> = outputs.iter().step_by(2).map(|&o| o as f64).collect();
        let table = k.table(&x, 99.0, &first).unwrap();
        for c in 0..3u64 {
            let mut out = [0.0; 2];
            k.mean_into(&x, c, &outputs, &mut out);
            assert!((out[0] - table[c as usize]).abs() < 1e-9, "C={c}");
            assert!((out[0] + out[1] - 1.0).abs() < 1e-6);
        }
        assert_eq!(table[3], 99.0);
        // far from every state, the nearest ones decide instead of nothing
        let mut out = [0.0; 2];
        k.mean_into(&[1e6, 3.0], 1, &outputs, &mut out);
        assert!((out[0] - 4.9).abs() < 1e-6, "{out:?}");
        assert!(KernelConditional::new(&players, &states[1..], 2, 0.3).is_err());
    }
}
