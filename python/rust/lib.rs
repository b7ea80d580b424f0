//! The native half of the `meowlab` Python package: the classic-control envs (one and
//! vectorised), the Sanma engine one seat at a time, run folders as Arrow streams, the
//! arena with Python seats and the self-play actor and learner that Ray drives. Errors
//! are `meowlab.MeowlabError` (a `ValueError`) with the library's own messages.

use pyo3::create_exception;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

mod arena;
mod control;
mod runs;
mod sanma;
mod selfplay;

create_exception!(
    meowlab,
    MeowlabError,
    PyValueError,
    "An error of meowlab's (bad input, an illegal action, a bad run folder), with the message the CLI prints."
);

/// Any error of the library as a Python exception.
pub(crate) fn value_error(e: impl std::fmt::Display) -> PyErr {
    MeowlabError::new_err(e.to_string())
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("MeowlabError", m.py().get_type::<MeowlabError>())?;
    m.add_class::<control::ControlEnv>()?;
    m.add_class::<control::ControlVecEnv>()?;
    m.add_function(wrap_pyfunction!(control::control_env_ids, m)?)?;
    m.add_class::<sanma::SanmaEnv>()?;
    m.add_function(wrap_pyfunction!(sanma::plane_columns, m)?)?;
    m.add_function(wrap_pyfunction!(sanma::plane_blocks, m)?)?;
    m.add_function(wrap_pyfunction!(sanma::plane_rows, m)?)?;
    m.add_function(wrap_pyfunction!(arena::arena, m)?)?;
    m.add_class::<runs::RunFolder>()?;
    m.add_class::<runs::ArrowStream>()?;
    m.add_function(wrap_pyfunction!(runs::open_run, m)?)?;
    m.add_class::<selfplay::SelfPlayLearner>()?;
    m.add_class::<selfplay::SelfPlayActor>()?;
    m.add_function(wrap_pyfunction!(selfplay::selfplay_consumed, m)?)?;
    Ok(())
}
