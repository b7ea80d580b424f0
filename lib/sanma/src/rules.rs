//! Rule options of a Sanma game in one serde struct; `Default` is Tenhou.

use meowlab_hand::{ScoringRules, TsumoPayment, Variant};
use serde::{Deserialize, Serialize};

/// How many winds a game is scheduled to last.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GameLength {
    /// East round only (tonpuusen).
    Tonpuu,
    /// East and South rounds (hanchan).
    Hanchan,
    /// A single hand, East 1 (the Meowjong paper's RL episodes): the game ends when the
    /// first hand does, abortive draws included; leftover riichi sticks go to 1st place as
    /// at any game end.
    OneHand,
}

/// Every rule a Sanma game depends on. Load from TOML/JSON; missing fields take the
/// Tenhou default; unknown fields are an error (a typo must not silently change a rule).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Rules {
    /// Scheduled length.
    pub length: GameLength,
    /// Points each player starts with.
    pub starting_points: i32,
    /// Points needed to end the game after the last scheduled kyoku.
    pub target_points: i32,
    /// One red 5p and one red 5s.
    pub red_fives: bool,
    /// How a tsumo is paid with one payer missing.
    pub tsumo_payment: TsumoPayment,
    /// Several special yakuman count double (Tenhou: no).
    pub double_yakuman: bool,
    /// 13+ han is a yakuman (Tenhou: yes).
    pub kazoe_yakuman: bool,
    /// Points needed to declare riichi.
    pub riichi_min_points: i32,
    /// Live-wall tiles that must remain to declare riichi (Tenhou 4-player: 4; sanma
    /// UNVERIFIED — 3, one more draw for each player, is our default).
    pub riichi_min_tiles_left: u8,
    /// A Kita ends everyone's ippatsu and the first uninterrupted go-around.
    pub kita_breaks_ippatsu: bool,
    /// Nagashi mangan at an exhaustive draw.
    pub nagashi_mangan: bool,
    /// The all-last dealer in first place with at least `target_points` ends the game
    /// after a win (agari-yame) or tenpai at a draw (tenpai-yame), automatically.
    pub agari_yame: bool,
    /// If nobody has `target_points` after the last scheduled kyoku, play on into the
    /// next wind until somebody does (sudden death), at most one extra wind.
    pub extension: bool,
    /// The game ends as soon as a player is below 0.
    pub bust: bool,
    /// Nine-terminals abortive draw is offered.
    pub kyuushu_kyuuhai: bool,
    /// Four kans by more than one player abort the hand.
    pub four_kan_abort: bool,
    /// Rank points added to final scores for reports (uma), 1st..3rd.
    pub uma: [i32; 3],
    /// How each hand's wall is shuffled. Not a rule of play but a protocol: duplicate
    /// evaluation deals every hand from (seed, round, honba) so the games of one set meet
    /// the same tiles. Left out of the serialised rules when it is the default.
    #[serde(skip_serializing_if = "WallDealing::is_sequential")]
    pub walls: WallDealing,
}

/// Where the walls of a game's hands come from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WallDealing {
    /// One random stream per game, seeded by the game seed; hand k takes the k-th wall.
    #[default]
    Sequential,
    /// Each hand's wall is a function of (game seed, round, honba) alone, so two games
    /// with the same seed deal the same tiles whenever they reach the same hand, whatever
    /// happened before (Mortal's duplicate).
    PerRound,
}

impl WallDealing {
    /// The default (for serde's `skip_serializing_if`).
    pub fn is_sequential(&self) -> bool {
        *self == WallDealing::Sequential
    }
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            length: GameLength::Hanchan,
            starting_points: 35_000,
            target_points: 40_000,
            red_fives: true,
            tsumo_payment: TsumoPayment::TsumoSon,
            double_yakuman: false,
            kazoe_yakuman: true,
            riichi_min_points: 1000,
            riichi_min_tiles_left: 3,
            kita_breaks_ippatsu: true,
            nagashi_mangan: true,
            agari_yame: true,
            extension: true,
            bust: true,
            kyuushu_kyuuhai: true,
            four_kan_abort: true,
            uma: [0, 0, 0],
            walls: WallDealing::Sequential,
        }
    }
}

impl Rules {
    /// The scoring options these rules imply.
    pub fn scoring(&self) -> ScoringRules {
        ScoringRules {
            variant: Variant::Sanma,
            aka_dora: self.red_fives,
            open_tanyao: true,
            double_yakuman: self.double_yakuman,
            kazoe_yakuman: self.kazoe_yakuman,
            tsumo_payment: self.tsumo_payment,
            honba_tsumo_per_payer: 100,
            honba_ron: 200,
        }
    }

    /// Checks values that serde cannot (positive points, bounds …).
    pub fn validate(&self) -> Result<(), RulesError> {
        let invalid = |field: &'static str, requirement: &'static str, value: i64| {
            Err(RulesError {
                field,
                requirement,
                value,
            })
        };
        if self.starting_points <= 0 {
            return invalid("starting_points", "positive", self.starting_points.into());
        }
        if self.riichi_min_points < 0 {
            return invalid("riichi_min_points", ">= 0", self.riichi_min_points.into());
        }
        if self.riichi_min_tiles_left > 55 {
            return invalid(
                "riichi_min_tiles_left",
                "<= 55",
                self.riichi_min_tiles_left.into(),
            );
        }
        Ok(())
    }
}

/// A rules value out of its range; names the field.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field} must be {requirement}, got {value}")]
pub struct RulesError {
    /// The field of [`Rules`].
    pub field: &'static str,
    /// What it must be.
    pub requirement: &'static str,
    /// What it is.
    pub value: i64,
}
