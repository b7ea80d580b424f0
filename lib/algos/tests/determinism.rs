//! The same seed gives the same results and the same files: two runs of each algorithm
//! family write byte-identical `steps` and `episodes` shards and the same evaluations.

use std::path::Path;

use meowlab_algos::experiment::{run_seed, ExperimentConfig};

fn shard_bytes(run: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for table in ["steps", "episodes"] {
        for shard in meowlab_store::table::shards(&run.join(table)).unwrap() {
            let rel = shard.strip_prefix(run).unwrap().display().to_string();
            out.push((rel, std::fs::read(&shard).unwrap()));
        }
    }
    out
}

fn check(config_text: &str) {
    let config: ExperimentConfig = toml::from_str(config_text).unwrap();
    config.validate().unwrap();
    let root = std::env::temp_dir().join(format!(
        "meowlab-determinism-{}-{}",
        config.name,
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&root);
    let a = run_seed(&config, 5, &root.join("a"), &mut |_| {}).unwrap();
    let b = run_seed(&config, 5, &root.join("b"), &mut |_| {}).unwrap();
    let evals = |s: &meowlab_algos::experiment::SeedSummary| {
        s.evals.iter().map(|e| (e.0, e.2, e.3)).collect::<Vec<_>>()
    };
    assert_eq!(evals(&a), evals(&b), "{}", config.name);
    let (fa, fb) = (
        shard_bytes(&root.join("a").join(&a.run_id)),
        shard_bytes(&root.join("b").join(&b.run_id)),
    );
    assert!(!fa.is_empty());
    assert_eq!(fa.len(), fb.len());
    for ((name, x), (_, y)) in fa.iter().zip(&fb) {
        assert!(
            x == y,
            "{}: {name} differs between two runs of seed 5",
            config.name
        );
    }
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn dqn_runs_are_reproducible() {
    check(
        "name = \"det-dqn\"\nenv = \"CartPole-v1\"\ntotal_timesteps = 6000\n\
         [eval]\nevery = 3000\nepisodes = 3\n\
         [dqn]\nlearning_starts = 500\ntrain_frequency = 2\ndueling = true\ndouble = true\n",
    );
}

#[test]
fn ddpg_param_noise_runs_are_reproducible() {
    check(
        "name = \"det-ddpg\"\nenv = \"MountainCarContinuous-v0\"\ntotal_timesteps = 3000\n\
         [eval]\nevery = 1500\nepisodes = 1\n\
         [ddpg]\nlearning_starts = 500\nhidden = [32, 32]\nbatch_size = 64\n\
         exploration = \"parameter\"\nnormalize_obs = true\n",
    );
}

#[test]
fn ppo_bang_bang_runs_are_reproducible() {
    check(
        "name = \"det-ppo\"\nenv = \"Pendulum-v1\"\ntotal_timesteps = 4096\n\
         [eval]\nevery = 2048\nepisodes = 2\n\
         [ppo]\npolicy = \"bang_bang\"\nnum_envs = 2\nnum_steps = 256\n",
    );
}

#[test]
fn a3c_round_robin_runs_are_reproducible() {
    // Four threads whose updates take turns: the same seed gives the same files, for the
    // categorical and the Gaussian head, with shared and with per-thread statistics.
    check(
        "name = \"det-a3c\"\nenv = \"CartPole-v1\"\ntotal_timesteps = 6000\n\
         [eval]\nevery = 3000\nepisodes = 3\n\
         [a3c]\nthreads = 4\ndeterministic = true\n",
    );
    check(
        "name = \"det-a3c-gaussian\"\nenv = \"Pendulum-v1\"\ntotal_timesteps = 4000\n\
         [eval]\nevery = 2000\nepisodes = 2\n\
         [a3c]\nthreads = 3\ndeterministic = true\nshared_statistics = false\n\
         updates = \"locked\"\n",
    );
}
