//! `meowlab bench ...`: benchmarks that print figures (never timed assertions).

use std::hint::black_box;
use std::path::PathBuf;
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use meowlab::hand::sample::winning_cases;
use meowlab::hand::shanten::shanten;
use meowlab::hand::{evaluate, Counts};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// Benchmarks.
#[derive(clap::Subcommand)]
pub enum Bench {
    /// Shanten per 14-tile hand and full scoring per winning hand over a fixed random
    /// set; the same winning hands through python `mahjong` in the same run.
    Hand(HandArgs),
    /// Full hanchan with random-legal and heuristic agents: decisions/s and games/s on
    /// one core; riichienv-core on the same random workload when its bench binary exists.
    Engine(EngineArgs),
    /// Trajectory store: write and read 1M control steps and 100k Sanma decisions
    /// (rows/s, bytes/row), and the slowdown logging adds to self-play.
    Store(StoreArgs),
}

/// Arguments of `meowlab bench store`.
#[derive(clap::Args)]
pub struct StoreArgs {
    /// Control steps to write and read.
    #[arg(long, default_value_t = 1_000_000)]
    steps: u64,
    /// Heuristic self-play games for the Sanma part (~330 decisions each).
    #[arg(long, default_value_t = 300)]
    games: u64,
    /// Scratch folder (removed afterwards).
    #[arg(long)]
    dir: Option<PathBuf>,
}

/// Arguments of `meowlab bench engine`.
#[derive(clap::Args)]
pub struct EngineArgs {
    /// Games per workload.
    #[arg(long, default_value_t = 300)]
    games: u64,
    /// Seed of the first game.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// The riichienv-core bench binary (built from the `meowlab-tests` crate);
    /// default: `riichienv-bench` next to this executable; "none" skips it.
    #[arg(long)]
    riichienv: Option<PathBuf>,
}

/// Arguments of `meowlab bench hand`.
#[derive(clap::Args)]
pub struct HandArgs {
    /// Random 14-tile hands for shanten.
    #[arg(long, default_value_t = 100_000)]
    shanten_hands: usize,
    /// Random winning hands for scoring (also sent to python).
    #[arg(long, default_value_t = 5_000)]
    score_hands: usize,
    /// Seed of both sets.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Python with `mahjong>=2.1.0` installed; "none" skips the comparison (so does a
    /// python without the package, with a note).
    #[arg(long, env = "MEOWLAB_PYTHON", default_value = "python3")]
    python: String,
    /// The oracle script.
    #[arg(long, default_value = "tests/oracle/mahjong_oracle.py")]
    oracle: PathBuf,
}

pub fn run(bench: Bench) -> Result<ExitCode> {
    match bench {
        Bench::Hand(args) => hand(args),
        Bench::Engine(args) => engine(args),
        Bench::Store(args) => store(args),
    }
}

/// Repeats `pass` until at least `min` has elapsed; returns seconds per item.
fn time_per_item(items: usize, min: Duration, mut pass: impl FnMut() -> u64) -> f64 {
    let start = Instant::now();
    let mut passes = 0u64;
    let mut sink = 0u64;
    while start.elapsed() < min || passes == 0 {
        sink = sink.wrapping_add(pass());
        passes += 1;
    }
    black_box(sink);
    start.elapsed().as_secs_f64() / (passes as f64 * items as f64)
}

fn random_hands(n: usize, seed: u64) -> Vec<Counts> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut wall: Vec<usize> = (0..34)
        .filter(|k| !(1..=7).contains(k))
        .flat_map(|k| [k; 4])
        .collect();
    (0..n)
        .map(|_| {
            wall.shuffle(&mut rng);
            let mut c = [0u8; 34];
            wall[..14].iter().for_each(|&k| c[k] += 1);
            c
        })
        .collect()
}

