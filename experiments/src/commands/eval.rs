//! `meowlab eval`: a duplicate evaluation of a challenger against an opponent, with
//! confidence intervals, paired tests and an optional sequential test.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use meowlab::eval::stats::SprtDecision;
use meowlab::eval::{
    run_evaluation, write_summary, EvalOptions, Evaluation, Format, RankPoints, Sprt,
};
use meowlab::meowjong::agent::build_player;
use meowlab::nn::Dev;
use meowlab::sanma::bots::AgentSpec;

use super::play::load_rules;

/// Arguments of `meowlab eval`.
#[derive(clap::Args)]
pub struct Args {
    /// The agent judged: random, tsumogiri, heuristic, model:DIR or model-sample:DIR.
    #[arg(long)]
    challenger: AgentSpec,
    /// The agent it is judged against.
    #[arg(long, default_value = "heuristic")]
    opponent: AgentSpec,
    /// Seatings of a set: 1v2 (the challenger alone in each seat), 2v1 (the opponent
    /// alone in each seat) or both.
    #[arg(long, default_value = "1v2")]
    format: Format,
    /// Duplicate sets (the most, with --sprt); each set is 3 games (6 with both).
    #[arg(long, default_value_t = 100)]
    sets: usize,
    /// Seed of the first set; set i uses seed + i.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Stop as soon as a sequential probability ratio test decides between "no better"
    /// (rank-point difference --sprt-delta0) and "better by --sprt-delta1".
    #[arg(long)]
    sprt: bool,
    /// Rank-point difference per game under H0.
    #[arg(long, default_value_t = 0.0)]
    sprt_delta0: f64,
    /// Rank-point difference per game under H1.
    #[arg(long, default_value_t = 5.0)]
    sprt_delta1: f64,
    /// False-positive rate of the sequential test.
    #[arg(long, default_value_t = 0.05)]
    sprt_alpha: f64,
    /// False-negative rate of the sequential test.
    #[arg(long, default_value_t = 0.05)]
    sprt_beta: f64,
    /// Sets between two looks of the sequential test (also its first look).
    #[arg(long, default_value_t = 16)]
    check_every: usize,
    /// Uma of 1st, 2nd and 3rd for rank points.
    #[arg(long, value_delimiter = ',', allow_negative_numbers = true, default_values_t = [20.0, 0.0, -20.0])]
    uma: Vec<f64>,
    /// Points scores are measured against for rank points (above the starting points:
    /// the difference goes to 1st as oka).
    #[arg(long)]
    return_points: Option<i32>,
    /// Rules file (TOML); missing fields take Tenhou defaults. Walls are always dealt per
    /// round (duplicate).
    #[arg(long)]
    rules: Option<PathBuf>,
    /// Also log every game (games, kyoku, decisions, events) for replay in the workbench.
    #[arg(long)]
    log: bool,
    /// Where runs are written.
    #[arg(long, default_value = "data/runs")]
    runs_dir: PathBuf,
    /// Run folder name (default: eval-<challenger>-vs-<opponent>-seed<seed>).
    #[arg(long)]
    run_id: Option<String>,
    /// Also write the summary here.
    #[arg(long)]
    summary_json: Option<PathBuf>,
    /// Games played at once (results do not depend on it).
    #[arg(long, default_value_t = 64)]
    in_flight: usize,
    /// Check the engine's invariants at every decision.
    #[arg(long)]
    check: bool,
    /// No progress bar.
    #[arg(long, short)]
    quiet: bool,
}

