//! tenhou.net/6 JSON on hand-written games: every slot kind, riichi stakes and final
//! scores, and malformed input (each a clear error naming file and position).

use meowlab_hand::Tile;
use meowlab_logs::tenhou6::read;
use meowlab_logs::{Discard, DrawKind, LogError, RoundResult, Take, WinScore};
use serde_json::{json, Value};

fn t(code: u8) -> Tile {
    Tile::from_tenhou_code(code).unwrap()
}

const HAND: [u8; 13] = [11, 19, 21, 22, 23, 24, 25, 26, 27, 28, 29, 31, 32];

/// A round: header, start scores, the seats' (draws, discards), the result.
fn round(header: [i64; 3], scores: [i64; 3], seats: [(Value, Value); 3], result: Value) -> Value {
    let mut r = vec![
        json!(header),
        json!([scores[0], scores[1], scores[2], 0]),
        json!([24]),
        json!([]),
    ];
    for (draws, discards) in seats {
        r.extend([json!(HAND), draws, discards]);
    }
    r.extend([json!([]), json!([]), json!([])]);
    r.push(result);
    Value::Array(r)
}

fn game(rounds: Vec<Value>, sc: [i64; 3]) -> String {
    json!({
        "ref": "2026010100gm-00b9-0000-test",
        "name": ["a", "b", "c", ""],
        "rule": {"disp": "三鳳南喰赤", "aka53": 1, "aka52": 1, "aka51": 1},
        "sc": [sc[0], 0, sc[1], 0, sc[2], 0, 0, 0],
        "log": rounds,
    })
    .to_string()
}

/// Round 0 (East 1): seat 0 draws, sets Kita aside, declares riichi tsumogiri; seat 1
/// pons from seat 0 and makes an open kan from seat 2 (slot 0 after it); seat 2 closes a
/// kan and adds to a pon; seat 1 wins by tsumo. Round 1: a ron on a riichi declaration
/// (no stake), then round 2 an exhaustive draw with tenpai payments.
fn sample() -> String {
    let r0 = round(
        [0, 0, 0],
        [35000, 35000, 35000],
        [
            (json!([33, 44, 38, 41]), json!(["f44", "r60", 60])),
            (json!(["p474747", "383838m38", 12, 15]), json!([11, 0, 19])),
            (
                json!([41, 42, 43, "42p4242"]),
                json!(["414141a41", 29, 31, "k42424242"]),
            ),
        ],
        json!([
            "和了",
            [-2000, 5000, -2000, 0],
            [1, 1, 1, "満貫2000-4000点", "門前清自摸和(1飜)"]
        ]),
    );
    // seat 0 paid its riichi stake: 35000 - 2000 - 1000; seat 1 took the stake? No: the
    // stake stays on the table until a later win; Tenhou's deltas include deposits taken.
    let r1 = round(
        [0, 1, 1],
        [32000, 40000, 33000],
        [
            (json!([33]), json!(["r33"])),
            (json!([]), json!([])),
            (json!([]), json!([])),
        ],
        json!([
            "和了",
            [-8300, 0, 9300, 0],
            [2, 0, 2, "満貫8000点", "断幺九(1飜)"]
        ]),
    );
    let r2 = round(
        [1, 0, 0],
        [23700, 40000, 42300],
        [
            (json!([33]), json!(["r33"])),
            (json!([34]), json!([34])),
            (json!([35]), json!([35])),
        ],
        json!(["流局", [2000, -1000, -1000, 0]]),
    );
    // the last round: seat 0's stake stays on the table and goes to the top (seat 2)
    game(vec![r0, r1, r2], [24700, 39000, 42300])
}

