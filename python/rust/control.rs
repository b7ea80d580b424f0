//! The classic-control envs (gymnasium's dynamics bit for bit) behind a small class the
//! Python side wraps as `gymnasium.Env`.

use meowlab_control::{make, Action, ActionSpace, Env, VecEnv, ENV_IDS};
use numpy::{
    PyArray1, PyArray2, PyArrayMethods, PyReadonlyArray1, PyReadonlyArray2, PyUntypedArrayMethods,
};
use pyo3::prelude::*;

use crate::value_error;

/// One classic-control environment (`CartPole-v1`, `Pendulum-v1`,
/// `MountainCarContinuous-v0`, `Acrobot-v1`). Used from one thread at a time, like
/// gymnasium's envs (`unsendable`: the Rust env is `Send` but not `Sync`).
#[pyclass(module = "meowlab._native", unsendable)]
pub struct ControlEnv {
    env: Box<dyn Env>,
    obs: Vec<f32>,
}

#[pymethods]
impl ControlEnv {
    #[new]
    fn new(env_id: &str) -> PyResult<Self> {
        let env = make(env_id).map_err(value_error)?;
        let obs = vec![0.0; env.spec().obs_dim];
        Ok(ControlEnv { env, obs })
    }

    /// The first observation of a new episode; `seed` reseeds the env's generator.
    #[pyo3(signature = (seed=None))]
    fn reset<'py>(&mut self, py: Python<'py>, seed: Option<u64>) -> Bound<'py, PyArray1<f32>> {
        self.env.reset(seed, &mut self.obs);
        PyArray1::from_slice(py, &self.obs)
    }

    /// (observation, reward, terminated, truncated) after `action`: an int for a discrete
    /// space, a float32 array for a box.
    fn step<'py>(
        &mut self,
        py: Python<'py>,
        action: &Bound<'py, PyAny>,
    ) -> PyResult<(Bound<'py, PyArray1<f32>>, f64, bool, bool)> {
        let t = match self.env.spec().action_space {
            ActionSpace::Discrete(_) => {
                let a: i64 = action.extract().map_err(|_| {
                    value_error(format!("{}: expected an int action", self.env.spec().id))
                })?;
                let a = usize::try_from(a).map_err(|_| {
                    value_error(format!(
                        "{}: invalid action {a} (expected 0 or more)",
                        self.env.spec().id
                    ))
                })?;
                self.env.step(Action::Discrete(a), &mut self.obs)
            }
            ActionSpace::Box { .. } => {
                let a: PyReadonlyArray1<f32> = action.extract().map_err(|_| {
                    value_error(format!(
                        "{}: expected a float32 array action",
                        self.env.spec().id
                    ))
                })?;
                let a = a.as_slice().map_err(value_error)?.to_vec();
                self.env.step(Action::Continuous(&a), &mut self.obs)
            }
        }
        .map_err(value_error)?;
        Ok((
            PyArray1::from_slice(py, &self.obs),
            t.reward,
            t.terminated,
            t.truncated,
        ))
    }

    /// The physical state (gymnasium's `env.unwrapped.state`).
    fn state(&self) -> Vec<f64> {
        self.env.state()
    }

    /// Puts the env in `state` as if just reset there; returns the observation.
    fn set_state<'py>(
        &mut self,
        py: Python<'py>,
        state: Vec<f64>,
    ) -> PyResult<Bound<'py, PyArray1<f32>>> {
        self.env
            .set_state(&state, &mut self.obs)
            .map_err(value_error)?;
        Ok(PyArray1::from_slice(py, &self.obs))
    }

    /// The id.
    #[getter]
    fn id(&self) -> &'static str {
        self.env.spec().id
    }

    /// Steps after which an episode is truncated.
    #[getter]
    fn max_episode_steps(&self) -> u32 {
        self.env.spec().max_episode_steps
    }

    /// ("discrete", n) or ("box", low, high).
    #[getter]
    fn action_space<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        Ok(match &self.env.spec().action_space {
            ActionSpace::Discrete(n) => ("discrete", *n).into_pyobject(py)?.into_any(),
            ActionSpace::Box { low, high } => ("box", low.clone(), high.clone())
                .into_pyobject(py)?
                .into_any(),
        })
    }
}