fn hand(args: HandArgs) -> Result<ExitCode> {
    println!("meowlab bench hand (single thread, release build expected)");
    let hands = random_hands(args.shanten_hands, args.seed);
    let cold_start = Instant::now();
    let cold: u64 = hands.iter().map(|h| shanten(h) as u64).sum();
    let cold_ns = cold_start.elapsed().as_secs_f64() * 1e9 / hands.len() as f64;
    black_box(cold);
    let warm_ns = 1e9
        * time_per_item(hands.len(), Duration::from_secs(2), || {
            hands.iter().map(|h| shanten(black_box(h)) as u64).sum()
        });
    println!(
        "shanten   {:>8} random 14-tile hands: {warm_ns:8.1} ns/hand warm, {cold_ns:8.1} ns/hand on the first pass (tables filling)",
        hands.len()
    );

    let cases = winning_cases(args.score_hands, args.seed);
    let inputs: Vec<_> = cases
        .iter()
        .map(|c| c.to_hand())
        .collect::<Result<_, _>>()
        .map_err(anyhow::Error::msg)?;
    let ours_s = time_per_item(inputs.len(), Duration::from_secs(2), || {
        inputs
            .iter()
            .map(|(h, c, r)| evaluate(black_box(h), c, r).map_or(0, |w| w.han as u64))
            .sum()
    });
    println!(
        "scoring   {:>8} random winning hands: {:8.2} µs/hand (meowlab)",
        inputs.len(),
        ours_s * 1e6
    );

    if args.python == "none" {
        return Ok(ExitCode::SUCCESS);
    }
    let dir = std::env::temp_dir().join(format!("meowlab-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let file = dir.join("cases.json");
    std::fs::write(
        &file,
        serde_json::to_string(&serde_json::json!({ "cases": cases }))?,
    )?;
    let out = Command::new(&args.python)
        .arg(&args.oracle)
        .arg(&file)
        .arg("--bench")
        .output()
        .with_context(|| {
            format!(
                "cannot run {} (set --python or MEOWLAB_PYTHON, or --python none)",
                args.python
            )
        })?;
    let _ = std::fs::remove_dir_all(&dir);
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        if stderr.contains("No module named 'mahjong'") {
            println!(
                "python    skipped: {} has no `mahjong` package (pip install 'mahjong>=2.1.0', then pass --python)",
                args.python
            );
            return Ok(ExitCode::SUCCESS);
        }
        bail!("python oracle failed: {stderr}");
    }
    let line = stderr
        .lines()
        .rev()
        .find(|l| l.starts_with('{'))
        .context("python oracle printed no timing line")?;
    let timing: serde_json::Value = serde_json::from_str(line)?;
    let py_us = timing["us_per_hand"]
        .as_f64()
        .context("timing line lacks us_per_hand")?;
    println!(
        "scoring   {:>8} same hands:           {py_us:8.2} µs/hand (python mahjong)",
        inputs.len()
    );
    println!(
        "ratio     meowlab is {:.0}x faster than python mahjong per hand",
        py_us / (ours_s * 1e6)
    );
    Ok(ExitCode::SUCCESS)
}

/// Plays `games` full games with `seats`; returns (decisions, hands, seconds).
fn engine_workload(seats: &str, games: u64, seed: u64) -> Result<(u64, u64, f64)> {
    let mut agents = super::play::seat_agents(seats)?;
    let start = Instant::now();
    let (mut decisions, mut hands) = (0u64, 0u64);
    for i in 0..games {
        let seed = seed.wrapping_add(i);
        let game = meowlab::sanma::play_game(meowlab::sanma::Rules::default(), seed, &mut agents)
            .map_err(|e| anyhow::anyhow!("seed {seed}: {e}"))?;
        decisions += game.history().len() as u64;
        hands += game
            .events()
            .iter()
            .filter(|e| matches!(e, meowlab::sanma::Event::StartKyoku { .. }))
            .count() as u64;
    }
    Ok((decisions, hands, start.elapsed().as_secs_f64()))
}

fn engine(args: EngineArgs) -> Result<ExitCode> {
    println!(
        "meowlab bench engine: {} full hanchan per workload, Tenhou rules, one thread",
        args.games
    );
    let mut ours_random = 0.0;
    for seats in ["random,random,random", "heuristic,heuristic,heuristic"] {
        let (d, h, secs) = engine_workload(seats, args.games, args.seed)?;
        let per_sec = d as f64 / secs;
        if seats.starts_with("random") {
            ours_random = per_sec;
        }
        println!(
            "meowlab      {seats:<30} {:>9.0} decisions/s {:>8.1} games/s  ({d} decisions, {h} hands, {secs:.2}s)",
            per_sec,
            args.games as f64 / secs
        );
    }
    let bench = match &args.riichienv {
        Some(p) if p.as_os_str() == "none" => return Ok(ExitCode::SUCCESS),
        Some(p) => p.clone(),
        None => std::env::current_exe()?.with_file_name("riichienv-bench"),
    };
    if !bench.exists() {
        println!(
            "riichienv    skipped: {} not found (cargo build --release -p meowlab-tests --bin riichienv-bench)",
            bench.display()
        );
        return Ok(ExitCode::SUCCESS);
    }
    let out = Command::new(&bench)
        .args([
            "--games",
            &args.games.to_string(),
            "--seed",
            &args.seed.to_string(),
        ])
        .output()
        .with_context(|| format!("cannot run {}", bench.display()))?;
    if !out.status.success() {
        bail!(
            "{} failed: {}",
            bench.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout
        .lines()
        .rev()
        .find(|l| l.starts_with('{'))
        .context("riichienv-bench printed no JSON line")?;
    let r: serde_json::Value = serde_json::from_str(line)?;
    let theirs = r["decisions_per_sec"]
        .as_f64()
        .context("no decisions_per_sec")?;
    println!(
        "riichienv    {:<30} {:>9.0} decisions/s {:>8.1} games/s  ({} decisions, {:.2}s)",
        "random,random,random",
        theirs,
        r["games_per_sec"].as_f64().unwrap_or(0.0),
        r["decisions"],
        r["seconds"].as_f64().unwrap_or(0.0)
    );
    println!(
        "ratio        meowlab random play is {:.1}x riichienv-core's decisions per CPU-second",
        ours_random / theirs
    );
    Ok(ExitCode::SUCCESS)
}

fn dir_bytes(dir: &std::path::Path) -> u64 {
    let mut total = 0;
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            total += if p.is_dir() {
                dir_bytes(&p)
            } else {
                e.metadata().map_or(0, |m| m.len())
            };
        }
    }
    total
}

/// Heuristic self-play, optionally logged; returns (decisions, seconds).
fn selfplay(games: u64, mut log: Option<&mut meowlab::store::SanmaLogger>) -> Result<(u64, f64)> {
    use meowlab::store::AgentOutput;
    let mut agents = super::play::seat_agents("heuristic,heuristic,heuristic")?;
    let start = Instant::now();
    let mut decisions = 0;
    for seed in 0..games {
        let rules = meowlab::sanma::Rules::default();
        let game = meowlab::sanma::play_game_with(
            rules,
            seed,
            &mut agents,
            |game, seat, action| -> Result<()> {
                if let Some(l) = log.as_deref_mut() {
                    l.record_decision(game, seat, action, AgentOutput::default(), None);
                }
                Ok(())
            },
        )?;
        decisions += game.history().len() as u64;
        if let Some(l) = log.as_deref_mut() {
            l.finish_game(&game, seed)?;
        }
    }
    if let Some(l) = log {
        l.flush()?;
    }
    Ok((decisions, start.elapsed().as_secs_f64()))
}

fn store(args: StoreArgs) -> Result<ExitCode> {
    use meowlab::store::control::{Phase, Step};
    use meowlab::store::{ControlLogger, Run, SanmaLogger, TableReader, WriterOptions};
    let dir = args.dir.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("meowlab-bench-store-{}", std::process::id()))
    });
    let _ = std::fs::remove_dir_all(&dir);
    println!("meowlab bench store (zstd level 3, 64k-row row groups)");

    // control: 1M steps of a 4-float observation, 1 action, in 500-step episodes
    let run = Run::create(&dir, "control", "bench", 0, serde_json::Value::Null)?;
    let mut log = ControlLogger::create(&run, 4, 1, WriterOptions::default())?;
    let start = Instant::now();
    let mut obs = [0f32; 4];
    for i in 0..args.steps {
        let t = (i % 500) as u32;
        obs[0] = (i as f32 * 0.01).sin();
        obs[1] = t as f32;
        let step = Step {
            observation: &obs,
            action: &[(i % 2) as f32],
            reward: 1.0,
            terminated: t == 499,
            truncated: false,
            log_prob: Some(-0.69),
            value: None,
        };
        log.step(Phase::Train, i / 500, t, &step)?;
        if t == 499 {
            log.episode(Phase::Train, i / 500, i / 500, 500.0, 500, i + 1)?;
        }
    }
    log.close()?;
    let write = start.elapsed().as_secs_f64();
    let start = Instant::now();
    let reader = TableReader::open(&run.dir().join("steps"), None)?;
    let rows: usize = reader
        .batches(None, 64 * 1024)
        .map(|b| b.map(|b| b.num_rows()))
        .sum::<Result<usize, _>>()?;
    let read = start.elapsed().as_secs_f64();
    let bytes = dir_bytes(&run.dir().join("steps"));
    println!(
        "control steps   {rows:>9} rows: write {:>10.0} rows/s, read {:>10.0} rows/s, {:.1} bytes/row",
        args.steps as f64 / write,
        rows as f64 / read,
        bytes as f64 / rows as f64
    );

    // sanma: heuristic self-play with and without logging
    let (_, plain) = selfplay(args.games, None)?;
    let run = Run::create(&dir, "sanma", "bench", 0, serde_json::Value::Null)?;
    let mut logger = SanmaLogger::create(&run, WriterOptions::default())?;
    let (decisions, logged) = selfplay(args.games, Some(&mut logger))?;
    logger.close()?;
    let start = Instant::now();
    let reader = TableReader::open(&run.dir().join("decisions"), None)?;
    let rows: usize = reader
        .batches(None, 64 * 1024)
        .map(|b| b.map(|b| b.num_rows()))
        .sum::<Result<usize, _>>()?;
    let read = start.elapsed().as_secs_f64();
    let bytes = dir_bytes(&run.dir().join("decisions"));
    println!(
        "sanma decisions {rows:>9} rows: read {:>10.0} rows/s, {:.1} bytes/row (observation column empty until the encoder lands)",
        rows as f64 / read,
        bytes as f64 / rows as f64
    );
    println!(
        "self-play       {} games, {decisions} decisions: {plain:.2}s plain, {logged:.2}s logged -> logging adds {:.1}%",
        args.games,
        100.0 * (logged - plain) / plain
    );
    let _ = std::fs::remove_dir_all(&dir);
    Ok(ExitCode::SUCCESS)
}
