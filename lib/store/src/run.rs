//! A run directory: `run.json` (what ran, with which seed and code, and whether it
//! finished) beside one folder per table.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Result, StoreError};

/// Version of the table layouts; bumped when a schema changes.
pub const SCHEMA_VERSION: u32 = 1;

/// Contents of `run.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunMeta {
    /// Folder name of the run.
    pub run_id: String,
    /// What produced it.
    pub kind: RunKind,
    /// The run's seed.
    pub seed: u64,
    /// The full configuration (command-line arguments, rules …).
    pub config: serde_json::Value,
    /// meowlab version.
    pub meowlab_version: String,
    /// Git commit of the code, when known.
    pub git_commit: Option<String>,
    /// Versions of the crates that shape the files.
    pub crate_versions: std::collections::BTreeMap<String, String>,
    /// Table layout version.
    pub schema_version: u32,
    /// Start time (RFC 3339, UTC).
    pub started_at: String,
    /// End time, once finished.
    pub finished_at: Option<String>,
    /// Whether it is still being written.
    pub status: RunStatus,
    /// The tile-plane encoder (`meowlab_sanma::planes::ENCODER_VERSION`) of a run that
    /// logs planes; `None` for runs without planes, and for runs written before versions
    /// were recorded (all of those used `meowjong-34x366-v1`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub planes_encoder: Option<String>,
    /// Why this run's results are not a function of its seed and config alone (asynchronous
    /// A3C updates), and how to get a reproducible run; `None` for reproducible runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nondeterminism: Option<String>,
}

/// What produced a run. Stored as a string in `run.json`; kinds this build does not know
/// are kept as they are.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum RunKind {
    /// Sanma games logged by `meowlab play --log` or a notebook (tables games, kyoku,
    /// decisions, events).
    Play,
    /// Real games imported from logs (`meowlab import`): the same tables as `Play`, each
    /// game replayed through the engine, with its log id in `games.source`.
    Import,
    /// A classic-control experiment (`meowlab run`: steps, episodes, metrics).
    Control,
    /// Files written by `meowlab bench`.
    Bench,
    /// A duplicate evaluation (`meowlab eval`: the games' tables, `sets`,
    /// `evaluation.json`).
    Eval,
    /// Any other kind (tests, future tools).
    Other(String),
}

impl RunKind {
    /// The name stored in `run.json`.
    pub fn as_str(&self) -> &str {
        match self {
            RunKind::Play => "play",
            RunKind::Import => "import",
            RunKind::Control => "control",
            RunKind::Bench => "bench",
            RunKind::Eval => "eval",
            RunKind::Other(name) => name,
        }
    }
}

impl From<String> for RunKind {
    fn from(name: String) -> RunKind {
        match name.as_str() {
            "play" => RunKind::Play,
            "import" => RunKind::Import,
            "control" => RunKind::Control,
            "bench" => RunKind::Bench,
            "eval" => RunKind::Eval,
            _ => RunKind::Other(name),
        }
    }
}

impl From<&str> for RunKind {
    fn from(name: &str) -> RunKind {
        RunKind::from(name.to_string())
    }
}

impl From<RunKind> for String {
    fn from(kind: RunKind) -> String {
        kind.as_str().to_string()
    }
}

impl std::fmt::Display for RunKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether a run is still being written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunStatus {
    /// Being written, or interrupted (a crash leaves this): it can be resumed.
    Running,
    /// Finished normally.
    Complete,
    /// Stopped by an error.
    Failed,
}

/// An open run directory.
#[derive(Clone, Debug)]
pub struct Run {
    dir: PathBuf,
    meta: RunMeta,
}

fn now_rfc3339() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(days as i64);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to (year, month, day) (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Writes `bytes` to `path` atomically: a temp file in the same folder, then rename.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, bytes).map_err(|e| StoreError::io(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| StoreError::io(path, e))
}

