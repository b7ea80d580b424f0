//! `meowlab demo`: the small end-to-end Sanma experiment of the README — heuristic bots
//! play and log games, the five Meowjong models learn from them, and the model agent is
//! evaluated against the heuristic bots in duplicate sets. Each stage is the `meowlab` command a user would
//! type (printed before it runs), so the demo doubles as a recipe.

use std::path::PathBuf;
use std::process::{Command, ExitCode};

use anyhow::{bail, Context, Result};

/// Arguments of `meowlab demo`.
#[derive(clap::Args)]
pub struct Args {
    /// Folder of runs.
    #[arg(long, default_value = "data/runs")]
    runs_dir: PathBuf,
    /// Teacher games to log.
    #[arg(long, default_value_t = 300)]
    games: u64,
    /// Training samples per epoch and model (2 epochs; about 20 s for the discard model
    /// on 2 cores).
    #[arg(long, default_value_t = 40_000)]
    samples: usize,
    /// Duplicate sets of the evaluation: the model agent alone against two heuristic bots,
    /// in each seat on the same walls (3 games per set).
    #[arg(long, default_value_t = 100)]
    eval_sets: u64,
    /// Seed of the games and the training.
    #[arg(long, default_value_t = 0)]
    seed: u64,
}

fn step(args: &[String]) -> Result<()> {
    println!("\n$ meowlab {}", args.join(" "));
    let exe = std::env::current_exe().context("cannot find the meowlab executable")?;
    let status = Command::new(exe)
        .args(args)
        .status()
        .context("cannot run meowlab")?;
    if !status.success() {
        bail!("`meowlab {}` failed", args.join(" "));
    }
    Ok(())
}

pub fn run(args: Args) -> Result<ExitCode> {
    let runs = args.runs_dir.display().to_string();
    let teacher = format!("demo-teacher-seed{}", args.seed);
    let models = args.runs_dir.join(&teacher).join("models");
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    let games = args.games.to_string();
    let seed = args.seed.to_string();
    let finished = meowlab::store::Run::open(&args.runs_dir.join(&teacher))
        .is_ok_and(|r| r.meta().status == meowlab::store::RunStatus::Complete);
    if finished {
        println!(
            "reusing the teacher games of {}",
            args.runs_dir.join(&teacher).display()
        );
    } else {
        step(&s(&[
            "play",
            "--games",
            &games,
            "--seed",
            &seed,
            "--seats",
            "heuristic,heuristic,heuristic",
            "--log",
            "--runs-dir",
            &runs,
            "--run-id",
            &teacher,
        ]))?;
    }
    let run_dir = args.runs_dir.join(&teacher).display().to_string();
    let samples = args.samples.to_string();
    step(&s(&[
        "train-sl",
        "--run",
        &run_dir,
        "--model",
        "all",
        "--epochs",
        "2",
        "--patience",
        "1",
        "--max-train-samples",
        &samples,
        "--max-val-samples",
        "1000",
        "--dropout",
        "0.1",
        "--seed",
        &seed,
    ]))?;
    let eval_sets = args.eval_sets.to_string();
    let eval_seed = (args.seed + 1_000_000).to_string();
    let challenger = format!("model:{}", models.display());
    // the models were just retrained, so their games are played afresh
    let eval_id = format!("demo-eval-seed{eval_seed}");
    let eval_run = args.runs_dir.join(&eval_id);
    if eval_run.exists() {
        std::fs::remove_dir_all(&eval_run)
            .with_context(|| format!("cannot replace {}", eval_run.display()))?;
    }
    step(&s(&[
        "eval",
        "--challenger",
        &challenger,
        "--opponent",
        "heuristic",
        "--sets",
        &eval_sets,
        "--seed",
        &eval_seed,
        "--log",
        "--runs-dir",
        &runs,
        "--run-id",
        &eval_id,
    ]))?;
    let eval_dir = eval_run.display().to_string();
    let figures = args.runs_dir.join("demo-figures");
    let fig = |name: &str| figures.join(name).display().to_string();
    step(&s(&[
        "plot",
        "eval",
        &eval_dir,
        "-o",
        &fig("ranks.png"),
        "--title",
        "Model agent vs two heuristic bots (duplicate sets)",
    ]))?;
    step(&s(&[
        "plot",
        "eval",
        &eval_dir,
        "--per-round",
        "-o",
        &fig("per-round.svg"),
    ]))?;
    println!(
        "\nDone: teacher games and models in {run_dir}, the model agent's evaluation in {eval_dir}, figures in {}.\n\
         The full recipe (2,000 games, more samples) and its results: experiments/RESULTS.md.",
        figures.display()
    );
    Ok(ExitCode::SUCCESS)
}
