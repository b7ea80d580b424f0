//! The Meowjong observation ("tile planes"): one seat's view as a 34×366 binary image.
//!
//! Rows are tile kinds (1m…9m, 1p…9p, 1s…9s, east south west north, haku hatsu chun;
//! 2m–8m stay empty in sanma). Columns are features (Zhao & Holden, *Building a 3-Player
//! Mahjong AI using Deep Reinforcement Learning*, CoG 2022, and their code
//! `data_processing/prepare_dataset.py`, `evaluation/agents/agent.py`):
//!
//! | columns | feature |
//! |---|---|
//! | 0 | target tile: the drawn tile (turn decisions), the offered tile (responses), the called tile (the discard after a pon) |
//! | 1–4 | own concealed hand *without the drawn tile*, thermometer: column 1+k set if the hand holds more than k |
//! | 5 | own red fives (in the hand, the drawn tile included, or in own melds), on the 5m/5p/5s row |
//! | 6–41 | own melds: 4 slots × 9 columns = 4 tile columns (3 for a pon) on the meld's row + 5-bit turn number of the declaration |
//! | 42–45 | own Kita: column 42+k set on the north row for the (k+1)-th Kita |
//! | 46–75 | own discards in order (called ones included), one-hot row |
//! | 76–80 | dora indicators in reveal order (red fives as plain fives) |
//! | 81–98 | riichi of the next player, the previous player, an empty 4th player: flag + 5-bit turn number |
//! | 99–142 | scores/100 at the start of the hand, 11 bits each, seats 0, 1, 2 (absolute), then an empty 4th |
//! | 143–146 | kyoku number in Tenhou's 4-player numbering (E1–E3 = 0–2, S1–S3 = 4–6, W1–W3 = 8–10) |
//! | 147–150 | honba |
//! | 151–154 | riichi deposits at the start of the hand |
//! | 155 | own seat wind, one-hot row |
//! | 156–365 | next player, previous player, empty 4th: 70 columns each = melds (36) + Kita (4) + discards (30) |
//!
//! Numbers are binary, most significant bit first, one whole column (all 34 rows) per 1
//! bit. The turn number is [`crate::Game::turn_number`]: the count of turns the dealer has
//! begun in this hand (Meowjong increments it whenever the dealer's turn comes, after a
//! live draw or a call). Deviations from the reference code are listed in [`DEVIATIONS`].
//!
//! ```
//! use meowlab_sanma::{planes, Game, Rules};
//! let game = Game::new(Rules::default(), 7);
//! let p = planes::encode(&game.view(0));
//! assert_eq!(planes::Planes::from_bytes(&p.to_bytes()).unwrap(), p);
//! assert_eq!(p.to_f32().len(), planes::ROWS * planes::COLS);
//! ```

use std::fmt;
use std::ops::Range;

use meowlab_hand::Tile;

use crate::action::Seat;
use crate::view::SeatView;

/// Rows: one per tile kind.
pub const ROWS: usize = 34;
/// Columns: features.
pub const COLS: usize = 366;
/// The version of this layout, recorded in every run that logs planes and on every model
/// card: a dataset or model from another layout is refused rather than misread. Bump it
/// whenever [`encode`] or the column map changes.
pub const ENCODER_VERSION: &str = "meowjong-34x366-v1";
/// Cells (bits) of one image.
pub const BITS: usize = ROWS * COLS;
/// Bytes of the packed image (`BITS` rounded up to whole bytes; 4 padding bits).
pub const BYTES: usize = BITS.div_ceil(8);

/// Where the reference code was not followed, and why.
pub const DEVIATIONS: &[&str] = &[
    "Dora indicators: prepare_dataset.py writes the *first* indicator into every later \
     indicator column (encode_dora_indicator reads dora_indicators[0]); we write the i-th \
     revealed indicator into column 76+i, as the simulator does.",
    "Seat wind: the code one-hots tile `self_index % 4` (the absolute seat: seat 0 always \
     East); we one-hot the real seat wind of this hand (the dealer is East). The absolute \
     seat stays recoverable from the wind and the kyoku number.",
    "Meld slots: prepare_dataset.py drops a closed kan from its slot list (the next meld \
     then overwrites its columns) and writes an added kan's turn into the last slot; we \
     keep one slot per meld in declaration order, and an added kan sets column 3 of its \
     pon's slot and rewrites that slot's turn bits (agent.py's corrected behaviour).",
    "Red fives: the code updates the red-five column only after the state is taken, so a \
     drawn red five was invisible (the target column maps red to plain); we include the \
     drawn tile. Red fives in own melds count, as in the code.",
    "Overflow: Python's bin() would widen a too-large number (and break on a negative \
     score); we saturate: turn numbers at 31, kyoku/honba/deposits at 15, score/100 \
     clamped to 0..=2047.",
    "Capacity: more than 30 discards or 4 melds per player cannot happen in sanma; extra \
     ones would be dropped instead of raising an IndexError.",
];

