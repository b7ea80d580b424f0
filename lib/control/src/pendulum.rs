//! Pendulum-v1: gymnasium's `PendulumEnv` (g = 10), including numpy 2's f32 arithmetic
//! for the torque terms.

use std::f64::consts::PI;

use crate::{
    check_state, continuous, np_square, np_square_f32, Action, ControlError, Env, EnvSpec, Episode,
    Transition,
};

const MAX_SPEED: f64 = 8.0;
const MAX_TORQUE: f32 = 2.0;
const DT: f64 = 0.05;
const G: f64 = 10.0;
const L: f64 = 1.0;

/// Swing a pendulum up and hold it with a torque in [−2, 2]; never terminates, 200 steps.
#[derive(Clone, Debug)]
pub struct Pendulum {
    spec: EnvSpec,
    /// θ (0 = upright), θ̇.
    state: [f64; 2],
    episode: Episode,
}

impl Pendulum {
    /// A new env; call [`Env::reset`] before stepping.
    pub fn new() -> Self {
        Pendulum {
            spec: EnvSpec {
                id: "Pendulum-v1",
                obs_dim: 3,
                action_space: crate::ActionSpace::Box {
                    low: vec![-MAX_TORQUE],
                    high: vec![MAX_TORQUE],
                },
                max_episode_steps: 200,
                reward_threshold: None,
            },
            state: [0.0; 2],
            episode: Episode::new(),
        }
    }

    fn observe(&self, obs: &mut [f32]) {
        let [theta, theta_dot] = self.state;
        obs[0] = theta.cos() as f32;
        obs[1] = theta.sin() as f32;
        obs[2] = theta_dot as f32;
    }
}

impl Default for Pendulum {
    fn default() -> Self {
        Self::new()
    }
}

/// numpy's `%` on floats: the result takes the divisor's sign.
fn py_mod(a: f64, b: f64) -> f64 {
    let m = a % b;
    if m != 0.0 && ((b < 0.0) != (m < 0.0)) {
        m + b
    } else if m == 0.0 {
        0.0f64.copysign(b)
    } else {
        m
    }
}

/// Angle wrapped to [−π, π), as gymnasium's `angle_normalize`.
pub(crate) fn angle_normalize(x: f64) -> f64 {
    py_mod(x + PI, 2.0 * PI) - PI
}

impl Env for Pendulum {
    fn spec(&self) -> &EnvSpec {
        &self.spec
    }

    fn reset(&mut self, seed: Option<u64>, obs: &mut [f32]) {
        self.episode.reset(seed);
        self.state = [
            self.episode.uniform(-PI, PI),
            self.episode.uniform(-1.0, 1.0),
        ];
        self.observe(obs);
    }

    fn step(&mut self, action: Action<'_>, obs: &mut [f32]) -> Result<Transition, ControlError> {
        let u = continuous(self.spec.id, action, 1)?[0];
        self.episode.tick(self.spec.id)?;
        let [th, thdot] = self.state;
        // numpy 2 keeps f32 × python float in f32: u² and 3/(m l²)·u (m = l = 1) are
        // rounded to f32. The squares are numpy scalar `** 2`, i.e. libm `pow`/`powf`,
        // which is not always the correctly rounded product (see `np_square`).
        let u = u.clamp(-MAX_TORQUE, MAX_TORQUE);
        let an = angle_normalize(th);
        let costs = np_square(an) + 0.1 * np_square(thdot) + f64::from(0.001f32 * np_square_f32(u));
        let torque_term = f64::from(3.0f32 * u);
        let newthdot = thdot + (3.0 * G / (2.0 * L) * th.sin() + torque_term) * DT;
        let newthdot = newthdot.clamp(-MAX_SPEED, MAX_SPEED);
        let newth = th + newthdot * DT;
        self.state = [newth, newthdot];
        self.observe(obs);
        Ok(self
            .episode
            .finish(-costs, false, self.spec.max_episode_steps))
    }

    fn state(&self) -> Vec<f64> {
        self.state.to_vec()
    }

    fn set_state(&mut self, state: &[f64], obs: &mut [f32]) -> Result<(), ControlError> {
        check_state(self.spec.id, state, 2)?;
        self.episode.reset(None);
        self.state.copy_from_slice(state);
        self.observe(obs);
        Ok(())
    }

    fn elapsed_steps(&self) -> u32 {
        self.episode.elapsed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn angle_normalize_wraps_like_numpy() {
        assert_eq!(angle_normalize(0.0), 0.0);
        assert!((angle_normalize(3.0 * PI / 2.0) + PI / 2.0).abs() < 1e-12);
        assert!((angle_normalize(-3.0 * PI / 2.0) - PI / 2.0).abs() < 1e-12);
        assert_eq!(angle_normalize(PI), -PI);
    }
}
