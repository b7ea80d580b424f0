//! Cross-checks `meowlab_control`'s dynamics against gymnasium 1.4, step by step.
//!
//! ```text
//! control-crosscheck FILE...
//! ```
//!
//! Each FILE is written by `tests/oracle/gym_trajectories.py` (format described there):
//! gymnasium's steps with random (and some controller) actions. For every episode the
//! reset state gymnasium drew is injected with [`Env::set_state`]; the recorded actions are
//! then applied with [`Env::step`] only, never re-injecting, so that any difference
//! accumulates. Every step compares the observation (f32 bits), the reward, `terminated`,
//! `truncated` and the internal state ([`Env::state`]); the observation written by
//! `set_state` is compared with the one gymnasium's reset returned.
//!
//! Tolerances: CartPole-v1 and Acrobot-v1 must match bit for bit; Pendulum-v1 and
//! MountainCarContinuous-v0 within 4 ulps per value (numpy's scalar arithmetic is emulated,
//! but `sin`/`cos` may round differently on some CPUs). Flags must always match. The first
//! failure of an episode is reported and the rest of that episode is skipped (the env is
//! resynchronised at the next reset). Exit status: 0 all within tolerance, 1 a mismatch,
//! 2 bad arguments or an unreadable file.

use std::path::Path;
use std::process::ExitCode;

use meowlab_control::{make, Action, ActionSpace, Env};

const USAGE: &str =
    "usage: control-crosscheck FILE... (written by tests/oracle/gym_trajectories.py)";
const MAGIC: &[u8; 8] = b"MEOWGYM1";
const FORMAT_VERSION: u64 = 1;
/// Failures printed per file before only counting them.
const MAX_REPORTED: usize = 10;

/// The largest difference allowed for each env's floats, in ulps (flags: always exact).
fn tolerance_ulps(env_id: &str) -> u64 {
    match env_id {
        "Pendulum-v1" | "MountainCarContinuous-v0" => 4,
        _ => 0,
    }
}

/// Column positions in a row (offset, length), from the file's JSON header.
#[derive(Debug)]
struct Columns {
    new_episode: usize,
    reset_state: (usize, usize),
    reset_obs: (usize, usize),
    action: (usize, usize),
    reward: usize,
    terminated: usize,
    truncated: usize,
    obs: (usize, usize),
    state: (usize, usize),
}

/// A trajectory file, read and checked for consistency.
#[derive(Debug)]
struct Trajectories {
    env_id: String,
    steps: usize,
    row_len: usize,
    columns: Columns,
    rows: Vec<f64>,
    gymnasium: String,
    numpy: String,
}

impl Trajectories {
    fn row(&self, i: usize) -> &[f64] {
        &self.rows[i * self.row_len..(i + 1) * self.row_len]
    }
}

/// Reads and validates a trajectory file; every error names the file.
fn load(path: &Path) -> Result<Trajectories, String> {
    let name = path.display();
    let bytes = std::fs::read(path).map_err(|e| format!("{name}: cannot read: {e}"))?;
    parse(&bytes).map_err(|e| format!("{name}: {e}"))
}

