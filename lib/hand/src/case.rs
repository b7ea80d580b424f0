//! The scoring-case exchange format: one winning hand with its conditions in 136-ids,
//! as in riichienv's `agari_3p.json`, and the one-line result that `meowlab score`
//! prints. Used for cross-checks against other scorers, so keep it stable.

use serde::{Deserialize, Serialize};

use crate::agari::{Meld, MeldKind};
use crate::score::{
    evaluate, RiichiKind, ScoreError, ScoringRules, WinContext, WinMethod, WinningHand,
};
use crate::tile::{Tile, Variant};
use crate::yaku::Yaku;
use crate::Payment;

/// One winning hand in 136-ids (schema of riichienv-core's `agari_3p.json`; other fields
/// such as `expected` are ignored).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Case {
    /// Concealed tiles without the winning tile.
    pub tiles_136: Vec<u32>,
    /// Declared melds.
    #[serde(default)]
    pub melds: Vec<CaseMeld>,
    /// The winning tile.
    pub win_tile_136: u32,
    /// Dora indicators.
    #[serde(default)]
    pub dora_indicators: Vec<u32>,
    /// Ura dora indicators.
    #[serde(default)]
    pub ura_indicators: Vec<u32>,
    /// How and where the hand was won.
    pub conditions: Conditions,
}

/// A meld of a [`Case`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseMeld {
    /// pon, daiminkan, kakan or ankan.
    pub meld_type: MeldKind,
    /// Its tiles (136-ids).
    pub tiles: Vec<u32>,
    /// Whether it opens the hand (must agree with `meld_type`).
    pub opened: bool,
    /// Relative seat the tile was called from (informational).
    #[serde(default)]
    pub from_who: Option<i64>,
}

/// Win conditions of a [`Case`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Conditions {
    /// Self-draw (otherwise ron).
    pub tsumo: bool,
    /// Riichi declared.
    pub riichi: bool,
    /// Double riichi declared.
    pub double_riichi: bool,
    /// Ippatsu.
    pub ippatsu: bool,
    /// Tsumo on the last tile.
    pub haitei: bool,
    /// Ron on the last discard.
    pub houtei: bool,
    /// Tsumo on a replacement tile.
    pub rinshan: bool,
    /// Ron on a kakan.
    pub chankan: bool,
    /// First uninterrupted draw (tenhou / chiihou with `tsumo`).
    pub tsumo_first_turn: bool,
    /// 0 = East (dealer), 1 = South, 2 = West (3 = North in 4-player).
    pub player_wind: u8,
    /// 0 = East, 1 = South, 2 = West.
    pub round_wind: u8,
    /// Honba counters.
    pub honba: u32,
    /// Kita (North tiles set aside).
    pub kita_count: u8,
    /// Sanma (default when absent).
    #[serde(default = "yes")]
    pub is_sanma: bool,
    /// 3 or 4 (informational; `is_sanma` decides).
    pub num_players: u8,
    /// Riichi deposits on the table (not part of the riichienv schema; default 0).
    pub deposits: u32,
}

fn yes() -> bool {
    true
}

impl Case {
    /// Converts to a hand, its context and the rules (Tenhou defaults for the variant).
    /// Errors name the offending field.
    pub fn to_hand(&self) -> Result<(WinningHand, WinContext, ScoringRules), String> {
        let tile = |field: &str, id: u32| -> Result<Tile, String> {
            u8::try_from(id)
                .ok()
                .and_then(|id| Tile::from_id136(id, true))
                .ok_or_else(|| format!("{field}: {id} is not a 136-id (0..135)"))
        };
        let tiles = |field: &str, ids: &[u32]| -> Result<Vec<Tile>, String> {
            ids.iter()
                .enumerate()
                .map(|(i, &id)| tile(&format!("{field}[{i}]"), id))
                .collect()
        };
        let mut seen = [false; 136];
        let mut all_ids: Vec<(String, u32)> = self
            .tiles_136
            .iter()
            .enumerate()
            .map(|(i, &id)| (format!("tiles_136[{i}]"), id))
            .collect();
        all_ids.push(("win_tile_136".into(), self.win_tile_136));
        for (m, meld) in self.melds.iter().enumerate() {
            all_ids.extend(
                meld.tiles
                    .iter()
                    .enumerate()
                    .map(|(i, &id)| (format!("melds[{m}].tiles[{i}]"), id)),
            );
        }
        for (field, id) in &all_ids {
            tile(field, *id)?;
            if std::mem::replace(&mut seen[*id as usize], true) {
                return Err(format!("{field}: 136-id {id} appears twice"));
            }
        }
        let mut melds = Vec::with_capacity(self.melds.len());
        for (m, meld) in self.melds.iter().enumerate() {
            let kind_tiles = tiles(&format!("melds[{m}].tiles"), &meld.tiles)?;
            let built = Meld::from_tiles(meld.meld_type, &kind_tiles)
                .map_err(|e| format!("melds[{m}]: {e}"))?;
            if built.is_open() != meld.opened {
                return Err(format!(
                    "melds[{m}]: {:?} with opened = {}",
                    meld.meld_type, meld.opened
                ));
            }
            melds.push(built);
        }
        let c = &self.conditions;
        let wind = |field: &str, w: u8| {
            Tile::from_index(27 + w as usize)
                .filter(|t| t.is_wind())
                .ok_or_else(|| {
                    format!("conditions.{field}: {w} is not a wind (0 = East .. 3 = North)")
                })
        };
        let ctx = WinContext {
            method: if c.tsumo {
                WinMethod::Tsumo
            } else {
                WinMethod::Ron
            },
            riichi: match (c.riichi, c.double_riichi) {
                (_, true) => RiichiKind::Double,
                (true, false) => RiichiKind::Riichi,
                (false, false) => RiichiKind::None,
            },
            ippatsu: c.ippatsu,
            haitei: c.haitei,
            houtei: c.houtei,
            rinshan: c.rinshan,
            chankan: c.chankan,
            first_draw: c.tsumo_first_turn && c.tsumo,
            seat_wind: wind("player_wind", c.player_wind)?,
            round_wind: wind("round_wind", c.round_wind)?,
            dora_indicators: tiles("dora_indicators", &self.dora_indicators)?,
            ura_indicators: tiles("ura_indicators", &self.ura_indicators)?,
            kita: c.kita_count,
            honba: c.honba,
            deposits: c.deposits,
        };
        let hand = WinningHand {
            concealed: tiles("tiles_136", &self.tiles_136)?,
            melds,
            win_tile: tile("win_tile_136", self.win_tile_136)?,
        };
        let variant = if c.is_sanma {
            Variant::Sanma
        } else {
            Variant::Yonma
        };
        Ok((
            hand,
            ctx,
            ScoringRules {
                variant,
                ..ScoringRules::default()
            },
        ))
    }