#[test]
fn every_slot_kind_is_read() {
    let games = read(&sample(), "sample.json").unwrap();
    assert_eq!(games.len(), 1);
    let g = &games[0];
    assert_eq!(g.source, "2026010100gm-00b9-0000-test");
    assert_eq!(g.players, ["a", "b", "c"].map(String::from));
    assert!(g.rules.hanchan && g.rules.red_fives);
    let r = &g.rounds[0];
    assert_eq!(r.dealer(), 0);
    assert_eq!(
        r.discards[0],
        vec![
            Discard::Kita,
            Discard::Riichi {
                tile: t(44),
                tsumogiri: true
            },
            Discard::Tile {
                tile: t(38),
                tsumogiri: true
            },
        ]
    );
    // seat 1: pon of 7z from seat 0 (letter at 0: the player before), open kan of 8s from
    // seat 2 (letter at 6: the player after)
    assert_eq!(
        r.takes[1][0],
        Take::Pon {
            called: t(47),
            from: 0,
            tiles: [t(47); 3]
        }
    );
    assert_eq!(
        r.takes[1][1],
        Take::Daiminkan {
            called: t(38),
            from: 2,
            tiles: [t(38); 4]
        }
    );
    assert_eq!(r.discards[1][1], Discard::AfterKan);
    assert_eq!(r.discards[2][0], Discard::Ankan([t(41); 4]));
    // seat 2's pon of 6z came from seat 0 (letter at 2: across, 2 + 2 = 4 → seat 0)
    assert_eq!(
        r.takes[2][3],
        Take::Pon {
            called: t(42),
            from: 0,
            tiles: [t(42); 3]
        }
    );
    assert_eq!(
        r.discards[2][3],
        Discard::Kakan {
            added: t(42),
            from: 1
        }
    );
    match &r.result {
        RoundResult::Wins(w) => {
            assert_eq!(
                (w[0].winner, w[0].from, w[0].deltas),
                (1, 1, [-2000, 5000, -2000])
            );
            // a mangan: no fu stated; menzen tsumo is Tenhou's yaku 0
            assert_eq!(
                w[0].score,
                Some(WinScore {
                    fu: None,
                    yaku: vec![(0, 1)]
                })
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(r.riichi_stakes(), [1000, 0, 0]);
    // round 1: seat 0's riichi discard was won on, so no stake
    assert_eq!(g.rounds[1].riichi_stakes(), [0, 0, 0]);
    assert_eq!(
        g.rounds[2].result,
        RoundResult::Draw {
            kind: DrawKind::Exhaustive,
            deltas: [2000, -1000, -1000]
        }
    );
    assert_eq!(g.final_scores, Some([24700, 39000, 42300]));
}

fn error(text: &str) -> String {
    let e = read(text, "bad.json").unwrap_err();
    let s = e.to_string();
    assert!(s.starts_with("bad.json"), "{s}");
    s
}

#[test]
fn malformed_logs_are_errors_naming_the_position() {
    let good = sample();
    // scores that do not add up
    let bad = good.replacen("[32000,40000,33000,0]", "[32000,40000,34000,0]", 1);
    let e = error(&bad);
    assert!(
        e.contains("round 1's start") && e.contains("do not add up"),
        "{e}"
    );
    let bad = good.replacen("[24700,0,39000", "[25700,0,39000", 1);
    assert!(error(&bad).contains("final scores"));
    // a bad meld code
    let bad = good.replacen("\"p474747\"", "\"p479947\"", 1);
    let e = error(&bad);
    assert!(
        e.contains("round 0, seat 1, draw 0") && e.contains("99"),
        "{e}"
    );
    // chi
    let bad = good.replacen("\"p474747\"", "\"c474747\"", 1);
    assert!(error(&bad).contains("chi"));
    // an unknown result
    let bad = good.replacen("流局", "謎", 1);
    assert!(error(&bad).contains("unknown result"));
    // truncated JSON: the parser's line and column
    let e = error(&good[..good.len() / 2]);
    assert!(e.contains("line 1, column"), "{e}");
    // tsumogiri after a call has no drawn tile
    let bad = good.replacen("[11,0,19]", "[60,0,19]", 1);
    assert!(error(&bad).contains("tsumogiri"));
    // a hand of 12
    let bad = good.replacen(
        "[11,19,21,22,23,24,25,26,27,28,29,31,32]",
        "[11,19,21,22,23,24,25,26,27,28,29,31]",
        1,
    );
    assert!(error(&bad).contains("12 tiles"));
    // a yaku the table does not know, and one without its han
    let bad = good.replacen("断幺九(1飜)", "謎(1飜)", 1);
    let e = error(&bad);
    assert!(
        e.contains("round 1, result, win 0") && e.contains("unknown yaku"),
        "{e}"
    );
    let bad = good.replacen("断幺九(1飜)", "断幺九", 1);
    assert!(error(&bad).contains("NAME(N飜)"));
    // not a game
    assert!(error("42").contains("game object"));
    assert!(error("").contains("no game"));
}

#[test]
fn four_player_logs_are_refused() {
    let four = sample().replacen("\"三鳳南喰赤\"", "\"鳳南喰赤\"", 1);
    let e = read(&four, "4p.json").unwrap_err();
    assert!(matches!(e, LogError::FourPlayer { .. }), "{e}");
    assert!(e.to_string().contains("not a 3-player game"));
    let named = sample().replacen("\"c\",\"\"", "\"c\",\"d\"", 1);
    assert!(matches!(
        read(&named, "4p.json").unwrap_err(),
        LogError::FourPlayer { .. }
    ));
}

#[test]
fn arrays_and_json_lines_hold_several_games() {
    let one = sample();
    let array = format!("[{one},{one}]");
    assert_eq!(read(&array, "a.json").unwrap().len(), 2);
    let lines = format!("{one}\n{one}\n");
    assert_eq!(read(&lines, "a.jsonl").unwrap().len(), 2);
    let bad = format!("[{one},{}]", one.replacen("\"p474747\"", "\"p4747\"", 1));
    let e = read(&bad, "a.json").unwrap_err().to_string();
    assert!(e.contains("game 1, round 0, seat 1, draw 0"), "{e}");
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(3000))]
    /// Mutated logs (bytes cut, replaced or duplicated anywhere) give a value or an
    /// error, never a panic.
    #[test]
    fn mutated_logs_never_panic(at in 0usize..4000, len in 0usize..40, byte in 0u8..128, mode in 0u8..3) {
        let good = sample_text();
        let at = at % good.len();
        let end = (at + len).min(good.len());
        let mut bytes = good.into_bytes();
        match mode {
            0 => { bytes.drain(at..end); }
            1 => bytes[at..end].iter_mut().for_each(|b| *b = byte),
            _ => { let copy = bytes[at..end].to_vec(); bytes.splice(at..at, copy); }
        }
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let _ = read_any(&text);
    }
}

fn sample_text() -> String {
    sample()
}

fn read_any(text: &str) -> Result<(), LogError> {
    read(text, "fuzz.json").map(|_| ())
}
