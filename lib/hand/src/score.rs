//! Win evaluation: the best reading of a winning hand, its yaku, fu, dora and payment.
//!
//! Every decomposition and every way the winning tile can be read into it (tanki,
//! shanpon, kanchan, penchan, ryanmen) is scored; the reading with the highest payment
//! wins, then the most han, then the most fu, as on Tenhou.

use std::fmt;

use crate::agari::{for_each_decomposition, Block, BlockKind, Meld};
use crate::points::{self, Limit, Payment};
use crate::shanten::{shanten_kokushi, AGARI};
use crate::tile::{Counts, Tile, Variant, NUM_KINDS};
use crate::yaku::{Yaku, YakuSet};

/// The tiles of a winning hand.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WinningHand {
    /// Concealed tiles without the winning tile (13 − 3 × melds of them).
    pub concealed: Vec<Tile>,
    /// Declared melds (pon and kans, open or concealed).
    pub melds: Vec<Meld>,
    /// The tile won on (drawn, or the discard / added kan tile / Kita robbed).
    pub win_tile: Tile,
}

/// How the hand was won.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WinMethod {
    /// Self-draw.
    Tsumo,
    /// On another player's tile.
    Ron,
}

/// Riichi status of the winner.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum RiichiKind {
    /// No riichi.
    #[default]
    None,
    /// Riichi.
    Riichi,
    /// Double riichi (first uninterrupted discard).
    Double,
}

/// The situation of the win: everything besides the tiles that affects the value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WinContext {
    /// Tsumo or ron.
    pub method: WinMethod,
    /// Riichi status.
    pub riichi: RiichiKind,
    /// Within one uninterrupted go-around after riichi.
    pub ippatsu: bool,
    /// Tsumo on the last live tile.
    pub haitei: bool,
    /// Ron on the last discard.
    pub houtei: bool,
    /// Tsumo on a replacement tile (after a kan or Kita).
    pub rinshan: bool,
    /// Ron on a kakan tile.
    pub chankan: bool,
    /// Tsumo on the player's first, uninterrupted draw (tenhou / chiihou).
    pub first_draw: bool,
    /// The winner's seat wind (East = dealer).
    pub seat_wind: Tile,
    /// The round wind.
    pub round_wind: Tile,
    /// Dora indicators revealed.
    pub dora_indicators: Vec<Tile>,
    /// Ura dora indicators (count only with riichi).
    pub ura_indicators: Vec<Tile>,
    /// North tiles set aside (Kita).
    pub kita: u8,
    /// Honba counters on the table.
    pub honba: u32,
    /// Riichi deposits on the table (1000 each), taken by the winner.
    pub deposits: u32,
}

impl WinContext {
    /// A plain ron or tsumo with no special conditions, for East seat in the East round.
    pub fn new(method: WinMethod) -> Self {
        WinContext {
            method,
            riichi: RiichiKind::None,
            ippatsu: false,
            haitei: false,
            houtei: false,
            rinshan: false,
            chankan: false,
            first_draw: false,
            seat_wind: Tile::EAST,
            round_wind: Tile::EAST,
            dora_indicators: Vec::new(),
            ura_indicators: Vec::new(),
            kita: 0,
            honba: 0,
            deposits: 0,
        }
    }

    /// Whether the winner is the dealer.
    pub fn is_dealer(&self) -> bool {
        self.seat_wind == Tile::EAST
    }
}

/// How tsumo is paid in sanma, where one of the four 4-player payers is missing.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum TsumoPayment {
    /// Tenhou: the two payers pay their 4-player shares; the missing share is lost.
    #[default]
    TsumoSon,
    /// The missing player's share is split in half (each half rounded up to 100)
    /// between the two payers.
    NorthBisection,
}

