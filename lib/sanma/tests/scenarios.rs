//! One scenario per rule, on hand-built walls. Seat 0 deals in E1 unless a test says
//! otherwise; draws go dealer, seat 1, seat 2, dealer … while nobody calls.

use meowlab_hand::{parse_tiles, Tile};
use meowlab_sanma::{Action, Event, Game, GameLength, KyokuStart, Phase, Rules, Wall, WallSpec};

fn t(s: &str) -> Vec<Tile> {
    parse_tiles(s).unwrap()
}

fn tile(s: &str) -> Tile {
    s.parse().unwrap()
}

struct Setup<'a> {
    hands: [&'a str; 3],
    draws: &'a str,
    replacements: &'a str,
    dora: &'a str,
    ura: &'a str,
    rules: Rules,
    start: KyokuStart,
}

impl Default for Setup<'_> {
    fn default() -> Self {
        Setup {
            hands: ["", "", ""],
            draws: "",
            replacements: "",
            dora: "9m",
            ura: "9m",
            rules: Rules::default(),
            start: KyokuStart::default(),
        }
    }
}

/// Hands are given dealer first.
fn game(s: Setup<'_>) -> Game {
    let hands: Vec<Vec<Tile>> = s.hands.iter().map(|h| t(h)).collect();
    let (draws, repl, dora, ura) = (t(s.draws), t(s.replacements), t(s.dora), t(s.ura));
    let spec = WallSpec {
        hands: [&hands[0], &hands[1], &hands[2]],
        draws: &draws,
        replacements: &repl,
        dora: &dora,
        ura: &ura,
        red: s.rules.red_fives,
    };
    let wall = Wall::build(&spec).unwrap();
    let g = Game::with_wall(s.rules, 1, s.start, wall);
    g.check_invariants().unwrap();
    g
}

fn legal(g: &Game, seat: u8) -> Vec<String> {
    g.legal_actions(seat)
        .iter()
        .map(|a| a.to_string())
        .collect()
}

#[track_caller]
fn act(g: &mut Game, seat: u8, a: Action) {
    g.act(seat, a).unwrap_or_else(|e| panic!("{e}"));
    g.check_invariants().unwrap();
}

/// Discards `tile` (from the hand if possible, else the drawn one).
#[track_caller]
fn discard(g: &mut Game, seat: u8, s: &str) {
    let tile = tile(s);
    let a = [false, true]
        .into_iter()
        .map(|tsumogiri| Action::Discard { tile, tsumogiri })
        .find(|a| g.legal_actions(seat).contains(a))
        .unwrap_or_else(|| panic!("seat {seat} cannot discard {s}: {:?}", legal(g, seat)));
    act(g, seat, a);
}

fn last_hora(g: &Game) -> (u8, u8, Vec<i32>, Vec<String>) {
    g.events()
        .iter()
        .rev()
        .find_map(|e| match e {
            Event::Hora {
                actor,
                target,
                deltas,
                yaku,
                ..
            } => Some((*actor, *target, deltas.clone(), yaku.clone())),
            _ => None,
        })
        .expect("a hora event")
}

const PINFU_TENPAI: &str = "123456p789s23s99p"; // waits 1s 4s
const DEALER_JUNK: &str = "11m99m11p99p99s66z7z"; // six pairs + 7z: chiitoitsu tenpai
const NO_9P_JUNK: &str = "11m99m11p11s99s66z2z";
const NO_1P_JUNK: &str = "11m99m99p11s99s11z2z";
const SEAT2_JUNK: &str = "888p777p66s55s33z2z";

#[test]
fn tenhou_pays_a_dealer_yakuman_tsumo() {
    let mut g = game(Setup {
        hands: [PINFU_TENPAI, DEALER_JUNK, SEAT2_JUNK],
        draws: "1s",
        ..Setup::default()
    });
    assert!(legal(&g, 0).contains(&"tsumo".to_string()));
    act(&mut g, 0, Action::Tsumo);
    let (actor, _, deltas, yaku) = last_hora(&g);
    assert_eq!(
        (actor, deltas, yaku),
        (0, vec![32000, -16000, -16000], vec!["tenhou".to_string()])
    );
}

