//! A 3-player game as a log records it, independent of the file format: each round's
//! start (scores, dora indicators, hands), every seat's draws and calls and every
//! discard-slot action (discards, riichi, closed and added kans, Kita), and the result.
//! Seats keep the log's numbering (seat 0 = the first dealer).

use meowlab_hand::Tile;

/// Rules the log's header implies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LogRules {
    /// East and South rounds (hanchan); `false` = East only (tonpuu).
    pub hanchan: bool,
    /// Red fives in play.
    pub red_fives: bool,
}

/// What a seat's draw slot records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Take {
    /// A tile from the wall (or the dead wall after a kan or Kita).
    Draw(Tile),
    /// A pon of `called`, discarded by seat `from`; `tiles` in tile order.
    Pon {
        /// The called tile.
        called: Tile,
        /// The seat that discarded it.
        from: usize,
        /// The meld's tiles.
        tiles: [Tile; 3],
    },
    /// An open kan (daiminkan) of `called` from seat `from`.
    Daiminkan {
        /// The called tile.
        called: Tile,
        /// The seat that discarded it.
        from: usize,
        /// The meld's tiles.
        tiles: [Tile; 4],
    },
}

/// What a seat's discard slot records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Discard {
    /// A discard: the tile just drawn (`tsumogiri`) or one from the hand.
    Tile {
        /// The tile.
        tile: Tile,
        /// Whether it was the tile just drawn.
        tsumogiri: bool,
    },
    /// Riichi declared with this discard.
    Riichi {
        /// The tile.
        tile: Tile,
        /// Whether it was the tile just drawn.
        tsumogiri: bool,
    },
    /// A closed kan of four tiles.
    Ankan([Tile; 4]),
    /// An added kan: `added` joins the pon of `pon`, called from seat `from`.
    Kakan {
        /// The tile added to the pon.
        added: Tile,
        /// The seat the pon was called from.
        from: usize,
    },
    /// A North tile set aside (nukidora); a replacement draw follows.
    Kita,
    /// No discard: the slot after an open kan, whose replacement draw comes next.
    AfterKan,
}

/// How a round without a win ended (Tenhou's names in the comments).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DrawKind {
    /// The wall ran out (流局).
    Exhaustive,
    /// Everyone tenpai at the exhaustive draw (全員聴牌).
    AllTenpai,
    /// Nobody tenpai (全員不聴).
    AllNoten,
    /// Nine different terminals and honours declared (九種九牌).
    NineTerminals,
    /// A nagashi mangan at the exhaustive draw (流し満貫).
    NagashiMangan,
    /// Four kans by more than one player (四槓散了).
    FourKans,
    /// Every player in riichi (三家立直 / 四家立直).
    AllRiichi,
    /// A ron by every other player (三家和了).
    TripleRon,
}

impl DrawKind {
    /// From Tenhou's name.
    pub fn from_tenhou(name: &str) -> Option<DrawKind> {
        Some(match name {
            "流局" => DrawKind::Exhaustive,
            "全員聴牌" => DrawKind::AllTenpai,
            "全員不聴" => DrawKind::AllNoten,
            "九種九牌" => DrawKind::NineTerminals,
            "流し満貫" => DrawKind::NagashiMangan,
            "四槓散了" => DrawKind::FourKans,
            "三家立直" | "四家立直" => DrawKind::AllRiichi,
            "三家和了" => DrawKind::TripleRon,
            _ => return None,
        })
    }
}

/// One winner's share of a round's result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Win {
    /// The winner.
    pub winner: usize,
    /// The seat that dealt in (= `winner` for a tsumo).
    pub from: usize,
    /// The seat liable under pao (= `winner` when nobody is).
    pub pao: usize,
    /// Score changes of this win (deposits and honba included).
    pub deltas: [i32; 3],
    /// The log's score line (e.g. "倍満8000点∀") and yaku with their han.
    pub text: Vec<String>,
    /// What the win is worth, where the log says.
    pub score: Option<WinScore>,
}

/// What a log says a win is worth: the fields both Tenhou formats state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WinScore {
    /// Fu, stated for hands below mangan (tenhou.net/6 leaves it out above).
    pub fu: Option<u8>,
    /// (Tenhou yaku id, han) in the log's order; a yakuman counts
    /// [`crate::yaku::YAKUMAN_HAN`]; dora kinds worth 0 han are left out.
    pub yaku: Vec<(u8, u8)>,
}

impl WinScore {
    /// The han of every yaku and dora together (yakuman count 13 each).
    pub fn han(&self) -> u32 {
        self.yaku.iter().map(|&(_, h)| u32::from(h)).sum()
    }

    /// Whether a yakuman is among the yaku (not counted han: kazoe is not one).
    pub fn has_yakuman(&self) -> bool {
        self.yaku.iter().any(|&(id, _)| (37..=51).contains(&id))
    }
}

/// How a round ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RoundResult {
    /// One or more wins (a double ron has two).
    Wins(Vec<Win>),
    /// No win.
    Draw {
        /// Why.
        kind: DrawKind,
        /// Score changes (tenpai payments, nagashi mangan); zeros when none.
        deltas: [i32; 3],
    },
}

