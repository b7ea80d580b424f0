//! One test per yaku and fu rule: hands written in mpsz and checked against the values
//! Tenhou gives. Defaults: South seat (non-dealer), East round, no dora.

use meowlab_hand::{
    evaluate, parse_tiles, Limit, Meld, MeldKind, Payment, RiichiKind, ScoreError, ScoringRules,
    Tile, WinContext, WinMethod, WinResult, WinningHand,
};

/// A hand: `concealed` without the winning tile; melds as ("pon" | "ankan" | …, "555p").
fn hand(concealed: &str, melds: &[(&str, &str)], win: &str) -> WinningHand {
    let melds = melds
        .iter()
        .map(|(kind, tiles)| {
            let kind = match *kind {
                "pon" => MeldKind::Pon,
                "daiminkan" => MeldKind::Daiminkan,
                "kakan" => MeldKind::Kakan,
                "ankan" => MeldKind::Ankan,
                other => panic!("meld kind {other}"),
            };
            Meld::from_tiles(kind, &parse_tiles(tiles).unwrap()).unwrap()
        })
        .collect();
    WinningHand {
        concealed: parse_tiles(concealed).unwrap(),
        melds,
        win_tile: win.parse().unwrap(),
    }
}

fn ron() -> WinContext {
    let mut c = WinContext::new(WinMethod::Ron);
    c.seat_wind = Tile::SOUTH;
    c
}

fn tsumo() -> WinContext {
    WinContext {
        method: WinMethod::Tsumo,
        ..ron()
    }
}

fn riichi(mut c: WinContext) -> WinContext {
    c.riichi = RiichiKind::Riichi;
    c
}

fn dealer(mut c: WinContext) -> WinContext {
    c.seat_wind = Tile::EAST;
    c
}

fn tiles(s: &str) -> Vec<Tile> {
    parse_tiles(s).unwrap()
}

fn score_with(h: &WinningHand, c: &WinContext, rules: &ScoringRules) -> WinResult {
    evaluate(h, c, rules).unwrap_or_else(|e| panic!("{h:?}: {e}"))
}

fn score(h: &WinningHand, c: &WinContext) -> WinResult {
    score_with(h, c, &ScoringRules::default())
}

fn names(r: &WinResult) -> Vec<&'static str> {
    let mut v: Vec<_> = r.yaku.iter().map(|(y, _)| y.name()).collect();
    v.sort_unstable();
    v
}

/// Checks han, fu and the set of yaku names.
#[track_caller]
fn check(h: WinningHand, c: WinContext, han: u8, fu: u8, yaku: &[&str]) -> WinResult {
    let r = score(&h, &c);
    let mut want = yaku.to_vec();
    want.sort_unstable();
    assert_eq!((r.han, r.fu, names(&r)), (han, fu, want), "{h:?}");
    r
}

#[track_caller]
fn check_err(h: WinningHand, c: WinContext, want: ScoreError) {
    assert_eq!(
        evaluate(&h, &c, &ScoringRules::default()),
        Err(want),
        "{h:?}"
    );
}

#[track_caller]
fn check_yakuman(h: WinningHand, c: WinContext, count: u8, yaku: &[&str]) {
    check(h, c, 13 * count, 0, yaku);
}

// ----- fu -------------------------------------------------------------------------

#[test]
fn pinfu_tsumo_is_20_fu() {
    check(
        hand("123456p789s23s99p", &[], "1s"),
        riichi(tsumo()),
        3,
        20,
        &["riichi", "menzen_tsumo", "pinfu"],
    );
}

#[test]
fn pinfu_ron_is_30_fu() {
    check(
        hand("123456p789s23s99p", &[], "4s"),
        ron(),
        1,
        30,
        &["pinfu"],
    );
}

#[test]
fn kanchan_is_not_pinfu() {
    check_err(
        hand("123456p789s13s99p", &[], "2s"),
        ron(),
        ScoreError::NoYaku,
    );
    check(
        hand("123456p789s13s99p", &[], "2s"),
        riichi(ron()),
        1,
        40,
        &["riichi"],
    );
}

#[test]
fn ambiguous_wait_takes_the_higher_reading() {
    // 3455s + 5s: 345s with a 55s pair (ryanmen, pinfu) beats 34+555? no: beats the
    // tanki reading of 5s (2 han 40 fu < 3 han 30 fu)
    check(
        hand("123456789p3455s", &[], "5s"),
        ron(),
        3,
        30,
        &["ittsu", "pinfu"],
    );
}

