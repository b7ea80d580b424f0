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
pub const ACTION_SPACE: usize = layout::PASS as usize + 1;

impl Action {
    /// A stable index for logs and models: 0–36 discard (raw tile; red fives 34–36),
    /// 37–73 riichi with that discard, 74 tsumo, 75 ron, 76 kita, 77–110 ankan of a kind,
    /// 111–144 kakan of a kind, 145 pon with two plain tiles, 146 pon with a red five,
    /// 147 daiminkan, 148 kyuushu, 149 pass ([`layout`]; tsumogiri is logged separately).
    /// [`IndexedAction::from_index`] reads one back.
    pub fn index(self) -> u16 {
        IndexedAction::from(self).index()
    }
}

/// A readable name of an action index (see [`Action::index`]): "discard 0p", "riichi 9s",
/// "ankan E", "pon (red five)", "pass"; `None` outside the action space. For plots and
/// tables of logged policies, where only indices are stored.
pub fn index_name(index: u16) -> Option<String> {
    IndexedAction::from_index(index).map(|a| a.to_string())
}

/// The action-index layout (see [`Action::index`]): the first index of each range. The one
/// place these numbers are written; readers of logged indices decode them with
/// [`IndexedAction::from_index`].
pub mod layout {
    /// 0–36: discard a raw tile (red fives 34–36).
    pub const DISCARD: u16 = 0;
    /// 37–73: riichi with that discard.
    pub const RIICHI: u16 = 37;
    /// Tsumo.
    pub const TSUMO: u16 = 74;
    /// Ron.
    pub const RON: u16 = 75;
    /// Kita (nukidora).
    pub const KITA: u16 = 76;
    /// 77–110: ankan of a tile kind.
    pub const ANKAN: u16 = 77;
    /// 111–144: kakan of a tile kind.
    pub const KAKAN: u16 = 111;
    /// Pon with two plain tiles.
    pub const PON: u16 = 145;
    /// Pon using a red five.
    pub const PON_RED: u16 = 146;
    /// Daiminkan.
    pub const DAIMINKAN: u16 = 147;
    /// Kyuushu kyuuhai.
    pub const KYUUSHU: u16 = 148;
    /// Pass.
    pub const PASS: u16 = 149;
    /// Raw tiles (34 kinds + 3 red fives).
    pub const RAW_TILES: u16 = 37;
    /// Tile kinds.
    pub const KINDS: u16 = 34;
}

/// What a logged action index stands for: [`Action::index`] read back, without what the
/// index leaves out (tsumogiri; which two tiles a pon uses).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IndexedAction {
    /// Discard this raw tile (a red five is its own tile).
    Discard(Tile),
    /// Riichi, discarding this raw tile.
    Riichi(Tile),
    /// Win on the drawn tile.
    Tsumo,
    /// Win on another player's tile.
    Ron,
    /// Set a North aside.
    Kita,
    /// Concealed kan of this kind.
    Ankan(Tile),
    /// Added kan of this kind.
    Kakan(Tile),
    /// Pon; `red` when a red five is among the two hand tiles.
    Pon {
        /// Uses a red five.
        red: bool,
    },
    /// Open kan on a discard.
    Daiminkan,
    /// Abort with nine terminals and honours.
    Kyuushu,
    /// Decline.
    Pass,
}

/// A raw tile index (0–33 kinds, 34–36 red 5m/5p/5s) as a tile.
fn raw_tile(raw: u16) -> Option<Tile> {
    match raw {
        0..=33 => Tile::from_index(raw as usize),
        34 => Tile::red_five(meowlab_hand::Suit::Man),
        35 => Tile::red_five(meowlab_hand::Suit::Pin),
        36 => Tile::red_five(meowlab_hand::Suit::Sou),
        _ => None,
    }
}

impl IndexedAction {
    /// Decodes an index; `None` outside the action space.
    pub fn from_index(index: u16) -> Option<IndexedAction> {
        use layout::*;
        Some(match index {
            i if i < RIICHI => IndexedAction::Discard(raw_tile(i - DISCARD)?),
            i if i < TSUMO => IndexedAction::Riichi(raw_tile(i - RIICHI)?),
            TSUMO => IndexedAction::Tsumo,
            RON => IndexedAction::Ron,
            KITA => IndexedAction::Kita,
            i if (ANKAN..KAKAN).contains(&i) => IndexedAction::Ankan(raw_tile(i - ANKAN)?),
            i if (KAKAN..PON).contains(&i) => IndexedAction::Kakan(raw_tile(i - KAKAN)?),
            PON => IndexedAction::Pon { red: false },
            PON_RED => IndexedAction::Pon { red: true },
            DAIMINKAN => IndexedAction::Daiminkan,
            KYUUSHU => IndexedAction::Kyuushu,
            PASS => IndexedAction::Pass,
            _ => return None,
        })
    }

