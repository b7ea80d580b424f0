//! `meowlab play`: bots play full games; prints per-seat statistics.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use meowlab::sanma::bots::agent_from_name;
use meowlab::sanma::event::to_jsonl;
use meowlab::sanma::stats::{add_game, SeatStats};
use meowlab::sanma::{play_game_with, Agent, Game, Rules};
use meowlab::store::sanma::games_schema;
use meowlab::store::{AgentOutput, Run, SanmaLogger, TableReader, WriterOptions};

/// Arguments of `meowlab play`.
#[derive(clap::Args)]
pub struct Args {
    /// Number of games.
    #[arg(long, short = 'n', default_value_t = 20)]
    games: u64,
    /// Seed of the first game; game i uses seed + i.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Agents of seats 0, 1, 2 (seat 0 deals first): random, tsumogiri, heuristic, or
    /// model:DIR / model-sample:DIR (the five Meowjong models `meowlab train-sl` wrote
    /// under DIR, e.g. data/runs/X/models; argmax or sampled discards).
    #[arg(long, default_value = "heuristic,heuristic,random")]
    seats: String,
    /// Rules file (TOML); missing fields take Tenhou defaults.
    #[arg(long)]
    rules: Option<PathBuf>,
    /// Write each game's mjai log as DIR/game-<seed>.jsonl.
    #[arg(long)]
    mjai: Option<PathBuf>,
    /// Log every game to a run (Parquet tables games/kyoku/decisions/events) under
    /// --runs-dir; an unfinished run of the same id is resumed.
    #[arg(long)]
    log: bool,
    /// Where runs are written.
    #[arg(long, default_value = "data/runs")]
    runs_dir: PathBuf,
    /// Run folder name (default: play-<seats>-seed<seed>).
    #[arg(long)]
    run_id: Option<String>,
    /// Complete the open shards every this many games (a crash loses at most these).
    #[arg(long, default_value_t = 100)]
    games_per_shard: usize,
    /// Check the engine's invariants at every decision (slower; for long offline runs).
    #[arg(long)]
    check: bool,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
}

/// Reads rules from TOML, naming the file in errors.
pub fn load_rules(path: Option<&Path>) -> Result<Rules> {
    let Some(path) = path else {
        return Ok(Rules::default());
    };
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read rules file {}", path.display()))?;
    let rules: Rules =
        toml::from_str(&text).with_context(|| format!("invalid rules file {}", path.display()))?;
    rules
        .validate()
        .map_err(anyhow::Error::msg)
        .with_context(|| format!("invalid rules file {}", path.display()))?;
    Ok(rules)
}

/// Builds the three agents from "a,b,c".
pub fn seat_agents(spec: &str) -> Result<Vec<Box<dyn Agent>>> {
    let names: Vec<&str> = spec.split(',').map(str::trim).collect();
    if names.len() != 3 {
        bail!("--seats needs three agents separated by commas, got {spec:?}");
    }
    names
        .iter()
        .enumerate()
        .map(|(s, n)| agent(n, s as u8))
        .collect()
}

/// One agent by name (see `--seats`).
fn agent(name: &str, seat: u8) -> Result<Box<dyn Agent>> {
    use meowlab::meowjong::agent::{DiscardChoice, ModelAgent};
    let model = |dir: &str, choice| -> Result<Box<dyn Agent>> {
        let dev = meowlab::nn::nn::Dev::default();
        let agent = ModelAgent::load(&dev, Path::new(dir), choice, seat)
            .with_context(|| format!("seat {seat}: loading the models of {name:?}"))?;
        Ok(Box::new(agent))
    };
    if let Some(dir) = name.strip_prefix("model:") {
        model(dir, DiscardChoice::Argmax)
    } else if let Some(dir) = name.strip_prefix("model-sample:") {
        model(dir, DiscardChoice::Sample)
    } else {
        agent_from_name(name, seat)
            .map_err(|e| anyhow::anyhow!("{e}, or model:DIR / model-sample:DIR for trained models"))
    }
}

fn play_checked(
    rules: &Rules,
    seed: u64,
    agents: &mut [Box<dyn Agent>],
    check: bool,
    mut log: Option<&mut SanmaLogger>,
) -> Result<(Game, u64)> {
    let game = play_game_with(
        rules.clone(),
        seed,
        agents,
        |game, seat, action, agent| -> Result<()> {
            if check {
                game.check_invariants()
                    .map_err(|e| anyhow::anyhow!("seed {seed}: invariant broken: {e}"))?;
            }
            if let Some(log) = log.as_deref_mut() {
                let output = AgentOutput {
                    policy: agent.last_policy(),
                    value: None,
                };
                log.record_decision(game, seat, action, output, None);
            }
            Ok(())
        },
    )
    .with_context(|| format!("seed {seed}"))?;
    let decisions = game.history().len() as u64;
    Ok((game, decisions))
}