impl RoundResult {
    /// The round's total score change per seat, riichi stakes not included.
    pub fn deltas(&self) -> [i32; 3] {
        match self {
            RoundResult::Wins(wins) => wins.iter().fold([0; 3], |mut acc, w| {
                (0..3).for_each(|s| acc[s] = acc[s].saturating_add(w.deltas[s]));
                acc
            }),
            RoundResult::Draw { deltas, .. } => *deltas,
        }
    }
}

/// One round (kyoku).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoundLog {
    /// 4 × round wind + dealer seat: East 0–2, South 4–6, West 8–10.
    pub index: u8,
    /// Repeat counter.
    pub honba: u8,
    /// Riichi sticks on the table at the start.
    pub deposits: u8,
    /// Scores at the start.
    pub scores: [i32; 3],
    /// Dora indicators, the first and one per kan.
    pub dora_indicators: Vec<Tile>,
    /// Ura-dora indicators (when a riichi winner revealed them).
    pub ura_indicators: Vec<Tile>,
    /// The 13-tile starting hands, in tile order.
    pub hands: [Vec<Tile>; 3],
    /// Each seat's draw slots in order.
    pub takes: [Vec<Take>; 3],
    /// Each seat's discard slots in order.
    pub discards: [Vec<Discard>; 3],
    /// How it ended.
    pub result: RoundResult,
}

impl RoundLog {
    /// The dealer.
    pub fn dealer(&self) -> usize {
        (self.index % 4) as usize
    }

    /// Riichi declarations whose 1,000-point stake was paid: all of them, except one
    /// whose declaring discard was won on (the declaration did not stand).
    pub fn riichi_stakes(&self) -> [i32; 3] {
        let mut stakes = [0; 3];
        for (seat, stake) in stakes.iter_mut().enumerate() {
            let declared = self.discards[seat]
                .iter()
                .filter(|d| matches!(d, Discard::Riichi { .. }))
                .count() as i32;
            let ronned_on_declaration =
                matches!(self.discards[seat].last(), Some(Discard::Riichi { .. }))
                    && matches!(&self.result, RoundResult::Wins(wins)
                    if wins.iter().any(|w| w.from == seat && w.winner != seat));
            *stake = 1000i32.saturating_mul(declared - i32::from(ronned_on_declaration));
        }
        stakes
    }

    /// Scores after the round: the start, the result's changes, the riichi stakes.
    pub fn scores_after(&self) -> [i32; 3] {
        let deltas = self.result.deltas();
        let stakes = self.riichi_stakes();
        // saturating: absurd numbers in a log are a mismatch, not an overflow
        std::array::from_fn(|s| {
            self.scores[s]
                .saturating_add(deltas[s])
                .saturating_sub(stakes[s])
        })
    }
}

/// A whole game.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GameLog {
    /// The log's id (Tenhou's `ref`, e.g. `2026011603gm-00b9-0000-2b45278f`).
    pub source: String,
    /// Player names by seat.
    pub players: [String; 3],
    /// Rules from the header.
    pub rules: LogRules,
    /// The rounds in order.
    pub rounds: Vec<RoundLog>,
    /// Final scores, when the log states them.
    pub final_scores: Option<[i32; 3]>,
}

/// Where a game's score bookkeeping fails.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScoreMismatch {
    /// The round (0-based) after which the scores differ, or the number of rounds for
    /// the final scores.
    pub round: usize,
    /// What the log's next round (or final score) says.
    pub logged: [i32; 3],
    /// What the previous round's start, result and riichi stakes add up to.
    pub computed: [i32; 3],
}

impl GameLog {
    /// The game if its scores add up ([`GameLog::check_scores`]), else an error at
    /// `file`, `at` that says which round's start (or the final scores) differs.
    pub fn validated(self, file: &str, at: &str) -> Result<GameLog, crate::LogError> {
        match self.check_scores() {
            Ok(()) => Ok(self),
            Err(m) => {
                let what = if m.round == self.rounds.len() {
                    "the final scores".to_string()
                } else {
                    format!("round {}'s start", m.round + 1)
                };
                Err(crate::LogError::at(file, at, format!(
                    "the scores do not add up: {what} is {:?} in the log, {:?} from the previous round's result and riichi stakes",
                    m.logged, m.computed
                )))
            }
        }
    }

    /// Checks that every round starts with the scores the previous one ended with, and
    /// the final scores (deposits left on the table go to the top player, ties to the
    /// seat nearest the first dealer).
    pub fn check_scores(&self) -> Result<(), ScoreMismatch> {
        for (k, pair) in self.rounds.windows(2).enumerate() {
            let computed = pair[0].scores_after();
            if computed != pair[1].scores {
                return Err(ScoreMismatch {
                    round: k,
                    logged: pair[1].scores,
                    computed,
                });
            }
        }
        let (Some(last), Some(logged)) = (self.rounds.last(), self.final_scores) else {
            return Ok(());
        };
        let mut computed = last.scores_after();
        if !matches!(last.result, RoundResult::Wins(_)) {
            let left = last
                .riichi_stakes()
                .iter()
                .fold(1000 * i32::from(last.deposits), |a, b| a.saturating_add(*b));
            let top = (0..3)
                .max_by_key(|&s| (computed[s], std::cmp::Reverse(s)))
                .unwrap_or(0);
            computed[top] = computed[top].saturating_add(left);
        }
        if computed != logged {
            return Err(ScoreMismatch {
                round: self.rounds.len(),
                logged,
                computed,
            });
        }
        Ok(())
    }
}
