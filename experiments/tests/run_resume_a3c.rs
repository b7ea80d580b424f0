//! A3C under `meowlab run --deterministic`, killed with SIGKILL after a checkpoint: the
//! resumed run keeps the shards committed at the checkpoint byte for byte (they equal an
//! uninterrupted run's), logs every training step once with its thread, and two resumes
//! from the same checkpoint write the same files.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use meowlab::store::arrow::{Array, UInt32Array, UInt64Array};
use meowlab::store::TableReader;

const CONFIG: &str = r#"
name = "a3c-resume"
env = "CartPole-v1"
total_timesteps = 300_000
seeds = [3]
[eval]
every = 20_000
episodes = 2
[a3c]
threads = 3
"#;

fn run(config: &Path, out: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_meowlab"));
    c.arg("run")
        .arg(config)
        .arg("--out")
        .arg(out)
        .arg("--deterministic")
        .arg("--quiet");
    c
}

fn column(dir: &Path, name: &str) -> Vec<Option<u64>> {
    let reader = TableReader::open(dir, None).unwrap();
    reader
        .read(Some(&[name]))
        .unwrap()
        .iter()
        .flat_map(|b| {
            let col = b.column(0);
            let get = |i: usize| -> Option<u64> {
                if col.is_null(i) {
                    None
                } else if let Some(a) = col.as_any().downcast_ref::<UInt64Array>() {
                    Some(a.value(i))
                } else {
                    Some(u64::from(
                        col.as_any().downcast_ref::<UInt32Array>().unwrap().value(i),
                    ))
                }
            };
            (0..col.len()).map(get).collect::<Vec<_>>()
        })
        .collect()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Every Parquet shard under the run's tables, by relative path.
fn shards(run: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for table in ["steps", "episodes"] {
        for shard in meowlab::store::table::shards(&run.join(table)).unwrap() {
            let rel = shard.strip_prefix(run).unwrap().display().to_string();
            out.push((rel, std::fs::read(&shard).unwrap()));
        }
    }
    out
}

fn latest_step(run: &Path) -> Option<u64> {
    let name = std::fs::read_to_string(run.join("checkpoints/LATEST")).ok()?;
    name.trim().strip_prefix("step-")?.parse().ok()
}

#[test]
fn killed_a3c_run_resumes_and_round_robin_resumes_agree() {
    let root: PathBuf =
        std::env::temp_dir().join(format!("meowlab-a3c-resume-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).unwrap();
    let config = root.join("a3c.toml");
    std::fs::write(&config, CONFIG).unwrap();
    let id = "a3c-resume__seed3";

    // An uninterrupted run.
    let whole = run(&config, &root.join("whole")).output().unwrap();
    assert!(
        whole.status.success(),
        "{}",
        String::from_utf8_lossy(&whole.stderr)
    );

    // The same run, killed after its second checkpoint.
    let out = root.join("killed");
    let run_dir = out.join(id);
    let mut child = run(&config, &out)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while latest_step(&run_dir).is_none_or(|s| s < 40_000) {
        assert!(start.elapsed() < Duration::from_secs(120), "no checkpoint");
        assert!(
            child.try_wait().unwrap().is_none(),
            "finished before the kill"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    std::thread::sleep(Duration::from_millis(100));
    child.kill().unwrap();
    child.wait().unwrap();
    let checkpoint = latest_step(&run_dir).unwrap();
    assert!(checkpoint < 300_000, "killed before the end");
    assert!(!run_dir.join("summary.json").exists());
    copy_dir(&out, &root.join("killed-copy"));

    // Shards committed at the checkpoint equal the uninterrupted run's.
    let runner: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(
            run_dir.join(format!("checkpoints/step-{checkpoint:010}/runner.json")),
        )
        .unwrap(),
    )
    .unwrap();
    let committed: Vec<String> = runner["shards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .filter(|s| !s.starts_with("metrics"))
        .collect();
    assert!(committed.len() >= 4, "{committed:?}");
    for rel in &committed {
        let a = std::fs::read(root.join("whole").join(id).join(rel)).unwrap();
        let b = std::fs::read(run_dir.join(rel)).unwrap();
        assert!(a == b, "{rel} differs from the uninterrupted run's");
    }

    // Resume it, and its copy.
    for out in [&out, &root.join("killed-copy")] {
        let resumed = run(&config, out).output().unwrap();
        let stdout = String::from_utf8_lossy(&resumed.stdout);
        assert!(resumed.status.success(), "{stdout}");
        assert!(
            stdout.contains(&format!("resumed at step {checkpoint}")),
            "{stdout}"
        );
    }
    assert_eq!(
        shards(&run_dir),
        shards(&root.join("killed-copy").join(id)),
        "two resumes from one checkpoint differ"
    );

    // Every training step once, in per-episode order, each with its thread.
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run_dir.join("summary.json")).unwrap())
            .unwrap();
    let train = run_dir.join("steps/phase=train");
    let episodes = column(&train, "episode_id");
    let indices = column(&train, "step");
    let threads = column(&train, "thread");
    assert_eq!(
        episodes.len() as u64,
        summary["global_step"].as_u64().unwrap()
    );
    let mut next = std::collections::HashMap::<u64, (u64, u64)>::new();
    for ((e, i), t) in episodes.iter().zip(&indices).zip(&threads) {
        let (e, i, t) = (
            e.unwrap(),
            i.unwrap(),
            t.expect("a thread on every train step"),
        );
        assert!(t < 3);
        let entry = next.entry(e).or_insert((0, t));
        assert_eq!(i, entry.0, "episode {e} step {i} out of order or repeated");
        assert_eq!(t, entry.1, "episode {e} changed threads");
        entry.0 += 1;
    }
    let ep_threads = column(&run_dir.join("episodes"), "thread");
    assert!(ep_threads.contains(&Some(2)));
    assert!(
        ep_threads.iter().any(|t| t.is_none()),
        "evaluation episodes"
    );
    let meta = std::fs::read_to_string(run_dir.join("run.json")).unwrap();
    assert!(
        !meta.contains("nondeterminism"),
        "round-robin runs are reproducible"
    );
    let _ = std::fs::remove_dir_all(&root);
}