#[test]
fn chiitoitsu_is_25_fu() {
    check(
        hand("1155p2288s11223z", &[], "3z"),
        ron(),
        2,
        25,
        &["chiitoitsu"],
    );
}

#[test]
fn four_of_a_kind_is_not_two_pairs() {
    check_err(
        hand("1111p99s1122335z", &[], "5z"),
        riichi(ron()),
        ScoreError::NotWinning,
    );
}

#[test]
fn open_hand_rounds_up_to_30() {
    // 20 + 2 (open simple pon) + 2 (tanki) = 24 -> 30. (Sanma has no chi, so an open
    // hand always has a pon; the 20-fu open ron cannot occur.)
    check(
        hand("234p345s678s5p", &[("pon", "222s")], "5p"),
        ron(),
        1,
        30,
        &["tanyao"],
    );
}

#[test]
fn double_wind_pair_is_4_fu() {
    // Tenhou: a pair of the dealer's East in the East round is 4 fu.
    // 20 + 10 (menzen ron) + 8 (concealed 111p) + 4 (EE pair) = 42 -> 50
    let h = || hand("111p456p789s23s11z", &[], "4s");
    check(h(), riichi(dealer(ron())), 1, 50, &["riichi"]);
    // for South seat in the East round the East pair is 2 fu: 40
    check(h(), riichi(ron()), 1, 40, &["riichi"]);
}

#[test]
fn meld_kan_and_wait_fu() {
    // ankan 1111p 32 + daiminkan 0555s 8 + haku pon 4 + penchan 2 = 20 + 46 = 66 -> 70
    check(
        hand(
            "12s77s",
            &[("ankan", "1111p"), ("daiminkan", "0555s"), ("pon", "555z")],
            "3s",
        ),
        ron(),
        2,
        70,
        &["yakuhai_haku", "aka_dora"],
    );
}

#[test]
fn ron_on_a_shanpon_makes_that_triplet_open() {
    // 111p 999p concealed (8 + 8), 999s completed by ron (4): 20 + 10 + 20 = 50
    check(
        hand("111999p123p22s99s", &[], "9s"),
        riichi(ron()),
        1,
        50,
        &["riichi"],
    );
    // by tsumo the third triplet is concealed too: sanankou, 20 + 2 + 24 = 46 -> 50
    check(
        hand("111999p123p22s99s", &[], "9s"),
        riichi(tsumo()),
        4,
        50,
        &["riichi", "menzen_tsumo", "sanankou"],
    );
}

// ----- yaku -------------------------------------------------------------------------

#[test]
fn kuitan_open_tanyao() {
    check(
        hand("234p456s22p88s", &[("pon", "666p")], "8s"),
        ron(),
        1,
        30,
        &["tanyao"],
    );
    let no_kuitan = ScoringRules {
        open_tanyao: false,
        ..ScoringRules::default()
    };
    let e = evaluate(
        &hand("234p456s22p88s", &[("pon", "666p")], "8s"),
        &ron(),
        &no_kuitan,
    );
    assert_eq!(e, Err(ScoreError::NoYaku));
}

#[test]
fn seat_and_round_wind_triplets() {
    let mut c = dealer(ron());
    c.round_wind = Tile::EAST;
    // EEE concealed (8) + tanki (2): 20 + 10 + 10 = 40
    check(
        hand("111z123456p789s9p", &[], "9p"),
        c,
        2,
        40,
        &["seat_wind", "round_wind"],
    );
}

#[test]
fn north_triplet_is_not_yakuhai_in_sanma() {
    check_err(
        hand("123456p789s9p", &[("pon", "444z")], "9p"),
        ron(),
        ScoreError::NoYaku,
    );
}

#[test]
fn iipeikou_and_ryanpeikou() {
    // 20 + 10 + 8 (concealed West triplet) + 2 (tanki) = 40
    check(
        hand("112233p789s333z5s", &[], "5s"),
        riichi(ron()),
        2,
        40,
        &["riichi", "iipeikou"],
    );
    // ryanpeikou (3 han 40 fu) beats the chiitoitsu reading (2 han 25 fu)
    check(
        hand("112233p778899s5s", &[], "5s"),
        ron(),
        3,
        40,
        &["ryanpeikou"],
    );
}

