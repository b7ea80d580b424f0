//! Self-play with its actors in other processes (Ray actors, see
//! `meowlab.ray.selfplay`): the learner's side of a run and one actor, as classes.
//! They share only the run folder (a shared filesystem): partitions one way, published
//! policies the other ([`meowlab_meowjong::selfplay::pipeline`]).

use std::path::PathBuf;
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use meowlab_meowjong::selfplay::pipeline::{consumed, Shard, ShardActor};
use meowlab_meowjong::selfplay::ppo::PpoConfig;
use meowlab_meowjong::selfplay::run::{run_seed, SelfPlayConfig};
use pyo3::prelude::*;

use crate::value_error;

/// The learner's side of a self-play run whose `actors` actors are other processes.
#[pyclass(module = "meowlab._native", frozen)]
pub struct SelfPlayLearner {
    config: SelfPlayConfig,
    seed: u64,
    out: PathBuf,
}

#[pymethods]
impl SelfPlayLearner {
    /// The PPO config at `config_path` with its overrides (as `meowlab run` takes them),
    /// run as seed `seed` under `out` with `actors` external actors.
    #[new]
    #[pyo3(signature = (config_path, out, seed, actors, rounds=None, sl_models=None, eval_sets=None, exchange=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        config_path: PathBuf,
        out: PathBuf,
        seed: u64,
        actors: usize,
        rounds: Option<usize>,
        sl_models: Option<PathBuf>,
        eval_sets: Option<usize>,
        exchange: Option<String>,
    ) -> PyResult<Self> {
        let mut config = SelfPlayConfig::load(&config_path).map_err(value_error)?;
        let bad = |m: String| value_error(format!("{}: {m}", config_path.display()));
        let Some(ppo) = config.ppo.as_mut() else {
            return Err(bad("Ray actors need a [ppo] config".into()));
        };
        ppo.actors = actors;
        ppo.external_actors = true;
        ppo.exchange = exchange;
        config.seeds = vec![seed];
        if let Some(r) = rounds {
            config.rounds = r;
        }
        if sl_models.is_some() {
            config.sl_models = sl_models;
        }
        if let Some(s) = eval_sets {
            config.eval.sets = s;
        }
        config.validate().map_err(bad)?;
        Ok(SelfPlayLearner { config, seed, out })
    }

    /// The learner of a config as [`SelfPlayLearner::config_json`] gave it (what a Ray
    /// actor on another node is made from: it need not see the config file).
    #[staticmethod]
    fn from_json(config_json: &str, out: PathBuf, seed: u64) -> PyResult<Self> {
        let config: SelfPlayConfig = serde_json::from_str(config_json)
            .map_err(|e| value_error(format!("self-play config: {e}")))?;
        config.validate().map_err(value_error)?;
        Ok(SelfPlayLearner { config, seed, out })
    }

    /// The whole config with its overrides (JSON).
    fn config_json(&self) -> PyResult<String> {
        serde_json::to_string(&self.config).map_err(value_error)
    }

    /// The run folder.
    #[getter]
    fn run_dir(&self) -> PathBuf {
        self.out.join(self.config.run_id(self.seed))
    }

    /// Trains (or resumes) the run to the end; returns its summary (JSON). Blocks without
    /// the GIL.
    fn run(&self, py: Python<'_>) -> PyResult<String> {
        let (config, seed, out) = (self.config.clone(), self.seed, self.out.clone());
        let summary = py
            .allow_threads(move || run_seed(&config, seed, &out, &mut |_| {}))
            .map_err(value_error)?;
        serde_json::to_string(&summary).map_err(value_error)
    }
}

/// A request to an actor's thread: play this update, waiting for its policy until then.
type Request = (u64, Instant);
/// Its answer.
type Answer = Result<Option<Shard>, String>;

/// One actor of a run: plays its share of the updates it is given, in order. The Rust
/// actor lives on its own thread (its models stay there), so `play` waits without the GIL.
#[pyclass(module = "meowlab._native", frozen)]
pub struct SelfPlayActor {
    index: usize,
    requests: Mutex<Sender<Request>>,
    answers: Mutex<Receiver<Answer>>,
}

#[pymethods]
impl SelfPlayActor {
    /// Actor `index` of the run in `run_dir` with the config of the learner's plan
    /// (`pipeline.json`'s `config`, as JSON).
    #[new]
    fn new(run_dir: PathBuf, ppo_config_json: &str, index: usize) -> PyResult<Self> {
        let config: PpoConfig = serde_json::from_str(ppo_config_json)
            .map_err(|e| value_error(format!("ppo config: {e}")))?;
        // refuse a bad index here, before the thread starts
        ShardActor::new(&run_dir, config.clone(), index).map_err(value_error)?;
        let (requests, inbox) = channel::<Request>();
        let (outbox, answers) = channel::<Answer>();
        std::thread::spawn(move || {
            let mut actor = match ShardActor::new(&run_dir, config, index) {
                Ok(a) => a,
                Err(e) => return drop(outbox.send(Err(e.to_string()))),
            };
            for (update, deadline) in inbox {
                let pause = || {
                    std::thread::sleep(Duration::from_millis(20));
                    Instant::now() < deadline
                };
                let answer = actor.play(update, &pause).map_err(|e| e.to_string());
                if outbox.send(answer).is_err() {
                    return;
                }
            }
        });
        Ok(SelfPlayActor {
            index,
            requests: Mutex::new(requests),
            answers: Mutex::new(answers),
        })
    }

    /// Plays and writes this actor's share of `update`, waiting up to `timeout_s` for
    /// the policy it needs. Returns (update, actor, rows, games, written): `written` is
    /// false when the partition was there already (an actor that died wrote it).
    #[pyo3(signature = (update, timeout_s=3600.0))]
    fn play(
        &self,
        py: Python<'_>,
        update: u64,
        timeout_s: f64,
    ) -> PyResult<(u64, usize, usize, usize, bool)> {
        let deadline = Instant::now() + Duration::from_secs_f64(timeout_s.max(0.0));
        let gone = || value_error(format!("actor {}: its thread has stopped", self.index));
        let answer = py.allow_threads(|| {
            let requests = self.requests.lock().expect("not poisoned");
            let answers = self.answers.lock().expect("not poisoned");
            requests.send((update, deadline)).ok()?;
            answers.recv().ok()
        });
        match answer.ok_or_else(gone)?.map_err(value_error)? {
            Some(s) => Ok((s.update, s.actor, s.rows, s.games, s.written)),
            None => Err(value_error(format!(
                "actor {}: update {update}: the policy it needs did not appear within {timeout_s} s",
                self.index
            ))),
        }
    }
}

/// The learner's record of the partitions it learned from (`consumed.jsonl`): a list of
/// (update, actor, rows, games).
#[pyfunction]
pub fn selfplay_consumed(run_dir: PathBuf) -> PyResult<Vec<(u64, usize, usize, usize)>> {
    Ok(consumed(&run_dir)
        .map_err(value_error)?
        .into_iter()
        .map(|c| (c.update, c.actor, c.rows, c.games))
        .collect())
}
