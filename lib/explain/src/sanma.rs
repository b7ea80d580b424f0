//! Sanma decisions as Shapley games. The players are groups of cells of the 34×366 tile
//! planes ([`PlayerSet`]): the 20 feature blocks that can be non-zero in sanma (own hand,
//! own melds, own Kita, own discards, dora indicators, each opponent's riichi / melds /
//! Kita / discards, scores, round, honba, deposits, seat wind, the target tile), or the
//! same with the own hand split per tile kind (which tiles drive a discard). Coalitions
//! are conditioned by the caller: on-manifold by exact matching over logged decisions
//! ([`BlockIndex`]), by a learned surrogate, or interventionally (the model glue in
//! `meowlab-meowjong`).

use std::fmt;
use std::ops::Range;
use std::str::FromStr;

use meowlab_sanma::planes::{self, FeatureBlock, Planes, COLS, ROWS};

use crate::characteristic::on_manifold_from_masks;
use crate::shapley::Coalition;

/// Rows of 2m–8m: never set in sanma (no such tiles), so no player is made of them.
const EMPTY_ROWS: Range<usize> = 1..8;

/// Which players a Sanma explanation has.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PlayerSet {
    /// The 20 feature blocks that can be non-zero in sanma.
    Blocks,
    /// The own hand split into its 27 tile kinds (each kind's count and red five are one
    /// player), and the other 18 blocks: 45 players.
    HandKinds,
}

impl PlayerSet {
    /// Both, coarse first.
    pub const ALL: [PlayerSet; 2] = [PlayerSet::Blocks, PlayerSet::HandKinds];

    /// The name used on the command line and in the `explanations` table's method.
    pub fn name(self) -> &'static str {
        match self {
            PlayerSet::Blocks => "blocks",
            PlayerSet::HandKinds => "hand-kinds",
        }
    }

    /// The players.
    pub fn players(self) -> PlanePlayers {
        let mut players = PlanePlayers::default();
        for (block, name, cols) in planes::blocks() {
            if block.always_empty() {
                continue;
            }
            let split = self == PlayerSet::HandKinds
                && matches!(block, FeatureBlock::OwnHand | FeatureBlock::OwnRedFives);
            if !split {
                players.push(
                    name.to_string(),
                    (0..ROWS).map(|r| (r, cols.clone())).collect(),
                );
            } else if block == FeatureBlock::OwnHand {
                let red = FeatureBlock::OwnRedFives.columns();
                for row in (0..ROWS).filter(|r| !EMPTY_ROWS.contains(r)) {
                    // the kind's count, and its red five where it has one
                    let cells = vec![(row, cols.start..red.end)];
                    players.push(format!("hand {}", planes::row_name(row)), cells);
                }
            }
        }
        players
    }
}

impl fmt::Display for PlayerSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for PlayerSet {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        PlayerSet::ALL
            .into_iter()
            .find(|p| p.name() == s)
            .ok_or_else(|| format!("unknown player set {s:?} (blocks, hand-kinds)"))
    }
}

/// Players made of tile-plane cells: each a list of row segments `(row, columns)`.
/// Cells that belong to no player (the empty 4th seat's blocks, 2m–8m) are never
/// masked.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PlanePlayers {
    /// Player names (`own_hand`, `hand 5p`, …).
    pub names: Vec<String>,
    segments: Vec<Vec<(usize, Range<usize>)>>,
}

impl PlanePlayers {
    fn push(&mut self, name: String, segments: Vec<(usize, Range<usize>)>) {
        self.names.push(name);
        self.segments.push(segments);
    }

    /// The number of players.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// Player `p`'s row segments.
    pub fn segments(&self, p: usize) -> &[(usize, Range<usize>)] {
        &self.segments[p]
    }

    /// Player `p`'s cells as `row · COLS + column`.
    pub fn cells(&self, p: usize) -> impl Iterator<Item = usize> + '_ {
        self.segments[p]
            .iter()
            .flat_map(|(row, cols)| cols.clone().map(move |c| row * COLS + c))
    }

    /// The player owning each cell (`row · COLS + column`), `None` for cells no player
    /// owns.
    pub fn owners(&self) -> Vec<Option<usize>> {
        let mut owner = vec![None; ROWS * COLS];
        for p in 0..self.len() {
            for cell in self.cells(p) {
                owner[cell] = Some(p);
            }
        }
        owner
    }

    /// A cell mask for `coalition`: 1 where the cell is known (its player is in the
    /// coalition, or no player owns it), 0 where it is hidden.
    pub fn cell_mask(&self, coalition: Coalition, out: &mut [f32]) {
        out.fill(1.0);
        for p in (0..self.len()).filter(|p| coalition & (1 << p) == 0) {
            for cell in self.cells(p) {
                out[cell] = 0.0;
            }
        }
    }

    /// The feature block each player belongs to (a hand kind belongs to `own_hand`), to
    /// add fine players' credit up to blocks.
    pub fn blocks(&self) -> Vec<FeatureBlock> {
        self.segments
            .iter()
            .map(|segments| {
                let (_, cols) = &segments[0];
                planes::blocks()
                    .into_iter()
                    .find(|(_, _, range)| range.contains(&cols.start))
                    .map(|(block, _, _)| block)
                    .expect("every column is in a block")
            })
            .collect()
    }
}

