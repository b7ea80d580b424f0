//! riichienv-core 0.4.11's 3-player engine speed, for comparison with `meowlab bench`:
//! plays N full hanchan (game mode 5, `GameRule::default_tenhou()`) with uniformly random
//! legal actions and prints one JSON line.
//!
//! ```text
//! riichienv-bench [--games N] [--seed S] [--mjai-log]
//! ```
//!
//! A decision is one seat's choice (each responder counts once; riichi is two decisions
//! in riichienv: the declaration and its discard). Game `i` uses riichienv's wall seed
//! `S + i`; the action choices come from ChaCha8 seeded with `S`. riichienv keeps its
//! mjai log only with `--mjai-log` (its README example runs with logging off).

use std::collections::HashMap;
use std::process::ExitCode;
use std::time::Instant;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use riichienv_core::action::Phase;
use riichienv_core::rule::GameRule;
use riichienv_core::state_3p::legal_actions::GameState3PLegalActions;
use riichienv_core::state_3p::GameState3P;
use serde::Serialize;

/// riichienv's game mode for a 3-player hanchan ("3p-red-half").
const HANCHAN: u8 = 5;
/// A hanchan takes a few hundred decisions; this many means the engine is stuck.
const MAX_STEPS_PER_GAME: u64 = 100_000;

const USAGE: &str = "usage: riichienv-bench [--games N] [--seed S] [--mjai-log]";

/// The output line, fields in this order.
#[derive(Serialize)]
struct Line {
    engine: &'static str,
    games: u64,
    decisions: u64,
    seconds: f64,
    decisions_per_sec: u64,
    games_per_sec: f64,
}

struct Args {
    games: u64,
    seed: u64,
    mjai_log: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        games: 200,
        seed: 0,
        mjai_log: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut number = |name: &str| -> Result<u64, String> {
            let v = it
                .next()
                .ok_or_else(|| format!("{name} needs a value\n{USAGE}"))?;
            v.parse()
                .map_err(|e| format!("{name} {v:?} is not a non-negative integer: {e}\n{USAGE}"))
        };
        match flag.as_str() {
            "--games" => args.games = number("--games")?,
            "--seed" => args.seed = number("--seed")?,
            "--mjai-log" => args.mjai_log = true,
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    if args.games == 0 {
        return Err(format!("--games must be at least 1\n{USAGE}"));
    }
    Ok(args)
}

/// Plays one hanchan; returns the decisions taken.
fn play(wall_seed: u64, mjai_log: bool, rng: &mut ChaCha8Rng) -> Result<u64, String> {
    let mut s = GameState3P::new(
        HANCHAN,
        !mjai_log,
        Some(wall_seed),
        0,
        GameRule::default_tenhou(),
    );
    let mut decisions = 0;
    let mut actions = HashMap::with_capacity(3);
    for _ in 0..MAX_STEPS_PER_GAME {
        if s.is_done {
            return Ok(decisions);
        }
        actions.clear();
        let seats = match s.phase {
            Phase::WaitAct => vec![s.current_player],
            Phase::WaitResponse => s.active_players.clone(),
        };
        for seat in seats {
            let mut legal = s._get_legal_actions_internal(seat);
            if legal.is_empty() {
                return Err(format!(
                    "game {wall_seed}: seat {seat} must decide but has no legal action"
                ));
            }
            let pick = rng.gen_range(0..legal.len());
            actions.insert(seat, legal.swap_remove(pick));
            decisions += 1;
        }
        s.step(&actions);
        if let Some(e) = s.last_error.take() {
            return Err(format!(
                "game {wall_seed}: riichienv refused its own legal action: {e}"
            ));
        }
    }
    Err(format!(
        "game {wall_seed}: not over after {MAX_STEPS_PER_GAME} steps"
    ))
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let mut rng = ChaCha8Rng::seed_from_u64(args.seed);
    let started = Instant::now();
    let mut decisions = 0;
    for i in 0..args.games {
        match play(args.seed.wrapping_add(i), args.mjai_log, &mut rng) {
            Ok(d) => decisions += d,
            Err(e) => {
                eprintln!("riichienv-bench: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    let line = Line {
        engine: "riichienv-core 0.4.11",
        games: args.games,
        decisions,
        seconds: (seconds * 1000.0).round() / 1000.0,
        decisions_per_sec: (decisions as f64 / seconds).round() as u64,
        games_per_sec: (args.games as f64 / seconds * 100.0).round() / 100.0,
    };
    match serde_json::to_string(&line) {
        Ok(json) => {
            println!("{json}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("riichienv-bench: cannot write the result: {e}");
            ExitCode::FAILURE
        }
    }
}
