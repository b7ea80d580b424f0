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
    /// Classic-control env steps/s (CartPole, Pendulum, MountainCarContinuous, Acrobot):
    /// one env and `VecEnv`s of 1 and 256; gymnasium's python loop and vector env on the
    /// same envs in the same run with `--python`.
    Control(ControlArgs),
    /// Meowjong CNN training samples/s and inference decisions/s (small and paper
    /// presets), and the same networks in PyTorch in the same run with `--python`.
    Sl(super::bench_sl::SlArgs),
    /// The arena: hanchan/s and decisions/s with three model seats at 1, 16, 64 and 256
    /// games in flight and with heuristic seats, against the one-at-a-time loop.
    Arena(super::bench_arena::ArenaArgs),
    /// Shapley values: exact time by player count, sampled error against evaluations,
    /// and the time to explain Sanma decisions (with --run and --agent).
    Explain(super::bench_explain::ExplainArgs),
    /// Importing real logs: rounds/s and decisions/s (replay, checks, tile planes, tables)
    /// on one core and on all cores.
    Import(super::bench_import::ImportArgs),
    /// A3C: shared-parameter updates/s and lost updates, Hogwild against locked, by thread
    /// count; then CartPole training steps/s, updates/s and policy lag, against A2C.
    A3c(super::bench_a3c::A3cArgs),
}

