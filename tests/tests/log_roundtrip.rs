//! Our own games out and back in: a game exported as tenhou.net/6 JSON or mjai and
//! imported again replays to the same events (calls, kans, Kita, riichi, double ron,
//! draws, every score), under hanchan and tonpuu, with and without red fives. And the
//! tenhou.net/6 writer on real games: what it writes reads back to the same record, and
//! the win texts it makes from an mjlog game are Tenhou's own.

use meowlab::import::{game_log, replay};
use meowlab::logs::write::{tenhou6, win_text};
use meowlab::logs::{read_mjlog, read_tenhou6, RoundResult};
use meowlab::sanma::bots::{HeuristicAgent, RandomAgent};
use meowlab::sanma::event::to_jsonl;
use meowlab::sanma::{play_game, Agent, Event, GameLength, Rules};
use meowlab_tests::fixture;
use meowlab_tests::riichienv::CallerAgent;

/// The events after `start_game` (its seed and names are the log's, not the game's).
fn play_part(events: &[Event]) -> &[Event] {
    &events[1..]
}

fn agents(k: u64) -> Vec<Box<dyn Agent>> {
    (0..3u8)
        .map(|s| -> Box<dyn Agent> {
            match (k + u64::from(s)) % 3 {
                0 => Box::new(CallerAgent::new(s)),
                1 => Box::new(HeuristicAgent),
                _ => Box::new(RandomAgent::new(s)),
            }
        })
        .collect()
}

#[test]
fn played_games_round_trip_through_tenhou6_and_mjai() {
    let mut seen = std::collections::BTreeSet::new();
    for (k, (length, red)) in [
        (GameLength::Hanchan, true),
        (GameLength::Tonpuu, true),
        (GameLength::Hanchan, false),
    ]
    .into_iter()
    .enumerate()
    {
        let rules = Rules {
            length,
            red_fives: red,
            ..Rules::default()
        };
        for seed in 0..40u64 {
            let seed = 7_000 + 100 * k as u64 + seed;
            let game = play_game(rules.clone(), seed, &mut agents(seed)).unwrap();
            let events = game.events();
            for e in events {
                seen.insert(match e {
                    Event::Ryukyoku { reason, .. } => format!("ryukyoku {reason}"),
                    other => serde_json::to_value(other).unwrap()["type"]
                        .as_str()
                        .unwrap()
                        .to_string(),
                });
            }
            let source = format!("roundtrip-{seed}");
            // tenhou.net/6
            let log =
                game_log(events, &rules, &source).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
            let text = tenhou6(&log).to_string();
            let back = read_tenhou6_text(&text);
            // the same record, the win texts written from the scores apart
            let mut untexted = back.clone();
            for r in &mut untexted.rounds {
                if let RoundResult::Wins(w) = &mut r.result {
                    w.iter_mut().for_each(|w| w.text.clear());
                }
            }
            assert!(
                untexted == log,
                "seed {seed}: tenhou.net/6 does not read back to the same record"
            );
            let replayed =
                replay(&back, |_, _, _| {}).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
            assert_eq!(
                play_part(replayed.events()),
                play_part(events),
                "seed {seed} via tenhou.net/6"
            );
            assert_eq!(replayed.result(), game.result());
            // mjai
            let mut mjai = meowlab::logs::mjai::read(&to_jsonl(events), &source).unwrap();
            // mjai states no length (`meowlab import --mjai-tonpuu` says it)
            mjai.rules.hanchan = length == GameLength::Hanchan;
            // nor red fives: a fourth plain five shows there were none; without one the
            // game is read with red fives that never appear, which plays the same
            assert!(
                mjai.rules.red_fives || !red,
                "seed {seed}: a red game read as without red fives"
            );
            let replayed =
                replay(&mjai, |_, _, _| {}).unwrap_or_else(|e| panic!("seed {seed}: {e}"));
            assert_eq!(
                play_part(replayed.events()),
                play_part(events),
                "seed {seed} via mjai"
            );
        }
    }
    // the games covered every kind of event
    for kind in [
        "pon",
        "daiminkan",
        "kakan",
        "ankan",
        "nukidora",
        "reach",
        "hora",
        "dora",
        "ryukyoku exhaustive",
        "ryukyoku kyuushu",
    ] {
        assert!(
            seen.contains(kind),
            "no {kind} in the round-trip games: {seen:?}"
        );
    }
}

fn read_tenhou6_text(text: &str) -> meowlab::logs::GameLog {
    meowlab::logs::tenhou6::read(text, "export.json")
        .unwrap_or_else(|e| panic!("{e}"))
        .remove(0)
}

#[test]
fn one_hand_games_and_house_rules_are_not_written_for_tenhou() {
    let rules = Rules {
        length: GameLength::OneHand,
        ..Rules::default()
    };
    let game = play_game(rules.clone(), 1, &mut agents(1)).unwrap();
    assert!(game_log(game.events(), &rules, "x")
        .unwrap_err()
        .reason
        .contains("one-hand"));
    let rules = Rules {
        nagashi_mangan: false,
        ..Rules::default()
    };
    let game = play_game(rules.clone(), 1, &mut agents(1)).unwrap();
    assert!(game_log(game.events(), &rules, "x")
        .unwrap_err()
        .reason
        .contains("Tenhou"));
}

#[test]
fn real_games_write_back_as_tenhou_wrote_them() {
    let mut compared = 0;
    for entry in std::fs::read_dir(fixture("tenhou-sanma/tenhou6")).unwrap() {
        let json = entry.unwrap().path();
        let original = read_tenhou6(&json).unwrap().remove(0);
        // what we write reads back to the same record
        assert_eq!(
            read_tenhou6_text(&tenhou6(&original).to_string()),
            original,
            "{}",
            json.display()
        );
        // the texts made from the mjlog copy (yaku ids, no texts) are Tenhou's own
        let mjlog =
            fixture("tenhou-sanma/mjlog").join(json.with_extension("mjlog").file_name().unwrap());
        if !mjlog.exists() {
            continue;
        }
        let from_ids = read_mjlog(&mjlog).unwrap();
        for (r, (a, b)) in original.rounds.iter().zip(&from_ids.rounds).enumerate() {
            if let (RoundResult::Wins(a), RoundResult::Wins(b)) = (&a.result, &b.result) {
                for (x, y) in a.iter().zip(b) {
                    assert_eq!(
                        win_text(y, b_dealer(&from_ids, r)),
                        x.text,
                        "{} round {r}",
                        json.display()
                    );
                    compared += 1;
                }
            }
        }
    }
    assert!(compared > 1_000, "{compared} wins compared");
}

fn b_dealer(g: &meowlab::logs::GameLog, round: usize) -> usize {
    g.rounds[round].dealer()
}