#[test]
fn riichi_deposit_ippatsu_ron_and_deposit_back() {
    let mut g = game(Setup {
        hands: [DEALER_JUNK, PINFU_TENPAI, SEAT2_JUNK],
        draws: "1z5z2z4s",
        ..Setup::default()
    });
    discard(&mut g, 0, "1z");
    act(
        &mut g,
        1,
        Action::Riichi {
            tile: tile("5z"),
            tsumogiri: true,
        },
    );
    discard(&mut g, 2, "2z");
    assert!(g
        .events()
        .iter()
        .any(|e| matches!(e, Event::ReachAccepted { actor: 1 })));
    discard(&mut g, 0, "4s");
    assert_eq!(legal(&g, 1), vec!["ron", "pass"]);
    act(&mut g, 1, Action::Ron);
    let (actor, target, deltas, yaku) = last_hora(&g);
    // riichi on the first uninterrupted discard is double riichi: double riichi +
    // ippatsu + pinfu, 4 han 30 fu = 7700, plus the own deposit back
    assert_eq!((actor, target), (1, 0));
    assert_eq!(deltas, vec![-7700, 8700, 0]);
    assert_eq!(yaku, vec!["double_riichi", "ippatsu", "pinfu"]);
}

#[test]
fn temporary_furiten_after_passing_a_win() {
    let mut g = game(Setup {
        hands: [DEALER_JUNK, PINFU_TENPAI, SEAT2_JUNK],
        draws: "1z5z1s4s2z1s",
        ..Setup::default()
    });
    discard(&mut g, 0, "1z");
    discard(&mut g, 1, "5z");
    discard(&mut g, 2, "1s");
    act(&mut g, 1, Action::Pass);
    discard(&mut g, 0, "4s");
    // seat 1 passed a winning tile: no ron until its own next discard
    assert_eq!(g.phase(), Phase::Turn { seat: 1 });
    discard(&mut g, 1, "2z");
    discard(&mut g, 2, "1s");
    assert_eq!(legal(&g, 1), vec!["ron", "pass"]);
}

#[test]
fn permanent_furiten_after_discarding_a_wait() {
    let mut g = game(Setup {
        hands: [DEALER_JUNK, PINFU_TENPAI, SEAT2_JUNK],
        draws: "1z4s1s",
        ..Setup::default()
    });
    discard(&mut g, 0, "1z");
    assert!(legal(&g, 1).contains(&"tsumo".to_string()));
    discard(&mut g, 1, "4s"); // throws away its own winning tile
    discard(&mut g, 2, "1s");
    assert_eq!(g.phase(), Phase::Turn { seat: 0 }, "furiten: no ron on 1s");
}

#[test]
fn pon_then_kuikae_forbids_the_called_kind() {
    let mut g = game(Setup {
        hands: [DEALER_JUNK, "555p123s789s1234z", SEAT2_JUNK],
        draws: "0p",
        ..Setup::default()
    });
    discard(&mut g, 0, "0p");
    assert!(
        legal(&g, 1).contains(&"pon 5p5p".to_string()),
        "{:?}",
        legal(&g, 1)
    );
    act(
        &mut g,
        1,
        Action::Pon {
            consumed: [tile("5p"), tile("5p")],
        },
    );
    assert!(
        !legal(&g, 1).iter().any(|a| a.contains("5p")),
        "{:?}",
        legal(&g, 1)
    );
    let before = g.events().len();
    let err = g
        .act(
            1,
            Action::Discard {
                tile: tile("5p"),
                tsumogiri: false,
            },
        )
        .unwrap_err();
    assert!(err.reason.contains("kuikae"), "{err}");
    assert_eq!(
        g.events().len(),
        before,
        "an illegal action changes nothing"
    );
    discard(&mut g, 1, "1z");
}

#[test]
fn kita_draws_a_replacement_and_can_be_robbed_without_chankan() {
    // seat 1 waits on North (tanki) with sanankou
    let mut g = game(Setup {
        hands: ["4z234567p789s99p2z", "111p222p333s456s4z", SEAT2_JUNK],
        draws: "1z",
        replacements: "7z",
        ..Setup::default()
    });
    assert_eq!(g.view(0).tiles_left(), 54);
    act(&mut g, 0, Action::Kita);
    assert_eq!(legal(&g, 1), vec!["ron", "pass"]);
    act(&mut g, 1, Action::Pass);
    // the replacement came from the dead wall and the live wall shrank
    assert_eq!(g.view(0).drawn(), Some(tile("7z")));
    assert_eq!(g.view(0).tiles_left(), 53);
    assert_eq!(g.view(0).kita(0), 1);
}

#[test]
fn ron_on_kita_scores_no_chankan() {
    let mut g = game(Setup {
        hands: ["4z234567p789s99p2z", "111p222p333s456s4z", SEAT2_JUNK],
        draws: "1z",
        ..Setup::default()
    });
    act(&mut g, 0, Action::Kita);
    act(&mut g, 1, Action::Ron);
    let (_, target, _, yaku) = last_hora(&g);
    assert_eq!(target, 0);
    assert_eq!(yaku, vec!["sanankou"]);
}

