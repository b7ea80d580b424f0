//! A self-play run from its config: the same seed gives the same weights, and a run
//! interrupted after a checkpoint resumes to exactly the weights of an uninterrupted one.

use std::path::{Path, PathBuf};

use meowlab_meowjong::model::{model_dir, ModelKind, Preset};
use meowlab_meowjong::selfplay::reinforce::ReinforceConfig;
use meowlab_meowjong::selfplay::run::{run_seed, SelfPlayConfig, SelfPlayEval};
use meowlab_nn::Dev;

/// Five tiny models fitted for one epoch on 30 heuristic games: poor players, but they
/// reach tenpai and win, so hands change scores and REINFORCE has returns to learn from.
fn sl_models(root: &Path) -> PathBuf {
    use meowlab_meowjong::dataset::extract;
    use meowlab_meowjong::sl::{fit, SlConfig};
    use meowlab_sanma::bots::{Agent, HeuristicAgent};
    use meowlab_sanma::Rules;
    use meowlab_store::{Run, SanmaLogger, WriterOptions};
    let mut run = Run::create(root, "teacher", "play", 0, Default::default()).unwrap();
    let mut log = SanmaLogger::create(&mut run, WriterOptions::default()).unwrap();
    for game in 0..30 {
        let mut agents: Vec<Box<dyn Agent>> = (0..3)
            .map(|_| Box::new(HeuristicAgent) as Box<dyn Agent>)
            .collect();
        log.play_game(Rules::default(), game, game, &mut agents)
            .unwrap();
    }
    log.close().unwrap();
    run.finish(true).unwrap();
    let dir = root.join("sl");
    let preset = Preset::by_name("c4x4-d16").unwrap();
    for kind in ModelKind::ALL {
        let samples = extract(run.dir(), kind).unwrap();
        let config = SlConfig {
            max_epochs: 1,
            max_train_samples: Some(3000),
            lr: 3e-3,
            ..SlConfig::new(kind, preset.clone())
        };
        let (net, _) = fit(&Dev::default(), &samples, &config, &mut |_| {}).unwrap();
        let d = model_dir(&dir, kind, &preset.name);
        std::fs::create_dir_all(&d).unwrap();
        net.save(&d.join("model")).unwrap();
    }
    dir
}

/// A PPO run of `(rounds, seed, checkpoint_every)` from the SL models under `root`,
/// without evaluations.
fn ppo_run(
    root: &Path,
    name: &str,
    (rounds, seed, checkpoint_every): (usize, u64, usize),
    ppo: meowlab_meowjong::selfplay::ppo::PpoConfig,
) -> SelfPlayConfig {
    SelfPlayConfig {
        name: name.into(),
        description: String::new(),
        rounds,
        seeds: vec![seed],
        sl_models: Some(root.join("sl")),
        teacher: Default::default(),
        checkpoint_every,
        keep_checkpoints: None,
        log_games: false,
        eval: SelfPlayEval {
            every: 0,
            sets: 2,
            ..SelfPlayEval::default()
        },
        reinforce: None,
        ppo: Some(ppo),
    }
}

fn weights(run: &Path) -> Vec<u8> {
    std::fs::read(run.join("final/discard-c4x4-d16/model.safetensors")).unwrap()
}