fn parse(bytes: &[u8]) -> Result<Trajectories, String> {
    if bytes.len() < 16 || &bytes[..8] != MAGIC {
        return Err(
            "not a trajectory file (no MEOWGYM1 magic; write it with tests/oracle/gym_trajectories.py)"
                .into(),
        );
    }
    let header_len = u64::from_le_bytes(bytes[8..16].try_into().expect("8 bytes"));
    let body = usize::try_from(header_len)
        .ok()
        .and_then(|h| h.checked_add(16))
        .filter(|&end| end <= bytes.len())
        .ok_or_else(|| {
            format!(
                "header length {header_len} runs past the end of the file ({} bytes)",
                bytes.len()
            )
        })?;
    let header: serde_json::Value = serde_json::from_slice(&bytes[16..body])
        .map_err(|e| format!("the JSON header does not parse: {e}"))?;
    let field = |key: &str| -> Result<&serde_json::Value, String> {
        header
            .get(key)
            .ok_or_else(|| format!("the header lacks {key:?}"))
    };
    let uint = |key: &str| -> Result<usize, String> {
        field(key)?
            .as_u64()
            .and_then(|v| usize::try_from(v).ok())
            .ok_or_else(|| format!("header field {key:?} is not a non-negative integer"))
    };
    let text = |key: &str| -> Result<String, String> {
        field(key)?
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| format!("header field {key:?} is not a string"))
    };
    if field("format")?.as_str() != Some("meowlab-gym-trajectories") {
        return Err(format!(
            "header format is {}, expected \"meowlab-gym-trajectories\"",
            field("format")?
        ));
    }
    let version = uint("version")?;
    if version as u64 != FORMAT_VERSION {
        return Err(format!(
            "format version {version}, this reader knows {FORMAT_VERSION}"
        ));
    }
    let env_id = text("env_id")?;
    let steps = uint("steps")?;
    let row_len = uint("row_len")?;
    let mut cols = std::collections::HashMap::new();
    for c in field("columns")?
        .as_array()
        .ok_or("header field \"columns\" is not a list")?
    {
        let name = c["name"].as_str().ok_or("a column has no name")?;
        let (Some(offset), Some(len)) = (c["offset"].as_u64(), c["len"].as_u64()) else {
            return Err(format!("column {name:?} lacks an integer offset or len"));
        };
        let (offset, len) = (offset as usize, len as usize);
        if offset.checked_add(len).is_none_or(|end| end > row_len) {
            return Err(format!(
                "column {name:?} ({offset}+{len}) does not fit a row of {row_len}"
            ));
        }
        cols.insert(name.to_string(), (offset, len));
    }
    let col = |name: &str, len: Option<usize>| -> Result<(usize, usize), String> {
        let &(o, n) = cols
            .get(name)
            .ok_or_else(|| format!("the header has no column {name:?}"))?;
        match len {
            Some(want) if want != n => Err(format!(
                "column {name:?} has {n} values, {env_id} needs {want}"
            )),
            _ => Ok((o, n)),
        }
    };
    let env = make(&env_id).map_err(|e| format!("header env_id: {e}"))?;
    let spec = env.spec();
    let state_dim = env.state().len();
    let columns = Columns {
        new_episode: col("new_episode", Some(1))?.0,
        reset_state: col("reset_state", Some(state_dim))?,
        reset_obs: col("reset_obs", Some(spec.obs_dim))?,
        action: col("action", Some(spec.action_space.dim()))?,
        reward: col("reward", Some(1))?.0,
        terminated: col("terminated", Some(1))?.0,
        truncated: col("truncated", Some(1))?.0,
        obs: col("obs", Some(spec.obs_dim))?,
        state: col("state", Some(state_dim))?,
    };
    let data = &bytes[body..];
    let want = steps
        .checked_mul(row_len)
        .and_then(|n| n.checked_mul(8))
        .ok_or("steps × row_len overflows")?;
    if data.len() != want {
        return Err(format!(
            "{} bytes of rows, the header promises {steps} rows of {row_len} f64 = {want} bytes (truncated file?)",
            data.len()
        ));
    }
    let rows: Vec<f64> = data
        .chunks_exact(8)
        .map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes")))
        .collect();
    if steps > 0 && rows[columns.new_episode] != 1.0 {
        return Err("the first row does not start an episode".into());
    }
    Ok(Trajectories {
        env_id,
        steps,
        row_len,
        columns,
        rows,
        gymnasium: text("gymnasium").unwrap_or_else(|_| "?".into()),
        numpy: text("numpy").unwrap_or_else(|_| "?".into()),
    })
}