/// The env ids the extension knows.
#[pyfunction]
pub fn control_env_ids() -> Vec<&'static str> {
    ENV_IDS.to_vec()
}

/// The arrays of one vector step: observations, rewards, terminated, truncated, and the
/// final observations of the episodes that ended.
type VecStepArrays<'py> = (
    Bound<'py, PyArray2<f32>>,
    Bound<'py, PyArray1<f64>>,
    Bound<'py, PyArray1<bool>>,
    Bound<'py, PyArray1<bool>>,
    Bound<'py, PyArray2<f32>>,
);

/// `n` copies of one env stepped in Rust with gymnasium's same-step automatic reset: one
/// call per batch instead of `n` Python steps.
#[pyclass(module = "meowlab._native", unsendable)]
pub struct ControlVecEnv {
    envs: VecEnv,
}

fn rows<'py>(py: Python<'py>, flat: &[f32], n: usize) -> PyResult<Bound<'py, PyArray2<f32>>> {
    PyArray1::from_slice(py, flat).reshape([n, flat.len() / n.max(1)])
}

#[pymethods]
impl ControlVecEnv {
    #[new]
    fn new(env_id: &str, num_envs: usize) -> PyResult<Self> {
        if num_envs == 0 {
            return Err(value_error(format!(
                "{env_id}: num_envs must be at least 1"
            )));
        }
        let envs = VecEnv::new(env_id, num_envs).map_err(value_error)?;
        Ok(ControlVecEnv { envs })
    }

    /// Observations (n × obs_dim) of new episodes; env `i` is seeded with `seed + i`.
    fn reset<'py>(&mut self, py: Python<'py>, seed: u64) -> PyResult<Bound<'py, PyArray2<f32>>> {
        let n = self.envs.len();
        rows(py, self.envs.reset(seed), n)
    }

    /// One step of every env: discrete actions as an int array (n), continuous ones as a
    /// float32 array (n × act_dim). Where an episode ended the observation is already
    /// the next episode's first; the one it reached is in the final observations.
    fn step<'py>(
        &mut self,
        py: Python<'py>,
        actions: &Bound<'py, PyAny>,
    ) -> PyResult<VecStepArrays<'py>> {
        let n = self.envs.len();
        let id = self.envs.spec().id;
        let step = match self.envs.spec().action_space {
            ActionSpace::Discrete(_) => {
                let a: PyReadonlyArray1<i64> = actions.extract().map_err(|_| {
                    value_error(format!("{id}: expected an int64 array of {n} actions"))
                })?;
                let a = a.as_slice().map_err(value_error)?;
                if a.len() != n {
                    return Err(value_error(format!(
                        "{id}: {} actions for {n} envs",
                        a.len()
                    )));
                }
                let a = a
                    .iter()
                    .map(|&x| {
                        usize::try_from(x)
                            .map_err(|_| value_error(format!("{id}: invalid action {x}")))
                    })
                    .collect::<PyResult<Vec<usize>>>()?;
                self.envs.step_discrete(&a)
            }
            ActionSpace::Box { .. } => {
                let a: PyReadonlyArray2<f32> = actions.extract().map_err(|_| {
                    value_error(format!(
                        "{id}: expected a float32 array of shape ({n}, act_dim)"
                    ))
                })?;
                let k = self.envs.spec().action_space.dim();
                if a.shape() != [n, k] {
                    return Err(value_error(format!(
                        "{id}: actions of shape {:?}, expected ({n}, {k})",
                        a.shape()
                    )));
                }
                let a = a.as_slice().map_err(value_error)?.to_vec();
                self.envs.step_continuous(&a)
            }
        }
        .map_err(value_error)?;
        Ok((
            rows(py, step.obs, n)?,
            PyArray1::from_slice(py, step.rewards),
            PyArray1::from_slice(py, step.terminated),
            PyArray1::from_slice(py, step.truncated),
            rows(py, step.final_obs, n)?,
        ))
    }

    /// Number of envs.
    #[getter]
    fn num_envs(&self) -> usize {
        self.envs.len()
    }
}
