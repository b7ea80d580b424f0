//! Tiles: 34-kind indexing, red fives, 136-ids, mpsz / tenhou / mjai notation.

use std::fmt;

use crate::error::{TileError, TileErrorKind};

/// Number of tile kinds in 4-player mahjong. Sanma uses 27 of them; every count array
/// keeps all 34 so encodings stay compatible with 4-player data.
pub const NUM_KINDS: usize = 34;

/// Count of each tile kind, indexed by [`Tile::index`].
pub type Counts = [u8; NUM_KINDS];

/// Which game the tiles belong to; decides which kinds exist.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Variant {
    /// 3-player: 2m–8m are removed, red fives only in pin and sou.
    #[default]
    Sanma,
    /// 4-player: all 34 kinds, red fives in every suit.
    Yonma,
}

impl Variant {
    /// Whether tiles of this kind exist in the wall.
    pub const fn has_kind(self, kind: Tile) -> bool {
        match self {
            Variant::Yonma => true,
            Variant::Sanma => !(kind.0 >= 1 && kind.0 <= 7),
        }
    }

    /// Whether a red five of `suit` exists.
    pub const fn has_red(self, suit: Suit) -> bool {
        match self {
            Variant::Yonma => !matches!(suit, Suit::Honor),
            Variant::Sanma => matches!(suit, Suit::Pin | Suit::Sou),
        }
    }

    /// The kinds that exist, in index order (27 for sanma, 34 for yonma).
    pub fn kinds(self) -> impl Iterator<Item = Tile> {
        (0..NUM_KINDS as u8)
            .map(Tile)
            .filter(move |&t| self.has_kind(t))
    }
}

/// A suit; honours are a suit of their own for indexing purposes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Suit {
    /// Characters (m).
    Man,
    /// Circles (p).
    Pin,
    /// Bamboo (s).
    Sou,
    /// Winds and dragons (z).
    Honor,
}

impl Suit {
    const fn letter(self) -> char {
        match self {
            Suit::Man => 'm',
            Suit::Pin => 'p',
            Suit::Sou => 's',
            Suit::Honor => 'z',
        }
    }

    const fn base(self) -> u8 {
        match self {
            Suit::Man => 0,
            Suit::Pin => 9,
            Suit::Sou => 18,
            Suit::Honor => 27,
        }
    }
}

/// One tile. Values 0..34 are the kinds in the order 1m..9m, 1p..9p, 1s..9s,
/// E S W N haku hatsu chun; 34, 35, 36 are the red fives 0m, 0p, 0s.
///
/// Red fives are separate values (not a flag) so a hand's tiles stay one byte each;
/// [`Tile::kind`] folds a red five onto its plain kind for counting.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tile(u8);

impl Tile {
    /// East wind.
    pub const EAST: Tile = Tile(27);
    /// South wind.
    pub const SOUTH: Tile = Tile(28);
    /// West wind.
    pub const WEST: Tile = Tile(29);
    /// North wind (set aside as Kita / nukidora in sanma).
    pub const NORTH: Tile = Tile(30);
    /// White dragon.
    pub const HAKU: Tile = Tile(31);
    /// Green dragon.
    pub const HATSU: Tile = Tile(32);
    /// Red dragon.
    pub const CHUN: Tile = Tile(33);

    /// The plain kind with this index (0..34); `None` when out of range.
    pub const fn from_index(index: usize) -> Option<Tile> {
        if index < NUM_KINDS {
            Some(Tile(index as u8))
        } else {
            None
        }
    }

    /// The plain kind with this index. Panics when `index >= 34`: for internal loops only.
    pub(crate) const fn kind_unchecked(index: usize) -> Tile {
        assert!(index < NUM_KINDS);
        Tile(index as u8)
    }

    /// The red five of a number suit.
    pub const fn red_five(suit: Suit) -> Option<Tile> {
        match suit {
            Suit::Man => Some(Tile(34)),
            Suit::Pin => Some(Tile(35)),
            Suit::Sou => Some(Tile(36)),
            Suit::Honor => None,
        }
    }

