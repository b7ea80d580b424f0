//! A supervised training run written to a model folder, the way control runs write theirs:
//! [`SlRecorder`] turns [`fit`](crate::sl::fit)'s progress into the folder's `metrics`
//! table and a best-so-far checkpoint, and [`train_model`] adds the final model and
//! `report.json`. `meowlab train-sl` is this plus a progress bar; a notebook calls the
//! same function and gets the same folder.
//!
//! Folder layout (`<out>/<kind>-<preset>/`, see [`model_dir`](crate::model::model_dir)):
//! `model.safetensors` + `model.json` (the kept weights and their card), `report.json`
//! (the [`FitReport`]), `metrics/` (long-form scalars: [`metric`] names).

use std::path::{Path, PathBuf};
use std::time::Instant;

use meowlab_nn::nn::{Dev, NnError};
use meowlab_store::{MetricsLogger, StoreError, WriterOptions};

use crate::dataset::Samples;
use crate::model::{model_stem, MeowjongNet};
use crate::sl::{fit_from, FitError, FitReport, Progress, SlConfig};

/// The names a supervised run writes to its `metrics` table (one source for plots and
/// notebooks that read them back).
pub mod metric {
    /// Mean loss of one training batch (every [`BATCH_EVERY`](super::BATCH_EVERY) steps).
    pub const BATCH_LOSS: &str = "train/batch_loss";
    /// Mean train-mode loss over an epoch.
    pub const TRAIN_LOSS: &str = "train/loss";
    /// Train-mode accuracy over an epoch.
    pub const TRAIN_ACCURACY: &str = "train/accuracy";
    /// Eval-mode validation loss after an epoch.
    pub const VAL_LOSS: &str = "val/loss";
    /// Eval-mode validation accuracy after an epoch.
    pub const VAL_ACCURACY: &str = "val/accuracy";
    /// Training throughput of an epoch.
    pub const SAMPLES_PER_SEC: &str = "train/samples_per_sec";
    /// The epoch number (1-based), logged at its last step.
    pub const EPOCH: &str = "epoch";
    /// The kept model's loss on the test split.
    pub const TEST_LOSS: &str = "test/loss";
    /// The kept model's accuracy on the test split.
    pub const TEST_ACCURACY: &str = "test/accuracy";
    /// The kept model's top-3 accuracy on the test split.
    pub const TEST_TOP3_ACCURACY: &str = "test/top3_accuracy";
    /// Accuracy of always answering the training split's majority class, on the test split.
    pub const TEST_MAJORITY_ACCURACY: &str = "test/majority_accuracy";
}

/// Optimizer steps between two logged batch losses.
pub const BATCH_EVERY: u64 = 20;