/// Scoring rule options; `Default` is Tenhou sanma.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScoringRules {
    /// Tile set.
    pub variant: Variant,
    /// Red fives count as dora.
    pub aka_dora: bool,
    /// Tanyao allowed with an open hand (kuitan).
    pub open_tanyao: bool,
    /// Kokushi 13-wait, suuankou tanki, junsei chuuren and daisuushii count double.
    /// Tenhou: no (they count as one yakuman; several yakuman still stack).
    pub double_yakuman: bool,
    /// 13+ han from ordinary yaku is a yakuman (kazoe); otherwise sanbaiman.
    pub kazoe_yakuman: bool,
    /// How tsumo is paid.
    pub tsumo_payment: TsumoPayment,
    /// Points per honba from each payer on tsumo.
    pub honba_tsumo_per_payer: u32,
    /// Points per honba on ron (Tenhou sanma: 200).
    pub honba_ron: u32,
}

impl Default for ScoringRules {
    fn default() -> Self {
        ScoringRules {
            variant: Variant::Sanma,
            aka_dora: true,
            open_tanyao: true,
            double_yakuman: false,
            kazoe_yakuman: true,
            tsumo_payment: TsumoPayment::TsumoSon,
            honba_tsumo_per_payer: 100,
            honba_ron: 200,
        }
    }
}

/// The value of a winning hand.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WinResult {
    /// Han including dora; 13 × yakuman for yakuman hands.
    pub han: u8,
    /// Fu after rounding; 0 for yakuman hands.
    pub fu: u8,
    /// Yakuman multiplier (0 when the hand is not a yakuman; kazoe counts as 0).
    pub yakuman: u8,
    /// Yaku with their han (yakuman entries with their multiplier × 13), dora kinds last.
    pub yaku: Vec<(Yaku, u8)>,
    /// Dora from indicators (incl. Kita counted through North indicators).
    pub dora: u8,
    /// Red fives.
    pub aka_dora: u8,
    /// Ura dora (riichi only).
    pub ura_dora: u8,
    /// Kita set aside.
    pub nukidora: u8,
    /// Limit reached.
    pub limit: Limit,
    /// Base points (fu × 2^(han+2), or the limit's value).
    pub base_points: u32,
    /// Who pays what, honba included.
    pub payment: Payment,
    /// Riichi deposits the winner takes from the table.
    pub deposits: u32,
}

/// Why a hand could not be scored.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ScoreError {
    /// The input is inconsistent (wrong tile count, 5th copy, impossible flags …).
    Invalid(String),
    /// The tiles do not form a complete hand.
    NotWinning,
    /// Complete, but without a yaku (dora are not yaku).
    NoYaku,
}

impl fmt::Display for ScoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScoreError::Invalid(why) => write!(f, "invalid hand: {why}"),
            ScoreError::NotWinning => f.write_str("not a winning hand"),
            ScoreError::NoYaku => f.write_str("no yaku"),
        }
    }
}

impl std::error::Error for ScoreError {}

/// Scores a winning hand. See the module docs for how the reading is chosen.
pub fn evaluate(
    hand: &WinningHand,
    ctx: &WinContext,
    rules: &ScoringRules,
) -> Result<WinResult, ScoreError> {
    validate(hand, ctx, rules)?;
    let facts = HandFacts::new(hand, ctx, rules);
    let mut best: Option<Candidate> = None;
    let mut consider = |c: Candidate| {
        if c.is_valid() && best.as_ref().is_none_or(|b| c.beats(b)) {
            best = Some(c);
        }
    };
    let mut complete = false;
    if hand.melds.is_empty() {
        if shanten_kokushi(&facts.concealed) == AGARI {
            complete = true;
            consider(facts.kokushi());
        }
        if facts.concealed.iter().filter(|&&c| c == 2).count() == 7 {
            complete = true;
            consider(facts.chiitoitsu());
        }
    }
    for_each_decomposition(&facts.concealed, |pair, concealed_melds| {
        complete = true;
        facts.each_reading(pair, concealed_melds, &mut consider);
    });
    match best {
        Some(c) => Ok(facts.finish(c)),
        None if complete => Err(ScoreError::NoYaku),
        None => Err(ScoreError::NotWinning),
    }
}

