//! `meowlab plot <kind>`: figures for papers from runs (SVG or 300-dpi PNG by the output's
//! extension; a column wide by default).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use meowlab::explain::sanma::Situation;
use meowlab::plot::{
    ActionBars, Curves, EvalBars, EvalView, Figure, Grouping, Layout, OutcomeBars, PlaneHeatmap,
    RankBars, ShapleyChart, ShapleyStyle,
};
use meowlab::sanma::planes::Planes;
use meowlab::store::browse;

/// `meowlab plot` and its figure kinds.
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    kind: Kind,
}

#[derive(clap::Subcommand)]
enum Kind {
    /// Learning curves of a metric: mean and 95% CI over the seeds of each experiment.
    Curves {
        /// Runs, or folders of runs (runs of one config are its seeds).
        #[arg(required = true)]
        runs: Vec<PathBuf>,
        /// The metric to plot (see the run's `metrics` table).
        #[arg(long, default_value = "eval/return_mean")]
        metric: String,
        /// Smoothing weight in [0, 1) per seed (TensorBoard's debiased EMA).
        #[arg(long, default_value_t = 0.0)]
        smooth: f64,
        #[command(flatten)]
        out: Output,
    },
    /// Final ranks of a Sanma run's games per agent (or per seat), with 95% intervals.
    Ranks {
        /// A run logged by `meowlab play --log`.
        run: PathBuf,
        /// Group by seat instead of by agent.
        #[arg(long)]
        by_seat: bool,
        #[command(flatten)]
        out: Output,
    },
    /// The Meowjong per-round table as stacked bars: each seat's share of rounds placed
    /// 1st/2nd/3rd by score change, or drawn (no score changed).
    Outcomes {
        /// A run logged by `meowlab play --log`.
        run: PathBuf,
        #[command(flatten)]
        out: Output,
    },
    /// An evaluation (`meowlab eval`): each agent's final-rank distribution, or with
    /// --per-round Meowjong's per-round table, with 95% intervals over sets.
    Eval {
        /// An evaluation run (or its evaluation.json).
        run: PathBuf,
        /// The per-round table instead of the final ranks.
        #[arg(long)]
        per_round: bool,
        #[command(flatten)]
        out: Output,
    },
    /// One decision's 34×366 tile plane with its feature blocks (page wide by default).
    Planes {
        #[command(flatten)]
        at: DecisionAt,
        /// A JSON array of 366 per-column values to overlay (e.g. attributions).
        #[arg(long)]
        overlay: Option<PathBuf>,
        #[command(flatten)]
        out: Output,
    },
    /// One decision's logged policy over its legal actions, the chosen one marked.
    Policy {
        #[command(flatten)]
        at: DecisionAt,
        #[command(flatten)]
        out: Output,
    },
    /// Shapley values: of one explanation in a run's `explanations` table (--explanation),
    /// a summary over the run's explanations of one kind (mean |φ|, or mean φ with
    /// --signed, the default for global performance: SVERL's Φ), or from a JSON file
    /// {"players": [names], "values": [φ], "stderr": [..]?, "base": v(∅)?, "what": "..."?}.
    Shapley {
        /// A run explained by `meowlab explain`, or a values file.
        file: PathBuf,
        /// The explanation id to plot (runs only; default: a summary over all of them).
        #[arg(long)]
        explanation: Option<u64>,
        /// Summarise only explanations of this kind (value, policy, performance_local,
        /// performance_global); needed when the run has several.
        #[arg(long = "kind")]
        explained: Option<String>,
        /// Summarise only explanations whose conditioning starts with this
        /// ("on-manifold (learned)", "on-manifold (exact", interventional); needed when
        /// the run has several.
        #[arg(long)]
        conditioning: Option<String>,
        /// Summarise only explanations with this many players (Sanma: 20 for the
        /// blocks, 45 for the hand per tile kind); needed when the run has several.
        #[arg(long)]
        players: Option<usize>,
        /// Sanma: summarise only decisions in this situation (riichi: an opponent is in
        /// riichi; no-riichi; early, middle, late: by the seat's own discards).
        #[arg(long = "where")]
        situation: Option<Situation>,
        /// Summarise by the mean φ (with its standard error over states) instead of the
        /// mean |φ|.
        #[arg(long)]
        signed: bool,
        /// A waterfall from v(∅) to v(F) instead of sorted bars.
        #[arg(long)]
        waterfall: bool,
        /// Show the largest N and pool the rest (0 = all).
        #[arg(long, default_value_t = 12)]
        top: usize,
        #[command(flatten)]
        out: Output,
    },
}