    /// Scores the case with `rules` (or the case's own Tenhou defaults when `None`).
    pub fn score(&self, index: usize, rules: Option<&ScoringRules>) -> ScoreLine {
        let (hand, ctx, default_rules) = match self.to_hand() {
            Ok(x) => x,
            Err(e) => return ScoreLine::error(index, e),
        };
        let rules = rules.copied().unwrap_or(default_rules);
        match evaluate(&hand, &ctx, &rules) {
            Ok(r) => {
                let total = r.payment.total(ctx.is_dealer());
                ScoreLine {
                    index,
                    is_win: true,
                    han: r.han,
                    fu: r.fu,
                    yaku: r.yaku.iter().map(|(y, _)| y.name().to_owned()).collect(),
                    yakuman: r.yakuman,
                    payment: Some(match r.payment {
                        Payment::Ron { from_discarder } => PaymentLine::Ron {
                            total,
                            from_discarder,
                        },
                        Payment::Tsumo {
                            from_dealer,
                            from_non_dealer,
                        } => PaymentLine::Tsumo {
                            total,
                            from_dealer,
                            from_non_dealer,
                        },
                    }),
                    error: None,
                }
            }
            Err(e) => ScoreLine::error(
                index,
                match e {
                    ScoreError::NotWinning => "not_winning".to_owned(),
                    ScoreError::NoYaku => "no_yaku".to_owned(),
                    other => other.to_string(),
                },
            ),
        }
    }
}

/// One line of `meowlab score` output.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScoreLine {
    /// Position of the case in the input.
    pub index: usize,
    /// Whether the hand scores.
    pub is_win: bool,
    /// Han (13 × yakuman for yakuman).
    pub han: u8,
    /// Fu (0 for yakuman).
    pub fu: u8,
    /// Yaku names (see [`Yaku::name`]), dora kinds included when non-zero.
    pub yaku: Vec<String>,
    /// Yakuman multiplier.
    pub yakuman: u8,
    /// Payment incl. honba, excl. riichi deposits.
    pub payment: Option<PaymentLine>,
    /// Why the case did not score.
    pub error: Option<String>,
}

impl ScoreLine {
    /// The line of a case that could not be scored.
    pub fn error(index: usize, error: String) -> Self {
        ScoreLine {
            index,
            is_win: false,
            han: 0,
            fu: 0,
            yaku: vec![],
            yakuman: 0,
            payment: None,
            error: Some(error),
        }
    }

    /// The yaku as typed values (unknown names are skipped).
    pub fn yaku(&self) -> impl Iterator<Item = Yaku> + '_ {
        self.yaku.iter().filter_map(|n| Yaku::from_name(n))
    }
}

/// Payment in a [`ScoreLine`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum PaymentLine {
    /// Ron: everything from the discarder.
    Ron {
        /// Total received.
        total: u32,
        /// Paid by the discarder.
        from_discarder: u32,
    },
    /// Tsumo: from both other players.
    Tsumo {
        /// Total received.
        total: u32,
        /// Paid by the dealer (0 if the winner is the dealer).
        from_dealer: u32,
        /// Paid by each non-dealer.
        from_non_dealer: u32,
    },
}