fn print_summary(e: &Evaluation) {
    println!(
        "{} sets × {} games ({}), seeds {}..{}; 95% intervals over sets",
        e.sets,
        e.format.games_per_set(),
        e.format,
        e.seed,
        e.seed + e.sets as u64
    );
    println!(
        "{:<14} {:>30} {:>30}",
        "",
        format!("challenger {}", e.challenger.agent),
        format!("opponent {}", e.opponent.agent)
    );
    for (c, o) in e.challenger.rows().iter().zip(e.opponent.rows()) {
        println!("{:<14} {:>30} {:>30}", c.name, c.text(), o.text());
    }
    let pr = &e.per_round;
    println!(
        "per round (1st/2nd/3rd/no change %): challenger {:.1}/{:.1}/{:.1}/{:.1}, opponent {:.1}/{:.1}/{:.1}/{:.1}; p = {:.4} (sign-flip test over sets)",
        100.0 * pr.challenger.first,
        100.0 * pr.challenger.second,
        100.0 * pr.challenger.third,
        100.0 * pr.challenger.none,
        100.0 * pr.opponent.first,
        100.0 * pr.opponent.second,
        100.0 * pr.opponent.third,
        100.0 * pr.opponent.none,
        pr.p_value
    );
    for (name, d) in [
        ("avg rank", &e.difference.avg_rank),
        ("rank points", &e.difference.rank_points),
    ] {
        println!(
            "difference challenger − opponent in {name}: {} (p = {:.4})",
            d.text(),
            d.p_value
        );
    }
    if let Some(s) = &e.sprt {
        let verdict = match s.decision {
            SprtDecision::H0 => format!("H0 accepted: not better by {}", s.delta1),
            SprtDecision::H1 => format!("H1 accepted: better by {} or more", s.delta1),
            SprtDecision::Continue => "undecided at the set limit".to_string(),
        };
        println!(
            "SPRT (rank points, H0 {} vs H1 {}, α {} β {}): {verdict} after {} sets (LLR {:.2}, bounds [{:.2}, {:.2}])",
            s.delta0, s.delta1, s.alpha, s.beta, e.sets, s.llr, s.bounds[0], s.bounds[1]
        );
    }
}

pub fn run(args: Args) -> Result<ExitCode> {
    let rules = load_rules(args.rules.as_deref())?;
    if args.uma.len() != 3 {
        bail!("--uma takes three numbers (1st, 2nd, 3rd), e.g. 20,0,-20");
    }
    let mut rank_points = RankPoints {
        uma: [args.uma[0], args.uma[1], args.uma[2]],
        start_points: rules.starting_points,
        return_points: args.return_points.unwrap_or(rules.starting_points),
        ..RankPoints::default()
    };
    rank_points.name = format!(
        "uma {:+}/{:+}/{:+}, return {} from {}",
        rank_points.uma[0],
        rank_points.uma[1],
        rank_points.uma[2],
        rank_points.return_points,
        rank_points.start_points
    );
    let options = EvalOptions {
        format: args.format,
        sets: args.sets,
        seed: args.seed,
        rules,
        rank_points,
        in_flight: args.in_flight,
        sprt: args.sprt.then_some(Sprt {
            delta0: args.sprt_delta0,
            delta1: args.sprt_delta1,
            alpha: args.sprt_alpha,
            beta: args.sprt_beta,
            min_sets: args.check_every,
        }),
        check_every: args.check_every,
        check: args.check,
    };
    let dev = Dev::default();
    let mut challenger = build_player(&args.challenger, 0, &dev).context("--challenger")?;
    let mut opponent = build_player(&args.opponent, 1, &dev).context("--opponent")?;
    let names = [args.challenger.to_string(), args.opponent.to_string()];
    let run_id = args.run_id.clone().unwrap_or_else(|| {
        format!(
            "eval-{}-vs-{}-seed{}",
            args.challenger.kind_name(),
            args.opponent.kind_name(),
            args.seed
        )
    });
    if args.runs_dir.join(&run_id).exists() {
        bail!(
            "{} exists; choose another --run-id or remove it",
            args.runs_dir.join(&run_id).display()
        );
    }
    let config = serde_json::json!({
        "command": "eval", "challenger": names[0], "opponent": names[1],
        "format": args.format.to_string(), "sets": args.sets, "seed": args.seed,
        "sprt": args.sprt, "rules": options.rules, "rank_points": options.rank_points,
    });
    let bar = if args.quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new((args.sets * args.format.games_per_set()) as u64)
    };
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} games  {elapsed_precise} eta {eta}")
            .expect("template"),
    );
    let (evaluation, run) = run_evaluation(
        &options,
        &args.runs_dir,
        &run_id,
        config,
        challenger.as_mut(),
        opponent.as_mut(),
        [&names[0], &names[1]],
        args.log,
        &mut |p| bar.set_position(p.games as u64),
    )?;
    bar.finish_and_clear();
    print_summary(&evaluation);
    if let Some(path) = &args.summary_json {
        write_summary(path, &evaluation)?;
    }
    println!("evaluation in {}", run.dir().display());
    Ok(ExitCode::SUCCESS)
}
