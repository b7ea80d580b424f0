//! Round trips (write → read → equal), schema checks, typed errors for corrupt and
//! foreign files, row-group pruning, shard rotation and resuming.

use std::sync::Arc;

use meowlab_sanma::bots::agent_from_name;
use meowlab_sanma::{Agent, Game, Rules};
use meowlab_store::arrow::{
    Array, DataType, Field, RecordBatch, Schema, StringArray, UInt16Array, UInt64Array,
};
use meowlab_store::sanma::{decisions_schema, events_schema, games_schema, kyoku_schema};
use meowlab_store::{
    AgentOutput, Run, SanmaLogger, StoreError, TableReader, TableWriter, WriterOptions,
};

fn tmp(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("meowlab-store-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// Plays `games` seeded games with logging; returns the games.
fn play_logged(run: &mut Run, seeds: std::ops::Range<u64>, options: WriterOptions) -> Vec<Game> {
    let mut log = SanmaLogger::create(run, options).unwrap();
    log.games_per_shard = 1;
    let mut agents: Vec<Box<dyn Agent>> = ["heuristic", "random", "tsumogiri"]
        .iter()
        .enumerate()
        .map(|(s, n)| agent_from_name(n, s as u8).unwrap())
        .collect();
    let mut out = Vec::new();
    for seed in seeds {
        agents.iter_mut().for_each(|a| a.start_game(seed));
        let mut game = Game::with_names(
            Rules::default(),
            seed,
            agents.iter().map(|a| a.name()).collect(),
        );
        while !game.is_over() {
            for seat in game.deciding().collect::<Vec<_>>() {
                let a = agents[seat as usize].act(&game.view(seat));
                let policy = Some(vec![0.5; 3]);
                log.record_decision(
                    &game,
                    seat,
                    a,
                    AgentOutput {
                        policy,
                        value: Some(seat as f32),
                    },
                    None,
                );
                game.act(seat, a).unwrap();
            }
        }
        log.finish_game(&game, seed).unwrap();
        out.push(game);
    }
    log.close().unwrap();
    out
}

fn column<'a, T: 'static>(b: &'a RecordBatch, name: &str) -> &'a T {
    b.column_by_name(name)
        .unwrap()
        .as_any()
        .downcast_ref::<T>()
        .unwrap()
}

#[test]
fn a_logged_run_reads_back_exactly() {
    let root = tmp("roundtrip");
    let mut run = Run::create(&root, "r1", "test", 7, serde_json::json!({"k": 1})).unwrap();
    let games = play_logged(&mut run, 0..6, WriterOptions::default());
    let run = Run::open(run.dir()).unwrap();
    assert_eq!(
        run.tables().unwrap(),
        vec!["decisions", "events", "games", "kyoku"]
    );

    let decisions =
        TableReader::open(&run.dir().join("decisions"), Some(decisions_schema())).unwrap();
    let total: usize = games.iter().map(|g| g.history().len()).sum();
    assert_eq!(decisions.num_rows().unwrap(), total as u64);

    // every logged action is the game's history, in order
    let batches = decisions
        .read(Some(&["game_id", "seat", "action", "action_text"]))
        .unwrap();
    let mut rows = Vec::new();
    for b in &batches {
        let (id, text) = (
            column::<UInt64Array>(b, "game_id"),
            column::<StringArray>(b, "action_text"),
        );
        for i in 0..b.num_rows() {
            rows.push((id.value(i), text.value(i).to_owned()));
        }
    }
    let want: Vec<(u64, String)> = games
        .iter()
        .flat_map(|g| {
            g.history()
                .iter()
                .map(move |(_, a)| (g.seed(), a.to_string()))
        })
        .collect();
    assert_eq!(rows, want);

    // events: the mjai JSON of one game, read by id with pruning
    let events = TableReader::open(&run.dir().join("events"), Some(events_schema())).unwrap();
    let one = events.read_where("game_id", 3, Some(&["json"])).unwrap();
    let json: Vec<String> = one
        .iter()
        .flat_map(|b| {
            let c = column::<StringArray>(b, "json");
            (0..c.len())
                .map(|i| c.value(i).to_owned())
                .collect::<Vec<_>>()
        })
        .collect();
    let want: Vec<String> = games[3]
        .events()
        .iter()
        .map(|e| serde_json::to_string(e).unwrap())
        .collect();
    assert_eq!(json, want);

    // games and kyoku
    let g = TableReader::open(&run.dir().join("games"), Some(games_schema())).unwrap();
    assert_eq!(g.num_rows().unwrap(), 6);
    let k = TableReader::open(&run.dir().join("kyoku"), Some(kyoku_schema())).unwrap();
    let hands: usize = games
        .iter()
        .map(|g| {
            g.events()
                .iter()
                .filter(|e| matches!(e, meowlab_sanma::Event::StartKyoku { .. }))
                .count()
        })
        .sum();
    assert_eq!(k.num_rows().unwrap(), hands as u64);
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn logged_observations_are_the_tile_planes_of_each_decision() {
    use meowlab_sanma::planes::{encode, Planes};
    use meowlab_store::arrow::{FixedSizeBinaryArray, UInt32Array, UInt8Array};
    let root = tmp("observations");
    let mut run = Run::create(&root, "r", "test", 0, serde_json::Value::Null).unwrap();
    let games = play_logged(&mut run, 0..3, WriterOptions::default());
    let decisions =
        TableReader::open(&run.dir().join("decisions"), Some(decisions_schema())).unwrap();
    let batches = decisions
        .read(Some(&["game_id", "step", "seat", "observation"]))
        .unwrap();
    // replay each game from its history and re-encode the deciding seat at each step
    // (rows come in game and step order)
    let mut checked = 0;
    let mut replay: Option<(u64, Game)> = None;
    for b in &batches {
        let (id, step, seat) = (
            column::<UInt64Array>(b, "game_id"),
            column::<UInt32Array>(b, "step"),
            column::<UInt8Array>(b, "seat"),
        );
        let obs = column::<FixedSizeBinaryArray>(b, "observation");
        assert_eq!(obs.null_count(), 0, "every decision has its observation");
        for i in 0..b.num_rows() {
            let game = &games[id.value(i) as usize];
            if replay.as_ref().map(|r| r.0) != Some(id.value(i)) {
                replay = Some((id.value(i), Game::new(Rules::default(), game.seed())));
            }
            let (_, g) = replay.as_mut().unwrap();
            let step_now = step.value(i) as usize;
            for &(s, a) in &game.history()[g.history().len()..step_now] {
                g.act(s, a).unwrap();
            }
            let logged = Planes::from_bytes(obs.value(i)).unwrap();
            assert_eq!(
                logged,
                encode(&g.view(seat.value(i))),
                "game {} step {}",
                id.value(i),
                step.value(i)
            );
            checked += 1;
        }
    }
    assert_eq!(
        checked,
        games.iter().map(|g| g.history().len()).sum::<usize>()
    );
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn shards_rotate_and_a_resumed_run_appends() {
    let root = tmp("rotate");
    let mut run = Run::create(&root, "r", "test", 0, serde_json::Value::Null).unwrap();
    let options = WriterOptions {
        max_rows_per_shard: 500,
        ..WriterOptions::default()
    };
    play_logged(&mut run, 0..3, options);
    let n1 = TableReader::open(&run.dir().join("decisions"), None)
        .unwrap()
        .files()
        .len();
    assert_eq!(n1, 3, "one shard per flush (every game here)");
    // a plain table writer rotates by rows
    let ids = Arc::new(Schema::new(vec![Field::new("x", DataType::UInt16, false)]));
    let mut w = TableWriter::open(&root.join("plain"), ids.clone(), options).unwrap();
    for _ in 0..4 {
        w.write(
            &RecordBatch::try_new(
                ids.clone(),
                vec![Arc::new(UInt16Array::from(vec![7u16; 300]))],
            )
            .unwrap(),
        )
        .unwrap();
    }
    w.close().unwrap();
    let plain = TableReader::open(&root.join("plain"), None).unwrap();
    assert_eq!((plain.files().len(), plain.num_rows().unwrap()), (2, 1200));
    // a stale temp shard (a crash) is ignored by readers and removed on resume, and so
    // is a decisions shard whose games shard never got committed
    std::fs::write(
        run.dir().join("decisions/.part-09999.parquet.tmp"),
        b"half a file",
    )
    .unwrap();
    assert_eq!(
        TableReader::open(&run.dir().join("decisions"), None)
            .unwrap()
            .files()
            .len(),
        n1
    );
    std::fs::copy(
        run.dir().join("decisions/part-00003.parquet"),
        run.dir().join("decisions/part-00004.parquet"),
    )
    .unwrap();
    let mut run = Run::create(&root, "r", "test", 0, serde_json::Value::Null).unwrap();
    play_logged(&mut run, 3..5, options);
    let reader = TableReader::open(&run.dir().join("games"), Some(games_schema())).unwrap();
    let ids: Vec<u64> = reader
        .read(Some(&["game_id"]))
        .unwrap()
        .iter()
        .flat_map(|b| column::<UInt64Array>(b, "game_id").values().to_vec())
        .collect();
    assert_eq!(ids, vec![0, 1, 2, 3, 4]);
    assert!(!run.dir().join("decisions/.part-09999.parquet.tmp").exists());
    let decisions =
        TableReader::open(&run.dir().join("decisions"), Some(decisions_schema())).unwrap();
    let mut ids: Vec<u64> = decisions
        .read(Some(&["game_id"]))
        .unwrap()
        .iter()
        .flat_map(|b| column::<UInt64Array>(b, "game_id").values().to_vec())
        .collect();
    ids.dedup();
    assert_eq!(
        ids,
        vec![0, 1, 2, 3, 4],
        "the uncommitted copy was dropped on resume"
    );
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn corrupt_truncated_and_foreign_files_are_typed_errors_naming_the_file() {
    let root = tmp("corrupt");
    let mut run = Run::create(&root, "r", "test", 0, serde_json::Value::Null).unwrap();
    play_logged(&mut run, 0..1, WriterOptions::default());
    let games = run.dir().join("games");
    let shard = games.join("part-00001.parquet");

    // truncated
    let bytes = std::fs::read(&shard).unwrap();
    std::fs::write(&shard, &bytes[..bytes.len() / 2]).unwrap();
    let err = TableReader::open(&games, Some(games_schema()))
        .unwrap()
        .num_rows()
        .unwrap_err();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err}");
    assert!(err.to_string().contains("part-00001.parquet"), "{err}");

    // not parquet at all
    std::fs::write(&shard, b"{\"not\": \"parquet\"}").unwrap();
    let err = TableReader::open(&games, Some(games_schema()))
        .unwrap()
        .read(None)
        .unwrap_err();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err}");

    // a foreign parquet file (another table's columns)
    let foreign = Arc::new(Schema::new(vec![Field::new("x", DataType::UInt16, false)]));
    let batch = RecordBatch::try_new(
        foreign.clone(),
        vec![Arc::new(UInt16Array::from(vec![1u16]))],
    )
    .unwrap();
    std::fs::remove_file(&shard).unwrap();
    let mut w = TableWriter::open(&games, foreign, WriterOptions::default()).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
    let err = TableReader::open(&games, Some(games_schema()))
        .unwrap()
        .read(None)
        .unwrap_err();
    assert!(matches!(err, StoreError::SchemaMismatch { .. }), "{err}");

    // not a run, no such table, bad run.json
    assert!(matches!(
        Run::open(&root.join("nope")),
        Err(StoreError::NotARun { .. })
    ));
    assert!(matches!(
        TableReader::open(&run.dir().join("nope"), None),
        Err(StoreError::NoTable { .. })
    ));
    std::fs::write(run.dir().join("run.json"), b"{").unwrap();
    assert!(matches!(
        Run::open(run.dir()),
        Err(StoreError::BadRunMeta { .. })
    ));
    let _ = std::fs::remove_dir_all(&root);
}