/// A 34×366 binary image, bit-packed row-major, most significant bit first: cell
/// (row, col) is bit `i = row * 366 + col`, stored in byte `i / 8` under the mask
/// `0x80 >> (i % 8)`. This is `numpy.packbits` of the flattened image (its default
/// big bit order) and the layout of the store's `observation` column; unpack with
/// `np.unpackbits(buf)[:12444].reshape(34, 366)`. The 4 padding bits are zero.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Planes {
    bits: [u8; BYTES],
}

/// The table state in an image ([`Planes::table_state`]); numbers saturate as the
/// encoding does (score/100 at 2047, honba and deposits at 15).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TableState {
    /// Scores of seats 0, 1, 2 at the start of the hand.
    pub scores: [i32; 3],
    /// Round: 0..=2 East 1–3, 3..=5 South 1–3, 6..=8 West 1–3.
    pub round: u8,
    /// Honba counters.
    pub honba: u32,
    /// Riichi deposits on the table at the start of the hand.
    pub deposits: u32,
    /// The seat whose view it is.
    pub seat: u8,
}

/// Why bytes are not a packed image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanesError {
    /// What is wrong.
    pub reason: String,
}

impl fmt::Display for PlanesError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "not a packed 34×366 observation: {}", self.reason)
    }
}

impl std::error::Error for PlanesError {}

impl Default for Planes {
    fn default() -> Self {
        Planes { bits: [0; BYTES] }
    }
}

impl fmt::Debug for Planes {
    /// The set cells as `row:col` ranges per row, e.g. `1p: 1-3 46`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut list = f.debug_map();
        for row in 0..ROWS {
            let cols: Vec<usize> = (0..COLS).filter(|&c| self.get(row, c)).collect();
            if !cols.is_empty() {
                list.entry(&row_name(row), &cols);
            }
        }
        list.finish()
    }
}

impl Planes {
    /// An all-zero image.
    pub fn new() -> Planes {
        Planes::default()
    }

    /// Cell (row, col). Panics when out of range.
    pub fn get(&self, row: usize, col: usize) -> bool {
        let i = index(row, col);
        self.bits[i / 8] & (0x80 >> (i % 8)) != 0
    }

    /// Sets cell (row, col). Panics when out of range.
    pub fn set(&mut self, row: usize, col: usize, value: bool) {
        let i = index(row, col);
        if value {
            self.bits[i / 8] |= 0x80 >> (i % 8);
        } else {
            self.bits[i / 8] &= !(0x80 >> (i % 8));
        }
    }

    /// Whether every row of column `col` is set (how numbers are written).
    pub fn column_set(&self, col: usize) -> bool {
        (0..ROWS).all(|r| self.get(r, col))
    }

    /// Number of set cells.
    pub fn count_ones(&self) -> u32 {
        self.bits.iter().map(|b| b.count_ones()).sum()
    }

    /// The packed bytes (see [`Planes`] for the bit order).
    pub fn as_bytes(&self) -> &[u8; BYTES] {
        &self.bits
    }

