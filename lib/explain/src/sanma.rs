//! Sanma decisions as Shapley games: the players are the feature blocks of the 34×366
//! tile planes (own hand, own melds, own Kita, own discards, dora indicators, each
//! opponent's riichi / melds / Kita / discards, scores, round, honba, deposits, seat
//! wind, the target tile — the 20 blocks that can be non-zero in sanma), and coalitions
//! are conditioned on-manifold by exact matching over logged decisions.

use std::ops::Range;

use meowlab_sanma::planes::{self, Planes, ROWS};

use crate::characteristic::on_manifold_from_masks;
use crate::shapley::Coalition;

/// The feature blocks that are players: every block except the empty 4th seat's.
pub fn block_players() -> Vec<(&'static str, Range<usize>)> {
    planes::blocks()
        .into_iter()
        .filter(|(block, _, _)| !block.always_empty())
        .map(|(_, name, cols)| (name, cols))
        .collect()
}

/// The bits of every block of every logged state, packed per block, so that "does state s
/// agree with state x on block b" is a comparison of a few words.
pub struct BlockIndex {
    /// Player names (block names).
    pub names: Vec<&'static str>,
    /// Word range of each block within one state's words.
    spans: Vec<Range<usize>>,
    /// Words per state.
    stride: usize,
    words: Vec<u64>,
}

impl BlockIndex {
    /// Indexes `states` (e.g. every discard decision of a run).
    pub fn build(states: &[Planes]) -> BlockIndex {
        let players = block_players();
        let mut spans = Vec::with_capacity(players.len());
        let mut stride = 0;
        for (_, cols) in &players {
            let words = (ROWS * cols.len()).div_ceil(64);
            spans.push(stride..stride + words);
            stride += words;
        }
        let mut words = vec![0u64; stride * states.len()];
        for (s, planes) in states.iter().enumerate() {
            let out = &mut words[s * stride..(s + 1) * stride];
            for ((_, cols), span) in players.iter().zip(&spans) {
                let mut bit = 0;
                for row in 0..ROWS {
                    for col in cols.clone() {
                        if planes.get(row, col) {
                            out[span.start + bit / 64] |= 1 << (bit % 64);
                        }
                        bit += 1;
                    }
                }
            }
        }
        BlockIndex {
            names: players.iter().map(|(n, _)| *n).collect(),
            spans,
            stride,
            words,
        }
    }

    /// Players (blocks).
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

    /// The blocks on which state `s` agrees with state `x` exactly.
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

    /// On-manifold v(C) for every coalition of blocks at logged state `x`: the mean of
    /// `outputs` over the logged states that agree with x on C's blocks (`outputs[s]` is
    /// the explained quantity at state s, e.g. the model's probability of x's chosen tile).
    pub fn on_manifold_table(&self, x: usize, outputs: &[f64]) -> Vec<f64> {
        let masks = (0..self.len()).map(|s| (self.agreement(x, s), outputs[s]));
        on_manifold_from_masks(self.players(), masks, outputs[x])
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
    fn twenty_players_cover_every_non_empty_block() {
        let players = block_players();
        assert_eq!(players.len(), 20);
        let empty: usize = FeatureBlock::ALL
            .iter()
            .filter(|b| b.always_empty())
            .map(|b| b.columns().len())
            .sum();
        assert_eq!(
            players.iter().map(|(_, c)| c.len()).sum::<usize>() + empty,
            366
        );
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
        let index = BlockIndex::build(&states);
        let p = |name: &str| index.names.iter().position(|n| *n == name).unwrap();
        let (h, d) = (p("own_hand"), p("dora_indicators"));
        let all = (1u64 << index.players()) - 1;
        assert_eq!(index.agreement(0, 0), all);
        assert_eq!(index.agreement(0, 1), all & !(1 << d));
        assert_eq!(index.agreement(0, 3), all & !(1 << d) & !(1 << h));
        let outputs = [0.9, 0.9, 0.1, 0.1];
        let phi = exact_from_table(&index.on_manifold_table(0, &outputs)).unwrap();
        assert!((phi[h] - 0.4).abs() < 1e-12, "{phi:?}"); // 0.9 − mean 0.5
        assert!(phi
            .iter()
            .enumerate()
            .all(|(i, v)| i == h || v.abs() < 1e-12));
    }
}
