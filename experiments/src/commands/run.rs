//! `meowlab run CONFIG.toml`: trains an experiment config over its seeds, with progress
//! bars, periodic evaluation, Parquet logging, checkpoints and resume.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Mutex;

use anyhow::{Context, Result};
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use meowlab::algos::experiment::{run_seed, Algorithm, ExperimentConfig, Progress};
use meowlab::meowjong::selfplay::run::{self as selfplay_run, SelfPlayConfig};

/// Arguments of `meowlab run`.
#[derive(clap::Args)]
pub struct Args {
    /// The experiment config (TOML), e.g. experiments/cartpole-dqn.toml.
    config: PathBuf,
    /// Seeds to run, overriding the config's (e.g. 1,2,3).
    #[arg(long, value_delimiter = ',')]
    seeds: Option<Vec<u64>>,
    /// Folder of runs; each seed goes to <out>/<name>__seed<k>.
    #[arg(long, default_value = "data/runs")]
    out: PathBuf,
    /// Override the training budget (env steps), e.g. for a quick try.
    #[arg(long)]
    total_timesteps: Option<u64>,
    /// Override the evaluation interval (env steps).
    #[arg(long)]
    eval_every: Option<u64>,
    /// Override the budget of a self-play config (episodes: hands for REINFORCE, games for
    /// PPO).
    #[arg(long)]
    rounds: Option<usize>,
    /// Start a self-play config from these five SL models (a `train-sl` output folder or
    /// another run's `sl-init/`) instead of the config's.
    #[arg(long)]
    sl_models: Option<PathBuf>,
    /// Override the duplicate sets of a self-play config's evaluations.
    #[arg(long)]
    eval_sets: Option<usize>,
    /// A3C: apply the threads' updates in a fixed round-robin order, so that the same seed
    /// gives the same files (sets `a3c.deterministic`).
    #[arg(long)]
    deterministic: bool,
    /// A3C: override the number of actor-learner threads (the experiment's name gets
    /// `-threadsN`, so each count has its own runs and curves).
    #[arg(long)]
    threads: Option<usize>,
    /// Seeds trained at the same time (each on its own thread).
    #[arg(long, default_value_t = 1)]
    jobs: usize,
    /// No progress bars.
    #[arg(long, short)]
    quiet: bool,
}

