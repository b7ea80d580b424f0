//! The Meowjong tile planes on hand-built positions (exact cells) and over random games
//! (invariants). Seat 0 deals in E1 unless a test says otherwise.

use meowlab_hand::{parse_tiles, Tile};
use meowlab_sanma::arena::IllegalMove;
use meowlab_sanma::bots::{HeuristicAgent, RandomAgent, TsumogiriAgent};
use meowlab_sanma::planes::{self, column_map, encode, FeatureBlock, Planes, COLS, ROWS};
use meowlab_sanma::{play_game_with, Action, Agent, Game, KyokuStart, Rules};
use meowlab_sanma::{Wall, WallSpec};

fn t(s: &str) -> Vec<Tile> {
    parse_tiles(s).unwrap()
}

fn tile(s: &str) -> Tile {
    s.parse().unwrap()
}

/// A row by its name ("5p", "north", "chun").
fn row(s: &str) -> usize {
    (0..ROWS).find(|&r| planes::row_name(r) == s).unwrap()
}

/// Hands dealer first.
fn game(hands: [&str; 3], draws: &str, replacements: &str, dora: &str, start: KyokuStart) -> Game {
    let hands: Vec<Vec<Tile>> = hands.iter().map(|h| t(h)).collect();
    let (draws, repl, dora) = (t(draws), t(replacements), t(dora));
    let ura = t("9m9m9m9m9m");
    let spec = WallSpec {
        hands: [&hands[0], &hands[1], &hands[2]],
        draws: &draws,
        replacements: &repl,
        dora: &dora,
        ura: &ura[..dora.len()],
        red: true,
    };
    Game::with_wall(Rules::default(), 1, start, Wall::build(&spec).unwrap())
}

#[track_caller]
fn act(g: &mut Game, seat: u8, a: Action) {
    g.act(seat, a).unwrap_or_else(|e| panic!("{e}"));
}

#[track_caller]
fn discard(g: &mut Game, seat: u8, s: &str) {
    let tile = tile(s);
    let a = [false, true]
        .into_iter()
        .map(|tsumogiri| Action::Discard { tile, tsumogiri })
        .find(|a| g.legal_actions(seat).contains(a))
        .unwrap_or_else(|| panic!("seat {seat} cannot discard {s}"));
    act(g, seat, a);
}

/// The set rows of column `col`.
fn rows_of(p: &Planes, col: usize) -> Vec<&'static str> {
    (0..ROWS)
        .filter(|&r| p.get(r, col))
        .map(planes::row_name)
        .collect()
}

/// The number written MSB first in `width` whole columns from `col` (panics on a
/// partly set column).
fn number(p: &Planes, col: usize, width: usize) -> u32 {
    (0..width).fold(0, |acc, j| {
        let n = (0..ROWS).filter(|&r| p.get(r, col + j)).count();
        assert!(n == 0 || n == ROWS, "column {} is partly set", col + j);
        acc << 1 | (n == ROWS) as u32
    })
}

/// Thermometer count of the hand on `row`.
fn hand_count(p: &Planes, row: usize) -> usize {
    (1..5).take_while(|&c| p.get(row, c)).count()
}

const DEALER_JUNK: &str = "11m99m11p99p99s66z7z"; // 13 tiles, no 5p, no north
const SEAT2_JUNK: &str = "888p777p66s55s33z2z";
const PINFU_TENPAI: &str = "123456p789s23s99p"; // waits 1s 4s

