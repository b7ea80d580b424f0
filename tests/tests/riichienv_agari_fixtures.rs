//! The 402 sanma winning hands of riichienv-core's `agari_3p.json`: han, fu and yaku must
//! agree with their expected values. Deliberate Tenhou differences would be listed in
//! `KNOWN_DIFFERENCES` with their source; today there are none.

use meowlab::hand::case::Case;
use meowlab::hand::Yaku;
use meowlab_tests::fixture;
use serde::Deserialize;

#[derive(Deserialize)]
struct Expected {
    is_win: bool,
    han: u8,
    fu: u8,
    yaku: Vec<u32>,
}

#[derive(Deserialize)]
struct Fixture {
    #[serde(flatten)]
    case: Case,
    expected: Expected,
}

#[derive(Deserialize)]
struct File {
    cases: Vec<Fixture>,
}

/// (case index, why): disagreements that are Tenhou rules, with a source.
const KNOWN_DIFFERENCES: &[(usize, &str)] = &[];

/// riichienv-core's yaku ids (README beside the fixture) → our yaku.
fn riichienv_yaku(id: u32) -> Option<Yaku> {
    use Yaku::*;
    Some(match id {
        1 => MenzenTsumo,
        2 => Riichi,
        3 => Chankan,
        4 => RinshanKaihou,
        5 => HaiteiRaoyue,
        6 => HouteiRaoyui,
        7 => YakuhaiHaku,
        8 => YakuhaiHatsu,
        9 => YakuhaiChun,
        10 => SeatWind,
        11 => RoundWind,
        12 => Tanyao,
        13 => Iipeikou,
        14 => Pinfu,
        15 => Chanta,
        16 => Ittsu,
        17 => SanshokuDoujun,
        18 => DoubleRiichi,
        19 => SanshokuDoukou,
        20 => Sankantsu,
        21 => Toitoi,
        22 => Sanankou,
        23 => Shousangen,
        24 => Honroutou,
        25 => Chiitoitsu,
        26 => Junchan,
        27 => Honitsu,
        28 => Ryanpeikou,
        29 => Chinitsu,
        30 => Ippatsu,
        31 => Dora,
        32 => AkaDora,
        33 => UraDora,
        34 => Nukidora,
        35 => Tenhou,
        36 => Chiihou,
        37 => Daisangen,
        38 => Suuankou,
        39 => Tsuuiisou,
        40 => Ryuuiisou,
        41 => Chinroutou,
        42 => KokushiMusou,
        43 => Shousuushii,
        44 => Suukantsu,
        45 => ChuurenPoutou,
        47 => JunseiChuurenPoutou,
        48 => SuuankouTanki,
        49 => KokushiMusou13Wait,
        50 => Daisuushii,
        _ => return None,
    })
}

#[test]
fn all_402_fixtures_agree_on_han_fu_and_yaku() {
    let path = fixture("riichienv/agari_3p.json");
    let text = std::fs::read_to_string(&path).unwrap();
    let file: File =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(file.cases.len(), 402);
    let mut failures = Vec::new();
    for (i, f) in file.cases.iter().enumerate() {
        let got = f.case.score(i, None);
        let mut want: Vec<Yaku> = f
            .expected
            .yaku
            .iter()
            .map(|&id| riichienv_yaku(id).expect("known yaku id"))
            .collect();
        want.sort();
        let mut ours: Vec<Yaku> = got.yaku().collect();
        ours.sort();
        let agree = got.is_win == f.expected.is_win
            && got.han == f.expected.han
            && got.fu == f.expected.fu
            && ours == want;
        let known = KNOWN_DIFFERENCES.iter().any(|&(k, _)| k == i);
        if agree == known {
            failures.push(format!(
                "case {i}: ours {}h {}fu {:?} / expected {}h {}fu {:?}{}",
                got.han,
                got.fu,
                ours,
                f.expected.han,
                f.expected.fu,
                want,
                if known {
                    " (listed as a known difference but agrees: remove it)"
                } else {
                    ""
                }
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of 402 disagree:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
