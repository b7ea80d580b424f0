//! `meowlab bench ...`: benchmarks that print figures.

use std::process::ExitCode;

use anyhow::Result;

/// Benchmarks.
#[derive(clap::Subcommand)]
pub enum Bench {
    /// Shanten and full scoring per hand over a fixed random set.
    Hand,
}

pub fn run(_bench: Bench) -> Result<ExitCode> {
    Ok(ExitCode::SUCCESS)
}
