//! Lockstep differential test against riichienv-core 0.4.11: full hanchan of our engine
//! with our bots, riichienv following on the same walls; at every decision point the
//! deciding seats and their legal actions must agree, and after every hand the game end,
//! the score changes and the next kyoku (see `meowlab_tests::riichienv`).
//!
//! Every disagreement must be a documented difference (`KNOWN_DIFFERENCES`) that is
//! riichienv's (it follows Mahjong Soul where Tenhou differs) or unverified on Tenhou; an
//! unexplained one, or a known bug of ours (`Side::Meowlab`), fails the test with the
//! first such disagreement of each game in full.
//!
//! Sizes (games): `MEOWLAB_LOCKSTEP_RANDOM` (default 700), `MEOWLAB_LOCKSTEP_HEURISTIC`
//! (300) and `MEOWLAB_LOCKSTEP_CALLER` (200; the stress bot found our bugs within a
//! few dozen games). Seeds start at
//! `MEOWLAB_LOCKSTEP_SEED` (default 0; heuristic games add 1,000,000, caller games
//! 2,000,000). `MEOWLAB_LOCKSTEP_DUMP=/path/stem` writes every disagreement in full to
//! `stem.<bots>.txt`; `MEOWLAB_LOCKSTEP_COVERAGE=1` prints what the games exercised.
//! Run in release: the default 1,000 games take about 20 s on two cores.

use std::collections::BTreeMap;
use std::time::Instant;

use meowlab::hand::parse_tiles;
use meowlab::sanma::{Game, KyokuStart, Rules, Wall, WallSpec};
use meowlab_tests::riichienv::{run_game, run_scenario, Bots, GameReport, Side, KNOWN_DIFFERENCES};

fn env_u64(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(v) => v
            .trim()
            .parse()
            .unwrap_or_else(|e| panic!("{name}={v:?} is not a number: {e}")),
        Err(_) => default,
    }
}

/// Plays `games` seeds from `first` on two threads.
fn play(bots: Bots, first: u64, games: u64) -> Vec<GameReport> {
    let threads = 2;
    let mut reports: Vec<GameReport> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                scope.spawn(move || {
                    (first + t..first + games)
                        .step_by(threads as usize)
                        .map(|seed| run_game(seed, bots))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("a lockstep thread panicked"))
            .collect()
    });
    reports.sort_by_key(|r| r.seed);
    reports
}

