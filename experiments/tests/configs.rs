//! Every experiment config in `experiments/` parses, validates and builds its agent, so
//! configs cannot rot when a hyper-parameter is renamed.

use meowlab::algos::experiment::ExperimentConfig;
use meowlab::meowjong::selfplay::run::SelfPlayConfig;

#[test]
fn every_experiment_config_loads_and_builds() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml")
            && path.file_name().unwrap() != "Cargo.toml"
        {
            let text = std::fs::read_to_string(&path).unwrap();
            let name = if SelfPlayConfig::is_selfplay(&text) {
                SelfPlayConfig::load(&path)
                    .unwrap_or_else(|e| panic!("{e}"))
                    .name
            } else {
                let config = ExperimentConfig::load(&path).unwrap_or_else(|e| panic!("{e}"));
                config
                    .build_agent(1)
                    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                config.name
            };
            assert_eq!(
                path.file_stem().unwrap().to_string_lossy(),
                name,
                "the file is named after the experiment"
            );
            n += 1;
        }
    }
    assert!(n >= 10, "found only {n} configs");
}

#[test]
fn bad_configs_are_refused_with_the_reason() {
    let dir = std::env::temp_dir().join(format!("meowlab-configs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let check = |name: &str, text: &str, expected: &str| {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        let err = ExperimentConfig::load(&path).unwrap_err().to_string();
        assert!(err.contains(name) && err.contains(expected), "{err}");
    };
    let head = "name = \"x\"\nenv = \"CartPole-v1\"\ntotal_timesteps = 1000\n";
    check("none.toml", head, "exactly one algorithm");
    check(
        "two.toml",
        &format!("{head}[dqn]\n[ppo]\n"),
        "found dqn, ppo",
    );
    check(
        "typo.toml",
        &format!("{head}[dqn]\nlearning_rat = 1e-3\n"),
        "learning_rat",
    );
    check(
        "wrongenv.toml",
        &format!("{head}[ddpg]\n"),
        "continuous env",
    );
    check(
        "unknown.toml",
        "name = \"x\"\nenv = \"Hopper-v4\"\ntotal_timesteps = 1000\n[ppo]\n",
        "unknown environment",
    );
    check(
        "nothreads.toml",
        &format!("{head}[a3c]\nthreads = 0\n"),
        "a3c.threads must be positive",
    );
    check(
        "mode.toml",
        &format!("{head}[a3c]\nupdates = \"atomic\"\n"),
        "unknown variant `atomic`",
    );
    let _ = std::fs::remove_dir_all(&dir);
}
