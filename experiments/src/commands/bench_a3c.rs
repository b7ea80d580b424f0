//! `meowlab bench a3c`: what Hogwild and locked updates cost and lose. First the update
//! alone, threads hammering the shared CartPole networks with nothing else to do (the
//! worst case for both: the lock serialises every update, and Hogwild's threads collide
//! most); then A3C training on CartPole without logging, with 1, 2 and 4 threads in each
//! mode, and A2C on the same budget.

use std::process::ExitCode;
use std::time::Instant;

use anyhow::Result;
use meowlab::algos::a2c::{A2c, A2cConfig};
use meowlab::algos::a3c::{A3c, A3cConfig};
use meowlab::algos::{Agent, AgentError, Recorder, StepRecord};
use meowlab::rl::shared::{RmsProp, SharedParams, Statistics, UpdateMode};

/// Arguments of `meowlab bench a3c`.
#[derive(clap::Args)]
pub struct A3cArgs {
    /// Updates per thread in the update-only part.
    #[arg(long, default_value_t = 20_000)]
    updates: u64,
    /// Env steps of each training run.
    #[arg(long, default_value_t = 100_000)]
    steps: u64,
    /// Thread counts to time.
    #[arg(long, value_delimiter = ',', default_value = "1,2,4")]
    threads: Vec<usize>,
    /// Seed of the training runs.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Runs of each figure; the fastest is reported (a shared machine only ever slows a
    /// run down).
    #[arg(long, default_value_t = 3)]
    repeat: u32,
}

/// Keeps the scalars an agent reports (the policy lag) and drops the steps.
#[derive(Default)]
struct Scalars(Vec<(String, f64)>);

impl Recorder for Scalars {
    fn step(&mut self, _: &StepRecord<'_>) -> Result<(), AgentError> {
        Ok(())
    }
    fn scalar(&mut self, _: u64, name: &str, value: f64) -> Result<(), AgentError> {
        self.0.push((name.to_string(), value));
        Ok(())
    }
}

impl Scalars {
    fn mean(&self, name: &str) -> f64 {
        let v: Vec<f64> = self
            .0
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| *v)
            .collect();
        v.iter().sum::<f64>() / v.len().max(1) as f64
    }
}

const RMS: RmsProp = RmsProp {
    alpha: 0.99,
    eps: 0.1,
};

/// Updates/s of `threads` threads applying a constant gradient each (own statistics), and
/// the share of the expected displacement that did not arrive (lost updates).
fn contention(shared: &SharedParams, threads: usize, updates: u64, lr: f32) -> (f64, f64) {
    let n = shared.len();
    let before = shared.values();
    let start = Instant::now();
    std::thread::scope(|s| {
        for t in 0..threads {
            s.spawn(move || {
                let grad = vec![1.0 + t as f32; n];
                let mut own = vec![0.0; n];
                for _ in 0..updates {
                    shared.apply(&grad, Statistics::Own(&mut own), RMS, lr);
                }
            });
        }
    });
    let seconds = start.elapsed().as_secs_f64();
    let mut expected = 0.0f64;
    for t in 0..threads {
        let d = 1.0 + t as f32;
        let mut g = 0.0f32;
        for _ in 0..updates {
            g = RMS.alpha * g + (1.0 - RMS.alpha) * d * d;
            expected += f64::from(lr * d / (g + RMS.eps).sqrt());
        }
    }
    let after = shared.values();
    let moved = before
        .iter()
        .zip(&after)
        .map(|(b, a)| f64::from(b - a))
        .sum::<f64>()
        / n as f64;
    let lost = (1.0 - moved / expected).max(0.0);
    ((threads as u64 * updates) as f64 / seconds, lost)
}

pub fn run(args: A3cArgs) -> Result<ExitCode> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let probe = A3c::new("CartPole-v1", A3cConfig::default(), 1, 0)?;
    println!(
        "meowlab bench a3c ({cores} cores; CartPole networks, {} parameters; best of {})",
        meowlab::nn::nn::Params::num_params(probe.actor_critic()),
        args.repeat.max(1)
    );
    println!("\nshared-parameter updates alone (RMSProp, constant gradients, own statistics):");
    println!("  threads  mode      updates/s     lost");
    for &threads in &args.threads {
        for mode in [UpdateMode::Hogwild, UpdateMode::Locked] {
            let (rate, lost) = (0..args.repeat.max(1))
                .map(|_| {
                    // From zero with a large step, so f32 rounding stays far below one
                    // update.
                    let shared = SharedParams::new(probe.actor_critic(), mode, false);
                    shared.restore(&vec![0.0; shared.len()], None, 0);
                    contention(&shared, threads, args.updates, 1e-2)
                })
                .fold((0.0, 0.0), |best, r| if r.0 > best.0 { r } else { best });
            println!(
                "  {threads:>7}  {:<8} {rate:>10.0}  {:>6.3}%",
                format!("{mode:?}").to_lowercase(),
                100.0 * lost
            );
        }
    }

    println!(
        "\nA3C on CartPole, {} steps without logging (seed {}); A2C on the same budget:",
        args.steps, args.seed
    );
    println!("  algorithm            steps/s   updates/s   policy lag   final eval");
    for &threads in &args.threads {
        for updates in [UpdateMode::Hogwild, UpdateMode::Locked] {
            let config = A3cConfig {
                threads,
                updates,
                ..A3cConfig::default()
            };
            let name = format!("A3C {threads}× {updates:?}").to_lowercase();
            train_and_report(&name, args.steps, args.repeat, || {
                A3c::new("CartPole-v1", config.clone(), args.steps, args.seed)
                    .map(|a| Box::new(a) as Box<dyn Agent>)
            })?;
        }
    }
    train_and_report("A2C (8 envs)", args.steps, args.repeat, || {
        A2c::new("CartPole-v1", A2cConfig::default(), args.seed)
            .map(|a| Box::new(a) as Box<dyn Agent>)
    })?;
    Ok(ExitCode::SUCCESS)
}

/// Trains fresh agents `repeat` times and prints the fastest run.
fn train_and_report(
    name: &str,
    steps: u64,
    repeat: u32,
    make: impl Fn() -> Result<Box<dyn Agent>, AgentError>,
) -> Result<()> {
    let mut best: Option<(f64, Box<dyn Agent>, Scalars)> = None;
    for _ in 0..repeat.max(1) {
        let mut agent = make()?;
        let mut scalars = Scalars::default();
        let start = Instant::now();
        agent.train(steps, &mut scalars)?;
        let seconds = start.elapsed().as_secs_f64();
        if best.as_ref().is_none_or(|b| seconds < b.0) {
            best = Some((seconds, agent, scalars));
        }
    }
    let (seconds, mut agent, scalars) = best.expect("at least one run");
    let agent = agent.as_mut();
    let eval = meowlab::algos::evaluate(agent, "CartPole-v1", 10, 1_000_000, |_, _| Ok(()))?;
    let lag = scalars.mean("policy_lag");
    println!(
        "  {name:<18} {:>9.0} {:>11.0} {:>12} {:>12.1}",
        agent.global_step() as f64 / seconds,
        agent.updates() as f64 / seconds,
        if scalars.0.iter().any(|(n, _)| n == "policy_lag") {
            format!("{lag:.2}")
        } else {
            "–".into()
        },
        eval.mean()
    );
    Ok(())
}
