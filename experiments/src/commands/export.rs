//! `meowlab export`: games of a run (played or imported) as tenhou.net/6 JSON, which
//! Tenhou's viewer reads, or as mjai JSON lines.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use meowlab::import::game_log;
use meowlab::logs::write::tenhou6;
use meowlab::sanma::event::to_jsonl;
use meowlab::sanma::Rules;
use meowlab::store::browse::{self, GameRow};

/// Output formats of `meowlab export`.
#[derive(Clone, Copy, clap::ValueEnum)]
pub enum Format {
    /// tenhou.net/6 JSON (one object per game).
    Tenhou6,
    /// mjai JSON lines (meowlab's events; Kita as `nukidora`).
    Mjai,
}

/// Arguments of `meowlab export`.
#[derive(clap::Args)]
pub struct Args {
    /// The run folder (e.g. data/runs/X).
    #[arg(long)]
    run: PathBuf,
    /// The game id to export; every game of the run when left out (then --out is a
    /// folder that receives one file per game, named after its log id).
    #[arg(long)]
    game: Option<u64>,
    /// Output format.
    #[arg(long, value_enum, default_value = "tenhou6")]
    format: Format,
    /// Where to write: a file for one game (default: standard output), a folder for all.
    #[arg(long)]
    out: Option<PathBuf>,
}

/// The log id of a game: its source for imported games, else run and game id.
fn source_of(run: &std::path::Path, g: &GameRow) -> String {
    g.source.clone().unwrap_or_else(|| {
        let run = run
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        format!("meowlab-{run}-{}", g.game_id)
    })
}

fn export_one(args: &Args, g: &GameRow) -> Result<(String, String)> {
    let events = browse::game_events(&args.run, g.game_id)?;
    if let Some(p) = events.problems.first() {
        bail!("game {}: {p}", g.game_id);
    }
    let source = source_of(&args.run, g);
    let text = match args.format {
        Format::Mjai => to_jsonl(&events.rows),
        Format::Tenhou6 => {
            let rules: Rules = serde_json::from_str(&g.rules)
                .with_context(|| format!("game {}: the rules column is not valid", g.game_id))?;
            let log = game_log(&events.rows, &rules, &source)
                .with_context(|| format!("game {} cannot be written for Tenhou", g.game_id))?;
            tenhou6(&log).to_string() + "\n"
        }
    };
    Ok((source, text))
}

/// Runs `meowlab export`.
pub fn run(args: Args) -> Result<ExitCode> {
    let games = browse::games(&args.run)
        .with_context(|| format!("cannot read the games of {}", args.run.display()))?;
    if let Some(p) = games.problems.first() {
        eprintln!("warning: {p}");
    }
    match args.game {
        Some(id) => {
            let Some(g) = games.rows.iter().find(|g| g.game_id == id) else {
                bail!(
                    "{}: no game {id} (the run has {} games)",
                    args.run.display(),
                    games.rows.len()
                );
            };
            let (_, text) = export_one(&args, g)?;
            match &args.out {
                Some(path) => std::fs::write(path, text)
                    .with_context(|| format!("cannot write {}", path.display()))?,
                None => std::io::stdout().write_all(text.as_bytes())?,
            }
        }
        None => {
            let Some(dir) = &args.out else {
                bail!("exporting every game needs --out FOLDER (or choose one with --game)");
            };
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            let ext = match args.format {
                Format::Tenhou6 => "json",
                Format::Mjai => "mjson",
            };
            for g in &games.rows {
                let (source, text) = export_one(&args, g)?;
                let path = dir.join(format!("{source}.{ext}"));
                std::fs::write(&path, text)
                    .with_context(|| format!("cannot write {}", path.display()))?;
            }
            println!("{} games -> {}", games.rows.len(), dir.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}
