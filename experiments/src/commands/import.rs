//! `meowlab import`: real game logs (tenhou.net/6 JSON, mjlog, mjai) replayed through the
//! engine and logged as a run; games that do not validate are reported and skipped.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use meowlab::import::{import, log_files, ImportOptions};

/// Arguments of `meowlab import`.
#[derive(clap::Args)]
pub struct Args {
    /// Log files or folders (searched recursively): tenhou.net/6 `.json` (one game, an
    /// array, or JSON lines `.jsonl`), mjlog `.mjlog`/`.xml`/`.gz` (gzip or plain), mjai
    /// `.mjson`/`.jsonl`.
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
    /// Where runs are written.
    #[arg(long, default_value = "data/runs")]
    runs_dir: PathBuf,
    /// The run to write; an interrupted import of the same id resumes, and importing into
    /// a finished one adds only the games it does not hold yet.
    #[arg(long)]
    run_id: String,
    /// Games replayed in parallel (default: all cores).
    #[arg(long)]
    jobs: Option<usize>,
    /// Replace player names by stable pseudonyms.
    #[arg(long)]
    anonymise: bool,
    /// mjai logs state no game length: read them as East-only (tonpuu) games instead of
    /// hanchan. Tenhou's formats say it in their header.
    #[arg(long)]
    mjai_tonpuu: bool,
    /// Write the summary (games imported and skipped, rounds, decisions, why each skipped
    /// game failed) as JSON to this file.
    #[arg(long)]
    summary_json: Option<PathBuf>,
    /// Complete the open shards every this many games (a crash loses at most these).
    #[arg(long, default_value_t = 100)]
    games_per_shard: usize,
    /// Exit with an error when any game is skipped.
    #[arg(long)]
    strict: bool,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
}

/// Runs `meowlab import`.
pub fn run(args: Args) -> Result<ExitCode> {
    let files = log_files(&args.inputs)?;
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let options = ImportOptions {
        runs_dir: args.runs_dir.clone(),
        run_id: args.run_id.clone(),
        jobs,
        anonymise: args.anonymise,
        games_per_shard: args.games_per_shard,
        mjai_tonpuu: args.mjai_tonpuu,
    };
    let bar = if args.quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(0)
    };
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} files  {elapsed_precise} eta {eta}")
            .expect("template"),
    );
    let started = Instant::now();
    let summary = import(&files, &options, |done, total| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    })?;
    bar.finish_and_clear();
    let secs = started.elapsed().as_secs_f64();
    for s in &summary.skipped {
        let at = match (&s.round, &s.turn) {
            (Some(r), Some(t)) => format!("{r}, {t}: "),
            _ => String::new(),
        };
        eprintln!("skipped {}: {at}{}", s.file, s.reason);
    }
    println!(
        "{} files: {} games imported ({} rounds, {} decisions) in {secs:.1} s, {} skipped, {} already in the run -> {}",
        files.len(),
        summary.games_imported,
        summary.rounds,
        summary.decisions,
        summary.games_skipped,
        summary.games_resumed,
        args.runs_dir.join(&args.run_id).display()
    );
    if let Some(path) = &args.summary_json {
        let text = serde_json::to_string_pretty(&summary).expect("the summary serialises");
        std::fs::write(path, text + "\n")
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(if args.strict && summary.games_skipped > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
