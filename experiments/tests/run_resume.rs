//! `meowlab run` killed with SIGKILL after a checkpoint resumes from it when started
//! again, and the finished run holds every training step exactly once (steps logged after
//! the checkpoint are dropped and produced again), one evaluation per interval, and a
//! metrics table.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use meowlab::store::arrow::{Array, StringArray, UInt32Array, UInt64Array};
use meowlab::store::TableReader;

const CONFIG: &str = r#"
name = "resume"
env = "CartPole-v1"
total_timesteps = 30_000
seeds = [7]
[eval]
every = 5_000
episodes = 3
[dqn]
learning_starts = 1_000
train_frequency = 1
hidden = [64, 64]
"#;

fn run(config: &Path, out: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_meowlab"));
    c.arg("run")
        .arg(config)
        .arg("--out")
        .arg(out)
        .arg("--quiet");
    c
}

fn u64_column(dir: &Path, column: &str) -> Vec<u64> {
    let reader = TableReader::open(dir, None).unwrap();
    reader
        .read(Some(&[column]))
        .unwrap()
        .iter()
        .flat_map(|b| {
            let col = b.column(0);
            if let Some(a) = col.as_any().downcast_ref::<UInt64Array>() {
                a.values().to_vec()
            } else {
                let a = col.as_any().downcast_ref::<UInt32Array>().unwrap();
                a.values().iter().map(|&v| u64::from(v)).collect()
            }
        })
        .collect()
}

#[test]
fn killed_run_resumes_from_its_checkpoint_without_duplicate_steps() {
    let root = std::env::temp_dir().join(format!("meowlab-run-resume-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).unwrap();
    let config = root.join("resume.toml");
    std::fs::write(&config, CONFIG).unwrap();
    let out = root.join("runs");
    let run_dir = out.join("resume__seed7");

    let mut child = run(&config, &out)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let second = run_dir.join("checkpoints/step-0000010000/runner.json");
    let start = Instant::now();
    while !second.exists() {
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "no checkpoint appeared"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "finished before the kill"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // Let it run past the checkpoint so that there is work to throw away.
    std::thread::sleep(Duration::from_millis(300));
    child.kill().unwrap();
    child.wait().unwrap();

    let output = run(&config, &out).output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("resumed at step"), "{stdout}");

    // Training steps: one row per env step; their episode ids and step indices are
    // consistent (each episode's rows are 0, 1, 2, ... with no repeats).
    let train = run_dir.join("steps/phase=train");
    let episodes = u64_column(&train, "episode_id");
    let indices = u64_column(&train, "step");
    assert_eq!(episodes.len(), 30_000);
    let mut seen = std::collections::HashMap::<u64, u64>::new();
    for (e, i) in episodes.iter().zip(&indices) {
        let next = seen.entry(*e).or_insert(0);
        assert_eq!(*i, *next, "episode {e} step {i} out of order or repeated");
        *next += 1;
    }
    // One evaluation of 3 episodes every 5,000 steps.
    let metric_names: Vec<String> = {
        let reader = TableReader::open(&run_dir.join("metrics"), None).unwrap();
        reader
            .read(Some(&["name"]))
            .unwrap()
            .iter()
            .flat_map(|b| {
                let a = b.column(0).as_any().downcast_ref::<StringArray>().unwrap();
                (0..a.len())
                    .map(|i| a.value(i).to_string())
                    .collect::<Vec<_>>()
            })
            .collect()
    };
    let evals = metric_names
        .iter()
        .filter(|n| *n == "eval/return_mean")
        .count();
    assert_eq!(evals, 6);
    assert!(metric_names.iter().any(|n| n == "train/td_loss"));
    let eval_episodes = u64_column(&run_dir.join("episodes"), "episode_id");
    let eval_steps = u64_column(&run_dir.join("steps/phase=eval"), "episode_id");
    assert!(
        eval_steps.len() >= 6 * 3 * 8,
        "{} eval steps",
        eval_steps.len()
    );
    let mut unique = eval_episodes.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), eval_episodes.len(), "episode ids repeat");

    // A third invocation finds the run finished and does not train again.
    let again = run(&config, &out).output().unwrap();
    assert!(again.status.success());
    assert_eq!(u64_column(&train, "episode_id").len(), 30_000);

    // The same run id under a changed config is refused, naming the run.
    std::fs::write(&config, CONFIG.replace("episodes = 3", "episodes = 4")).unwrap();
    let changed = run(&config, &out).output().unwrap();
    let stderr = String::from_utf8_lossy(&changed.stderr);
    assert!(!changed.status.success());
    assert!(
        stderr.contains("different config") && stderr.contains("run.json"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&root);
}
