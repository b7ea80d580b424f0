//! `meowlab review`: a model's view of every logged decision of a run (imported human
//! games included), written to the run's `review` table for the workbench.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Result};
use indicatif::{ProgressBar, ProgressStyle};
use meowlab::meowjong::review::review_run;
use meowlab::sanma::bots::AgentSpec;

/// Arguments of `meowlab review`.
#[derive(clap::Args)]
pub struct Args {
    /// The run folder (played or imported games).
    #[arg(long)]
    run: PathBuf,
    /// The reviewer: model:DIR, the five models `meowlab train-sl` wrote under DIR.
    #[arg(long)]
    agent: String,
    /// Review only this seat's decisions (0–2; seat 0 deals first).
    #[arg(long, value_parser = clap::value_parser!(u8).range(0..3))]
    seat: Option<u8>,
    /// Games reviewed in parallel (default: all cores).
    #[arg(long)]
    jobs: Option<usize>,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
}

/// Runs `meowlab review`.
pub fn run(args: Args) -> Result<ExitCode> {
    let models = match args.agent.parse::<AgentSpec>() {
        Ok(AgentSpec::Model { dir, .. }) => dir,
        Ok(other) => bail!(
            "--agent {}: a reviewer must be a model (model:DIR), not a bot",
            other.kind_name()
        ),
        Err(e) => bail!("--agent: {e}"),
    };
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let bar = if args.quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(0)
    };
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} games  {elapsed_precise} eta {eta}")
            .expect("template"),
    );
    let summary = review_run(&args.run, &models, args.seat, jobs, |done, total| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    })?;
    bar.finish_and_clear();
    for p in &summary.problems {
        eprintln!("warning: {p}");
    }
    println!(
        "{} games, {} decisions reviewed: the model prefers another action in {} ({:.1}%), gives the action taken {:.1}% on average -> {}",
        summary.games,
        summary.decisions,
        summary.disagreements,
        100.0 * summary.disagreements as f64 / summary.decisions.max(1) as f64,
        100.0 * summary.mean_p_action,
        args.run.join("review").display()
    );
    Ok(ExitCode::SUCCESS)
}
