//! Explanations written in long form come back as the explanations that were recorded;
//! a corrupt shard is reported by name and the rest still loads.

use meowlab_store::browse;
use meowlab_store::{Explanation, ExplanationLogger, Run, WriterOptions};

fn explanation(id: u64, sampled: bool) -> Explanation {
    Explanation {
        explanation_id: id,
        kind: "policy".into(),
        target: "p(discard 5p)".into(),
        conditioning: "on-manifold (exact matching)".into(),
        method: if sampled {
            "sampled (64 pairs)"
        } else {
            "exact"
        }
        .into(),
        game_id: Some(3),
        step: Some(40 + id as u32),
        episode_id: None,
        players: vec!["own_hand".into(), "dora_indicators".into(), "scores".into()],
        values: vec![0.25, -0.125 * id as f64, 1e-17],
        stderr: sampled.then(|| vec![0.01, 0.02, 0.0]),
        base: 0.1,
        full: 0.225,
    }
}

#[test]
fn explanations_round_trip_and_a_corrupt_shard_is_named() {
    let root = std::env::temp_dir().join(format!("meowlab-expl-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let run = Run::create(&root, "r", "explain", 0, Default::default()).unwrap();
    let mut log = ExplanationLogger::create(&run, WriterOptions::default()).unwrap();
    let written = vec![explanation(0, false), explanation(1, true)];
    for e in &written {
        log.record(e.clone());
    }
    log.flush().unwrap();
    log.record(explanation(2, false));
    log.flush().unwrap();
    let read = browse::explanations(run.dir()).unwrap();
    assert!(read.problems.is_empty());
    assert_eq!(read.rows.len(), 3);
    assert_eq!(read.rows[..2], written[..]);

    // break the second shard: the first still loads, the problem names the file
    let dir = run.dir().join("explanations");
    let mut shards: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    shards.sort();
    std::fs::write(&shards[1], b"not parquet").unwrap();
    let read = browse::explanations(run.dir()).unwrap();
    assert_eq!(read.rows, written);
    assert_eq!(read.problems.len(), 1);
    assert!(read.problems[0]
        .to_string()
        .contains(&*shards[1].file_name().unwrap().to_string_lossy()));
}