    /// A tile from its suit and number (1–9 for suits, 1–7 for honours); 0 means the red five.
    pub const fn from_suit_number(suit: Suit, number: u8) -> Option<Tile> {
        match (suit, number) {
            (Suit::Honor, 1..=7) => Some(Tile(27 + number - 1)),
            (Suit::Honor, _) => None,
            (_, 0) => Tile::red_five(suit),
            (_, 1..=9) => Some(Tile(suit.base() + number - 1)),
            _ => None,
        }
    }

    /// The raw value (0..37, red fives at 34..37).
    pub const fn raw(self) -> u8 {
        self.0
    }

    /// The plain kind: red fives fold onto 5m/5p/5s.
    pub const fn kind(self) -> Tile {
        match self.0 {
            34 => Tile(4),
            35 => Tile(13),
            36 => Tile(22),
            k => Tile(k),
        }
    }

    /// Index of the plain kind, 0..34, for count arrays.
    pub const fn index(self) -> usize {
        self.kind().0 as usize
    }

    /// Whether this is a red five.
    pub const fn is_red(self) -> bool {
        self.0 >= 34
    }

    /// The suit.
    pub const fn suit(self) -> Suit {
        match self.kind().0 {
            0..=8 => Suit::Man,
            9..=17 => Suit::Pin,
            18..=26 => Suit::Sou,
            _ => Suit::Honor,
        }
    }

    /// Number within the suit: 1–9, or 1–7 for honours (red fives are 5).
    pub const fn number(self) -> u8 {
        let k = self.kind().0;
        if k >= 27 {
            k - 27 + 1
        } else {
            k % 9 + 1
        }
    }

    /// Winds and dragons.
    pub const fn is_honor(self) -> bool {
        self.kind().0 >= 27
    }

    /// Ones and nines of the number suits.
    pub const fn is_terminal(self) -> bool {
        !self.is_honor() && matches!(self.number(), 1 | 9)
    }

    /// Terminals and honours (yaochuuhai).
    pub const fn is_terminal_or_honor(self) -> bool {
        self.is_honor() || self.is_terminal()
    }

    /// Twos to eights (tanyao tiles).
    pub const fn is_simple(self) -> bool {
        !self.is_terminal_or_honor()
    }

    /// Dragons (haku, hatsu, chun).
    pub const fn is_dragon(self) -> bool {
        self.kind().0 >= 31
    }

    /// Winds (E S W N).
    pub const fn is_wind(self) -> bool {
        matches!(self.kind().0, 27..=30)
    }

    /// The dora that this tile indicates. Sanma wraps 1m → 9m → 1m (2m–8m do not exist);
    /// other suits wrap 9 → 1; winds E→S→W→N→E; dragons haku→hatsu→chun→haku.
    pub const fn dora_from_indicator(self, variant: Variant) -> Tile {
        let k = self.kind().0;
        let next = match k {
            0 if matches!(variant, Variant::Sanma) => 8,
            8 | 17 | 26 => k - 8,
            30 => 27,
            33 => 31,
            _ => k + 1,
        };
        Tile(next)
    }

    /// The 136-id convention (kind = id / 4; ids 16, 52, 88 are the red fives when `aka`).
    pub const fn from_id136(id: u8, aka: bool) -> Option<Tile> {
        if id >= 136 {
            return None;
        }
        if aka {
            match id {
                16 => return Some(Tile(34)),
                52 => return Some(Tile(35)),
                88 => return Some(Tile(36)),
                _ => {}
            }
        }
        Some(Tile(id / 4))
    }

    /// Tenhou's numeric code: 11–19 man, 21–29 pin, 31–39 sou, 41–47 honours, 51–53 red.
    pub const fn tenhou_code(self) -> u8 {
        match self.0 {
            34 => 51,
            35 => 52,
            36 => 53,
            k => {
                let suit = k / 9;
                let num = k % 9 + 1;
                (suit + 1) * 10 + num
            }
        }
    }

    /// Parses a tenhou code (see [`Tile::tenhou_code`]).
    pub const fn from_tenhou_code(code: u8) -> Option<Tile> {
        match code {
            11..=19 => Some(Tile(code - 11)),
            21..=29 => Some(Tile(code - 21 + 9)),
            31..=39 => Some(Tile(code - 31 + 18)),
            41..=47 => Some(Tile(code - 41 + 27)),
            51 => Some(Tile(34)),
            52 => Some(Tile(35)),
            53 => Some(Tile(36)),
            _ => None,
        }
    }

