//! What a seat can do at a decision point.

use std::fmt;

use meowlab_hand::Tile;
use serde::{Deserialize, Serialize};

/// A seat index, 0..3; seat 0 is the first dealer.
pub type Seat = u8;

/// One action. Tiles are exact (a red five is a different action from a plain five).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Action {
    /// Discard a tile; `tsumogiri` when it is the tile just drawn.
    Discard {
        /// The tile.
        tile: Tile,
        /// Whether it is the drawn tile.
        tsumogiri: bool,
    },
    /// Declare riichi and discard this tile.
    Riichi {
        /// The tile.
        tile: Tile,
        /// Whether it is the drawn tile.
        tsumogiri: bool,
    },
    /// Win on the drawn tile.
    Tsumo,
    /// Set a North aside (nukidora) and draw a replacement.
    Kita,
    /// Concealed kan of this kind.
    Ankan {
        /// Plain kind.
        tile: Tile,
    },
    /// Add the fourth tile to a pon of this kind.
    Kakan {
        /// Plain kind.
        tile: Tile,
    },
    /// Abort the hand with nine different terminals/honours on the first draw.
    Kyuushu,
    /// Win on another player's tile (discard, added kan tile, Kita or, for kokushi, ankan).
    Ron,
    /// Call pon with these two tiles from the hand.
    Pon {
        /// The two hand tiles used.
        consumed: [Tile; 2],
    },
    /// Call an open kan on a discard.
    Daiminkan,
    /// Decline to call or win.
    Pass,
}

/// Size of the action index space (see [`Action::index`]).
pub const ACTION_SPACE: usize = 150;

impl Action {
    /// A stable index for logs and models: 0–36 discard (raw tile; red fives 34–36),
    /// 37–73 riichi with that discard, 74 tsumo, 75 ron, 76 kita, 77–110 ankan of a kind,
    /// 111–144 kakan of a kind, 145 pon with two plain tiles, 146 pon with a red five,
    /// 147 daiminkan, 148 kyuushu, 149 pass. (Tsumogiri is logged separately.)
    pub fn index(self) -> u16 {
        match self {
            Action::Discard { tile, .. } => tile.raw() as u16,
            Action::Riichi { tile, .. } => 37 + tile.raw() as u16,
            Action::Tsumo => 74,
            Action::Ron => 75,
            Action::Kita => 76,
            Action::Ankan { tile } => 77 + tile.index() as u16,
            Action::Kakan { tile } => 111 + tile.index() as u16,
            Action::Pon { consumed } if consumed.iter().any(|t| t.is_red()) => 146,
            Action::Pon { .. } => 145,
            Action::Daiminkan => 147,
            Action::Kyuushu => 148,
            Action::Pass => 149,
        }
    }
}

/// A readable name of an action index (see [`Action::index`]): "discard 0p", "riichi 9s",
/// "ankan E", "pon (red five)", "pass"; `None` outside the action space. For plots and
/// tables of logged policies, where only indices are stored.
pub fn index_name(index: u16) -> Option<String> {
    let tile = |raw: u16| match raw {
        0..=33 => Tile::from_index(raw as usize),
        34 => Tile::red_five(meowlab_hand::Suit::Man),
        35 => Tile::red_five(meowlab_hand::Suit::Pin),
        36 => Tile::red_five(meowlab_hand::Suit::Sou),
        _ => None,
    };
    Some(match index {
        0..=36 => format!("discard {}", tile(index)?),
        37..=73 => format!("riichi {}", tile(index - 37)?),
        74 => "tsumo".into(),
        75 => "ron".into(),
        76 => "kita".into(),
        77..=110 => format!("ankan {}", tile(index - 77)?),
        111..=144 => format!("kakan {}", tile(index - 111)?),
        145 => "pon".into(),
        146 => "pon (red five)".into(),
        147 => "daiminkan".into(),
        148 => "kyuushu".into(),
        149 => "pass".into(),
        _ => return None,
    })
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Action::Discard {
                tile,
                tsumogiri: false,
            } => write!(f, "discard {tile}"),
            Action::Discard {
                tile,
                tsumogiri: true,
            } => write!(f, "tsumogiri {tile}"),
            Action::Riichi { tile, .. } => write!(f, "riichi {tile}"),
            Action::Tsumo => f.write_str("tsumo"),
            Action::Kita => f.write_str("kita"),
            Action::Ankan { tile } => write!(f, "ankan {tile}"),
            Action::Kakan { tile } => write!(f, "kakan {tile}"),
            Action::Kyuushu => f.write_str("kyuushu"),
            Action::Ron => f.write_str("ron"),
            Action::Pon { consumed } => write!(f, "pon {}{}", consumed[0], consumed[1]),
            Action::Daiminkan => f.write_str("daiminkan"),
            Action::Pass => f.write_str("pass"),
        }
    }
}

/// Why an action was refused. The game state is unchanged.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IllegalAction {
    /// Who tried.
    pub seat: Seat,
    /// What they tried.
    pub action: Action,
    /// Why it is not allowed now.
    pub reason: String,
}

impl fmt::Display for IllegalAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "seat {} cannot {}: {}",
            self.seat, self.action, self.reason
        )
    }
}

impl std::error::Error for IllegalAction {}

#[cfg(test)]
mod index_name_tests {
    use super::*;

    #[test]
    fn every_index_is_named_like_its_action() {
        let five_pin = Tile::red_five(meowlab_hand::Suit::Pin).unwrap();
        let discard = Action::Discard {
            tile: five_pin,
            tsumogiri: false,
        };
        assert_eq!(index_name(discard.index()).unwrap(), discard.to_string());
        let riichi = Action::Riichi {
            tile: Tile::NORTH,
            tsumogiri: true,
        };
        assert_eq!(index_name(riichi.index()).unwrap(), riichi.to_string());
        assert_eq!(
            index_name(Action::Ankan { tile: Tile::EAST }.index()).unwrap(),
            "ankan 1z"
        );
        assert_eq!(index_name(Action::Pass.index()).unwrap(), "pass");
        assert!((0..ACTION_SPACE as u16).all(|i| index_name(i).is_some()));
        assert_eq!(index_name(ACTION_SPACE as u16), None);
    }
}
