//! `meowlab explain`: Shapley-value explanations of an agent's decisions in a logged run,
//! written to the run's `explanations` table.
//!
//! Sanma runs: the players are the 20 feature blocks of the tile planes, or the own hand
//! per tile kind and the other blocks (`--players hand-kinds`); the explained number is
//! the discard model's probability of its top tile or of the logged discard
//! (`--quantity`); coalitions are conditioned on-manifold by a learned surrogate (trained
//! once per model and run, saved beside the model), on-manifold by exact matching over
//! the run's logged discard decisions, or interventionally; values are exact where that
//! is cheap, otherwise sampled to standard errors below a tenth of the largest |φ|.
//!
//! Control runs (`meowlab run`): the players are the observation features; the agent is
//! the run's checkpoint; value, policy, local or global performance (SVERL-P) at states
//! of the evaluation episodes played by that checkpoint, conditioned on-manifold on those
//! states (kernel) or interventionally.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use meowlab::algos::experiment::load_trained;
use meowlab::algos::explain::{
    explain_control, ControlExplainConfig, ControlKind, Filling, LoggedStates,
    DEFAULT_INTERVENTIONAL_BACKGROUND,
};
use meowlab::explain::sanma::PlayerSet;
use meowlab::explain::Conditioning;
use meowlab::explain::ExplainProgress;
use meowlab::explain::Sampling;
use meowlab::meowjong::dataset;
use meowlab::meowjong::explain::{
    explain_discards, run_name, surrogate_for, Estimator, ExplainConfig, Quantity, SurrogateSpec,
};
use meowlab::meowjong::model::{model_stem, MeowjongNet, ModelKind};
use meowlab::meowjong::surrogate::SurrogateConfig;
use meowlab::nn::nn::Dev;
use meowlab::store::explanations::next_explanation_id;
use meowlab::store::Explanation;
use meowlab::store::{ExplanationLogger, Run, RunKind, WriterOptions};

/// What is explained.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum Kind {
    /// The policy: the probability of the chosen action.
    Policy,
    /// A value estimate.
    Value,
    /// Local performance (SVERL-P): the return when the agent acts without the missing
    /// features at the explained state only.
    Performance,
    /// Global performance (SVERL-P): the return when the agent acts without the missing
    /// features in every state from the explained one on.
    PerformanceGlobal,
}

/// How the missing features are filled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum Fill {
    /// Conditioned on the present features over the agent's own states (SVERL): Sanma
    /// by a learned surrogate, control by a kernel over the logged states.
    OnManifold,
    /// Sanma: on-manifold by the learned surrogate (what on-manifold means for Sanma).
    Learned,
    /// Sanma: the logged decisions that agree exactly with the present features.
    ExactMatching,
    /// From background states, independently of the present features (KernelSHAP).
    Interventional,
}