impl Run {
    /// Creates `root/<run_id>/` with `run.json` (status "running"). An existing run of
    /// that id is reopened for appending (its status goes back to "running").
    pub fn create(
        root: &Path,
        run_id: &str,
        kind: impl Into<RunKind>,
        seed: u64,
        config: serde_json::Value,
    ) -> Result<Run> {
        let dir = root.join(run_id);
        std::fs::create_dir_all(&dir).map_err(|e| StoreError::io(&dir, e))?;
        let meta = match Run::open(&dir) {
            Ok(existing) => RunMeta {
                status: RunStatus::Running,
                finished_at: None,
                ..existing.meta
            },
            Err(StoreError::NotARun { .. }) => RunMeta {
                run_id: run_id.to_owned(),
                kind: kind.into(),
                seed,
                config,
                meowlab_version: env!("CARGO_PKG_VERSION").to_owned(),
                git_commit: git_commit(),
                crate_versions: [("parquet", "60"), ("arrow", "60")]
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
                schema_version: SCHEMA_VERSION,
                started_at: now_rfc3339(),
                finished_at: None,
                status: RunStatus::Running,
                planes_encoder: None,
                nondeterminism: None,
            },
            Err(e) => return Err(e),
        };
        let run = Run { dir, meta };
        run.save()?;
        Ok(run)
    }

    /// Opens an existing run.
    pub fn open(dir: &Path) -> Result<Run> {
        let path = dir.join("run.json");
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(StoreError::NotARun {
                    path: dir.to_owned(),
                })
            }
            Err(e) => return Err(StoreError::io(&path, e)),
        };
        let meta: RunMeta = serde_json::from_str(&text).map_err(|e| StoreError::BadRunMeta {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        if meta.schema_version > SCHEMA_VERSION {
            return Err(StoreError::BadRunMeta {
                path,
                reason: format!(
                    "schema version {} is newer than this meowlab's {SCHEMA_VERSION}",
                    meta.schema_version
                ),
            });
        }
        Ok(Run {
            dir: dir.to_owned(),
            meta,
        })
    }

    fn save(&self) -> Result<()> {
        let json = serde_json::to_vec_pretty(&self.meta).expect("run metadata serialises");
        write_atomic(&self.dir.join("run.json"), &json)
    }

    /// Marks the run complete (or failed) with its end time.
    pub fn finish(&mut self, ok: bool) -> Result<()> {
        self.meta.status = if ok {
            RunStatus::Complete
        } else {
            RunStatus::Failed
        };
        self.meta.finished_at = Some(now_rfc3339());
        self.save()
    }

    /// Records the tile-plane encoder of the planes this run logs (see
    /// [`RunMeta::planes_encoder`]).
    pub fn record_planes_encoder(&mut self, version: &str) -> Result<()> {
        if self.meta.planes_encoder.as_deref() == Some(version) {
            return Ok(());
        }
        self.meta.planes_encoder = Some(version.to_string());
        self.save()
    }

    /// Records why the run is not bit-reproducible (see [`RunMeta::nondeterminism`]).
    pub fn record_nondeterminism(&mut self, why: &str) -> Result<()> {
        if self.meta.nondeterminism.as_deref() == Some(why) {
            return Ok(());
        }
        self.meta.nondeterminism = Some(why.to_string());
        self.save()
    }

    /// Checks that the run's planes (if it records an encoder) are in `version`'s layout.
    pub fn check_planes_encoder(&self, version: &str) -> Result<()> {
        match &self.meta.planes_encoder {
            Some(found) if found != version => Err(StoreError::EncoderMismatch {
                path: self.dir.clone(),
                found: found.clone(),
                expected: version.to_string(),
            }),
            _ => Ok(()),
        }
    }

    /// The run folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The metadata.
    pub fn meta(&self) -> &RunMeta {
        &self.meta
    }

    /// Names of the tables present (folders with at least one finished shard).
    pub fn tables(&self) -> Result<Vec<String>> {
        let mut out = Vec::new();
        let entries = std::fs::read_dir(&self.dir).map_err(|e| StoreError::io(&self.dir, e))?;
        for entry in entries {
            let entry = entry.map_err(|e| StoreError::io(&self.dir, e))?;
            if entry.path().is_dir() && !crate::table::shards(&entry.path())?.is_empty() {
                out.push(entry.file_name().to_string_lossy().into_owned());
            }
        }
        out.sort();
        Ok(out)
    }
}

/// The current git commit, if the working directory is a git checkout.
fn git_commit() -> Option<String> {
    let out = std::process::Command::new("git")
        .args(["rev-parse", "HEAD"])
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}