/// Which logged decision.
#[derive(clap::Args)]
struct DecisionAt {
    /// A run logged by `meowlab play --log`.
    run: PathBuf,
    /// The game id (default: the run's first game).
    #[arg(long)]
    game: Option<u64>,
    /// The decision's position in the game (0 = first); default: the first decision
    /// that has what the figure shows (a tile plane, a logged policy).
    #[arg(long)]
    decision: Option<usize>,
}

/// Where the figure goes and how it looks.
#[derive(clap::Args)]
struct Output {
    /// Output file: .svg or .png.
    #[arg(short, long)]
    out: PathBuf,
    /// Title above the plot.
    #[arg(long)]
    title: Option<String>,
    /// Width: `column` (3.5 in), `page` (7 in) or inches.
    #[arg(long)]
    width: Option<String>,
    /// Height in inches.
    #[arg(long)]
    height: Option<f64>,
    /// PNG resolution.
    #[arg(long, default_value_t = meowlab::plot::DEFAULT_DPI)]
    dpi: u32,
    /// Body text size in points.
    #[arg(long)]
    font_pt: Option<f64>,
}

impl Output {
    fn layout(&self, default: Layout) -> Result<Layout> {
        let mut l = default;
        if let Some(w) = &self.width {
            l.width_in = match w.as_str() {
                "column" => meowlab::plot::COLUMN_WIDTH_IN,
                "page" => meowlab::plot::PAGE_WIDTH_IN,
                inches => inches.parse().with_context(|| {
                    format!("--width {inches}: expected column, page or a number of inches")
                })?,
            };
        }
        if let Some(h) = self.height {
            l.height_in = h;
        }
        if let Some(f) = self.font_pt {
            l.font_pt = f;
        }
        l.dpi = self.dpi;
        l.title = self.title.clone();
        Ok(l)
    }

    fn save(&self, figure: Figure) -> Result<ExitCode> {
        let layout = self.layout(figure.layout.clone())?;
        let figure = figure.with_layout(layout);
        figure
            .save(&self.out)
            .with_context(|| format!("cannot write the figure {}", self.out.display()))?;
        println!("wrote {}", self.out.display());
        Ok(ExitCode::SUCCESS)
    }
}

fn report_problems(problems: &[meowlab::store::StoreError]) {
    for p in problems {
        eprintln!("meowlab: warning: skipped unreadable data: {p}");
    }
}

fn games_of(run: &Path) -> Result<Vec<browse::GameRow>> {
    let loaded = browse::games(run).with_context(|| format!("cannot read {}", run.display()))?;
    report_problems(&loaded.problems);
    Ok(loaded.rows)
}

fn decision_of(
    at: &DecisionAt,
    what: &str,
    has: impl Fn(&browse::DecisionRow) -> bool,
) -> Result<browse::DecisionRow> {
    let game = match at.game {
        Some(g) => g,
        None => games_of(&at.run)?
            .iter()
            .map(|g| g.game_id)
            .min()
            .with_context(|| format!("{}: no finished games", at.run.display()))?,
    };
    let loaded = browse::decisions(&at.run, game)
        .with_context(|| format!("cannot read the decisions of {}", at.run.display()))?;
    report_problems(&loaded.problems);
    if loaded.rows.is_empty() {
        bail!("{}: game {game} has no logged decisions", at.run.display());
    }
    let count = loaded.rows.len();
    let index = match at.decision {
        Some(i) => i,
        None => loaded.rows.iter().position(has).with_context(|| {
            format!(
                "{}: no decision of game {game} has {what}",
                at.run.display()
            )
        })?,
    };
    loaded.rows.into_iter().nth(index).with_context(|| {
        format!(
            "{}: game {game} has {count} decisions (--decision 0..{})",
            at.run.display(),
            count - 1
        )
    })
}

/// Which explanations of a run a Shapley figure summarises.
struct Summary<'a> {
    kind: Option<&'a str>,
    conditioning: Option<&'a str>,
    players: Option<usize>,
    situation: Option<Situation>,
    signed: bool,
}

