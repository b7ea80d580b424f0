//! `meowlab train-sl`: supervised learning of the Meowjong models from a logged run, and
//! `meowlab dataset`: the samples and class balance those models would train on.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use meowlab::meowjong::dataset::{date_splits, extract, parse_day, DateSplit, Samples};
use meowlab::meowjong::model::{model_dir, ModelKind, Preset};
use meowlab::meowjong::sl::{ClassBalance, FitReport, LrSchedule, Monitor, Progress, SlConfig};
use meowlab::meowjong::sl_run::{train_model, TrainedModel};
use meowlab::nn::nn::Dev;

/// Arguments of `meowlab train-sl`.
#[derive(clap::Args)]
pub struct Args {
    /// A run logged by `meowlab play --log` (its `decisions` table holds the tile planes).
    #[arg(long)]
    run: PathBuf,
    /// Models to train, comma-separated: discard, pon, kan, kita, riichi, or all.
    #[arg(long, value_delimiter = ',', required = true)]
    model: Vec<String>,
    /// Network size: small (CPU), paper (the published size; a GPU model), or a custom
    /// size such as c16x16-d256 (filters per convolution, dense width) or
    /// c64k1.366x64k3.1-d256 (each convolution with its kernel, rows.columns).
    #[arg(long, default_value = "small")]
    preset: String,
    /// Dropout rate after every layer, overriding the preset's (paper: 0.5).
    #[arg(long)]
    dropout: Option<f32>,
    /// Upper bound on epochs.
    #[arg(long, default_value_t = 20)]
    epochs: usize,
    /// Stop after this many epochs without a better monitored validation figure.
    #[arg(long, default_value_t = 3)]
    patience: usize,
    /// What early stopping and the kept weights follow: the validation loss or accuracy.
    #[arg(long, default_value = "loss")]
    monitor: Monitor,
    /// Samples per gradient step.
    #[arg(long, default_value_t = 64)]
    batch_size: usize,
    /// Adam learning rate.
    #[arg(long, default_value_t = 1e-3)]
    lr: f64,
    /// Learning-rate schedule over the planned --epochs: constant, or cosine (decays to 0
    /// by the last planned epoch).
    #[arg(long, default_value = "constant")]
    lr_schedule: LrSchedule,
    /// Raise the learning rate linearly over this many first steps (with --init, a fresh
    /// Adam would otherwise jolt the trained weights).
    #[arg(long, default_value_t = 0)]
    warmup_steps: u64,
    /// Use at most this many training samples per epoch (a fresh random subset each
    /// epoch); default: all.
    #[arg(long)]
    max_train_samples: Option<usize>,
    /// Validate on at most this many validation samples (a fixed random subset).
    #[arg(long)]
    max_val_samples: Option<usize>,
    /// Start from this saved model (its folder or `model` stem, e.g. an earlier run's
    /// <run>/models/discard-small) instead of fresh weights; one model only. A model with
    /// the same convolutions and a narrower dense layer grows into --preset's, keeping
    /// what it learned (new units start with zero outgoing weights).
    #[arg(long)]
    init: Option<PathBuf>,
    /// Initialisation, shuffling and dropout seed.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Seed of the game-level 80/10/10 train/validation/test split.
    #[arg(long, default_value_t = 0)]
    split_seed: u64,
    #[command(flatten)]
    dates: DateArgs,
    /// Folder for the trained models (default: <run>/models); each model goes to
    /// <out>/<model>-<preset>/ (replaced if it exists).
    #[arg(long)]
    out: Option<PathBuf>,
    /// No progress bar.
    #[arg(long, short)]
    quiet: bool,
}

/// Arguments of `meowlab dataset`.
#[derive(clap::Args)]
pub struct DatasetArgs {
    /// A run logged by `meowlab play --log`.
    #[arg(long)]
    run: PathBuf,
    /// Models, comma-separated (default: all five).
    #[arg(long, value_delimiter = ',', default_value = "all")]
    model: Vec<String>,
    /// Seed of the game-level split.
    #[arg(long, default_value_t = 0)]
    split_seed: u64,
    #[command(flatten)]
    dates: DateArgs,
}

/// The paper's split by date, for runs of imported games (`meowlab import`).
#[derive(clap::Args)]
pub struct DateArgs {
    /// Split by date: games up to this day (YYYY-MM-DD) train, a tenth of them (by
    /// --split-seed) validate. Needs --test-from.
    #[arg(long, requires = "test_from")]
    train_until: Option<String>,
    /// Games from this day on (YYYY-MM-DD) are the test set. Needs --train-until.
    #[arg(long, requires = "train_until")]
    test_from: Option<String>,
}

