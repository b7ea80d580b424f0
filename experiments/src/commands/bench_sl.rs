//! `meowlab bench sl`: Meowjong training samples/s and inference decisions/s on this
//! machine's CPU (or the CUDA device with `--features cuda`), and the same networks in
//! PyTorch in the same run.

use std::process::{Command, ExitCode};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use meowlab::meowjong::model::{ModelKind, Preset};
use meowlab::meowjong::sl::{Trainer, PLANE_FLOATS};
use meowlab::nn::nn::Dev;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Arguments of `meowlab bench sl`.
#[derive(clap::Args)]
pub struct SlArgs {
    /// Presets to time (comma-separated).
    #[arg(long, value_delimiter = ',', default_value = "small")]
    presets: Vec<String>,
    /// Model (its kernel and classes set the cost; discard is the largest).
    #[arg(long, default_value = "discard")]
    model: ModelKind,
    /// Training batch size.
    #[arg(long, default_value_t = 64)]
    batch_size: usize,
    /// Seconds per figure (at least one batch is always timed).
    #[arg(long, default_value_t = 5.0)]
    seconds: f64,
    /// Runs of each figure; the fastest is reported (a shared machine only slows a run
    /// down).
    #[arg(long, default_value_t = 2)]
    repeat: u32,
    /// Python with torch installed: also time the same networks in PyTorch ("none" or
    /// leaving it out skips that).
    #[arg(long)]
    python: Option<String>,
    /// The PyTorch timing script.
    #[arg(long, default_value = "tests/oracle/torch_meowjong_bench.py")]
    script: std::path::PathBuf,
    /// Seed of the weights and the synthetic planes.
    #[arg(long, default_value_t = 0)]
    seed: u64,
}

/// Samples/s of training, and decisions/s of inference one at a time and in batches.
struct Figures {
    train: f64,
    infer_single: f64,
    infer_batch: f64,
}

/// Calls `pass` (which handles `items` items) until `seconds` have passed; items/s.
fn rate(seconds: f64, items: usize, mut pass: impl FnMut()) -> f64 {
    let start = Instant::now();
    let mut done = 0usize;
    loop {
        pass();
        done += items;
        let t = start.elapsed().as_secs_f64();
        if t >= seconds {
            return done as f64 / t;
        }
    }
}

fn ours(args: &SlArgs, preset: &Preset) -> Figures {
    let dev = Dev::default();
    let mut trainer = Trainer::new(&dev, args.model, preset.clone(), 1e-3, args.seed);
    let mut rng = ChaCha8Rng::seed_from_u64(args.seed);
    let b = args.batch_size;
    // ~8% of cells set, as in logged Sanma observations.
    let planes: Vec<f32> = (0..b * PLANE_FLOATS)
        .map(|_| rng.gen_bool(0.08) as u8 as f32)
        .collect();
    let labels: Vec<u8> = (0..b)
        .map(|_| rng.gen_range(0..args.model.classes() as u8))
        .collect();
    let mut best = Figures {
        train: 0.0,
        infer_single: 0.0,
        infer_batch: 0.0,
    };
    for _ in 0..args.repeat {
        let train = rate(args.seconds, b, || {
            trainer.train_batch(planes.clone(), &labels);
        });
        // eval mode runs the folded inference network (BatchNorms folded into the next
        // layer, built once after training changed the weights: `prepare_inference`)
        trainer.net.prepare_inference();
        let infer_batch = rate(args.seconds, b, || {
            trainer.eval_batch(planes.clone(), &labels);
        });
        // one decision at a time, as the playing agent does
        let infer_single = rate(args.seconds, 1, || {
            trainer.eval_batch(planes[..PLANE_FLOATS].to_vec(), &labels[..1]);
        });
        best.train = best.train.max(train);
        best.infer_batch = best.infer_batch.max(infer_batch);
        best.infer_single = best.infer_single.max(infer_single);
    }
    best
}

