//! `meowlab play`: bots play full games; prints per-seat statistics.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use meowlab::meowjong::agent::{build_players, build_seats};
use meowlab::nn::Dev;
use meowlab::sanma::bots::parse_seats;
use meowlab::sanma::event::to_jsonl;
use meowlab::sanma::stats::{add_game, SeatStats};
use meowlab::sanma::{Agent, Arena, Game, Rules, Table};
use meowlab::store::session::play_games;
use meowlab::store::{PlaySession, SessionOptions};

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
    /// Games played at once in lockstep (model seats answer all their decisions in one
    /// batch). Results and logs are the same for any value.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    in_flight: u64,
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
        .with_context(|| format!("invalid rules file {}", path.display()))?;
    Ok(rules)
}

/// Builds the three agents from "a,b,c" (see `--seats`).
pub fn seat_agents(spec: &str) -> Result<Vec<Box<dyn Agent>>> {
    let specs = parse_seats(spec).context("--seats")?;
    Ok(build_seats(&specs, &Dev::default())?)
}

pub fn run(args: Args) -> Result<ExitCode> {
    let rules = load_rules(args.rules.as_deref())?;
    let seats = parse_seats(&args.seats).context("--seats")?;
    let mut players = build_players(&seats, &Dev::default())?;
    let names = players.names();
    if let Some(dir) = &args.mjai {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let mut session = if args.log {
        let config = serde_json::json!({
            "command": "play", "games": args.games, "seed": args.seed, "seats": args.seats, "rules": rules,
        });
        Some(PlaySession::open(&SessionOptions {
            runs_dir: args.runs_dir.clone(),
            run_id: args.run_id.clone(),
            seats,
            seed: args.seed,
            config,
            games_per_shard: args.games_per_shard,
        })?)
    } else {
        None
    };
    let bar = if args.quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(args.games)
    };
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} games  {elapsed_precise} eta {eta}")
            .expect("template"),
    );
    // games logged by the interrupted run we resume are not played again
    let tables: Vec<Table> = (0..args.games)
        .map(|i| args.seed.wrapping_add(i))
        .filter(|&seed| !session.as_ref().is_some_and(|s| s.is_logged(seed)))
        .map(|seed| Table {
            seed,
            players: players.seats,
        })
        .collect();
    bar.inc(args.games - tables.len() as u64);
    let mut stats: [SeatStats; 3] = Default::default();
    let mut decisions = 0u64;
    let mut mjai_error = None;
    let start = Instant::now();
    let mut on_game = |_: usize, game: &Game| {
        decisions += game.history().len() as u64;
        add_game(&mut stats, game);
        if let Some(dir) = &args.mjai {
            let path = dir.join(format!("game-{}.jsonl", game.seed()));
            if let Err(e) = std::fs::write(&path, to_jsonl(game.events())) {
                mjai_error.get_or_insert((path, e));
            }
        }
        bar.inc(1);
    };
    let arena = Arena::new(rules.clone(), args.in_flight as usize);
    let mut refs = players.batch_agents();
    match session.as_mut() {
        Some(session) => {
            session.play_games(&arena, &tables, &mut refs, args.check, &mut on_game)?
        }
        None => play_games(&arena, &tables, &mut refs, args.check, None, &mut on_game)?,
    }
    if let Some((path, e)) = mjai_error {
        return Err(e).with_context(|| format!("cannot write {}", path.display()));
    }
    bar.finish_and_clear();
    if let Some(session) = session {
        let run = session.finish()?;
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
            names[s],
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