fn validate(hand: &WinningHand, ctx: &WinContext, rules: &ScoringRules) -> Result<(), ScoreError> {
    let bad = |s: String| Err(ScoreError::Invalid(s));
    if hand.melds.len() > 4 {
        return bad(format!("{} melds (at most 4)", hand.melds.len()));
    }
    let want = 13 - 3 * hand.melds.len();
    if hand.concealed.len() != want {
        return bad(format!(
            "{} concealed tiles with {} melds (expected {want} plus the winning tile)",
            hand.concealed.len(),
            hand.melds.len()
        ));
    }
    // at most 14 tiles + one per kan; a fixed buffer keeps scoring allocation-free
    let mut all = [Tile::EAST; 18];
    let mut n_all = 0;
    let mut push = |t: Tile| {
        all[n_all] = t;
        n_all += 1;
    };
    hand.concealed.iter().for_each(|&t| push(t));
    push(hand.win_tile);
    for m in &hand.melds {
        let reds = m.reds;
        let red =
            Tile::red_five(m.tile.suit()).filter(|_| m.tile.number() == 5 && !m.tile.is_honor());
        match red {
            Some(r) if reds <= m.len() => {
                (0..m.len()).for_each(|i| push(if i < reds { r } else { m.tile }))
            }
            None if reds == 0 => (0..m.len()).for_each(|_| push(m.tile)),
            _ => return bad(format!("meld of {} claims {reds} red fives", m.tile)),
        }
    }
    crate::tile::check_tiles(&all[..n_all], rules.variant, "hand")
        .map_err(|e| ScoreError::Invalid(e.kind().to_string()))?;
    for (what, t) in [("seat wind", ctx.seat_wind), ("round wind", ctx.round_wind)] {
        let max = if rules.variant == Variant::Sanma {
            Tile::WEST
        } else {
            Tile::NORTH
        };
        if !t.is_wind() || t > max {
            return bad(format!("{what} {t} is not a wind of this game"));
        }
    }
    for t in ctx.dora_indicators.iter().chain(&ctx.ura_indicators) {
        if !rules.variant.has_kind(t.kind()) {
            return bad(format!("dora indicator {t} does not exist in this game"));
        }
    }
    let tsumo = ctx.method == WinMethod::Tsumo;
    let riichi = ctx.riichi != RiichiKind::None;
    let open = hand.melds.iter().any(|m| m.is_open());
    let rules_broken = [
        (riichi && open, "riichi with an open hand"),
        (ctx.ippatsu && !riichi, "ippatsu without riichi"),
        (
            ctx.haitei && !tsumo,
            "haitei on a ron (houtei is the ron on the last tile)",
        ),
        (
            ctx.houtei && tsumo,
            "houtei on a tsumo (haitei is the tsumo on the last tile)",
        ),
        (ctx.rinshan && !tsumo, "rinshan on a ron"),
        (ctx.chankan && tsumo, "chankan on a tsumo"),
        (ctx.haitei && ctx.rinshan, "haitei and rinshan together"),
        (
            ctx.first_draw && (!tsumo || !hand.melds.is_empty()),
            "tenhou/chiihou needs a tsumo with no calls",
        ),
        (ctx.kita > 4, "more than 4 Kita"),
        (
            ctx.kita > 0 && rules.variant == Variant::Yonma,
            "Kita in 4-player mahjong",
        ),
    ];
    if let Some((_, why)) = rules_broken.iter().find(|(broken, _)| *broken) {
        return bad((*why).to_owned());
    }
    Ok(())
}

/// Bit masks over the 34 kinds, for tile-level yaku.
const TERMINALS: u64 = 1 << 0 | 1 << 8 | 1 << 9 | 1 << 17 | 1 << 18 | 1 << 26;
const HONORS: u64 = 0x7F << 27;
const SIMPLES: u64 = ((1 << 27) - 1) & !TERMINALS;
/// 2s 3s 4s 6s 8s and hatsu (ryuuiisou).
const GREENS: u64 = 1 << 19 | 1 << 20 | 1 << 21 | 1 << 23 | 1 << 25 | 1 << 32;

/// How the winning tile completed the hand.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Wait {
    Ryanmen,
    Kanchan,
    Penchan,
    Shanpon,
    Tanki,
}

/// One scored reading.
#[derive(Clone, Copy, Debug)]
struct Candidate {
    yaku: YakuSet,
    /// Han of yaku (no dora) — 0 means no yaku.
    yaku_han: u8,
    yakuman: u8,
    fu: u8,
    /// han incl. dora (set by `HandFacts::rank`).
    han: u8,
    base: u32,
}