    /// The packed bytes, owned.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.bits.to_vec()
    }

    /// Reads packed bytes; refuses a wrong length or set padding bits.
    pub fn from_bytes(bytes: &[u8]) -> Result<Planes, PlanesError> {
        let bits: [u8; BYTES] = bytes.try_into().map_err(|_| PlanesError {
            reason: format!("{} bytes, expected {BYTES}", bytes.len()),
        })?;
        let pad_mask = (1u8 << (BYTES * 8 - BITS)) - 1;
        if bits[BYTES - 1] & pad_mask != 0 {
            return Err(PlanesError {
                reason: "padding bits are set".into(),
            });
        }
        Ok(Planes { bits })
    }

    /// Dense row-major floats (34 × 366), 0.0 or 1.0, for models.
    pub fn to_f32(&self) -> Vec<f32> {
        let mut out = vec![0.0; BITS];
        self.write_f32(&mut out);
        out
    }

    /// Writes the dense row-major floats into `out` (length [`BITS`]).
    pub fn write_f32(&self, out: &mut [f32]) {
        assert_eq!(out.len(), BITS, "write_f32 needs {BITS} floats");
        for (i, x) in out.iter_mut().enumerate() {
            *x = ((self.bits[i / 8] >> (7 - i % 8)) & 1) as f32;
        }
    }

    /// Writes the dense row-major cells into `out` (length [`BITS`]) as bytes 0 or 1: a
    /// numpy `uint8` image without a float copy.
    pub fn write_u8(&self, out: &mut [u8]) {
        assert_eq!(out.len(), BITS, "write_u8 needs {BITS} bytes");
        for (i, x) in out.iter_mut().enumerate() {
            *x = (self.bits[i / 8] >> (7 - i % 8)) & 1;
        }
    }

    /// The table state the image encodes (scores at the start of the hand, round,
    /// honba, deposits, own seat): what a value estimate of the final rank starts from.
    pub fn table_state(&self) -> TableState {
        let number = |col: usize, width: usize| {
            (0..width).fold(0u32, |n, j| n << 1 | u32::from(self.get(0, col + j)))
        };
        let kyoku = number(KYOKU, 4) as u8;
        let dealer = kyoku % 4;
        let wind = (27..30).position(|row| self.get(row, WIND)).unwrap_or(0) as u8;
        TableState {
            scores: [0, 1, 2].map(|s| 100 * number(SCORES + s * SCORE_BITS, SCORE_BITS) as i32),
            round: 3 * (kyoku / 4) + dealer,
            honba: number(HONBA, 4),
            deposits: number(DEPOSITS, 4),
            seat: (dealer + wind) % 3,
        }
    }

    /// Sets every row of column `col`.
    fn set_column(&mut self, col: usize) {
        for row in 0..ROWS {
            self.set(row, col, true);
        }
    }

    /// Writes `value` in `width` columns from `col`, most significant bit first,
    /// saturating at the largest value that fits.
    fn set_number(&mut self, col: usize, width: usize, value: u32) {
        let value = value.min((1 << width) - 1);
        for j in 0..width {
            if value >> (width - 1 - j) & 1 == 1 {
                self.set_column(col + j);
            }
        }
    }
}

fn index(row: usize, col: usize) -> usize {
    assert!(
        row < ROWS && col < COLS,
        "cell ({row}, {col}) is outside 34×366"
    );
    row * COLS + col
}

// ----- layout ------------------------------------------------------------------------

const TARGET: usize = 0;
const HAND: usize = 1;
const RED: usize = 5;
const OWN: usize = 6; // melds 6, Kita 42, discards 46
const DORA: usize = 76;
const RIICHI: usize = 81;
const SCORES: usize = 99;
const KYOKU: usize = 143;
const HONBA: usize = 147;
const DEPOSITS: usize = 151;
const WIND: usize = 155;
const OTHERS: usize = 156; // 70 columns per other player
const MELD_SLOT: usize = 9;
const MELDS_WIDTH: usize = 4 * MELD_SLOT;
const KITA_WIDTH: usize = 4;
const DISCARDS_WIDTH: usize = 30;
const PLAYER_WIDTH: usize = MELDS_WIDTH + KITA_WIDTH + DISCARDS_WIDTH;
const TURN_BITS: usize = 5;
const SCORE_BITS: usize = 11;

/// The tile the decision is about: the drawn tile on one's turn, the offered tile when
/// responding, the called tile when discarding after a pon; `None` when the seat is not
/// deciding (or after an open kan's replacement was not drawn).
pub fn target_tile(view: &SeatView) -> Option<Tile> {
    view.drawn().or_else(|| {
        if view.legal_actions().is_empty() {
            return None;
        }
        view.offered_tile()
            .or_else(|| view.melds(view.seat()).last().map(|m| m.tiles[0]))
    })
}

