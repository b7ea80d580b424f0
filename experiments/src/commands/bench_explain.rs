//! `meowlab bench explain`: exact Shapley time by player count, the sampled estimate's
//! error against evaluations (on the apex game, whose values are known in closed form),
//! and, given runs, the time to explain Sanma decisions (a run and a discard model) and
//! CartPole states (control runs with checkpoints).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result};
use meowlab::algos::experiment::load_trained;
use meowlab::algos::explain::{
    explain_control, ControlExplainConfig, ControlKind, Filling, LoggedStates,
};
use meowlab::explain::sanma::PlayerSet;
use meowlab::explain::{exact_from_table, sampled, Conditioning};
use meowlab::meowjong::dataset;
use meowlab::meowjong::explain::{
    explain_discards, run_name, surrogate_for, Estimator, ExplainConfig, SurrogateSpec,
};
use meowlab::meowjong::model::{model_stem, MeowjongNet, ModelKind};
use meowlab::meowjong::surrogate::SurrogateConfig;
use meowlab::nn::nn::Dev;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Arguments of `meowlab bench explain`.
#[derive(clap::Args)]
pub struct ExplainArgs {
    /// Largest player count for the exact timing (from 4).
    #[arg(long, default_value_t = 16)]
    max_players: usize,
    /// A logged Sanma run to time explanations on (with --agent).
    #[arg(long, requires = "agent")]
    run: Option<PathBuf>,
    /// Its discard model (folder or stem).
    #[arg(long)]
    agent: Option<PathBuf>,
    /// Decisions to explain.
    #[arg(long, default_value_t = 1000)]
    decisions: usize,
    /// Logged decisions to condition on.
    #[arg(long, default_value_t = 10_000)]
    background: usize,
    /// Control runs (`meowlab run`, discrete actions) to time explanations of their
    /// latest checkpoint on; repeat the flag for several.
    #[arg(long)]
    control_run: Vec<PathBuf>,
    /// States to explain per control run (global performance: a fiftieth of them).
    #[arg(long, default_value_t = 1000)]
    states: usize,
}