pub fn run(args: Args) -> Result<ExitCode> {
    let rules = load_rules(args.rules.as_deref())?;
    let mut agents = seat_agents(&args.seats)?;
    if let Some(dir) = &args.mjai {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let mut run = None;
    let mut logger = None;
    let mut done: std::collections::BTreeSet<u64> = Default::default();
    if args.log {
        // Model seats are named by kind only (their folders are in the run's config).
        let seats: Vec<&str> = args
            .seats
            .split(',')
            .map(|n| n.trim().split(':').next().unwrap_or(n))
            .collect();
        let base = format!("play-{}-seed{}", seats.join("-"), args.seed);
        let mut run_id = args.run_id.clone().unwrap_or_else(|| base.clone());
        let mut n = 1;
        while let Ok(existing) = Run::open(&args.runs_dir.join(&run_id)) {
            if existing.meta().status != "complete" {
                done = logged_games(&existing)?; // resume an interrupted run
                break;
            }
            if args.run_id.is_some() {
                bail!(
                    "run {} is complete already; choose another --run-id or remove it",
                    existing.dir().display()
                );
            }
            n += 1;
            run_id = format!("{base}-{n}");
        }
        let config = serde_json::json!({
            "command": "play", "games": args.games, "seed": args.seed, "seats": args.seats, "rules": rules,
        });
        let r = Run::create(&args.runs_dir, &run_id, "play", args.seed, config)?;
        let mut l = SanmaLogger::create(&r, WriterOptions::default())?;
        l.games_per_shard = args.games_per_shard.max(1);
        logger = Some(l);
        run = Some(r);
    }
    let bar = if args.quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(args.games)
    };
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} games  {elapsed_precise} eta {eta}")
            .expect("template"),
    );
    let mut stats: [SeatStats; 3] = Default::default();
    let mut decisions = 0u64;
    let start = Instant::now();
    for i in 0..args.games {
        let seed = args.seed.wrapping_add(i);
        if done.contains(&seed) {
            bar.inc(1);
            continue; // logged by the interrupted run we resume
        }
        let (game, n) = play_checked(&rules, seed, &mut agents, args.check, logger.as_mut())?;
        if let Some(log) = logger.as_mut() {
            log.finish_game(&game, seed)?;
        }
        decisions += n;
        add_game(&mut stats, &game);
        if let Some(dir) = &args.mjai {
            let path = dir.join(format!("game-{seed}.jsonl"));
            std::fs::write(&path, to_jsonl(game.events()))
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    if let (Some(log), Some(run)) = (logger, run.as_mut()) {
        log.close()?;
        run.finish(true)?;
        println!("logged to {}", run.dir().display());
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{} games (seeds {}..{}), {} hands, {decisions} decisions in {secs:.2}s ({:.0} decisions/s)",
        args.games,
        args.seed,
        args.seed.wrapping_add(args.games),
        stats[0].kyoku,
        decisions as f64 / secs
    );
    println!(
        "{:<5} {:<10} {:>8} {:>6} {:>6} {:>6} {:>9} {:>6} {:>8} {:>7} {:>6} {:>6}",
        "seat",
        "agent",
        "avg rank",
        "1st",
        "2nd",
        "3rd",
        "avg score",
        "win",
        "deal-in",
        "riichi",
        "call",
        "draw"
    );
    for (s, st) in stats.iter().enumerate() {
        let pct = |n: u32| 100.0 * n as f64 / st.games.max(1) as f64;
        println!(
            "{:<5} {:<10} {:>8.3} {:>5.1}% {:>5.1}% {:>5.1}% {:>9.0} {:>5.1}% {:>7.1}% {:>6.1}% {:>5.1}% {:>5.1}%",
            s,
            agents[s].name(),
            st.average_rank(),
            pct(st.ranks[0]),
            pct(st.ranks[1]),
            pct(st.ranks[2]),
            st.score_sum as f64 / st.games.max(1) as f64,
            100.0 * st.rate(st.wins),
            100.0 * st.rate(st.deal_ins),
            100.0 * st.rate(st.riichi),
            100.0 * st.rate(st.calls),
            100.0 * st.rate(st.draws),
        );
    }
    println!("(win, deal-in, riichi, call and draw rates are per hand)");
    Ok(ExitCode::SUCCESS)
}

/// Game ids already in a run's `games` table (to resume it).
fn logged_games(run: &Run) -> Result<std::collections::BTreeSet<u64>> {
    let dir = run.dir().join("games");
    if !dir.exists() {
        return Ok(Default::default());
    }
    let reader = TableReader::open(&dir, Some(games_schema()))?;
    let mut ids = std::collections::BTreeSet::new();
    for batch in reader.read(Some(&["game_id"]))? {
        let col = batch
            .column(0)
            .as_any()
            .downcast_ref::<meowlab::store::arrow::UInt64Array>()
            .context("game_id is u64")?;
        ids.extend(col.iter().flatten());
    }
    Ok(ids)
}