/// Arguments of `meowlab explain`.
#[derive(clap::Args)]
pub struct Args {
    /// A Sanma run logged by `meowlab play --log` (its discard decisions are explained),
    /// or a control run of `meowlab run` (states of its evaluation episodes).
    #[arg(long)]
    run: PathBuf,
    /// Sanma: the discard model's folder (e.g. <run>/models/discard-small) or `model`
    /// stem. Control: a checkpoint folder of the run (default: its latest).
    #[arg(long)]
    agent: Option<PathBuf>,
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
    /// Seed of the samples (and of the rollouts).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// How missing features are filled.
    #[arg(long, value_enum, default_value = "on-manifold")]
    conditioning: Fill,
    /// Sanma: the players (`blocks`: the 20 feature blocks; `hand-kinds`: the own hand
    /// per tile kind and the other blocks).
    #[arg(long, default_value = "blocks")]
    players: PlayerSet,
    /// Sanma: the explained number, the probability of the model's top tile or of the
    /// logged discard.
    #[arg(long, default_value = "top")]
    quantity: Quantity,
    /// Sanma: exact values (2ⁿ coalitions), sampled ones, or exact only where cheap.
    #[arg(long, value_enum, default_value = "auto")]
    estimator: EstimatorArg,
    /// Sanma, sampled: stop once every standard error is below this share of the
    /// largest |φ| …
    #[arg(long, default_value_t = 0.1)]
    relative_stderr: f64,
    /// … or after this many antithetic pairs of orderings.
    #[arg(long, default_value_t = 512)]
    max_pairs: usize,
    /// Sanma, on-manifold: train the surrogate on at most this many logged decisions …
    #[arg(long, default_value_t = 30_000)]
    surrogate_states: usize,
    /// … for at most this many epochs (it stops earlier once held-out games stop
    /// improving).
    #[arg(long, default_value_t = SurrogateConfig::default().epochs)]
    surrogate_epochs: usize,
    /// Sanma: explain the network's raw softmax over all 34 tiles instead of the policy
    /// over the legal discards (for models trained without the legal mask).
    #[arg(long)]
    raw_policy: bool,
    /// Control, on-manifold: kernel bandwidth in standard deviations of each feature.
    #[arg(long, default_value_t = 0.2)]
    bandwidth: f64,
    /// Control, performance: rollouts per action (local) or per coalition (global).
    #[arg(long, default_value_t = 4)]
    rollouts: usize,
    /// No progress bars.
    #[arg(long, short)]
    quiet: bool,
}

/// How Sanma values are computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum EstimatorArg {
    /// Exact where cheap (exact matching), otherwise sampled.
    Auto,
    /// Every coalition (at most 24 players).
    Exact,
    /// Permutation sampling with standard errors.
    Sampled,
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
    if args.states == 0 {
        bail!("--states must be at least 1");
    }
    let run = Run::open(&args.run)
        .with_context(|| format!("cannot open the run {}", args.run.display()))?;
    let first_id = next_explanation_id(&args.run)?;
    let (explanations, summary) = match &run.meta().kind {
        RunKind::Control => explain_control_run(&args, first_id)?,
        RunKind::Play | RunKind::Import => explain_sanma_run(&args, first_id)?,
        other => bail!(
            "{}: a {other} run; explain reads Sanma play runs and control runs",
            args.run.display()
        ),
    };
    let explained = explanations.len();
    let names = explanations[0].players.clone();
    let mut mean_abs = vec![0.0f64; names.len()];
    let mut mean = vec![0.0f64; names.len()];
    let mut worst_gap = 0.0f64;
    for e in &explanations {
        worst_gap = worst_gap.max((e.values.iter().sum::<f64>() - (e.full - e.base)).abs());
        for ((m, a), v) in mean.iter_mut().zip(mean_abs.iter_mut()).zip(&e.values) {
            *a += v.abs() / explained as f64;
            *m += v / explained as f64;
        }
    }
    let mut log = ExplanationLogger::create(&run, WriterOptions::default())?;
    for e in explanations {
        log.record(e);
    }
    log.flush()?;

    println!("{summary}; efficiency holds to {worst_gap:.1e}");
    let mut order: Vec<usize> = (0..names.len()).collect();
    order.sort_by(|&a, &b| mean_abs[b].total_cmp(&mean_abs[a]));
    println!("mean |φ| and mean φ per player:");
    for &b in order.iter().take(10) {
        println!(
            "  {:<22} {:>10.4} {:>+10.4}",
            names[b], mean_abs[b], mean[b]
        );
    }
    println!("written to {}", args.run.join("explanations").display());
    Ok(ExitCode::SUCCESS)
}

/// Progress bars for the model pass and the explanations; returns the seconds the
/// model pass took once it is over.
struct Bars {
    model: ProgressBar,
    surrogate: ProgressBar,
    explain: ProgressBar,
    start: Instant,
    model_seconds: f64,
}

impl Bars {
    fn new(quiet: bool) -> Bars {
        Bars {
            model: bar(0, "model", quiet),
            surrogate: bar(0, "surrogate", quiet),
            explain: bar(0, "explain", quiet),
            start: Instant::now(),
            model_seconds: 0.0,
        }
    }