#[test]
fn ron_on_kita_keeps_ippatsu() {
    // seat 1 declares riichi on a North wait; within the go-around the dealer sets a North
    // aside and seat 1 robs it. The robbed Kita never stands, so ippatsu counts: Tenhou
    // scores it (game 2026011901gm-00b9-0000-f1410863, East 3, honba 3)
    let mut g = game(Setup {
        hands: ["4z234567p789s99p2z", "111p222p333s456s4z", SEAT2_JUNK],
        draws: "1z7z9m6z",
        ..Setup::default()
    });
    discard(&mut g, 0, "1z");
    act(
        &mut g,
        1,
        Action::Riichi {
            tile: tile("7z"),
            tsumogiri: true,
        },
    );
    discard(&mut g, 2, "9m");
    act(&mut g, 0, Action::Kita);
    act(&mut g, 1, Action::Ron);
    let (_, target, _, yaku) = last_hora(&g);
    assert_eq!(target, 0);
    assert_eq!(yaku, vec!["double_riichi", "ippatsu", "sanankou"]);
}

#[test]
fn a_kita_nobody_robs_ends_ippatsu() {
    // the same go-around, but the North stands: seat 1 then wins on the dealer's next
    // discard, no longer within an uninterrupted go-around
    let mut g = game(Setup {
        hands: ["4z234567p789s99p2z", "111p222p333s456s1z", SEAT2_JUNK],
        draws: "5z7z9m6z",
        replacements: "1z",
        ..Setup::default()
    });
    discard(&mut g, 0, "5z");
    act(
        &mut g,
        1,
        Action::Riichi {
            tile: tile("7z"),
            tsumogiri: true,
        },
    );
    discard(&mut g, 2, "9m");
    act(&mut g, 0, Action::Kita);
    discard(&mut g, 0, "1z");
    act(&mut g, 1, Action::Ron);
    let (_, target, _, yaku) = last_hora(&g);
    assert_eq!(target, 0);
    assert!(!yaku.contains(&"ippatsu".to_string()), "{yaku:?}");
}

#[test]
fn ankan_reveals_dora_at_once_then_replacement() {
    let mut g = game(Setup {
        hands: ["1111p456p789s234z", NO_1P_JUNK, SEAT2_JUNK],
        draws: "6z",
        replacements: "7z",
        dora: "3z9s",
        ..Setup::default()
    });
    act(&mut g, 0, Action::Ankan { tile: tile("1p") });
    let tail: Vec<&Event> = g.events().iter().rev().take(3).collect();
    assert!(matches!(tail[2], Event::Ankan { .. }), "{tail:?}");
    assert_eq!(
        tail[1],
        &Event::Dora {
            dora_marker: tile("9s")
        }
    );
    assert_eq!(
        tail[0],
        &Event::Tsumo {
            actor: 0,
            pai: tile("7z")
        }
    );
}

#[test]
fn daiminkan_dora_comes_after_the_discard() {
    let mut g = game(Setup {
        hands: [NO_9P_JUNK, "999p123s789s1234z", SEAT2_JUNK],
        draws: "9p",
        replacements: "7z",
        dora: "3z9s",
        ..Setup::default()
    });
    discard(&mut g, 0, "9p");
    act(&mut g, 1, Action::Daiminkan);
    assert!(!g.events().iter().any(|e| matches!(e, Event::Dora { .. })));
    discard(&mut g, 1, "7z");
    let dahai = g
        .events()
        .iter()
        .rposition(|e| matches!(e, Event::Dahai { actor: 1, .. }))
        .unwrap();
    assert_eq!(
        g.events()[dahai + 1],
        Event::Dora {
            dora_marker: tile("9s")
        }
    );
}

#[test]
fn a_kita_after_an_open_kan_reveals_its_dora() {
    // Tenhou shows the open kan's dora at the Kita, as at a discard (its mjlogs put the
    // <DORA> right after the Kita: 2026012019gm-00b9-0000-6c8a7249)
    let mut g = game(Setup {
        hands: [NO_9P_JUNK, "999p123s789s1234z", SEAT2_JUNK],
        draws: "9p",
        replacements: "7z6z",
        dora: "3z9s",
        ..Setup::default()
    });
    discard(&mut g, 0, "9p");
    act(&mut g, 1, Action::Daiminkan);
    act(&mut g, 1, Action::Kita);
    let kita = g
        .events()
        .iter()
        .rposition(|e| matches!(e, Event::Nukidora { actor: 1, .. }))
        .unwrap();
    assert_eq!(
        g.events()[kita + 1..kita + 3],
        [
            Event::Dora {
                dora_marker: tile("9s")
            },
            Event::Tsumo {
                actor: 1,
                pai: tile("6z")
            }
        ]
    );
}