#[test]
fn chanta_and_junchan() {
    // 1p reads into 123p (23p ryanmen) with an 11p pair: pinfu too
    check(
        hand("123789p123s789s1p", &[], "1p"),
        ron(),
        4,
        30,
        &["junchan", "pinfu"],
    );
    // haku pair: 20 + 10 + 2 (tanki) + 2 (dragon pair) = 34 -> 40
    check(
        hand("123789p123s789s5z", &[], "5z"),
        ron(),
        2,
        40,
        &["chanta"],
    );
}

#[test]
fn sanshoku_doukou_and_toitoi() {
    // 111m pon 4, 111p 111s concealed 8 + 8, 999p by ron 4: 20 + 24 = 44 -> 50
    check(
        hand("111p111s99p55s", &[("pon", "111m")], "9p"),
        ron(),
        4,
        50,
        &["sanshoku_doukou", "toitoi"],
    );
}

#[test]
fn sanankou_toitoi_yakuhai() {
    // 8 + 8 + 4 + 4 (chun pon) + 2 tanki + 2 tsumo = 48 -> 50
    check(
        hand("111p999p555s2s", &[("pon", "777z")], "2s"),
        tsumo(),
        5,
        50,
        &["sanankou", "toitoi", "yakuhai_chun"],
    );
}

#[test]
fn sankantsu() {
    // 32 (ankan 1p) + 16 (open 9s kan) + 16 (open chun kan) + 2 tanki = 86 -> 90
    check(
        hand(
            "123s5p",
            &[
                ("ankan", "1111p"),
                ("daiminkan", "9999s"),
                ("kakan", "7777z"),
            ],
            "5p",
        ),
        ron(),
        3,
        90,
        &["sankantsu", "yakuhai_chun"],
    );
}

#[test]
fn honroutou() {
    // 4 (999p pon) + 8 + 8 + 8 + 2 tanki = 50
    check(
        hand("111p999s111z9m", &[("pon", "999p")], "9m"),
        ron(),
        7,
        50,
        &["honroutou", "toitoi", "sanankou", "round_wind"],
    );
    check(
        hand("1199p1199s11223z", &[], "3z"),
        ron(),
        4,
        25,
        &["chiitoitsu", "honroutou"],
    );
}

#[test]
fn shousangen() {
    // 8 + 8 + 2 (dragon pair) = 48 -> 50
    check(
        hand("555666z77z123p45s", &[], "3s"),
        ron(),
        4,
        50,
        &["shousangen", "yakuhai_haku", "yakuhai_hatsu"],
    );
}

#[test]
fn honitsu_and_chinitsu() {
    check(
        hand("123456789p111z5p", &[], "5p"),
        ron(),
        6,
        40,
        &["honitsu", "ittsu", "round_wind"],
    );
    check(
        hand("234567s9s888s", &[("pon", "111s")], "9s"),
        ron(),
        5,
        30,
        &["chinitsu"],
    );
}

#[test]
fn situational_yaku() {
    let h = || hand("123456p789s23s99p", &[], "4s");
    check(
        h(),
        WinContext {
            houtei: true,
            ..ron()
        },
        2,
        30,
        &["houtei_raoyui", "pinfu"],
    );
    check(
        h(),
        WinContext {
            haitei: true,
            ..tsumo()
        },
        3,
        20,
        &["haitei_raoyue", "menzen_tsumo", "pinfu"],
    );
    check(
        h(),
        WinContext {
            chankan: true,
            ..ron()
        },
        2,
        30,
        &["chankan", "pinfu"],
    );
    let double = WinContext {
        riichi: RiichiKind::Double,
        ippatsu: true,
        ..ron()
    };
    check(h(), double, 4, 30, &["double_riichi", "ippatsu", "pinfu"]);
    // rinshan after Kita (no kan): Tenhou scores rinshan kaihou
    let kita = WinContext {
        rinshan: true,
        kita: 1,
        ..tsumo()
    };
    check(
        h(),
        kita,
        4,
        20,
        &["rinshan_kaihou", "menzen_tsumo", "pinfu", "nukidora"],
    );
}

// ----- dora -------------------------------------------------------------------------

#[test]
fn dora_counts_kan_tiles_and_wraps_1m_to_9m() {
    let c = WinContext {
        dora_indicators: tiles("9p1m"),
        ..riichi(ron())
    };
    // 9p -> 1p: the ankan holds four; 1m -> 9m: the 99m pair holds two
    let r = score(&hand("123s456s789s9m", &[("ankan", "1111p")], "9m"), &c);
    assert_eq!((r.dora, names(&r)), (6, vec!["dora", "ittsu", "riichi"]));
}