    fn update(&mut self, p: ExplainProgress) {
        match p {
            ExplainProgress::Model { done, total } => {
                self.model.set_length(total as u64);
                self.model.set_position(done as u64);
                self.model_seconds = self.start.elapsed().as_secs_f64();
            }
            ExplainProgress::Surrogate { done, total } => {
                self.model.finish_and_clear();
                self.surrogate.set_length(total as u64);
                self.surrogate.set_position(done as u64);
                self.model_seconds = self.start.elapsed().as_secs_f64();
            }
            ExplainProgress::Explained { done, total } => {
                self.model.finish_and_clear();
                self.surrogate.finish_and_clear();
                self.explain.set_length(total as u64);
                self.explain.set_position(done as u64);
            }
        }
    }

    /// (model seconds, explanation seconds).
    fn finish(self) -> (f64, f64) {
        self.explain.finish_and_clear();
        let total = self.start.elapsed().as_secs_f64();
        (self.model_seconds, total - self.model_seconds)
    }
}

fn explain_sanma_run(args: &Args, first_id: u64) -> Result<(Vec<Explanation>, String)> {
    if args.kind != Kind::Policy {
        bail!(
            "--kind {:?}: the Meowjong models are policies without a value output, so a \
             Sanma run is explained with --kind policy",
            args.kind
        );
    }
    let Some(agent) = &args.agent else {
        bail!("--agent: give the discard model's folder (e.g. <run>/models/discard-small)");
    };
    if !(args.relative_stderr.is_finite() && args.relative_stderr >= 0.0) || args.max_pairs < 2 {
        bail!("--relative-stderr must be ≥ 0 and --max-pairs at least 2");
    }
    let samples = dataset::extract(&args.run, ModelKind::Discard)
        .with_context(|| format!("cannot read the decisions of {}", args.run.display()))?;
    if samples.labels.is_empty() {
        bail!("{}: no discard decisions to explain", args.run.display());
    }
    let stem = model_stem(agent);
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
    let conditioning = match args.conditioning {
        Fill::OnManifold | Fill::Learned => Conditioning::OnManifoldLearned,
        Fill::ExactMatching => Conditioning::OnManifoldExact,
        Fill::Interventional => Conditioning::Interventional,
    };
    let sampling = Sampling {
        min_pairs: 8.min(args.max_pairs),
        max_pairs: args.max_pairs,
        batch_pairs: 8,
        relative_stderr: args.relative_stderr,
    };
    let config = ExplainConfig {
        states: args.states,
        background: args.background,
        seed: args.seed,
        first_id,
        players: args.players,
        conditioning,
        estimator: match args.estimator {
            EstimatorArg::Auto => Estimator::Auto,
            EstimatorArg::Exact => Estimator::Exact,
            EstimatorArg::Sampled => Estimator::Sampled(sampling),
        },
        quantity: args.quantity,
        legal_only: !args.raw_policy,
        interventional_background: args.background.unwrap_or(16),
    };
    let mut bars = Bars::new(args.quiet);
    let mut surrogate_note = String::new();
    let mut surrogate = if conditioning == Conditioning::OnManifoldLearned {
        let spec = SurrogateSpec {
            run: run_name(&args.run),
            legal_only: config.legal_only,
            config: SurrogateConfig {
                epochs: args.surrogate_epochs,
                ..SurrogateConfig::default()
            },
            max_states: args.surrogate_states,
        };
        let (surrogate, trained) =
            surrogate_for(&dev, &mut net, &stem, &samples, &spec, &mut |p| {
                bars.update(p)
            })?;
        let card = &surrogate.card;
        surrogate_note = format!(
            "; surrogate {} ({} states, {} epochs, held-out KL {:.3}, v(F) off the model by \
             {:.3}, v(∅) off the mean policy by {:.3} in total variation)",
            if trained { "trained" } else { "reused" },
            card.train_states,
            card.epochs,
            card.val_kl,
            card.full_gap,
            card.empty_gap
        );
        if card.full_gap > 0.2 || card.empty_gap > 0.2 {
            eprintln!(
                "warning: the surrogate is far from the model (v(F) off by {:.3}, v(∅) by \
                 {:.3}): the values explain the surrogate's game; more logged decisions \
                 (--surrogate-states) or epochs help",
                card.full_gap, card.empty_gap
            );
        }
        Some(surrogate)
    } else {
        None
    };
    let explanations =
        explain_discards(&mut net, &samples, &config, surrogate.as_mut(), &mut |p| {
            bars.update(p)
        })?;
    let (model_seconds, explain_seconds) = bars.finish();
    let e = &explanations[0];
    let summary = format!(
        "explained {} discard decisions of {} ({} players, {}, {}, \"{}\" of the first): \
         model and surrogate {model_seconds:.1} s, Shapley {explain_seconds:.1} s ({:.1} ms per \
         decision){surrogate_note}",
        explanations.len(),
        args.run.display(),
        e.players.len(),
        e.conditioning,
        e.method,
        e.target,
        1000.0 * explain_seconds / explanations.len() as f64
    );
    Ok((explanations, summary))
}

