//! Evaluations end to end with bots: results independent of the games in flight, the
//! sequential test's decisions on clear cases, the run folder (summary, sets table,
//! logged games with identical walls within a set), and refused options.

use meowlab_eval::duplicate::Format;
use meowlab_eval::stats::SprtDecision;
use meowlab_eval::{evaluate, read_summary, run_evaluation, EvalError, EvalOptions, Sprt};
use meowlab_sanma::bots::AgentSpec;
use meowlab_sanma::{BatchAgent, Event};
use meowlab_store::arrow::{Array, UInt64Array};
use meowlab_store::browse::LoggedGame;
use meowlab_store::TableReader;

fn bot(spec: AgentSpec) -> Box<dyn BatchAgent> {
    spec.build_bot_player().unwrap()
}

fn options(format: Format, sets: usize, in_flight: usize) -> EvalOptions {
    EvalOptions {
        format,
        sets,
        seed: 11,
        in_flight,
        ..EvalOptions::default()
    }
}

#[test]
fn evaluations_do_not_depend_on_games_in_flight() {
    for format in [Format::OneVsTwo, Format::TwoVsOne, Format::Both] {
        let run = |n| {
            let (mut c, mut o) = (bot(AgentSpec::Heuristic), bot(AgentSpec::Random));
            evaluate(
                &options(format, 6, n),
                c.as_mut(),
                o.as_mut(),
                ["heuristic", "random"],
                None,
                &mut |_| {},
            )
            .unwrap()
            .0
        };
        let one = run(1);
        // as JSON: the summaries hold NaN (points per deal-in of an agent that never
        // dealt in), which is not equal to itself
        let json = |e: &meowlab_eval::Evaluation| serde_json::to_string(e).unwrap();
        assert_eq!(json(&one), json(&run(64)), "{format}");
        assert_eq!((one.sets, one.games), (6, 6 * format.games_per_set()));
        assert!(
            one.difference.avg_rank.mean < -0.5,
            "{format}: the heuristic wins"
        );
    }
}

#[test]
fn the_sequential_test_decides_clear_cases_early() {
    let sprt = Sprt {
        delta0: 0.0,
        delta1: 5.0,
        alpha: 0.05,
        beta: 0.05,
        min_sets: 16,
    };
    for (opponent, want) in [
        (AgentSpec::Heuristic, SprtDecision::H0),
        (AgentSpec::Random, SprtDecision::H1),
    ] {
        let (mut c, mut o) = (bot(AgentSpec::Heuristic), bot(opponent.clone()));
        let (e, _) = evaluate(
            &EvalOptions {
                sprt: Some(sprt.clone()),
                ..options(Format::OneVsTwo, 400, 64)
            },
            c.as_mut(),
            o.as_mut(),
            ["heuristic", "x"],
            None,
            &mut |_| {},
        )
        .unwrap();
        let report = e.sprt.unwrap();
        assert_eq!(report.decision, want, "against {opponent}");
        assert!(e.sets <= 64, "{} sets against {opponent}", e.sets);
    }
    // the same agent on both sides: identical games, every difference exactly 0
    let (mut c, mut o) = (bot(AgentSpec::Heuristic), bot(AgentSpec::Heuristic));
    let (e, _) = evaluate(
        &options(Format::Both, 8, 16),
        c.as_mut(),
        o.as_mut(),
        ["a", "b"],
        None,
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(e.difference.rank_points.mean, 0.0);
    assert_eq!(e.difference.rank_points.p_value, 1.0);
    assert_eq!(e.per_round.p_value, 1.0);
    assert_eq!(e.per_round.challenger, e.per_round.opponent);
}

#[test]
fn a_run_holds_the_summary_the_sets_and_games_on_identical_walls() {
    let root = std::env::temp_dir().join(format!("meowlab-eval-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let (mut c, mut o) = (bot(AgentSpec::Heuristic), bot(AgentSpec::Random));
    let mut seen = 0;
    let (e, run) = run_evaluation(
        &options(Format::OneVsTwo, 5, 8),
        &root,
        "eval",
        serde_json::json!({"test": true}),
        c.as_mut(),
        o.as_mut(),
        ["heuristic", "random"],
        true,
        &mut |p| seen = p.games,
    )
    .unwrap();
    assert_eq!(seen, 15);
    let written = std::fs::read_to_string(run.dir().join("evaluation.json")).unwrap();
    assert_eq!(written, serde_json::to_string_pretty(&e).unwrap());
    assert_eq!(read_summary(run.dir()).unwrap().sets, 5);
    let sets = TableReader::open(&run.dir().join("sets"), None).unwrap();
    assert_eq!(sets.num_rows().unwrap(), 10, "one row per set and agent");

    // the logged games: ids 0..15, three per set with the set's seed and the same deal
    let games = TableReader::open(&run.dir().join("games"), None).unwrap();
    let batches = games.read(Some(&["game_id", "seed"])).unwrap();
    let col = |i: usize| -> Vec<u64> {
        batches
            .iter()
            .flat_map(|b| {
                let a = b.column(i).as_any().downcast_ref::<UInt64Array>().unwrap();
                (0..a.len()).map(|r| a.value(r)).collect::<Vec<_>>()
            })
            .collect()
    };
    let (ids, seeds) = (col(0), col(1));
    assert_eq!(ids, (0..15).collect::<Vec<u64>>());
    for set in seeds.chunks(3) {
        assert!(set.iter().all(|&s| s == set[0]));
    }
    // each game replays from the log (per-round walls come from the logged rules), and
    // the three games of a set are dealt the same first hand
    let first_deal = |id: u64| {
        let game = LoggedGame::find(run.dir(), id).unwrap();
        assert!(game.problems.is_empty(), "{:?}", game.problems);
        game.replay
            .events
            .iter()
            .find_map(|e| match e {
                Event::StartKyoku { tehais, .. } => Some(tehais.clone()),
                _ => None,
            })
            .unwrap()
    };
    for set in 0..5u64 {
        let deal = first_deal(3 * set);
        assert_eq!(first_deal(3 * set + 1), deal, "set {set}");
        assert_eq!(first_deal(3 * set + 2), deal, "set {set}");
    }
    assert_ne!(first_deal(0), first_deal(3), "sets differ");
    assert!(e.challenger.games == 15 && e.opponent.games == 30);
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn bad_options_are_refused() {
    let (mut c, mut o) = (bot(AgentSpec::Heuristic), bot(AgentSpec::Random));
    let bad = [
        options(Format::OneVsTwo, 0, 4),
        options(Format::OneVsTwo, 3, 0),
        EvalOptions {
            sprt: Some(Sprt {
                delta0: 1.0,
                delta1: 0.0,
                alpha: 0.05,
                beta: 0.05,
                min_sets: 4,
            }),
            ..options(Format::OneVsTwo, 3, 4)
        },
    ];
    for opts in bad {
        let err =
            evaluate(&opts, c.as_mut(), o.as_mut(), ["a", "b"], None, &mut |_| {}).unwrap_err();
        assert!(matches!(err, EvalError::Options(_)), "{err}");
    }
}
