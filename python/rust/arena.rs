//! The arena from Python: many games in lockstep with Rust bots, Meowjong model seats
//! and Python agents. A Python agent answers all of its pending decisions at once, from
//! one numpy batch: tile planes (B × 34 × 366, uint8), legal masks (B × 150, int8), and
//! each decision's table and seat; it returns B action indices.

use std::cell::RefCell;
use std::rc::Rc;

use meowlab_meowjong::agent::build_player;
use meowlab_nn::nn::Dev;
use meowlab_sanma::arena::{Collect, Decision, Reply};
use meowlab_sanma::bots::AgentSpec;
use meowlab_sanma::env::{action_of, illegal_among};
use meowlab_sanma::planes::{encode, BITS, COLS, ROWS};
use meowlab_sanma::{Arena, BatchAgent, Table, ACTION_SPACE};
use numpy::{PyArray1, PyArrayMethods};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::sanma::rules_from;
use crate::value_error;

/// A Python agent as an arena player. A Python error or an illegal index is kept and
/// raised when play ends (the arena cannot stop in the middle of a batch); until then the
/// agent is not asked again and plays its first legal actions.
struct PyAgent<'py> {
    agent: Bound<'py, PyAny>,
    name: String,
    /// The first error, shared with [`arena`], which raises it.
    error: Rc<RefCell<Option<PyErr>>>,
}

impl PyAgent<'_> {
    fn ask(&self, decisions: &[Decision<'_>]) -> PyResult<Vec<i64>> {
        let py = self.agent.py();
        let n = decisions.len();
        let mut planes = vec![0u8; n * BITS];
        let mut masks = vec![0i8; n * ACTION_SPACE];
        for (i, d) in decisions.iter().enumerate() {
            encode(&d.view).write_u8(&mut planes[i * BITS..(i + 1) * BITS]);
            for a in d.view.legal_actions() {
                masks[i * ACTION_SPACE + a.index() as usize] = 1;
            }
        }
        let planes = PyArray1::from_vec(py, planes).reshape([n, ROWS, COLS])?;
        let masks = PyArray1::from_vec(py, masks).reshape([n, ACTION_SPACE])?;
        let tables = PyArray1::from_iter(py, decisions.iter().map(|d| d.table as u64));
        let seats = PyArray1::from_iter(py, decisions.iter().map(|d| d.seat));
        let answer = self.agent.call1((planes, masks, tables, seats))?;
        let actions: Vec<i64> = answer
            .call_method1("__iter__", ())
            .and_then(|it| it.try_iter()?.map(|x| x?.extract::<i64>()).collect())
            .map_err(|e| {
                value_error(format!(
                    "agent {}: expected {n} int action indices: {e}",
                    self.name
                ))
            })?;
        if actions.len() != n {
            return Err(value_error(format!(
                "agent {}: {} actions for {n} decisions",
                self.name,
                actions.len()
            )));
        }
        Ok(actions)
    }
}

impl BatchAgent for PyAgent<'_> {
    fn name(&self) -> String {
        self.name.clone()
    }

    fn act_batch(&mut self, decisions: &[Decision<'_>], replies: &mut Vec<Reply>) {
        replies.clear();
        let failed = self.error.borrow().is_some();
        let actions = if failed {
            vec![-1; decisions.len()]
        } else {
            self.ask(decisions).unwrap_or_else(|e| {
                *self.error.borrow_mut() = Some(e);
                vec![-1; decisions.len()]
            })
        };
        for (d, &index) in decisions.iter().zip(&actions) {
            let legal = d.view.legal_actions();
            let chosen = u16::try_from(index).ok().and_then(|i| action_of(legal, i));
            let action = match chosen {
                Some(a) => a,
                None => {
                    let mut error = self.error.borrow_mut();
                    if error.is_none() {
                        let why = illegal_among(legal, d.seat, index);
                        *error = Some(value_error(format!(
                            "agent {}: table {}: {why}",
                            self.name, d.table
                        )));
                    }
                    legal[0]
                }
            };
            replies.push(Reply::action(action));
        }
    }
}