#[test]
fn discard_decision_hand_thermometer_red_five_target_and_dora() {
    let g = game(
        [DEALER_JUNK, "555p123s789s1234z", SEAT2_JUNK],
        "0p",
        "",
        "9m",
        KyokuStart::default(),
    );
    let p = encode(&g.view(0));
    // the drawn red 5p is the target, not in the hand thermometer, but in the red column
    assert_eq!(rows_of(&p, 0), vec!["5p"]);
    assert_eq!(hand_count(&p, row("5p")), 0);
    assert_eq!(rows_of(&p, 5), vec!["5p"]);
    assert_eq!(hand_count(&p, row("1m")), 2);
    assert_eq!(hand_count(&p, row("hatsu")), 2);
    assert_eq!(hand_count(&p, row("chun")), 1);
    assert_eq!(rows_of(&p, 1).len(), 7, "seven kinds held");
    assert_eq!(rows_of(&p, 3), Vec::<&str>::new());
    assert_eq!(rows_of(&p, 76), vec!["9m"]);
    assert_eq!(rows_of(&p, 77), Vec::<&str>::new());
    // E1, dealer: east; kyoku, honba, deposits 0; scores 35000 each
    assert_eq!(rows_of(&p, 155), vec!["east"]);
    assert_eq!(number(&p, 143, 4), 0);
    assert_eq!(number(&p, 147, 4), 0);
    assert_eq!(number(&p, 151, 4), 0);
    for s in 0..3 {
        assert_eq!(number(&p, 99 + 11 * s, 11), 350);
    }
    assert_eq!(number(&p, 99 + 33, 11), 0, "no 4th player");
    // seat 1 has not drawn: no target; it sees its 13 tiles and the south wind
    let q = encode(&g.view(1));
    assert!(rows_of(&q, 0).is_empty());
    assert_eq!(hand_count(&q, row("5p")), 3);
    assert!(rows_of(&q, 5).is_empty());
    assert_eq!(rows_of(&q, 155), vec!["south"]);
    assert_eq!(rows_of(&encode(&g.view(2)), 155), vec!["west"]);
}

#[test]
fn pon_decision_then_pon_columns_turn_bits_and_discard_order() {
    let mut g = game(
        [DEALER_JUNK, "555p123s789s1234z", SEAT2_JUNK],
        "0p",
        "",
        "9m",
        KyokuStart::default(),
    );
    discard(&mut g, 0, "0p");
    // seat 1 may pon the red 5p: the offered tile is the target, it is not own
    let p = encode(&g.view(1));
    assert_eq!(rows_of(&p, 0), vec!["5p"]);
    assert_eq!(hand_count(&p, row("5p")), 3);
    assert!(rows_of(&p, 5).is_empty());
    // seat 0 is seat 1's previous player: discards at 156 + 70 + 40
    assert_eq!(rows_of(&p, 266), vec!["5p"]);
    assert_eq!(g.turn_number(), 1);
    act(
        &mut g,
        1,
        Action::Pon {
            consumed: [tile("5p"), tile("5p")],
        },
    );
    // the discard after the pon: target = the called tile, hand without the meld
    let p = encode(&g.view(1));
    assert_eq!(rows_of(&p, 0), vec!["5p"]);
    assert_eq!(hand_count(&p, row("5p")), 1);
    assert_eq!(rows_of(&p, 5), vec!["5p"], "the red five is in own meld");
    for c in 6..9 {
        assert_eq!(rows_of(&p, c), vec!["5p"], "pon tile column {c}");
    }
    assert!(rows_of(&p, 9).is_empty(), "a pon has 3 tile columns");
    assert_eq!(number(&p, 10, 5), 1, "called in turn 1");
    assert!(rows_of(&p, 15).is_empty(), "no second meld");
    discard(&mut g, 1, "1z");
    discard(&mut g, 2, "2z");
    // seat 0 draws: seat 1 is its next player (melds at 156, discards at 196)
    let p = encode(&g.view(0));
    assert_eq!(rows_of(&p, 156), vec!["5p"]);
    assert_eq!(number(&p, 160, 5), 1);
    assert_eq!(rows_of(&p, 196), vec!["east"]);
    // own discards keep the called 5p; seat 2 (previous) discarded 2z
    assert_eq!(rows_of(&p, 46), vec!["5p"]);
    assert_eq!(rows_of(&p, 266), vec!["south"]);
    assert_eq!(g.turn_number(), 2);
}

