//! The native half of the `meowlab` Python package: meowlab's classic-control envs
//! (gymnasium's dynamics bit for bit, 100–500× faster than its Python loop) behind a small
//! class the Python side wraps as `gymnasium.Env`. Errors are Python `ValueError`s with
//! the library's own messages.

use meowlab_control::{make, Action, ActionSpace, Env, ENV_IDS};
use numpy::{PyArray1, PyReadonlyArray1};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

fn value_error(e: impl std::fmt::Display) -> PyErr {
    PyValueError::new_err(e.to_string())
}

/// One classic-control environment (`CartPole-v1`, `Pendulum-v1`,
/// `MountainCarContinuous-v0`, `Acrobot-v1`). Used from one thread at a time, like
/// gymnasium's envs (`unsendable`: the Rust env is `Send` but not `Sync`).
#[pyclass(module = "meowlab._native", unsendable)]
struct ControlEnv {
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
fn control_env_ids() -> Vec<&'static str> {
    ENV_IDS.to_vec()
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<ControlEnv>()?;
    m.add_function(wrap_pyfunction!(control_env_ids, m)?)?;
    Ok(())
}