/// Why a supervised run could not finish its folder.
#[derive(Debug, thiserror::Error)]
pub enum SlRunError {
    /// Training itself failed (empty split, bad hyper-parameter, incompatible init).
    #[error(transparent)]
    Fit(#[from] FitError),
    /// The initial model lives in the folder this run would replace.
    #[error("the initial model {init} would be replaced by the new model in {dir}; choose another output folder")]
    InitInOutput {
        /// The initial model as given.
        init: PathBuf,
        /// The folder of the new model.
        dir: PathBuf,
    },
    /// The folder could not be replaced or written.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The model (final or checkpoint) could not be written or the initial one read.
    #[error(transparent)]
    Model(#[from] NnError),
    /// The `metrics` table could not be written; the final model was saved before this is
    /// reported, so no training is lost.
    #[error("writing the metrics table of {dir} (the model was saved): {source}")]
    Metrics {
        /// The model folder.
        dir: PathBuf,
        /// The store's error.
        source: StoreError,
    },
}

/// Writes a running [`fit`](crate::sl::fit) into a model folder: batch and epoch metrics,
/// and the best model so far as a checkpoint (so a long run that is stopped keeps its best
/// weights). Errors while training are kept and reported by [`SlRecorder::finish`], after
/// the final model is safe.
pub struct SlRecorder {
    dir: PathBuf,
    metrics: MetricsLogger,
    started: Instant,
    metrics_error: Option<StoreError>,
    checkpoint_error: Option<NnError>,
}

impl SlRecorder {
    /// Starts recording into `dir` (which must exist; its `metrics` table is appended to).
    pub fn open(dir: &Path) -> Result<Self, SlRunError> {
        let metrics = MetricsLogger::open(&dir.join("metrics"), WriterOptions::default()).map_err(
            |source| SlRunError::Metrics {
                dir: dir.to_path_buf(),
                source,
            },
        )?;
        Ok(SlRecorder {
            dir: dir.to_path_buf(),
            metrics,
            started: Instant::now(),
            metrics_error: None,
            checkpoint_error: None,
        })
    }

    fn wall(&self) -> f64 {
        self.started.elapsed().as_secs_f64()
    }

    /// Records one progress event of the fit.
    pub fn record(&mut self, progress: &Progress) {
        match progress {
            Progress::EpochStart { .. } => {}
            Progress::Batch { step, tally } => {
                if step % BATCH_EVERY == 0 {
                    let wall = self.wall();
                    self.metrics
                        .log(*step, wall, metric::BATCH_LOSS, tally.loss());
                }
            }
            Progress::EpochEnd(e) => {
                let wall = self.wall();
                for (name, value) in [
                    (metric::TRAIN_LOSS, e.train_loss),
                    (metric::TRAIN_ACCURACY, e.train_accuracy),
                    (metric::VAL_LOSS, e.val_loss),
                    (metric::VAL_ACCURACY, e.val_accuracy),
                    (metric::SAMPLES_PER_SEC, e.samples_per_sec),
                    (metric::EPOCH, e.epoch as f64),
                ] {
                    self.metrics.log(e.step, wall, name, value);
                }
                if let Err(err) = self.metrics.flush() {
                    self.metrics_error.get_or_insert(err);
                }
            }
            Progress::Improved { net, .. } => {
                // the best model so far, replaced by the final one in `finish`
                if let Err(err) = net.save(&self.dir.join("model")) {
                    self.checkpoint_error.get_or_insert(err);
                }
            }
        }
    }

    /// Saves the final model and `report.json`, then the test metrics. Returns a
    /// checkpoint error that did not stop the run (the final model replaced the
    /// checkpoint), for the caller to warn about.
    pub fn finish(
        mut self,
        net: &MeowjongNet,
        report: &FitReport,
    ) -> Result<Option<NnError>, SlRunError> {
        // the model first: a metrics problem must not lose the trained weights
        net.save(&self.dir.join("model"))?;
        let path = self.dir.join("report.json");
        let json = serde_json::to_string_pretty(report).expect("a fit report serialises");
        std::fs::write(&path, json).map_err(|source| SlRunError::Io { path, source })?;
        let metrics_error = |dir: &Path, source| SlRunError::Metrics {
            dir: dir.to_path_buf(),
            source,
        };
        if let Some(err) = self.metrics_error.take() {
            return Err(metrics_error(&self.dir, err));
        }
        let step = report.epochs.last().map_or(0, |e| e.step);
        let wall = self.wall();
        for (name, value) in [
            (metric::TEST_LOSS, report.test.loss()),
            (metric::TEST_ACCURACY, report.test.accuracy()),
            (metric::TEST_TOP3_ACCURACY, report.test.top3_accuracy()),
            (
                metric::TEST_MAJORITY_ACCURACY,
                report.majority_test_accuracy,
            ),
        ] {
            self.metrics.log(step, wall, name, value);
        }
        self.metrics
            .flush()
            .map_err(|err| metrics_error(&self.dir, err))?;
        Ok(self.checkpoint_error)
    }
}

/// What [`train_model`] produced.
pub struct TrainedModel {
    /// The kept weights (also saved in the folder).
    pub net: MeowjongNet,
    /// The fit's report (also `report.json`).
    pub report: FitReport,
    /// The model folder.
    pub dir: PathBuf,
    /// A best-so-far checkpoint that could not be written during training (the final
    /// model was saved, so only an interrupted run would have missed it).
    pub checkpoint_warning: Option<NnError>,
}

/// Trains one model and writes its folder `dir` (replaced if it exists): the metrics
/// while training, the best weights as a checkpoint, then the final model and report.
/// `init` names a saved model to start from (its folder or stem; see
/// [`fit_from`]); it may not live in `dir`. `on_progress` sees every event after the
/// recorder (for a progress bar).
pub fn train_model(
    dev: &Dev,
    samples: &Samples,
    config: &SlConfig,
    init: Option<&Path>,
    dir: &Path,
    on_progress: &mut dyn FnMut(&Progress),
) -> Result<TrainedModel, SlRunError> {
    let init = match init {
        Some(path) => {
            if dir.exists() && same_folder(&init_folder(path), dir) {
                return Err(SlRunError::InitInOutput {
                    init: path.to_path_buf(),
                    dir: dir.to_path_buf(),
                });
            }
            Some(MeowjongNet::load(dev, &model_stem(path))?)
        }
        None => None,
    };
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| SlRunError::Io { path, source }
    };
    if dir.exists() {
        std::fs::remove_dir_all(dir).map_err(io(dir))?;
    }
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let mut recorder = SlRecorder::open(dir)?;
    let (net, report) = fit_from(dev, samples, config, init, &mut |p| {
        recorder.record(&p);
        on_progress(&p);
    })?;
    let checkpoint_warning = recorder.finish(&net, &report)?;
    Ok(TrainedModel {
        net,
        report,
        dir: dir.to_path_buf(),
        checkpoint_warning,
    })
}

/// The folder holding a model named by folder or stem.
fn init_folder(path: &Path) -> PathBuf {
    if path.is_dir() {
        path.to_path_buf()
    } else {
        match path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
            _ => PathBuf::from("."),
        }
    }
}

