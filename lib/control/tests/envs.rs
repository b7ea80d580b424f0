//! The environment contract, without python: seeding, time limits, refused actions and
//! `VecEnv`'s automatic reset. (The dynamics themselves are cross-checked against
//! gymnasium by `control-crosscheck` in `.ci/run`.)

use meowlab_control::{make, Action, ActionSpace, ControlError, Env, VecEnv, ENV_IDS};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A random action for `space` (continuous ones reach 1.5× the bounds).
fn random_action(space: &ActionSpace, rng: &mut ChaCha8Rng, buf: &mut Vec<f32>) -> Option<usize> {
    match space {
        ActionSpace::Discrete(n) => Some(rng.gen_range(0..*n)),
        ActionSpace::Box { low, high } => {
            buf.clear();
            buf.extend(low.iter().zip(high).map(|(&l, &h)| {
                let (mid, half) = ((l + h) / 2.0, (h - l) / 2.0);
                mid + half * rng.gen_range(-1.5f32..1.5)
            }));
            None
        }
    }
}

fn step_random(
    env: &mut dyn Env,
    rng: &mut ChaCha8Rng,
    obs: &mut [f32],
) -> (Vec<f32>, f64, bool, bool) {
    let mut buf = Vec::new();
    let space = env.spec().action_space.clone();
    let t = match random_action(&space, rng, &mut buf) {
        Some(a) => env.step(Action::Discrete(a), obs),
        None => env.step(Action::Continuous(&buf), obs),
    }
    .expect("a valid action in a running episode");
    (obs.to_vec(), t.reward, t.terminated, t.truncated)
}

/// Observations, rewards and flags of `episodes` episodes from `reset(Some(seed))`
/// (later episodes from `reset(None)`), with actions from ChaCha8(`action_seed`).
fn episodes(
    id: &str,
    seed: u64,
    action_seed: u64,
    episodes: usize,
) -> Vec<(Vec<f32>, f64, bool, bool)> {
    let mut env = make(id).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(action_seed);
    let mut obs = vec![0.0; env.spec().obs_dim];
    let mut out = Vec::new();
    for e in 0..episodes {
        env.reset(if e == 0 { Some(seed) } else { None }, &mut obs);
        out.push((obs.clone(), 0.0, false, false));
        loop {
            let step = step_random(env.as_mut(), &mut rng, &mut obs);
            let done = step.2 || step.3;
            out.push(step);
            if done {
                break;
            }
        }
    }
    out
}

#[test]
fn same_seed_same_episodes() {
    for id in ENV_IDS {
        let a = episodes(id, 11, 3, 3);
        let b = episodes(id, 11, 3, 3);
        assert_eq!(a, b, "{id}");
        let c = episodes(id, 12, 3, 3);
        assert_ne!(
            a[0].0, c[0].0,
            "{id}: another seed, another first observation"
        );
    }
}

#[test]
fn reset_without_seed_continues_the_generator() {
    for id in ENV_IDS {
        let mut env = make(id).unwrap();
        let d = env.spec().obs_dim;
        let (mut first, mut second, mut again) = (vec![0.0; d], vec![0.0; d], vec![0.0; d]);
        env.reset(Some(5), &mut first);
        let s1 = env.state();
        env.reset(None, &mut second);
        assert_ne!(first, second, "{id}: reset(None) draws a new state");
        assert_ne!(s1, env.state(), "{id}");
        env.reset(Some(5), &mut again);
        assert_eq!(first, again, "{id}: reseeding starts over");
        assert_eq!(s1, env.state(), "{id}");
        let mut other = make(id).unwrap();
        let mut o = vec![0.0; d];
        other.reset(Some(5), &mut o);
        other.reset(None, &mut o);
        assert_eq!(
            o, second,
            "{id}: the second episode depends only on the seed"
        );
    }
}

#[test]
fn pendulum_always_truncates_at_200() {
    let mut env = make("Pendulum-v1").unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let mut obs = [0.0; 3];
    for seed in 0..5 {
        env.reset(Some(seed), &mut obs);
        for t in 1..=200 {
            let (_, reward, terminated, truncated) = step_random(env.as_mut(), &mut rng, &mut obs);
            assert!(
                reward <= 0.0 && reward >= -(std::f64::consts::PI.powi(2) + 6.4 + 0.004) - 1e-9
            );
            assert!(!terminated);
            assert_eq!(truncated, t == 200, "step {t}");
            assert_eq!(env.elapsed_steps(), t);
        }
    }
}

