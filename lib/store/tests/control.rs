//! Control tables: steps (partitioned by phase) and episodes round-trip exactly.

use meowlab_store::arrow::{
    Array, FixedSizeListArray, Float32Array, Float64Array, UInt32Array, UInt64Array,
};
use meowlab_store::control::{episodes_schema, steps_schema, Phase, Step};
use meowlab_store::{ControlLogger, Run, TableReader, WriterOptions};

/// The nullable `thread` column of a table, row by row.
fn thread_column(table: &TableReader) -> Vec<Option<u32>> {
    table
        .read(Some(&["thread"]))
        .unwrap()
        .iter()
        .flat_map(|b| {
            let a = b.column(0).as_any().downcast_ref::<UInt32Array>().unwrap();
            (0..a.len())
                .map(|i| a.is_valid(i).then(|| a.value(i)))
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn steps_and_episodes_round_trip_with_hive_phases() {
    let root = std::env::temp_dir().join(format!("meowlab-control-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let run = Run::create(&root, "c", "test", 1, serde_json::Value::Null).unwrap();
    let mut log = ControlLogger::create(&run, 4, 1, WriterOptions::default()).unwrap();
    log.batch_rows = 7; // exercise several batches
    let mut want = Vec::new();
    for ep in 0..5u64 {
        let phase = if ep == 4 { Phase::Eval } else { Phase::Train };
        for t in 0..20u32 {
            let obs = [ep as f32, t as f32, 0.5, -1.0];
            let step = Step {
                observation: &obs,
                action: &[(t % 2) as f32],
                reward: 1.0,
                terminated: t == 19,
                truncated: false,
                log_prob: None,
                value: Some(t as f32),
                thread: (phase == Phase::Train && ep % 2 == 1).then_some(ep as u32),
            };
            log.step(phase, ep, t, &step).unwrap();
            if phase == Phase::Train {
                want.push((ep, obs.to_vec()));
            }
        }
        let thread = (phase == Phase::Train && ep % 2 == 1).then_some(ep as u32);
        log.episode(phase, ep, 100 + ep, 20.0, 20, (ep + 1) * 20, thread)
            .unwrap();
    }
    assert!(log
        .step(
            Phase::Train,
            9,
            0,
            &Step {
                observation: &[1.0],
                action: &[0.0],
                reward: 0.0,
                terminated: false,
                truncated: false,
                log_prob: None,
                value: None,
                thread: None,
            }
        )
        .is_err());
    log.close().unwrap();

    assert!(run
        .dir()
        .join("steps/phase=train/part-00001.parquet")
        .exists());
    let train = TableReader::open(
        &run.dir().join("steps/phase=train"),
        Some(steps_schema(4, 1)),
    )
    .unwrap();
    let mut got = Vec::new();
    for b in train.read(Some(&["episode_id", "observation"])).unwrap() {
        let ids = b.column(0).as_any().downcast_ref::<UInt64Array>().unwrap();
        let obs = b
            .column(1)
            .as_any()
            .downcast_ref::<FixedSizeListArray>()
            .unwrap();
        for i in 0..b.num_rows() {
            let v = obs.value(i);
            let v = v.as_any().downcast_ref::<Float32Array>().unwrap();
            got.push((ids.value(i), v.values().to_vec()));
        }
    }
    assert_eq!(got, want);
    // the thread column: null where no thread was given
    let threads = thread_column(&train);
    let want_threads: Vec<Option<u32>> = (0..4u32)
        .flat_map(|ep| std::iter::repeat_n((ep % 2 == 1).then_some(ep), 20))
        .collect();
    assert_eq!(threads, want_threads);
    // the whole steps table (both phases) and the episodes
    assert_eq!(
        TableReader::open(&run.dir().join("steps"), None)
            .unwrap()
            .num_rows()
            .unwrap(),
        100
    );
    let eps = TableReader::open(&run.dir().join("episodes"), Some(episodes_schema())).unwrap();
    let returns: Vec<f64> = eps
        .read(Some(&["return"]))
        .unwrap()
        .iter()
        .flat_map(|b| {
            b.column(0)
                .as_any()
                .downcast_ref::<Float64Array>()
                .unwrap()
                .values()
                .to_vec()
        })
        .collect();
    assert_eq!(returns, vec![20.0; 5]);
    let threads = thread_column(&eps);
    assert_eq!(threads, vec![None, Some(1), None, Some(3), None]);
    // what the workbench and notebooks read
    let rows = meowlab_store::browse::episodes(run.dir()).unwrap().rows;
    let browsed: Vec<(u64, Option<u32>)> = rows.iter().map(|e| (e.episode_id, e.thread)).collect();
    assert_eq!(
        browsed,
        vec![(0, None), (1, Some(1)), (2, None), (3, Some(3)), (4, None)]
    );
    let _ = std::fs::remove_dir_all(&root);
}
