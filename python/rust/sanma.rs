//! The Sanma engine as one game played a seat at a time ([`TurnEnv`]), for the PettingZoo
//! AEC env of the Python side.

use meowlab_sanma::planes::{blocks, column_map, row_name, BITS, COLS, ROWS};
use meowlab_sanma::{EnvReward, Rules, TurnEnv, ACTION_SPACE};
use numpy::{PyArray1, PyArray2, PyArrayMethods};
use pyo3::prelude::*;

use crate::value_error;

/// A seat's tile planes (34 × 366) and legal mask (150).
type Observation<'py> = (Bound<'py, PyArray2<u8>>, Bound<'py, PyArray1<i8>>);

/// Final scores and ranks of seats 0, 1, 2.
type Outcome = ((i32, i32, i32), (u8, u8, u8));

/// One game: `to_act`, `observe(seat)`, `step(index)`, `rewards` (see the Python
/// `meowlab.sanma` module).
#[pyclass(module = "meowlab._native", unsendable)]
pub struct SanmaEnv {
    env: TurnEnv,
}

/// The rules from their JSON (the engine's `Rules` fields; missing fields keep
/// Tenhou's defaults), or Tenhou's rules.
pub fn rules_from(json: Option<&str>) -> PyResult<Rules> {
    let rules: Rules = match json {
        None => Rules::default(),
        Some(text) => serde_json::from_str(text).map_err(|e| value_error(format!("rules: {e}")))?,
    };
    rules
        .validate()
        .map_err(|e| value_error(format!("rules: {e}")))?;
    Ok(rules)
}

#[pymethods]
impl SanmaEnv {
    /// `reward`: "rank" (`rank_rewards` for 1st, 2nd, 3rd at the end of the game) or
    /// "score" (each hand's score change divided by `score_scale` points).
    #[new]
    #[pyo3(signature = (rules_json=None, reward="rank", rank_rewards=(1.0, 0.0, -1.0), score_scale=1000.0))]
    fn new(
        rules_json: Option<&str>,
        reward: &str,
        rank_rewards: (f64, f64, f64),
        score_scale: f64,
    ) -> PyResult<Self> {
        let reward = match reward {
            "rank" => EnvReward::Rank([rank_rewards.0, rank_rewards.1, rank_rewards.2]),
            "score" => EnvReward::Score(score_scale),
            other => {
                return Err(value_error(format!(
                    "reward must be \"rank\" or \"score\", not {other:?}"
                )))
            }
        };
        let env = TurnEnv::new(rules_from(rules_json)?, reward).map_err(value_error)?;
        Ok(SanmaEnv { env })
    }

    /// Starts a new game dealt from `seed`.
    fn reset(&mut self, seed: u64) {
        self.env.reset(seed);
    }

    /// The seat to act, or None once the game is over.
    fn to_act(&self) -> Option<u8> {
        self.env.to_act()
    }

    /// Whether the game is over.
    fn is_over(&self) -> bool {
        self.env.is_over()
    }

    /// `seat`'s tile planes (uint8, 34 × 366) and legal mask (int8, 150).
    fn observe<'py>(&self, py: Python<'py>, seat: u8) -> PyResult<Observation<'py>> {
        if seat > 2 {
            return Err(value_error(format!(
                "seat {seat}: there are only seats 0, 1 and 2"
            )));
        }
        let mut planes = vec![0u8; BITS];
        let mut mask = vec![false; ACTION_SPACE];
        self.env.observe(seat, &mut planes, &mut mask);
        let planes = PyArray1::from_vec(py, planes).reshape([ROWS, COLS])?;
        let mask: Vec<i8> = mask.into_iter().map(i8::from).collect();
        Ok((planes, PyArray1::from_vec(py, mask)))
    }

    /// The seat to act plays action `index`.
    fn step(&mut self, index: i64) -> PyResult<()> {
        self.env.step(index).map_err(value_error)
    }

    /// Rewards of seats 0, 1, 2 from the last step.
    fn rewards(&self) -> (f64, f64, f64) {
        let r = self.env.rewards();
        (r[0], r[1], r[2])
    }

    /// Final (scores, ranks) once the game is over.
    fn result(&self) -> Option<Outcome> {
        self.env.game().result().map(|r| {
            let (s, k) = (r.scores, r.ranks);
            ((s[0], s[1], s[2]), (k[0], k[1], k[2]))
        })
    }

    /// The game's events so far as mjai JSON lines.
    fn events(&self) -> PyResult<Vec<String>> {
        self.env
            .game()
            .events()
            .iter()
            .map(|e| serde_json::to_string(e).map_err(value_error))
            .collect()
    }
}

/// The 366 columns of the tile planes: (column, block, what a set cell means).
#[pyfunction]
pub fn plane_columns() -> Vec<(usize, &'static str, String)> {
    column_map()
        .into_iter()
        .map(|c| (c.column, c.block.name(), c.meaning))
        .collect()
}

/// The feature blocks of the tile planes: (name, first column, end column).
#[pyfunction]
pub fn plane_blocks() -> Vec<(&'static str, usize, usize)> {
    blocks()
        .into_iter()
        .map(|(_, name, cols)| (name, cols.start, cols.end))
        .collect()
}

/// The 34 rows of the tile planes (tile kinds: "1m", …, "7z").
#[pyfunction]
pub fn plane_rows() -> Vec<&'static str> {
    (0..ROWS).map(row_name).collect()
}