fn check(bots: Bots, env: &str, default_games: u64, seed_offset: u64) {
    let games = env_u64(env, default_games);
    let first = env_u64("MEOWLAB_LOCKSTEP_SEED", 0) + seed_offset;
    let started = Instant::now();
    let reports = play(bots, first, games);
    let seconds = started.elapsed().as_secs_f64();

    let decisions: u64 = reports.iter().map(|r| r.decisions).sum();
    let kyokus: usize = reports.iter().map(|r| r.kyokus).sum();
    let compared: usize = reports.iter().map(|r| r.kyokus_compared).sum();
    let mut by_kind: BTreeMap<String, usize> = BTreeMap::new();
    for d in reports.iter().flat_map(|r| &r.disagreements) {
        let name = match d.known {
            Some(k) => format!("{} ({:?})", k.name, k.side),
            None => format!("UNKNOWN {}", d.mismatch.kind()),
        };
        *by_kind.entry(name).or_default() += 1;
    }
    eprintln!(
        "{bots} bots: {games} games (seeds {first}..{}), {kyokus} kyoku ({compared} compared to the end), {decisions} decisions in {seconds:.1} s",
        first + games
    );
    for (name, n) in &by_kind {
        eprintln!("  {n:6} × {name}");
    }
    if let Some(path) = std::env::var_os("MEOWLAB_LOCKSTEP_DUMP") {
        // every disagreement in full, for investigation
        let mut path = std::path::PathBuf::from(path);
        path.set_extension(format!("{bots}.txt"));
        let text: String = reports
            .iter()
            .flat_map(|r| &r.disagreements)
            .map(|d| format!("{d}\n"))
            .collect();
        std::fs::write(&path, text)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
        eprintln!("  every disagreement written to {}", path.display());
    }
    if std::env::var_os("MEOWLAB_LOCKSTEP_COVERAGE").is_some() {
        let mut coverage: BTreeMap<&str, u64> = BTreeMap::new();
        for (k, n) in reports.iter().flat_map(|r| &r.coverage) {
            *coverage.entry(k).or_default() += n;
        }
        for (k, n) in coverage {
            eprintln!("  coverage {n:8} {k}");
        }
    }

    let failures: Vec<String> = reports
        .iter()
        .filter_map(|r| {
            r.disagreements
                .iter()
                .find(|d| d.known.is_none_or(|k| k.side == Side::Meowlab))
        })
        .map(|d| d.to_string())
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {games} {bots} games disagree with riichienv beyond its documented deviations; first disagreement of each (up to 20):\n\n{}",
        failures.len(),
        failures
            .iter()
            .take(20)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn random_bots_agree_with_riichienv() {
    check(Bots::Random, "MEOWLAB_LOCKSTEP_RANDOM", 700, 0);
}

#[test]
fn heuristic_bots_agree_with_riichienv() {
    check(
        Bots::Heuristic,
        "MEOWLAB_LOCKSTEP_HEURISTIC",
        300,
        1_000_000,
    );
}

#[test]
fn caller_bots_agree_with_riichienv() {
    check(Bots::Caller, "MEOWLAB_LOCKSTEP_CALLER", 200, 2_000_000);
}

/// The games where each tolerated difference (riichienv's or unverified) was found still
/// show it, recognised by its classifier: guards the classifiers.
#[test]
fn tolerated_differences_are_still_recognised() {
    let mut failures = Vec::new();
    for k in KNOWN_DIFFERENCES.iter().filter(|k| k.side != Side::Meowlab) {
        for &(bots, seed) in k.seen {
            let report = run_game(seed, bots);
            let found = report
                .disagreements
                .iter()
                .any(|d| d.known.is_some_and(|known| known.name == k.name));
            if !found {
                failures.push(format!(
                    "{} no longer shows in seed {seed} ({bots} bots): if our engine or bots \
                     changed, find a new example; disagreements now: {:?}",
                    k.name,
                    report
                        .disagreements
                        .iter()
                        .map(|d| d.headline())
                        .collect::<Vec<_>>()
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Regression: the games where each bug of ours was found (`Side::Meowlab` in
/// `KNOWN_DIFFERENCES`, all fixed) must agree with riichienv.
#[test]
fn our_known_bugs_are_fixed() {
    let mut failures = Vec::new();
    for k in KNOWN_DIFFERENCES.iter().filter(|k| k.side == Side::Meowlab) {
        for &(bots, seed) in k.seen {
            let report = run_game(seed, bots);
            if let Some(d) = report
                .disagreements
                .iter()
                .find(|d| d.known.is_none_or(|k| k.side == Side::Meowlab))
            {
                failures.push(format!("{} (seed {seed}):\n{d}", k.name));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Scenario: seat 1 waits on 1p-4p (haku triplet for the yaku); the dealer kans its four
/// 4p (nobody can rob an ankan but kokushi) and discards 1p. Passing an ankan one cannot
/// ron is no furiten, so seat 1 may ron the 1p (riichienv offers it); both engines must
/// agree all the way to the win.
#[test]
fn an_ankan_nobody_can_rob_makes_no_furiten() {
    let t = |s: &str| parse_tiles(s).unwrap_or_else(|e| panic!("{s}: {e}"));
    let (dealer, waiting, other) = (
        t("44441p2368s1z2z6z7z"),
        t("23p567789s99m555z"),
        t("1m5689p1234s3377z"),
    );
    let wall = Wall::build(&WallSpec {
        hands: [&dealer, &waiting, &other],
        draws: &t("9p"),
        replacements: &t("7z"),
        red: true,
        ..WallSpec::default()
    })
    .expect("a valid scenario wall");
    let game = Game::with_wall(Rules::default(), 1, KyokuStart::default(), wall);
    let report = run_scenario(game, [&["ankan 4p", "discard 1p"], &["ron"], &[]]);
    assert_eq!(report.coverage.get("win ron"), Some(&1), "{report:?}");
    let found: Vec<String> = report.disagreements.iter().map(|d| d.to_string()).collect();
    assert!(found.is_empty(), "{}", found.join("\n"));
}