/// Encodes what `view`'s seat knows (see the module docs for the layout).
pub fn encode(view: &SeatView) -> Planes {
    let mut p = Planes::new();
    let me = view.seat();
    if let Some(t) = target_tile(view) {
        p.set(t.index(), TARGET, true);
    }
    let mut counts = view.hand_counts();
    if let Some(d) = view.drawn() {
        counts[d.index()] = counts[d.index()].saturating_sub(1);
    }
    for (row, &c) in counts.iter().enumerate() {
        for k in 0..(c as usize).min(4) {
            p.set(row, HAND + k, true);
        }
    }
    let meld_tiles = view
        .melds(me)
        .iter()
        .flat_map(|m| m.tiles().iter().copied());
    for t in view.hand().into_iter().chain(meld_tiles) {
        if t.is_red() {
            p.set(t.index(), RED, true);
        }
    }
    write_player(&mut p, view, me, OWN);
    for (i, t) in view.dora_indicators().iter().take(5).enumerate() {
        p.set(t.index(), DORA + i, true);
    }
    let others = [(me + 1) % 3, (me + 2) % 3];
    for (k, &seat) in others.iter().enumerate() {
        if let Some(turn) = view.riichi_turn(seat) {
            let col = RIICHI + k * (1 + TURN_BITS);
            p.set_column(col);
            p.set_number(col + 1, TURN_BITS, turn as u32);
        }
        write_player(&mut p, view, seat, OTHERS + k * PLAYER_WIDTH);
    }
    for (s, score) in view.kyoku_start_scores().iter().enumerate() {
        let hundreds = (score / 100).clamp(0, 2047) as u32;
        p.set_number(SCORES + s * SCORE_BITS, SCORE_BITS, hundreds);
    }
    let round = view.round() as u32;
    p.set_number(KYOKU, 4, 4 * (round / 3) + round % 3);
    p.set_number(HONBA, 4, view.honba());
    p.set_number(DEPOSITS, 4, view.kyoku_start_deposits());
    p.set(view.seat_wind().index(), WIND, true);
    p
}

/// Melds, Kita and discards of `seat` from column `col` (70 columns).
fn write_player(p: &mut Planes, view: &SeatView, seat: Seat, col: usize) {
    for (i, m) in view.melds(seat).iter().take(4).enumerate() {
        let slot = col + i * MELD_SLOT;
        for j in 0..m.tiles().len() {
            p.set(m.kind_tile().index(), slot + j, true);
        }
        p.set_number(slot + 4, TURN_BITS, m.turn as u32);
    }
    let kita = col + MELDS_WIDTH;
    for k in 0..(view.kita(seat) as usize).min(KITA_WIDTH) {
        p.set(Tile::NORTH.index(), kita + k, true);
    }
    let discards = kita + KITA_WIDTH;
    for (j, d) in view.discards(seat).iter().take(DISCARDS_WIDTH).enumerate() {
        p.set(d.tile.index(), discards + j, true);
    }
}

// ----- naming --------------------------------------------------------------------------

const ROW_NAMES: [&str; ROWS] = [
    "1m", "2m", "3m", "4m", "5m", "6m", "7m", "8m", "9m", "1p", "2p", "3p", "4p", "5p", "6p", "7p",
    "8p", "9p", "1s", "2s", "3s", "4s", "5s", "6s", "7s", "8s", "9s", "east", "south", "west",
    "north", "haku", "hatsu", "chun",
];

/// The tile kind of a row: "1m" … "9s", "east" … "north", "haku", "hatsu", "chun".
pub fn row_name(row: usize) -> &'static str {
    ROW_NAMES[row]
}

