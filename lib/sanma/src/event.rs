//! Every change of a game as an mjai-style event (one JSON object per line).
//!
//! Sanma extensions: Kita is `{"type":"nukidora","actor":a,"pai":"N"}` (we also accept
//! riichienv's `"kita"`); score arrays have 3 entries (a padded 4th is accepted).

use meowlab_hand::Tile;
use serde::{Deserialize, Deserializer, Serialize};

use crate::action::Seat;

/// The index of a hand's round — 3 × wind + kyoku − 1 (East 1 = 0, South 1 = 3, West 1 =
/// 6) — from a [`Event::StartKyoku`]'s round wind and kyoku.
pub fn round_index(bakaze: Tile, kyoku: u8) -> u8 {
    3 * bakaze.index().saturating_sub(27) as u8 + kyoku.saturating_sub(1)
}

/// One event. Field names follow mjai.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// A game begins.
    StartGame {
        /// Seat names (agent names).
        #[serde(default)]
        names: Vec<String>,
        /// The game seed (meowlab extension).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        seed: Option<u64>,
    },
    /// A hand begins.
    StartKyoku {
        /// Round wind.
        bakaze: Tile,
        /// First dora indicator.
        dora_marker: Tile,
        /// 1-based kyoku within the wind.
        kyoku: u8,
        /// Honba counters.
        honba: u32,
        /// Riichi deposits on the table.
        kyotaku: u32,
        /// Dealer seat.
        oya: Seat,
        /// Scores at the start.
        #[serde(deserialize_with = "three")]
        scores: Vec<i32>,
        /// Each seat's 13 starting tiles.
        tehais: Vec<Vec<Tile>>,
    },
    /// A draw (live wall or replacement).
    Tsumo {
        /// Who drew.
        actor: Seat,
        /// What.
        pai: Tile,
    },
    /// A discard.
    Dahai {
        /// Who.
        actor: Seat,
        /// What.
        pai: Tile,
        /// The drawn tile was discarded.
        tsumogiri: bool,
    },
    /// A pon.
    Pon {
        /// Caller.
        actor: Seat,
        /// Discarder.
        target: Seat,
        /// The called tile.
        pai: Tile,
        /// The two tiles from the caller's hand.
        consumed: Vec<Tile>,
    },
    /// An open kan on a discard.
    Daiminkan {
        /// Caller.
        actor: Seat,
        /// Discarder.
        target: Seat,
        /// The called tile.
        pai: Tile,
        /// The three tiles from the caller's hand.
        consumed: Vec<Tile>,
    },
    /// A tile added to a pon.
    Kakan {
        /// Who.
        actor: Seat,
        /// The added tile.
        pai: Tile,
        /// The pon's tiles.
        consumed: Vec<Tile>,
    },
    /// A concealed kan.
    Ankan {
        /// Who.
        actor: Seat,
        /// The four tiles.
        consumed: Vec<Tile>,
    },
    /// Kita: a North set aside (riichienv calls it "kita").
    #[serde(alias = "kita")]
    Nukidora {
        /// Who.
        actor: Seat,
        /// Always North.
        pai: Tile,
    },
    /// A new dora indicator.
    Dora {
        /// The indicator.
        dora_marker: Tile,
    },
    /// Riichi declared (the discard follows).
    Reach {
        /// Who.
        actor: Seat,
    },
    /// Riichi accepted: 1000 points deposited.
    ReachAccepted {
        /// Who.
        actor: Seat,
    },
    /// A win.
    Hora {
        /// Winner.
        actor: Seat,
        /// Who dealt in (the winner for tsumo).
        target: Seat,
        /// The winning tile.
        pai: Tile,
        /// Score changes of this win (honba and deposits included).
        #[serde(deserialize_with = "three")]
        deltas: Vec<i32>,
        /// Ura dora indicators (riichi wins).
        #[serde(default)]
        ura_markers: Vec<Tile>,
        /// Han (meowlab extension).
        #[serde(default)]
        han: u8,
        /// Fu (meowlab extension).
        #[serde(default)]
        fu: u8,
        /// Yaku names (meowlab extension).
        #[serde(default)]
        yaku: Vec<String>,
        /// The han of each of `yaku` (yakuman: 13 × the multiplier; meowlab extension,
        /// absent from logs written before it), for exports that list yaku with han.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        yaku_han: Vec<u8>,
    },
    /// A drawn hand.
    Ryukyoku {
        /// Why: "exhaustive", "kyuushu", "suukaikan", "nagashi".
        #[serde(default)]
        reason: String,
        /// Score changes.
        #[serde(deserialize_with = "three")]
        deltas: Vec<i32>,
    },
    /// A hand is over.
    EndKyoku,
    /// The game is over.
    EndGame {
        /// Final scores (leftover deposits included).
        #[serde(default)]
        scores: Vec<i32>,
    },
}

/// Accepts 3 scores, or 4 with a padded 4th seat.
fn three<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<i32>, D::Error> {
    let mut v = Vec::<i32>::deserialize(d)?;
    match v.len() {
        3 => Ok(v),
        4 => {
            v.truncate(3);
            Ok(v)
        }
        n => Err(serde::de::Error::custom(format!(
            "expected 3 (or 4) scores, got {n}"
        ))),
    }
}

/// Writes events as mjai JSONL.
pub fn to_jsonl(events: &[Event]) -> String {
    let mut out = String::with_capacity(events.len() * 48);
    for e in events {
        out.push_str(&serde_json::to_string(e).expect("events serialise"));
        out.push('\n');
    }
    out
}

/// Reads mjai JSONL; an error names the line.
pub fn from_jsonl(text: &str) -> Result<Vec<Event>, String> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| serde_json::from_str(l).map_err(|e| format!("line {}: {e}", i + 1)))
        .collect()
}
