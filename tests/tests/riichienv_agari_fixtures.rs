//! The 402 sanma winning hands of riichienv-core's `agari_3p.json`: han, fu and yaku must
//! agree with their expected values. Deliberate Tenhou differences would be listed in
//! `KNOWN_DIFFERENCES` with their source; today there are none.

use meowlab::hand::case::Case;
use meowlab::hand::Yaku;
use meowlab_tests::fixture;
use meowlab_tests::riichienv::yaku_of_id;
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
            .map(|&id| yaku_of_id(id).expect("known yaku id"))
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