/// A group of columns: the unit of the column map and of feature attributions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FeatureBlock {
    /// Column 0: the drawn, offered or called tile.
    TargetTile,
    /// Columns 1–4: own concealed hand (without the drawn tile), thermometer.
    OwnHand,
    /// Column 5: own red fives.
    OwnRedFives,
    /// Columns 6–41: own melds (4 slots × 4 tiles + 5 turn bits).
    OwnMelds,
    /// Columns 42–45: own Kita.
    OwnKita,
    /// Columns 46–75: own discards in order.
    OwnDiscards,
    /// Columns 76–80: dora indicators.
    DoraIndicators,
    /// Columns 81–86: next player's riichi flag and turn.
    NextRiichi,
    /// Columns 87–92: previous player's riichi flag and turn.
    PreviousRiichi,
    /// Columns 93–98: the empty 4th player's riichi (always zero).
    EmptyRiichi,
    /// Columns 99–142: scores/100 at the start of the hand, 11 bits per seat.
    Scores,
    /// Columns 143–146: kyoku number (Tenhou numbering).
    Kyoku,
    /// Columns 147–150: honba.
    Honba,
    /// Columns 151–154: riichi deposits at the start of the hand.
    Deposits,
    /// Column 155: own seat wind.
    SeatWind,
    /// Columns 156–191: next player's melds.
    NextMelds,
    /// Columns 192–195: next player's Kita.
    NextKita,
    /// Columns 196–225: next player's discards.
    NextDiscards,
    /// Columns 226–261: previous player's melds.
    PreviousMelds,
    /// Columns 262–265: previous player's Kita.
    PreviousKita,
    /// Columns 266–295: previous player's discards.
    PreviousDiscards,
    /// Columns 296–331: the empty 4th player's melds (always zero).
    EmptyMelds,
    /// Columns 332–335: the empty 4th player's Kita (always zero).
    EmptyKita,
    /// Columns 336–365: the empty 4th player's discards (always zero).
    EmptyDiscards,
}

impl FeatureBlock {
    /// Every block, in column order; together they cover the 366 columns once.
    pub const ALL: [FeatureBlock; 24] = {
        use FeatureBlock::*;
        [
            TargetTile,
            OwnHand,
            OwnRedFives,
            OwnMelds,
            OwnKita,
            OwnDiscards,
            DoraIndicators,
            NextRiichi,
            PreviousRiichi,
            EmptyRiichi,
            Scores,
            Kyoku,
            Honba,
            Deposits,
            SeatWind,
            NextMelds,
            NextKita,
            NextDiscards,
            PreviousMelds,
            PreviousKita,
            PreviousDiscards,
            EmptyMelds,
            EmptyKita,
            EmptyDiscards,
        ]
    };

    /// Stable snake_case name (for files, notebooks and the GUI).
    pub fn name(self) -> &'static str {
        use FeatureBlock::*;
        match self {
            TargetTile => "target_tile",
            OwnHand => "own_hand",
            OwnRedFives => "own_red_fives",
            OwnMelds => "own_melds",
            OwnKita => "own_kita",
            OwnDiscards => "own_discards",
            DoraIndicators => "dora_indicators",
            NextRiichi => "next_riichi",
            PreviousRiichi => "previous_riichi",
            EmptyRiichi => "empty_riichi",
            Scores => "scores",
            Kyoku => "kyoku",
            Honba => "honba",
            Deposits => "deposits",
            SeatWind => "seat_wind",
            NextMelds => "next_melds",
            NextKita => "next_kita",
            NextDiscards => "next_discards",
            PreviousMelds => "previous_melds",
            PreviousKita => "previous_kita",
            PreviousDiscards => "previous_discards",
            EmptyMelds => "empty_melds",
            EmptyKita => "empty_kita",
            EmptyDiscards => "empty_discards",
        }
    }

    /// The columns of the block.
    pub fn columns(self) -> Range<usize> {
        use FeatureBlock::*;
        let player = |k: usize, part: Range<usize>| {
            OTHERS + k * PLAYER_WIDTH + part.start..OTHERS + k * PLAYER_WIDTH + part.end
        };
        let melds = 0..MELDS_WIDTH;
        let kita = MELDS_WIDTH..MELDS_WIDTH + KITA_WIDTH;
        let discards = MELDS_WIDTH + KITA_WIDTH..PLAYER_WIDTH;
        let riichi = |k: usize| RIICHI + k * 6..RIICHI + (k + 1) * 6;
        match self {
            TargetTile => TARGET..HAND,
            OwnHand => HAND..RED,
            OwnRedFives => RED..OWN,
            OwnMelds => OWN..OWN + MELDS_WIDTH,
            OwnKita => OWN + MELDS_WIDTH..OWN + MELDS_WIDTH + KITA_WIDTH,
            OwnDiscards => OWN + MELDS_WIDTH + KITA_WIDTH..DORA,
            DoraIndicators => DORA..RIICHI,
            NextRiichi => riichi(0),
            PreviousRiichi => riichi(1),
            EmptyRiichi => riichi(2),
            Scores => SCORES..KYOKU,
            Kyoku => KYOKU..HONBA,
            Honba => HONBA..DEPOSITS,
            Deposits => DEPOSITS..WIND,
            SeatWind => WIND..OTHERS,
            NextMelds => player(0, melds),
            NextKita => player(0, kita),
            NextDiscards => player(0, discards),
            PreviousMelds => player(1, melds),
            PreviousKita => player(1, kita),
            PreviousDiscards => player(1, discards),
            EmptyMelds => player(2, melds),
            EmptyKita => player(2, kita),
            EmptyDiscards => player(2, discards),
        }
    }

    /// Whether the block is always zero in sanma (the empty 4th player).
    pub fn always_empty(self) -> bool {
        use FeatureBlock::*;
        matches!(self, EmptyRiichi | EmptyMelds | EmptyKita | EmptyDiscards)
    }
}