#[test]
fn chankan_robs_an_added_kan() {
    // seat 1 pons 9s and later adds the 4th; seat 2 waits on 6s/9s (pinfu, ittsu)
    let mut g = game(Setup {
        hands: [
            "11m99m11p99p1z2z3z4z7z",
            "99s123p456p1234z7z",
            "123456789p78s55s",
        ],
        draws: "9s6z5z9s",
        ..Setup::default()
    });
    discard(&mut g, 0, "9s");
    act(&mut g, 2, Action::Pass); // temporary furiten until its next discard
    act(
        &mut g,
        1,
        Action::Pon {
            consumed: [tile("9s"), tile("9s")],
        },
    );
    discard(&mut g, 1, "7z");
    discard(&mut g, 2, "6z");
    discard(&mut g, 0, "5z");
    act(&mut g, 1, Action::Kakan { tile: tile("9s") });
    assert_eq!(legal(&g, 2), vec!["ron", "pass"]);
    act(&mut g, 2, Action::Ron);
    let (actor, target, _, yaku) = last_hora(&g);
    assert_eq!(
        (actor, target, yaku),
        (2, 1, vec!["pinfu".into(), "chankan".into(), "ittsu".into()])
    );
}

#[test]
fn double_ron_gives_the_sticks_to_the_nearer_winner() {
    // seats 1 and 2 both wait on 4s; seat 2 declared riichi first, then the dealer deals in
    let mut g = game(Setup {
        hands: [DEALER_JUNK, PINFU_TENPAI, "123p456p789s23s55s"],
        draws: "1z2z5z4s",
        ..Setup::default()
    });
    discard(&mut g, 0, "1z");
    discard(&mut g, 1, "2z");
    act(
        &mut g,
        2,
        Action::Riichi {
            tile: tile("5z"),
            tsumogiri: true,
        },
    );
    discard(&mut g, 0, "4s");
    act(&mut g, 1, Action::Ron);
    act(&mut g, 2, Action::Ron);
    let horas: Vec<(u8, Vec<i32>)> = g
        .events()
        .iter()
        .filter_map(|e| match e {
            Event::Hora { actor, deltas, .. } => Some((*actor, deltas.clone())),
            _ => None,
        })
        .collect();
    // seat 1 (pinfu 1000) gets seat 2's riichi stick; seat 2 has double riichi, ippatsu
    // and pinfu (4 han 30 fu = 7700)
    assert_eq!(
        horas,
        vec![(1, vec![-1000, 2000, 0]), (2, vec![-7700, 0, 7700])]
    );
}

#[test]
fn kyuushu_kyuuhai_aborts_and_the_dealer_stays() {
    let mut g = game(Setup {
        hands: ["19m19p19s1234p567z", DEALER_JUNK, SEAT2_JUNK],
        draws: "7z",
        ura: "",
        ..Setup::default()
    });
    act(&mut g, 0, Action::Kyuushu);
    assert!(g
        .events()
        .iter()
        .any(|e| matches!(e, Event::Ryukyoku { reason, .. } if reason == "kyuushu")));
    let Some(Event::StartKyoku { oya, honba, .. }) = g
        .events()
        .iter()
        .rev()
        .find(|e| matches!(e, Event::StartKyoku { .. }))
    else {
        panic!("a new hand")
    };
    assert_eq!((*oya, *honba), (0, 1));
}

/// Everybody discards what they draw until the wall is empty.
fn play_out_tsumogiri(g: &mut Game) {
    while let Phase::Turn { seat } | Phase::Respond { from: seat, .. } = g.phase() {
        if matches!(g.events().last(), Some(Event::EndKyoku)) || g.is_over() {
            break;
        }
        let deciding: Vec<u8> = g.deciding().collect();
        for s in deciding {
            let a = if g.legal_actions(s).contains(&Action::Pass) {
                Action::Pass
            } else {
                let d = g.view(s).drawn().unwrap();
                Action::Discard {
                    tile: d,
                    tsumogiri: true,
                }
            };
            act(g, s, a);
        }
        if g.events()
            .iter()
            .any(|e| matches!(e, Event::Ryukyoku { .. }))
        {
            break;
        }
        let _ = seat;
    }
}