impl DateArgs {
    fn split(&self) -> Result<Option<DateSplit>> {
        match (&self.train_until, &self.test_from) {
            (Some(until), Some(from)) => Ok(Some(DateSplit {
                train_until: parse_day(until).map_err(anyhow::Error::msg)?,
                test_from: parse_day(from).map_err(anyhow::Error::msg)?,
            })),
            _ => Ok(None),
        }
    }
}

/// The models named on the command line (`all` = the five).
fn kinds(names: &[String]) -> Result<Vec<ModelKind>> {
    let mut kinds = Vec::new();
    for name in names {
        if name == "all" {
            kinds.extend(ModelKind::ALL);
        } else {
            kinds.push(name.parse().map_err(anyhow::Error::msg)?);
        }
    }
    kinds.dedup();
    Ok(kinds)
}

fn load(run: &Path, kind: ModelKind, dates: Option<DateSplit>, split_seed: u64) -> Result<Samples> {
    let mut samples = extract(run, kind)
        .with_context(|| format!("reading {} samples from {}", kind.name(), run.display()))?;
    if let Some(dates) = dates {
        let (splits, undated) = date_splits(run, dates, split_seed)
            .with_context(|| format!("splitting {} by date", run.display()))?;
        if undated > 0 {
            eprintln!(
                "{}: {undated} games without a date in their log id are left out",
                kind.name()
            );
        }
        samples.splits = Some(splits);
    }
    Ok(samples)
}

/// Prints samples per split and class; the discard classes as a 34-column tile table.
fn print_balance(kind: ModelKind, balance: &ClassBalance) {
    let sum = |v: &[usize]| v.iter().sum::<usize>();
    let (train, val, test) = (sum(&balance.train), sum(&balance.val), sum(&balance.test));
    println!(
        "{}: {} samples (train {train}, validation {val}, test {test}; split by game or date)",
        kind.name(),
        train + val + test
    );
    let share = |n: usize, of: usize| 100.0 * n as f64 / of.max(1) as f64;
    if kind == ModelKind::Discard {
        const TILES: [&str; 34] = [
            "1m", "2m", "3m", "4m", "5m", "6m", "7m", "8m", "9m", "1p", "2p", "3p", "4p", "5p",
            "6p", "7p", "8p", "9p", "1s", "2s", "3s", "4s", "5s", "6s", "7s", "8s", "9s", "E", "S",
            "W", "N", "P", "F", "C",
        ];
        let mut line = String::from("  train share by tile:");
        for (k, name) in TILES.iter().enumerate() {
            if balance.train[k] > 0 {
                line += &format!(" {name} {:.1}%", share(balance.train[k], train));
            }
        }
        println!("{line}");
    } else {
        for (name, counts) in [
            ("train", &balance.train),
            ("validation", &balance.val),
            ("test", &balance.test),
        ] {
            let n = sum(counts);
            println!(
                "  {name:<10} no {:>7} ({:5.1}%)  yes {:>7} ({:5.1}%)",
                counts[0],
                share(counts[0], n),
                counts[1],
                share(counts[1], n)
            );
        }
    }
}

