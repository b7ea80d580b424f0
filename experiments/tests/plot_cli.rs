//! `meowlab plot` through the binary on runs written by the store: curves per task and
//! against wall-clock time or updates, aggregate statistics (table, JSON, figure), a grid
//! of panels, `plot check` — and clear errors for what cannot be drawn.

use std::path::{Path, PathBuf};
use std::process::Command;

use meowlab::store::{MetricsLogger, Run, WriterOptions};

fn meowlab(args: &[&str], dir: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_meowlab"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

fn ok(out: &std::process::Output) -> String {
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn err(out: &std::process::Output) -> String {
    assert!(
        !out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Two algorithms on two envs, three seeds each, logging evaluations and updates.
fn runs(root: &Path) {
    for (name, env, base) in [
        ("cartpole-ppo", "CartPole-v1", 400.0),
        ("cartpole-dqn", "CartPole-v1", 300.0),
        ("acrobot-ppo", "Acrobot-v1", -120.0),
        ("acrobot-dqn", "Acrobot-v1", -90.0),
    ] {
        for seed in 1..=3u64 {
            let config = serde_json::json!({ "name": name, "env": env });
            let id = format!("{name}__seed{seed}");
            let mut run = Run::create(root, &id, "run", seed, config).unwrap();
            let mut m = MetricsLogger::create(&run, WriterOptions::default()).unwrap();
            for k in 1..=5u64 {
                let value = base * k as f64 / 5.0 + seed as f64;
                m.log(k * 1000, k as f64 * 0.5, "eval/return_mean", value);
                m.log(k * 1000, k as f64 * 0.5, "train/updates", (k * 10) as f64);
            }
            m.flush().unwrap();
            run.finish(true).unwrap();
        }
    }
}

fn fresh(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("meowlab-plot-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn aggregate_curves_grid_and_check() {
    let dir = fresh("all");
    runs(&dir.join("runs"));
    // aggregate: the table, the JSON and a figure that passes the text checks
    let out = ok(&meowlab(
        &[
            "plot",
            "aggregate",
            "runs",
            "--reps",
            "500",
            "--profile-reps",
            "200",
            "--json",
            "agg.json",
            "-o",
            "agg.svg",
        ],
        &dir,
    ));
    assert!(
        out.contains("dqn (6, 2 tasks)") && out.contains("P(ppo > dqn)"),
        "{out}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("agg.json")).unwrap()).unwrap();
    let iqm = &json["summary"]["statistics"]["ppo"]["IQM"];
    assert!(iqm["lo"].as_f64() <= iqm["point"].as_f64(), "{iqm}");
    assert_eq!(json["raw"][0]["tasks"][0], "Acrobot-v1");
    ok(&meowlab(&["plot", "check", "agg.svg"], &dir));
    // curves: one panel per env, by wall-clock time and by updates
    for x in ["wall", "updates", "steps"] {
        let file = format!("curves-{x}.svg");
        ok(&meowlab(
            &[
                "plot",
                "curves",
                "runs",
                "--per-task",
                "--x",
                x,
                "-o",
                &file,
            ],
            &dir,
        ));
        let svg = std::fs::read_to_string(dir.join(&file)).unwrap();
        assert!(svg.contains("(a) Acrobot-v1") && svg.contains("(b) CartPole-v1"));
        ok(&meowlab(&["plot", "check", &file], &dir));
    }
    assert!(std::fs::read_to_string(dir.join("curves-wall.svg"))
        .unwrap()
        .contains("wall-clock time (s)"));
    // a grid of kinds
    ok(&meowlab(
        &[
            "plot",
            "grid",
            "--columns",
            "3",
            "--panel",
            "curves runs --per-task",
            "--panel",
            "aggregate runs --only iqm --reps 200",
            "-o",
            "grid.png",
        ],
        &dir,
    ));
    assert!(dir.join("grid.png").is_file());
    // errors name what is wrong
    let e = err(&meowlab(
        &["plot", "curves", "runs", "--log-y", "-o", "log.svg"],
        &dir,
    ));
    assert!(e.contains("log y axis") && e.contains("acrobot"), "{e}");
    let e = err(&meowlab(
        &[
            "plot",
            "grid",
            "--panel",
            "curves runs -o x.svg",
            "-o",
            "g.svg",
        ],
        &dir,
    ));
    assert!(
        e.contains("--panel 1") && e.contains("output options"),
        "{e}"
    );
    let e = err(&meowlab(
        &["plot", "curves", "runs", "--x", "train/nope", "-o", "n.svg"],
        &dir,
    ));
    assert!(e.contains("train/nope"), "{e}");
    std::fs::write(dir.join("scores.json"), r#"{"x": {"Hopper-v4": [1, 2]}}"#).unwrap();
    let e = err(&meowlab(
        &[
            "plot",
            "aggregate",
            "--scores",
            "scores.json",
            "-o",
            "s.svg",
        ],
        &dir,
    ));
    assert!(
        e.contains("Hopper-v4") && e.contains("TASK=LOW:HIGH"),
        "{e}"
    );
    ok(&meowlab(
        &[
            "plot",
            "aggregate",
            "--scores",
            "scores.json",
            "--range",
            "Hopper-v4=0:3",
            "--reps",
            "200",
            "-o",
            "s.svg",
        ],
        &dir,
    ));
    // `plot check` fails a figure whose labels overlap
    std::fs::write(
        dir.join("bad.svg"),
        "<svg width=\"100\" height=\"50\" viewBox=\"0 0 100 50\"><text x=\"10\" y=\"10\" font-size=\"8\">overlapping</text><text x=\"12\" y=\"11\" font-size=\"8\">labels</text></svg>",
    )
    .unwrap();
    let out = meowlab(&["plot", "check", "bad.svg"], &dir);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("overlap"));
}