#[test]
fn same_seed_same_weights_and_resume_after_an_interruption() {
    let root = std::env::temp_dir().join(format!("meowlab-selfplay-run-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let config = SelfPlayConfig {
        name: "sp".into(),
        description: String::new(),
        rounds: 24,
        seeds: vec![1],
        sl_models: Some(sl_models(&root)),
        teacher: Default::default(),
        checkpoint_every: 2,
        log_games: true,
        eval: SelfPlayEval {
            every: 3,
            sets: 3,
            ..SelfPlayEval::default()
        },
        keep_checkpoints: None,
        ppo: None,
        reinforce: Some(ReinforceConfig {
            rounds_per_update: 4,
            ..ReinforceConfig::default()
        }),
    };
    let mut rewarded = 0;
    let a = run_seed(&config, 1, &root.join("a"), &mut |p| {
        let reward = p.metrics.iter().find(|m| m.0 == "train/mean_abs_reward");
        rewarded += usize::from(reward.is_some_and(|m| m.1 > 0.0));
    })
    .unwrap();
    assert!(
        rewarded > 0,
        "no hand changed a score: nothing to learn from"
    );
    let b = run_seed(&config, 1, &root.join("b"), &mut |_| {}).unwrap();
    assert_eq!(b.updates, a.updates);
    assert_eq!((a.rounds, a.updates), (24, 6));
    let run_a = root.join("a/sp__seed1");
    assert_eq!(weights(&run_a), weights(&root.join("b/sp__seed1")));
    let start = std::fs::read(run_a.join("sl-init/discard-c4x4-d16/model.safetensors")).unwrap();
    assert!(
        weights(&run_a) != start,
        "training changed the discard model"
    );

    // an interruption after the checkpoint at 16 episodes (update 4): the later
    // checkpoints, the final models and the summary are gone, run.json is unfinished
    let c = root.join("c");
    run_seed(&config, 1, &c, &mut |_| {}).unwrap();
    let run_c = c.join("sp__seed1");
    std::fs::remove_dir_all(run_c.join("final")).unwrap();
    std::fs::remove_file(run_c.join("summary.json")).unwrap();
    std::fs::remove_dir_all(run_c.join("checkpoints/round-0000000024")).unwrap();
    std::fs::write(run_c.join("checkpoints/LATEST"), "round-0000000016").unwrap();
    let mut meta: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run_c.join("run.json")).unwrap()).unwrap();
    meta["status"] = "running".into();
    meta["finished_at"] = serde_json::Value::Null;
    std::fs::write(run_c.join("run.json"), meta.to_string()).unwrap();
    let resumed = run_seed(&config, 1, &c, &mut |_| {}).unwrap();
    assert_eq!(resumed.resumed_from, Some(16));
    assert_eq!(weights(&run_c), weights(&run_a), "resumed = uninterrupted");
    // evaluations at update 3 and at the end, against the SL start and the heuristic
    let metrics = meowlab_store::browse::metrics(&run_a.join("metrics"))
        .unwrap()
        .rows;
    let evals: Vec<_> = metrics
        .iter()
        .filter(|m| m.name == "eval/sl/avg_rank_diff")
        .collect();
    assert_eq!(evals.len(), 2, "{evals:?}");
    assert!(metrics
        .iter()
        .any(|m| m.name == "eval/heuristic/per_round_p"));
    std::fs::remove_dir_all(&root).unwrap();
}

fn final_weights(run: &Path) -> Vec<Vec<u8>> {
    ModelKind::ALL
        .iter()
        .map(|k| {
            std::fs::read(run.join(format!("final/{}-c4x4-d16/model.safetensors", k.name())))
                .unwrap()
        })
        .collect()
}