/// `meowlab dataset`.
pub fn dataset(args: DatasetArgs) -> Result<ExitCode> {
    check_run(&args.run)?;
    let dates = args.dates.split()?;
    for kind in kinds(&args.model)? {
        let samples = load(&args.run, kind, dates, args.split_seed)?;
        print_balance(
            kind,
            &ClassBalance::of(&samples, kind.classes(), args.split_seed),
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `meowlab train-sl`.
pub fn run(args: Args) -> Result<ExitCode> {
    check_run(&args.run)?;
    let mut preset = Preset::by_name(&args.preset)?;
    if let Some(p) = args.dropout {
        if !(0.0..1.0).contains(&p) {
            bail!("--dropout {p} is not in [0, 1)");
        }
        preset.dropout = p;
    }
    let kinds = kinds(&args.model)?;
    if args.init.is_some() && kinds.len() != 1 {
        bail!("--init continues one model; name exactly one with --model");
    }
    let out_root = args.out.clone().unwrap_or_else(|| args.run.join("models"));
    let dev = Dev::default();
    let dates = args.dates.split()?;
    for kind in kinds {
        let samples = load(&args.run, kind, dates, args.split_seed)?;
        print_balance(
            kind,
            &ClassBalance::of(&samples, kind.classes(), args.split_seed),
        );
        let config = SlConfig {
            batch_size: args.batch_size,
            lr: args.lr,
            max_epochs: args.epochs,
            patience: args.patience,
            seed: args.seed,
            split_seed: args.split_seed,
            max_train_samples: args.max_train_samples,
            max_val_samples: args.max_val_samples,
            init: args.init.as_ref().map(|p| p.display().to_string()),
            monitor: args.monitor,
            lr_schedule: args.lr_schedule,
            warmup_steps: args.warmup_steps,
            date_split: dates,
            ..SlConfig::new(kind, preset.clone())
        };
        let dir = model_dir(&out_root, kind, &preset.name);
        let trained = train_one(
            &dev,
            &samples,
            &config,
            args.init.as_deref(),
            &dir,
            args.quiet,
        )?;
        if let Some(err) = &trained.checkpoint_warning {
            eprintln!(
                "meowlab: warning: a checkpoint in {} could not be written ({err}); the final model was",
                dir.display()
            );
        }
        print_result(&trained.report, &dir);
    }
    Ok(ExitCode::SUCCESS)
}

/// [`train_model`] with a progress bar and a line per epoch.
fn train_one(
    dev: &Dev,
    samples: &Samples,
    config: &SlConfig,
    init: Option<&Path>,
    dir: &Path,
    quiet: bool,
) -> Result<TrainedModel> {
    let bar = if quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(0)
    };
    bar.set_style(
        ProgressStyle::with_template(
            "{prefix} [{bar:30}] {pos}/{len} batches {per_sec} eta {eta} {msg}",
        )
        .expect("valid template")
        .progress_chars("=> "),
    );
    let (mut loss_sum, mut correct, mut seen) = (0.0, 0usize, 0usize);
    let mut on_progress = |p: &Progress| {
        match p {
        Progress::EpochStart { epoch, batches } => {
            bar.set_prefix(format!("{} epoch {epoch}", config.kind.name()));
            bar.set_length(*batches as u64);
            bar.set_position(0);
            bar.reset_eta();
            (loss_sum, correct, seen) = (0.0, 0, 0);
        }
        Progress::Batch { step, tally } => {
            bar.inc(1);
            (loss_sum, correct, seen) = (
                loss_sum + tally.loss_sum,
                correct + tally.correct,
                seen + tally.samples,
            );
            if step % 20 == 0 {
                let n = seen.max(1) as f64;
                bar.set_message(format!(
                    "loss {:.3} acc {:.1}%",
                    loss_sum / n,
                    100.0 * correct as f64 / n
                ));
            }
        }
        Progress::EpochEnd(e) => bar.suspend(|| {
            println!(
                "  epoch {:>2}: train loss {:.4} acc {:5.2}% | val loss {:.4} acc {:5.2}% | {:.0} samples/s{}",
                e.epoch,
                e.train_loss,
                100.0 * e.train_accuracy,
                e.val_loss,
                100.0 * e.val_accuracy,
                e.samples_per_sec,
                if e.best { "  (best)" } else { "" }
            )
        }),
        Progress::Improved { .. } => {}
    }
    };
    let trained =
        train_model(dev, samples, config, init, dir, &mut on_progress).with_context(|| {
            format!(
                "training the {} model into {}",
                config.kind.name(),
                dir.display()
            )
        });
    bar.finish_and_clear();
    trained
}

fn print_result(r: &FitReport, dir: &Path) {
    let kind = r.config.kind;
    let top3 = if kind == ModelKind::Discard {
        format!(", top-3 {:.2}%", 100.0 * r.test.top3_accuracy())
    } else {
        String::new()
    };
    println!(
        "{}: test accuracy {:.2}%{top3} on {} samples (majority class {} → {:.2}%); best epoch {} of {}{}; {:.0} s",
        kind.name(),
        100.0 * r.test.accuracy(),
        r.test.samples,
        r.majority_class,
        100.0 * r.majority_test_accuracy,
        r.best_epoch,
        r.epochs.len(),
        if r.stopped_early { " (stopped early)" } else { "" },
        r.seconds
    );
    println!("  saved {}", dir.join("model.safetensors").display());
}

/// Refuses an unusable run folder early with a clear message.
fn check_run(run: &Path) -> Result<()> {
    if !run.join("decisions").is_dir() {
        bail!(
            "{}: no `decisions` table (log games with `meowlab play --log`)",
            run.display()
        );
    }
    Ok(())
}
