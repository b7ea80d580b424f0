//! `meowlab eval` through the binary: the summary printed, `evaluation.json` (also at
//! --summary-json) with the keys its documentation promises, `plot eval`, and clear errors
//! for bad flags.

use std::path::Path;
use std::process::Command;

fn meowlab(args: &[&str], dir: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_meowlab"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

#[test]
fn eval_writes_the_documented_summary_and_refuses_bad_flags() {
    let dir = std::env::temp_dir().join(format!("meowlab-eval-cli-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let out = meowlab(
        &[
            "eval",
            "--challenger",
            "heuristic",
            "--opponent",
            "random",
            "--sets",
            "4",
            "--format",
            "both",
            "--runs-dir",
            ".",
            "--run-id",
            "e",
            "--summary-json",
            "summary.json",
            "--quiet",
        ],
        &dir,
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("4 sets × 6 games (both)"), "{stdout}");
    assert!(
        stdout.contains("difference challenger − opponent in avg rank"),
        "{stdout}"
    );
    let read = |p: &str| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(dir.join(p)).unwrap()).unwrap()
    };
    let (e, copy) = (read("e/evaluation.json"), read("summary.json"));
    assert_eq!(e, copy);
    assert_eq!(e["sets"], 4);
    assert_eq!(e["games"], 24);
    for agent in ["challenger", "opponent"] {
        for stat in [
            "avg_rank",
            "first",
            "second",
            "third",
            "bust",
            "avg_score",
            "rank_points",
            "win",
            "deal_in",
            "riichi",
            "call",
        ] {
            let s = &e[agent][stat];
            assert!(s["mean"].is_number(), "{agent}.{stat}: {s}");
            assert!(
                s["ci95"].as_array().is_some_and(|a| a.len() == 2),
                "{agent}.{stat}: {s}"
            );
        }
        for place in ["first", "second", "third", "none"] {
            let rate = e["per_round"][agent][place].as_f64().unwrap();
            assert!((0.0..=1.0).contains(&rate));
        }
    }
    for d in ["avg_rank", "rank_points"] {
        let x = &e["difference"][d];
        assert!(
            x["mean"].is_number() && x["p_value"].is_number() && x["ci95"].is_array(),
            "{x}"
        );
    }
    assert!(
        e["difference"]["avg_rank"]["mean"].as_f64().unwrap() < 0.0,
        "heuristic beats random"
    );
    assert!(e["per_round"]["p_value"].is_number());

    let out = meowlab(
        &["plot", "eval", "e", "--per-round", "-o", "per-round.svg"],
        &dir,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(std::fs::read_to_string(dir.join("per-round.svg"))
        .unwrap()
        .contains("no change"));

    for (args, expected) in [
        (
            vec!["eval", "--challenger", "heuristic", "--format", "3v0"],
            "--format",
        ),
        (vec!["eval", "--challenger", "robot"], "unknown agent"),
        (
            vec!["eval", "--challenger", "heuristic", "--uma", "30,0"],
            "--uma takes three numbers",
        ),
        (
            vec![
                "eval",
                "--challenger",
                "heuristic",
                "--sets",
                "0",
                "--runs-dir",
                ".",
                "--run-id",
                "z",
            ],
            "positive",
        ),
        (
            vec![
                "eval",
                "--challenger",
                "heuristic",
                "--runs-dir",
                ".",
                "--run-id",
                "e",
            ],
            "exists",
        ),
    ] {
        let out = meowlab(&args, &dir);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success() && stderr.contains(expected),
            "{args:?}: {stderr}"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
