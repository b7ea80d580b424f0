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
use meowlab::explain::Conditioning;
use meowlab::learn::dataset;
use meowlab::learn::explain::{explain_discards, ExplainConfig, ExplainProgress};
use meowlab::learn::meowjong::{MeowjongNet, ModelKind};
use meowlab::learn::nn::Dev;
use meowlab::store::{browse, ExplanationLogger, Run, WriterOptions};

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
    if !args.run.join("decisions").is_dir() && args.run.join("steps").is_dir() {
        bail!(
            "{}: a control run; `meowlab explain` explains Sanma runs (logged by \
             `meowlab play --log`) so far — control agents are not supported yet",
            args.run.display()
        );
    }
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

    let first_id = browse::explanations(&args.run)
        .map(|l| {
            l.rows
                .iter()
                .map(|e| e.explanation_id + 1)
                .max()
                .unwrap_or(0)
        })
        .unwrap_or(0);
    let config = ExplainConfig {
        states: args.states,
        background: args.background,
        seed: args.seed,
        first_id,
    };
    let (model_bar, explain_bar) = (bar(0, "model", args.quiet), bar(0, "explain", args.quiet));
    let start = Instant::now();
    let mut model_seconds = 0.0;
    let explanations = explain_discards(&mut net, &samples, &config, &mut |p| match p {
        ExplainProgress::Model { done, total } => {
            model_bar.set_length(total as u64);
            model_bar.set_position(done as u64);
            model_seconds = start.elapsed().as_secs_f64();
        }
        ExplainProgress::Explained { done, total } => {
            model_bar.finish_and_clear();
            explain_bar.set_length(total as u64);
            explain_bar.set_position(done as u64);
        }
    })?;
    explain_bar.finish_and_clear();
    let explain_seconds = start.elapsed().as_secs_f64() - model_seconds;
    let explained = explanations.len();
    let names = explanations[0].players.clone();
    let mut mean_abs = vec![0.0f64; names.len()];
    let mut worst_gap = 0.0f64;
    for e in &explanations {
        worst_gap = worst_gap.max((e.values.iter().sum::<f64>() - (e.full - e.base)).abs());
        for (m, v) in mean_abs.iter_mut().zip(&e.values) {
            *m += v.abs() / explained as f64;
        }
    }
    let background = args
        .background
        .unwrap_or(usize::MAX)
        .max(args.states)
        .min(samples.labels.len());
    let mut log = ExplanationLogger::create(&run, WriterOptions::default())?;
    for e in explanations {
        log.record(e);
    }
    log.flush()?;

    println!(
        "explained {explained} discard decisions of {} against {} logged decisions \
         ({} players, exact, {}): model {model_seconds:.1} s, Shapley {explain_seconds:.1} s \
         ({:.1} ms per decision); efficiency holds to {worst_gap:.1e}",
        args.run.display(),
        background,
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