#[test]
fn exhaustive_draw_pays_tenpai() {
    let rules = Rules {
        nagashi_mangan: false,
        ..Rules::default()
    };
    let mut g = game(Setup {
        hands: [DEALER_JUNK, PINFU_TENPAI, SEAT2_JUNK],
        rules,
        ..Setup::default()
    });
    play_out_tsumogiri(&mut g);
    let deltas = g.events().iter().find_map(|e| match e {
        Event::Ryukyoku { reason, deltas } if reason == "exhaustive" => Some(deltas.clone()),
        _ => None,
    });
    // the dealer's six pairs + 7z is chiitoitsu tenpai too
    assert_eq!(deltas, Some(vec![1000, 1000, -2000]));
}

#[test]
fn bust_ends_the_game() {
    let start = KyokuStart {
        scores: Some([3000, 51000, 51000]),
        ..KyokuStart::default()
    };
    let mut g = game(Setup {
        hands: [DEALER_JUNK, PINFU_TENPAI, SEAT2_JUNK],
        draws: "1z5z2z4s",
        start,
        ..Setup::default()
    });
    discard(&mut g, 0, "1z");
    act(
        &mut g,
        1,
        Action::Riichi {
            tile: tile("5z"),
            tsumogiri: true,
        },
    );
    discard(&mut g, 2, "2z");
    discard(&mut g, 0, "4s");
    act(&mut g, 1, Action::Ron); // 7700 (double riichi, ippatsu, pinfu) from the dealer's 3000
    assert!(g.is_over());
    assert_eq!(g.result().unwrap().scores, [-4700, 58700, 51000]);
    assert_eq!(g.result().unwrap().ranks, [3, 1, 2]);
}

#[test]
fn agari_yame_ends_all_last_when_the_dealer_is_top() {
    let rules = Rules {
        length: GameLength::Tonpuu,
        ..Rules::default()
    };
    // E3: seat 2 deals; hands dealer first
    let start = KyokuStart {
        round: 2,
        scores: Some([30000, 30000, 45000]),
        ..KyokuStart::default()
    };
    let mut g = game(Setup {
        hands: [PINFU_TENPAI, DEALER_JUNK, SEAT2_JUNK],
        draws: "1s",
        rules: rules.clone(),
        start,
        ..Setup::default()
    });
    act(&mut g, 2, Action::Tsumo); // tenhou for the dealer at 45000: top, game over
    assert!(g.is_over());
    assert_eq!(g.result().unwrap().ranks[2], 1);
}

#[test]
fn all_last_without_40000_goes_into_the_next_wind() {
    let rules = Rules {
        length: GameLength::Tonpuu,
        ..Rules::default()
    };
    let start = KyokuStart {
        round: 2,
        ..KyokuStart::default()
    };
    // E3, dealer seat 2; seat 0 (hands[1]) wins a small ron from the dealer
    let mut g = game(Setup {
        hands: [DEALER_JUNK, PINFU_TENPAI, SEAT2_JUNK],
        draws: "1z5z2z4s",
        rules,
        start,
        ..Setup::default()
    });
    discard(&mut g, 2, "1z");
    discard(&mut g, 0, "5z");
    discard(&mut g, 1, "2z");
    discard(&mut g, 2, "4s");
    act(&mut g, 0, Action::Ron);
    assert!(!g.is_over(), "nobody has 40000: sudden death in South");
    let Some(Event::StartKyoku { bakaze, oya, .. }) = g
        .events()
        .iter()
        .rev()
        .find(|e| matches!(e, Event::StartKyoku { .. }))
    else {
        panic!()
    };
    assert_eq!((*bakaze, *oya), (Tile::SOUTH, 0));
}

#[test]
fn four_kans_by_two_players_abort_the_hand() {
    let mut g = game(Setup {
        hands: ["1111p9999p789s45z", "2222s3333s11z567z", SEAT2_JUNK],
        draws: "6z7p",
        replacements: "9m1m6p2p",
        ..Setup::default()
    });
    act(&mut g, 0, Action::Ankan { tile: tile("1p") });
    act(&mut g, 0, Action::Ankan { tile: tile("9p") });
    discard(&mut g, 0, "1m");
    act(&mut g, 1, Action::Ankan { tile: tile("2s") });
    act(&mut g, 1, Action::Ankan { tile: tile("3s") });
    assert_eq!(g.view(1).dora_indicators().len(), 5);
    discard(&mut g, 1, "2p");
    assert!(g
        .events()
        .iter()
        .any(|e| matches!(e, Event::Ryukyoku { reason, .. } if reason == "suukaikan")));
    let Some(Event::StartKyoku { oya, honba, .. }) = g
        .events()
        .iter()
        .rev()
        .find(|e| matches!(e, Event::StartKyoku { .. }))
    else {
        panic!("a new hand")
    };
    assert_eq!((*oya, *honba), (0, 1));
}