pub fn run(args: ExplainArgs) -> Result<ExitCode> {
    println!("exact Shapley values (2^n coalition values given; the characteristic's own cost excluded):");
    println!("  players  coalitions   time per explanation");
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    for n in 4..=args.max_players.clamp(4, 22) {
        let table: Vec<f64> = (0..1usize << n).map(|_| rng.gen::<f64>()).collect();
        let reps = (1usize << 22 >> n).clamp(1, 2000);
        let start = Instant::now();
        let mut check = 0.0;
        for _ in 0..reps {
            check += exact_from_table(&table)?[0];
        }
        let per = start.elapsed().as_secs_f64() / reps as f64;
        std::hint::black_box(check);
        println!("  {n:>7}  {:>10}   {}", 1usize << n, seconds(per));
    }

    // apex game: player 0 weighs n − 2, the rest 1, quota n − 1
    let n = 12;
    let apex = move |c: u64| {
        let w = (c & 1) as usize * (n - 2) + (c >> 1).count_ones() as usize;
        (w >= n - 1) as u8 as f64
    };
    let truth: Vec<f64> = (0..n)
        .map(|i| {
            if i == 0 {
                (n - 2) as f64 / n as f64
            } else {
                2.0 / (n * (n - 1)) as f64
            }
        })
        .collect();
    println!(
        "sampled Shapley values, apex game with {n} players (RMSE over players and 20 seeds):"
    );
    println!("  antithetic pairs  evaluations  RMSE       mean reported SE");
    for pairs in [8, 32, 128, 512, 2048] {
        let (mut se2, mut reported, mut evals) = (0.0, 0.0, 0);
        for seed in 0..20 {
            let e = sampled(n, pairs, seed, apex)?;
            se2 += e
                .values
                .iter()
                .zip(&truth)
                .map(|(a, b)| (a - b).powi(2))
                .sum::<f64>();
            reported += e.stderr.iter().sum::<f64>() / n as f64;
            evals = e.evaluations;
        }
        println!(
            "  {pairs:>16}  {evals:>11}  {:.2e}   {:.2e}",
            (se2 / (20 * n) as f64).sqrt(),
            reported / 20.0
        );
    }

    if let (Some(run), Some(agent)) = (args.run, args.agent) {
        bench_sanma(&run, &agent, args.decisions, args.background)?;
    }
    for run in &args.control_run {
        bench_control(run, args.states)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Times Sanma explanations of `agent` on `run`: the surrogate's training, then per
/// decision each conditioning × player set (with how many decisions reached standard
/// errors below a tenth of the largest |φ|), and the learned characteristic's sampled
/// values against its exact ones on two decisions.
fn bench_sanma(run: &Path, agent: &Path, decisions: usize, background: usize) -> Result<()> {
    let samples = dataset::extract(run, ModelKind::Discard)
        .with_context(|| format!("cannot read {}", run.display()))?;
    let dev = Dev::default();
    let stem = model_stem(agent);
    let mut net = MeowjongNet::load(&dev, &stem)
        .with_context(|| format!("cannot load {}", stem.display()))?;
    // the surrogate `meowlab explain` trains for this run (reused when it saved one)
    let spec = SurrogateSpec {
        run: run_name(run),
        legal_only: true,
        config: SurrogateConfig::default(),
        max_states: 30_000,
    };
    let (mut surrogate, trained) =
        surrogate_for(&dev, &mut net, &stem, &samples, &spec, &mut |_| {})?;
    let card = &surrogate.card;
    println!(
        "Sanma surrogate ({}): {} states, {} epochs, trained in {:.1} s; held-out KL {:.3}, v(F) gap {:.3}, v(∅) gap {:.3}",
        if trained { "trained now" } else { "saved by an earlier run" },
        card.train_states,
        card.epochs,
        card.train_seconds,
        card.val_kl,
        card.full_gap,
        card.empty_gap
    );
    println!("  conditioning                    players      decisions  per decision  mean pairs  SE < 10% max|φ|");
    let cases = [
        (Conditioning::OnManifoldLearned, decisions),
        (Conditioning::OnManifoldExact, decisions),
        (Conditioning::Interventional, (decisions / 20).max(1)),
    ];
    for (conditioning, states) in cases {
        for players in PlayerSet::ALL {
            let config = ExplainConfig {
                states,
                background: Some(background),
                players,
                conditioning,
                ..ExplainConfig::default()
            };
            let start = Instant::now();
            let out = explain_discards(
                &mut net,
                &samples,
                &config,
                Some(&mut surrogate),
                &mut |_| {},
            )?;
            let per = start.elapsed().as_secs_f64() / out.len().max(1) as f64;
            let pairs: Vec<f64> = out
                .iter()
                .filter_map(|e| sampled_pairs(&e.method))
                .collect();
            let within = out
                .iter()
                .filter(|e| {
                    let largest = e.values.iter().fold(0.0f64, |m, v| m.max(v.abs()));
                    e.stderr
                        .as_ref()
                        .is_none_or(|se| se.iter().all(|s| *s <= 0.1 * largest))
                })
                .count();
            println!(
                "  {:<31} {:<12} {:>9}  {:>12}  {:>10}  {within}/{}",
                conditioning.name(),
                players.name(),
                out.len(),
                seconds(per),
                if pairs.is_empty() {
                    "exact".to_string()
                } else {
                    format!("{:.0}", pairs.iter().sum::<f64>() / pairs.len() as f64)
                },
                out.len()
            );
        }
    }
    // the sampled estimate against exact values of the same surrogate (2^20 coalitions)
    let (mut err, mut reported, mut count) = (0.0f64, 0.0f64, 0usize);
    let mut exact_seconds = 0.0;
    for seed in 0..2 {
        let base = ExplainConfig {
            states: 1,
            seed,
            ..ExplainConfig::default()
        };
        let start = Instant::now();
        let exact = explain_discards(
            &mut net,
            &samples,
            &ExplainConfig {
                estimator: Estimator::Exact,
                ..base.clone()
            },
            Some(&mut surrogate),
            &mut |_| {},
        )?;
        exact_seconds += start.elapsed().as_secs_f64();
        let sampled =
            explain_discards(&mut net, &samples, &base, Some(&mut surrogate), &mut |_| {})?;
        let se = sampled[0].stderr.clone().unwrap_or_default();
        for ((a, b), s) in sampled[0].values.iter().zip(&exact[0].values).zip(&se) {
            err += (a - b).powi(2);
            reported += s * s;
            count += 1;
        }
    }
    println!(
        "  learned, blocks: sampled vs exact (2^20 coalitions, {} per decision) on 2 decisions: RMSE {:.2e}, reported SE (rms) {:.2e}",
        seconds(exact_seconds / 2.0),
        (err / count as f64).sqrt(),
        (reported / count as f64).sqrt()
    );
    Ok(())
}

/// The pairs of a "sampled (N pairs)" method.
fn sampled_pairs(method: &str) -> Option<f64> {
    method
        .strip_prefix("sampled (")?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// Times every control explanation kind on the latest checkpoint of `run`.
fn bench_control(run: &Path, states: usize) -> Result<()> {
    let mut trained =
        load_trained(run, None).with_context(|| format!("cannot load {}", run.display()))?;
    let spec = trained.config.env_spec()?;
    let logged = LoggedStates::evaluation(run, spec.obs_dim, Some(trained.global_step))?;
    println!(
        "{} ({}, step {}): {} logged evaluation states, {} features",
        run.display(),
        trained.config.algorithm.name(),
        trained.global_step,
        logged.len(),
        spec.obs_dim
    );
    println!(
        "  kind                  conditioning                   rollouts  states   time per state"
    );
    let on_manifold = Filling::OnManifold { bandwidth: 0.2 };
    let cases = [
        (ControlKind::Value, on_manifold, 0, states),
        (ControlKind::Policy, on_manifold, 0, states),
        (ControlKind::Policy, Filling::Interventional, 0, states),
        (ControlKind::LocalPerformance, on_manifold, 1, states),
        (
            ControlKind::GlobalPerformance,
            on_manifold,
            1,
            (states / 50).max(1),
        ),
    ];
    for (kind, filling, rollouts, states) in cases {
        let config = ControlExplainConfig {
            kind,
            filling,
            states,
            background: None,
            rollouts: rollouts.max(1),
            seed: 0,
            first_id: 0,
        };
        let start = Instant::now();
        let out = explain_control(
            trained.agent.as_mut(),
            spec.id,
            &logged,
            &config,
            &mut |_| {},
        )?;
        let per = start.elapsed().as_secs_f64() / out.len().max(1) as f64;
        println!(
            "  {:<21} {:<30} {:>8}  {:>6}   {}",
            kind.name(),
            filling.conditioning().name(),
            if rollouts == 0 {
                "-".to_string()
            } else {
                rollouts.to_string()
            },
            out.len(),
            seconds(per)
        );
    }
    Ok(())
}

fn seconds(s: f64) -> String {
    if s < 1e-3 {
        format!("{:.1} µs", s * 1e6)
    } else if s < 1.0 {
        format!("{:.1} ms", s * 1e3)
    } else {
        format!("{s:.2} s")
    }
}