impl Candidate {
    fn is_valid(&self) -> bool {
        self.yakuman > 0 || self.yaku_han > 0
    }

    /// Highest payment first; at equal payment a true yakuman beats kazoe (as Tenhou
    /// displays suuankou rather than 13+ han), then more han, then more fu.
    fn beats(&self, other: &Candidate) -> bool {
        (self.base, self.yakuman, self.han, self.fu)
            > (other.base, other.yakuman, other.han, other.fu)
    }
}

/// Everything about the hand that does not depend on the reading.
struct HandFacts<'a> {
    ctx: &'a WinContext,
    rules: &'a ScoringRules,
    /// Concealed tiles including the winning tile.
    concealed: Counts,
    win: usize,
    menzen: bool,
    tsumo: bool,
    open_blocks: [Block; 4],
    n_open: usize,
    /// Situational and tile-level yaku shared by every reading.
    common: YakuSet,
    /// Tile-level yakuman (tsuuiisou, ryuuiisou, chinroutou, chuuren, tenhou/chiihou).
    common_yakuman: YakuSet,
    dora: u8,
    aka: u8,
    ura: u8,
    kita: u8,
}

impl<'a> HandFacts<'a> {
    fn new(hand: &'a WinningHand, ctx: &'a WinContext, rules: &'a ScoringRules) -> Self {
        let mut concealed = [0u8; NUM_KINDS];
        for t in &hand.concealed {
            concealed[t.index()] += 1;
        }
        let win = hand.win_tile.index();
        concealed[win] += 1;
        let mut all = concealed;
        let mut open_blocks = [Block {
            kind: BlockKind::Triplet,
            tile: Tile::EAST,
            open: false,
        }; 4];
        for (i, m) in hand.melds.iter().enumerate() {
            all[m.tile.index()] += m.len();
            open_blocks[i] = m.block();
        }
        let menzen = !hand.melds.iter().any(|m| m.is_open());
        let tsumo = ctx.method == WinMethod::Tsumo;

        // dora: kans hold 4 tiles; Kita count once each plus once per North indicator
        let count_dora = |indicators: &[Tile]| -> (u8, u8) {
            let mut tiles = 0u8;
            let mut north = 0u8;
            for ind in indicators {
                let d = ind.dora_from_indicator(rules.variant);
                tiles += all[d.index()];
                north += (d == Tile::NORTH) as u8;
            }
            (tiles, north)
        };
        let (dora_tiles, dora_north) = count_dora(&ctx.dora_indicators);
        let riichi = ctx.riichi != RiichiKind::None;
        let (ura_tiles, ura_north) = if riichi {
            count_dora(&ctx.ura_indicators)
        } else {
            (0, 0)
        };
        let aka = if rules.aka_dora {
            hand.concealed.iter().filter(|t| t.is_red()).count() as u8
                + hand.win_tile.is_red() as u8
                + hand.melds.iter().map(|m| m.reds).sum::<u8>()
        } else {
            0
        };

        let mut common = YakuSet::default();
        match ctx.riichi {
            RiichiKind::Riichi => common.insert(Yaku::Riichi),
            RiichiKind::Double => common.insert(Yaku::DoubleRiichi),
            RiichiKind::None => {}
        }
        for (on, y) in [
            (ctx.ippatsu, Yaku::Ippatsu),
            (tsumo && menzen, Yaku::MenzenTsumo),
            (ctx.haitei, Yaku::HaiteiRaoyue),
            (ctx.houtei, Yaku::HouteiRaoyui),
            (ctx.rinshan, Yaku::RinshanKaihou),
            (ctx.chankan, Yaku::Chankan),
        ] {
            if on {
                common.insert(y);
            }
        }
        let kinds_present: u64 = (0..NUM_KINDS)
            .filter(|&i| all[i] > 0)
            .fold(0, |m, i| m | 1 << i);
        let present = |allowed: u64| kinds_present & !allowed == 0;
        let suits: [bool; 3] =
            std::array::from_fn(|s| all[s * 9..s * 9 + 9].iter().any(|&c| c > 0));
        let n_suits = suits.iter().filter(|&&s| s).count();
        let honors = all[27..].iter().any(|&c| c > 0);
        if present(SIMPLES) && (menzen || rules.open_tanyao) {
            common.insert(Yaku::Tanyao);
        }
        if n_suits == 1 && !honors {
            common.insert(Yaku::Chinitsu);
        } else if n_suits == 1 && honors {
            common.insert(Yaku::Honitsu);
        }
        let mut common_yakuman = YakuSet::default();
        if n_suits == 0 {
            common_yakuman.insert(Yaku::Tsuuiisou);
        } else if present(TERMINALS) {
            common_yakuman.insert(Yaku::Chinroutou);
        } else if present(TERMINALS | HONORS) {
            common.insert(Yaku::Honroutou);
        }
        if present(GREENS) {
            common_yakuman.insert(Yaku::Ryuuiisou);
        }
        if hand.melds.is_empty() && n_suits == 1 && !honors {
            let s = suits.iter().position(|&s| s).unwrap_or(0) * 9;
            let c = &concealed[s..s + 9];
            let pattern = [3u8, 1, 1, 1, 1, 1, 1, 1, 3];
            if c.iter().zip(pattern).all(|(&have, need)| have >= need) {
                // junsei: before the winning tile the hand was exactly 1112345678999
                let nine_sided = (0..9).all(|r| c[r] - (s + r == win) as u8 == pattern[r]);
                common_yakuman.insert(if nine_sided {
                    Yaku::JunseiChuurenPoutou
                } else {
                    Yaku::ChuurenPoutou
                });
            }
        }
        if ctx.first_draw {
            common_yakuman.insert(if ctx.is_dealer() {
                Yaku::Tenhou
            } else {
                Yaku::Chiihou
            });
        }

        HandFacts {
            ctx,
            rules,
            concealed,
            win,
            menzen,
            tsumo,
            open_blocks,
            n_open: hand.melds.len(),
            common,
            common_yakuman,
            dora: dora_tiles + ctx.kita * dora_north,
            aka,
            ura: ura_tiles + ctx.kita * ura_north,
            kita: ctx.kita,
        }
    }

