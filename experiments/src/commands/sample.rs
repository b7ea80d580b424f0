//! `meowlab sample-hands`: seeded random winning sanma hands as a cases file.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use meowlab::hand::sample::winning_cases;

/// Arguments of `meowlab sample-hands`.
#[derive(clap::Args)]
pub struct Args {
    /// Number of hands.
    #[arg(long, short, default_value_t = 1000)]
    n: usize,
    /// Seed (ChaCha8): the same seed writes the same file.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Output file (default: stdout).
    #[arg(long, short)]
    out: Option<PathBuf>,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let cases = winning_cases(args.n, args.seed);
    let json = serde_json::to_string(&serde_json::json!({ "cases": cases }))?;
    match &args.out {
        Some(path) => std::fs::write(path, json)
            .with_context(|| format!("cannot write {}", path.display()))?,
        None => writeln!(std::io::stdout(), "{json}")?,
    }
    Ok(ExitCode::SUCCESS)
}