#[test]
fn ura_dora_only_with_riichi() {
    let h = || hand("123456p789s23s99p", &[], "4s");
    let with = WinContext {
        ura_indicators: tiles("8p"),
        ..riichi(ron())
    };
    assert_eq!(score(&h(), &with).ura_dora, 2);
    let without = WinContext {
        ura_indicators: tiles("8p"),
        ..ron()
    };
    assert_eq!(score(&h(), &without).ura_dora, 0);
}

#[test]
fn kita_is_dora_once_plus_once_per_north_indicator() {
    // two Kita, indicator West (-> North) twice, ura indicator West once
    let c = WinContext {
        kita: 2,
        dora_indicators: tiles("33z"),
        ura_indicators: tiles("3z"),
        ..riichi(ron())
    };
    let r = score(&hand("123456p789s23s99p", &[], "4s"), &c);
    assert_eq!((r.nukidora, r.dora, r.ura_dora, r.han), (2, 4, 2, 10));
    assert_eq!(
        names(&r),
        vec!["dora", "nukidora", "pinfu", "riichi", "ura_dora"]
    );
}

#[test]
fn dora_alone_is_not_a_yaku() {
    let c = WinContext {
        kita: 3,
        dora_indicators: tiles("8p"),
        ..ron()
    };
    check_err(hand("123456p789s13s99p", &[], "2s"), c, ScoreError::NoYaku);
}

#[test]
fn aka_dora_off_when_the_rules_say_so() {
    let no_aka = ScoringRules {
        aka_dora: false,
        ..ScoringRules::default()
    };
    let r = score_with(&hand("123406p789s23s99p", &[], "4s"), &ron(), &no_aka);
    assert_eq!(r.aka_dora, 0);
    assert_eq!(
        score(&hand("123406p789s23s99p", &[], "4s"), &ron()).aka_dora,
        1
    );
}

// ----- yakuman ----------------------------------------------------------------------

#[test]
fn suuankou_needs_a_tsumo_on_shanpon() {
    check_yakuman(
        hand("111p999p555s22s33s", &[], "3s"),
        tsumo(),
        1,
        &["suuankou"],
    );
    let r = score(&hand("111p999p555s22s33s", &[], "3s"), &ron());
    assert_eq!(r.yakuman, 0);
    assert!(names(&r).contains(&"sanankou") && names(&r).contains(&"toitoi"));
}

#[test]
fn special_yakuman_are_single_on_tenhou_and_double_as_an_option() {
    let double = ScoringRules {
        double_yakuman: true,
        ..ScoringRules::default()
    };
    let cases = [
        (hand("111p999p555s333s2s", &[], "2s"), "suuankou_tanki"),
        (
            hand("19m19p19s1234567z", &[], "1z"),
            "kokushi_musou_13_wait",
        ),
        (hand("1112345678999p", &[], "5p"), "junsei_chuuren_poutou"),
    ];
    for (h, name) in cases {
        check_yakuman(h.clone(), ron(), 1, &[name]);
        assert_eq!(score_with(&h, &ron(), &double).yakuman, 2, "{name}");
    }
}

#[test]
fn single_yakuman() {
    check_yakuman(
        hand("19m19p19s1234566z", &[], "7z"),
        ron(),
        1,
        &["kokushi_musou"],
    );
    check_yakuman(
        hand("1112345678899p", &[], "9p"),
        ron(),
        1,
        &["chuuren_poutou"],
    );
    check_yakuman(
        hand("234s234s666s88s66z", &[], "6z"),
        ron(),
        1,
        &["ryuuiisou"],
    );
    check_yakuman(
        hand("111p999p111s9s", &[("pon", "111m")], "9s"),
        ron(),
        1,
        &["chinroutou"],
    );
    check_yakuman(
        hand("111222333z44z55p", &[], "5p"),
        ron(),
        1,
        &["shousuushii"],
    );
    check_yakuman(
        hand("555666777z3p", &[("pon", "111p")], "3p"),
        ron(),
        1,
        &["daisangen"],
    );
    check_yakuman(
        hand(
            "1s",
            &[
                ("ankan", "1111p"),
                ("daiminkan", "9999p"),
                ("kakan", "0555s"),
                ("ankan", "7777z"),
            ],
            "1s",
        ),
        ron(),
        1,
        &["suukantsu"],
    );
}

