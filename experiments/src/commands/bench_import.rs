//! `meowlab bench import`: how fast real logs become runs — files read, every game
//! replayed through the engine and checked, every decision's tile planes encoded, the
//! tables written — in rounds/s and decisions/s on one core and on all cores, and what
//! that means for a year of Houou sanma games (about 10⁶ rounds).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{bail, Result};
use meowlab::import::{import, log_files, ImportOptions};

/// Arguments of `meowlab bench import`.
#[derive(clap::Args)]
pub struct ImportArgs {
    /// Log files or folders to import (e.g. ../shared/fixtures/tenhou-sanma/mjlog).
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
    /// Scratch folder for the runs (removed afterwards).
    #[arg(long, default_value = "data/bench-import")]
    scratch: PathBuf,
}

/// Runs `meowlab bench import`.
pub fn run(args: ImportArgs) -> Result<ExitCode> {
    let files = log_files(&args.inputs)?;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut jobs = vec![1];
    if cores > 1 {
        jobs.push(cores);
    }
    println!("{} files, {} cores", files.len(), cores);
    println!(
        "{:>6} {:>8} {:>10} {:>10} {:>12} {:>14}",
        "jobs", "games", "rounds", "seconds", "rounds/s", "decisions/s"
    );
    for &j in &jobs {
        let _ = std::fs::remove_dir_all(&args.scratch);
        let options = ImportOptions {
            runs_dir: args.scratch.clone(),
            run_id: format!("jobs{j}"),
            jobs: j,
            anonymise: false,
            games_per_shard: 100,
            mjai_tonpuu: false,
        };
        let start = Instant::now();
        let s = import(&files, &options, |_, _| {})?;
        let secs = start.elapsed().as_secs_f64();
        if s.games_imported == 0 {
            bail!("no game imported ({} skipped)", s.games_skipped);
        }
        let rounds_per_s = s.rounds as f64 / secs;
        println!(
            "{j:>6} {:>8} {:>10} {secs:>10.2} {rounds_per_s:>12.0} {:>14.0}",
            s.games_imported,
            s.rounds,
            s.decisions as f64 / secs
        );
        if j == *jobs.last().unwrap_or(&1) {
            println!(
                "a year of Houou sanma games (10^6 rounds) at this rate: {:.1} minutes",
                1e6 / rounds_per_s / 60.0
            );
        }
    }
    let _ = std::fs::remove_dir_all(&args.scratch);
    Ok(ExitCode::SUCCESS)
}