/// Every block with its name and columns, in column order.
pub fn blocks() -> Vec<(FeatureBlock, &'static str, Range<usize>)> {
    FeatureBlock::ALL
        .iter()
        .map(|&b| (b, b.name(), b.columns()))
        .collect()
}

/// One column of the image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ColumnInfo {
    /// Column index, 0..366.
    pub column: usize,
    /// The block it belongs to.
    pub block: FeatureBlock,
    /// What a set cell means, e.g. "own meld 2, tile 3" or "score of seat 1, bit 7 (MSB=10)".
    pub meaning: String,
}

/// Names every one of the 366 columns, in order.
pub fn column_map() -> Vec<ColumnInfo> {
    let mut out = Vec::with_capacity(COLS);
    for block in FeatureBlock::ALL {
        for column in block.columns() {
            let meaning = describe(block, column - block.columns().start);
            out.push(ColumnInfo {
                column,
                block,
                meaning,
            });
        }
    }
    out
}

/// `bit j` of a `width`-bit number written MSB first, as "bit b (MSB=width-1)".
fn bit(j: usize, width: usize) -> String {
    format!("bit {} (MSB={})", width - 1 - j, width - 1)
}

fn describe(block: FeatureBlock, j: usize) -> String {
    use FeatureBlock::*;
    let who = |b: FeatureBlock| match b {
        OwnMelds | OwnKita | OwnDiscards => "own",
        NextRiichi | NextMelds | NextKita | NextDiscards => "next player (shimocha)",
        PreviousRiichi | PreviousMelds | PreviousKita | PreviousDiscards => {
            "previous player (kamicha)"
        }
        _ => "empty 4th player",
    };
    match block {
        TargetTile => "target tile (drawn, offered or called tile)".into(),
        OwnHand => format!("own hand holds more than {j} of the kind"),
        OwnRedFives => "own red five of the suit (hand or melds)".into(),
        OwnMelds | NextMelds | PreviousMelds | EmptyMelds => {
            let (slot, c) = (j / MELD_SLOT + 1, j % MELD_SLOT);
            if c < 4 {
                format!("{} meld {slot}, tile {}", who(block), c + 1)
            } else {
                format!("{} meld {slot}, turn {}", who(block), bit(c - 4, TURN_BITS))
            }
        }
        OwnKita | NextKita | PreviousKita | EmptyKita => format!("{} Kita {}", who(block), j + 1),
        OwnDiscards | NextDiscards | PreviousDiscards | EmptyDiscards => {
            format!("{} discard {}", who(block), j + 1)
        }
        DoraIndicators => format!("dora indicator {}", j + 1),
        NextRiichi | PreviousRiichi | EmptyRiichi if j == 0 => {
            format!("{} riichi flag", who(block))
        }
        NextRiichi | PreviousRiichi | EmptyRiichi => {
            format!("{} riichi turn, {}", who(block), bit(j - 1, TURN_BITS))
        }
        Scores => {
            let (s, b) = (j / SCORE_BITS, j % SCORE_BITS);
            let whose = if s < 3 {
                format!("seat {s}")
            } else {
                "the empty 4th player".into()
            };
            format!(
                "score/100 of {whose} at the start of the hand, {}",
                bit(b, SCORE_BITS)
            )
        }
        Kyoku => format!("kyoku number (E1=0, S1=4, W1=8), {}", bit(j, 4)),
        Honba => format!("honba, {}", bit(j, 4)),
        Deposits => format!("riichi deposits at the start of the hand, {}", bit(j, 4)),
        SeatWind => "own seat wind".into(),
    }
}
