//! `meowlab bench arena`: hanchan/s and decisions/s of the arena with three model seats
//! at several games in flight, and with heuristic seats, against the one-at-a-time loop
//! (a single-decision `ModelAgent` per seat, one forward pass per decision) in the same
//! run; peak memory per configuration.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use meowlab::meowjong::agent::{build_players, build_seats};
use meowlab::nn::Dev;
use meowlab::sanma::arena::Collect;
use meowlab::sanma::bots::AgentSpec;
use meowlab::sanma::{play_game, Arena, Rules, Table};
use serde_json::json;

/// Arguments of `meowlab bench arena`.
#[derive(clap::Args)]
pub struct ArenaArgs {
    /// The five models (`train-sl`'s output folder, e.g. data/runs/X/models).
    #[arg(long)]
    models: PathBuf,
    /// Hanchan per configuration.
    #[arg(long, default_value_t = 256)]
    games: u64,
    /// Hanchan of the one-at-a-time baseline (it is slow).
    #[arg(long, default_value_t = 32)]
    baseline_games: u64,
    /// Games in flight to measure, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "1,16,64,256")]
    in_flight: Vec<usize>,
    /// Seed of the first game.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// End with one JSON line of every figure.
    #[arg(long)]
    json: bool,
}

/// One configuration's figures.
struct Figures {
    hanchan_per_s: f64,
    decisions_per_s: f64,
    peak_rss_mb: Option<f64>,
}

/// Resets the kernel's peak-RSS counter of this process (Linux), so each configuration
/// reports its own peak.
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// Peak resident memory of this process since the last reset, in MiB (Linux).
fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn tables(games: u64, seed: u64, players: [usize; 3]) -> Vec<Table> {
    (0..games)
        .map(|i| Table {
            seed: seed.wrapping_add(i),
            players,
        })
        .collect()
}

fn arena(specs: &[AgentSpec; 3], args: &ArenaArgs, in_flight: usize) -> Result<Figures> {
    let mut players = build_players(specs, &Dev::default())?;
    let schedule = tables(args.games, args.seed, players.seats);
    reset_peak_rss();
    let start = Instant::now();
    let mut games = Collect::default();
    Arena::new(Rules::default(), in_flight).play(
        &schedule,
        &mut players.batch_agents(),
        &mut games,
    )?;
    let secs = start.elapsed().as_secs_f64();
    let decisions: usize = games.0.iter().map(|g| g.history().len()).sum();
    Ok(Figures {
        hanchan_per_s: games.0.len() as f64 / secs,
        decisions_per_s: decisions as f64 / secs,
        peak_rss_mb: peak_rss_mb(),
    })
}

/// The loop `play` ran before the arena: one game at a time, every decision its own
/// forward pass.
fn one_at_a_time(specs: &[AgentSpec; 3], args: &ArenaArgs) -> Result<Figures> {
    let mut agents = build_seats(specs, &Dev::default())?;
    reset_peak_rss();
    let start = Instant::now();
    let mut decisions = 0;
    for i in 0..args.baseline_games {
        let seed = args.seed.wrapping_add(i);
        decisions += play_game(Rules::default(), seed, &mut agents)?
            .history()
            .len();
    }
    let secs = start.elapsed().as_secs_f64();
    Ok(Figures {
        hanchan_per_s: args.baseline_games as f64 / secs,
        decisions_per_s: decisions as f64 / secs,
        peak_rss_mb: peak_rss_mb(),
    })
}

pub fn run(args: ArenaArgs) -> Result<ExitCode> {
    if args.games == 0 || args.baseline_games == 0 || args.in_flight.contains(&0) {
        bail!("--games, --baseline-games and every --in-flight must be positive");
    }
    let model: AgentSpec = format!("model:{}", args.models.display())
        .parse()
        .context("--models")?;
    let models = [model.clone(), model.clone(), model];
    let heuristic = [
        AgentSpec::Heuristic,
        AgentSpec::Heuristic,
        AgentSpec::Heuristic,
    ];
    println!(
        "meowlab bench arena: {} hanchan per configuration (baseline {}), Tenhou rules, {} cores",
        args.games,
        args.baseline_games,
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    let line = |seats: &str, in_flight: &str, f: &Figures| {
        println!(
            "{seats:<26} {in_flight:>14} {:>10.2} hanchan/s {:>10.0} decisions/s  peak {}",
            f.hanchan_per_s,
            f.decisions_per_s,
            f.peak_rss_mb
                .map_or("n/a".to_string(), |m| format!("{m:.0} MiB"))
        );
    };
    let baseline = one_at_a_time(&models, &args)?;
    line("model,model,model", "one at a time", &baseline);
    let mut configs = Vec::new();
    for &n in &args.in_flight {
        let f = arena(&models, &args, n)?;
        line("model,model,model", &format!("{n} in flight"), &f);
        configs.push(("model,model,model", n, f));
    }
    let n = args.in_flight.iter().copied().max().unwrap_or(64);
    let f = arena(&heuristic, &args, n)?;
    line(
        "heuristic,heuristic,heuristic",
        &format!("{n} in flight"),
        &f,
    );
    configs.push(("heuristic,heuristic,heuristic", n, f));
    if let Some((_, n, best)) = configs
        .iter()
        .filter(|c| c.0.starts_with("model"))
        .max_by(|a, b| a.2.hanchan_per_s.total_cmp(&b.2.hanchan_per_s))
    {
        println!(
            "ratio     {n} in flight is {:.1}x the one-at-a-time loop with three model seats ({:.0} hanchan/hour)",
            best.hanchan_per_s / baseline.hanchan_per_s,
            best.hanchan_per_s * 3600.0
        );
    }
    if args.json {
        let configs: Vec<_> = configs
            .iter()
            .map(|(seats, n, f)| {
                json!({
                    "seats": seats,
                    "in_flight": n,
                    "hanchan_per_s": f.hanchan_per_s,
                    "decisions_per_s": f.decisions_per_s,
                    "peak_rss_mb": f.peak_rss_mb,
                })
            })
            .collect();
        println!(
            "{}",
            json!({
                "configs": configs,
                "baseline_one_at_a_time": {
                    "hanchan_per_s": baseline.hanchan_per_s,
                    "decisions_per_s": baseline.decisions_per_s,
                },
            })
        );
    }
    Ok(ExitCode::SUCCESS)
}