    /// The mjai name: "1m".."9m", "5pr" for a red five, "E" "S" "W" "N" "P" "F" "C".
    pub fn mjai(self) -> &'static str {
        const NAMES: [&str; 37] = [
            "1m", "2m", "3m", "4m", "5m", "6m", "7m", "8m", "9m", "1p", "2p", "3p", "4p", "5p",
            "6p", "7p", "8p", "9p", "1s", "2s", "3s", "4s", "5s", "6s", "7s", "8s", "9s", "E", "S",
            "W", "N", "P", "F", "C", "5mr", "5pr", "5sr",
        ];
        NAMES[self.0 as usize]
    }

    /// Parses an mjai tile name (see [`Tile::mjai`]).
    pub fn from_mjai(name: &str) -> Option<Tile> {
        (0..37u8).map(Tile).find(|t| t.mjai() == name)
    }
}

impl fmt::Display for Tile {
    /// mpsz notation of one tile: "1m", "0p" (red five), "7z".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let number = if self.is_red() { 0 } else { self.number() };
        write!(f, "{}{}", number, self.suit().letter())
    }
}

impl fmt::Debug for Tile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::str::FromStr for Tile {
    type Err = TileError;

    /// Parses one tile in mpsz notation ("5p", "0s", "3z").
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let tiles = parse_tiles(s)?;
        match tiles.as_slice() {
            [t] => Ok(*t),
            _ => Err(TileError::new(s, 0, TileErrorKind::NotOneTile(tiles.len()))),
        }
    }
}

/// Parses mpsz notation ("19m123456789p0s1234567z"; 0 = red five; spaces allowed)
/// without checking copies or the variant. See [`parse_hand`] for a checked hand.
pub fn parse_tiles(s: &str) -> Result<Vec<Tile>, TileError> {
    Ok(parse_with_positions(s)?
        .into_iter()
        .map(|(t, _)| t)
        .collect())
}

/// Parses mpsz notation, keeping the byte position of each tile's digit.
fn parse_with_positions(s: &str) -> Result<Vec<(Tile, usize)>, TileError> {
    let mut tiles = Vec::with_capacity(14);
    // (digit, its byte position) waiting for a suit letter
    let mut pending: Vec<(u8, usize)> = Vec::with_capacity(14);
    for (pos, ch) in s.char_indices() {
        match ch {
            '0'..='9' => pending.push((ch as u8 - b'0', pos)),
            'm' | 'p' | 's' | 'z' => {
                let suit = match ch {
                    'm' => Suit::Man,
                    'p' => Suit::Pin,
                    's' => Suit::Sou,
                    _ => Suit::Honor,
                };
                if pending.is_empty() {
                    return Err(TileError::new(s, pos, TileErrorKind::SuitWithoutDigits(ch)));
                }
                for &(digit, digit_pos) in &pending {
                    let tile = Tile::from_suit_number(suit, digit).ok_or_else(|| {
                        TileError::new(s, digit_pos, TileErrorKind::NoSuchTile(digit, ch))
                    })?;
                    tiles.push((tile, digit_pos));
                }
                pending.clear();
            }
            c if c.is_whitespace() => {}
            c => return Err(TileError::new(s, pos, TileErrorKind::UnknownChar(c))),
        }
    }
    if let Some(&(_, pos)) = pending.first() {
        return Err(TileError::new(s, pos, TileErrorKind::DigitsWithoutSuit));
    }
    Ok(tiles)
}

/// Checks that `tiles` can exist together in one `variant` game: no 5th copy, at most one
/// red five per suit, no tile the variant removed (2m–8m and 0m in sanma).
/// Errors name the offending tile and its position in `tiles`.
/// `source` describes where the tiles came from and is part of the error message.
pub fn check_tiles(tiles: &[Tile], variant: Variant, source: &str) -> Result<(), TileError> {
    check_kinds(tiles, variant).map_err(|(pos, kind)| TileError::new(source, pos, kind))
}

