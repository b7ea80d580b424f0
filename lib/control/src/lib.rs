//! Classic-control environments with gymnasium 1.4's dynamics, bit for bit where numpy's
//! arithmetic allows it, so that returns reported here compare with CleanRL and SB3.
//!
//! Every environment follows gymnasium's contract: [`Env::reset`] (optionally reseeding)
//! writes the first observation; [`Env::step`] applies an action and reports the reward,
//! `terminated` (a terminal state of the MDP) and `truncated` (the registered time limit),
//! exactly as `gymnasium.make(id)` does. [`VecEnv`] steps N copies with automatic reset
//! for on-policy algorithms.
//!
//! ```
//! use meowlab_control::{make, Action};
//! let mut env = make("CartPole-v1").unwrap();
//! let mut obs = vec![0.0; env.spec().obs_dim];
//! env.reset(Some(42), &mut obs);
//! let mut ret = 0.0;
//! loop {
//!     let t = env.step(Action::Discrete(1), &mut obs).unwrap();
//!     ret += t.reward;
//!     if t.done() { break; }
//! }
//! assert!(ret >= 8.0 && ret < 500.0); // always pushing right falls over quickly
//! ```
#![deny(missing_docs)]

mod acrobot;
mod cartpole;
mod mountain_car;
mod pendulum;
mod vec_env;

pub use acrobot::Acrobot;
pub use cartpole::CartPole;
pub use mountain_car::MountainCarContinuous;
pub use pendulum::Pendulum;
pub use vec_env::{FinishedEpisode, VecEnv, VecStep};

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// The ids of every environment [`make`] knows, in gymnasium's spelling.
pub const ENV_IDS: [&str; 4] = [
    "CartPole-v1",
    "Pendulum-v1",
    "MountainCarContinuous-v0",
    "Acrobot-v1",
];

/// What an agent may do in an environment.
#[derive(Clone, Debug, PartialEq)]
pub enum ActionSpace {
    /// One of `n` actions, `0..n`.
    Discrete(usize),
    /// A vector of floats; the env clips to `[low, high]` per dimension.
    Box {
        /// Lower bounds.
        low: Vec<f32>,
        /// Upper bounds.
        high: Vec<f32>,
    },
}

impl ActionSpace {
    /// Floats needed to store one action (a discrete action is stored as its index).
    pub fn dim(&self) -> usize {
        match self {
            ActionSpace::Discrete(_) => 1,
            ActionSpace::Box { low, .. } => low.len(),
        }
    }
}

/// The static description of an environment (gymnasium's `EnvSpec` plus the spaces).
#[derive(Clone, Debug, PartialEq)]
pub struct EnvSpec {
    /// Gymnasium id, e.g. `CartPole-v1`.
    pub id: &'static str,
    /// Length of the observation vector.
    pub obs_dim: usize,
    /// The action space.
    pub action_space: ActionSpace,
    /// Steps after which an episode is truncated (gymnasium's `max_episode_steps`).
    pub max_episode_steps: u32,
    /// Gymnasium's `reward_threshold`, where registered: the return counted as "solved".
    pub reward_threshold: Option<f64>,
}

/// An action handed to [`Env::step`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Action<'a> {
    /// An index for a discrete action space.
    Discrete(usize),
    /// A vector for a box action space (clipped by the env as gymnasium does).
    Continuous(&'a [f32]),
}

impl Action<'_> {
    /// The action as stored in a run's `steps` table (the index as one float when discrete).
    pub fn to_floats(&self, out: &mut Vec<f32>) {
        out.clear();
        match *self {
            Action::Discrete(a) => out.push(a as f32),
            Action::Continuous(a) => out.extend_from_slice(a),
        }
    }
}

/// The outcome of one step.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Transition {
    /// The reward for this step.
    pub reward: f64,
    /// The new state is terminal (no bootstrapping from it).
    pub terminated: bool,
    /// The time limit cut the episode (bootstrap from the final observation).
    pub truncated: bool,
}

impl Transition {
    /// The episode is over either way; call [`Env::reset`] next.
    pub fn done(&self) -> bool {
        self.terminated || self.truncated
    }
}