#[test]
fn riichi_flag_and_turn_of_another_player() {
    let mut g = game(
        [DEALER_JUNK, PINFU_TENPAI, SEAT2_JUNK],
        "1z5z2z4s",
        "",
        "9m",
        KyokuStart::default(),
    );
    discard(&mut g, 0, "1z");
    act(
        &mut g,
        1,
        Action::Riichi {
            tile: tile("5z"),
            tsumogiri: true,
        },
    );
    // seat 2 sees seat 1 (its previous player) in riichi from the declaration on
    let p = encode(&g.view(2));
    assert!(p.column_set(87), "previous player's riichi flag");
    assert_eq!(number(&p, 88, 5), 1);
    assert_eq!(number(&p, 81, 6), 0, "next player (seat 0) not in riichi");
    discard(&mut g, 2, "2z");
    // seat 0 sees seat 1 as its next player; deposits/scores stay at the hand's start
    let p = encode(&g.view(0));
    assert!(p.column_set(81));
    assert_eq!(number(&p, 82, 5), 1);
    assert_eq!(number(&p, 99 + 11, 11), 350);
    assert_eq!(number(&p, 151, 4), 0);
    // own riichi is not encoded
    let p = encode(&g.view(1));
    assert_eq!(number(&p, 81, 18), 0);
}

#[test]
fn kita_columns_for_self_and_others() {
    let mut g = game(
        ["4z234567p789s99p2z", "111p222p333s456s4z", SEAT2_JUNK],
        "1z",
        "7z",
        "9m",
        KyokuStart::default(),
    );
    act(&mut g, 0, Action::Kita);
    act(&mut g, 1, Action::Pass);
    let p = encode(&g.view(0));
    assert_eq!(rows_of(&p, 42), vec!["north"]);
    assert!(rows_of(&p, 43).is_empty());
    assert_eq!(
        rows_of(&p, 0),
        vec!["chun"],
        "the replacement tile is the target"
    );
    assert_eq!(hand_count(&p, row("north")), 0);
    assert_eq!(
        hand_count(&p, row("east")),
        1,
        "the first draw is now in the hand"
    );
    // seat 1: seat 0 is the previous player (Kita at 156 + 70 + 36); seat 2: next (192)
    assert_eq!(rows_of(&encode(&g.view(1)), 262), vec!["north"]);
    assert_eq!(rows_of(&encode(&g.view(2)), 192), vec!["north"]);
}

#[test]
fn ankan_columns_and_second_dora_indicator() {
    let mut g = game(
        ["1111p456p789s234z", "11m99m99p11s99s11z2z", SEAT2_JUNK],
        "6z",
        "7z",
        "3z9s",
        KyokuStart::default(),
    );
    act(&mut g, 0, Action::Ankan { tile: tile("1p") });
    let p = encode(&g.view(0));
    for c in 6..10 {
        assert_eq!(rows_of(&p, c), vec!["1p"], "kan tile column {c}");
    }
    assert_eq!(number(&p, 10, 5), 1);
    assert_eq!(rows_of(&p, 76), vec!["west"]);
    assert_eq!(rows_of(&p, 77), vec!["9s"]);
    assert_eq!(rows_of(&p, 0), vec!["chun"]);
    assert_eq!(hand_count(&p, row("1p")), 0);
    assert_eq!(
        hand_count(&p, row("hatsu")),
        1,
        "the first draw is in the hand"
    );
}

