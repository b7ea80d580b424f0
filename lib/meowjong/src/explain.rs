//! Shapley explanations of the Meowjong discard model (SVERL's policy characteristic).
//! The players are groups of tile-plane cells ([`PlayerSet`]: the 20 feature blocks, or
//! the own hand per tile kind and the other blocks); the explained number is the model's
//! probability of one tile ([`Quantity`]); coalitions are conditioned ([`Conditioning`])
//! on-manifold by a learned surrogate ([`crate::surrogate`]), on-manifold by exact
//! matching over logged decisions, or interventionally (hidden cells from background
//! states, which asks the model about states the agent never sees). `meowlab explain`
//! and the notebooks call [`explain_discards`], and [`surrogate_for`] to get the
//! learned characteristic of a model on a run (trained once, saved beside the model).

use std::path::Path;

use meowlab_explain::sanma::{BlockIndex, PlanePlayers, PlayerSet};
use meowlab_explain::shapley::MAX_EXACT_PLAYERS;
use meowlab_explain::{
    exact_from_table, sampled_batched, Coalition, Conditioning, ExplainProgress, Sampling,
    ShapleyError,
};
use meowlab_nn::nn::Dev;
use meowlab_sanma::planes::{self, Planes};
use meowlab_store::Explanation;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::dataset::Samples;
use crate::model::{model_stem, MeowjongNet, COLS, ROWS};
use crate::surrogate::{
    ModelFingerprint, Surrogate, SurrogateConfig, SurrogateData, SurrogateError,
};

/// Which number of the policy is explained.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Quantity {
    /// The probability of the model's most likely tile at the decision.
    Top,
    /// The probability of the tile discarded in the log.
    Logged,
}

impl Quantity {
    /// Both.
    pub const ALL: [Quantity; 2] = [Quantity::Top, Quantity::Logged];

    /// The command-line name.
    pub fn name(self) -> &'static str {
        match self {
            Quantity::Top => "top",
            Quantity::Logged => "logged",
        }
    }

    /// The `explanations` table's kind: `policy` (the top tile, what older runs hold)
    /// or `policy_logged`.
    pub fn kind(self) -> &'static str {
        match self {
            Quantity::Top => "policy",
            Quantity::Logged => "policy_logged",
        }
    }
}

impl std::str::FromStr for Quantity {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Quantity::ALL
            .into_iter()
            .find(|q| q.name() == s)
            .ok_or_else(|| format!("unknown quantity {s:?} (top, logged)"))
    }
}

/// How Shapley values are computed from v.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Estimator {
    /// Every coalition once (2ⁿ evaluations): exact matching's table for any n ≤ 24, a
    /// surrogate or the model for small player sets.
    Exact,
    /// Permutation sampling with antithetic pairs and standard errors.
    Sampled(Sampling),
    /// Exact where it is cheap (exact matching with ≤ 24 players), otherwise sampling
    /// to standard errors below a tenth of the largest |φ|.
    Auto,
}

/// Which decisions, how conditioned, with which players.
#[derive(Clone, Debug, PartialEq)]
pub struct ExplainConfig {
    /// Decisions to explain (a seeded sample of the samples).
    pub states: usize,
    /// Exact matching: condition on at most this many logged decisions (the explained
    /// ones included); `None`: all.
    pub background: Option<usize>,
    /// Seed of the samples and of sampling.
    pub seed: u64,
    /// Id of the first explanation (to append to a run's table).
    pub first_id: u64,
    /// The players.
    pub players: PlayerSet,
    /// How coalitions are conditioned.
    pub conditioning: Conditioning,
    /// How values are computed.
    pub estimator: Estimator,
    /// The explained number.
    pub quantity: Quantity,
    /// The policy over the legal discards only (renormalised), as the agent plays; off
    /// for models trained without the legal mask (planted-rule models).
    pub legal_only: bool,
    /// Interventional conditioning: background states averaged per coalition.
    pub interventional_background: usize,
}

impl Default for ExplainConfig {
    fn default() -> Self {
        ExplainConfig {
            states: 100,
            background: None,
            seed: 0,
            first_id: 0,
            players: PlayerSet::Blocks,
            conditioning: Conditioning::OnManifoldLearned,
            estimator: Estimator::Auto,
            quantity: Quantity::Top,
            legal_only: true,
            interventional_background: 16,
        }
    }
}