/// Distance in units in the last place between two f64 (0 for +0 and −0).
fn ulps64(a: f64, b: f64) -> u64 {
    if a.is_nan() || b.is_nan() {
        return if a.to_bits() == b.to_bits() {
            0
        } else {
            u64::MAX
        };
    }
    let key = |x: f64| {
        let bits = x.to_bits() as i64;
        if bits < 0 {
            i64::MIN.wrapping_sub(bits)
        } else {
            bits
        }
    };
    (i128::from(key(a)) - i128::from(key(b))).unsigned_abs() as u64
}

/// Distance in units in the last place between two f32.
fn ulps32(a: f32, b: f32) -> u64 {
    if a.is_nan() || b.is_nan() {
        return if a.to_bits() == b.to_bits() {
            0
        } else {
            u64::MAX
        };
    }
    let key = |x: f32| {
        let bits = x.to_bits() as i32;
        if bits < 0 {
            i32::MIN.wrapping_sub(bits)
        } else {
            bits
        }
    };
    (i64::from(key(a)) - i64::from(key(b))).unsigned_abs()
}

/// Largest differences seen in one field.
#[derive(Default, Clone, Copy)]
struct MaxDiff {
    abs: f64,
    ulps: u64,
    /// Values compared / values not bit-identical.
    values: u64,
    inexact: u64,
}

impl MaxDiff {
    fn add(&mut self, abs: f64, ulps: u64, exact: bool) {
        self.values += 1;
        if !exact {
            self.inexact += 1;
        }
        if abs > self.abs || abs.is_nan() {
            self.abs = abs;
        }
        self.ulps = self.ulps.max(ulps);
    }

    fn show(&self) -> String {
        format!("max |d| {:.3e} ({} ulp)", self.abs, self.ulps)
    }
}

/// One disagreement.
struct Mismatch {
    episode: usize,
    step: u32,
    row: usize,
    field: String,
    ours: String,
    gymnasium: String,
}

#[derive(Default)]
struct Report {
    steps: usize,
    episodes: usize,
    exact_steps: usize,
    obs: MaxDiff,
    state: MaxDiff,
    reward: MaxDiff,
    reset_obs: MaxDiff,
    terminated: usize,
    truncated: usize,
    mismatches: Vec<Mismatch>,
    mismatch_count: usize,
}

impl Report {
    /// Records a mismatch at (episode, step within it, row).
    fn fail(&mut self, at: (usize, u32, usize), field: String, ours: String, theirs: String) {
        self.mismatch_count += 1;
        if self.mismatches.len() < MAX_REPORTED {
            self.mismatches.push(Mismatch {
                episode: at.0,
                step: at.1,
                row: at.2,
                field,
                ours,
                gymnasium: theirs,
            });
        }
    }
}

/// Compares the values of one field; returns whether they are bit-identical, and the
/// first value beyond `tol` ulps as (index, ours, theirs).
fn compare64(
    diff: &mut MaxDiff,
    ours: &[f64],
    theirs: &[f64],
    tol: u64,
) -> (bool, Option<(usize, f64, f64)>) {
    let mut exact = true;
    let mut bad = None;
    for (i, (&a, &b)) in ours.iter().zip(theirs).enumerate() {
        let same = a.to_bits() == b.to_bits();
        let u = ulps64(a, b);
        diff.add((a - b).abs(), u, same);
        exact &= same;
        if u > tol && bad.is_none() {
            bad = Some((i, a, b));
        }
    }
    (exact, bad)
}

fn compare32(
    diff: &mut MaxDiff,
    ours: &[f32],
    theirs: &[f32],
    tol: u64,
) -> (bool, Option<(usize, f32, f32)>) {
    let mut exact = true;
    let mut bad = None;
    for (i, (&a, &b)) in ours.iter().zip(theirs).enumerate() {
        let same = a.to_bits() == b.to_bits();
        let u = ulps32(a, b);
        diff.add(f64::from((a - b).abs()), u, same);
        exact &= same;
        if u > tol && bad.is_none() {
            bad = Some((i, a, b));
        }
    }
    (exact, bad)
}

