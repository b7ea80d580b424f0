//! Logs in and out through the `meowlab` binary: bots' games exported as tenhou.net/6
//! and mjai import back as the same games (every score and every decision), the imported
//! run trains models like a played one, and `review` annotates every decision of it with
//! the model's probabilities, which the workbench reads.

use std::path::Path;
use std::process::Command;

use meowlab::store::browse;

fn meowlab(args: &[&str], dir: &Path) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_meowlab"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "meowlab {}: {stdout}\n{}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[test]
fn export_import_train_and_review() {
    let dir = std::env::temp_dir().join(format!("meowlab-import-cli-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    meowlab(
        &[
            "play",
            "-n",
            "30",
            "--seed",
            "3",
            "--seats",
            "heuristic,heuristic,random",
            "--log",
            "--run-id",
            "bots",
            "--runs-dir",
            ".",
            "--quiet",
        ],
        &dir,
    );
    meowlab(&["export", "--run", "bots", "--out", "t6"], &dir);
    meowlab(
        &["export", "--run", "bots", "--format", "mjai", "--out", "mj"],
        &dir,
    );
    // one game to standard output, as Tenhou's viewer takes it
    let one: serde_json::Value =
        serde_json::from_str(&meowlab(&["export", "--run", "bots", "--game", "5"], &dir)).unwrap();
    assert_eq!(one["ref"], "meowlab-bots-5");
    assert_eq!(one["log"][0].as_array().unwrap().len(), 17);

    for (from, id) in [("t6", "back-t6"), ("mj", "back-mj")] {
        let summary = format!("{id}.json");
        meowlab(
            &[
                "import",
                from,
                "--run-id",
                id,
                "--runs-dir",
                ".",
                "--strict",
                "--quiet",
                "--summary-json",
                &summary,
            ],
            &dir,
        );
        let summary = dir.join(summary);
        let s: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&summary).unwrap()).unwrap();
        assert_eq!(s["games_imported"], 30, "{s}");
        assert_eq!(s["games_skipped"], 0, "{s}");
        // the same games: scores, ranks, hands, decisions and events
        let played = browse::games(&dir.join("bots")).unwrap().rows;
        let back = browse::games(&dir.join(id)).unwrap().rows;
        let mut back_by_source: Vec<_> = back
            .iter()
            .map(|g| (g.source.clone().unwrap(), g))
            .collect();
        back_by_source.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(back.len(), played.len());
        for p in &played {
            let b = back
                .iter()
                .find(|b| b.source.as_deref() == Some(&format!("meowlab-bots-{}", p.game_id)))
                .unwrap();
            assert_eq!(
                (b.scores, b.ranks, b.kyoku_count, b.decision_count),
                (p.scores, p.ranks, p.kyoku_count, p.decision_count)
            );
            // every event (a call a ron overrode is not in any log: compare what happened)
            let events = |run: &str, g: u64| browse::game_events(&dir.join(run), g).unwrap().rows;
            assert_eq!(events(id, b.game_id)[1..], events("bots", p.game_id)[1..]);
        }
    }

    // the imported run trains models like a played one, and they review it
    meowlab(
        &[
            "train-sl",
            "--run",
            "back-t6",
            "--model",
            "all",
            "--epochs",
            "1",
            "--batch-size",
            "32",
            "--max-train-samples",
            "96",
            "--max-val-samples",
            "64",
            "--out",
            "models",
            "--quiet",
        ],
        &dir,
    );
    let out = meowlab(
        &[
            "review",
            "--run",
            "back-t6",
            "--agent",
            "model:models",
            "--quiet",
        ],
        &dir,
    );
    assert!(out.contains("decisions reviewed"), "{out}");
    let run_dir = dir.join("back-t6");
    let games = browse::games(&run_dir).unwrap().rows;
    let mut reviewed = 0;
    for g in &games {
        let decisions = browse::decisions(&run_dir, g.game_id).unwrap().rows;
        let review = browse::review(&run_dir, Some(g.game_id)).unwrap().rows;
        assert_eq!(
            review.len(),
            decisions.len(),
            "every decision of game {}",
            g.game_id
        );
        for (r, d) in review.iter().zip(&decisions) {
            assert_eq!((r.step, r.seat, r.action), (d.step, d.seat, d.action));
            let total: f32 = r.policy.iter().sum();
            assert!((total - 1.0).abs() < 1e-3, "a distribution: {total}");
            assert!(
                d.legal.contains(&r.preferred),
                "the preferred action is legal"
            );
            let best = r.policy.iter().copied().fold(0.0, f32::max);
            assert!((r.gap - (best - r.p_action)).abs() < 1e-6 && r.p_action >= 0.0);
            assert!(r.reviewer.starts_with("model:"));
        }
        reviewed += review.len();
    }
    assert!(reviewed > 1_000);
    // one seat only
    meowlab(
        &[
            "review",
            "--run",
            "back-t6",
            "--agent",
            "model:models",
            "--seat",
            "1",
            "--quiet",
        ],
        &dir,
    );
    let review = browse::review(&run_dir, None).unwrap().rows;
    assert!(!review.is_empty() && review.iter().all(|r| r.seat == 1));
    std::fs::remove_dir_all(&dir).ok();
}