/// A decision's situation, to split findings by: whether an opponent is in riichi, and
/// how far the hand has gone (by the seat's own discards: early < 6, late ≥ 9).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Situation {
    /// An opponent has declared riichi.
    OpponentRiichi,
    /// No opponent has.
    NoRiichi,
    /// Fewer than 6 own discards.
    Early,
    /// 6 to 8 own discards.
    Middle,
    /// 9 or more own discards.
    Late,
}

impl Situation {
    /// All of them.
    pub const ALL: [Situation; 5] = [
        Situation::OpponentRiichi,
        Situation::NoRiichi,
        Situation::Early,
        Situation::Middle,
        Situation::Late,
    ];

    /// The command-line name.
    pub fn name(self) -> &'static str {
        match self {
            Situation::OpponentRiichi => "riichi",
            Situation::NoRiichi => "no-riichi",
            Situation::Early => "early",
            Situation::Middle => "middle",
            Situation::Late => "late",
        }
    }

    /// Whether the decision seen as `planes` is in this situation.
    pub fn holds(self, planes: &Planes) -> bool {
        let riichi = [FeatureBlock::NextRiichi, FeatureBlock::PreviousRiichi]
            .iter()
            .any(|b| planes.get(0, b.columns().start));
        let discards = FeatureBlock::OwnDiscards
            .columns()
            .filter(|&c| (0..ROWS).any(|r| planes.get(r, c)))
            .count();
        match self {
            Situation::OpponentRiichi => riichi,
            Situation::NoRiichi => !riichi,
            Situation::Early => discards < 6,
            Situation::Middle => (6..9).contains(&discards),
            Situation::Late => discards >= 9,
        }
    }
}

impl FromStr for Situation {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Situation::ALL
            .into_iter()
            .find(|x| x.name() == s)
            .ok_or_else(|| {
                format!("unknown situation {s:?} (riichi, no-riichi, early, middle, late)")
            })
    }
}

/// The bits of every player of every logged state, packed per player, so that "does
/// state s agree with state x on player p" is a comparison of a few words.
pub struct BlockIndex {
    /// Player names.
    pub names: Vec<String>,
    /// Word range of each player within one state's words.
    spans: Vec<Range<usize>>,
    /// Words per state.
    stride: usize,
    words: Vec<u64>,
}

impl BlockIndex {
    /// Indexes `states` (e.g. every discard decision of a run) for `players`.
    pub fn build(states: &[Planes], players: &PlanePlayers) -> BlockIndex {
        let mut spans = Vec::with_capacity(players.len());
        let mut stride = 0;
        for p in 0..players.len() {
            let words = players.cells(p).count().div_ceil(64);
            spans.push(stride..stride + words);
            stride += words;
        }
        let mut words = vec![0u64; stride * states.len()];
        for (s, planes) in states.iter().enumerate() {
            let out = &mut words[s * stride..(s + 1) * stride];
            for (p, span) in spans.iter().enumerate() {
                for (bit, cell) in players.cells(p).enumerate() {
                    if planes.get(cell / COLS, cell % COLS) {
                        out[span.start + bit / 64] |= 1 << (bit % 64);
                    }
                }
            }
        }
        BlockIndex {
            names: players.names.clone(),
            spans,
            stride,
            words,
        }
    }

    /// Players.
    pub fn players(&self) -> usize {
        self.spans.len()
    }

    /// States indexed.
    pub fn len(&self) -> usize {
        self.words.len() / self.stride.max(1)
    }

    /// Whether no state is indexed.
    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// The players on which state `s` agrees with state `x` exactly.
    pub fn agreement(&self, x: usize, s: usize) -> Coalition {
        let (a, b) = (self.state(x), self.state(s));
        let mut mask = 0;
        for (p, span) in self.spans.iter().enumerate() {
            if a[span.clone()] == b[span.clone()] {
                mask |= 1 << p;
            }
        }
        mask
    }

    fn state(&self, s: usize) -> &[u64] {
        &self.words[s * self.stride..(s + 1) * self.stride]
    }

    /// The players on which each logged state agrees with state `x`: computed once per
    /// explained state, then every coalition's v(C) is a pass over these masks.
    pub fn agreements(&self, x: usize) -> Vec<Coalition> {
        (0..self.len()).map(|s| self.agreement(x, s)).collect()
    }

    /// On-manifold v(C) for every coalition at logged state `x` (≤ 24 players): the mean
    /// of `outputs` over the logged states that agree with x on C's players (`outputs[s]`
    /// is the explained quantity at state s, e.g. the model's probability of x's chosen
    /// tile).
    pub fn on_manifold_table(&self, x: usize, outputs: &[f64]) -> Vec<f64> {
        let masks = self.agreements(x).into_iter().zip(outputs.iter().copied());
        on_manifold_from_masks(self.players(), masks, outputs[x])
    }