/// Plays `games` games (game `i` dealt from `seed + i`) with `seats`: each an agent
/// spec ("heuristic", "random", "tsumogiri", "model:DIR", "model-sample:DIR") or a Python
/// callable `(planes, masks, tables, seats) -> action indices`; the same object in two
/// seats is one player. Returns numpy arrays: `seed` (G), `scores` (G × 3), `ranks`
/// (G × 3), `hands` (G), and `players` (the seat names).
#[pyfunction]
#[pyo3(signature = (seats, games, seed=0, rules_json=None, in_flight=64))]
pub fn arena<'py>(
    py: Python<'py>,
    seats: Vec<Bound<'py, PyAny>>,
    games: usize,
    seed: u64,
    rules_json: Option<&str>,
    in_flight: usize,
) -> PyResult<Bound<'py, PyDict>> {
    if seats.len() != 3 {
        return Err(value_error(format!(
            "seats: three agents, got {}",
            seats.len()
        )));
    }
    let rules = rules_from(rules_json)?;
    let dev = Dev::default();
    let mut players: Vec<Box<dyn BatchAgent + 'py>> = Vec::new();
    let mut errors: Vec<Rc<RefCell<Option<PyErr>>>> = Vec::new();
    let mut distinct: Vec<Bound<'py, PyAny>> = Vec::new();
    let mut seat_player = [0usize; 3];
    for (seat, obj) in seats.iter().enumerate() {
        if let Some(p) = distinct
            .iter()
            .position(|d| d.is(obj) || d.eq(obj).unwrap_or(false))
        {
            seat_player[seat] = p;
            continue;
        }
        let player: Box<dyn BatchAgent + 'py> = if let Ok(spec) = obj.extract::<String>() {
            let spec: AgentSpec = spec
                .parse()
                .map_err(|e| value_error(format!("seat {seat}: {e}")))?;
            build_player(&spec, seat as u8, &dev).map_err(value_error)?
        } else {
            let agent = if obj.hasattr("act")? {
                obj.getattr("act")?
            } else {
                obj.clone()
            };
            if !agent.is_callable() {
                return Err(value_error(format!(
                    "seat {seat}: an agent spec string, a callable or an object with .act, not {}",
                    obj.get_type().name()?
                )));
            }
            let error = Rc::new(RefCell::new(None));
            errors.push(error.clone());
            let name = obj
                .getattr("name")
                .and_then(|n| n.extract::<String>())
                .unwrap_or_else(|_| {
                    format!(
                        "python:{}",
                        obj.get_type()
                            .name()
                            .map(|n| n.to_string())
                            .unwrap_or_default()
                    )
                });
            Box::new(PyAgent { agent, name, error })
        };
        seat_player[seat] = players.len();
        players.push(player);
        distinct.push(obj.clone());
    }
    let names: Vec<String> = seat_player.iter().map(|&p| players[p].name()).collect();
    let tables: Vec<Table> = (0..games as u64)
        .map(|i| Table {
            seed: seed.wrapping_add(i),
            players: seat_player,
        })
        .collect();
    let mut collect = Collect::default();
    {
        let mut refs: Vec<&mut dyn BatchAgent> = players
            .iter_mut()
            .map(|p| p.as_mut() as &mut dyn BatchAgent)
            .collect();
        Arena::new(rules, in_flight.max(1))
            .play(&tables, &mut refs, &mut collect)
            .map_err(value_error)?;
    }
    // an error of a Python agent (kept while the arena ran) ends here
    if let Some(e) = errors.iter().find_map(|e| e.borrow_mut().take()) {
        return Err(e);
    }
    let g = collect.0.len();
    let mut scores = Vec::with_capacity(g * 3);
    let mut ranks = Vec::with_capacity(g * 3);
    let mut hands = Vec::with_capacity(g);
    for game in &collect.0 {
        let r = game.result().expect("a finished game has a result");
        scores.extend(r.scores);
        ranks.extend(r.ranks);
        hands.push(
            game.events()
                .iter()
                .filter(|e| matches!(e, meowlab_sanma::Event::EndKyoku))
                .count() as u32,
        );
    }
    let out = PyDict::new(py);
    out.set_item(
        "seed",
        PyArray1::from_iter(py, tables.iter().map(|t| t.seed)),
    )?;
    out.set_item("scores", PyArray1::from_vec(py, scores).reshape([g, 3])?)?;
    out.set_item("ranks", PyArray1::from_vec(py, ranks).reshape([g, 3])?)?;
    out.set_item("hands", PyArray1::from_vec(py, hands))?;
    out.set_item("players", names)?;
    Ok(out)
}