/// One explanation of a run as a chart, or a summary per player over the run's
/// explanations of one kind and conditioning.
fn shapley_of_run(run: &Path, id: Option<u64>, summary: &Summary<'_>) -> Result<ShapleyChart> {
    let loaded = browse::explanations(run)
        .with_context(|| format!("cannot read the explanations of {}", run.display()))?;
    report_problems(&loaded.problems);
    let all = loaded.rows;
    if all.is_empty() {
        bail!(
            "{}: no explanations (run `meowlab explain` first)",
            run.display()
        );
    }
    if let Some(id) = id {
        let e = all
            .iter()
            .find(|e| e.explanation_id == id)
            .with_context(|| {
                format!(
                    "{}: no explanation {id} (ids 0..{})",
                    run.display(),
                    all.len() - 1
                )
            })?;
        return Ok(ShapleyChart::from_explanation(e));
    }
    let chosen: Vec<_> = all
        .iter()
        .filter(|e| summary.kind.is_none_or(|k| e.kind == k))
        .filter(|e| {
            summary
                .conditioning
                .is_none_or(|c| e.conditioning.starts_with(c))
        })
        .filter(|e| summary.players.is_none_or(|n| e.players.len() == n))
        .cloned()
        .collect();
    let chosen = match summary.situation {
        None => chosen,
        Some(situation) => {
            let observations = browse::explained_observations(run, &chosen)
                .with_context(|| format!("cannot read the decisions of {}", run.display()))?;
            let kept: Vec<_> = chosen
                .into_iter()
                .zip(observations)
                .filter(|(_, o)| {
                    o.as_deref()
                        .and_then(|b| Planes::from_bytes(b).ok())
                        .is_some_and(|p| situation.holds(&p))
                })
                .map(|(e, _)| e)
                .collect();
            println!(
                "{} explained decisions are {}",
                kept.len(),
                situation.name()
            );
            kept
        }
    };
    let mut groups = std::collections::BTreeMap::<(String, String, usize), usize>::new();
    for e in &chosen {
        *groups
            .entry((e.kind.clone(), e.conditioning.clone(), e.players.len()))
            .or_default() += 1;
    }
    let list = || {
        groups
            .iter()
            .map(|((k, c, p), n)| format!("{n} × {k}, {c}, {p} players"))
            .collect::<Vec<_>>()
            .join("; ")
    };
    match groups.len() {
        0 => bail!(
            "{}: no explanations match --kind/--conditioning/--players/--where",
            run.display()
        ),
        1 => {}
        _ => bail!(
            "{}: the explanations are of several kinds ({}); choose with --kind, \
             --conditioning and --players",
            run.display(),
            list()
        ),
    }
    let signed = summary.signed || chosen[0].kind == "performance_global";
    let chart = if signed {
        ShapleyChart::mean(&chosen)
    } else {
        ShapleyChart::mean_abs(&chosen)
    }
    .with_context(|| run.display().to_string())?;
    // the numbers behind the figure, largest first, for tables
    println!(
        "{} over {} explanations ({}):",
        if signed { "mean φ" } else { "mean |φ|" },
        chosen.len(),
        list()
    );
    let mut order: Vec<usize> = (0..chart.values.len()).collect();
    order.sort_by(|&a, &b| chart.values[b].abs().total_cmp(&chart.values[a].abs()));
    for i in order {
        let se = chart.stderr.as_ref().map(|s| format!(" ± {:.4}", s[i]));
        println!(
            "  {:<22} {:>9.4}{}",
            chart.players[i],
            chart.values[i],
            se.unwrap_or_default()
        );
    }
    Ok(chart)
}

#[derive(serde::Deserialize)]
struct ShapleyFile {
    players: Vec<String>,
    values: Vec<f64>,
    #[serde(default)]
    stderr: Option<Vec<f64>>,
    #[serde(default)]
    base: f64,
    #[serde(default)]
    what: Option<String>,
}

