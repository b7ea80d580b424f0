//! `meowlab plot <kind>`: figures for papers from runs (SVG or 300-dpi PNG by the output's
//! extension; a column wide by default).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use meowlab::eval::aggregate::{self as agg, Bootstrap, Normalisation, Statistic};
use meowlab::explain::sanma::Situation;
use meowlab::plot::runs::{Final, XAxis};
use meowlab::plot::ticks::AxisScale;
use meowlab::plot::{
    ActionBars, Chart, Curves, EvalBars, EvalView, Figure, Grid, Grouping, Layout, OutcomeBars,
    Panel, PlaneHeatmap, RankBars, ShapleyChart, ShapleyStyle,
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
        /// The x axis: `steps` (environment steps), `wall` (seconds since the run
        /// started), `updates` (the logged `train/updates`) or any metric's name.
        #[arg(long, default_value = "steps")]
        x: String,
        /// One panel per task (the configs' `env`), a curve per algorithm in each, one
        /// legend for all.
        #[arg(long)]
        per_task: bool,
        /// Draw each curve's mean and band only where all its seeds have data (for
        /// `--x wall`, where seeds start and end at different times).
        #[arg(long)]
        common_range: bool,
        #[command(flatten)]
        axes: Axes,
        #[command(flatten)]
        out: Output,
    },
    /// Aggregate statistics over runs (seeds × tasks) as rliable computes them: IQM,
    /// median, mean and optimality gap of normalised final scores with stratified
    /// bootstrap 95% intervals, performance profiles, and the probability of improvement
    /// of each algorithm over each other one run on the same tasks.
    Aggregate {
        /// Runs, or folders of runs; a run's task is its config's `env`, its algorithm
        /// the config's `name` without the env word (`cartpole-ppo` → `ppo`).
        #[arg(required_unless_present = "scores")]
        runs: Vec<PathBuf>,
        /// Final scores from elsewhere instead of runs: a JSON object
        /// {"ALGORITHM": {"TASK": [score per run, …], …}, …}.
        #[arg(long, conflicts_with = "runs")]
        scores: Option<PathBuf>,
        /// The metric whose last logged value is a run's score.
        #[arg(long, default_value = "eval/return_mean")]
        metric: String,
        /// Score = the mean of the last N logged values instead of the last one.
        #[arg(long)]
        last: Option<usize>,
        /// A task's normalisation range TASK=LOW:HIGH (LOW → 0, HIGH → 1); the control
        /// envs have defaults (a random policy → 0, gymnasium's reward threshold → 1).
        #[arg(long = "range", value_name = "TASK=LOW:HIGH")]
        ranges: Vec<String>,
        /// The scores are normalised already (no ranges applied).
        #[arg(long, conflicts_with = "ranges")]
        normalised: bool,
        /// Bootstrap resamples for the statistics and probabilities of improvement.
        #[arg(long, default_value_t = 50_000)]
        reps: usize,
        /// Bootstrap resamples for the performance profiles.
        #[arg(long, default_value_t = 2_000)]
        profile_reps: usize,
        /// Seed of the bootstrap (the same seed gives the same intervals).
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Thresholds τ of the performance profiles.
        #[arg(long, default_value_t = 101)]
        taus: usize,
        /// Draw only one part: iqm, median, mean, gap (optimality gap), profile or
        /// improvement (default: all of them as panels).
        #[arg(long)]
        only: Option<String>,
        /// Also write the scores and every estimate as JSON.
        #[arg(long)]
        json: Option<PathBuf>,
        #[command(flatten)]
        out: Output,
    },
    /// Several figures as lettered panels of one: each --panel is a `meowlab plot` kind
    /// with its arguments but no output options, e.g.
    /// --panel "curves runs/ --per-task" --panel "aggregate runs/ --only iqm".
    Grid {
        /// A panel (or several: `curves --per-task`, `aggregate` without --only).
        #[arg(long = "panel", required = true, value_name = "KIND ARGS")]
        panels: Vec<String>,
        /// Panels per row.
        #[arg(long, default_value_t = 3)]
        columns: usize,
        /// Panels of one kind share their x range (labels on the bottom row).
        #[arg(long)]
        share_x: bool,
        /// Panels of one kind share their y range (labels on the first column).
        #[arg(long)]
        share_y: bool,
        /// No (a), (b), … letters.
        #[arg(long)]
        no_letters: bool,
        #[command(flatten)]
        out: Output,
    },
    /// Checks figures' SVG text: every label inside the canvas, none overlapping another,
    /// no axis repeating a tick label. Exits 1 when a figure fails.
    Check {
        /// SVG files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
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

/// Axis scales.
#[derive(clap::Args, Clone, Copy)]
struct Axes {
    /// A log x axis (values must be > 0).
    #[arg(long)]
    log_x: bool,
    /// A log y axis (values must be > 0).
    #[arg(long)]
    log_y: bool,
    /// Panels share their y range (with --per-task).
    #[arg(long)]
    share_y: bool,
    /// Panels per row (with --per-task).
    #[arg(long, default_value_t = 2)]
    columns: usize,
}

/// Where the figure goes and how it looks.
#[derive(clap::Args)]
struct Output {
    /// Output file: .svg or .png (required, except for the panels of `plot grid`).
    #[arg(short, long)]
    out: Option<PathBuf>,
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
        let out = self
            .out
            .as_ref()
            .context("--out FILE is required (.svg or .png)")?;
        let layout = self.layout(figure.layout.clone())?;
        let figure = figure.with_layout(layout);
        figure
            .save(out)
            .with_context(|| format!("cannot write the figure {}", out.display()))?;
        println!("wrote {}", out.display());
        Ok(ExitCode::SUCCESS)
    }

    /// Whether anything about the output was given (a grid's panels take none).
    fn given(&self) -> bool {
        self.out.is_some()
            || self.title.is_some()
            || self.width.is_some()
            || self.height.is_some()
            || self.font_pt.is_some()
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

/// A figure's panels and where it goes: one panel for most kinds, several for curves per
/// task and the full aggregate summary.
struct Built {
    panels: Vec<Panel>,
    columns: usize,
    share_y: bool,
    out: Output,
}

impl Built {
    fn one(chart: impl Into<Chart>, out: Output) -> Result<Built> {
        Ok(Built {
            panels: vec![Panel::new(chart)],
            columns: 1,
            share_y: false,
            out,
        })
    }

    fn figure(self) -> (Figure, Output) {
        let figure = match <[Panel; 1]>::try_from(self.panels) {
            Ok([panel]) => {
                let mut f = Figure::new(panel.chart);
                f.frame.x.scale = panel.x_scale;
                f.frame.y.scale = panel.y_scale;
                f
            }
            Err(panels) => {
                let mut grid = Grid::new(panels, self.columns);
                grid.share_y = self.share_y;
                Figure::new(grid)
            }
        };
        (figure, self.out)
    }
}

pub fn run(args: Args) -> Result<ExitCode> {
    match args.kind {
        Kind::Check { files } => check(&files),
        Kind::Grid {
            panels,
            columns,
            share_x,
            share_y,
            no_letters,
            out,
        } => {
            let mut all = Vec::new();
            for (i, spec) in panels.iter().enumerate() {
                let words = shlex::split(spec)
                    .with_context(|| format!("--panel {}: unbalanced quotes in {spec:?}", i + 1))?;
                let parsed = <PanelArgs as clap::Parser>::try_parse_from(
                    std::iter::once("panel".to_string()).chain(words),
                )
                .map_err(|e| anyhow::anyhow!("--panel {} ({spec:?}): {e}", i + 1))?;
                if matches!(parsed.kind, Kind::Grid { .. } | Kind::Check { .. }) {
                    bail!("--panel {}: a panel cannot be a grid or a check", i + 1);
                }
                let built = build(parsed.kind)?;
                if built.out.given() {
                    bail!(
                        "--panel {} ({spec:?}): output options (-o, --title, --width, …) go \
                         after `plot grid`, not inside a panel",
                        i + 1
                    );
                }
                all.extend(built.panels);
            }
            let mut grid = Grid::new(all, columns);
            grid.share_x = share_x;
            grid.share_y = share_y;
            grid.letters = !no_letters;
            out.save(Figure::new(grid))
        }
        kind => {
            let (figure, out) = build(kind)?.figure();
            out.save(figure)
        }
    }
}

/// A panel's arguments: a plot kind parsed from a `--panel` string.
#[derive(clap::Parser)]
struct PanelArgs {
    #[command(subcommand)]
    kind: Kind,
}

fn check(files: &[PathBuf]) -> Result<ExitCode> {
    let mut failed = 0;
    for f in files {
        let svg =
            std::fs::read_to_string(f).with_context(|| format!("cannot read {}", f.display()))?;
        let problems = meowlab::plot::check::check_svg(&svg)
            .with_context(|| format!("{}: not a figure", f.display()))?;
        if problems.is_empty() {
            println!("{}: ok", f.display());
        } else {
            failed += 1;
            for p in problems {
                println!("{}: {p}", f.display());
            }
        }
    }
    if failed > 0 {
        eprintln!(
            "meowlab: {failed} of {} figures have text problems",
            files.len()
        );
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

fn build(kind: Kind) -> Result<Built> {
    match kind {
        Kind::Check { .. } | Kind::Grid { .. } => unreachable!("handled by `run`"),
        Kind::Curves {
            runs,
            metric,
            smooth,
            x,
            per_task,
            common_range,
            axes,
            out,
        } => {
            let x = XAxis::parse(&x);
            let scale = |log: bool| {
                if log {
                    AxisScale::Log10
                } else {
                    AxisScale::Linear
                }
            };
            let panel = |title: Option<String>, curves: Curves| {
                for note in curves.non_finite() {
                    eprintln!("meowlab: warning: non-finite values dropped: {note}");
                }
                let mut p = Panel::new(curves.smoothed(smooth).on_common_range(common_range));
                p.title = title;
                p.x_scale = scale(axes.log_x);
                p.y_scale = scale(axes.log_y);
                p
            };
            let (panels, problems) = if per_task {
                let (tasks, problems) = Curves::per_task(&runs, &metric, &x)?;
                let panels = tasks
                    .into_iter()
                    .map(|(task, curves)| panel(Some(task), curves))
                    .collect();
                (panels, problems)
            } else {
                let (curves, problems) = Curves::from_runs_by(&runs, &metric, &x)?;
                (vec![panel(None, curves)], problems)
            };
            problems
                .iter()
                .for_each(|p| eprintln!("meowlab: warning: skipped unreadable data: {p}"));
            Ok(Built {
                panels,
                columns: axes.columns.max(1),
                share_y: axes.share_y,
                out,
            })
        }
        Kind::Aggregate {
            runs,
            scores,
            metric,
            last,
            ranges,
            normalised,
            reps,
            profile_reps,
            seed,
            taus,
            only,
            json,
            out,
        } => aggregate(
            &runs,
            scores.as_deref(),
            &metric,
            last,
            (!normalised).then_some(ranges.as_slice()),
            (reps, profile_reps, seed, taus),
            only.as_deref(),
            json.as_deref(),
            out,
        ),
        Kind::Ranks { run, by_seat, out } => {
            let by = if by_seat {
                Grouping::Seat
            } else {
                Grouping::Agent
            };
            Built::one(RankBars::from_games(&games_of(&run)?, by)?, out)
        }
        Kind::Outcomes { run, out } => {
            let games = games_of(&run)?;
            let kyoku = browse::kyoku(&run, None)
                .with_context(|| format!("cannot read {}", run.display()))?;
            report_problems(&kyoku.problems);
            Built::one(OutcomeBars::from_kyoku(&kyoku.rows, &games)?, out)
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
            Built::one(EvalBars::new(&evaluation, view), out)
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
            Built::one(chart, out)
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
            Built::one(chart, out)
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
                return Built::one(chart, out);
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
            Built::one(chart, out)
        }
    }
}

/// Scores from a JSON file {"ALGORITHM": {"TASK": [scores]}}.
fn read_scores(path: &Path) -> Result<Vec<agg::Scores>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let doc: std::collections::BTreeMap<String, std::collections::BTreeMap<String, Vec<f64>>> =
        serde_json::from_str(&text).with_context(|| {
            format!(
                "{}: expected {{\"ALGORITHM\": {{\"TASK\": [score, …]}}}}",
                path.display()
            )
        })?;
    if doc.is_empty() {
        bail!("{}: no algorithms", path.display());
    }
    Ok(doc
        .into_iter()
        .map(|(algorithm, tasks)| agg::Scores {
            algorithm,
            tasks: tasks.keys().cloned().collect(),
            runs: tasks.into_values().collect(),
        })
        .collect())
}

/// Parses TASK=LOW:HIGH.
fn parse_range(spec: &str) -> Result<(String, f64, f64)> {
    let bad = || format!("--range {spec}: expected TASK=LOW:HIGH, e.g. CartPole-v1=22:475");
    let (task, range) = spec.rsplit_once('=').with_context(bad)?;
    let (lo, hi) = range.split_once(':').with_context(bad)?;
    let lo: f64 = lo.trim().parse().with_context(bad)?;
    let hi: f64 = hi.trim().parse().with_context(bad)?;
    Ok((task.trim().to_string(), lo, hi))
}

#[allow(clippy::too_many_arguments)]
fn aggregate(
    runs: &[PathBuf],
    scores_file: Option<&Path>,
    metric: &str,
    last: Option<usize>,
    ranges: Option<&[String]>,
    (reps, profile_reps, seed, taus): (usize, usize, u64, usize),
    only: Option<&str>,
    json: Option<&Path>,
    out: Output,
) -> Result<Built> {
    let raw = match scores_file {
        Some(path) => read_scores(path)?,
        None => {
            let how = last.map_or(Final::Last, Final::MeanOfLast);
            let (raw, problems) = meowlab::plot::runs::final_scores(runs, metric, how)?;
            for p in &problems {
                eprintln!("meowlab: warning: {p}");
            }
            raw
        }
    };
    // None: the scores are normalised already
    let norm = match ranges {
        Some(specs) => {
            let mut norm = Normalisation::control();
            for spec in specs {
                let (task, lo, hi) = parse_range(spec)?;
                norm = norm.with(task, lo, hi);
            }
            Some(norm)
        }
        None => None,
    };
    let scores: Vec<agg::Scores> = match &norm {
        Some(norm) => raw
            .iter()
            .map(|s| s.normalised(norm))
            .collect::<Result<_, _>>()?,
        None => raw.clone(),
    };
    let thresholds = agg::thresholds(&scores, taus);
    let interval = Bootstrap {
        reps,
        confidence: 0.95,
        seed,
    };
    let profile = Bootstrap {
        reps: profile_reps,
        ..interval
    };
    let summary = agg::summarise(&scores, &thresholds, interval, profile)?;
    // the numbers behind the figure
    let width = scores
        .iter()
        .map(|s| s.algorithm.chars().count() + 16)
        .max()
        .unwrap_or(24);
    println!(
        "normalised scores; point estimate [95% CI over {reps} stratified bootstrap resamples]"
    );
    println!(
        "{:<width$} {:<22} {:<22} {:<22} {:<22}",
        "algorithm (runs, tasks)", "median", "IQM", "mean", "optimality gap"
    );
    for s in &scores {
        let runs: usize = s.runs.iter().map(Vec::len).sum();
        let stats = &summary.statistics[&s.algorithm];
        let cell = |st: Statistic| {
            let i = stats[st.name()];
            format!("{:.3} [{:.3}, {:.3}]", i.point, i.lo, i.hi)
        };
        println!(
            "{:<width$} {:<22} {:<22} {:<22} {:<22}",
            format!("{} ({runs}, {} tasks)", s.algorithm, s.tasks.len()),
            cell(Statistic::Median),
            cell(Statistic::Iqm),
            cell(Statistic::Mean),
            cell(Statistic::OptimalityGap)
        );
    }
    for (x, y, i) in &summary.improvement {
        println!("P({x} > {y}) = {:.3} [{:.3}, {:.3}]", i.point, i.lo, i.hi);
    }
    if let Some(path) = json {
        let doc = serde_json::json!({
            "metric": metric,
            "ranges": norm.as_ref().map(|n| &n.ranges),
            "raw": raw.iter().map(|s| serde_json::json!({"algorithm": s.algorithm, "tasks": s.tasks, "runs": s.runs})).collect::<Vec<_>>(),
            "normalised": scores.iter().map(|s| serde_json::json!({"algorithm": s.algorithm, "tasks": s.tasks, "runs": s.runs})).collect::<Vec<_>>(),
            "bootstrap": {"reps": reps, "profile_reps": profile_reps, "seed": seed, "confidence": 0.95},
            "summary": summary,
        });
        std::fs::write(path, serde_json::to_string_pretty(&doc)?)
            .with_context(|| format!("cannot write {}", path.display()))?;
        println!("wrote {}", path.display());
    }
    use meowlab::plot::aggregate as figs;
    let (chart, title): (Chart, &str) = match only {
        None => {
            let grid = figs::summary_grid(&summary)?;
            return Ok(Built {
                columns: grid.columns,
                share_y: grid.share_y,
                panels: grid.panels,
                out,
            });
        }
        Some("iqm") => (
            figs::statistic_chart(&summary, Statistic::Iqm)?.into(),
            "IQM",
        ),
        Some("median") => (
            figs::statistic_chart(&summary, Statistic::Median)?.into(),
            "Median",
        ),
        Some("mean") => (
            figs::statistic_chart(&summary, Statistic::Mean)?.into(),
            "Mean",
        ),
        Some("gap") => (
            figs::statistic_chart(&summary, Statistic::OptimalityGap)?.into(),
            "Optimality gap",
        ),
        Some("profile") => (figs::profile_chart(&summary)?.into(), "performance profile"),
        Some("improvement") => (
            figs::improvement_chart(&summary)?.into(),
            "probability of improvement",
        ),
        Some(other) => {
            bail!("--only {other}: expected iqm, median, mean, gap, profile or improvement")
        }
    };
    let mut built = Built::one(chart, out)?;
    built.panels[0].title = Some(title.to_string());
    Ok(built)
}