    /// The index (the inverse of [`IndexedAction::from_index`]).
    pub fn index(self) -> u16 {
        use layout::*;
        match self {
            IndexedAction::Discard(tile) => DISCARD + tile.raw() as u16,
            IndexedAction::Riichi(tile) => RIICHI + tile.raw() as u16,
            IndexedAction::Tsumo => TSUMO,
            IndexedAction::Ron => RON,
            IndexedAction::Kita => KITA,
            IndexedAction::Ankan(tile) => ANKAN + tile.index() as u16,
            IndexedAction::Kakan(tile) => KAKAN + tile.index() as u16,
            IndexedAction::Pon { red: false } => PON,
            IndexedAction::Pon { red: true } => PON_RED,
            IndexedAction::Daiminkan => DAIMINKAN,
            IndexedAction::Kyuushu => KYUUSHU,
            IndexedAction::Pass => PASS,
        }
    }

    /// The tile a discard or riichi discards.
    pub fn discarded(self) -> Option<Tile> {
        match self {
            IndexedAction::Discard(tile) | IndexedAction::Riichi(tile) => Some(tile),
            _ => None,
        }
    }

    /// An ankan or kakan.
    pub fn is_closed_or_added_kan(self) -> bool {
        matches!(self, IndexedAction::Ankan(_) | IndexedAction::Kakan(_))
    }

    /// A pon (with or without a red five).
    pub fn is_pon(self) -> bool {
        matches!(self, IndexedAction::Pon { .. })
    }
}

impl fmt::Display for IndexedAction {
    /// "discard 0p", "riichi 9s", "ankan 1z", "pon (red five)", "pass".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IndexedAction::Discard(tile) => write!(f, "discard {tile}"),
            IndexedAction::Riichi(tile) => write!(f, "riichi {tile}"),
            IndexedAction::Tsumo => f.write_str("tsumo"),
            IndexedAction::Ron => f.write_str("ron"),
            IndexedAction::Kita => f.write_str("kita"),
            IndexedAction::Ankan(tile) => write!(f, "ankan {tile}"),
            IndexedAction::Kakan(tile) => write!(f, "kakan {tile}"),
            IndexedAction::Pon { red: false } => f.write_str("pon"),
            IndexedAction::Pon { red: true } => f.write_str("pon (red five)"),
            IndexedAction::Daiminkan => f.write_str("daiminkan"),
            IndexedAction::Kyuushu => f.write_str("kyuushu"),
            IndexedAction::Pass => f.write_str("pass"),
        }
    }
}

impl From<Action> for IndexedAction {
    fn from(action: Action) -> IndexedAction {
        match action {
            Action::Discard { tile, .. } => IndexedAction::Discard(tile),
            Action::Riichi { tile, .. } => IndexedAction::Riichi(tile),
            Action::Tsumo => IndexedAction::Tsumo,
            Action::Ron => IndexedAction::Ron,
            Action::Kita => IndexedAction::Kita,
            Action::Ankan { tile } => IndexedAction::Ankan(tile.kind()),
            Action::Kakan { tile } => IndexedAction::Kakan(tile.kind()),
            Action::Pon { consumed } => IndexedAction::Pon {
                red: consumed.iter().any(|t| t.is_red()),
            },
            Action::Daiminkan => IndexedAction::Daiminkan,
            Action::Kyuushu => IndexedAction::Kyuushu,
            Action::Pass => IndexedAction::Pass,
        }
    }
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
        for i in 0..ACTION_SPACE as u16 {
            assert_eq!(IndexedAction::from_index(i).unwrap().index(), i);
        }
        assert_eq!(IndexedAction::from_index(layout::PASS + 1), None);
        assert_eq!(
            IndexedAction::from(Action::Kakan { tile: five_pin }),
            IndexedAction::Kakan(five_pin.kind())
        );
        assert_eq!(index_name(ACTION_SPACE as u16), None);
    }
}
