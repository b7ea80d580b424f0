//! Short learning tests: each algorithm must learn something measurable in under a
//! minute on the CI machine (release build).

use std::time::Instant;

use meowlab_algos::dqn::{Dqn, DqnConfig};
use meowlab_algos::{evaluate, Agent, NullRecorder};

fn eval(agent: &mut dyn Agent, env: &str) -> f64 {
    evaluate(agent, env, 10, 10_000, |_, _| Ok(()))
        .unwrap()
        .mean()
}

#[test]
fn dqn_learns_cartpole() {
    let start = Instant::now();
    let config = DqnConfig {
        learning_starts: 1_000,
        train_frequency: 2,
        target_network_frequency: 200,
        exploration_fraction: 0.3,
        learning_rate: 1e-3,
        hidden: vec![64, 64],
        ..DqnConfig::default()
    };
    let mut agent = Dqn::new("CartPole-v1", config, 30_000, 1).unwrap();
    let before = eval(&mut agent, "CartPole-v1");
    agent.train(30_000, &mut NullRecorder).unwrap();
    let after = eval(&mut agent, "CartPole-v1");
    eprintln!(
        "DQN CartPole: {before:.1} → {after:.1} in {:.1?}",
        start.elapsed()
    );
    assert!(after >= 150.0 && after > before * 3.0, "{before} → {after}");
}

#[test]
fn ddpg_learns_pendulum() {
    use meowlab_algos::ddpg::{Ddpg, DdpgConfig};
    let start = Instant::now();
    let config = DdpgConfig {
        learning_rate: 1e-3,
        gamma: 0.98,
        learning_starts: 1_000,
        policy_frequency: 1,
        hidden: vec![64, 64],
        batch_size: 128,
        ..DdpgConfig::default()
    };
    let mut agent = Ddpg::new("Pendulum-v1", config, 1).unwrap();
    let before = eval(&mut agent, "Pendulum-v1");
    agent.train(8_000, &mut NullRecorder).unwrap();
    let after = eval(&mut agent, "Pendulum-v1");
    eprintln!(
        "DDPG Pendulum: {before:.1} → {after:.1} in {:.1?}",
        start.elapsed()
    );
    assert!(
        after > -600.0 && after > before + 400.0,
        "{before} → {after}"
    );
}