/// The PPO learner run from its config: same seed ⇒ same models and critic, the opponent
/// pool's snapshots survive a resume (the resumed run ends with the uninterrupted one's
/// weights), only the newest checkpoints are kept, and the metrics name what PPO logs.
#[test]
fn a_ppo_run_is_deterministic_and_resumes_exactly() {
    use meowlab_meowjong::selfplay::pool::PoolConfig;
    use meowlab_meowjong::selfplay::ppo::PpoConfig;
    use meowlab_sanma::GameLength;
    let root = std::env::temp_dir().join(format!("meowlab-ppo-run-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let config = SelfPlayConfig {
        name: "ppo".into(),
        description: String::new(),
        rounds: 24,
        seeds: vec![2],
        sl_models: Some(sl_models(&root)),
        teacher: Default::default(),
        checkpoint_every: 1,
        keep_checkpoints: Some(2),
        log_games: true,
        eval: SelfPlayEval {
            every: 2,
            sets: 2,
            ..SelfPlayEval::default()
        },
        reinforce: None,
        ppo: Some(PpoConfig {
            length: GameLength::OneHand,
            games_per_update: 6,
            batch_size: 32,
            pool: PoolConfig {
                snapshot_every: 1,
                max_snapshots: 2,
                ..PoolConfig::default()
            },
            lr: 1e-3,
            ..PpoConfig::default()
        }),
    };
    config.validate().unwrap();
    let a = run_seed(&config, 2, &root.join("a"), &mut |_| {}).unwrap();
    assert_eq!((a.rounds, a.updates), (24, 4));
    let run_a = root.join("a/ppo__seed2");
    let b = run_seed(&config, 2, &root.join("b"), &mut |_| {}).unwrap();
    assert_eq!(b.updates, a.updates);
    assert_eq!(
        final_weights(&run_a),
        final_weights(&root.join("b/ppo__seed2"))
    );
    let start = std::fs::read(run_a.join("sl-init/discard-c4x4-d16/model.safetensors")).unwrap();
    assert!(
        final_weights(&run_a)[0] != start,
        "training changed the discard model"
    );
    let mut kept: Vec<String> = std::fs::read_dir(run_a.join("checkpoints"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    kept.sort();
    assert_eq!(kept, ["LATEST", "round-0000000018", "round-0000000024"]);

    // interrupted after update 3: resumes with its snapshots and reaches the same weights
    let c = root.join("c");
    run_seed(&config, 2, &c, &mut |_| {}).unwrap();
    let run_c = c.join("ppo__seed2");
    std::fs::remove_dir_all(run_c.join("final")).unwrap();
    std::fs::remove_file(run_c.join("summary.json")).unwrap();
    std::fs::remove_dir_all(run_c.join("checkpoints/round-0000000024")).unwrap();
    std::fs::write(run_c.join("checkpoints/LATEST"), "round-0000000018").unwrap();
    assert!(run_c.join("checkpoints/round-0000000018/pool").is_dir());
    let mut meta: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run_c.join("run.json")).unwrap()).unwrap();
    meta["status"] = "running".into();
    std::fs::write(run_c.join("run.json"), meta.to_string()).unwrap();
    let resumed = run_seed(&config, 2, &c, &mut |_| {}).unwrap();
    assert_eq!(resumed.resumed_from, Some(18));
    assert_eq!(
        final_weights(&run_c),
        final_weights(&run_a),
        "resumed = uninterrupted"
    );
    assert_eq!(
        std::fs::read(run_c.join("checkpoints/round-0000000024/critic.safetensors")).unwrap(),
        std::fs::read(run_a.join("checkpoints/round-0000000024/critic.safetensors")).unwrap(),
    );

    let metrics = meowlab_store::browse::metrics(&run_a.join("metrics"))
        .unwrap()
        .rows;
    for name in [
        "train/avg_rank",
        "train/kl_sl",
        "train/value_loss",
        "train/entropy",
        "train/clipfrac",
        "train/learner_samples_per_second",
        "eval/heuristic/avg_rank_diff",
    ] {
        assert!(metrics.iter().any(|m| m.name == name), "{name} not logged");
    }
    let kl: Vec<f64> = metrics
        .iter()
        .filter(|m| m.name == "train/kl_sl")
        .map(|m| m.value)
        .collect();
    assert!(kl.iter().all(|k| k.is_finite() && *k >= -1e-6), "{kl:?}");
    std::fs::remove_dir_all(&root).unwrap();
}

/// Actors and learner as threads sharing only files: one actor without lag learns
/// exactly what the in-process learner learns; two actors running one update ahead are
/// deterministic, resume after an interruption, and leave only what a resume needs.
#[test]
fn pipelined_ppo_matches_in_process_and_resumes() {
    use meowlab_meowjong::selfplay::pool::PoolConfig;
    use meowlab_meowjong::selfplay::ppo::PpoConfig;
    use meowlab_sanma::GameLength;
    let root = std::env::temp_dir().join(format!("meowlab-pipeline-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let ppo = PpoConfig {
        length: GameLength::OneHand,
        games_per_update: 6,
        batch_size: 32,
        pool: PoolConfig {
            snapshot_every: 1,
            max_snapshots: 2,
            ..PoolConfig::default()
        },
        lr: 1e-3,
        ..PpoConfig::default()
    };
    let config = |name: &str, actors: usize, lag: u64| {
        let ppo = PpoConfig {
            actors,
            actor_lag: lag,
            ..ppo.clone()
        };
        ppo_run(&root, name, (30, 3, 2), ppo)
    };
    sl_models(&root);
    let in_process = config("inproc", 0, 0);
    run_seed(&in_process, 3, &root, &mut |_| {}).unwrap();
    let one = config("one", 1, 0);
    one.validate().unwrap();
    let s = run_seed(&one, 3, &root, &mut |_| {}).unwrap();
    assert_eq!((s.rounds, s.updates), (30, 5));
    let final_of = |name: &str| final_weights(&root.join(format!("{name}__seed3")));
    assert_eq!(
        final_of("one"),
        final_of("inproc"),
        "one actor, no lag = in process"
    );

    let two = config("two", 2, 1);
    run_seed(&two, 3, &root.join("a"), &mut |_| {}).unwrap();
    run_seed(&two, 3, &root.join("b"), &mut |_| {}).unwrap();
    let run_a = root.join("a/two__seed3");
    assert_eq!(
        final_weights(&run_a),
        final_weights(&root.join("b/two__seed3"))
    );
    assert_ne!(
        final_weights(&run_a),
        final_of("one"),
        "a lag changes what is learned"
    );
    // consumed samples are gone; the policies a resume from update 4 needs are kept
    let samples: Vec<_> = std::fs::read_dir(run_a.join("samples")).unwrap().collect();
    assert!(samples.is_empty(), "{samples:?}");
    assert!(run_a.join("policy/v00000003").is_dir() && run_a.join("policy/v00000004").is_dir());

    // interrupted after the checkpoint at update 4 (24 games), with update 5's samples
    // and policy written: the resumed run deletes them and ends where `a` did
    let c = root.join("c");
    run_seed(&two, 3, &c, &mut |_| {}).unwrap();
    let run_c = c.join("two__seed3");
    std::fs::remove_dir_all(run_c.join("final")).unwrap();
    std::fs::remove_file(run_c.join("summary.json")).unwrap();
    std::fs::remove_dir_all(run_c.join("checkpoints/round-0000000030")).unwrap();
    std::fs::write(run_c.join("checkpoints/LATEST"), "round-0000000024").unwrap();
    let mut meta: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run_c.join("run.json")).unwrap()).unwrap();
    meta["status"] = "running".into();
    std::fs::write(run_c.join("run.json"), meta.to_string()).unwrap();
    let resumed = run_seed(&two, 3, &c, &mut |_| {}).unwrap();
    assert_eq!(resumed.resumed_from, Some(24));
    assert_eq!(
        final_weights(&run_c),
        final_weights(&run_a),
        "resumed = uninterrupted"
    );
    std::fs::remove_dir_all(&root).unwrap();
}