/// Why an environment refused a call.
#[derive(Debug, thiserror::Error, PartialEq)]
#[non_exhaustive]
pub enum ControlError {
    /// `make` got an id it does not know.
    #[error("unknown environment {0:?} (known: {known})", known = ENV_IDS.join(", "))]
    UnknownEnv(String),
    /// The action does not belong to the action space.
    #[error("{env}: invalid action {action} ({expected})")]
    InvalidAction {
        /// Env id.
        env: &'static str,
        /// The action, printed.
        action: String,
        /// What was expected.
        expected: String,
    },
    /// `step` after the episode ended, or before the first `reset`.
    #[error("{0}: step called without a reset after the episode ended")]
    NeedsReset(&'static str),
    /// `set_state` got a vector of the wrong length or with non-finite values.
    #[error("{env}: invalid state {state:?} (expected {expected} finite values)")]
    InvalidState {
        /// Env id.
        env: &'static str,
        /// The rejected state.
        state: Vec<f64>,
        /// Its expected length.
        expected: usize,
    },
}

/// A gymnasium-style environment with its time limit built in.
pub trait Env: Send {
    /// The static description.
    fn spec(&self) -> &EnvSpec;
    /// Starts an episode and writes its first observation into `obs` (`obs_dim` long).
    /// `Some(seed)` reseeds the env's generator; `None` continues it (as gymnasium).
    fn reset(&mut self, seed: Option<u64>, obs: &mut [f32]);
    /// Applies `action` and writes the next observation into `obs`.
    fn step(&mut self, action: Action<'_>, obs: &mut [f32]) -> Result<Transition, ControlError>;
    /// The internal physical state (gymnasium's `env.unwrapped.state`), for cross-checks
    /// and drawing.
    fn state(&self) -> Vec<f64>;
    /// Replaces the physical state as if an episode had just been reset into it, and
    /// writes the matching observation into `obs`.
    fn set_state(&mut self, state: &[f64], obs: &mut [f32]) -> Result<(), ControlError>;
    /// Steps taken in the current episode.
    fn elapsed_steps(&self) -> u32;
}

/// Builds an environment by its gymnasium id.
pub fn make(id: &str) -> Result<Box<dyn Env>, ControlError> {
    Ok(match id {
        "CartPole-v1" => Box::new(CartPole::new()),
        "Pendulum-v1" => Box::new(Pendulum::new()),
        "MountainCarContinuous-v0" => Box::new(MountainCarContinuous::new()),
        "Acrobot-v1" => Box::new(Acrobot::new()),
        other => return Err(ControlError::UnknownEnv(other.to_string())),
    })
}

/// The spec of an environment by id, without building it.
pub fn spec(id: &str) -> Result<EnvSpec, ControlError> {
    make(id).map(|env| env.spec().clone())
}

/// The bookkeeping shared by every env: its generator, the episode clock and whether a
/// reset is due.
#[derive(Clone, Debug)]
struct Episode {
    rng: ChaCha8Rng,
    elapsed: u32,
    running: bool,
}

impl Episode {
    fn new() -> Self {
        Episode {
            rng: ChaCha8Rng::seed_from_u64(0),
            elapsed: 0,
            running: false,
        }
    }

    fn reset(&mut self, seed: Option<u64>) {
        if let Some(seed) = seed {
            self.rng = ChaCha8Rng::seed_from_u64(seed);
        }
        self.elapsed = 0;
        self.running = true;
    }

    /// Counts a step; errors if the episode is over.
    fn tick(&mut self, id: &'static str) -> Result<(), ControlError> {
        if !self.running {
            return Err(ControlError::NeedsReset(id));
        }
        self.elapsed += 1;
        Ok(())
    }

    /// Finishes a step: the time limit and the episode's end.
    fn finish(&mut self, reward: f64, terminated: bool, max_steps: u32) -> Transition {
        let truncated = self.elapsed >= max_steps;
        if terminated || truncated {
            self.running = false;
        }
        Transition {
            reward,
            terminated,
            truncated,
        }
    }