/// The recorded float32 values (stored exactly as f64) as f32; errors if one is not.
fn as_f32(values: &[f64], what: &str, row: usize) -> Result<Vec<f32>, String> {
    values
        .iter()
        .map(|&v| {
            let f = v as f32;
            if f64::from(f).to_bits() == v.to_bits() || v.is_nan() {
                Ok(f)
            } else {
                Err(format!("row {row}: {what} value {v:?} is not a float32"))
            }
        })
        .collect()
}

/// Replays every episode of `t` through our env and compares.
fn crosscheck(t: &Trajectories) -> Result<Report, String> {
    let mut env: Box<dyn Env> = make(&t.env_id).map_err(|e| e.to_string())?;
    let spec = env.spec().clone();
    let tol = tolerance_ulps(&t.env_id);
    let c = &t.columns;
    let mut obs = vec![0f32; spec.obs_dim];
    let mut report = Report::default();
    let mut episode = 0usize;
    let mut step_in_episode = 0u32;
    let mut skipping = false;
    for i in 0..t.steps {
        let row = t.row(i);
        let slice = |(o, n): (usize, usize)| &row[o..o + n];
        if row[c.new_episode] == 1.0 {
            episode = report.episodes;
            report.episodes += 1;
            step_in_episode = 0;
            skipping = false;
            env.set_state(slice(c.reset_state), &mut obs)
                .map_err(|e| format!("row {i}: cannot inject gymnasium's reset state: {e}"))?;
            let want = as_f32(slice(c.reset_obs), "reset_obs", i)?;
            if let (_, Some((k, a, b))) = compare32(&mut report.reset_obs, &obs, &want, tol) {
                report.fail(
                    (episode, step_in_episode, i),
                    format!("reset obs[{k}]"),
                    format!("{a:?}"),
                    format!("{b:?}"),
                );
                skipping = true;
            }
        }
        report.steps += 1;
        step_in_episode += 1;
        if skipping {
            continue;
        }
        let action_values = slice(c.action);
        let floats;
        let action = match spec.action_space {
            ActionSpace::Discrete(_) => {
                let v = action_values[0];
                if v.fract() != 0.0 || v < 0.0 || v > u32::MAX as f64 {
                    return Err(format!("row {i}: discrete action {v} is not an index"));
                }
                Action::Discrete(v as usize)
            }
            ActionSpace::Box { .. } => {
                floats = as_f32(action_values, "action", i)?;
                Action::Continuous(&floats)
            }
        };
        let tr = match env.step(action, &mut obs) {
            Ok(tr) => tr,
            Err(e) => {
                report.fail(
                    (episode, step_in_episode, i),
                    "step".into(),
                    format!("error: {e}"),
                    "a step".into(),
                );
                skipping = true;
                continue;
            }
        };
        let (want_term, want_trunc) = (row[c.terminated] == 1.0, row[c.truncated] == 1.0);
        report.terminated += usize::from(want_term);
        report.truncated += usize::from(want_trunc);
        let want_obs = as_f32(slice(c.obs), "obs", i)?;
        let ours_state = env.state();
        let (obs_exact, obs_bad) = compare32(&mut report.obs, &obs, &want_obs, tol);
        let (state_exact, state_bad) =
            compare64(&mut report.state, &ours_state, slice(c.state), tol);
        let (reward_exact, reward_bad) =
            compare64(&mut report.reward, &[tr.reward], &[row[c.reward]], tol);
        let flags_exact = tr.terminated == want_term && tr.truncated == want_trunc;
        if obs_exact && state_exact && reward_exact && flags_exact {
            report.exact_steps += 1;
            continue;
        }
        let before = report.mismatch_count;
        if tr.terminated != want_term {
            report.fail(
                (episode, step_in_episode, i),
                "terminated".into(),
                tr.terminated.to_string(),
                want_term.to_string(),
            );
        }
        if tr.truncated != want_trunc {
            report.fail(
                (episode, step_in_episode, i),
                "truncated".into(),
                tr.truncated.to_string(),
                want_trunc.to_string(),
            );
        }
        if let Some((k, a, b)) = obs_bad {
            report.fail(
                (episode, step_in_episode, i),
                format!("obs[{k}]"),
                format!("{a:?}"),
                format!("{b:?}"),
            );
        }
        if let Some((k, a, b)) = state_bad {
            report.fail(
                (episode, step_in_episode, i),
                format!("state[{k}]"),
                format!("{a:?}"),
                format!("{b:?}"),
            );
        }
        if let Some((_, a, b)) = reward_bad {
            report.fail(
                (episode, step_in_episode, i),
                "reward".into(),
                format!("{a:?}"),
                format!("{b:?}"),
            );
        }
        skipping = report.mismatch_count > before;
    }
    Ok(report)
}