/// Steps a constant action until the episode ends; returns (steps, last transition).
fn run_constant(env: &mut dyn Env, action: Action<'_>) -> (u32, bool, bool) {
    let mut obs = vec![0.0; env.spec().obs_dim];
    loop {
        let t = env.step(action, &mut obs).unwrap();
        if t.done() {
            return (env.elapsed_steps(), t.terminated, t.truncated);
        }
    }
}

#[test]
fn mountain_car_truncates_at_999_with_zero_action() {
    let mut env = make("MountainCarContinuous-v0").unwrap();
    let mut obs = [0.0; 2];
    for seed in 0..3 {
        env.reset(Some(seed), &mut obs);
        assert_eq!(
            run_constant(env.as_mut(), Action::Continuous(&[0.0])),
            (999, false, true)
        );
    }
}

#[test]
fn acrobot_truncates_at_500_without_torque() {
    let mut env = make("Acrobot-v1").unwrap();
    let mut obs = [0.0; 6];
    env.reset(Some(0), &mut obs);
    assert_eq!(
        run_constant(env.as_mut(), Action::Discrete(1)),
        (500, false, true)
    );
}

#[test]
fn cartpole_truncates_at_500_when_balanced() {
    let mut env = make("CartPole-v1").unwrap();
    let mut obs = [0.0f32; 4];
    for seed in 0..3 {
        env.reset(Some(seed), &mut obs);
        let mut steps = 0;
        let mut total = 0.0;
        loop {
            let [x, x_dot, theta, theta_dot] = obs.map(f64::from);
            let a = usize::from(3.0 * theta + theta_dot + 0.1 * x + 0.5 * x_dot > 0.0);
            let t = env.step(Action::Discrete(a), &mut obs).unwrap();
            steps += 1;
            total += t.reward;
            if t.done() {
                assert!(
                    t.truncated && !t.terminated,
                    "seed {seed}: fell at step {steps}"
                );
                break;
            }
        }
        assert_eq!((steps, total), (500, 500.0), "seed {seed}");
    }
}

#[test]
fn terminal_steps_are_rewarded_as_gymnasium_does() {
    // CartPole: +1 on the terminating step too.
    let mut env = make("CartPole-v1").unwrap();
    let mut obs = [0.0; 4];
    env.reset(Some(0), &mut obs);
    let mut obs4 = [0.0; 4];
    env.set_state(&[0.0, 0.0, 0.2094, 2.0], &mut obs4).unwrap();
    let t = env.step(Action::Discrete(1), &mut obs4).unwrap();
    assert!(t.terminated && !t.truncated);
    assert_eq!(t.reward, 1.0);
    // MountainCarContinuous: 100 at the flag, minus 0.1·a² of the *unclipped* action.
    let mut env = make("MountainCarContinuous-v0").unwrap();
    let mut obs = [0.0; 2];
    env.set_state(&[0.449, 0.05], &mut obs).unwrap();
    let t = env.step(Action::Continuous(&[1.5]), &mut obs).unwrap();
    assert!(t.terminated);
    assert_eq!(t.reward, 100.0 - 2.25 * 0.1);
    env.set_state(&[-0.5, 0.0], &mut obs).unwrap();
    let t = env.step(Action::Continuous(&[-2.0]), &mut obs).unwrap();
    assert!(!t.terminated);
    assert_eq!(t.reward, -0.4, "the penalty uses -2, not the clipped -1");
    // Acrobot: 0 on the terminal step, -1 before.
    let mut env = make("Acrobot-v1").unwrap();
    let mut obs = [0.0; 6];
    env.set_state(&[3.0, 0.0, 0.0, 0.0], &mut obs).unwrap();
    let t = env.step(Action::Discrete(1), &mut obs).unwrap();
    assert!(t.terminated);
    assert_eq!(t.reward, 0.0);
}

