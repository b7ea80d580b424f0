//! Agent specs: how a seat's agent is named on the command line, in configs and in run
//! folders (`random`, `tsumogiri`, `heuristic`, `model:DIR`, `model-sample:DIR`), parsed
//! in this one place. The engine builds the bots; model seats are built by the crate
//! that has the models (`meowlab-meowjong`), which reads the same spec.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use super::{Agent, HeuristicAgent, RandomAgent, TsumogiriAgent};
use crate::action::Seat;
use crate::arena::{BatchAgent, EachGame};

/// Which agent plays a seat.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AgentSpec {
    /// Uniformly random legal actions (seeded per game).
    Random,
    /// Always discards the drawn tile; never calls.
    Tsumogiri,
    /// The rule-based [`HeuristicAgent`].
    Heuristic,
    /// The five Meowjong models saved under `dir` (by `meowlab train-sl`).
    Model {
        /// The folder holding the models.
        dir: PathBuf,
        /// Sample the discard from the model's policy instead of taking its argmax.
        sample: bool,
    },
}

/// A seat spec that cannot be read or built here.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SpecError {
    /// Not an agent name.
    #[error(
        "unknown agent {0:?} (expected random, tsumogiri, heuristic, model:DIR or model-sample:DIR)"
    )]
    Unknown(String),
    /// `model:` without a folder.
    #[error("{0:?} names no model folder (model:DIR)")]
    NoModelDir(String),
    /// Not three comma-separated agents.
    #[error("seats need three agents separated by commas, got {spec:?} ({count})")]
    SeatCount {
        /// The whole spec.
        spec: String,
        /// How many agents it names.
        count: usize,
    },
    /// A model seat asked of the engine, which has no models.
    #[error("{0} is a model seat: build it with meowlab_meowjong::agent::build_agent")]
    NeedsModels(AgentSpec),
}

impl AgentSpec {
    /// The agent's kind without its folder (`heuristic`, `model`, `model-sample`): what run
    /// ids and reports name a seat by.
    pub fn kind_name(&self) -> &'static str {
        match self {
            AgentSpec::Random => "random",
            AgentSpec::Tsumogiri => "tsumogiri",
            AgentSpec::Heuristic => "heuristic",
            AgentSpec::Model { sample: false, .. } => "model",
            AgentSpec::Model { sample: true, .. } => "model-sample",
        }
    }

    /// Builds a bot for `seat`; a model seat is an error ([`SpecError::NeedsModels`]).
    pub fn build_bot(&self, seat: Seat) -> Result<Box<dyn Agent>, SpecError> {
        match self {
            AgentSpec::Random => Ok(Box::new(RandomAgent::new(seat))),
            AgentSpec::Tsumogiri => Ok(Box::new(TsumogiriAgent)),
            AgentSpec::Heuristic => Ok(Box::new(HeuristicAgent)),
            AgentSpec::Model { .. } => Err(SpecError::NeedsModels(self.clone())),
        }
    }

    /// The bot of this spec as an [`Arena`](crate::Arena) player: one instance per game
    /// and seat (see [`EachGame`]). Model specs are refused as in [`AgentSpec::build_bot`].
    pub fn build_bot_player(&self) -> Result<Box<dyn BatchAgent>, SpecError> {
        self.build_bot(0)?;
        let spec = self.clone();
        Ok(Box::new(EachGame::new(move |seat| {
            spec.build_bot(seat)
                .expect("a bot spec builds for every seat")
        })))
    }
}

impl FromStr for AgentSpec {
    type Err = SpecError;

    fn from_str(text: &str) -> Result<AgentSpec, SpecError> {
        let text = text.trim();
        let model = |dir: &str, sample| {
            if dir.is_empty() {
                Err(SpecError::NoModelDir(text.to_string()))
            } else {
                Ok(AgentSpec::Model {
                    dir: PathBuf::from(dir),
                    sample,
                })
            }
        };
        match text {
            "random" => Ok(AgentSpec::Random),
            "tsumogiri" => Ok(AgentSpec::Tsumogiri),
            "heuristic" => Ok(AgentSpec::Heuristic),
            _ => {
                if let Some(dir) = text.strip_prefix("model:") {
                    model(dir, false)
                } else if let Some(dir) = text.strip_prefix("model-sample:") {
                    model(dir, true)
                } else {
                    Err(SpecError::Unknown(text.to_string()))
                }
            }
        }
    }
}

impl fmt::Display for AgentSpec {
    /// The spec as it is parsed (`model:DIR` keeps its folder).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AgentSpec::Model { dir, .. } => write!(f, "{}:{}", self.kind_name(), dir.display()),
            _ => f.write_str(self.kind_name()),
        }
    }
}

/// The three seats' agents from `"a,b,c"` (seat 0 deals first).
pub fn parse_seats(spec: &str) -> Result<[AgentSpec; 3], SpecError> {
    let parts: Vec<&str> = spec.split(',').collect();
    let count = parts.len();
    let specs = parts
        .into_iter()
        .map(AgentSpec::from_str)
        .collect::<Result<Vec<_>, _>>()?;
    specs.try_into().map_err(|_| SpecError::SeatCount {
        spec: spec.to_string(),
        count,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_parse_and_print_back() {
        for text in [
            "random",
            "tsumogiri",
            "heuristic",
            "model:a/b",
            "model-sample:m",
        ] {
            assert_eq!(text.parse::<AgentSpec>().unwrap().to_string(), text);
        }
        assert_eq!(
            " model:runs/x/models ".parse::<AgentSpec>().unwrap(),
            AgentSpec::Model {
                dir: "runs/x/models".into(),
                sample: false
            }
        );
        assert_eq!(
            "greedy".parse::<AgentSpec>(),
            Err(SpecError::Unknown("greedy".into()))
        );
        assert_eq!(
            "model:".parse::<AgentSpec>(),
            Err(SpecError::NoModelDir("model:".into()))
        );
    }

    #[test]
    fn seats_are_three_and_bots_build() {
        let seats = parse_seats("heuristic, random,model-sample:m").unwrap();
        assert_eq!(seats[1], AgentSpec::Random);
        assert_eq!(seats[2].kind_name(), "model-sample");
        assert!(seats[0].build_bot(0).is_ok());
        assert!(matches!(
            seats[2].build_bot(2),
            Err(SpecError::NeedsModels(_))
        ));
        assert_eq!(
            parse_seats("heuristic,random"),
            Err(SpecError::SeatCount {
                spec: "heuristic,random".into(),
                count: 2
            })
        );
    }
}
