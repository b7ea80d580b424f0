//! Shapley explanations of the Meowjong discard model (SVERL's policy characteristic):
//! the players are the 20 feature blocks of the tile planes, the explained number is the
//! model's probability of its own top tile at a decision, and coalitions are conditioned
//! on-manifold by exact matching over logged decisions (the agent's state distribution).
//! `meowlab explain` and the notebooks call [`explain_discards`].

use meowlab_explain::sanma::BlockIndex;
use meowlab_explain::{exact_from_table, Conditioning, ShapleyError};
use meowlab_sanma::planes::{self, Planes};
use meowlab_store::Explanation;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::dataset::Samples;
use crate::model::{MeowjongNet, COLS, ROWS};
use meowlab_explain::ExplainProgress;

/// Which decisions, against which logged states.
#[derive(Clone, Debug, PartialEq)]
pub struct ExplainConfig {
    /// Decisions to explain (a seeded sample of the samples).
    pub states: usize,
    /// Condition on at most this many logged decisions (the explained ones included);
    /// `None`: all.
    pub background: Option<usize>,
    /// Seed of both samples.
    pub seed: u64,
    /// Id of the first explanation (to append to a run's table).
    pub first_id: u64,
}

/// Explains the discard model's choice at a seeded sample of `samples` (e.g.
/// `dataset::extract(run, Discard)`): one [`Explanation`] per decision with the block
/// players' exact Shapley values (efficiency holds to rounding). It explains the
/// network: a model with a [`teacher_prior`](crate::ModelCard::teacher_prior) also leans
/// on the heuristic bot's choice, which no coalition of plane blocks switches off.
pub fn explain_discards(
    net: &mut MeowjongNet,
    samples: &Samples,
    config: &ExplainConfig,
    on_progress: &mut dyn FnMut(ExplainProgress),
) -> Result<Vec<Explanation>, ShapleyError> {
    let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
    let mut reference: Vec<usize> = (0..samples.labels.len()).collect();
    reference.shuffle(&mut rng);
    reference.truncate(config.background.unwrap_or(usize::MAX).max(config.states));
    let explained = config.states.min(reference.len());
    let planes: Vec<Planes> = reference
        .iter()
        .map(|&i| Planes::from_bytes(&samples.observations[i]))
        .collect::<Result<_, _>>()
        .map_err(|e| ShapleyError::Shape(format!("a logged observation: {}", e.reason)))?;

    // the model's probabilities at every reference state, in batches
    const BATCH: usize = 64;
    let mut probs: Vec<Vec<f32>> = Vec::with_capacity(planes.len());
    let mut dense = vec![0.0f32; BATCH * ROWS * COLS];
    for chunk in planes.chunks(BATCH) {
        for (p, out) in chunk.iter().zip(dense.chunks_mut(ROWS * COLS)) {
            p.write_f32(out);
        }
        let out = net.predict(&dense[..chunk.len() * ROWS * COLS], &mut rng);
        probs.extend(out.chunks(34).map(<[f32]>::to_vec));
        on_progress(ExplainProgress::Model {
            done: probs.len(),
            total: planes.len(),
        });
    }

    let index = BlockIndex::build(&planes);
    let names: Vec<String> = index.names.iter().map(|n| n.to_string()).collect();
    let mut out = Vec::with_capacity(explained);
    for x in 0..explained {
        let p = &probs[x];
        let top = (0..34).max_by(|&a, &b| p[a].total_cmp(&p[b])).unwrap_or(0);
        let outputs: Vec<f64> = probs.iter().map(|q| q[top] as f64).collect();
        let table = index.on_manifold_table(x, &outputs);
        let values = exact_from_table(&table)?;
        let i = reference[x];
        out.push(Explanation {
            explanation_id: config.first_id + x as u64,
            kind: "policy".into(),
            target: format!("p({})", planes::row_name(top)),
            conditioning: Conditioning::OnManifoldExact.name().into(),
            method: "exact".into(),
            game_id: Some(samples.games[i]),
            step: Some(samples.steps[i]),
            episode_id: None,
            players: names.clone(),
            values,
            stderr: None,
            base: table[0],
            full: table[table.len() - 1],
        });
        on_progress(ExplainProgress::Explained {
            done: x + 1,
            total: explained,
        });
    }
    Ok(out)
}