    fn dora_total(&self) -> u8 {
        self.dora + self.aka + self.ura + self.kita
    }

    fn yaku_han(&self, yaku: YakuSet) -> u8 {
        yaku.iter().map(|y| y.han(self.menzen)).sum()
    }

    fn yakuman_count(&self, yaku: YakuSet) -> u8 {
        yaku.iter()
            .map(|y| y.yakuman(self.rules.double_yakuman))
            .sum()
    }

    /// Completes a candidate from its yaku and fu: han with dora, base points.
    fn rank(&self, mut yaku: YakuSet, fu: u8) -> Candidate {
        for y in self.common_yakuman.iter() {
            yaku.insert(y);
        }
        let yakuman = self.yakuman_count(yaku);
        let yaku_han = self.yaku_han(yaku);
        let han = if yakuman > 0 {
            13 * yakuman
        } else {
            yaku_han.saturating_add(self.dora_total())
        };
        let (base, _) = points::base_points(han, fu, yakuman, self.rules.kazoe_yakuman);
        Candidate {
            yaku,
            yaku_han,
            yakuman,
            fu,
            han,
            base,
        }
    }

    fn kokushi(&self) -> Candidate {
        let mut yaku = self.common;
        yaku.insert(if self.concealed[self.win] == 2 {
            Yaku::KokushiMusou13Wait
        } else {
            Yaku::KokushiMusou
        });
        self.rank(yaku, 0)
    }

    fn chiitoitsu(&self) -> Candidate {
        let mut yaku = self.common;
        yaku.insert(Yaku::Chiitoitsu);
        self.rank(yaku, 25)
    }