#[test]
fn yakuman_stack() {
    check_yakuman(
        hand("666777z111z2z", &[("pon", "555z")], "2z"),
        ron(),
        2,
        &["daisangen", "tsuuiisou"],
    );
    // daisuushii + suuankou tanki
    check_yakuman(
        hand("111222333444z5p", &[], "5p"),
        ron(),
        2,
        &["daisuushii", "suuankou_tanki"],
    );
}

#[test]
fn tenhou_and_chiihou() {
    let first = WinContext {
        first_draw: true,
        ..tsumo()
    };
    check_yakuman(
        hand("123456p789s23s99p", &[], "1s"),
        first.clone(),
        1,
        &["chiihou"],
    );
    check_yakuman(
        hand("123456p789s23s99p", &[], "1s"),
        dealer(first),
        1,
        &["tenhou"],
    );
}

#[test]
fn kazoe_yakuman_at_13_han() {
    // riichi + tsumo + pinfu (3) + 9p x2 (2) + 4 Kita with a West indicator (4 + 4) = 13
    let c = WinContext {
        kita: 4,
        dora_indicators: tiles("8p3z"),
        ..riichi(tsumo())
    };
    let r = score(&hand("123456p789s23s99p", &[], "1s"), &c);
    assert_eq!(
        (r.han, r.fu, r.yakuman, r.limit),
        (13, 20, 0, Limit::KazoeYakuman)
    );
    assert_eq!(
        r.payment,
        Payment::Tsumo {
            from_dealer: 16000,
            from_non_dealer: 8000
        }
    );
    let no_kazoe = ScoringRules {
        kazoe_yakuman: false,
        ..ScoringRules::default()
    };
    assert_eq!(
        score_with(&hand("123456p789s23s99p", &[], "1s"), &c, &no_kazoe).limit,
        Limit::Sanbaiman
    );
}

#[test]
fn a_true_yakuman_is_preferred_over_an_equal_kazoe_reading() {
    // suuankou tsumo, also readable as chinitsu iipeikou with many han
    let c = WinContext {
        kita: 3,
        ura_indicators: tiles("2p"),
        dora_indicators: tiles("9s"),
        ..riichi(tsumo())
    };
    let r = score(&hand("2233344455999p", &[], "2p"), &c);
    assert_eq!((r.yakuman, names(&r)), (1, vec!["suuankou"]));
}

// ----- payments and errors ----------------------------------------------------------

#[test]
fn payments_include_honba_and_report_deposits() {
    let c = WinContext {
        honba: 2,
        deposits: 3,
        ..dealer(riichi(ron()))
    };
    let r = score(&hand("123456p789s23s99p", &[], "4s"), &c);
    // dealer 2 han 30 fu ron = 2900, + 2 x 200
    assert_eq!(
        r.payment,
        Payment::Ron {
            from_discarder: 3300
        }
    );
    assert_eq!(r.deposits, 3000);
}

#[test]
fn inconsistent_inputs_are_errors_not_panics() {
    let h = || hand("123456p789s23s99p", &[], "4s");
    for (c, why) in [
        (
            WinContext {
                ippatsu: true,
                ..ron()
            },
            "ippatsu without riichi",
        ),
        (
            WinContext {
                haitei: true,
                ..ron()
            },
            "haitei on a ron",
        ),
        (
            WinContext {
                rinshan: true,
                ..ron()
            },
            "rinshan on a ron",
        ),
        (
            WinContext {
                seat_wind: Tile::NORTH,
                ..ron()
            },
            "seat wind",
        ),
    ] {
        match evaluate(&h(), &c, &ScoringRules::default()) {
            Err(ScoreError::Invalid(msg)) => assert!(msg.contains(why), "{msg}"),
            other => panic!("{why}: {other:?}"),
        }
    }
    let short = hand("123456p789s23s9p", &[], "4s");
    assert!(matches!(
        evaluate(&short, &ron(), &ScoringRules::default()),
        Err(ScoreError::Invalid(_))
    ));
    let fifth = hand("111p456p789s23s99p", &[("pon", "111p")], "4s");
    assert!(matches!(
        evaluate(&fifth, &ron(), &ScoringRules::default()),
        Err(ScoreError::Invalid(_))
    ));
}