    /// On-manifold v(C) by exact matching for the given coalitions (any number of
    /// players, for permutation sampling), from the explained state's
    /// [`agreements`](BlockIndex::agreements): each the mean of `outputs` over the states
    /// agreeing with it on C; the state itself always agrees, so no mean is empty.
    pub fn on_manifold_values(
        agreements: &[Coalition],
        outputs: &[f64],
        coalitions: &[Coalition],
    ) -> Vec<f64> {
        coalitions
            .iter()
            .map(|&c| {
                let (mut sum, mut count) = (0.0, 0usize);
                for (&mask, &out) in agreements.iter().zip(outputs) {
                    if mask & c == c {
                        sum += out;
                        count += 1;
                    }
                }
                sum / count.max(1) as f64
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exact_from_table;
    use meowlab_sanma::planes::FeatureBlock;

    fn planes_with(cells: &[(usize, usize)]) -> Planes {
        let mut p = Planes::new();
        for &(r, c) in cells {
            p.set(r, c, true);
        }
        p
    }

    #[test]
    fn situations_read_riichi_flags_and_the_count_of_own_discards() {
        let own = FeatureBlock::OwnDiscards.columns().start;
        let riichi = FeatureBlock::PreviousRiichi.columns().start;
        let mut p = planes_with(&(0..7).map(|k| (k % 3, own + k)).collect::<Vec<_>>());
        assert!(Situation::NoRiichi.holds(&p) && Situation::Middle.holds(&p));
        for row in 0..ROWS {
            p.set(row, riichi, true);
        }
        assert!(Situation::OpponentRiichi.holds(&p) && !Situation::Early.holds(&p));
        assert!(Situation::Early.holds(&Planes::new()));
        assert_eq!("late".parse::<Situation>(), Ok(Situation::Late));
    }

    #[test]
    fn the_player_sets_cover_every_cell_that_can_be_set_once() {
        let blocks = PlayerSet::Blocks.players();
        assert_eq!(blocks.len(), 20);
        let empty: usize = FeatureBlock::ALL
            .iter()
            .filter(|b| b.always_empty())
            .map(|b| b.columns().len())
            .sum();
        let cells = |p: &PlanePlayers| (0..p.len()).map(|i| p.cells(i).count()).sum::<usize>();
        assert_eq!(cells(&blocks), (COLS - empty) * ROWS);
        let fine = PlayerSet::HandKinds.players();
        assert_eq!(fine.len(), 18 + 27);
        let hand =
            FeatureBlock::OwnHand.columns().len() + FeatureBlock::OwnRedFives.columns().len();
        assert_eq!(cells(&fine), cells(&blocks) - hand * EMPTY_ROWS.len());
        let owners = fine.owners();
        assert_eq!(owners.iter().flatten().count(), cells(&fine)); // no cell twice
        let five_pin = fine.names.iter().position(|n| n == "hand 5p").unwrap();
        assert_eq!(fine.blocks()[five_pin], FeatureBlock::OwnHand);
        assert_eq!("hand-kinds".parse::<PlayerSet>(), Ok(PlayerSet::HandKinds));
        assert!("hands"
            .parse::<PlayerSet>()
            .unwrap_err()
            .contains("blocks, hand-kinds"));
    }

    #[test]
    fn agreement_is_exact_per_block_and_credit_goes_to_the_deciding_block() {
        let hand = FeatureBlock::OwnHand.columns().start;
        let dora = FeatureBlock::DoraIndicators.columns().start;
        // states differ in the hand (rows 0 / 1) and the dora indicator (rows 5 / 6);
        // the output depends on the hand only
        let states = vec![
            planes_with(&[(0, hand), (5, dora)]),
            planes_with(&[(0, hand), (6, dora)]),
            planes_with(&[(1, hand), (5, dora)]),
            planes_with(&[(1, hand), (6, dora)]),
        ];
        let index = BlockIndex::build(&states, &PlayerSet::Blocks.players());
        let p = |name: &str| index.names.iter().position(|n| n == name).unwrap();
        let (h, d) = (p("own_hand"), p("dora_indicators"));
        let all = (1u64 << index.players()) - 1;
        assert_eq!(index.agreement(0, 0), all);
        assert_eq!(index.agreement(0, 1), all & !(1 << d));
        assert_eq!(index.agreement(0, 3), all & !(1 << d) & !(1 << h));
        let outputs = [0.9, 0.9, 0.1, 0.1];
        let table = index.on_manifold_table(0, &outputs);
        let some = [0, 1 << h, 1 << d, all];
        let values = BlockIndex::on_manifold_values(&index.agreements(0), &outputs, &some);
        for (c, v) in some.iter().zip(values) {
            assert!((table[*c as usize] - v).abs() < 1e-12);
        }
        let phi = exact_from_table(&table).unwrap();
        assert!((phi[h] - 0.4).abs() < 1e-12, "{phi:?}"); // 0.9 − mean 0.5
        assert!(phi
            .iter()
            .enumerate()
            .all(|(i, v)| i == h || v.abs() < 1e-12));
    }
}
