//! MountainCarContinuous-v0: gymnasium's `Continuous_MountainCarEnv`, emulating numpy 2's
//! scalar promotion rules (the state is f64 right after a reset and f32 after a step;
//! python floats meeting an f32 are rounded to f32 first).

use std::cmp::Ordering::{self, Equal, Greater, Less};

use crate::{check_state, continuous, Action, ControlError, Env, EnvSpec, Episode, Transition};

const MIN_POSITION: f64 = -1.2;
const MAX_POSITION: f64 = 0.6;
const MAX_SPEED: f64 = 0.07;
const GOAL_POSITION: f64 = 0.45;
const GOAL_VELOCITY: f64 = 0.0;
const POWER: f64 = 0.0015;

/// Drive an underpowered car up a hill; reward 100 at the flag minus 0.1·a² per step,
/// 999 steps max.
#[derive(Clone, Debug)]
pub struct MountainCarContinuous {
    spec: EnvSpec,
    /// Position, velocity.
    state: [f64; 2],
    /// Whether the state holds f32 values (numpy stores it as float32 after a step).
    narrow: bool,
    episode: Episode,
}

/// A number as numpy sees it: an f32 scalar or a python float.
#[derive(Clone, Copy, Debug)]
enum Num {
    F32(f32),
    Py(f64),
}

impl Num {
    fn value(self) -> f64 {
        match self {
            Num::F32(x) => f64::from(x),
            Num::Py(x) => x,
        }
    }
}

impl MountainCarContinuous {
    /// A new env; call [`Env::reset`] before stepping.
    pub fn new() -> Self {
        MountainCarContinuous {
            spec: EnvSpec {
                id: "MountainCarContinuous-v0",
                obs_dim: 2,
                action_space: crate::ActionSpace::Box {
                    low: vec![-1.0],
                    high: vec![1.0],
                },
                max_episode_steps: 999,
                reward_threshold: Some(90.0),
            },
            state: [0.0; 2],
            narrow: false,
            episode: Episode::new(),
        }
    }

    fn observe(&self, obs: &mut [f32]) {
        obs[0] = self.state[0] as f32;
        obs[1] = self.state[1] as f32;
    }
}

/// Compares a value with a python float the way numpy 2 does: in f32 when the value is an
/// f32 scalar, else in f64.
fn cmp(x: Num, b: f64) -> Ordering {
    match x {
        Num::F32(x) => x.partial_cmp(&(b as f32)).unwrap_or(Equal),
        Num::Py(x) => x.partial_cmp(&b).unwrap_or(Equal),
    }
}

impl Default for MountainCarContinuous {
    fn default() -> Self {
        Self::new()
    }
}

impl Env for MountainCarContinuous {
    fn spec(&self) -> &EnvSpec {
        &self.spec
    }

    fn reset(&mut self, seed: Option<u64>, obs: &mut [f32]) {
        self.episode.reset(seed);
        self.state = [self.episode.uniform(-0.6, -0.4), 0.0];
        self.narrow = false;
        self.observe(obs);
    }

    fn step(&mut self, action: Action<'_>, obs: &mut [f32]) -> Result<Transition, ControlError> {
        let a = continuous(self.spec.id, action, 1)?[0];
        self.episode.tick(self.spec.id)?;
        let [position, velocity] = self.state;
        // force = min(max(action, -1.0), 1.0): the f32 itself unless a bound is taken.
        let force = if a < -1.0 {
            Num::Py(-1.0)
        } else if a > 1.0 {
            Num::Py(1.0)
        } else {
            Num::F32(a)
        };
        // 0.0025 * math.cos(3 * position): 3 * position is f32 once the state is narrow.
        let three_p = if self.narrow {
            f64::from(3.0f32 * position as f32)
        } else {
            3.0 * position
        };
        let hill = 0.0025 * three_p.cos();
        let accel = match force {
            Num::F32(f) => Num::F32(f * POWER as f32 - hill as f32),
            Num::Py(f) => Num::Py(f * POWER - hill),
        };
        let mut velocity = if self.narrow {
            Num::F32(velocity as f32 + accel.value() as f32)
        } else {
            Num::Py(velocity + accel.value())
        };
        if cmp(velocity, MAX_SPEED) == Greater {
            velocity = Num::Py(MAX_SPEED);
        }
        if cmp(velocity, -MAX_SPEED) == Less {
            velocity = Num::Py(-MAX_SPEED);
        }
        let mut position = if self.narrow {
            Num::F32(position as f32 + velocity.value() as f32)
        } else {
            Num::Py(position + velocity.value())
        };
        if cmp(position, MAX_POSITION) == Greater {
            position = Num::Py(MAX_POSITION);
        }
        if cmp(position, MIN_POSITION) == Less {
            position = Num::Py(MIN_POSITION);
        }
        if cmp(position, MIN_POSITION) == Equal && cmp(velocity, 0.0) == Less {
            velocity = Num::Py(0.0);
        }
        let terminated =
            cmp(position, GOAL_POSITION) != Less && cmp(velocity, GOAL_VELOCITY) != Less;
        let mut reward = if terminated { 100.0 } else { 0.0 };
        reward -= f64::from(a) * f64::from(a) * 0.1;
        self.state = [
            f64::from(position.value() as f32),
            f64::from(velocity.value() as f32),
        ];
        self.narrow = true;
        self.observe(obs);
        Ok(self
            .episode
            .finish(reward, terminated, self.spec.max_episode_steps))
    }

    fn state(&self) -> Vec<f64> {
        self.state.to_vec()
    }

    fn set_state(&mut self, state: &[f64], obs: &mut [f32]) -> Result<(), ControlError> {
        check_state(self.spec.id, state, 2)?;
        self.episode.reset(None);
        self.state.copy_from_slice(state);
        self.narrow = false;
        self.observe(obs);
        Ok(())
    }

    fn elapsed_steps(&self) -> u32 {
        self.episode.elapsed
    }
}