/// A run whose rank reward is paid by hand makes its global reward predictor once (with
/// a validation report) and reuses it on resume; the in-process learner and one actor
/// thread (which reads the predictor from the run folder) learn the same weights, a run
/// resumed from a checkpoint ends where the uninterrupted one did, and a finished run
/// given a larger budget goes on to where a run started with it ends.
#[test]
fn a_grp_run_makes_its_predictor_once_and_is_the_same_in_process_and_pipelined() {
    use meowlab_meowjong::selfplay::grp::{GrpConfig, GrpReport};
    use meowlab_meowjong::selfplay::ppo::{Episode, PpoConfig};
    use meowlab_sanma::GameLength;
    let root = std::env::temp_dir().join(format!("meowlab-grp-run-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let mut ppo = PpoConfig {
        length: GameLength::Tonpuu,
        games_per_update: 4,
        batch_size: 32,
        episode: Episode::Hand,
        grp: GrpConfig {
            games: 20,
            epochs: 2,
            hidden: 8,
            ..GrpConfig::default()
        },
        lr: 1e-3,
        ..PpoConfig::default()
    };
    ppo.reward.grp = true;
    ppo.reward.hand_shaping = 0.0;
    let config = |name: &str, actors: usize| {
        let ppo = PpoConfig {
            actors,
            ..ppo.clone()
        };
        ppo_run(&root, name, (12, 4, 1), ppo)
    };
    sl_models(&root);
    let in_process = config("inproc", 0);
    in_process.validate().unwrap();
    run_seed(&in_process, 4, &root, &mut |_| {}).unwrap();
    let run = root.join("inproc__seed4");
    let report: GrpReport =
        serde_json::from_str(&std::fs::read_to_string(run.join("grp/report.json")).unwrap())
            .unwrap();
    assert!(
        report.train_samples > 0 && report.val_samples > 0,
        "{report:?}"
    );
    assert!(report.val_loss.is_finite() && report.val_loss > 0.0);
    let pipelined = config("one", 1);
    run_seed(&pipelined, 4, &root, &mut |_| {}).unwrap();
    assert_eq!(
        final_weights(&root.join("one__seed4")),
        final_weights(&run),
        "one actor thread = in process"
    );

    // interrupted after update 2: the predictor is not made again (its file is kept as
    // it was) and the resumed run ends with the uninterrupted one's weights
    let grp_file = run.join("grp/grp.safetensors");
    let grp_before = std::fs::metadata(&grp_file).unwrap().modified().unwrap();
    let done = final_weights(&run);
    std::fs::remove_dir_all(run.join("final")).unwrap();
    std::fs::remove_file(run.join("summary.json")).unwrap();
    std::fs::remove_dir_all(run.join("checkpoints/round-0000000012")).unwrap();
    std::fs::write(run.join("checkpoints/LATEST"), "round-0000000008").unwrap();
    let mut meta: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("run.json")).unwrap()).unwrap();
    meta["status"] = "running".into();
    std::fs::write(run.join("run.json"), meta.to_string()).unwrap();
    let resumed = run_seed(&in_process, 4, &root, &mut |_| {}).unwrap();
    assert_eq!(resumed.resumed_from, Some(8));
    assert_eq!(final_weights(&run), done, "resumed = uninterrupted");
    assert_eq!(
        std::fs::metadata(&grp_file).unwrap().modified().unwrap(),
        grp_before
    );

    // a finished run given a larger budget goes on from its last checkpoint, to the
    // weights of a run started with that budget; a run recorded before a config field
    // existed (here `ppo.imitate`, at its default) is the same config
    let mut meta: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("run.json")).unwrap()).unwrap();
    meta["config"]["ppo"]
        .as_object_mut()
        .unwrap()
        .remove("imitate")
        .unwrap();
    std::fs::write(run.join("run.json"), meta.to_string()).unwrap();
    let longer = SelfPlayConfig {
        rounds: 20,
        ..in_process.clone()
    };
    let extended = run_seed(&longer, 4, &root, &mut |_| {}).unwrap();
    assert_eq!((extended.resumed_from, extended.rounds), (Some(12), 20));
    run_seed(&longer, 4, &root.join("fresh"), &mut |_| {}).unwrap();
    assert_eq!(
        final_weights(&run),
        final_weights(&root.join("fresh/inproc__seed4")),
        "extended = started with the larger budget"
    );
    let again = run_seed(&longer, 4, &root, &mut |_| {}).unwrap();
    // the summary read back from summary.json: its seconds may differ from the value
    // written in the last bit (serde_json parses floats to within one ulp)
    let same = |s: &meowlab_meowjong::selfplay::run::SelfPlaySummary| {
        (s.run_id.clone(), s.rounds, s.updates, s.resumed_from)
    };
    assert_eq!(
        same(&again),
        same(&extended),
        "a finished run is not trained again"
    );
    assert!((again.seconds - extended.seconds).abs() <= 1e-9 * extended.seconds);
    let mut other = longer.clone();
    other.ppo.as_mut().unwrap().lr = 5e-4;
    let e = run_seed(&other, 4, &root, &mut |_| {}).unwrap_err();
    assert!(e.to_string().contains("another config"), "{e}");
    std::fs::remove_dir_all(&root).unwrap();
}