#[test]
fn nagashi_mangan_is_paid_like_a_mangan_tsumo() {
    let hands = ["234567p234567s5z", "234567p234567s6z", "345p345s678p678s9p"];
    // every draw of seat 2 is a terminal or honour; the others draw the rest
    let mut pool: Vec<Tile> = meowlab_sanma::wall::tile_set(false).to_vec();
    for h in hands.iter().chain(["9m", "9m"].iter()) {
        for x in t(h) {
            let i = pool.iter().position(|&p| p == x).unwrap();
            pool.remove(i);
        }
    }
    let (mut yaochu, mut other): (Vec<Tile>, Vec<Tile>) =
        pool.into_iter().partition(|t| t.is_terminal_or_honor());
    let draws: Vec<Tile> = (0..55)
        .map(|i| {
            if i % 3 == 2 {
                yaochu.remove(0)
            } else {
                other.pop().unwrap_or_else(|| yaochu.pop().unwrap())
            }
        })
        .collect();
    let draws: String = draws.iter().map(|t| t.to_string()).collect();
    let rules = Rules {
        red_fives: false,
        ..Rules::default()
    };
    let mut g = game(Setup {
        hands,
        draws: &draws,
        rules,
        ..Setup::default()
    });
    // the dealer and seat 1 throw a simple from the hand first, so only seat 2 qualifies
    discard(&mut g, 0, "2p");
    discard(&mut g, 1, "2p");
    play_out_tsumogiri(&mut g);
    let deltas = g.events().iter().find_map(|e| match e {
        Event::Ryukyoku { reason, deltas } => Some((reason.clone(), deltas.clone())),
        _ => None,
    });
    assert_eq!(
        deltas,
        Some(("nagashi".to_string(), vec![-4000, -2000, 6000]))
    );
}

#[test]
fn illegal_actions_are_refused_with_a_reason_and_change_nothing() {
    let mut g = game(Setup {
        hands: [DEALER_JUNK, PINFU_TENPAI, SEAT2_JUNK],
        draws: "1z",
        ..Setup::default()
    });
    let before = (g.events().len(), g.history().len(), g.phase());
    let cases = [
        (
            1,
            Action::Discard {
                tile: tile("1p"),
                tsumogiri: false,
            },
            "not this seat's decision",
        ),
        (
            0,
            Action::Discard {
                tile: tile("5s"),
                tsumogiri: false,
            },
            "does not hold 5s",
        ),
        (0, Action::Tsumo, "not complete"),
        (
            0,
            Action::Riichi {
                tile: tile("1m"),
                tsumogiri: false,
            },
            "not tenpai",
        ),
        (
            0,
            Action::Pon {
                consumed: [tile("1m"), tile("1m")],
            },
            "not legal now",
        ),
        (7, Action::Pass, "only seats 0, 1 and 2"),
    ];
    for (seat, action, why) in cases {
        let e = g.act(seat, action).unwrap_err();
        assert!(e.to_string().contains(why), "{e}");
    }
    assert_eq!((g.events().len(), g.history().len(), g.phase()), before);
}

#[test]
fn pao_makes_the_feeder_of_the_third_dragon_pay_the_tsumo() {
    let mut g = game(Setup {
        hands: ["19m19p234678s567z", "55z66z77z234p5p99s1s", SEAT2_JUNK],
        draws: "4z1z4z1z8p1z2z5p",
        ..Setup::default()
    });
    let pon = |g: &mut Game, t: &str| {
        act(
            g,
            1,
            Action::Pon {
                consumed: [tile(t), tile(t)],
            },
        )
    };
    discard(&mut g, 0, "5z");
    pon(&mut g, "5z");
    discard(&mut g, 1, "9s");
    discard(&mut g, 2, "1z");
    discard(&mut g, 0, "6z");
    pon(&mut g, "6z");
    discard(&mut g, 1, "9s");
    discard(&mut g, 2, "1z");
    discard(&mut g, 0, "7z");
    pon(&mut g, "7z");
    discard(&mut g, 1, "1s");
    discard(&mut g, 2, "1z");
    discard(&mut g, 0, "2z");
    act(&mut g, 1, Action::Tsumo);
    let (actor, _, deltas, yaku) = last_hora(&g);
    assert_eq!((actor, yaku), (1, vec!["daisangen".to_string()]));
    assert_eq!(
        deltas,
        vec![-24000, 24000, 0],
        "the dealer fed the third dragon and pays it all"
    );
}