fn main() -> ExitCode {
    let files: Vec<String> = std::env::args().skip(1).collect();
    if files.is_empty() || files.iter().any(|f| f == "-h" || f == "--help") {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    }
    let mut failed = false;
    for file in &files {
        let t = match load(Path::new(file)) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("control-crosscheck: {e}");
                return ExitCode::from(2);
            }
        };
        let r = match crosscheck(&t) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("control-crosscheck: {file}: {e}");
                return ExitCode::from(2);
            }
        };
        let tol = tolerance_ulps(&t.env_id);
        println!(
            "{:<25} {} steps, {} episodes ({} terminated, {} truncated), {} bit-exact steps; gymnasium {} numpy {}; tolerance {} ulp",
            t.env_id,
            r.steps,
            r.episodes,
            r.terminated,
            r.truncated,
            r.exact_steps,
            t.gymnasium,
            t.numpy,
            tol
        );
        println!(
            "{:<25} obs {}, state {}, reward {}, reset obs {}",
            "",
            r.obs.show(),
            r.state.show(),
            r.reward.show(),
            r.reset_obs.show()
        );
        if r.obs.inexact + r.state.inexact + r.reward.inexact + r.reset_obs.inexact > 0 {
            println!(
                "{:<25} values not bit-identical: obs {}/{}, state {}/{}, reward {}/{}, reset obs {}/{}",
                "",
                r.obs.inexact,
                r.obs.values,
                r.state.inexact,
                r.state.values,
                r.reward.inexact,
                r.reward.values,
                r.reset_obs.inexact,
                r.reset_obs.values
            );
        }
        if r.mismatch_count > 0 {
            failed = true;
            for m in &r.mismatches {
                eprintln!(
                    "control-crosscheck: MISMATCH {} episode {} step {} (row {}): {}: meowlab {} vs gymnasium {}",
                    t.env_id, m.episode, m.step, m.row, m.field, m.ours, m.gymnasium
                );
            }
            if r.mismatch_count > r.mismatches.len() {
                eprintln!(
                    "control-crosscheck: ... {} more mismatches in {}",
                    r.mismatch_count - r.mismatches.len(),
                    t.env_id
                );
            }
        }
    }
    if failed {
        eprintln!("control-crosscheck: FAIL");
        ExitCode::FAILURE
    } else {
        println!("control-crosscheck: all steps within tolerance");
        ExitCode::SUCCESS
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(
        env_id: &str,
        rows: &[Vec<f64>],
        tweak: impl FnOnce(&mut serde_json::Value),
    ) -> Vec<u8> {
        let env = make(env_id).unwrap();
        let (s, o, a) = (
            env.state().len(),
            env.spec().obs_dim,
            env.spec().action_space.dim(),
        );
        let layout = [
            ("new_episode", 1),
            ("reset_state", s),
            ("reset_obs", o),
            ("action", a),
            ("reward", 1),
            ("terminated", 1),
            ("truncated", 1),
            ("obs", o),
            ("state", s),
        ];
        let mut off = 0;
        let columns: Vec<_> = layout
            .iter()
            .map(|&(name, len)| {
                off += len;
                serde_json::json!({"name": name, "offset": off - len, "len": len})
            })
            .collect();
        let mut header = serde_json::json!({
            "format": "meowlab-gym-trajectories", "version": 1, "env_id": env_id,
            "steps": rows.len(), "row_len": off, "columns": columns,
        });
        tweak(&mut header);
        let blob = serde_json::to_vec(&header).unwrap();
        let mut out = MAGIC.to_vec();
        out.extend((blob.len() as u64).to_le_bytes());
        out.extend(blob);
        for r in rows {
            assert_eq!(r.len(), off);
            out.extend(r.iter().flat_map(|v| v.to_le_bytes()));
        }
        out
    }

    /// A CartPole row produced by our own env from `state` with `action`.
    fn cartpole_row(state: [f64; 4], action: usize) -> Vec<f64> {
        let mut env = make("CartPole-v1").unwrap();
        let mut reset_obs = [0f32; 4];
        env.set_state(&state, &mut reset_obs).unwrap();
        let mut obs = [0f32; 4];
        let t = env.step(Action::Discrete(action), &mut obs).unwrap();
        let mut row = vec![1.0];
        row.extend(state);
        row.extend(reset_obs.map(f64::from));
        row.push(action as f64);
        row.extend([t.reward, 0.0, 0.0]);
        row.extend(obs.map(f64::from));
        row.extend(env.state());
        row
    }

    #[test]
    fn a_self_made_file_matches() {
        let row = cartpole_row([0.01, -0.02, 0.03, 0.04], 1);
        let t = parse(&file("CartPole-v1", &[row], |_| {})).unwrap();
        let r = crosscheck(&t).unwrap();
        assert_eq!((r.steps, r.episodes, r.exact_steps), (1, 1, 1));
        assert_eq!(r.mismatch_count, 0);
    }

    #[test]
    fn a_one_ulp_state_difference_is_reported_for_cartpole() {
        let mut row = cartpole_row([0.01, -0.02, 0.03, 0.04], 0);
        let last = row.len() - 1;
        row[last] = f64::from_bits(row[last].to_bits() + 1);
        let t = parse(&file("CartPole-v1", &[row], |_| {})).unwrap();
        let r = crosscheck(&t).unwrap();
        assert_eq!(r.mismatch_count, 1);
        assert_eq!(r.mismatches[0].field, "state[3]");
        assert_eq!(r.state.ulps, 1);
    }

    #[test]
    fn bad_files_are_errors_not_panics() {
        let row = cartpole_row([0.0; 4], 1);
        let good = file("CartPole-v1", std::slice::from_ref(&row), |_| {});
        assert!(parse(b"hello").unwrap_err().contains("magic"));
        assert!(parse(&good[..good.len() - 3])
            .unwrap_err()
            .contains("truncated file"));
        let mut huge = good.clone();
        huge[8..16].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(parse(&huge).unwrap_err().contains("runs past the end"));
        let unknown = file("CartPole-v1", std::slice::from_ref(&row), |h| {
            h["env_id"] = "Nope-v0".into()
        });
        assert!(parse(&unknown).unwrap_err().contains("unknown environment"));
        let wrong_dims = file("CartPole-v1", std::slice::from_ref(&row), |h| {
            h["env_id"] = "Pendulum-v1".into()
        });
        assert!(parse(&wrong_dims).unwrap_err().contains("needs"));
        let no_cols = file("CartPole-v1", std::slice::from_ref(&row), |h| {
            h.as_object_mut().unwrap().remove("columns");
        });
        assert!(parse(&no_cols).unwrap_err().contains("\"columns\""));
        let missing = std::path::Path::new("/nonexistent/gym.bin");
        assert!(load(missing)
            .unwrap_err()
            .starts_with("/nonexistent/gym.bin: "));
    }

    #[test]
    fn ulp_distances() {
        assert_eq!(ulps64(0.0, -0.0), 0);
        assert_eq!(ulps64(1.0, f64::from_bits(1.0f64.to_bits() + 3)), 3);
        assert_eq!(ulps64(-f64::MIN_POSITIVE, f64::MIN_POSITIVE), 2 << 52);
        assert_eq!(ulps32(-1e-45, 1e-45), 2);
    }
}