/// Actors as other processes (`external_actors`, what `meowlab.ray.selfplay` drives):
/// the learner announces its plan and waits; actors made elsewhere play the shares. An
/// actor replaced mid-run (here: dropped after update 1 while a stale half-written
/// folder of it lies in update 2) is made again at the update it was on, a share that was
/// written already is not written twice, every partition is consumed exactly once, and
/// the weights are those of the same run with actor threads — with the run folder
/// shared, and with nothing shared but an object store (`exchange`, each actor in its
/// own folder).
#[test]
fn external_actors_with_a_replacement_learn_what_actor_threads_learn() {
    use meowlab_meowjong::selfplay::ppo::PpoConfig;
    use meowlab_sanma::GameLength;
    let root = std::env::temp_dir().join(format!("meowlab-external-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    sl_models(&root);
    let config = |external: bool, exchange: Option<String>| {
        let ppo = PpoConfig {
            length: GameLength::OneHand,
            games_per_update: 6,
            batch_size: 32,
            lr: 1e-3,
            actors: 2,
            external_actors: external,
            exchange,
            ..PpoConfig::default()
        };
        ppo_run(&root, "ext", (18, 5, 2), ppo)
    };
    run_seed(&config(false, None), 5, &root.join("threads"), &mut |_| {}).unwrap();
    let threads = final_weights(&root.join("threads/ext__seed5"));
    assert!(
        config(false, Some("file:///x".into())).validate().is_err(),
        "an exchange needs external actors"
    );

    let shared = root.join("shared");
    let weights = external_run(&config(true, None), &shared, |_| shared.join("ext__seed5"));
    assert_eq!(weights, threads, "external actors = actor threads");

    let url = format!("file://{}", root.join("bucket").display());
    let alone = root.join("alone");
    let weights = external_run(&config(true, Some(url)), &root.join("learner"), |n| {
        alone.join(format!("actor-{n}")).join("ext__seed5")
    });
    assert_eq!(
        weights, threads,
        "actors sharing only an object store = actor threads"
    );
    // an actor keeps no copies of what it loaded or committed
    let left: Vec<_> = std::fs::read_dir(alone.join("actor-0/ext__seed5/policy"))
        .unwrap()
        .collect();
    assert!(left.is_empty(), "{left:?}");
    std::fs::remove_dir_all(&root).unwrap();
}

/// Runs `config` (external actors) with its learner in `out` and actors in threads, each
/// made in folder `actor_dir(n)` for the n-th actor made (0 and 1: the first two; 2: the
/// replacement of actor 0 after update 1); checks what every test of this kind checks and
/// returns the final weights.
fn external_run(
    config: &SelfPlayConfig,
    out: &Path,
    actor_dir: impl Fn(usize) -> PathBuf,
) -> Vec<Vec<u8>> {
    use meowlab_meowjong::selfplay::pipeline::{consumed, PipelinePlan, ShardActor};
    use std::time::{Duration, Instant};
    config.validate().unwrap();
    let learner = {
        let (config, out) = (config.clone(), out.to_path_buf());
        std::thread::spawn(move || run_seed(&config, 5, &out, &mut |_| {}))
    };
    let run = out.join("ext__seed5");
    let deadline = Instant::now() + Duration::from_secs(300);
    while !run.join("pipeline.json").exists() {
        assert!(Instant::now() < deadline, "no plan");
        std::thread::sleep(Duration::from_millis(20));
    }
    let plan: PipelinePlan =
        serde_json::from_str(&std::fs::read_to_string(run.join("pipeline.json")).unwrap()).unwrap();
    assert_eq!(
        (plan.first_update, plan.last_update, plan.actors),
        (1, 3, 2)
    );
    let actor = |index: usize, folder: PathBuf, updates: Vec<u64>| {
        let config = plan.config.clone();
        std::thread::spawn(move || {
            let mut a = ShardActor::new(&folder, config, index).unwrap();
            let pause = || {
                std::thread::sleep(Duration::from_millis(10));
                Instant::now() < deadline
            };
            updates
                .into_iter()
                .map(|u| a.play(u, &pause).unwrap().unwrap())
                .collect::<Vec<_>>()
        })
    };
    let one = actor(1, actor_dir(1), vec![1, 2, 3]);
    let first = actor(0, actor_dir(0), vec![1]).join().unwrap();
    assert!(first[0].written);
    // the first actor 0 "died" while writing update 2: a folder of it is left behind
    let replacement_dir = actor_dir(2);
    let stale = replacement_dir.join("samples/update=00000002/.tmp-actor-0-999999");
    std::fs::create_dir_all(&stale).unwrap();
    std::fs::write(stale.join("part-00001.parquet"), b"half a file").unwrap();
    let replacement = actor(0, replacement_dir, vec![1, 2, 3]).join().unwrap();
    assert!(
        !replacement[0].written,
        "update 1 was written by the first actor 0"
    );
    assert_eq!(
        (replacement[0].rows, replacement[0].games),
        (first[0].rows, first[0].games)
    );
    assert!(replacement[1].written && replacement[2].written);
    assert!(!stale.exists(), "the dead actor's folder is cleared");
    let one = one.join().unwrap();
    assert!(one.iter().all(|s| s.written));
    learner.join().unwrap().unwrap();
    let record = consumed(&run).unwrap();
    let pairs: Vec<(u64, usize)> = record.iter().map(|c| (c.update, c.actor)).collect();
    assert_eq!(pairs, [(1, 0), (1, 1), (2, 0), (2, 1), (3, 0), (3, 1)]);
    assert_eq!(record[0].rows, first[0].rows);
    final_weights(&run)
}
