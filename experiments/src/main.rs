//! The `meowlab` command: a thin clap front-end over the library.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod commands;

/// meowlab: reinforcement learning on 3-player Riichi Mahjong (Sanma) and classic control.
#[derive(Parser)]
#[command(name = "meowlab", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The small end-to-end Sanma experiment: heuristic bots log games, the five Meowjong
    /// models learn from them, the model agent is evaluated against the heuristic bots in
    /// duplicate sets (under a minute after the build).
    Demo(commands::demo::Args),
    /// Bots play full Sanma games and report per-seat statistics (optionally mjai logs).
    Play(commands::play::Args),
    /// Judge a challenger against an opponent in duplicate sets (seat rotations on the
    /// same walls): statistics with 95% intervals, paired tests, optional SPRT.
    Eval(commands::eval::Args),
    /// Score winning hands from a cases file ({"cases": [...]}, riichienv agari schema);
    /// prints one JSON line per case.
    Score(commands::score::Args),
    /// Shanten of a hand in mpsz notation, with waits or the best discards.
    Shanten(commands::shanten::Args),
    /// Write seeded random winning sanma hands as a cases file (for cross-checks).
    SampleHands(commands::sample::Args),
    /// Train an experiment config (TOML) over its seeds: periodic evaluation, Parquet
    /// logging, checkpoints, resume after an interruption.
    Run(commands::run::Args),
    /// Train Meowjong models (discard, pon, kan, kita, riichi) on a logged run's decisions:
    /// per-epoch validation, early stopping, test accuracy next to the majority baseline.
    TrainSl(commands::train_sl::Args),
    /// The Meowjong training samples of a logged run: counts per split and class balance.
    Dataset(commands::train_sl::DatasetArgs),
    /// Real games from Tenhou (tenhou.net/6 JSON, mjlog) or mjai logs, replayed through the
    /// engine (every action legal, every score equal to the log's) and logged as a run.
    Import(commands::import::Args),
    /// Games of a run (played or imported) as tenhou.net/6 JSON for Tenhou's viewer, or as
    /// mjai JSON lines.
    Export(commands::export::Args),
    /// A model's view of every logged decision of a run (imported human games included):
    /// its probabilities, preferred action and the gap to the action taken, written to the
    /// run's `review` table for the workbench.
    Review(commands::review::Args),
    /// Shapley-value explanations of an agent's logged decisions (SVERL), written to the
    /// run's `explanations` table.
    Explain(commands::explain::Args),
    /// Figures for papers (SVG or PNG): learning curves, ranks, per-round outcomes, tile
    /// planes, policies, Shapley values.
    Plot(commands::plot::Args),
    /// Exact Shapley values of a set function given as a JSON table of its 2^n coalition
    /// values; prints them as a JSON array.
    Shapley(commands::shapley::Args),
    /// Benchmarks that print figures (never timed assertions).
    #[command(subcommand)]
    Bench(commands::bench::Bench),
}

fn main() -> ExitCode {
    meowlab::nn::keep_large_allocations();
    #[cfg(unix)]
    // SAFETY: setting a signal's disposition to the default at start-up, before any
    // thread exists, is sound.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Demo(args) => commands::demo::run(args),
        Command::Play(args) => commands::play::run(args),
        Command::Eval(args) => commands::eval::run(args),
        Command::Score(args) => commands::score::run(args),
        Command::Shanten(args) => commands::shanten::run(args),
        Command::SampleHands(args) => commands::sample::run(args),
        Command::Run(args) => commands::run::run(args),
        Command::TrainSl(args) => commands::train_sl::run(args),
        Command::Dataset(args) => commands::train_sl::dataset(args),
        Command::Import(args) => commands::import::run(args),
        Command::Export(args) => commands::export::run(args),
        Command::Review(args) => commands::review::run(args),
        Command::Explain(args) => commands::explain::run(args),
        Command::Plot(args) => commands::plot::run(args),
        Command::Shapley(args) => commands::shapley::run(args),
        Command::Bench(bench) => commands::bench::run(bench),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("meowlab: error: {}", error_chain(&err));
            ExitCode::FAILURE
        }
    }
}

/// The error and its causes, "outer: inner: …", leaving out a cause whose text the message
/// already shows (library errors print their source in their own message, e.g.
/// "{path}: {source}", and also return it as `source()`).
fn error_chain(err: &anyhow::Error) -> String {
    let mut message = String::new();
    for cause in err.chain() {
        let text = cause.to_string();
        if message.contains(&text) {
            continue;
        }
        if !message.is_empty() {
            message.push_str(": ");
        }
        message.push_str(&text);
    }
    message
}