fn same_folder(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ModelKind, Preset};
    use meowlab_sanma::planes::BYTES;
    use meowlab_store::arrow::{Array, StringArray};
    use meowlab_store::TableReader;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn random_samples() -> Samples {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let mut samples = Samples::default();
        for game in 0..40u64 {
            for _ in 0..4 {
                let bytes: Vec<u8> = (0..BYTES).map(|_| rng.gen::<u8>() & 0x11).collect();
                samples.labels.push(u8::from(bytes[7] & 1 == 1));
                samples.observations.push(bytes);
                samples.games.push(game);
                samples.steps.push(samples.steps.len() as u32);
            }
        }
        samples
    }

    fn metric_names(dir: &Path) -> Vec<String> {
        let reader = TableReader::open(&dir.join("metrics"), None).unwrap();
        let mut names = Vec::new();
        for batch in reader.read(Some(&["name"])).unwrap() {
            let col = batch
                .column(0)
                .as_any()
                .downcast_ref::<StringArray>()
                .unwrap();
            names.extend((0..col.len()).map(|i| col.value(i).to_string()));
        }
        names
    }

    /// The folder holds the kept weights (equal to the returned net), the report and one
    /// metric row per epoch figure; a second run replaces the folder instead of appending;
    /// an initial model inside the folder it would replace is refused and left intact.
    #[test]
    fn a_run_writes_its_folder_and_refuses_to_overwrite_its_init() {
        let root = std::env::temp_dir().join(format!("meowlab-sl-run-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let dir = root.join("pon-tiny");
        let preset = Preset {
            name: "tiny".into(),
            filters: vec![2],
            kernels: Vec::new(),
            dense: 4,
            dropout: 0.0,
        };
        let config = SlConfig {
            batch_size: 16,
            max_epochs: 2,
            patience: 5,
            ..SlConfig::new(ModelKind::Pon, preset)
        };
        let samples = random_samples();
        let dev = Dev::default();
        let mut events = 0;
        let trained =
            train_model(&dev, &samples, &config, None, &dir, &mut |_| events += 1).unwrap();
        assert!(events > 2);
        let mut saved = MeowjongNet::open(&dev, &dir).unwrap();
        let probe = crate::sl::unpack_batch(&samples.observations, &[0, 1, 2]);
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        assert_eq!(
            saved.predict(&probe, &mut rng),
            trained.net.clone().predict(&probe, &mut rng)
        );
        let report: FitReport =
            serde_json::from_str(&std::fs::read_to_string(dir.join("report.json")).unwrap())
                .unwrap();
        assert_eq!(report.best_epoch, trained.report.best_epoch);
        assert_eq!(report.test.correct, trained.report.test.correct);
        let count = |names: &[String], name: &str| names.iter().filter(|n| *n == name).count();
        let names = metric_names(&dir);
        assert_eq!(count(&names, metric::VAL_LOSS), 2);
        assert_eq!(count(&names, metric::EPOCH), 2);
        assert_eq!(count(&names, metric::TEST_ACCURACY), 1);

        let again = train_model(&dev, &samples, &config, None, &dir, &mut |_| {}).unwrap();
        let val_losses = |r: &FitReport| r.epochs.iter().map(|e| e.val_loss).collect::<Vec<_>>();
        assert_eq!(val_losses(&again.report), val_losses(&trained.report));
        assert_eq!(count(&metric_names(&dir), metric::VAL_LOSS), 2);

        let err = train_model(&dev, &samples, &config, Some(&dir), &dir, &mut |_| {})
            .err()
            .unwrap();
        assert!(matches!(err, SlRunError::InitInOutput { .. }), "{err}");
        assert!(MeowjongNet::open(&dev, &dir).is_ok());
        std::fs::remove_dir_all(&root).unwrap();
    }
}
