//! `meowlab score FILE.json`: score every case, one JSON line each.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use meowlab::hand::case::{Case, ScoreLine};

/// Arguments of `meowlab score`.
#[derive(clap::Args)]
pub struct Args {
    /// Cases file: {"cases": [...]} in the schema of riichienv's agari_3p.json.
    file: PathBuf,
}

/// Reads the cases file; a case that does not parse becomes an error line later.
pub fn read_cases(path: &Path) -> Result<Vec<Result<Case, String>>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let root: serde_json::Value = serde_json::from_str(&text)
        .with_context(|| format!("{} is not valid JSON", path.display()))?;
    let cases = root
        .get("cases")
        .and_then(|c| c.as_array())
        .with_context(|| {
            format!(
                "{}: expected an object with a \"cases\" array",
                path.display()
            )
        })?;
    Ok(cases
        .iter()
        .enumerate()
        .map(|(i, v)| {
            serde_json::from_value::<Case>(v.clone()).map_err(|e| format!("cases[{i}]: {e}"))
        })
        .collect())
}

pub fn run(args: Args) -> Result<ExitCode> {
    let cases = read_cases(&args.file)?;
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    for (index, case) in cases.iter().enumerate() {
        let line = match case {
            Ok(case) => case.score(index, None),
            Err(e) => ScoreLine::error(index, e.clone()),
        };
        serde_json::to_writer(&mut out, &line)?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
