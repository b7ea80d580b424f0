//! SVERL on CartPole with a hand-written controller whose dependence on each feature is
//! known: it pushes towards the side the pole falls to (angle + ½·angular velocity) and
//! never reads the cart's position or velocity; its "value" is a fixed linear function.

use std::path::Path;

use meowlab_algos::explain::ControlExplainError;
use meowlab_algos::explain::{
    explain_control, ControlExplainConfig, ControlKind, Filling, LoggedStates,
};
use meowlab_algos::{Agent, AgentError, PolicyView, Recorder};
use meowlab_control::{make, Action};

const VALUE_WEIGHTS: [f32; 4] = [1.0, -2.0, 3.0, 0.5];

/// Pushes right when the pole leans or turns right.
struct PoleController {
    /// Whether `policy_view` answers (an agent without a discrete policy when false).
    discrete: bool,
}

impl PoleController {
    fn action(obs: &[f32]) -> usize {
        usize::from(obs[2] + 0.5 * obs[3] > 0.0)
    }
}

impl Agent for PoleController {
    fn global_step(&self) -> u64 {
        0
    }
    fn updates(&self) -> u64 {
        0
    }
    fn train(&mut self, _: u64, _: &mut dyn Recorder) -> Result<(), AgentError> {
        Ok(())
    }
    fn act_deterministic(&mut self, obs: &[f32], action: &mut Vec<f32>) {
        *action = vec![Self::action(obs) as f32];
    }
    fn save(&self, _: &Path) -> Result<(), AgentError> {
        Ok(())
    }
    fn load(&mut self, _: &Path) -> Result<(), AgentError> {
        Ok(())
    }
    fn policy_view(&mut self, obs: &[f32]) -> Option<PolicyView> {
        if !self.discrete {
            return None;
        }
        let mut probs = Vec::new();
        let mut values = Vec::new();
        for row in obs.chunks(4) {
            let a = Self::action(row);
            probs.extend([(1 - a) as f32, a as f32]);
            values.push(row.iter().zip(VALUE_WEIGHTS).map(|(x, w)| x * w).sum());
        }
        Some(PolicyView {
            actions: 2,
            probs,
            values,
            action_values: None,
        })
    }
}

/// The controller's own states: `episodes` episodes from seeded resets.
fn logged(episodes: u64) -> LoggedStates {
    let mut env = make("CartPole-v1").unwrap();
    let mut states = LoggedStates {
        dims: 4,
        ..LoggedStates::default()
    };
    let mut obs = [0.0f32; 4];
    for e in 0..episodes {
        env.reset(Some(100 + e), &mut obs);
        for t in 0.. {
            states.observations.extend_from_slice(&obs);
            states.episodes.push(e);
            states.steps.push(t);
            let step = env
                .step(Action::Discrete(PoleController::action(&obs)), &mut obs)
                .unwrap();
            if step.done() {
                break;
            }
        }
    }
    states
}

fn config(kind: ControlKind, filling: Filling, states: usize) -> ControlExplainConfig {
    ControlExplainConfig {
        kind,
        filling,
        states,
        background: Some(400),
        rollouts: 3,
        seed: 5,
        first_id: 10,
    }
}

const ON_MANIFOLD: Filling = Filling::OnManifold { bandwidth: 0.2 };

fn explain(kind: ControlKind, filling: Filling, states: usize) -> Vec<meowlab_store::Explanation> {
    let mut agent = PoleController { discrete: true };
    explain_control(
        &mut agent,
        "CartPole-v1",
        &logged(4),
        &config(kind, filling, states),
        &mut |_| {},
    )
    .unwrap()
}

#[test]
fn the_controller_balances_its_logged_episodes() {
    // the premise of the tests below: these are the states of a good policy
    let states = logged(4);
    assert_eq!(
        states.len(),
        4 * 500,
        "every episode lasts the full 500 steps"
    );
}

#[test]
fn features_the_policy_never_reads_get_nothing_interventionally() {
    let out = explain(ControlKind::Policy, Filling::Interventional, 30);
    assert_eq!(out.len(), 30);
    for e in &out {
        assert_eq!(e.players[0], "cart position");
        assert_eq!(e.values[0], 0.0, "{e:?}");
        assert_eq!(e.values[1], 0.0, "{e:?}");
        assert_eq!(e.full, 1.0, "the preferred action's probability");
        assert!(e.target.starts_with("π(push"));
        assert_eq!(e.conditioning, "interventional (off-manifold)");
        let sum: f64 = e.values.iter().sum();
        assert!((sum - (e.full - e.base)).abs() < 1e-12);
    }
    // and the pole's two features carry all of it
    assert!(out.iter().any(|e| e.values[2] + e.values[3] > 0.1));
}