    /// Scores every way the winning tile can sit in this decomposition.
    fn each_reading(
        &self,
        pair: Tile,
        concealed_melds: &[Block],
        consider: &mut impl FnMut(Candidate),
    ) {
        let mut blocks = self.open_blocks;
        let n = self.n_open + concealed_melds.len();
        blocks[self.n_open..n].copy_from_slice(concealed_melds);
        let blocks = &blocks[..n];
        let win = Tile::kind_unchecked(self.win);
        if pair == win {
            consider(self.reading(blocks, pair, Wait::Tanki, None));
        }
        let mut seen: [Option<Block>; 4] = [None; 4];
        for j in self.n_open..n {
            let b = blocks[j];
            if !b.contains(win) || seen.contains(&Some(b)) {
                continue;
            }
            seen[j] = Some(b);
            let wait = match b.kind {
                BlockKind::Sequence => {
                    let pos = self.win - b.tile.index();
                    match (pos, b.tile.number()) {
                        (1, _) => Wait::Kanchan,
                        (0, 7) | (2, 1) => Wait::Penchan,
                        _ => Wait::Ryanmen,
                    }
                }
                _ => Wait::Shanpon,
            };
            consider(self.reading(blocks, pair, wait, Some(j)));
        }
    }

    fn reading(
        &self,
        blocks: &[Block],
        pair: Tile,
        wait: Wait,
        win_block: Option<usize>,
    ) -> Candidate {
        let ctx = self.ctx;
        let mut yaku = self.common;
        let is_value_wind = |t: Tile| t == ctx.seat_wind || t == ctx.round_wind;

        let mut seqs = [0u8; 4];
        let mut n_seq = 0;
        let mut n_ankou = 0;
        let mut n_kan = 0;
        let mut dragons = 0;
        let mut winds = 0;
        let mut trip_numbers = [[false; 3]; 9]; // [number][suit]
        let mut all_terminal_blocks = pair.is_terminal_or_honor();
        let mut fu: u32 = 20;
        for (j, b) in blocks.iter().enumerate() {
            all_terminal_blocks &= b.has_terminal_or_honor();
            if b.kind == BlockKind::Sequence {
                seqs[n_seq] = b.tile.index() as u8;
                n_seq += 1;
                continue;
            }
            // concealed unless called, or completed by a ron (shanpon)
            let concealed = !b.open && (win_block != Some(j) || self.tsumo);
            n_ankou += concealed as u8;
            n_kan += (b.kind == BlockKind::Kan) as u8;
            let t = b.tile;
            let mut meld_fu = 2u32;
            if t.is_terminal_or_honor() {
                meld_fu *= 2;
            }
            if concealed {
                meld_fu *= 2;
            }
            if b.kind == BlockKind::Kan {
                meld_fu *= 4;
            }
            fu += meld_fu;
            if t.is_dragon() {
                dragons += 1;
                yaku.insert(match t {
                    Tile::HAKU => Yaku::YakuhaiHaku,
                    Tile::HATSU => Yaku::YakuhaiHatsu,
                    _ => Yaku::YakuhaiChun,
                });
            } else if t.is_wind() {
                winds += 1;
                if t == ctx.seat_wind {
                    yaku.insert(Yaku::SeatWind);
                }
                if t == ctx.round_wind {
                    yaku.insert(Yaku::RoundWind);
                }
            } else {
                trip_numbers[t.number() as usize - 1][t.suit() as usize] = true;
            }
        }
        let n_trip = blocks.len() - n_seq;

        // yakuman of this reading
        let mut yakuman = YakuSet::default();
        if n_ankou == 4 {
            yakuman.insert(if wait == Wait::Tanki {
                Yaku::SuuankouTanki
            } else {
                Yaku::Suuankou
            });
        }
        if n_kan == 4 {
            yakuman.insert(Yaku::Suukantsu);
        }
        if dragons == 3 {
            yakuman.insert(Yaku::Daisangen);
        }
        if winds == 4 {
            yakuman.insert(Yaku::Daisuushii);
        } else if winds == 3 && pair.is_wind() {
            yakuman.insert(Yaku::Shousuushii);
        }
        if !yakuman.is_empty() || !self.common_yakuman.is_empty() {
            for y in yakuman.iter() {
                yaku.insert(y);
            }
            return self.rank(yaku, 0);
        }

        // ordinary yaku of this reading
        let pair_is_value = pair.is_dragon() || is_value_wind(pair);
        let pinfu = self.menzen && n_seq == 4 && !pair_is_value && wait == Wait::Ryanmen;
        if pinfu {
            yaku.insert(Yaku::Pinfu);
        }
        if self.menzen && n_seq >= 2 {
            let s = &mut seqs[..n_seq];
            s.sort_unstable();
            let mut peikou = 0;
            let mut i = 0;
            while i + 1 < s.len() {
                if s[i] == s[i + 1] {
                    peikou += 1;
                    i += 2;
                } else {
                    i += 1;
                }
            }
            match peikou {
                2 => yaku.insert(Yaku::Ryanpeikou),
                1 => yaku.insert(Yaku::Iipeikou),
                _ => {}
            }
        }
        let has_seq = |t: usize| seqs[..n_seq].contains(&(t as u8));
        if (0..3).any(|s| has_seq(s * 9) && has_seq(s * 9 + 3) && has_seq(s * 9 + 6)) {
            yaku.insert(Yaku::Ittsu);
        }
        if (0..7).any(|r| has_seq(r) && has_seq(9 + r) && has_seq(18 + r)) {
            yaku.insert(Yaku::SanshokuDoujun);
        }
        if trip_numbers.iter().any(|suits| suits.iter().all(|&s| s)) {
            yaku.insert(Yaku::SanshokuDoukou);
        }
        if n_trip == 4 {
            yaku.insert(Yaku::Toitoi);
        }
        if n_ankou == 3 {
            yaku.insert(Yaku::Sanankou);
        }
        if n_kan == 3 {
            yaku.insert(Yaku::Sankantsu);
        }
        if dragons == 2 && pair.is_dragon() {
            yaku.insert(Yaku::Shousangen);
        }
        if all_terminal_blocks && n_seq > 0 {
            let honors = pair.is_honor() || blocks.iter().any(|b| b.tile.is_honor());
            yaku.insert(if honors { Yaku::Chanta } else { Yaku::Junchan });
        }

        // fu
        let fu = if pinfu {
            if self.tsumo {
                20
            } else {
                30
            }
        } else {
            if self.menzen && !self.tsumo {
                fu += 10;
            }
            if self.tsumo {
                fu += 2;
            }
            if matches!(wait, Wait::Kanchan | Wait::Penchan | Wait::Tanki) {
                fu += 2;
            }
            if pair.is_dragon() {
                fu += 2;
            }
            if pair == ctx.seat_wind {
                fu += 2;
            }
            if pair == ctx.round_wind {
                fu += 2;
            }
            // every non-pinfu hand is worth at least 30 (an open hand with no fu is raised)
            fu.max(30).div_ceil(10) * 10
        };
        self.rank(yaku, fu as u8)
    }