    fn uniform(&mut self, low: f64, high: f64) -> f64 {
        use rand::Rng;
        self.rng.gen_range(low..high)
    }
}

/// `x ** 2` for a numpy float64 scalar (or a python float): numpy's scalar power and
/// CPython's `float.__pow__` call the C library's `pow(x, 2.0)`, which is not always the
/// correctly rounded `x * x` (glibc's `pow` is accurate to about 0.52 ulp: about one square
/// in a thousand differs by an ulp). (`np.square` and `math.pow` of an f32 value are exact
/// products: use `x * x` there.)
///
/// `pow` costs as much as the rest of an Acrobot step, so it is called only where it can
/// differ from `x * x`: a result within 0.52 ulp of x² can only be the other neighbour of
/// x² when x² lies more than 0.48 ulp from `x * x`. The exact error of `x * x` (Dekker's
/// product) decides; below 0.45 ulp `x * x` is what `pow` returns (for any libm whose `pow`
/// errs by less than 0.55 ulp). The exponent goes through `black_box` so that LLVM cannot
/// fold `pow(x, 2.0)` into `x * x`.
#[inline]
fn np_square(x: f64) -> f64 {
    let p = x * x;
    // Veltkamp split and Dekker's exact product error (no FMA needed); a NaN or an
    // overflow makes the test fail and takes the libm path.
    let c = 134_217_729.0 * x; // 2^27 + 1
    let hi = c - (c - x);
    let lo = x - hi;
    let err = ((hi * hi - p) + 2.0 * hi * lo) + lo * lo;
    // ulp(p) for a normal p: 2^exponent × 2^-52 (0 for zero or subnormal: libm path).
    let ulp = f64::from_bits(p.to_bits() & 0x7ff0_0000_0000_0000) * f64::EPSILON;
    if err.abs() < 0.45 * ulp {
        p
    } else {
        x.powf(std::hint::black_box(2.0))
    }
}

/// `x ** 2` for a numpy float32 scalar: numpy calls the C library's `powf(x, 2.0f)`, which
/// (glibc: 0.82 ulp) is not always the correctly rounded `x * x` in f32. Same shortcut as
/// [`np_square`], with the exact square in f64 and a 0.15 ulp margin.
#[inline]
fn np_square_f32(x: f32) -> f32 {
    let exact = f64::from(x) * f64::from(x); // 48 significant bits: exact
    let p = exact as f32;
    let err = exact - f64::from(p);
    let ulp = f32::from_bits(p.to_bits() & 0x7f80_0000) * f32::EPSILON;
    if err.abs() < 0.15 * f64::from(ulp) {
        p
    } else {
        x.powf(std::hint::black_box(2.0))
    }
}

fn check_state(env: &'static str, state: &[f64], expected: usize) -> Result<(), ControlError> {
    if state.len() != expected || state.iter().any(|v| !v.is_finite()) {
        return Err(ControlError::InvalidState {
            env,
            state: state.to_vec(),
            expected,
        });
    }
    Ok(())
}

fn discrete(env: &'static str, action: Action<'_>, n: usize) -> Result<usize, ControlError> {
    match action {
        Action::Discrete(a) if a < n => Ok(a),
        other => Err(ControlError::InvalidAction {
            env,
            action: format!("{other:?}"),
            expected: format!("Discrete(0..{n})"),
        }),
    }
}

fn continuous<'a>(
    env: &'static str,
    action: Action<'a>,
    dim: usize,
) -> Result<&'a [f32], ControlError> {
    match action {
        Action::Continuous(a) if a.len() == dim && !a.iter().any(|v| v.is_nan()) => Ok(a),
        other => Err(ControlError::InvalidAction {
            env,
            action: format!("{other:?}"),
            expected: format!("Continuous of {dim} non-NaN floats"),
        }),
    }
}

/// Names of the observation dimensions of env `id` (gymnasium's documentation order);
/// `None` for an env this crate does not know.
pub fn observation_names(id: &str) -> Option<&'static [&'static str]> {
    Some(match id {
        "CartPole-v1" => &[
            "cart position",
            "cart velocity",
            "pole angle",
            "pole angular velocity",
        ],
        "Pendulum-v1" => &["cos theta", "sin theta", "angular velocity"],
        "MountainCarContinuous-v0" => &["position", "velocity"],
        "Acrobot-v1" => &[
            "cos theta1",
            "sin theta1",
            "cos theta2",
            "sin theta2",
            "theta1 velocity",
            "theta2 velocity",
        ],
        _ => return None,
    })
}

/// Names of the actions of env `id` when its action space is discrete (figure labels,
/// explanation targets); `None` for a continuous or unknown env.
pub fn action_names(id: &str) -> Option<&'static [&'static str]> {
    Some(match id {
        "CartPole-v1" => &["push left", "push right"],
        "Acrobot-v1" => &["torque -1", "torque 0", "torque +1"],
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    /// The shortcuts return exactly libm's `pow(x, 2)`, over many magnitudes.
    #[test]
    fn np_squares_equal_libm_pow() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let (mut libm_differs, mut n) = (0, 0);
        for _ in 0..400_000 {
            let x: f64 = rng.gen_range(-1.0..1.0) * 10f64.powi(rng.gen_range(-30..30));
            let want = x.powf(std::hint::black_box(2.0));
            assert_eq!(np_square(x).to_bits(), want.to_bits(), "{x:e}");
            libm_differs += usize::from(want != x * x);
            let y = x as f32;
            let want = y.powf(std::hint::black_box(2.0));
            assert_eq!(np_square_f32(y).to_bits(), want.to_bits(), "{y:e}");
            n += 1;
        }
        for x in [
            0.0,
            -0.0,
            f64::MIN_POSITIVE,
            1e-300,
            1e300,
            f64::INFINITY,
            f64::NAN,
        ] {
            let want = x.powf(std::hint::black_box(2.0));
            assert_eq!(np_square(x).to_bits(), want.to_bits(), "{x:e}");
        }
        // where libm's pow is correctly rounded this is 0 and the test proves little
        eprintln!("pow(x, 2) != x * x for {libm_differs} of {n}");
    }
}
