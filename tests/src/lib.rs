//! Shared helpers for the integration tests in `tests/tests/`, and the lockstep harness
//! against riichienv-core ([`riichienv`]).

use std::path::PathBuf;

pub mod riichienv;

/// The shared fixtures folder: `$MEOWLAB_FIXTURES`, or `../shared/fixtures` beside the
/// repository (where CI and developer machines keep outside data).
pub fn fixtures_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("MEOWLAB_FIXTURES") {
        return PathBuf::from(dir);
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures")
}

/// Path of one fixture file; panics with a clear message when it is missing, because a
/// cross-check that silently skips would prove nothing.
pub fn fixture(relative: &str) -> PathBuf {
    let path = fixtures_dir().join(relative);
    assert!(
        path.exists(),
        "fixture {} not found; put the shared fixtures beside the repository or set MEOWLAB_FIXTURES",
        path.display()
    );
    path
}
