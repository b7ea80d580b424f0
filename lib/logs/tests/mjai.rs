//! mjai JSON lines on a hand-written game, and malformed input.

use meowlab_logs::mjai::read;
use meowlab_logs::{Discard, DrawKind, LogError, RoundResult, Take};

fn sample() -> String {
    let hand = r#"["1m","9m","1p","2p","3p","4p","5p","6p","7p","8p","9p","1s","2s"]"#;
    [
        r#"{"type":"start_game","names":["a","b","c"]}"#.to_string(),
        format!(r#"{{"type":"start_kyoku","bakaze":"E","kyoku":1,"honba":0,"kyotaku":0,"oya":0,"scores":[35000,35000,35000],"dora_marker":"9s","tehais":[{hand},{hand},{hand}]}}"#),
        r#"{"type":"tsumo","actor":0,"pai":"N"}"#.into(),
        r#"{"type":"nukidora","actor":0,"pai":"N"}"#.into(),
        r#"{"type":"tsumo","actor":0,"pai":"5pr"}"#.into(),
        r#"{"type":"reach","actor":0}"#.into(),
        r#"{"type":"dahai","actor":0,"pai":"5pr","tsumogiri":true}"#.into(),
        r#"{"type":"reach_accepted","actor":0}"#.into(),
        r#"{"type":"pon","actor":2,"target":0,"pai":"5pr","consumed":["5p","5p"]}"#.into(),
        r#"{"type":"dahai","actor":2,"pai":"1m","tsumogiri":false}"#.into(),
        r#"{"type":"ryukyoku","reason":"fanpai","tenpais":[true,false,false],"deltas":[2000,-1000,-1000]}"#.into(),
        r#"{"type":"end_kyoku"}"#.into(),
        r#"{"type":"end_game","scores":[37000,34000,34000]}"#.into(),
    ]
    .join("\n")
}

#[test]
fn a_game_reads_with_its_slots_and_scores() {
    let g = read(&sample(), "g.mjson").unwrap();
    assert_eq!(g.players, ["a", "b", "c"].map(String::from));
    let r = &g.rounds[0];
    assert_eq!(r.discards[0][0], Discard::Kita);
    assert!(matches!(
        r.discards[0][1],
        Discard::Riichi {
            tsumogiri: true,
            ..
        }
    ));
    assert!(matches!(r.takes[2][0], Take::Pon { from: 0, .. }));
    assert_eq!(
        r.result,
        RoundResult::Draw {
            kind: DrawKind::Exhaustive,
            deltas: [2000, -1000, -1000]
        }
    );
    // 35000 + 2000 − 1000 stake, and the stake left on the table goes to the top
    assert_eq!(g.final_scores, Some([37000, 34000, 34000]));
}

#[test]
fn malformed_logs_are_errors_naming_the_line() {
    let good = sample();
    let cut: String = good.lines().take(8).collect::<Vec<_>>().join("\n");
    let e = read(&cut, "g.mjson").unwrap_err().to_string();
    assert!(e.contains("ends inside a round"), "{e}");
    let unknown = good.replacen("\"pai\":\"N\"}", "\"pai\":\"?\"}", 1);
    let e = read(&unknown, "g.mjson").unwrap_err().to_string();
    assert!(e.contains("line 3") && e.contains("\"?\""), "{e}");
    let reason = good.replacen("fanpai", "mystery", 1);
    assert!(read(&reason, "g.mjson")
        .unwrap_err()
        .to_string()
        .contains("mystery"));
    let bad_json = good.replacen("{\"type\":\"end_kyoku\"}", "{\"type\":", 1);
    assert!(read(&bad_json, "g.mjson")
        .unwrap_err()
        .to_string()
        .contains("line 12"));
    let scores = good.replacen("[37000,34000,34000]", "[38000,34000,33000]", 1);
    assert!(read(&scores, "g.mjson")
        .unwrap_err()
        .to_string()
        .contains("do not add up"));
    let four = good.replacen("[\"a\",\"b\",\"c\"]", "[\"a\",\"b\",\"c\",\"d\"]", 1);
    assert!(matches!(
        read(&four, "g.mjson").unwrap_err(),
        LogError::FourPlayer { .. }
    ));
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(3000))]
    /// Mutated logs (bytes cut, replaced or duplicated anywhere; whole lines dropped or
    /// repeated) give a value or an error, never a panic.
    #[test]
    fn mutated_logs_never_panic(at in 0usize..4000, len in 0usize..40, byte in 0u8..128, mode in 0u8..5) {
        let good = sample();
        let at = at % good.len();
        let end = (at + len).min(good.len());
        let mut bytes = good.clone().into_bytes();
        match mode {
            0 => { bytes.drain(at..end); }
            1 => bytes[at..end].iter_mut().for_each(|b| *b = byte),
            2 => { let copy = bytes[at..end].to_vec(); bytes.splice(at..at, copy); }
            _ => {
                let mut lines: Vec<&str> = good.lines().collect();
                let i = at % lines.len();
                if mode == 3 { lines.remove(i); } else { lines.insert(i, lines[(i + len) % lines.len()]); }
                bytes = lines.join("\n").into_bytes();
            }
        }
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let _ = read(&text, "fuzz.mjson");
    }
}