#[test]
fn invalid_actions_are_refused_and_change_nothing() {
    let bad: [(&str, Vec<Action<'static>>); 4] = [
        (
            "CartPole-v1",
            vec![Action::Discrete(2), Action::Continuous(&[1.0])],
        ),
        (
            "Acrobot-v1",
            vec![Action::Discrete(3), Action::Continuous(&[0.0])],
        ),
        (
            "Pendulum-v1",
            vec![
                Action::Discrete(0),
                Action::Continuous(&[]),
                Action::Continuous(&[1.0, 1.0]),
                Action::Continuous(&[f32::NAN]),
            ],
        ),
        (
            "MountainCarContinuous-v0",
            vec![
                Action::Discrete(1),
                Action::Continuous(&[f32::NAN]),
                Action::Continuous(&[]),
            ],
        ),
    ];
    for (id, actions) in bad {
        let mut env = make(id).unwrap();
        let d = env.spec().obs_dim;
        let mut obs = vec![0.0; d];
        env.reset(Some(3), &mut obs);
        let (state, obs_before) = (env.state(), obs.clone());
        for action in actions {
            let err = env.step(action, &mut obs).unwrap_err();
            assert!(
                matches!(err, ControlError::InvalidAction { .. }),
                "{id} {action:?}: {err}"
            );
            assert!(err.to_string().contains(id), "{err}");
            assert_eq!(env.state(), state, "{id} {action:?}: state changed");
            assert_eq!(obs, obs_before, "{id} {action:?}: obs changed");
            assert_eq!(
                env.elapsed_steps(),
                0,
                "{id} {action:?}: a step was counted"
            );
        }
        // …and the episode goes on normally afterwards.
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        step_random(env.as_mut(), &mut rng, &mut obs);
        assert_eq!(env.elapsed_steps(), 1);
    }
}

#[test]
fn step_after_done_or_before_reset_needs_reset() {
    for id in ENV_IDS {
        let mut env = make(id).unwrap();
        let d = env.spec().obs_dim;
        let mut obs = vec![0.0; d];
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let mut buf = Vec::new();
        let space = env.spec().action_space.clone();
        let discrete = random_action(&space, &mut rng, &mut buf);
        let action = match discrete {
            Some(a) => Action::Discrete(a),
            None => Action::Continuous(&buf),
        };
        assert_eq!(
            env.step(action, &mut obs),
            Err(ControlError::NeedsReset(env.spec().id))
        );
        env.reset(Some(0), &mut obs);
        loop {
            let (_, _, terminated, truncated) = step_random(env.as_mut(), &mut rng, &mut obs);
            if terminated || truncated {
                break;
            }
        }
        let (state, steps) = (env.state(), env.elapsed_steps());
        let err = env.step(action, &mut obs).unwrap_err();
        assert_eq!(err, ControlError::NeedsReset(env.spec().id), "{id}");
        assert_eq!((env.state(), env.elapsed_steps()), (state, steps), "{id}");
        env.reset(None, &mut obs);
        assert!(
            env.step(action, &mut obs).is_ok(),
            "{id}: a reset starts over"
        );
    }
}

#[test]
fn set_state_rejects_bad_states() {
    for id in ENV_IDS {
        let mut env = make(id).unwrap();
        let n = env.state().len();
        let mut obs = vec![0.0; env.spec().obs_dim];
        assert!(matches!(
            env.set_state(&vec![0.0; n + 1], &mut obs),
            Err(ControlError::InvalidState { .. })
        ));
        let mut nan = vec![0.0; n];
        nan[0] = f64::NAN;
        assert!(matches!(
            env.set_state(&nan, &mut obs),
            Err(ControlError::InvalidState { .. })
        ));
        let good: Vec<f64> = (0..n).map(|i| 0.01 * i as f64).collect();
        env.set_state(&good, &mut obs).unwrap();
        assert_eq!(env.state(), good);
        assert_eq!(env.elapsed_steps(), 0);
    }
    assert!(matches!(
        make("CartPole-v0"),
        Err(ControlError::UnknownEnv(_))
    ));
}

/// Everything one env of a `VecEnv` should see, recorded by stepping a single env.
#[derive(Default)]
struct Single {
    /// Observation to act on at each vec step (after any automatic reset).
    obs: Vec<Vec<f32>>,
    rewards: Vec<f64>,
    terminated: Vec<bool>,
    truncated: Vec<bool>,
    /// The observation the env reached when an episode ended.
    final_obs: Vec<Option<Vec<f32>>>,
    /// (step index, return, length) of finished episodes.
    finished: Vec<(usize, f64, u32)>,
}

fn single_run(id: &str, seed: u64, actions: &[Vec<f32>]) -> Single {
    let mut env = make(id).unwrap();
    let discrete = matches!(env.spec().action_space, ActionSpace::Discrete(_));
    let mut obs = vec![0.0; env.spec().obs_dim];
    env.reset(Some(seed), &mut obs);
    let mut s = Single::default();
    let mut ret = 0.0;
    for (k, a) in actions.iter().enumerate() {
        let t = if discrete {
            env.step(Action::Discrete(a[0] as usize), &mut obs)
        } else {
            env.step(Action::Continuous(a), &mut obs)
        }
        .unwrap();
        ret += t.reward;
        s.rewards.push(t.reward);
        s.terminated.push(t.terminated);
        s.truncated.push(t.truncated);
        if t.done() {
            s.final_obs.push(Some(obs.clone()));
            s.finished.push((k, ret, env.elapsed_steps()));
            ret = 0.0;
            env.reset(None, &mut obs);
        } else {
            s.final_obs.push(None);
        }
        s.obs.push(obs.clone());
    }
    s
}

#[test]
fn vec_env_autoresets_like_single_envs_with_the_same_seeds() {
    const N: usize = 5;
    const STEPS: usize = 1200;
    for id in ENV_IDS {
        let mut venv = VecEnv::new(id, N).unwrap();
        assert_eq!(venv.len(), N);
        let spec = venv.spec().clone();
        let d = spec.obs_dim;
        let k = spec.action_space.dim();
        let seed = 100;
        // per env, per step: the action as floats
        let mut rng = ChaCha8Rng::seed_from_u64(4);
        let mut buf = Vec::new();
        let actions: Vec<Vec<Vec<f32>>> = (0..N)
            .map(|_| {
                (0..STEPS)
                    .map(
                        |_| match random_action(&spec.action_space, &mut rng, &mut buf) {
                            Some(a) => vec![a as f32],
                            None => buf.clone(),
                        },
                    )
                    .collect()
            })
            .collect();
        let singles: Vec<Single> = (0..N)
            .zip(&actions)
            .map(|(i, a)| single_run(id, seed + i as u64, a))
            .collect();

        let first = venv.reset(seed).to_vec();
        for i in 0..N {
            let mut o = vec![0.0; d];
            make(id).unwrap().reset(Some(seed + i as u64), &mut o);
            assert_eq!(&first[i * d..(i + 1) * d], &o[..], "{id} env {i}: reset");
        }
        let mut finished = vec![Vec::new(); N];
        for step in 0..STEPS {
            let r = match spec.action_space {
                ActionSpace::Discrete(_) => {
                    let a: Vec<usize> = actions.iter().map(|a| a[step][0] as usize).collect();
                    venv.step_discrete(&a)
                }
                ActionSpace::Box { .. } => {
                    let a: Vec<f32> = actions.iter().flat_map(|a| a[step].clone()).collect();
                    assert_eq!(a.len(), N * k);
                    venv.step_continuous(&a)
                }
            }
            .unwrap();
            for (i, s) in singles.iter().enumerate() {
                let at = format!("{id} env {i} step {step}");
                assert_eq!(&r.obs[i * d..(i + 1) * d], &s.obs[step][..], "{at}: obs");
                assert_eq!(r.rewards[i], s.rewards[step], "{at}: reward");
                assert_eq!(r.terminated[i], s.terminated[step], "{at}: terminated");
                assert_eq!(r.truncated[i], s.truncated[step], "{at}: truncated");
                if let Some(fo) = &s.final_obs[step] {
                    assert_eq!(&r.final_obs[i * d..(i + 1) * d], &fo[..], "{at}: final obs");
                }
            }
            for f in r.finished {
                finished[f.env].push((step, f.ret, f.length));
            }
        }
        let mut total = 0;
        for (i, s) in singles.iter().enumerate() {
            assert_eq!(finished[i], s.finished, "{id} env {i}: finished episodes");
            total += s.finished.len();
        }
        assert!(
            total >= N,
            "{id}: every env should finish an episode in {STEPS} steps"
        );
    }
}
