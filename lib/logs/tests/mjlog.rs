//! mjlog XML on hand-written logs: the slot kinds, unknown tags skipped, and malformed
//! input (truncated, no rules, 4-player, bad meld codes) as errors naming file and place.

use meowlab_hand::Tile;
use meowlab_logs::mjlog::{read, read_bytes};
use meowlab_logs::{Discard, DrawKind, LogError, RoundResult, Take};

fn t(code: u8) -> Tile {
    Tile::from_tenhou_code(code).unwrap()
}

/// One round: seat 0 draws North (id 120) and sets it aside (Kita), draws its
/// replacement and throws it (tsumogiri); seat 1 pons seat 0's next discard, the haku
/// (id 124, called from the player before), then a nine-terminal draw. An unknown tag
/// and a reconnect sit in between.
fn sample(extra: &str) -> String {
    let hand = |from: u32| {
        (from..from + 13)
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join(",")
    };
    format!(
        "<mjloggm ver=\"2.3\"><GO type=\"185\" lobby=\"0\"/><UN n0=\"%41\" n1=\"b\" n2=\"c\" n3=\"\"/>\
         <TAIKYOKU oya=\"0\"/><INIT seed=\"0,0,0,1,2,20\" ten=\"350,350,350,0\" oya=\"0\" hai0=\"{}\" hai1=\"{}\" hai2=\"{}\" hai3=\"\"/>\
         <T120/><N who=\"0\" m=\"30752\"/><T121/><D121/><FOO bar=\"1\"/><U125/><E125/><V126/><F126/>\
         <T124/><D124/><BYE who=\"2\"/><N who=\"1\" m=\"{}\"/><E1/>{extra}\
         <RYUUKYOKU ba=\"0,0\" sc=\"350,0,350,0,350,0,0,0\" type=\"yao9\" owari=\"350,0.0,350,0.0,350,0.0,0,0\"/></mjloggm>",
        hand(0),
        hand(13),
        hand(26),
        // pon of kind 31 (haku), the called copy the first of the three, from seat 0
        // (relative 3: the player before seat 1), copy 3 unused
        ((31 * 3) << 9) | 0x08 | (3 << 5) | 3
    )
}

#[test]
fn slots_results_and_names_are_read() {
    let g = read(&sample(""), "sample.mjlog").unwrap();
    assert_eq!(g.source, "sample");
    assert_eq!(g.players[0], "A"); // %41, URL-decoded
    assert!(g.rules.hanchan && g.rules.red_fives);
    let r = &g.rounds[0];
    assert_eq!(r.takes[0][0], Take::Draw(t(44)));
    assert_eq!(
        r.discards[0][..2],
        [
            Discard::Kita,
            Discard::Tile {
                tile: t(44),
                tsumogiri: true
            }
        ]
    );
    assert_eq!(
        r.takes[1][1],
        Take::Pon {
            called: t(45),
            from: 0,
            tiles: [t(45); 3]
        }
    );
    assert_eq!(
        r.result,
        RoundResult::Draw {
            kind: DrawKind::NineTerminals,
            deltas: [0; 3]
        }
    );
    assert_eq!(g.final_scores, Some([35000; 3]));
    // gzip and plain read alike
    use std::io::Write;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(sample("").as_bytes()).unwrap();
    assert_eq!(
        read_bytes(&gz.finish().unwrap(), "sample.mjlog").unwrap(),
        g
    );
}

fn error(text: &str) -> String {
    let e = read(text, "bad.mjlog").unwrap_err().to_string();
    assert!(e.starts_with("bad.mjlog"), "{e}");
    e
}

#[test]
fn malformed_logs_are_errors_naming_the_place() {
    let good = sample("");
    let e = error(&good[..good.len() / 2]);
    assert!(e.contains("byte") || e.contains("truncated"), "{e}");
    let cut = good.split("<RYUUKYOKU").next().unwrap().to_string();
    assert!(error(&cut).contains("ends before the round's result"));
    assert!(error("<mjloggm></mjloggm>").contains("no <GO type>"));
    // a chi bit and a Kita of a tile that is not North
    let chi = good.replacen("m=\"30752\"", "m=\"30756\"", 1);
    assert!(error(&chi).contains("chi"));
    let not_north = good.replacen("m=\"30752\"", &format!("m=\"{}\"", (4u32 << 8) | 0x20), 1);
    assert!(error(&not_north).contains("not North"));
    let bad_tile = good.replacen("<T121/>", "<T999/>", 1);
    assert!(error(&bad_tile).contains("999"));
    // scores that do not add up
    let bad_sc = good.replacen(
        "350,0,350,0,350,0,0,0\" type",
        "350,10,350,0,350,0,0,0\" type",
        1,
    );
    assert!(error(&bad_sc).contains("do not add up"));
    let unquoted = good.replacen("who=\"1\"", "who=1", 1);
    assert!(error(&unquoted).contains("not quoted"));
}

#[test]
fn four_player_logs_are_refused() {
    let four = sample("").replacen("type=\"185\"", "type=\"169\"", 1);
    let e = read(&four, "4p.mjlog").unwrap_err();
    assert!(matches!(e, LogError::FourPlayer { .. }), "{e}");
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
    sample("")
}

fn read_any(text: &str) -> Result<(), LogError> {
    read(text, "fuzz.mjlog").map(|_| ())
}
