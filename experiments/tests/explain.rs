//! `meowlab explain` on a logged run with a freshly trained discard model: every
//! explanation has the 20 block players, satisfies efficiency (Σφ = v(F) − v(∅)), points
//! at a logged decision, and a second call appends new ids; the learned conditioning
//! trains its surrogate once and reuses it, with the finer players and standard errors;
//! bad requests are errors.

use std::path::Path;
use std::process::Command;

use meowlab::store::browse;

fn meowlab(args: &[&str], dir: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_meowlab"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

fn ok(args: &[&str], dir: &Path) -> String {
    let out = meowlab(args, dir);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn explanations_of_discard_decisions_are_efficient_and_point_at_logged_decisions() {
    let dir = std::env::temp_dir().join(format!("meowlab-explain-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    ok(
        &[
            "play",
            "--games",
            "30",
            "--seats",
            "heuristic,heuristic,heuristic",
            "--log",
            "--quiet",
            "--runs-dir",
            "runs",
            "--run-id",
            "t",
        ],
        &dir,
    );
    ok(
        &[
            "train-sl",
            "--run",
            "runs/t",
            "--model",
            "discard",
            "--epochs",
            "1",
            "--max-train-samples",
            "300",
            "--max-val-samples",
            "100",
            "--quiet",
        ],
        &dir,
    );
    let args = [
        "explain",
        "--run",
        "runs/t",
        "--agent",
        "runs/t/models/discard-small",
        "--states",
        "4",
        "--background",
        "500",
        "--conditioning",
        "exact-matching",
        "--quiet",
    ];
    let printed = ok(&args, &dir);
    assert!(
        printed.contains("explained 4 discard decisions"),
        "{printed}"
    );
    ok(&args, &dir); // appends

    let learned = [
        "explain",
        "--run",
        "runs/t",
        "--agent",
        "runs/t/models/discard-small",
        "--states",
        "3",
        "--players",
        "hand-kinds",
        "--conditioning",
        "learned",
        "--quantity",
        "logged",
        "--surrogate-epochs",
        "2",
        "--quiet",
    ];
    let printed = ok(&learned, &dir);
    assert!(printed.contains("surrogate trained"), "{printed}");
    let printed = ok(&learned, &dir);
    assert!(printed.contains("surrogate reused"), "{printed}");
    let saved = dir.join("runs/t/models/discard-small/surrogates/t-legal/surrogate.json");
    assert!(saved.exists(), "{}", saved.display());

    // a figure per situation, with its numbers printed
    let printed = ok(
        &[
            "plot",
            "shapley",
            "runs/t",
            "--players",
            "20",
            "--where",
            "early",
            "-o",
            "early.png",
        ],
        &dir,
    );
    assert!(
        printed.contains("explained decisions are early"),
        "{printed}"
    );
    assert!(
        printed.contains("mean |φ| over") && printed.contains("own_hand"),
        "{printed}"
    );
    assert!(dir.join("early.png").exists());
    let several = meowlab(&["plot", "shapley", "runs/t", "-o", "all.png"], &dir);
    assert!(!several.status.success());
    assert!(String::from_utf8_lossy(&several.stderr).contains("45 players"));

    let run = dir.join("runs/t");
    let loaded = browse::explanations(&run).unwrap();
    assert!(loaded.problems.is_empty());
    let ids: Vec<u64> = loaded.rows.iter().map(|e| e.explanation_id).collect();
    assert_eq!(ids, (0..14).collect::<Vec<_>>());
    let (exact, learned): (Vec<_>, Vec<_>) = loaded.rows.iter().partition(|e| e.explanation_id < 8);
    for e in &learned {
        assert_eq!(e.players.len(), 45);
        assert!(e.players.contains(&"hand 5p".to_string()));
        assert_eq!(e.conditioning, "on-manifold (learned)");
        assert!(e.method.starts_with("sampled ("), "{}", e.method);
        let stderr = e
            .stderr
            .as_ref()
            .expect("sampled values have standard errors");
        assert!(stderr.iter().all(|s| s.is_finite() && *s >= 0.0));
        let sum: f64 = e.values.iter().sum();
        assert!((sum - (e.full - e.base)).abs() < 1e-9);
    }
    // the same sampled decisions, as the seed fixes them: the second call repeats the first
    assert_eq!(learned[0].values, learned[3].values);
    for e in &exact {
        assert_eq!(e.players.len(), 20);
        assert!(e.players.contains(&"own_hand".to_string()));
        let sum: f64 = e.values.iter().sum();
        assert!(
            (sum - (e.full - e.base)).abs() < 1e-9,
            "efficiency: {sum} vs {}",
            e.full - e.base
        );
        assert!((0.0..=1.0).contains(&e.full) && e.target.starts_with("p("));
        assert_eq!(e.conditioning, "on-manifold (exact matching)");
        let decisions = browse::decisions(&run, e.game_id.unwrap()).unwrap().rows;
        let d = decisions
            .iter()
            .find(|d| d.step == e.step.unwrap())
            .expect("a logged decision");
        assert!(d.observation.is_some() && d.legal.iter().any(|&a| a < 74));
    }

    let out = meowlab(
        &[
            "explain",
            "--run",
            "runs/t",
            "--agent",
            "runs/t/models/discard-small",
            "--kind",
            "value",
        ],
        &dir,
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--kind policy"));
    let out = meowlab(
        &[
            "explain",
            "--run",
            "runs/t",
            "--agent",
            "runs/t/models/discard-small",
            "--players",
            "tiles",
        ],
        &dir,
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("blocks, hand-kinds"));
    let out = meowlab(
        &[
            "explain",
            "--run",
            "runs/t",
            "--agent",
            "runs/t/models/nothing",
        ],
        &dir,
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("models/nothing"));
}

const PPO_CONFIG: &str = r#"
name = "explain-ppo"
env = "CartPole-v1"
total_timesteps = 8_192
seeds = [3]
[eval]
every = 4_096
episodes = 3
[ppo]
num_envs = 4
num_steps = 128
hidden = [16, 16]
"#;

#[test]
fn control_runs_are_explained_at_states_of_the_checkpoints_own_evaluation() {
    let dir = std::env::temp_dir().join(format!("meowlab-explain-ctl-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("ppo.toml"), PPO_CONFIG).unwrap();
    ok(&["run", "ppo.toml", "--out", "runs", "--quiet"], &dir);
    let run = dir.join("runs/explain-ppo__seed3");
    let explain = |extra: &[&str]| {
        let mut args = vec!["explain", "--run", "runs/explain-ppo__seed3", "--quiet"];
        args.extend_from_slice(extra);
        ok(&args, &dir)
    };
    let printed = explain(&["--kind", "policy", "--states", "12"]);
    assert!(printed.contains("explained 12 states"), "{printed}");
    explain(&[
        "--kind",
        "value",
        "--states",
        "5",
        "--conditioning",
        "interventional",
    ]);
    explain(&[
        "--kind",
        "performance-global",
        "--states",
        "2",
        "--rollouts",
        "2",
        "--background",
        "200",
    ]);

    // the checkpoint's own evaluation: the episodes logged at the final step
    let final_step = browse::episodes(&run)
        .unwrap()
        .rows
        .iter()
        .filter(|e| e.phase == "eval")
        .map(|e| e.global_step)
        .max()
        .unwrap();
    let evaluated: Vec<(u64, u32)> = browse::episodes(&run)
        .unwrap()
        .rows
        .iter()
        .filter(|e| e.phase == "eval" && e.global_step == final_step)
        .map(|e| (e.episode_id, e.length))
        .collect();
    let loaded = browse::explanations(&run).unwrap();
    assert!(loaded.problems.is_empty());
    assert_eq!(loaded.rows.len(), 12 + 5 + 2);
    for (i, e) in loaded.rows.iter().enumerate() {
        assert_eq!(e.explanation_id, i as u64);
        assert_eq!(
            e.players,
            [
                "cart position",
                "cart velocity",
                "pole angle",
                "pole angular velocity"
            ]
        );
        let (episode, step) = (e.episode_id.unwrap(), e.step.unwrap());
        let length = evaluated
            .iter()
            .find(|(id, _)| *id == episode)
            .map(|(_, len)| *len)
            .expect("an episode of the final evaluation");
        assert!(step < length && e.game_id.is_none());
        let sum: f64 = e.values.iter().sum();
        assert!((sum - (e.full - e.base)).abs() < 1e-9);
    }
    let kinds: Vec<&str> = loaded.rows.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds[0], "policy");
    assert_eq!(kinds[12], "value");
    assert_eq!(kinds[17], "performance_global");
    assert_eq!(
        loaded.rows[12].conditioning,
        "interventional (off-manifold)"
    );
    assert_eq!(loaded.rows[0].conditioning, "on-manifold (kernel)");
    assert_eq!(loaded.rows[17].stderr.as_ref().map(Vec::len), Some(4));

    let out = meowlab(
        &[
            "explain",
            "--run",
            "runs/explain-ppo__seed3",
            "--kind",
            "performance",
            "--rollouts",
            "0",
        ],
        &dir,
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("at least one rollout"));
    let out = meowlab(
        &[
            "explain",
            "--run",
            "runs/explain-ppo__seed3",
            "--agent",
            "runs/explain-ppo__seed3/checkpoints/nothing",
        ],
        &dir,
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("checkpoints/nothing"));
}
