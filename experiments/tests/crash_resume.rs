//! A run killed with SIGKILL mid-way keeps every completed shard readable and shows
//! nothing half-written; running the same command again resumes it and ends with every
//! game logged exactly once.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use meowlab::store::arrow::{Array, UInt64Array};
use meowlab::store::sanma::{decisions_schema, games_schema};
use meowlab::store::{Run, RunStatus, TableReader};

fn play(runs: &std::path::Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_meowlab"));
    c.args([
        "play",
        "--games",
        "400",
        "--seats",
        "random,random,heuristic",
        "--log",
        "--quiet",
        "--games-per-shard",
        "5",
        "--run-id",
        "crash",
    ])
    .arg("--runs-dir")
    .arg(runs)
    .stdout(Stdio::null())
    .stderr(Stdio::null());
    c
}

fn game_ids(run: &Run) -> Vec<u64> {
    let reader = TableReader::open(&run.dir().join("games"), Some(games_schema())).unwrap();
    let mut ids: Vec<u64> = reader
        .read(Some(&["game_id"]))
        .unwrap()
        .iter()
        .flat_map(|b| {
            b.column(0)
                .as_any()
                .downcast_ref::<UInt64Array>()
                .unwrap()
                .values()
                .to_vec()
        })
        .collect();
    ids.sort_unstable();
    ids
}

#[test]
fn sigkill_leaves_complete_shards_and_the_run_resumes() {
    let runs = std::env::temp_dir().join(format!("meowlab-crash-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&runs);
    let mut child = play(&runs).spawn().unwrap();
    let shard = runs.join("crash/games/part-00003.parquet");
    let start = Instant::now();
    while !shard.exists() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "no shard after 60 s"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap(); // SIGKILL on unix
    child.wait().unwrap();

    let run = Run::open(&runs.join("crash")).unwrap();
    assert_eq!(
        run.meta().status,
        RunStatus::Running,
        "a killed run is not marked complete"
    );
    let ids = game_ids(&run);
    assert!(
        ids.len() >= 15 && ids.len() < 400,
        "{} games survived",
        ids.len()
    );
    assert_eq!(
        ids,
        (0..ids.len() as u64).collect::<Vec<_>>(),
        "complete shards hold whole games in order"
    );
    // every completed decisions shard reads, and holds exactly the surviving games
    let decisions =
        TableReader::open(&run.dir().join("decisions"), Some(decisions_schema())).unwrap();
    for b in decisions.read(Some(&["game_id"])).unwrap() {
        let c = b.column(0).as_any().downcast_ref::<UInt64Array>().unwrap();
        assert!(c.iter().flatten().all(|id| id < ids.len() as u64));
    }

    let status = play(&runs).status().unwrap();
    assert!(status.success());
    let run = Run::open(&runs.join("crash")).unwrap();
    assert_eq!(run.meta().status, RunStatus::Complete);
    assert_eq!(game_ids(&run), (0..400).collect::<Vec<_>>());
    let _ = std::fs::remove_dir_all(&runs);
}