/// Why an explanation failed.
#[derive(Debug, thiserror::Error)]
pub enum ExplainError {
    /// The Shapley computation.
    #[error(transparent)]
    Shapley(#[from] ShapleyError),
    /// The learned characteristic.
    #[error(transparent)]
    Surrogate(#[from] SurrogateError),
    /// A logged observation could not be read, or the inputs do not fit together.
    #[error("{0}")]
    Input(String),
}

/// The model's policy at each of `planes` (34 per state), over the legal discards only
/// (the tiles in hand and the target tile, renormalised) when `legal_only`.
pub fn policies(
    net: &mut MeowjongNet,
    planes: &[Planes],
    legal_only: bool,
    on_progress: &mut dyn FnMut(ExplainProgress),
) -> Vec<f32> {
    const BATCH: usize = 256;
    let mut rng = ChaCha8Rng::seed_from_u64(0); // eval mode: no dropout is drawn
    let mut out: Vec<f32> = Vec::with_capacity(planes.len() * ROWS);
    let mut dense = vec![0.0f32; BATCH * ROWS * COLS];
    for chunk in planes.chunks(BATCH) {
        for (p, d) in chunk.iter().zip(dense.chunks_mut(ROWS * COLS)) {
            p.write_f32(d);
        }
        let mut probs = net.predict(&dense[..chunk.len() * ROWS * COLS], &mut rng);
        if legal_only {
            for (p, policy) in chunk.iter().zip(probs.chunks_exact_mut(ROWS)) {
                legal_policy(p, policy);
            }
        }
        out.extend(probs);
        on_progress(ExplainProgress::Model {
            done: out.len() / ROWS,
            total: planes.len(),
        });
    }
    out
}

/// Renormalises `policy` over the tiles `planes` may discard (in hand, or the target).
fn legal_policy(planes: &Planes, policy: &mut [f32]) {
    let target = planes::FeatureBlock::TargetTile.columns().start;
    let hand = planes::FeatureBlock::OwnHand.columns().start;
    let mut sum = 0.0;
    for (row, p) in policy.iter_mut().enumerate() {
        if planes.get(row, target) || planes.get(row, hand) {
            sum += *p;
        } else {
            *p = 0.0;
        }
    }
    if sum > 0.0 {
        policy.iter_mut().for_each(|p| *p /= sum);
    }
}

/// Decodes the logged observations of `indices`.
fn decode(samples: &Samples, indices: &[usize]) -> Result<Vec<Planes>, ExplainError> {
    indices
        .iter()
        .map(|&i| {
            Planes::from_bytes(&samples.observations[i]).map_err(|e| {
                ExplainError::Input(format!(
                    "the logged observation of game {} step {}: {}",
                    samples.games[i], samples.steps[i], e.reason
                ))
            })
        })
        .collect()
}

/// The name a run's surrogates are saved under: its folder's name.
pub fn run_name(run: &Path) -> String {
    run.canonicalize()
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "run".into())
}

/// Which surrogate to get: for the decisions of which run, which policy, how trained.
#[derive(Clone, Debug, PartialEq)]
pub struct SurrogateSpec {
    /// The run's name (surrogates are saved per model and run).
    pub run: String,
    /// Explain the policy over the legal discards (see [`ExplainConfig::legal_only`]).
    pub legal_only: bool,
    /// How to train it.
    pub config: SurrogateConfig,
    /// Train on at most this many decisions (a seeded sample).
    pub max_states: usize,
}

/// The learned characteristic of the model at `model` (its folder or stem) on the
/// decisions in `samples`: the surrogate saved beside the model if one was trained for
/// the same weights, policy, run and config, otherwise a new one, trained and saved
/// there (replacing a stale one). Returns it and whether it was trained now.
pub fn surrogate_for(
    dev: &Dev,
    net: &mut MeowjongNet,
    model: &Path,
    samples: &Samples,
    spec: &SurrogateSpec,
    on_progress: &mut dyn FnMut(ExplainProgress),
) -> Result<(Surrogate, bool), ExplainError> {
    let stem = model_stem(model);
    let fingerprint = ModelFingerprint::of(&stem.with_extension("safetensors"), spec.legal_only)?;
    let model_dir = stem.parent().unwrap_or(Path::new("."));
    let dir = Surrogate::dir_for(model_dir, &spec.run, spec.legal_only);
    // a saved surrogate is a cache: one for other weights or another config, or one an
    // older build wrote, is trained again
    if let Ok(saved) = Surrogate::load(dev, &dir, net) {
        if saved.card.model.hash == fingerprint.hash && saved.card.config == spec.config {
            return Ok((saved, false));
        }
    }
    let surrogate = fit_surrogate(dev, net, samples, fingerprint, spec, on_progress)?;
    surrogate.save(&dir)?;
    Ok((surrogate, true))
}

/// Trains a surrogate of `net`'s policy on a seeded sample of `samples` (not saved).
pub fn fit_surrogate(
    dev: &Dev,
    net: &mut MeowjongNet,
    samples: &Samples,
    model: ModelFingerprint,
    spec: &SurrogateSpec,
    on_progress: &mut dyn FnMut(ExplainProgress),
) -> Result<Surrogate, ExplainError> {
    let mut rng = ChaCha8Rng::seed_from_u64(spec.config.seed ^ 0x5);
    let mut chosen: Vec<usize> = (0..samples.labels.len()).collect();
    chosen.shuffle(&mut rng);
    chosen.truncate(spec.max_states);
    let states = decode(samples, &chosen)?;
    let games: Vec<u64> = chosen.iter().map(|&i| samples.games[i]).collect();
    let policies = policies(net, &states, spec.legal_only, on_progress);
    let data = SurrogateData {
        states: &states,
        games: &games,
        policies: &policies,
    };
    Ok(Surrogate::fit(
        dev,
        net,
        &data,
        model,
        &spec.run,
        &spec.config,
        on_progress,
    )?)
}

/// Explains the discard model's policy at a seeded sample of `samples` (e.g.
/// `dataset::extract(run, Discard)`): one [`Explanation`] per decision. The learned
/// conditioning needs `surrogate` (from [`surrogate_for`]), trained for the player set.
/// It explains the network: a model with a
/// [`teacher_prior`](crate::ModelCard::teacher_prior) also leans on the heuristic bot's
/// choice, which no coalition of plane cells switches off.
pub fn explain_discards(
    net: &mut MeowjongNet,
    samples: &Samples,
    config: &ExplainConfig,
    surrogate: Option<&mut Surrogate>,
    on_progress: &mut dyn FnMut(ExplainProgress),
) -> Result<Vec<Explanation>, ExplainError> {
    let players = config.players.players();
    let n = players.len();
    if config.conditioning == Conditioning::OnManifoldKernel {
        return Err(ExplainError::Input(
            "kernel conditioning is for continuous features; tile planes are binary".into(),
        ));
    }
    let mut surrogate = match (config.conditioning, surrogate) {
        (Conditioning::OnManifoldLearned, None) => {
            return Err(ExplainError::Input(
                "the learned conditioning needs a surrogate (surrogate_for)".into(),
            ))
        }
        (Conditioning::OnManifoldLearned, Some(s)) if !s.serves(config.players) => {
            return Err(ExplainError::Input(format!(
                "the surrogate was trained for {:?}, not {}",
                s.card.config.player_sets, config.players
            )))
        }
        (_, s) => s,
    };
    let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
    let mut reference: Vec<usize> = (0..samples.labels.len()).collect();
    reference.shuffle(&mut rng);
    // exact matching conditions on `background` logged states (the explained ones
    // among them); interventional filling takes its background after the explained ones
    reference.truncate(match config.conditioning {
        Conditioning::OnManifoldExact => config.background.unwrap_or(usize::MAX).max(config.states),
        Conditioning::Interventional => config.states + config.interventional_background,
        _ => config.states,
    });
    let explained = config.states.min(reference.len());
    let planes = decode(samples, &reference)?;
    // the interventional background: states after the explained ones
    let background: Vec<Planes> = planes[explained..]
        .iter()
        .take(config.interventional_background)
        .cloned()
        .collect();
    if config.conditioning == Conditioning::Interventional && background.is_empty() {
        return Err(ExplainError::Input(format!(
            "interventional conditioning needs background states beyond the {explained} \
             explained (the run has {})",
            samples.labels.len()
        )));
    }
    let policy = policies(net, &planes, config.legal_only, on_progress);
    let index = (config.conditioning == Conditioning::OnManifoldExact)
        .then(|| BlockIndex::build(&planes, &players));
    let exact = match config.estimator {
        Estimator::Exact => true,
        Estimator::Sampled(_) => false,
        Estimator::Auto => {
            config.conditioning == Conditioning::OnManifoldExact && n <= MAX_EXACT_PLAYERS
        }
    };
    let sampling = match config.estimator {
        Estimator::Sampled(s) => s,
        _ => Sampling::to_tenth(),
    };
    let mut out = Vec::with_capacity(explained);
    for x in 0..explained {
        let i = reference[x];
        let p = &policy[x * ROWS..(x + 1) * ROWS];
        let tile = match config.quantity {
            Quantity::Top => (0..ROWS)
                .max_by(|&a, &b| p[a].total_cmp(&p[b]))
                .unwrap_or(0),
            Quantity::Logged => usize::from(samples.labels[i]),
        };
        // exact matching: the explained quantity at every logged state, and which players
        // each state agrees with x on (once per decision, not per batch of coalitions)
        let (outputs, agreements): (Vec<f64>, Vec<Coalition>) = match &index {
            Some(index) => (
                policy
                    .chunks_exact(ROWS)
                    .map(|q| f64::from(q[tile]))
                    .collect(),
                index.agreements(x),
            ),
            None => (Vec::new(), Vec::new()),
        };
        // v for a batch of coalitions, by the chosen conditioning
        let mut prepared = surrogate
            .as_deref_mut()
            .map(|s| s.prepare(&planes[x], &players));
        let mut v = |coalitions: &[Coalition]| -> Result<Vec<f64>, ShapleyError> {
            Ok(match config.conditioning {
                Conditioning::OnManifoldLearned => {
                    let q = prepared
                        .as_mut()
                        .expect("checked above")
                        .policies(coalitions);
                    q.chunks_exact(ROWS).map(|q| f64::from(q[tile])).collect()
                }
                Conditioning::OnManifoldExact => {
                    BlockIndex::on_manifold_values(&agreements, &outputs, coalitions)
                }
                _ => interventional_values(
                    net,
                    &planes[x],
                    &background,
                    &players,
                    coalitions,
                    tile,
                    config.legal_only,
                ),
            })
        };
        let (values, stderr, base, full_value, method) = if exact {
            if n > MAX_EXACT_PLAYERS {
                return Err(ShapleyError::Players {
                    players: n,
                    method: "exact",
                    max: MAX_EXACT_PLAYERS,
                }
                .into());
            }
            let table = match &index {
                Some(index) => index.on_manifold_table(x, &outputs),
                None => {
                    let all: Vec<Coalition> = (0..1u64 << n).collect();
                    let mut table = Vec::with_capacity(all.len());
                    for chunk in all.chunks(4096) {
                        table.extend(v(chunk)?);
                    }
                    table
                }
            };
            let values = exact_from_table(&table)?;
            (
                values,
                None,
                table[0],
                table[table.len() - 1],
                "exact".to_string(),
            )
        } else {
            let seed = config.seed ^ (x as u64).wrapping_mul(0x9E37_79B9);
            let e = sampled_batched(n, &sampling, seed, &mut v)?;
            let method = format!("sampled ({} pairs)", e.pairs);
            (e.values, Some(e.stderr), e.empty, e.full, method)
        };
        out.push(Explanation {
            explanation_id: config.first_id + x as u64,
            kind: config.quantity.kind().into(),
            target: format!("p({})", planes::row_name(tile)),
            conditioning: config.conditioning.name().into(),
            method,
            game_id: Some(samples.games[i]),
            step: Some(samples.steps[i]),
            episode_id: None,
            players: players.names.clone(),
            values,
            stderr,
            base,
            full: full_value,
        });
        on_progress(ExplainProgress::Explained {
            done: x + 1,
            total: explained,
        });
    }
    Ok(out)
}

/// Interventional v(C) at `x` for each coalition: the mean over `background` of the
/// model's probability of `tile` at the hybrid state (x on C's cells, the background
/// state elsewhere).
fn interventional_values(
    net: &mut MeowjongNet,
    x: &Planes,
    background: &[Planes],
    players: &PlanePlayers,
    coalitions: &[Coalition],
    tile: usize,
    legal_only: bool,
) -> Vec<f64> {
    let mut hybrids = Vec::with_capacity(coalitions.len() * background.len());
    let owners = players.owners();
    for &c in coalitions {
        for b in background {
            let mut h = b.clone();
            for (cell, owner) in owners.iter().enumerate() {
                let from_x = owner.is_none_or(|p| c & (1 << p) != 0);
                if from_x {
                    h.set(cell / COLS, cell % COLS, x.get(cell / COLS, cell % COLS));
                }
            }
            hybrids.push(h);
        }
    }
    let q = policies(net, &hybrids, legal_only, &mut |_| {});
    q.chunks_exact(ROWS * background.len())
        .map(|per| {
            per.chunks_exact(ROWS)
                .map(|p| f64::from(p[tile]))
                .sum::<f64>()
                / background.len() as f64
        })
        .collect()
}
