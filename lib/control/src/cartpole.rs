//! CartPole-v1: gymnasium's `CartPoleEnv` (explicit Euler, f64 state, f32 observation).

use crate::{check_state, discrete, Action, ControlError, Env, EnvSpec, Episode, Transition};

const GRAVITY: f64 = 9.8;
const MASS_CART: f64 = 1.0;
const MASS_POLE: f64 = 0.1;
const LENGTH: f64 = 0.5; // half the pole's length
const FORCE_MAG: f64 = 10.0;
const TAU: f64 = 0.02;
const X_THRESHOLD: f64 = 2.4;

/// Balance a pole on a cart by pushing left (0) or right (1); +1 per step, 500 steps max.
#[derive(Clone, Debug)]
pub struct CartPole {
    spec: EnvSpec,
    /// x, ẋ, θ, θ̇.
    state: [f64; 4],
    episode: Episode,
}

impl CartPole {
    /// A new env; call [`Env::reset`] before stepping.
    pub fn new() -> Self {
        CartPole {
            spec: EnvSpec {
                id: "CartPole-v1",
                obs_dim: 4,
                action_space: crate::ActionSpace::Discrete(2),
                max_episode_steps: 500,
                reward_threshold: Some(475.0),
            },
            state: [0.0; 4],
            episode: Episode::new(),
        }
    }

    fn observe(&self, obs: &mut [f32]) {
        for (o, s) in obs.iter_mut().zip(self.state) {
            *o = s as f32;
        }
    }
}

impl Default for CartPole {
    fn default() -> Self {
        Self::new()
    }
}

impl Env for CartPole {
    fn spec(&self) -> &EnvSpec {
        &self.spec
    }

    fn reset(&mut self, seed: Option<u64>, obs: &mut [f32]) {
        self.episode.reset(seed);
        self.state = std::array::from_fn(|_| self.episode.uniform(-0.05, 0.05));
        self.observe(obs);
    }

    fn step(&mut self, action: Action<'_>, obs: &mut [f32]) -> Result<Transition, ControlError> {
        let action = discrete(self.spec.id, action, 2)?;
        self.episode.tick(self.spec.id)?;
        // Operation order follows gymnasium's source so that results match bit for bit.
        let total_mass = MASS_POLE + MASS_CART;
        let polemass_length = MASS_POLE * LENGTH;
        let [x, x_dot, theta, theta_dot] = self.state;
        let force = if action == 1 { FORCE_MAG } else { -FORCE_MAG };
        let costheta = theta.cos();
        let sintheta = theta.sin();
        let temp = (force + polemass_length * (theta_dot * theta_dot) * sintheta) / total_mass;
        let thetaacc = (GRAVITY * sintheta - costheta * temp)
            / (LENGTH * (4.0 / 3.0 - MASS_POLE * (costheta * costheta) / total_mass));
        let xacc = temp - polemass_length * thetaacc * costheta / total_mass;
        let x = x + TAU * x_dot;
        let x_dot = x_dot + TAU * xacc;
        let theta = theta + TAU * theta_dot;
        let theta_dot = theta_dot + TAU * thetaacc;
        self.state = [x, x_dot, theta, theta_dot];
        let theta_threshold = 12.0 * 2.0 * std::f64::consts::PI / 360.0;
        // gymnasium's four comparisons, kept as written: `!range.contains(&x)` would also
        // terminate on NaN, which gymnasium does not.
        #[allow(clippy::manual_range_contains)]
        let terminated = x < -X_THRESHOLD
            || x > X_THRESHOLD
            || theta < -theta_threshold
            || theta > theta_threshold;
        self.observe(obs);
        Ok(self
            .episode
            .finish(1.0, terminated, self.spec.max_episode_steps))
    }

    fn state(&self) -> Vec<f64> {
        self.state.to_vec()
    }

    fn set_state(&mut self, state: &[f64], obs: &mut [f32]) -> Result<(), ControlError> {
        check_state(self.spec.id, state, 4)?;
        self.episode.reset(None);
        self.state.copy_from_slice(state);
        self.observe(obs);
        Ok(())
    }

    fn elapsed_steps(&self) -> u32 {
        self.episode.elapsed
    }
}