fn check_kinds(tiles: &[Tile], variant: Variant) -> Result<(), (usize, TileErrorKind)> {
    let mut counts = [0u8; NUM_KINDS];
    let mut reds = [false; 3];
    for (pos, &tile) in tiles.iter().enumerate() {
        if !variant.has_kind(tile.kind()) || (tile.is_red() && !variant.has_red(tile.suit())) {
            return Err((pos, TileErrorKind::NotInVariant(tile, variant)));
        }
        let c = &mut counts[tile.index()];
        *c += 1;
        if *c > 4 {
            return Err((pos, TileErrorKind::FifthCopy(tile.kind())));
        }
        if tile.is_red() {
            let r = &mut reds[(tile.raw() - 34) as usize];
            if *r {
                return Err((pos, TileErrorKind::SecondRedFive(tile)));
            }
            *r = true;
        }
    }
    Ok(())
}

/// Counts tiles by kind (red fives count as their plain kind).
pub fn counts_of(tiles: &[Tile]) -> Counts {
    let mut counts = [0u8; NUM_KINDS];
    for t in tiles {
        counts[t.index()] = counts[t.index()].saturating_add(1);
    }
    counts
}

/// Writes tiles in compact mpsz notation, grouped by suit in the given order
/// (e.g. `[1m, 9m, 1p]` → "19m1p").
pub fn to_mpsz(tiles: &[Tile]) -> String {
    let mut out = String::with_capacity(tiles.len() + 4);
    let mut i = 0;
    while i < tiles.len() {
        let suit = tiles[i].suit();
        let mut j = i;
        while j < tiles.len() && tiles[j].suit() == suit {
            let t = tiles[j];
            out.push(char::from(b'0' + if t.is_red() { 0 } else { t.number() }));
            j += 1;
        }
        out.push(suit.letter());
        i = j;
    }
    out
}

/// Writes a count array in mpsz notation, sorted ("19m" style).
pub fn counts_to_mpsz(counts: &Counts) -> String {
    let tiles: Vec<Tile> = (0..NUM_KINDS)
        .flat_map(|i| std::iter::repeat_n(Tile(i as u8), counts[i] as usize))
        .collect();
    to_mpsz(&tiles)
}

/// A checked set of tiles (a hand or part of one).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tiles {
    tiles: Vec<Tile>,
}

impl Tiles {
    /// The tiles in input order.
    pub fn as_slice(&self) -> &[Tile] {
        &self.tiles
    }

    /// Counts by kind.
    pub fn counts(&self) -> Counts {
        counts_of(&self.tiles)
    }

    /// Number of red fives.
    pub fn red_count(&self) -> u8 {
        self.tiles.iter().filter(|t| t.is_red()).count() as u8
    }

    /// Number of tiles.
    pub fn len(&self) -> usize {
        self.tiles.len()
    }

    /// Whether there are no tiles.
    pub fn is_empty(&self) -> bool {
        self.tiles.is_empty()
    }
}

/// Parses and checks a hand in mpsz notation for `variant` (see [`parse_tiles`] and
/// [`check_tiles`]).
pub fn parse_hand(s: &str, variant: Variant) -> Result<Tiles, TileError> {
    let parsed = parse_with_positions(s)?;
    let tiles: Vec<Tile> = parsed.iter().map(|&(t, _)| t).collect();
    check_kinds(&tiles, variant).map_err(|(i, kind)| TileError::new(s, parsed[i].1, kind))?;
    Ok(Tiles { tiles })
}

/// Assigns 136-ids to tiles: red fives get 16/52/88, other copies the lowest free id of
/// their kind (skipping the red id when `aka`). Errors on a 5th copy.
pub fn to_ids136(tiles: &[Tile], aka: bool) -> Result<Vec<u8>, TileError> {
    let mut used = [0u8; NUM_KINDS];
    let mut out = Vec::with_capacity(tiles.len());
    for (pos, &t) in tiles.iter().enumerate() {
        let base = t.index() as u8 * 4;
        if t.is_red() {
            out.push(base);
            continue;
        }
        let is_five = t.number() == 5 && !t.is_honor();
        let mut copy = used[t.index()];
        if aka && is_five {
            copy += 1; // copy 0 is the red five
        }
        if copy >= 4 {
            return Err(TileError::new(
                "136-id assignment",
                pos,
                TileErrorKind::FifthCopy(t),
            ));
        }
        used[t.index()] += 1;
        out.push(base + copy);
    }
    Ok(out)
}

