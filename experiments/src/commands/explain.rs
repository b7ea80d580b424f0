//! `meowlab explain`: Shapley-value explanations of an agent's decisions in a logged run,
//! written to the run's `explanations` table.
//!
//! Sanma runs: the players are the 20 feature blocks of the tile planes; the explained
//! number is the discard model's probability of its own top tile at each explained
//! decision; coalitions are conditioned on-manifold by exact matching over the run's
//! logged discard decisions (SVERL's policy characteristic); values are exact.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use meowlab::explain::sanma::BlockIndex;
use meowlab::explain::{exact_from_table, Conditioning};
use meowlab::learn::dataset;
use meowlab::learn::meowjong::{MeowjongNet, ModelKind, COLS, ROWS};
use meowlab::learn::nn::Dev;
use meowlab::sanma::planes::Planes;
use meowlab::store::{browse, Explanation, ExplanationLogger, Run, WriterOptions};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// What is explained.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum Kind {
    /// The policy: the probability of the chosen action.
    Policy,
    /// A value estimate.
    Value,
    /// Performance (SVERL-P): the return when the agent acts without the missing features.
    Performance,
}

/// Arguments of `meowlab explain`.
#[derive(clap::Args)]
pub struct Args {
    /// A run logged by `meowlab play --log` (its discard decisions are explained).
    #[arg(long)]
    run: PathBuf,
    /// The discard model: its folder (e.g. <run>/models/discard-small) or `model` stem.
    #[arg(long)]
    agent: PathBuf,
    /// What to explain.
    #[arg(long, value_enum, default_value = "policy")]
    kind: Kind,
    /// Decisions to explain (a seeded sample of the run's discard decisions).
    #[arg(long, default_value_t = 100)]
    states: usize,
    /// Condition on at most this many logged decisions (a seeded sample, the explained
    /// ones included); default: all of them.
    #[arg(long)]
    background: Option<usize>,
    /// Seed of the samples.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// No progress bars.
    #[arg(long, short)]
    quiet: bool,
}

fn bar(len: usize, what: &str, quiet: bool) -> ProgressBar {
    if quiet {
        return ProgressBar::hidden();
    }
    let b = ProgressBar::new(len as u64);
    b.set_style(
        ProgressStyle::with_template("{msg:>12} {bar:40} {pos}/{len} [{elapsed} < {eta}]")
            .expect("template parses"),
    );
    b.set_message(what.to_string());
    b
}

