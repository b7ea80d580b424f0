//! Samples for the five Meowjong models come out of a run logged by `meowlab play --log`:
//! every discard decision gives a discard sample whose tile is in the encoded hand or is
//! the target tile, binary models only see decisions where their call was legal, and each
//! game lands in exactly one split.

use std::process::Command;

use meowlab::meowjong::dataset::{extract, Split};
use meowlab::meowjong::model::ModelKind;
use meowlab::sanma::planes::Planes;

#[test]
fn logged_heuristic_games_give_samples_for_every_model() {
    let runs = std::env::temp_dir().join(format!("meowlab-sl-dataset-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&runs);
    let status = Command::new(env!("CARGO_BIN_EXE_meowlab"))
        .args([
            "play", "--games", "12", "--seed", "3", "--log", "--quiet", "--run-id", "sl",
        ])
        .arg("--runs-dir")
        .arg(&runs)
        .status()
        .unwrap();
    assert!(status.success());
    let run = runs.join("sl");

    let discard = extract(&run, ModelKind::Discard).unwrap();
    assert!(
        discard.labels.len() > 500,
        "{} discard samples",
        discard.labels.len()
    );
    for (obs, &y) in discard.observations.iter().zip(&discard.labels) {
        let planes = Planes::from_bytes(obs).unwrap();
        let row = y as usize;
        // The discarded kind is the target tile or in the hand (thermometer column 1).
        assert!(
            planes.get(row, 0) || planes.get(row, 1),
            "label {y} not in hand or target"
        );
    }
    let all = discard.labels.len();
    let split_total: usize = [Split::Train, Split::Val, Split::Test]
        .iter()
        .map(|&s| discard.indices(s, 0).len())
        .sum();
    assert_eq!(split_total, all);
    let counts = discard.class_counts(&discard.indices(Split::Train, 0), 34);
    assert_eq!(
        counts[1..8].iter().sum::<usize>(),
        0,
        "2m–8m do not exist in sanma"
    );

    for kind in [ModelKind::Pon, ModelKind::Kita, ModelKind::Riichi] {
        let s = extract(&run, kind).unwrap();
        assert!(!s.labels.is_empty(), "{kind:?}");
        assert!(s.labels.iter().all(|&y| y <= 1));
        assert!(
            s.labels.contains(&1),
            "{kind:?}: the heuristic bot does it sometimes"
        );
    }
    let _ = std::fs::remove_dir_all(&runs);
}