#[test]
fn round_honba_deposits_scores_and_seat_wind() {
    // S2 (dealer seat 1), 3 honba, 2 deposits
    let start = KyokuStart {
        round: 4,
        honba: 3,
        deposits: 2,
        scores: Some([35000, 25100, 42900]),
    };
    let g = game(
        [DEALER_JUNK, "555p123s789s1234z", SEAT2_JUNK],
        "1z",
        "",
        "9m",
        start,
    );
    let p = encode(&g.view(1));
    assert_eq!(rows_of(&p, 155), vec!["east"], "seat 1 deals");
    assert_eq!(number(&p, 143, 4), 5, "S2 is Tenhou's kyoku 5");
    assert!(p.column_set(144) && p.column_set(146));
    assert!(!p.column_set(143) && !p.column_set(145));
    assert_eq!(number(&p, 147, 4), 3);
    assert_eq!(number(&p, 151, 4), 2);
    // scores by absolute seat, 11 bits MSB first: 251 = 0b000_1111_1011
    assert_eq!(number(&p, 99, 11), 350);
    assert_eq!(number(&p, 110, 11), 251);
    assert_eq!(number(&p, 121, 11), 429);
    let ones: Vec<usize> = (110..121).filter(|&c| p.column_set(c)).collect();
    assert_eq!(ones, vec![113, 114, 115, 116, 117, 119, 120]);
    // the same numbers in every seat's view; seat 0 is west, seat 2 south
    let q = encode(&g.view(0));
    assert_eq!(number(&q, 99, 44), number(&p, 99, 44));
    assert_eq!(rows_of(&q, 155), vec!["west"]);
    assert_eq!(rows_of(&encode(&g.view(2)), 155), vec!["south"]);
}

#[test]
fn bytes_are_packed_row_major_msb_first() {
    let mut p = Planes::new();
    p.set(0, 0, true);
    p.set(0, 9, true);
    p.set(1, 0, true); // bit 366 = byte 45, mask 0x80 >> 6
    p.set(33, 365, true); // bit 12443 = byte 1555, mask 0x80 >> 3
    let b = p.to_bytes();
    assert_eq!(b.len(), 1556);
    assert_eq!((b[0], b[1], b[45], b[1555]), (0x80, 0x40, 0x02, 0x10));
    assert_eq!(Planes::from_bytes(&b).unwrap(), p);
    let mut bad = b.clone();
    bad[1555] |= 1;
    assert!(Planes::from_bytes(&bad).is_err(), "padding bits set");
    assert!(Planes::from_bytes(&b[1..]).is_err());
    let f = p.to_f32();
    assert_eq!(
        (f[0], f[9], f[366], f[12443], f[1]),
        (1.0, 1.0, 1.0, 1.0, 0.0)
    );
}

#[test]
fn column_map_names_every_column_once() {
    let map = column_map();
    assert_eq!(map.len(), COLS);
    for (i, c) in map.iter().enumerate() {
        assert_eq!(c.column, i);
        assert!(c.block.columns().contains(&i));
        assert!(!c.meaning.is_empty());
    }
    let blocks = planes::blocks();
    assert_eq!(blocks.first().unwrap().2.start, 0);
    assert_eq!(blocks.last().unwrap().2.end, COLS);
    for w in blocks.windows(2) {
        assert_eq!(w[0].2.end, w[1].2.start, "{} then {}", w[0].1, w[1].1);
    }
    assert_eq!(map[7].meaning, "own meld 1, tile 2");
    assert_eq!(map[6 + 9 + 2].meaning, "own meld 2, tile 3");
    assert_eq!(
        map[110 + 3].meaning,
        "score/100 of seat 1 at the start of the hand, bit 7 (MSB=10)"
    );
    assert_eq!(FeatureBlock::SeatWind.columns(), 155..156);
    assert_eq!(FeatureBlock::NextMelds.columns(), 156..192);
    assert_eq!(FeatureBlock::EmptyDiscards.columns(), 336..366);
    assert_eq!(planes::row_name(0), "1m");
    assert_eq!(planes::row_name(33), "chun");
}

/// Columns holding numbers or flags (set over all 34 rows).
fn whole_columns() -> Vec<bool> {
    column_map()
        .iter()
        .map(|c| c.meaning.contains("bit") || c.meaning.contains("flag"))
        .collect()
}

