//! `meowlab shapley FILE.json`: exact Shapley values of a set function given as a table —
//! a small, stable interface for cross-checks (the oracle tests drive it).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};

/// Arguments of `meowlab shapley`.
#[derive(clap::Args)]
pub struct Args {
    /// `{"players": n, "values": [v(C) for C = 0 .. 2^n − 1]}` (bit i of C set = player i
    /// present); `-` reads standard input.
    file: PathBuf,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Table {
    players: usize,
    values: Vec<f64>,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let text = if args.file.as_os_str() == "-" {
        std::io::read_to_string(std::io::stdin()).context("cannot read standard input")?
    } else {
        std::fs::read_to_string(&args.file)
            .with_context(|| format!("cannot read {}", args.file.display()))?
    };
    let table: Table = serde_json::from_str(&text).with_context(|| {
        format!(
            "{}: expected {{\"players\": n, \"values\": [2^n numbers]}}",
            args.file.display()
        )
    })?;
    let expected = 1usize.checked_shl(table.players as u32).unwrap_or(0);
    if table.players == 0 || table.values.len() != expected {
        bail!(
            "{}: \"players\": {} needs 2^{} = {} values, \"values\" has {}",
            args.file.display(),
            table.players,
            table.players,
            expected,
            table.values.len()
        );
    }
    let phi = meowlab::explain::exact_from_table(&table.values)
        .with_context(|| args.file.display().to_string())?;
    // shortest round-trip formatting: the values survive JSON exactly
    println!(
        "{}",
        serde_json::to_string(&phi).context("values serialise")?
    );
    Ok(ExitCode::SUCCESS)
}