pub fn run(args: Args) -> Result<ExitCode> {
    match args.kind {
        Kind::Curves {
            runs,
            metric,
            smooth,
            out,
        } => {
            let (curves, problems) = Curves::from_runs(&runs, &metric)?;
            problems
                .iter()
                .for_each(|p| eprintln!("meowlab: warning: skipped unreadable data: {p}"));
            out.save(Figure::new(curves.smoothed(smooth)))
        }
        Kind::Ranks { run, by_seat, out } => {
            let by = if by_seat {
                Grouping::Seat
            } else {
                Grouping::Agent
            };
            out.save(Figure::new(RankBars::from_games(&games_of(&run)?, by)?))
        }
        Kind::Outcomes { run, out } => {
            let games = games_of(&run)?;
            let kyoku = browse::kyoku(&run, None)
                .with_context(|| format!("cannot read {}", run.display()))?;
            report_problems(&kyoku.problems);
            out.save(Figure::new(OutcomeBars::from_kyoku(&kyoku.rows, &games)?))
        }
        Kind::Eval {
            run,
            per_round,
            out,
        } => {
            let evaluation = meowlab::eval::read_summary(&run)?;
            let view = if per_round {
                EvalView::PerRound
            } else {
                EvalView::Ranks
            };
            out.save(Figure::new(EvalBars::new(&evaluation, view)))
        }
        Kind::Planes { at, overlay, out } => {
            let d = decision_of(&at, "a tile plane", |d| d.observation.is_some())?;
            let Some(obs) = &d.observation else {
                bail!(
                    "{}: game {} step {} has no tile plane (logged without observations)",
                    at.run.display(),
                    d.game_id,
                    d.step
                );
            };
            let mut chart = PlaneHeatmap::from_packed(obs)?;
            if let Some(path) = overlay {
                let text = std::fs::read_to_string(&path)
                    .with_context(|| format!("cannot read {}", path.display()))?;
                let values: Vec<f64> = serde_json::from_str(&text).with_context(|| {
                    format!("{}: expected a JSON array of numbers", path.display())
                })?;
                chart = chart
                    .with_overlay(values)
                    .with_context(|| path.display().to_string())?;
            }
            out.save(Figure::new(chart))
        }
        Kind::Policy { at, out } => {
            let d = decision_of(&at, "a logged policy over 2+ actions", |d| {
                d.policy.is_some() && d.legal.len() > 1
            })?;
            let Some(policy) = &d.policy else {
                bail!(
                    "{}: game {} step {} has no logged policy (seat {}'s agent logged none)",
                    at.run.display(),
                    d.game_id,
                    d.step,
                    d.seat
                );
            };
            let mut labels = Vec::new();
            let mut probs = Vec::new();
            let mut chosen = None;
            let mut legal = d.legal.clone();
            let mut seen = std::collections::HashSet::new();
            legal.retain(|a| seen.insert(*a)); // a discard and its tsumogiri share an index
            for &a in &legal {
                let p = policy.get(a as usize).with_context(|| {
                    format!(
                        "policy has {} entries, legal action {a} is outside",
                        policy.len()
                    )
                })?;
                if a == d.action {
                    chosen = Some(labels.len());
                }
                labels.push(meowlab::sanma::action::index_name(a).unwrap_or_else(|| a.to_string()));
                probs.push(*p as f64);
            }
            // "discard 1p", "discard 9s", … → "1p", "9s", … under a "discard" heading
            if labels.iter().all(|l| l.starts_with("discard ")) {
                labels = labels
                    .iter()
                    .map(|l| l["discard ".len()..].to_string())
                    .collect();
            }
            let mut chart = ActionBars::new(labels, probs);
            chart.chosen = chosen;
            out.save(Figure::new(chart))
        }
        Kind::Shapley {
            file,
            explanation,
            explained,
            conditioning,
            players,
            situation,
            signed,
            waterfall,
            top,
            out,
        } => {
            if file.is_dir() {
                let summary = Summary {
                    kind: explained.as_deref(),
                    conditioning: conditioning.as_deref(),
                    players,
                    situation,
                    signed,
                };
                let mut chart = shapley_of_run(&file, explanation, &summary)?;
                chart.top = top;
                if waterfall {
                    if explanation.is_none() {
                        bail!("--waterfall needs one explanation (--explanation ID)");
                    }
                    chart.style = ShapleyStyle::Waterfall;
                }
                return out.save(Figure::new(chart));
            }
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let f: ShapleyFile = serde_json::from_str(&text)
                .with_context(|| format!("{}: not a Shapley values file", file.display()))?;
            let mut chart = ShapleyChart::new(f.players, f.values);
            chart.stderr = f.stderr;
            chart.base = f.base;
            chart.top = top;
            chart.style = if waterfall {
                ShapleyStyle::Waterfall
            } else {
                ShapleyStyle::Bars
            };
            if let Some(what) = f.what {
                chart.what = what;
            }
            out.save(Figure::new(chart))
        }
    }
}