#[test]
fn a_linear_value_is_attributed_weight_times_deviation_from_the_background_mean() {
    let out = explain(ControlKind::Value, Filling::Interventional, 10);
    let states = logged(4);
    let row = |e: &meowlab_store::Explanation| {
        let i = (0..states.len())
            .find(|&i| {
                states.episodes[i] == e.episode_id.unwrap() && states.steps[i] == e.step.unwrap()
            })
            .expect("the explained state is a logged one");
        states.row(i).to_vec()
    };
    for e in &out {
        assert_eq!(e.target, "V(s) (critic)");
        let fx: f32 = row(e).iter().zip(VALUE_WEIGHTS).map(|(x, w)| x * w).sum();
        assert!((e.full - fx as f64).abs() < 1e-6);
    }
    // φ_j = w_j (x_j − background mean of feature j): between two explained states,
    // φ_j(a) − φ_j(b) = w_j (x_j(a) − x_j(b))
    let (a, b) = (&out[0], &out[1]);
    let (xa, xb) = (row(a), row(b));
    for j in 0..4 {
        let want = VALUE_WEIGHTS[j] as f64 * (xa[j] as f64 - xb[j] as f64);
        assert!(
            (a.values[j] - b.values[j] - want).abs() < 1e-5,
            "feature {j}: {} vs {want}",
            a.values[j] - b.values[j]
        );
    }
}

#[test]
fn on_manifold_explanations_are_efficient_and_deterministic() {
    let first = explain(ControlKind::Policy, ON_MANIFOLD, 20);
    assert_eq!(first, explain(ControlKind::Policy, ON_MANIFOLD, 20));
    for (i, e) in first.iter().enumerate() {
        assert_eq!(e.explanation_id, 10 + i as u64);
        assert_eq!(e.conditioning, "on-manifold (kernel)");
        let sum: f64 = e.values.iter().sum();
        assert!((sum - (e.full - e.base)).abs() < 1e-12);
        // v(∅) is the policy's marginal: the share of logged states where it pushes the
        // same way, strictly between 0 and 1 for a balancing controller
        assert!(e.base > 0.2 && e.base < 0.8, "{}", e.base);
    }
}

#[test]
fn local_performance_uses_returns_of_rollouts_from_the_state() {
    let out = explain(ControlKind::LocalPerformance, ON_MANIFOLD, 5);
    for e in &out {
        // v(F): the controller acts as itself, so the return is the rest of its episode
        // (it balances to the time limit): 500 − step
        let left = 500.0 - e.step.unwrap() as f64;
        assert!((e.full - left).abs() < 1e-9, "{} vs {left}", e.full);
        assert!(e.base <= e.full + 1e-9);
        let sum: f64 = e.values.iter().sum();
        assert!((sum - (e.full - e.base)).abs() < 1e-9);
        assert_eq!(e.stderr.as_ref().map(Vec::len), Some(4));
        assert!(e.method.contains("3 rollouts"));
    }
}

#[test]
fn global_performance_credits_the_pole_not_the_cart() {
    let out = explain(ControlKind::GlobalPerformance, Filling::Interventional, 3);
    for e in &out {
        let left = 500.0 - e.step.unwrap() as f64;
        assert!((e.full - left).abs() < 1e-9);
        // without the pole's features the policy is a coin toss and fails fast
        assert!(e.base < 100.0, "{}", e.base);
        // the cart's features are never read: acting without them changes nothing
        assert!(
            e.values[0].abs() < 1e-9 && e.values[1].abs() < 1e-9,
            "{e:?}"
        );
        assert!(e.values[2] + e.values[3] > 0.5 * (e.full - e.base));
    }
}

#[test]
fn agents_without_a_discrete_policy_and_envs_without_state_are_errors() {
    let mut agent = PoleController { discrete: false };
    let err = explain_control(
        &mut agent,
        "CartPole-v1",
        &logged(1),
        &config(ControlKind::Policy, ON_MANIFOLD, 2),
        &mut |_| {},
    )
    .unwrap_err();
    assert!(matches!(err, ControlExplainError::NoPolicy), "{err}");

    // Acrobot observes cos/sin of its angles: no restart from an observation
    let acrobot = LoggedStates {
        dims: 6,
        observations: vec![1.0, 0.0, 1.0, 0.0, 0.0, 0.0],
        episodes: vec![0],
        steps: vec![0],
    };
    struct Acro;
    impl Agent for Acro {
        fn global_step(&self) -> u64 {
            0
        }
        fn updates(&self) -> u64 {
            0
        }
        fn train(&mut self, _: u64, _: &mut dyn Recorder) -> Result<(), AgentError> {
            Ok(())
        }
        fn act_deterministic(&mut self, _: &[f32], action: &mut Vec<f32>) {
            *action = vec![0.0];
        }
        fn save(&self, _: &Path) -> Result<(), AgentError> {
            Ok(())
        }
        fn load(&mut self, _: &Path) -> Result<(), AgentError> {
            Ok(())
        }
        fn policy_view(&mut self, obs: &[f32]) -> Option<PolicyView> {
            let rows = obs.len() / 6;
            Some(PolicyView {
                actions: 3,
                probs: [1.0, 0.0, 0.0].repeat(rows),
                values: vec![0.0; rows],
                action_values: None,
            })
        }
    }
    let err = explain_control(
        &mut Acro,
        "Acrobot-v1",
        &acrobot,
        &config(ControlKind::LocalPerformance, ON_MANIFOLD, 1),
        &mut |_| {},
    )
    .unwrap_err();
    assert!(err.to_string().contains("not its state"), "{err}");
    // value and policy need no restart
    let ok = explain_control(
        &mut Acro,
        "Acrobot-v1",
        &acrobot,
        &config(ControlKind::Policy, ON_MANIFOLD, 1),
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(ok[0].players[0], "cos theta1");
}