fn explain_control_run(args: &Args, first_id: u64) -> Result<(Vec<Explanation>, String)> {
    let mut trained = load_trained(&args.run, args.agent.as_deref())
        .with_context(|| format!("cannot load the agent of {}", args.run.display()))?;
    let spec = trained.config.env_spec()?;
    let logged = LoggedStates::evaluation(&args.run, spec.obs_dim, Some(trained.global_step))
        .with_context(|| {
            format!(
                "cannot read the states of {} (checkpoint {})",
                args.run.display(),
                trained.checkpoint.display()
            )
        })?;
    let kind = match args.kind {
        Kind::Value => ControlKind::Value,
        Kind::Policy => ControlKind::Policy,
        Kind::Performance => ControlKind::LocalPerformance,
        Kind::PerformanceGlobal => ControlKind::GlobalPerformance,
    };
    let filling = match args.conditioning {
        Fill::OnManifold => Filling::OnManifold {
            bandwidth: args.bandwidth,
        },
        Fill::Interventional => Filling::Interventional,
        Fill::ExactMatching | Fill::Learned => bail!(
            "--conditioning {:?}: that is for Sanma decisions; control states are \
             conditioned on-manifold (kernel) or interventionally",
            args.conditioning
        ),
    };
    let config = ControlExplainConfig {
        kind,
        filling,
        states: args.states,
        background: args.background,
        rollouts: args.rollouts,
        seed: args.seed,
        first_id,
    };
    let mut bars = Bars::new(args.quiet);
    let explanations = explain_control(
        trained.agent.as_mut(),
        spec.id,
        &logged,
        &config,
        &mut |p| bars.update(p),
    )?;
    let (model_seconds, explain_seconds) = bars.finish();
    let e = &explanations[0];
    let against = match filling {
        Filling::OnManifold { .. } => format!(
            "{} of its {} logged evaluation states",
            args.background
                .unwrap_or(usize::MAX)
                .max(args.states)
                .min(logged.len()),
            logged.len()
        ),
        Filling::Interventional => format!(
            "{} background states",
            args.background
                .unwrap_or(DEFAULT_INTERVENTIONAL_BACKGROUND)
                .min(logged.len())
        ),
    };
    let summary = format!(
        "explained {} states of {} ({}, step {}) against {against}: {} \
         \"{}\", {} players, {}, {}: model {model_seconds:.2} s, Shapley \
         {explain_seconds:.2} s ({:.2} ms per state)",
        explanations.len(),
        args.run.display(),
        trained.config.algorithm.name(),
        trained.global_step,
        e.kind,
        e.target,
        e.players.len(),
        e.method,
        e.conditioning,
        1000.0 * explain_seconds / explanations.len() as f64
    );
    Ok((explanations, summary))
}