#[test]
fn rinshan_kaihou_on_the_replacement_after_an_ankan() {
    // the dealer kans 1p and wins on the replacement tile (rinshan): 88p 99s shanpon
    let mut g = game(Setup {
        hands: [
            "1111p234p567p8p99s",
            "11m99m11s11z22z345z",
            "23345678s567z1m9m",
        ],
        draws: "8p",
        replacements: "9s",
        dora: "3z",
        ura: "",
        ..Setup::default()
    });
    act(&mut g, 0, Action::Ankan { tile: tile("1p") });
    assert!(
        legal(&g, 0).contains(&"tsumo".to_string()),
        "{:?}",
        legal(&g, 0)
    );
    act(&mut g, 0, Action::Tsumo);
    let (_, _, _, yaku) = last_hora(&g);
    assert!(yaku.contains(&"rinshan_kaihou".to_string()), "{yaku:?}");
}

#[test]
fn riichi_needs_enough_tiles_left_and_points() {
    let rules = Rules {
        riichi_min_tiles_left: 55,
        ..Rules::default()
    };
    let g = game(Setup {
        hands: [PINFU_TENPAI, DEALER_JUNK, SEAT2_JUNK],
        draws: "5z",
        rules,
        ..Setup::default()
    });
    // 54 live tiles are left after the dealer's first draw: below the minimum of 55
    assert!(
        !legal(&g, 0).iter().any(|a| a.starts_with("riichi")),
        "{:?}",
        legal(&g, 0)
    );
    let start = KyokuStart {
        scores: Some([900, 52050, 52050]),
        ..KyokuStart::default()
    };
    let g = game(Setup {
        hands: [PINFU_TENPAI, DEALER_JUNK, SEAT2_JUNK],
        draws: "5z",
        start,
        ..Setup::default()
    });
    assert!(
        !legal(&g, 0).iter().any(|a| a.starts_with("riichi")),
        "900 points cannot pay the stick"
    );
    let g = game(Setup {
        hands: [PINFU_TENPAI, DEALER_JUNK, SEAT2_JUNK],
        draws: "5z",
        ..Setup::default()
    });
    assert!(
        legal(&g, 0).contains(&"riichi 5z".to_string()),
        "{:?}",
        legal(&g, 0)
    );
}

#[test]
fn a_call_breaks_ippatsu() {
    // seat 1 riichis (double riichi); seat 2 pons the dealer's 2z; then seat 1 rons: no ippatsu
    let mut g = game(Setup {
        hands: [DEALER_JUNK, PINFU_TENPAI, "888p777p66s55s22z3z"],
        draws: "1z5z1z2z7z4s",
        ..Setup::default()
    });
    discard(&mut g, 0, "1z");
    act(
        &mut g,
        1,
        Action::Riichi {
            tile: tile("5z"),
            tsumogiri: true,
        },
    );
    discard(&mut g, 2, "1z");
    discard(&mut g, 0, "2z");
    act(
        &mut g,
        2,
        Action::Pon {
            consumed: [tile("2z"), tile("2z")],
        },
    );
    discard(&mut g, 2, "8p");
    discard(&mut g, 0, "7z");
    // seat 1 draws 4s in its first go-around after riichi, but the pon broke ippatsu
    act(&mut g, 1, Action::Tsumo);
    let (_, _, _, yaku) = last_hora(&g);
    assert!(!yaku.contains(&"ippatsu".to_string()), "{yaku:?}");
    assert!(yaku.contains(&"double_riichi".to_string()), "{yaku:?}");
}

#[test]
fn skipping_a_winning_draw_after_riichi_is_furiten() {
    // seat 1 riichis on 1s/4s, draws 4s and throws it; a later 1s cannot be ronned
    let mut g = game(Setup {
        hands: [DEALER_JUNK, PINFU_TENPAI, SEAT2_JUNK],
        draws: "1z5z2z1z4s1s",
        ..Setup::default()
    });
    discard(&mut g, 0, "1z");
    act(
        &mut g,
        1,
        Action::Riichi {
            tile: tile("5z"),
            tsumogiri: true,
        },
    );
    discard(&mut g, 2, "2z");
    discard(&mut g, 0, "1z");
    assert!(legal(&g, 1).contains(&"tsumo".to_string()));
    discard(&mut g, 1, "4s");
    discard(&mut g, 2, "1s");
    assert_eq!(
        g.phase(),
        Phase::Turn { seat: 0 },
        "riichi furiten: no ron on 1s"
    );
}