/// Tiles serialise as their mjai names ("5pr", "E") so event logs read naturally.
impl serde::Serialize for Tile {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.mjai())
    }
}

impl<'de> serde::Deserialize<'de> for Tile {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Tile::from_mjai(&name).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "{name:?} is not an mjai tile name (1m..9s, E S W N P F C, 5pr)"
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mpsz_round_trip() {
        let s = "19m123456789p0s1234567z";
        let tiles = parse_tiles(s).unwrap();
        assert_eq!(tiles.len(), 19);
        assert_eq!(to_mpsz(&tiles), s);
        assert!(tiles[11].is_red());
        assert_eq!(tiles[11].kind(), "5s".parse().unwrap());
    }

    #[test]
    fn codes_round_trip() {
        for raw in 0..37u8 {
            let t = Tile(raw);
            assert_eq!(Tile::from_tenhou_code(t.tenhou_code()), Some(t));
            assert_eq!(Tile::from_mjai(t.mjai()), Some(t));
            assert_eq!(t.to_string().parse::<Tile>().unwrap(), t);
        }
        assert_eq!(Tile::from_tenhou_code(52), Some(Tile(35)));
        assert_eq!(Tile::EAST.tenhou_code(), 41);
        assert_eq!(Tile::from_id136(52, true), Some(Tile(35)));
        assert_eq!(Tile::from_id136(52, false), Some(Tile(13)));
        assert_eq!(Tile::from_id136(135, true), Some(Tile::CHUN));
        assert_eq!(Tile::from_id136(136, true), None);
    }

    #[test]
    fn ids136_assignment() {
        let tiles = parse_tiles("5550p").unwrap();
        assert_eq!(to_ids136(&tiles, true).unwrap(), vec![53, 54, 55, 52]);
        assert!(to_ids136(&parse_tiles("55550p").unwrap(), true).is_err());
    }

    #[test]
    fn dora_wraps() {
        let d = |s: &str| {
            s.parse::<Tile>()
                .unwrap()
                .dora_from_indicator(Variant::Sanma)
                .to_string()
        };
        assert_eq!(d("1m"), "9m");
        assert_eq!(d("9m"), "1m");
        assert_eq!(d("9p"), "1p");
        assert_eq!(d("0s"), "6s");
        assert_eq!(d("4z"), "1z");
        assert_eq!(d("3z"), "4z");
        assert_eq!(d("7z"), "5z");
        assert_eq!(
            Tile(0).dora_from_indicator(Variant::Yonma).to_string(),
            "2m"
        );
    }

    #[test]
    fn errors_say_what_and_where() {
        let e = parse_hand("19m11111p", Variant::Sanma).unwrap_err();
        assert_eq!(e.kind(), &TileErrorKind::FifthCopy("1p".parse().unwrap()));
        assert_eq!(e.position(), 7);
        assert!(e.to_string().contains("5th copy of 1p"), "{e}");

        let e = parse_hand("123m", Variant::Sanma).unwrap_err();
        assert!(matches!(e.kind(), TileErrorKind::NotInVariant(..)));
        assert_eq!(e.position(), 1);
        assert!(parse_hand("123m", Variant::Yonma).is_ok());
        assert!(parse_hand("0m", Variant::Sanma).is_err());

        let e = parse_tiles("12x").unwrap_err();
        assert_eq!(e.kind(), &TileErrorKind::UnknownChar('x'));
        assert_eq!(e.position(), 2);
        assert!(e.to_string().contains("position 2"), "{e}");

        assert_eq!(
            parse_tiles("8z").unwrap_err().kind(),
            &TileErrorKind::NoSuchTile(8, 'z')
        );
        assert_eq!(
            parse_tiles("123").unwrap_err().kind(),
            &TileErrorKind::DigitsWithoutSuit
        );
        assert_eq!(
            parse_tiles("m").unwrap_err().kind(),
            &TileErrorKind::SuitWithoutDigits('m')
        );
        assert!(matches!(
            parse_hand("00p", Variant::Sanma).unwrap_err().kind(),
            TileErrorKind::SecondRedFive(_)
        ));
    }
}
