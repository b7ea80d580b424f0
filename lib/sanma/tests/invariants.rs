//! Invariant fuzzing: seeded games with random and heuristic agents, checked at every
//! decision point (108 tiles accounted for, points + deposits constant, hand sizes),
//! never stuck, and replaying identically from (seed, actions) and from the event log.

use meowlab_sanma::bots::{agent_from_name, HeuristicAgent, RandomAgent};
use meowlab_sanma::event::{from_jsonl, to_jsonl};
use meowlab_sanma::replay::replay_events;
use meowlab_sanma::{Agent, Game, Rules};

fn agents(names: [&str; 3]) -> Vec<Box<dyn Agent>> {
    names
        .iter()
        .enumerate()
        .map(|(s, n)| agent_from_name(n, s as u8).unwrap())
        .collect()
}

/// Plays `seed` to the end, checking invariants at every decision point.
fn checked_game(rules: Rules, seed: u64, agents: &mut [Box<dyn Agent>]) -> Game {
    for a in agents.iter_mut() {
        a.start_game(seed);
    }
    let mut game = Game::new(rules, seed);
    let mut steps = 0;
    while !game.is_over() {
        game.check_invariants()
            .unwrap_or_else(|e| panic!("seed {seed} step {steps}: {e}"));
        let deciding: Vec<u8> = game.deciding().collect();
        assert!(
            !deciding.is_empty(),
            "seed {seed}: stuck with nobody deciding"
        );
        for seat in deciding {
            let legal = game.legal_actions(seat);
            assert!(
                !legal.is_empty(),
                "seed {seed}: seat {seat} decides with no legal action"
            );
            let action = agents[seat as usize].act(&game.view(seat));
            game.act(seat, action)
                .unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        }
        steps += 1;
        assert!(steps < 20_000, "seed {seed}: no end after 20000 decisions");
    }
    game.check_invariants()
        .unwrap_or_else(|e| panic!("seed {seed} at the end: {e}"));
    game
}

#[test]
fn random_games_keep_every_invariant() {
    let n = std::env::var("MEOWLAB_FUZZ_GAMES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300u64);
    let mut agents = agents(["random", "random", "random"]);
    for seed in 0..n {
        let game = checked_game(Rules::default(), seed, &mut agents);
        let r = game.result().unwrap();
        assert_eq!(r.scores.iter().sum::<i32>(), 105_000, "seed {seed}");
    }
}

#[test]
fn heuristic_games_keep_every_invariant() {
    let n = std::env::var("MEOWLAB_FUZZ_HEURISTIC_GAMES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(60u64);
    let mut agents = agents(["heuristic", "heuristic", "random"]);
    for seed in 0..n {
        checked_game(Rules::default(), seed, &mut agents);
    }
}

#[test]
fn a_game_replays_from_seed_and_actions() {
    let mut agents: Vec<Box<dyn Agent>> = vec![
        Box::new(RandomAgent::new(0)),
        Box::new(HeuristicAgent),
        Box::new(RandomAgent::new(2)),
    ];
    for seed in 0..200 {
        let game = checked_game(Rules::default(), seed, &mut agents);
        let replayed = Game::replay(Rules::default(), seed, game.history()).unwrap();
        assert_eq!(replayed.events(), game.events(), "seed {seed}");
        // the JSONL log round-trips, and the game replays from the log alone
        let text = to_jsonl(game.events());
        let log = from_jsonl(&text).unwrap();
        assert_eq!(log, game.events(), "seed {seed}");
        let from_log =
            replay_events(Rules::default(), &log).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        assert_eq!(from_log.result(), game.result(), "seed {seed}");
    }
}

#[test]
fn same_seed_same_game() {
    let mut a = agents(["random", "heuristic", "tsumogiri"]);
    let g1 = checked_game(Rules::default(), 42, &mut a);
    let g2 = checked_game(Rules::default(), 42, &mut a);
    assert_eq!(g1.events(), g2.events());
}