/// Arguments of `meowlab bench control`.
#[derive(clap::Args)]
pub struct ControlArgs {
    /// Env-steps per meowlab figure (single env, and each `VecEnv`).
    #[arg(long, default_value_t = 1_000_000)]
    steps: u64,
    /// Envs in the larger `VecEnv` (and in gymnasium's vector env).
    #[arg(long, default_value_t = 256)]
    num_envs: usize,
    /// Only these envs (gymnasium ids, comma-separated); default: all four.
    #[arg(long, value_delimiter = ',')]
    env: Vec<String>,
    /// Seed of the envs and of the fixed action sequence.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Runs of each figure, meowlab's and gymnasium's alike; the fastest is reported (a
    /// shared machine only ever slows a run down).
    #[arg(long, default_value_t = 3)]
    repeat: u32,
    /// Python with gymnasium 1.4 installed: also time gymnasium in the same run ("none" or
    /// leaving it out skips that).
    #[arg(long)]
    python: Option<String>,
    /// Steps of gymnasium's single-env python loop per env.
    #[arg(long, default_value_t = 20_000)]
    python_steps: u64,
    /// Env-steps of gymnasium's vector env per env (0 skips it): its native numpy vector
    /// env where registered (CartPole), else "sync".
    #[arg(long, default_value_t = 51_200)]
    python_vec_steps: u64,
    /// The gymnasium timing script.
    #[arg(long, default_value = "tests/oracle/gym_bench.py")]
    script: PathBuf,
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
        Bench::Control(args) => control(args),
        Bench::Sl(args) => super::bench_sl::run(args),
        Bench::Explain(args) => super::bench_explain::run(args),
        Bench::Arena(args) => super::bench_arena::run(args),
        Bench::Import(args) => super::bench_import::run(args),
        Bench::A3c(args) => super::bench_a3c::run(args),
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
            |game, seat, reply: &meowlab::sanma::Reply| -> Result<()> {
                if let Some(l) = log.as_deref_mut() {
                    l.record_decision(game, seat, reply.action, AgentOutput::default(), None);
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
            thread: None,
        };
        log.step(Phase::Train, i / 500, t, &step)?;
        if t == 499 {
            log.episode(Phase::Train, i / 500, i / 500, 500.0, 500, i + 1, None)?;
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
    let mut run = Run::create(&dir, "sanma", "bench", 0, serde_json::Value::Null)?;
    let mut logger = SanmaLogger::create(&mut run, WriterOptions::default())?;
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
        "sanma decisions {rows:>9} rows: read {:>10.0} rows/s, {:.1} bytes/row (observations: 1,556-byte packed tile planes)",
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

/// A fixed pseudo-random action sequence (ChaCha8), cycled through by the control bench so
/// that drawing actions costs nothing inside the timed loop.
enum ActionTable {
    Discrete(Vec<usize>),
    /// `dim` floats per action.
    Continuous(Vec<f32>, usize),
}

/// Actions in a table (a power of two, so that indices wrap with a mask).
const ACTION_TABLE: usize = 1 << 16;

impl ActionTable {
    /// `ACTION_TABLE + extra` actions uniform over `space` (in bounds for a box).
    fn new(space: &meowlab::control::ActionSpace, extra: usize, seed: u64) -> Self {
        use meowlab::control::ActionSpace;
        use rand::Rng;
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let n = ACTION_TABLE + extra;
        match space {
            ActionSpace::Discrete(k) => {
                ActionTable::Discrete((0..n).map(|_| rng.gen_range(0..*k)).collect())
            }
            ActionSpace::Box { low, high } => ActionTable::Continuous(
                (0..n)
                    .flat_map(|_| {
                        low.iter()
                            .zip(high)
                            .map(|(&l, &h)| rng.gen_range(l..=h))
                            .collect::<Vec<_>>()
                    })
                    .collect(),
                low.len(),
            ),
        }
    }

    /// Action `i` (wrapping).
    fn get(&self, i: usize) -> meowlab::control::Action<'_> {
        use meowlab::control::Action;
        let i = i & (ACTION_TABLE - 1);
        match self {
            ActionTable::Discrete(a) => Action::Discrete(a[i]),
            ActionTable::Continuous(a, k) => Action::Continuous(&a[i * k..(i + 1) * k]),
        }
    }
}

/// One env, reset when an episode ends; returns (steps/s, episodes finished).
fn control_single(id: &str, actions: &ActionTable, steps: u64, seed: u64) -> Result<(f64, u64)> {
    let mut env = meowlab::control::make(id)?;
    let mut obs = vec![0f32; env.spec().obs_dim];
    env.reset(Some(seed), &mut obs);
    let (mut total, mut episodes) = (0.0, 0u64);
    let start = Instant::now();
    for i in 0..steps as usize {
        let t = env.step(actions.get(i), &mut obs)?;
        total += t.reward;
        if t.done() {
            episodes += 1;
            env.reset(None, &mut obs);
        }
    }
    let secs = start.elapsed().as_secs_f64();
    black_box((total, &obs));
    Ok((steps as f64 / secs, episodes))
}

/// `VecEnv` of `n` envs (same-step autoreset); returns env-steps/s.
fn control_vec(
    id: &str,
    actions: &ActionTable,
    n: usize,
    env_steps: u64,
    seed: u64,
) -> Result<f64> {
    let mut venv = meowlab::control::VecEnv::new(id, n)?;
    venv.reset(seed);
    let calls = (env_steps as usize / n).max(1);
    let mut total = 0.0;
    let start = Instant::now();
    for c in 0..calls {
        let off = (c * n) & (ACTION_TABLE - 1);
        let step = match actions {
            ActionTable::Discrete(a) => venv.step_discrete(&a[off..off + n])?,
            ActionTable::Continuous(a, k) => venv.step_continuous(&a[off * k..(off + n) * k])?,
        };
        total += step.rewards[0];
    }
    let secs = start.elapsed().as_secs_f64();
    black_box(total);
    Ok((calls * n) as f64 / secs)
}

/// A rate with a unit prefix, e.g. `12.3M/s`.
fn per_sec(x: f64) -> String {
    if x >= 1e6 {
        format!("{:.2}M/s", x / 1e6)
    } else if x >= 1e3 {
        format!("{:.1}k/s", x / 1e3)
    } else {
        format!("{x:.0}/s")
    }
}

/// gymnasium's figures for one env, from `gym_bench.py`'s JSON line.
struct GymFigures {
    loop_per_sec: f64,
    /// (env-steps/s, mode, envs)
    vector: Option<(f64, String, u64)>,
}

/// Runs the gymnasium timing script on `ids`; `Ok(None)` when gymnasium is not installed.
fn gymnasium_figures(
    args: &ControlArgs,
    python: &str,
    ids: &[String],
) -> Result<Option<(String, Vec<GymFigures>)>> {
    let out = Command::new(python)
        .arg(&args.script)
        .args(ids)
        .args(["--steps", &args.python_steps.to_string()])
        .args(["--vec-steps", &args.python_vec_steps.to_string()])
        .args(["--num-envs", &args.num_envs.to_string()])
        .args(["--seed", &args.seed.to_string()])
        .args(["--repeat", &args.repeat.to_string()])
        .output()
        .with_context(|| format!("cannot run {python} (pass --python PY, or none)"))?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        if stderr.contains("No module named 'gymnasium'") {
            println!(
                "gymnasium skipped: {python} has no `gymnasium` package (pip install 'gymnasium==1.4.*')"
            );
            return Ok(None);
        }
        bail!("{} failed: {stderr}", args.script.display());
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(serde_json::from_str)
        .collect::<Result<_, _>>()
        .with_context(|| format!("{} printed a bad JSON line", args.script.display()))?;
    let mut version = String::from("?");
    let mut figures = Vec::new();
    for id in ids {
        let line = lines
            .iter()
            .find(|l| l["env_id"].as_str() == Some(id))
            .with_context(|| format!("{} printed no line for {id}", args.script.display()))?;
        if let Some(v) = line["gymnasium"].as_str() {
            version = v.to_string();
        }
        let loop_per_sec = line["steps_per_sec"]
            .as_f64()
            .with_context(|| format!("{id}: no steps_per_sec"))?;
        let v = &line["vector"];
        let vector = v["env_steps_per_sec"].as_f64().map(|x| {
            (
                x,
                v["mode"].as_str().unwrap_or("?").to_string(),
                v["num_envs"].as_u64().unwrap_or(0),
            )
        });
        figures.push(GymFigures {
            loop_per_sec,
            vector,
        });
    }
    Ok(Some((version, figures)))
}

fn control(args: ControlArgs) -> Result<ExitCode> {
    let ids: Vec<String> = if args.env.is_empty() {
        meowlab::control::ENV_IDS
            .iter()
            .map(|s| s.to_string())
            .collect()
    } else {
        args.env.clone()
    };
    if args.num_envs == 0 || args.steps == 0 || args.repeat == 0 {
        bail!("--steps, --num-envs and --repeat must be at least 1");
    }
    let n = args.num_envs;
    println!(
        "meowlab bench control: env-steps/s on one thread, {} env-steps per figure, best of {} runs, actions from a fixed ChaCha8 sequence (seed {}), reset/autoreset on done",
        args.steps, args.repeat, args.seed
    );
    println!(
        "{:<26} {:>14} {:>12} {:>12} {:>10}",
        "env",
        "single env",
        "VecEnv x1",
        format!("VecEnv x{n}"),
        "episodes"
    );
    let mut ours = Vec::new();
    for id in &ids {
        let spec = meowlab::control::spec(id)?;
        let actions = ActionTable::new(&spec.action_space, n, args.seed);
        let (mut single, mut episodes, mut vec1, mut vec_n) = (0f64, 0, 0f64, 0f64);
        for _ in 0..args.repeat {
            let (rate, eps) = control_single(id, &actions, args.steps, args.seed)?;
            (single, episodes) = (single.max(rate), eps);
            vec1 = vec1.max(control_vec(id, &actions, 1, args.steps, args.seed)?);
            vec_n = vec_n.max(control_vec(id, &actions, n, args.steps, args.seed)?);
        }
        println!(
            "{id:<26} {:>14} {:>12} {:>12} {episodes:>10}",
            per_sec(single),
            per_sec(vec1),
            per_sec(vec_n)
        );
        ours.push((single, vec_n));
    }

    let python = match args.python.as_deref() {
        None | Some("none") => return Ok(ExitCode::SUCCESS),
        Some(p) => p,
    };
    let Some((version, gym)) = gymnasium_figures(&args, python, &ids)? else {
        return Ok(ExitCode::SUCCESS);
    };
    println!(
        "gymnasium {version}: python loop over gymnasium.make(id) ({} steps), gymnasium.make_vec(id, num_envs={n}) ({} env-steps), best of {} runs",
        args.python_steps, args.python_vec_steps, args.repeat
    );
    println!(
        "{:<26} {:>14} {:>34}",
        "env",
        "python loop",
        format!("vector env x{n} (mode)")
    );
    for (id, g) in ids.iter().zip(&gym) {
        let vector = g.vector.as_ref().map_or("-".to_string(), |(x, mode, k)| {
            format!("{} ({mode}, {k})", per_sec(*x))
        });
        println!("{id:<26} {:>14} {vector:>34}", per_sec(g.loop_per_sec));
    }
    println!("ratios (target: meowlab single env >= 100x gymnasium's python loop)");
    for (id, (g, (single, vec_n))) in ids.iter().zip(gym.iter().zip(&ours)) {
        let r = single / g.loop_per_sec;
        let vector = g.vector.as_ref().map_or(String::new(), |(x, mode, _)| {
            format!(
                "; VecEnv x{n} {:.0}x gymnasium's {mode} vector env",
                vec_n / x
            )
        });
        println!(
            "{id:<26} single env {r:.0}x the python loop{}{vector}",
            if r >= 100.0 {
                ""
            } else {
                " (below the 100x target)"
            }
        );
    }
    Ok(ExitCode::SUCCESS)
}
