//! The logged-play session: run ids, resuming an interrupted run, refusing to reopen a
//! complete one, and the encoder version recorded in the run.

use meowlab_sanma::bots::{parse_seats, Agent};
use meowlab_sanma::planes::ENCODER_VERSION;
use meowlab_sanma::Rules;
use meowlab_store::session::logged_games;
use meowlab_store::{PlaySession, RunStatus, SessionOptions, StoreError};

fn options(root: &std::path::Path, run_id: Option<&str>) -> SessionOptions {
    SessionOptions {
        runs_dir: root.to_path_buf(),
        run_id: run_id.map(str::to_string),
        seats: parse_seats("heuristic,heuristic,random").unwrap(),
        seed: 10,
        config: serde_json::json!({"test": true}),
        games_per_shard: 1,
    }
}

fn agents() -> Vec<Box<dyn Agent>> {
    parse_seats("heuristic,heuristic,random")
        .unwrap()
        .iter()
        .zip(0u8..)
        .map(|(s, seat)| s.build_bot(seat).unwrap())
        .collect()
}

#[test]
fn an_interrupted_session_resumes_and_a_complete_one_is_not_reopened() {
    let root = std::env::temp_dir().join(format!("meowlab-session-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let rules = Rules::default();
    let mut agents = agents();

    // interrupted after two games (shards are cut per game here)
    let mut session = PlaySession::open(&options(&root, None)).unwrap();
    assert_eq!(
        session.run().dir(),
        root.join("play-heuristic-heuristic-random-seed10")
    );
    assert_eq!(
        session.run().meta().planes_encoder.as_deref(),
        Some(ENCODER_VERSION)
    );
    for seed in [10, 11] {
        session.play(&rules, seed, &mut agents, true).unwrap();
    }
    drop(session);

    let mut session = PlaySession::open(&options(&root, None)).unwrap();
    assert_eq!(session.resumed_games(), 2);
    assert!(session.is_logged(11) && !session.is_logged(12));
    session.play(&rules, 12, &mut agents, false).unwrap();
    let run = session.finish().unwrap();
    assert_eq!(run.meta().status, RunStatus::Complete);
    assert_eq!(
        logged_games(run.dir())
            .unwrap()
            .into_iter()
            .collect::<Vec<_>>(),
        vec![10, 11, 12]
    );

    // the default id moves on; an explicit id of a complete run is an error
    let next = PlaySession::open(&options(&root, None)).unwrap();
    assert!(next
        .run()
        .dir()
        .ends_with("play-heuristic-heuristic-random-seed10-2"));
    let explicit = "play-heuristic-heuristic-random-seed10";
    match PlaySession::open(&options(&root, Some(explicit))) {
        Err(e @ StoreError::RunComplete { .. }) => assert!(e.to_string().contains(explicit)),
        other => panic!(
            "expected RunComplete, got {:?}",
            other.map(|s| s.run().dir().to_owned())
        ),
    }
    std::fs::remove_dir_all(&root).unwrap();
}

/// The same schedule logged with 1, 7 and 64 games in flight writes byte-identical
/// shards in every table (games are written in schedule order, decisions per game).
#[test]
fn logs_do_not_depend_on_games_in_flight() {
    use meowlab_sanma::{Arena, BatchAgent, Table};
    let root = std::env::temp_dir().join(format!("meowlab-inflight-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let specs = parse_seats("heuristic,random,heuristic").unwrap();
    let tables: Vec<Table> = (0..20)
        .map(|i| Table {
            seed: 300 + i,
            players: [0, 1, 0],
        })
        .collect();
    let mut shards = Vec::new();
    for n in [1usize, 7, 64] {
        let mut heuristic = specs[0].build_bot_player().unwrap();
        let mut random = specs[1].build_bot_player().unwrap();
        let mut players: Vec<&mut dyn BatchAgent> = vec![heuristic.as_mut(), random.as_mut()];
        let mut session = PlaySession::open(&SessionOptions {
            run_id: Some(format!("n{n}")),
            games_per_shard: 8,
            ..options(&root, None)
        })
        .unwrap();
        let mut seen = Vec::new();
        session
            .play_games(
                &Arena::new(Rules::default(), n),
                &tables,
                &mut players,
                true,
                &mut |_, g| seen.push(g.seed()),
            )
            .unwrap();
        assert_eq!(seen, (300..320).collect::<Vec<u64>>(), "schedule order");
        let run = session.finish().unwrap();
        let mut files = Vec::new();
        for table in ["games", "kyoku", "decisions", "events"] {
            for shard in meowlab_store::table::shards(&run.dir().join(table)).unwrap() {
                let name = shard.strip_prefix(run.dir()).unwrap().display().to_string();
                files.push((name, std::fs::read(&shard).unwrap()));
            }
        }
        assert!(files.len() >= 12, "3 shards per table");
        shards.push(files);
    }
    assert!(shards[0] == shards[1], "1 vs 7 in flight");
    assert!(shards[0] == shards[2], "1 vs 64 in flight");
    std::fs::remove_dir_all(&root).unwrap();
}