pub fn run(args: Args) -> Result<ExitCode> {
    if args.kind != Kind::Policy {
        bail!(
            "--kind {:?}: the Meowjong models are policies without a value output, so a \
             Sanma run is explained with --kind policy",
            args.kind
        );
    }
    if args.states == 0 {
        bail!("--states must be at least 1");
    }
    let run = Run::open(&args.run)
        .with_context(|| format!("cannot open the run {}", args.run.display()))?;
    let samples = dataset::extract(&args.run, ModelKind::Discard)
        .with_context(|| format!("cannot read the decisions of {}", args.run.display()))?;
    if samples.labels.is_empty() {
        bail!("{}: no discard decisions to explain", args.run.display());
    }
    let stem = if args.agent.is_dir() {
        args.agent.join("model")
    } else {
        args.agent.clone()
    };
    let dev = Dev::default();
    let mut net = MeowjongNet::load(&dev, &stem)
        .with_context(|| format!("cannot load the model {}", stem.display()))?;
    if net.card.kind != ModelKind::Discard {
        bail!(
            "{}: a {} model; explain needs the discard model",
            stem.display(),
            net.card.kind.name()
        );
    }

    // the reference set (the agent's logged state distribution) and the explained decisions
    let mut rng = ChaCha8Rng::seed_from_u64(args.seed);
    let mut reference: Vec<usize> = (0..samples.labels.len()).collect();
    reference.shuffle(&mut rng);
    reference.truncate(args.background.unwrap_or(usize::MAX).max(args.states));
    let explained = args.states.min(reference.len());
    let planes: Vec<Planes> = reference
        .iter()
        .map(|&i| Planes::from_bytes(&samples.observations[i]))
        .collect::<Result<_, _>>()
        .map_err(|e| {
            anyhow::anyhow!("{}: a logged observation: {}", args.run.display(), e.reason)
        })?;

    let start = Instant::now();
    let progress = bar(planes.len(), "model", args.quiet);
    let mut probs: Vec<Vec<f32>> = Vec::with_capacity(planes.len());
    let mut dense = vec![0.0f32; 64 * ROWS * COLS];
    for chunk in planes.chunks(64) {
        for (p, out) in chunk.iter().zip(dense.chunks_mut(ROWS * COLS)) {
            p.write_f32(out);
        }
        let out = net.predict(&dense[..chunk.len() * ROWS * COLS], &mut rng);
        probs.extend(out.chunks(34).map(<[f32]>::to_vec));
        progress.inc(chunk.len() as u64);
    }
    progress.finish_and_clear();
    let model_seconds = start.elapsed().as_secs_f64();

    let start = Instant::now();
    let index = BlockIndex::build(&planes);
    let names: Vec<String> = index.names.iter().map(|n| n.to_string()).collect();
    let first_id = browse::explanations(&args.run)
        .map(|l| {
            l.rows
                .iter()
                .map(|e| e.explanation_id + 1)
                .max()
                .unwrap_or(0)
        })
        .unwrap_or(0);
    let mut log = ExplanationLogger::create(&run, WriterOptions::default())?;
    let progress = bar(explained, "explain", args.quiet);
    let mut mean_abs = vec![0.0f64; names.len()];
    let mut worst_gap = 0.0f64;
    for x in 0..explained {
        let p = &probs[x];
        let top = (0..34).max_by(|&a, &b| p[a].total_cmp(&p[b])).unwrap_or(0);
        let outputs: Vec<f64> = probs.iter().map(|q| q[top] as f64).collect();
        let table = index.on_manifold_table(x, &outputs);
        let phi = exact_from_table(&table)?;
        let (base, full) = (table[0], table[table.len() - 1]);
        worst_gap = worst_gap.max((phi.iter().sum::<f64>() - (full - base)).abs());
        for (m, v) in mean_abs.iter_mut().zip(&phi) {
            *m += v.abs() / explained as f64;
        }
        let i = reference[x];
        log.record(Explanation {
            explanation_id: first_id + x as u64,
            kind: "policy".into(),
            target: format!("p({})", meowlab::sanma::planes::row_name(top)),
            conditioning: Conditioning::OnManifoldExact.name().into(),
            method: "exact".into(),
            game_id: Some(samples.games[i]),
            step: Some(samples.steps[i]),
            episode_id: None,
            players: names.clone(),
            values: phi,
            stderr: None,
            base,
            full,
        });
        progress.inc(1);
    }
    log.flush()?;
    progress.finish_and_clear();
    let explain_seconds = start.elapsed().as_secs_f64();

    println!(
        "explained {explained} discard decisions of {} against {} logged decisions \
         ({} players, exact, {}): model {model_seconds:.1} s, Shapley {explain_seconds:.1} s \
         ({:.1} ms per decision); efficiency holds to {worst_gap:.1e}",
        args.run.display(),
        planes.len(),
        names.len(),
        Conditioning::OnManifoldExact.name(),
        1000.0 * explain_seconds / explained as f64
    );
    let mut order: Vec<usize> = (0..names.len()).collect();
    order.sort_by(|&a, &b| mean_abs[b].total_cmp(&mean_abs[a]));
    println!("mean |φ| per block (probability points):");
    for &b in order.iter().take(10) {
        println!("  {:<20} {:.4}", names[b], mean_abs[b]);
    }
    println!("written to {}", args.run.join("explanations").display());
    Ok(ExitCode::SUCCESS)
}