/// What the heuristic bot (the teacher of the supervised models) does with the dealer's
/// hand right now.
fn heuristic_choice(g: &Game) -> String {
    use meowlab_sanma::bots::HeuristicAgent;
    use meowlab_sanma::Agent;
    HeuristicAgent.act(&g.view(0)).to_string()
}

#[test]
fn the_heuristic_keeps_a_north_that_holds_its_tenpai() {
    // 234567p 789s 12s NN + 9p: tenpai with the North pair as its head
    let g = game(Setup {
        hands: ["234567p789s12s44z", NO_9P_JUNK, SEAT2_JUNK],
        draws: "9p",
        ..Setup::default()
    });
    assert!(legal(&g, 0).contains(&"kita".to_string()));
    assert_eq!(heuristic_choice(&g), "riichi 9p");
    // a lone North is set aside
    let g = game(Setup {
        hands: ["234567p789s123s4z", NO_9P_JUNK, SEAT2_JUNK],
        draws: "9p",
        ..Setup::default()
    });
    assert_eq!(heuristic_choice(&g), "kita");
}

/// The dealer waits on 2s (kanchan 13s); seat 1 and seat 2 throw 2s, and seat 1 throws
/// `seat1_second` on its second turn; then the dealer draws 7z.
fn dealer_waiting_on_2s(seat1_second: &str) -> Game {
    let mut g = game(Setup {
        hands: ["234567p789s13s55z", NO_9P_JUNK, SEAT2_JUNK],
        draws: &format!("1z2s2s1z{seat1_second}1z7z"),
        dora: "2s",
        ..Setup::default()
    });
    for (seat, tile) in [
        (0, "1z"),
        (1, "2s"),
        (2, "2s"),
        (0, "1z"),
        (1, seat1_second),
        (2, "1z"),
    ] {
        discard(&mut g, seat, tile);
    }
    g
}

#[test]
fn the_heuristic_stays_dama_on_a_wait_with_no_live_tile() {
    // the fourth 2s thrown: the indicator and three discards show all four
    let g = dealer_waiting_on_2s("2s");
    assert!(legal(&g, 0).contains(&"riichi 7z".to_string()));
    assert_eq!(heuristic_choice(&g), "tsumogiri 7z");
    // one 2s still unseen: riichi
    let g = dealer_waiting_on_2s("7z");
    assert_eq!(heuristic_choice(&g), "riichi 7z");
}

#[test]
fn the_heuristic_stays_dama_with_a_mangan_and_a_yaku() {
    // 234p 555p 678p 345s 6s + 9m: tanyao waiting on 6s; with 5p as dora it is worth
    // four han without riichi
    let with_dora = |dora| {
        game(Setup {
            hands: ["234p555p678p345s6s", NO_1P_JUNK, SEAT2_JUNK],
            draws: "9m",
            dora,
            ..Setup::default()
        })
    };
    assert_eq!(heuristic_choice(&with_dora("4p")), "tsumogiri 9m");
    // without the dora it is tanyao alone: riichi
    assert_eq!(heuristic_choice(&with_dora("3z")), "riichi 9m");
}

/// The paper's RL episodes: every game of `OneHand` rules ends with its first hand,
/// whatever ended it (a win, an exhaustive or an abortive draw).
#[test]
fn one_hand_games_end_with_their_first_hand() {
    use meowlab_sanma::bots::{HeuristicAgent, RandomAgent};
    use meowlab_sanma::{play_game, Agent, Event};
    let rules = Rules {
        length: GameLength::OneHand,
        ..Rules::default()
    };
    let mut endings = std::collections::BTreeSet::new();
    for seed in 0..300 {
        let mut agents: Vec<Box<dyn Agent>> = vec![
            Box::new(HeuristicAgent),
            Box::new(RandomAgent::new(1)),
            Box::new(HeuristicAgent),
        ];
        let g = play_game(rules.clone(), seed, &mut agents).unwrap();
        let hands = g
            .events()
            .iter()
            .filter(|e| matches!(e, Event::StartKyoku { .. }))
            .count();
        assert_eq!(hands, 1, "seed {seed}");
        assert!(g.is_over() && g.result().is_some());
        endings.insert(
            match g.events().iter().rev().find_map(|e| match e {
                Event::Hora { .. } => Some("win".to_string()),
                Event::Ryukyoku { reason, .. } => Some(reason.clone()),
                _ => None,
            }) {
                Some(kind) => kind,
                None => "none".into(),
            },
        );
    }
    assert!(
        endings.contains("win") && endings.contains("exhaustive"),
        "{endings:?}"
    );
}