fn check_invariants(game: &Game, seat: u8, whole: &[bool]) -> Result<(), String> {
    let view = game.view(seat);
    let p = encode(&view);
    let err = |what: &str| Err(format!("seed {} seat {seat}: {what}: {p:?}", game.seed()));
    if Planes::from_bytes(&p.to_bytes()).as_ref() != Ok(&p) {
        return err("bytes round trip");
    }
    let dense = p.to_f32();
    if dense.iter().filter(|&&x| x == 1.0).count() as u32 != p.count_ones() {
        return err("dense floats");
    }
    // tile columns never use 2m–8m in sanma
    for (col, &w) in whole.iter().enumerate() {
        if !w && (1..=7).any(|r| p.get(r, col)) {
            return err(&format!("column {col} uses a 2m-8m row"));
        }
        if w && !(0..ROWS).all(|r| p.get(r, col) == p.get(0, col)) {
            return err(&format!("number column {col} is partly set"));
        }
    }
    // thermometer + drawn tile = the concealed hand
    let counts = view.hand_counts();
    let drawn = view.drawn();
    for (r, &c) in counts.iter().enumerate() {
        let bits: Vec<bool> = (1..5).map(|k| p.get(r, k)).collect();
        let held = bits.iter().take_while(|&&b| b).count();
        if bits[held..].iter().any(|&b| b) {
            return err("thermometer with a gap");
        }
        let want = c as usize - drawn.is_some_and(|d| d.index() == r) as usize;
        if held != want {
            return err(&format!("row {r}: thermometer {held}, hand {want}"));
        }
    }
    let target_rows = (0..ROWS).filter(|&r| p.get(r, 0)).count();
    if target_rows != 1 {
        return err("a deciding seat has exactly one target tile");
    }
    for b in FeatureBlock::ALL.iter().filter(|b| b.always_empty()) {
        if b.columns().any(|c| (0..ROWS).any(|r| p.get(r, c))) {
            return err(&format!("{} is not empty", b.name()));
        }
    }
    if view.discards(seat).len() > 30 {
        return err("more than 30 discards");
    }
    let own: usize = (46..76).filter(|&c| (0..ROWS).any(|r| p.get(r, c))).count();
    if own != view.discards(seat).len() {
        return err("own discard columns");
    }
    if (42..46).filter(|&c| p.get(30, c)).count() != view.kita(seat) as usize {
        return err("own Kita columns");
    }
    if view.seat_wind().index() != (0..ROWS).find(|&r| p.get(r, 155)).unwrap() {
        return err("seat wind");
    }
    // the decoded table state is the view's (scores saturate at 204,700)
    let state = p.table_state();
    let scores = view
        .kyoku_start_scores()
        .map(|s| s.clamp(0, 204_700) / 100 * 100);
    let expected = planes::TableState {
        scores,
        round: view.round(),
        honba: view.honba().min(15),
        deposits: view.kyoku_start_deposits().min(15),
        seat: view.seat(),
    };
    if state != expected {
        return err(&format!("table state {state:?}, expected {expected:?}"));
    }
    Ok(())
}

#[test]
fn random_games_encode_consistently() {
    let whole = whole_columns();
    let mut decisions = 0usize;
    for seed in 0..300u64 {
        let mut agents: Vec<Box<dyn Agent>> = match seed % 3 {
            0 => (0..3)
                .map(|s| Box::new(RandomAgent::new(s)) as Box<dyn Agent>)
                .collect(),
            1 => vec![
                Box::new(HeuristicAgent),
                Box::new(RandomAgent::new(1)),
                Box::new(HeuristicAgent),
            ],
            _ => vec![
                Box::new(TsumogiriAgent),
                Box::new(HeuristicAgent),
                Box::new(HeuristicAgent),
            ],
        };
        let result: Result<Game, Failure> =
            play_game_with(Rules::default(), seed, &mut agents, |game, seat, _| {
                decisions += 1;
                check_invariants(game, seat, &whole).map_err(Failure::Planes)
            });
        if let Err(e) = result {
            panic!("{e:?}");
        }
    }
    assert!(decisions > 10_000, "{decisions} decisions checked");
}

#[derive(Debug)]
enum Failure {
    Planes(#[allow(dead_code)] String),
    Illegal(#[allow(dead_code)] IllegalMove),
}

impl From<IllegalMove> for Failure {
    fn from(e: IllegalMove) -> Self {
        Failure::Illegal(e)
    }
}