    fn finish(&self, c: Candidate) -> WinResult {
        let mut yaku: Vec<(Yaku, u8)> = Vec::with_capacity(8);
        let (dora, aka, ura, kita) = if c.yakuman > 0 {
            for y in c.yaku.iter().filter(|y| y.yakuman(false) > 0) {
                yaku.push((y, 13 * y.yakuman(self.rules.double_yakuman)));
            }
            (0, 0, 0, 0)
        } else {
            for y in c.yaku.iter() {
                yaku.push((y, y.han(self.menzen)));
            }
            for (y, n) in [
                (Yaku::Dora, self.dora),
                (Yaku::AkaDora, self.aka),
                (Yaku::UraDora, self.ura),
                (Yaku::Nukidora, self.kita),
            ] {
                if n > 0 {
                    yaku.push((y, n));
                }
            }
            (self.dora, self.aka, self.ura, self.kita)
        };
        let fu = if c.yakuman > 0 { 0 } else { c.fu };
        let (base, limit) = points::base_points(c.han, fu, c.yakuman, self.rules.kazoe_yakuman);
        let payment = points::payment(base, self.ctx, self.rules);
        WinResult {
            han: c.han,
            fu,
            yakuman: c.yakuman,
            yaku,
            dora,
            aka_dora: aka,
            ura_dora: ura,
            nukidora: kita,
            limit,
            base_points: base,
            payment,
            deposits: 1000 * self.ctx.deposits,
        }
    }
}
