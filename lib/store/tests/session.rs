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