/// Runs every seed and prints per-seed and aggregate results.
pub fn run(args: Args) -> Result<ExitCode> {
    let text = std::fs::read_to_string(&args.config)
        .with_context(|| format!("cannot read {}", args.config.display()))?;
    if SelfPlayConfig::is_selfplay(&text) {
        return selfplay(args);
    }
    let mut config = ExperimentConfig::load(&args.config)?;
    if let Some(seeds) = args.seeds {
        config.seeds = seeds;
    }
    if let Some(t) = args.total_timesteps {
        config.total_timesteps = t;
    }
    if let Some(e) = args.eval_every {
        config.eval.every = e;
    }
    if args.deterministic || args.threads.is_some() {
        let Algorithm::A3c(a3c) = &mut config.algorithm else {
            anyhow::bail!(
                "{}: --deterministic and --threads apply to A3C configs ([a3c]); this one is {}",
                args.config.display(),
                config.algorithm.name()
            );
        };
        a3c.deterministic |= args.deterministic;
        if let Some(t) = args.threads {
            // Another thread count is another experiment: its own run ids and curves.
            a3c.threads = t;
            config.name = format!("{}-threads{t}", config.name);
        }
    }
    config
        .validate()
        .map_err(|m| anyhow::anyhow!("{}: {m}", args.config.display()))?;
    let spec = config.env_spec()?;
    println!(
        "{}: {} with {} for {} steps, seeds {:?} → {}",
        config.name,
        config.env,
        config.algorithm.name(),
        config.total_timesteps,
        config.seeds,
        args.out.display()
    );
    if let Some(why) = config.algorithm.nondeterminism() {
        println!("note: {why}");
    }
    let multi = MultiProgress::new();
    if args.quiet {
        multi.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let style = ProgressStyle::with_template(
        "{prefix:>10} {bar:30} {pos:>8}/{len} steps  {elapsed_precise} eta {eta}  {msg}",
    )
    .expect("template");
    let results = for_each_seed(&config.seeds, args.jobs, |seed| {
        let bar = multi.add(ProgressBar::new(config.total_timesteps));
        bar.set_style(style.clone());
        bar.set_prefix(format!("seed {seed}"));
        let mut on_progress = |p: &Progress| {
            bar.set_position(p.global_step);
            if let Some((mean, std)) = p.last_eval {
                bar.set_message(format!("eval {mean:.1} ± {std:.1}"));
            }
        };
        let result = run_seed(&config, seed, &args.out, &mut on_progress)
            .with_context(|| format!("{} seed {seed}", config.name));
        bar.finish();
        result
    });
    let mut summaries = Vec::new();
    let mut failed = false;
    for (seed, result) in results {
        match result {
            Ok(s) => {
                let resumed = s
                    .resumed_from
                    .map(|g| format!(" (resumed at step {g})"))
                    .unwrap_or_default();
                let reached = spec
                    .reward_threshold
                    .and_then(|t| s.first_reaching(t).map(|(step, wall)| (t, step, wall)))
                    .map(|(t, step, wall)| {
                        format!("; first eval ≥ {t} at step {step}, {wall:.1} s")
                    })
                    .unwrap_or_default();
                println!(
                    "seed {seed}: final eval {:.2} ± {:.2} after {} steps in {:.1} s{reached}{resumed}  [{}]",
                    s.final_eval_mean,
                    s.final_eval_std,
                    s.global_step,
                    s.wall_time_s,
                    args.out.join(&s.run_id).display()
                );
                summaries.push(s);
            }
            Err(e) => {
                eprintln!("seed {seed}: error: {e:#}");
                failed = true;
            }
        }
    }
    if !summaries.is_empty() {
        let finals: Vec<f64> = summaries.iter().map(|s| s.final_eval_mean).collect();
        let n = finals.len() as f64;
        let mean = finals.iter().sum::<f64>() / n;
        let std = (finals.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n).sqrt();
        let wall = summaries.iter().map(|s| s.wall_time_s).sum::<f64>() / n;
        println!(
            "{}: final evaluation over {} seeds: {mean:.2} ± {std:.2} (mean ± std of seed means); mean wall time {wall:.1} s",
            config.name,
            summaries.len()
        );
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// `meowlab run` on a self-play config: its seeds, `--jobs` at a time, each with a
/// progress bar.
fn selfplay(args: Args) -> Result<ExitCode> {
    let mut config = SelfPlayConfig::load(&args.config)?;
    if let Some(seeds) = args.seeds {
        config.seeds = seeds;
    }
    if let Some(rounds) = args.rounds {
        config.rounds = rounds;
    }
    if let Some(dir) = &args.sl_models {
        config.sl_models = Some(dir.clone());
    }
    if let Some(sets) = args.eval_sets {
        config.eval.sets = sets;
    }
    config
        .validate()
        .map_err(|m| anyhow::anyhow!("{}: {m}", args.config.display()))?;
    let start = match &config.sl_models {
        Some(dir) => dir.display().to_string(),
        None => format!(
            "its own SL models ({} heuristic games, then train-sl)",
            config.teacher.games
        ),
    };
    println!(
        "{}: self-play {} for {} episodes from {start}, seeds {:?} → {}",
        config.name,
        config.algorithm(),
        config.rounds,
        config.seeds,
        args.out.display()
    );
    let multi = MultiProgress::new();
    if args.quiet {
        multi.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let style = ProgressStyle::with_template(
        "{prefix:>10} {bar:30} {pos:>8}/{len} episodes  {elapsed_precise} eta {eta}  {msg}",
    )
    .expect("template");
    let results = for_each_seed(&config.seeds, args.jobs, |seed| {
        let bar = multi.add(ProgressBar::new(config.rounds as u64));
        bar.set_style(style.clone());
        bar.set_prefix(format!("seed {seed}"));
        let result = selfplay_run::run_seed(&config, seed, &args.out, &mut |p| {
            bar.set_position(p.rounds as u64);
            bar.set_message(p.message.clone());
        })
        .with_context(|| format!("{} seed {seed}", config.name));
        bar.finish_and_clear();
        result
    });
    let mut failed = false;
    for (seed, result) in results {
        let summary = match result {
            Ok(summary) => summary,
            Err(e) => {
                eprintln!("seed {seed}: error: {e:#}");
                failed = true;
                continue;
            }
        };
        let resumed = summary
            .resumed_from
            .map(|r| format!(" (resumed at episode {r})"))
            .unwrap_or_default();
        println!(
            "seed {seed}: {} episodes, {} updates in {:.1} s ({:.1} episodes/s){resumed}; final models in {}",
            summary.rounds,
            summary.updates,
            summary.seconds,
            summary.rounds_per_second,
            args.out.join(&summary.run_id).join("final").display()
        );
    }
    if failed {
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs `work` for every seed, `jobs` seeds at a time (each on its own thread); the
/// results in seed order.
fn for_each_seed<T: Send>(
    seeds: &[u64],
    jobs: usize,
    work: impl Fn(u64) -> T + Sync,
) -> Vec<(u64, T)> {
    let queue = Mutex::new(seeds.iter().copied());
    let results = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..jobs.clamp(1, seeds.len().max(1)) {
            scope.spawn(|| loop {
                let Some(seed) = queue.lock().expect("queue").next() else {
                    break;
                };
                let result = work(seed);
                results.lock().expect("results").push((seed, result));
            });
        }
    });
    let mut results = results.into_inner().expect("results");
    results.sort_by_key(|(seed, _)| *seed);
    results
}