fn torch(args: &SlArgs, python: &str, preset: &Preset) -> Result<Option<(String, Figures)>> {
    let filters: Vec<String> = preset.filters.iter().map(|f| f.to_string()).collect();
    let kernels: Vec<String> = (0..preset.filters.len())
        .map(|i| {
            let (kh, kw) = preset.kernel(args.model, i);
            format!("{kh},{kw}")
        })
        .collect();
    let out = Command::new(python)
        .arg(&args.script)
        .args(["--filters", &filters.join(",")])
        .args(["--dense", &preset.dense.to_string()])
        .args(["--kernel", &kernels.join(";")])
        .args(["--classes", &args.model.classes().to_string()])
        .args(["--dropout", &preset.dropout.to_string()])
        .args(["--batch-size", &args.batch_size.to_string()])
        .args(["--seconds", &args.seconds.to_string()])
        .args(["--repeat", &args.repeat.to_string()])
        .args(["--seed", &args.seed.to_string()])
        .output()
        .with_context(|| format!("cannot run {python} (pass --python PY, or none)"))?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        if stderr.contains("No module named 'torch'") {
            println!("PyTorch skipped: {python} has no `torch` package");
            return Ok(None);
        }
        bail!("{} failed: {stderr}", args.script.display());
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout
        .lines()
        .rfind(|l| l.starts_with('{'))
        .with_context(|| format!("{} printed no JSON line", args.script.display()))?;
    let v: serde_json::Value = serde_json::from_str(line)
        .with_context(|| format!("{} printed a bad JSON line", args.script.display()))?;
    let get = |key: &str| {
        v[key]
            .as_f64()
            .with_context(|| format!("{}: no {key}", args.script.display()))
    };
    let version = format!(
        "torch {} ({} threads)",
        v["torch"].as_str().unwrap_or("?"),
        v["threads"]
    );
    Ok(Some((
        version,
        Figures {
            train: get("train_samples_per_sec")?,
            infer_single: get("infer_single_per_sec")?,
            infer_batch: get("infer_batch_per_sec")?,
        },
    )))
}

pub fn run(args: SlArgs) -> Result<ExitCode> {
    if args.batch_size == 0 || args.repeat == 0 || args.seconds <= 0.0 {
        bail!("--batch-size, --repeat and --seconds must be positive");
    }
    let presets: Vec<Preset> = args
        .presets
        .iter()
        .map(|p| Preset::by_name(p).map_err(anyhow::Error::msg))
        .collect::<Result<_>>()?;
    println!(
        "meowlab bench sl: {} model, batch {}, Adam, train mode (BatchNorm batch statistics, dropout) for training, eval mode for inference; {:.0} s per figure, best of {}; device {}",
        args.model.name(),
        args.batch_size,
        args.seconds,
        args.repeat,
        if cfg!(feature = "cuda") { "cuda" } else { "cpu" }
    );
    println!(
        "{:<8} {:<10} {:>12} {:>16} {:>18}",
        "preset", "engine", "train/s", "infer x1 /s", "infer batch /s"
    );
    for preset in &presets {
        let o = ours(&args, preset);
        let row = |engine: &str, f: &Figures| {
            println!(
                "{:<8} {:<10} {:>12.1} {:>16.1} {:>18.1}",
                preset.name, engine, f.train, f.infer_single, f.infer_batch
            )
        };
        row("meowlab", &o);
        let python = match args.python.as_deref() {
            None | Some("none") => continue,
            Some(p) => p,
        };
        if let Some((version, t)) = torch(&args, python, preset)? {
            row("pytorch", &t);
            println!(
                "{:<8} ratio meowlab/pytorch ({version}): train {:.2}x, infer x1 {:.2}x, infer batch {:.2}x",
                preset.name,
                o.train / t.train,
                o.infer_single / t.infer_single,
                o.infer_batch / t.infer_batch
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
