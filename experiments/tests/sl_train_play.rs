//! The supervised pipeline end to end through the `meowlab` binary: heuristic games
//! logged with `play --log`, the five models trained by `train-sl` (report, metrics
//! table, safetensors + card), then a model agent seated with `play --seats model:DIR`
//! whose logged policies are probability distributions that put weight on the action it
//! took. A self-play config's seeds run in parallel (`run --jobs`) to the same weights.
//! A missing model is refused with the folder named.

use std::path::Path;
use std::process::Command;

use meowlab::store::arrow::{Array, Float32Array, ListArray, StringArray, UInt16Array, UInt8Array};
use meowlab::store::TableReader;

fn meowlab(args: &[&str], runs: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_meowlab"))
        .args(args)
        .current_dir(runs)
        .output()
        .unwrap()
}

#[test]
fn trained_models_play_and_log_their_policy() {
    let runs = std::env::temp_dir().join(format!("meowlab-sl-play-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&runs);
    std::fs::create_dir_all(&runs).unwrap();
    let out = meowlab(
        &[
            "play",
            "-n",
            "40",
            "--seed",
            "7",
            "--seats",
            "heuristic,heuristic,heuristic",
        ]
        .iter()
        .chain(&["--log", "--quiet", "--run-id", "teacher", "--runs-dir", "."])
        .copied()
        .collect::<Vec<_>>(),
        &runs,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let out = meowlab(
        &[
            "train-sl",
            "--run",
            "teacher",
            "--model",
            "all",
            "--epochs",
            "2",
            "--patience",
            "1",
            "--batch-size",
            "32",
            "--max-train-samples",
            "96",
            "--max-val-samples",
            "64",
            "--quiet",
        ],
        &runs,
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("discard: test accuracy") && stdout.contains("top-3"),
        "{stdout}"
    );
    assert!(stdout.contains("majority class"), "{stdout}");

    let models = runs.join("teacher/models");
    for kind in ["discard", "pon", "kan", "kita", "riichi"] {
        let dir = models.join(format!("{kind}-small"));
        let report: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("report.json")).unwrap())
                .unwrap();
        assert!(report["test"]["samples"].as_u64().unwrap() > 0, "{kind}");
        assert!(!report["epochs"].as_array().unwrap().is_empty(), "{kind}");
        let card: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("model.json")).unwrap())
                .unwrap();
        assert_eq!(card["kind"], kind);
        assert_eq!(card["training"]["config"]["batch_size"], 32);
        // The metrics table has one validation loss per epoch and the test figures.
        let reader = TableReader::open(&dir.join("metrics"), None).unwrap();
        let mut names = Vec::new();
        for batch in reader.read(Some(&["name"])).unwrap() {
            let col = batch
                .column(0)
                .as_any()
                .downcast_ref::<StringArray>()
                .unwrap();
            names.extend((0..col.len()).map(|i| col.value(i).to_string()));
        }
        let epochs = report["epochs"].as_array().unwrap().len();
        assert_eq!(
            names.iter().filter(|n| *n == "val/loss").count(),
            epochs,
            "{kind}"
        );
        assert!(names.iter().any(|n| n == "test/accuracy"), "{kind}");
    }

    // The trained discard model grows into a wider dense layer under a cosine schedule
    // (the custom size names the small preset's convolutions kernel by kernel).
    let grow = |schedule: &str| {
        meowlab(
            &[
                "train-sl",
                "--run",
                "teacher",
                "--model",
                "discard",
                "--preset",
                "c64k1.366x64k3.1x64k3.1-d300",
                "--init",
                "teacher/models/discard-small",
                "--lr-schedule",
                schedule,
                "--warmup-steps",
                "2",
                "--epochs",
                "1",
                "--max-train-samples",
                "64",
                "--max-val-samples",
                "32",
                "--out",
                "teacher/models-grown",
                "--quiet",
            ],
            &runs,
        )
    };
    let out = grow("cosine");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let card: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            runs.join("teacher/models-grown/discard-c64k1.366x64k3.1x64k3.1-d300/model.json"),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(card["preset"]["dense"], 300);
    assert_eq!(card["training"]["config"]["lr_schedule"], "cosine");
    assert_eq!(card["training"]["config"]["warmup_steps"], 2);
    let out = grow("step");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("\"step\""));

    let seat = "model:teacher/models,heuristic,random".to_string();
    let out = meowlab(
        &[
            "play", "-n", "3", "--seed", "50", "--seats", &seat, "--log", "--quiet",
        ]
        .iter()
        .chain(&["--run-id", "model", "--runs-dir", "."])
        .copied()
        .collect::<Vec<_>>(),
        &runs,
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("model"), "{stdout}");

    // Seat 0's logged policies: distributions over the action space, weight on the action
    // taken; the other seats log none.
    let reader = TableReader::open(&runs.join("model/decisions"), None).unwrap();
    let mut model_decisions = 0;
    for batch in reader.read(Some(&["seat", "action", "policy"])).unwrap() {
        let seats = batch
            .column(0)
            .as_any()
            .downcast_ref::<UInt8Array>()
            .unwrap();
        let actions = batch
            .column(1)
            .as_any()
            .downcast_ref::<UInt16Array>()
            .unwrap();
        let policies = batch
            .column(2)
            .as_any()
            .downcast_ref::<ListArray>()
            .unwrap();
        for row in 0..batch.num_rows() {
            if seats.value(row) != 0 {
                assert!(policies.is_null(row));
                continue;
            }
            model_decisions += 1;
            let p = policies.value(row);
            let p = p.as_any().downcast_ref::<Float32Array>().unwrap().values();
            assert_eq!(p.len(), meowlab::sanma::ACTION_SPACE);
            let total: f32 = p.iter().sum();
            assert!((total - 1.0).abs() < 1e-4, "policy sums to {total}");
            assert!(
                p[actions.value(row) as usize] > 0.0,
                "no weight on the action taken"
            );
        }
    }
    assert!(model_decisions > 100, "{model_decisions} model decisions");

    // A self-play config's seeds run `--jobs` at a time, to the weights they reach one
    // after the other.
    let config = concat!(env!("CARGO_MANIFEST_DIR"), "/sanma-reinforce-paper.toml");
    for (jobs, out) in [("2", "parallel"), ("1", "serial")] {
        let args = [
            "run",
            config,
            "--seeds",
            "1,2",
            "--rounds",
            "6",
            "--eval-sets",
            "2",
            "--sl-models",
            "teacher/models",
            "--jobs",
            jobs,
            "--out",
            out,
            "--quiet",
        ];
        let out = meowlab(&args, &runs);
        assert!(
            out.status.success(),
            "--jobs {jobs}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    for seed in [1, 2] {
        let weights = |out: &str| {
            let run = format!("{out}/sanma-reinforce-paper__seed{seed}");
            std::fs::read(runs.join(run).join("final/discard-small/model.safetensors")).unwrap()
        };
        assert!(weights("parallel") == weights("serial"), "seed {seed}");
    }

    // A missing model is refused, naming the folder and the model.
    std::fs::remove_dir_all(models.join("kan-small")).unwrap();
    let out = meowlab(&["play", "-n", "1", "--seats", &seat, "--quiet"], &runs);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("teacher/models") && stderr.contains("no kan model"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&runs);
}
