//! Lockstep differential testing against riichienv-core 0.4.11's 3-player engine.
//!
//! [`run_game`] plays one full hanchan of our [`Game`] with our bots and drives a
//! riichienv [`GameState3P`] through the same hands:
//!
//! - **Walls.** Every kyoku uses *our* wall (`game.wall().tiles()`, the same 108-slot
//!   layout as riichienv's `load_wall`), converted to 136-ids by
//!   [`meowlab::hand::tile::to_ids136`]: red 5p → 52, red 5s → 88, other
//!   copies the lowest free id of their kind. riichienv deals the next kyoku from its
//!   own shuffle as soon as a hand ends; the harness notices (`wall.hand_index` moved),
//!   cuts the spurious `start_kyoku`/`tsumo` off its mjai log and re-deals the kyoku
//!   with our wall.
//! - **Decision points.** Before every choice the seats that must decide and each
//!   one's legal actions are compared in the canonical form below. Then our bots choose
//!   (they see only our engine), the choices are applied to both engines, and when a
//!   hand ends the harness compares whether the game is over, the score change of that
//!   step (hand payments — ours are the `hora`/`ryukyoku` deltas — plus riichi deposits
//!   accepted in the same step and leftover deposits at the end of the game, counted
//!   the same way on both sides; riichienv's by diffing its scores), and how the next
//!   kyoku starts (wind, dealer, honba, deposits, scores).
//! - **Disagreements.** Nothing panics: each disagreement is recorded with its full
//!   context ([`Disagreement`]: seed, kyoku, step, seats, both legal sets or both
//!   deltas, our mjai events of the kyoku so far and riichienv's) and classified against
//!   [`KNOWN_DIFFERENCES`]. The rest of that kyoku is then played by our engine alone
//!   and riichienv is re-aligned at the next kyoku from our state (scores, dealer,
//!   honba, deposits), so one difference does not hide the next (when only riichienv
//!   ended the game, it is re-dealt too; when ours ended it, the comparison stops).
//!   Each known difference says whose it is ([`Side`]): riichienv's deliberate
//!   deviation from Tenhou, a bug of ours, or a point where Tenhou's rule is not
//!   established.
//!
//! # Canonical legal actions
//!
//! Both sides are turned into a set of strings (tiles in mpsz, `0p`/`0s` = red five):
//!
//! | ours | riichienv | canonical |
//! |---|---|---|
//! | `Discard { t, tsumogiri: false }` | `Discard(id)` with `id != drawn_tile` | `discard t` |
//! | `Discard { t, tsumogiri: true }` | `Discard(id)` with `id == drawn_tile` | `tsumogiri t` |
//! | `Riichi { t, tsumogiri }` | `Riichi`, then (probed on a clone) each legal `Discard` | `riichi t` / `riichi-tsumogiri t` |
//! | `Pon { consumed: [a, b] }` | `Pon` with `consume_tiles` | `pon ab` (the two names sorted) |
//! | `Ankan { k }` / `Kakan { k }` | `Ankan`/`Kakan` (one per id for kakan) | `ankan k` / `kakan k` (plain kind) |
//! | `Tsumo`, `Ron`, `Kita`, `Kyuushu`, `Daiminkan`, `Pass` | same (one `Kita` per North id) | `tsumo`, `ron`, `kita`, `kyuushu`, `daiminkan`, `pass` |
//!
//! So the two copies of a plain tile are one action, red and plain fives are two, and
//! tsumogiri is distinguished from discarding another copy of the same tile from the
//! hand (riichienv lists discards per 136-id; the drawn id is the tsumogiri). Riichi is
//! one action for us and two steps in riichienv: the declaration is probed on a clone of
//! its state to list the tenpai-keeping discards, and when our bot declares riichi the
//! harness steps `Riichi` and then the matching discard. When a canonical action matches
//! several riichienv actions (kakan of a pon of fives, kita), the plain-tile one is used,
//! as our engine adds a plain five before the red one.
//!
//! # riichienv rules used
//!
//! `GameRule::default_tenhou()` (tsumo-son, single yakuman for the "double" patterns,
//! Tenhou pao split, kuikae forbidden) with `allows_ron_on_ankan_for_kokushi_musou`
//! turned on: Tenhou lets kokushi rob a concealed kan, and so does our engine. Game mode
//! 5 (East + South with the West extension), 35,000 start, 40,000 target.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;

use meowlab::hand::tile::to_ids136;
use meowlab::hand::{Tile, Yaku};
use meowlab::sanma::bots::{HeuristicAgent, RandomAgent};
use meowlab::sanma::event::to_jsonl;
use meowlab::sanma::{Action, Agent, Event, Game, Rules, Seat, SeatView};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use riichienv_core::action::{Action as RAction, ActionType, Phase as RPhase};
use riichienv_core::rule::GameRule;
use riichienv_core::state_3p::legal_actions::GameState3PLegalActions;
use riichienv_core::state_3p::GameState3P;

/// riichienv's game mode for a 3-player hanchan ("3p-red-half").
const HANCHAN: u8 = 5;
/// riichienv's single-hand mode; used to keep a win's details after the step.
const SINGLE_HAND: u8 = 3;

/// Which of our bots plays all three seats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bots {
    /// `RandomAgent`: uniform over the legal actions (skips wins, calls at random).
    Random,
    /// `HeuristicAgent`: plays to win, riichi when tenpai (dama on a dead wait or a mangan),
    /// folds against riichi.
    Heuristic,
    /// [`CallerAgent`]: the heuristic bot that calls and kans whenever it may, always
    /// declares riichi, and skips some wins: many kans, chankan, Kita, ippatsu and
    /// furiten situations.
    Caller,
    /// A hand-written scenario ([`run_scenario`]); as bots for [`run_game`], every seat
    /// discards its drawn tile and never calls.
    Scripted,
}

impl Bots {
    fn agents(self) -> Vec<Box<dyn Agent>> {
        (0..3)
            .map(|seat| match self {
                Bots::Random => Box::new(RandomAgent::new(seat)) as Box<dyn Agent>,
                Bots::Heuristic => Box::new(HeuristicAgent) as Box<dyn Agent>,
                Bots::Caller => Box::new(CallerAgent::new(seat)) as Box<dyn Agent>,
                Bots::Scripted => Box::new(ScriptedAgent {
                    script: Vec::new(),
                    next: 0,
                }) as Box<dyn Agent>,
            })
            .collect()
    }
}

/// A stress-testing bot: wins 4 times in 5 (skipping a win makes furiten), always
/// declares Kita, kans, pons and riichi (the heuristic bot's riichi discard when it has
/// one), calls kyuushu half the time, and otherwise plays like [`HeuristicAgent`].
pub struct CallerAgent {
    seat: Seat,
    rng: ChaCha8Rng,
    heuristic: HeuristicAgent,
}

impl CallerAgent {
    /// A caller for `seat` (re-seeded per game).
    pub fn new(seat: Seat) -> Self {
        CallerAgent {
            seat,
            rng: ChaCha8Rng::seed_from_u64(seat as u64),
            heuristic: HeuristicAgent,
        }
    }
}

impl Agent for CallerAgent {
    fn name(&self) -> String {
        "caller".into()
    }

    fn act(&mut self, view: &SeatView<'_>) -> Action {
        let legal = view.legal_actions();
        let has = |f: fn(&Action) -> bool| legal.iter().copied().find(f);
        if let Some(win) = has(|a| matches!(a, Action::Tsumo | Action::Ron)) {
            if self.rng.gen_bool(0.8) {
                return win;
            }
            return legal
                .iter()
                .copied()
                .find(|a| !matches!(a, Action::Tsumo | Action::Ron))
                .unwrap_or(win);
        }
        let call = has(|a| {
            matches!(
                a,
                Action::Kita
                    | Action::Ankan { .. }
                    | Action::Kakan { .. }
                    | Action::Daiminkan
                    | Action::Pon { .. }
            )
        });
        if let Some(call) = call {
            return call;
        }
        if legal.contains(&Action::Kyuushu) && self.rng.gen_bool(0.5) {
            return Action::Kyuushu;
        }
        let pick = self.heuristic.act(view);
        if matches!(pick, Action::Riichi { .. }) {
            return pick;
        }
        let riichi: Vec<Action> = legal
            .iter()
            .copied()
            .filter(|a| matches!(a, Action::Riichi { .. }))
            .collect();
        if riichi.is_empty() {
            pick
        } else {
            riichi[self.rng.gen_range(0..riichi.len())]
        }
    }

    fn start_game(&mut self, seed: u64) {
        self.rng = ChaCha8Rng::seed_from_u64(seed ^ 0xCA11_E700 ^ self.seat as u64);
    }
}

impl fmt::Display for Bots {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Bots::Random => "random",
            Bots::Heuristic => "heuristic",
            Bots::Caller => "caller",
            Bots::Scripted => "scripted",
        })
    }
}

/// The riichienv rules the harness plays (see the module docs).
pub fn riichienv_rule() -> GameRule {
    let mut rule = GameRule::default_tenhou();
    rule.allows_ron_on_ankan_for_kokushi_musou = true;
    rule
}

/// How a kyoku starts, as both engines report it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KyokuHeader {
    /// 0 East, 1 South, 2 West.
    pub wind: u8,
    /// Dealer seat.
    pub oya: u8,
    /// Honba counters.
    pub honba: u32,
    /// Riichi deposits on the table.
    pub deposits: u32,
    /// Scores at the start.
    pub scores: [i32; 3],
}

impl KyokuHeader {
    fn label(&self) -> String {
        let wind = ["E", "S", "W", "N"][(self.wind % 4) as usize];
        format!("{wind}{}-{}", self.oya + 1, self.honba)
    }

    fn of_theirs(s: &GameState3P) -> KyokuHeader {
        KyokuHeader {
            wind: s.round_wind,
            oya: s.oya,
            honba: s.honba as u32,
            deposits: s.riichi_sticks,
            scores: scores_of(s),
        }
    }
}

impl fmt::Display for KyokuHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} (deposits {}, scores {:?})",
            self.label(),
            self.deposits,
            self.scores
        )
    }
}

/// What disagreed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mismatch {
    /// Different seats must decide.
    Deciders {
        /// Ours.
        ours: Vec<Seat>,
        /// riichienv's.
        theirs: Vec<Seat>,
    },
    /// A deciding seat's legal actions differ.
    Legal {
        /// The seat.
        seat: Seat,
        /// Ours, canonical.
        ours: BTreeSet<String>,
        /// riichienv's, canonical.
        theirs: BTreeSet<String>,
    },
    /// riichienv refused or could not express an action both sides listed as legal (a
    /// harness bug rather than a rules difference).
    Rejected {
        /// The seat.
        seat: Seat,
        /// Our action.
        action: String,
        /// What went wrong.
        error: String,
    },
    /// One engine ended the hand after this step and the other did not.
    KyokuEnd {
        /// Whether ours ended it.
        ours_ended: bool,
    },
    /// The score change of the step that ended the hand.
    Deltas {
        /// Ours.
        ours: [i32; 3],
        /// riichienv's.
        theirs: [i32; 3],
    },
    /// One engine ended the game after this hand and the other did not.
    GameEnd {
        /// Whether ours ended it.
        ours_over: bool,
    },
    /// The next kyoku starts differently.
    NextKyoku {
        /// Ours.
        ours: KyokuHeader,
        /// riichienv's.
        theirs: KyokuHeader,
    },
}

impl Mismatch {
    /// A short name of the kind of mismatch.
    pub fn kind(&self) -> &'static str {
        match self {
            Mismatch::Deciders { .. } => "deciders",
            Mismatch::Legal { .. } => "legal actions",
            Mismatch::Rejected { .. } => "rejected",
            Mismatch::KyokuEnd { .. } => "kyoku end",
            Mismatch::Deltas { .. } => "deltas",
            Mismatch::GameEnd { .. } => "game end",
            Mismatch::NextKyoku { .. } => "next kyoku",
        }
    }
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Mismatch::Deciders { ours, theirs } => {
                write!(f, "deciding seats: ours {ours:?}, riichienv {theirs:?}")
            }
            Mismatch::Legal { seat, ours, theirs } => {
                let only_ours: Vec<&String> = ours.difference(theirs).collect();
                let only_theirs: Vec<&String> = theirs.difference(ours).collect();
                write!(
                    f,
                    "legal actions of seat {seat}: only ours {only_ours:?}, only riichienv {only_theirs:?}\n  ours:      {ours:?}\n  riichienv: {theirs:?}"
                )
            }
            Mismatch::Rejected {
                seat,
                action,
                error,
            } => write!(
                f,
                "riichienv could not apply seat {seat}'s `{action}`: {error}"
            ),
            Mismatch::KyokuEnd { ours_ended } => write!(
                f,
                "the hand ended in {} only",
                if *ours_ended { "ours" } else { "riichienv" }
            ),
            Mismatch::Deltas { ours, theirs } => {
                write!(
                    f,
                    "score change of the last step: ours {ours:?}, riichienv {theirs:?}"
                )
            }
            Mismatch::GameEnd { ours_over } => write!(
                f,
                "the game ended in {} only",
                if *ours_over { "ours" } else { "riichienv" }
            ),
            Mismatch::NextKyoku { ours, theirs } => {
                write!(f, "next kyoku: ours {ours}, riichienv {theirs}")
            }
        }
    }
}

/// riichienv's evaluation of one win (kept from a probe of the winning step).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TheirWin {
    /// Winner.
    pub seat: Seat,
    /// Han (13 per yakuman).
    pub han: u32,
    /// Fu.
    pub fu: u32,
    /// riichienv yaku ids (see [`yaku_of_id`]).
    pub yaku: Vec<u32>,
    /// Who pays for a pao yakuman.
    pub pao_payer: Option<u8>,
    /// Ron value, or tsumo payments of the dealer and of the other non-dealer.
    pub ron: u32,
    /// Tsumo payment of the dealer.
    pub tsumo_dealer: u32,
    /// Tsumo payment of a non-dealer.
    pub tsumo_other: u32,
}

impl TheirWin {
    /// Whether the win has this yaku.
    pub fn has(&self, yaku: Yaku) -> bool {
        self.yaku.iter().any(|&id| yaku_of_id(id) == Some(yaku))
    }
}

impl fmt::Display for TheirWin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let yaku: Vec<String> = self
            .yaku
            .iter()
            .map(|&id| match yaku_of_id(id) {
                Some(y) => y.name().to_owned(),
                None => format!("#{id}"),
            })
            .collect();
        write!(
            f,
            "seat {}: {} han {} fu, yaku {yaku:?}, ron {} / tsumo {}+{} (dealer+other){}",
            self.seat,
            self.han,
            self.fu,
            self.ron,
            self.tsumo_dealer,
            self.tsumo_other,
            match self.pao_payer {
                Some(p) => format!(", pao on seat {p}"),
                None => String::new(),
            }
        )
    }
}

/// Which engine a known difference is attributed to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// riichienv deviates from Tenhou on purpose (its rules follow Mahjong Soul).
    Riichienv,
    /// Our engine is wrong against Tenhou: a bug to fix, listed so that the harness can
    /// re-align and keep looking for other differences meanwhile.
    Meowlab,
    /// The engines differ where Tenhou's behaviour is not established (no source found):
    /// tolerated, and listed so that it is decided one day.
    Unverified,
}

/// A documented, classified difference between the engines.
pub struct KnownDifference {
    /// Short name.
    pub name: &'static str,
    /// Who deviates from Tenhou.
    pub side: Side,
    /// What happens in each engine and what Tenhou does.
    pub explanation: &'static str,
    /// Where the rule or the behaviour is documented.
    pub source: &'static str,
    /// Whether a disagreement is this difference.
    pub matches: fn(&Disagreement) -> bool,
    /// Games where it was seen: (bots, seed) for [`run_game`] (they depend on our
    /// engine and bots as they were when found; the lockstep tests replay them).
    pub seen: &'static [(Bots, u64)],
}

impl fmt::Debug for KnownDifference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({:?})", self.name, self.side)
    }
}

/// One disagreement with its full context.
#[derive(Clone, Debug)]
pub struct Disagreement {
    /// Game seed.
    pub seed: u64,
    /// Bots playing.
    pub bots: Bots,
    /// Index of the kyoku in the game (0 = first hand).
    pub kyoku_index: usize,
    /// Kyoku as "E1-0" (wind, dealer seat + 1, honba).
    pub kyoku: String,
    /// Decision point within the kyoku (0 = the dealer's first decision).
    pub step: usize,
    /// What disagreed.
    pub mismatch: Mismatch,
    /// The actions chosen at this step (empty when the step was not played).
    pub chosen: Vec<(Seat, Action)>,
    /// Our events of the kyoku so far, from its `start_kyoku`.
    pub our_events: Vec<Event>,
    /// riichienv's mjai log of the kyoku so far.
    pub their_events: Vec<String>,
    /// riichienv's evaluation of the wins of the last step, if any.
    pub their_wins: Vec<TheirWin>,
    /// The documented difference this is, if any.
    pub known: Option<&'static KnownDifference>,
}

impl Disagreement {
    /// One line: seed, kyoku, step and the mismatch kind.
    pub fn headline(&self) -> String {
        format!(
            "seed {} ({} bots), kyoku #{} {}, step {}: {}{}",
            self.seed,
            self.bots,
            self.kyoku_index,
            self.kyoku,
            self.step,
            self.mismatch.kind(),
            match self.known {
                Some(k) => format!(" [known: {} ({:?})]", k.name, k.side),
                None => String::new(),
            }
        )
    }
}

impl fmt::Display for Disagreement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.headline())?;
        writeln!(f, "  {}", self.mismatch)?;
        if !self.chosen.is_empty() {
            let chosen: Vec<String> = self
                .chosen
                .iter()
                .map(|(s, a)| format!("seat {s}: {a}"))
                .collect();
            writeln!(f, "  chosen: {}", chosen.join(", "))?;
        }
        for w in &self.their_wins {
            writeln!(f, "  riichienv win: {w}")?;
        }
        if let Some(k) = self.known {
            writeln!(f, "  known difference {}: {}", k.name, k.explanation)?;
            writeln!(f, "  source: {}", k.source)?;
        }
        writeln!(f, "  our events of the kyoku:")?;
        for line in to_jsonl(&self.our_events).lines() {
            writeln!(f, "    {line}")?;
        }
        writeln!(f, "  riichienv events of the kyoku:")?;
        for line in &self.their_events {
            writeln!(f, "    {line}")?;
        }
        Ok(())
    }
}

/// The outcome of one lockstep game.
#[derive(Debug)]
pub struct GameReport {
    /// Seed.
    pub seed: u64,
    /// Bots.
    pub bots: Bots,
    /// Decisions taken (one per deciding seat per decision point).
    pub decisions: u64,
    /// Kyoku played.
    pub kyokus: usize,
    /// Kyoku in which riichienv followed to the end with no disagreement.
    pub kyokus_compared: usize,
    /// Every disagreement, in order (each followed by a re-alignment).
    pub disagreements: Vec<Disagreement>,
    /// Our final scores.
    pub final_scores: [i32; 3],
    /// What the game exercised (see [`coverage`]).
    pub coverage: BTreeMap<String, u64>,
}

impl GameReport {
    /// The first disagreement that no known difference explains.
    pub fn first_unknown(&self) -> Option<&Disagreement> {
        self.disagreements.iter().find(|d| d.known.is_none())
    }
}

// ----- tiles and canonical actions -------------------------------------------------

/// Our tile of a riichienv 136-id (ids 52 and 88 are the red fives).
pub fn tile_of_id(id: u8) -> Result<Tile, String> {
    Tile::from_id136(id, true).ok_or_else(|| format!("136-id {id} is out of range"))
}

/// 136-ids of our wall, in layout order.
pub fn wall_ids(game: &Game) -> Result<Vec<u8>, String> {
    to_ids136(game.wall().tiles(), true).map_err(|e| format!("our wall has no 136-ids: {e}"))
}

/// Canonical form of one of our actions (see the module docs).
pub fn our_key(action: &Action) -> String {
    match *action {
        Action::Discard {
            tile,
            tsumogiri: false,
        } => format!("discard {tile}"),
        Action::Discard {
            tile,
            tsumogiri: true,
        } => format!("tsumogiri {tile}"),
        Action::Riichi {
            tile,
            tsumogiri: false,
        } => format!("riichi {tile}"),
        Action::Riichi {
            tile,
            tsumogiri: true,
        } => format!("riichi-tsumogiri {tile}"),
        Action::Tsumo => "tsumo".into(),
        Action::Kita => "kita".into(),
        Action::Ankan { tile } => format!("ankan {}", tile.kind()),
        Action::Kakan { tile } => format!("kakan {}", tile.kind()),
        Action::Kyuushu => "kyuushu".into(),
        Action::Ron => "ron".into(),
        Action::Pon { consumed } => pon_key(consumed[0], consumed[1]),
        Action::Daiminkan => "daiminkan".into(),
        Action::Pass => "pass".into(),
    }
}

fn pon_key(a: Tile, b: Tile) -> String {
    let (a, b) = (a.to_string(), b.to_string());
    if a <= b {
        format!("pon {a}{b}")
    } else {
        format!("pon {b}{a}")
    }
}

/// Our legal actions of `seat`, canonical.
pub fn our_legal(game: &Game, seat: Seat) -> BTreeSet<String> {
    game.legal_actions(seat).iter().map(our_key).collect()
}

fn required_tile(a: &RAction) -> Result<Tile, String> {
    let id = a
        .tile
        .or_else(|| a.consume_tiles.first().copied())
        .ok_or_else(|| format!("riichienv action {a:?} has no tile"))?;
    tile_of_id(id)
}

/// Canonical form of a riichienv action (`Riichi` itself is "riichi", see
/// [`their_legal`] for how it is expanded).
pub fn their_key(s: &GameState3P, a: &RAction) -> Result<String, String> {
    Ok(match a.action_type {
        ActionType::Discard => {
            let tile = required_tile(a)?;
            if a.tile.is_some() && a.tile == s.drawn_tile {
                format!("tsumogiri {tile}")
            } else {
                format!("discard {tile}")
            }
        }
        ActionType::Chi => "chi".into(),
        ActionType::Pon => match a.consume_tiles[..] {
            [x, y] => pon_key(tile_of_id(x)?, tile_of_id(y)?),
            _ => return Err(format!("riichienv pon {a:?} does not consume two tiles")),
        },
        ActionType::Daiminkan => "daiminkan".into(),
        ActionType::Ron => "ron".into(),
        ActionType::Riichi => "riichi".into(),
        ActionType::Tsumo => "tsumo".into(),
        ActionType::Pass => "pass".into(),
        ActionType::Ankan => format!("ankan {}", required_tile(a)?.kind()),
        ActionType::Kakan => format!("kakan {}", required_tile(a)?.kind()),
        ActionType::KyushuKyuhai => "kyuushu".into(),
        ActionType::Kita => "kita".into(),
    })
}

/// A copy of the state without its (long) mjai logs, logging off.
fn lean_clone(s: &mut GameState3P) -> GameState3P {
    let log = std::mem::take(&mut s.mjai_log);
    let per_player = std::mem::take(&mut s.mjai_log_per_player);
    let mut copy = s.clone();
    s.mjai_log = log;
    s.mjai_log_per_player = per_player;
    copy.skip_mjai_logging = true;
    copy
}

fn their_decision_legal(s: &GameState3P, seat: Seat) -> Vec<RAction> {
    s._get_legal_actions_internal(seat)
}

/// The discards riichienv allows after `seat` declares riichi, probed on a clone.
fn their_riichi_keys(s: &mut GameState3P, seat: Seat) -> Result<Vec<String>, String> {
    let riichi = their_decision_legal(s, seat)
        .into_iter()
        .find(|a| a.action_type == ActionType::Riichi)
        .ok_or("riichi is not legal")?;
    let mut probe = lean_clone(s);
    probe.step(&HashMap::from([(seat, riichi)]));
    if let Some(e) = probe.last_error.take() {
        return Err(format!("riichienv refused its own riichi: {e}"));
    }
    let mut keys = Vec::new();
    for a in their_decision_legal(&probe, seat) {
        if a.action_type == ActionType::Discard {
            let key = their_key(&probe, &a)?;
            keys.push(match key.strip_prefix("tsumogiri ") {
                Some(t) => format!("riichi-tsumogiri {t}"),
                None => format!("riichi {}", key.trim_start_matches("discard ")),
            });
        }
    }
    Ok(keys)
}

/// riichienv's legal actions of `seat`, canonical (riichi expanded per discard).
pub fn their_legal(s: &mut GameState3P, seat: Seat) -> Result<BTreeSet<String>, String> {
    let mut out = BTreeSet::new();
    for a in their_decision_legal(s, seat) {
        if a.action_type == ActionType::Riichi {
            out.extend(their_riichi_keys(s, seat)?);
        } else {
            out.insert(their_key(s, &a)?);
        }
    }
    Ok(out)
}

/// The seats riichienv waits for.
pub fn their_deciders(s: &GameState3P) -> Vec<Seat> {
    if s.is_done {
        return Vec::new();
    }
    match s.phase {
        RPhase::WaitAct => vec![s.current_player],
        RPhase::WaitResponse => {
            let mut v = s.active_players.clone();
            v.sort_unstable();
            v
        }
    }
}

/// The riichienv action with canonical form `key` (plain tiles before red ones).
fn their_action(s: &GameState3P, seat: Seat, key: &str) -> Result<RAction, String> {
    let mut found: Option<RAction> = None;
    for a in their_decision_legal(s, seat) {
        if a.action_type == ActionType::Riichi || their_key(s, &a)? != key {
            continue;
        }
        let red = a.tile.is_some_and(|id| id == 52 || id == 88);
        if !red {
            return Ok(a);
        }
        found.get_or_insert(a);
    }
    found.ok_or_else(|| format!("no legal riichienv action is `{key}`"))
}

fn scores_of(s: &GameState3P) -> [i32; 3] {
    std::array::from_fn(|i| s.players[i].score)
}

/// riichienv's evaluation of the wins in `win_results`, by seat.
fn their_wins(s: &GameState3P) -> Vec<TheirWin> {
    let mut wins: Vec<TheirWin> = s
        .win_results
        .iter()
        .map(|(&seat, r)| TheirWin {
            seat,
            han: r.han,
            fu: r.fu,
            yaku: r.yaku.clone(),
            pao_payer: r.pao_payer,
            ron: r.ron_agari,
            tsumo_dealer: r.tsumo_agari_oya,
            tsumo_other: r.tsumo_agari_ko,
        })
        .collect();
    wins.sort_by_key(|w| w.seat);
    wins
}

/// riichienv-core's yaku ids (see `../shared/fixtures/riichienv/README`) as our yaku.
pub fn yaku_of_id(id: u32) -> Option<Yaku> {
    use Yaku::*;
    Some(match id {
        1 => MenzenTsumo,
        2 => Riichi,
        3 => Chankan,
        4 => RinshanKaihou,
        5 => HaiteiRaoyue,
        6 => HouteiRaoyui,
        7 => YakuhaiHaku,
        8 => YakuhaiHatsu,
        9 => YakuhaiChun,
        10 => SeatWind,
        11 => RoundWind,
        12 => Tanyao,
        13 => Iipeikou,
        14 => Pinfu,
        15 => Chanta,
        16 => Ittsu,
        17 => SanshokuDoujun,
        18 => DoubleRiichi,
        19 => SanshokuDoukou,
        20 => Sankantsu,
        21 => Toitoi,
        22 => Sanankou,
        23 => Shousangen,
        24 => Honroutou,
        25 => Chiitoitsu,
        26 => Junchan,
        27 => Honitsu,
        28 => Ryanpeikou,
        29 => Chinitsu,
        30 => Ippatsu,
        31 => Dora,
        32 => AkaDora,
        33 => UraDora,
        34 => Nukidora,
        35 => Tenhou,
        36 => Chiihou,
        37 => Daisangen,
        38 => Suuankou,
        39 => Tsuuiisou,
        40 => Ryuuiisou,
        41 => Chinroutou,
        42 => KokushiMusou,
        43 => Shousuushii,
        44 => Suukantsu,
        45 => ChuurenPoutou,
        47 => JunseiChuurenPoutou,
        48 => SuuankouTanki,
        49 => KokushiMusou13Wait,
        50 => Daisuushii,
        _ => return None,
    })
}

// ----- the lockstep driver ---------------------------------------------------------

struct Lockstep {
    seed: u64,
    bots: Bots,
    game: Game,
    agents: Vec<Box<dyn Agent>>,
    theirs: GameState3P,
    /// riichienv follows the current kyoku.
    synced: bool,
    kyoku_index: usize,
    kyoku_label: String,
    /// Index of the current kyoku's `start_kyoku` in our events / riichienv's log.
    our_start: usize,
    their_start: usize,
    step: usize,
    decisions: u64,
    kyokus_compared: usize,
    disagreements: Vec<Disagreement>,
    /// Stop after this many kyoku (scenarios).
    max_kyokus: usize,
}

/// Plays one full game of our engine with `bots` in lockstep with riichienv.
pub fn run_game(seed: u64, bots: Bots) -> GameReport {
    let mut run = Lockstep::new(seed, bots);
    run.play(|_, _| {});
    run.report()
}

/// Plays the first kyoku of `game` (e.g. from `Game::with_wall`) in lockstep with
/// riichienv, seat `s` following `scripts[s]`: canonical actions (see the module docs)
/// taken in order as soon as they are legal; otherwise the seat passes, or discards its
/// drawn tile (the first legal action when neither is possible).
pub fn run_scenario(game: Game, scripts: [&[&str]; 3]) -> GameReport {
    let agents = scripts
        .iter()
        .map(|script| {
            Box::new(ScriptedAgent {
                script: script.iter().map(|k| k.to_string()).collect(),
                next: 0,
            }) as Box<dyn Agent>
        })
        .collect();
    let mut run = Lockstep::with_game(game, agents, Bots::Scripted);
    run.max_kyokus = 1;
    run.play(|_, _| {});
    run.report()
}

/// Follows a script of canonical actions (see [`run_scenario`]).
struct ScriptedAgent {
    script: Vec<String>,
    next: usize,
}

impl Agent for ScriptedAgent {
    fn name(&self) -> String {
        "scripted".into()
    }

    fn act(&mut self, view: &SeatView<'_>) -> Action {
        let legal = view.legal_actions();
        if let Some(key) = self.script.get(self.next) {
            if let Some(a) = legal.iter().find(|a| our_key(a) == *key) {
                self.next += 1;
                return *a;
            }
        }
        let fallback = legal.iter().find(|a| {
            matches!(
                a,
                Action::Pass
                    | Action::Discard {
                        tsumogiri: true,
                        ..
                    }
            )
        });
        *fallback.unwrap_or(&legal[0])
    }
}

impl Lockstep {
    fn new(seed: u64, bots: Bots) -> Lockstep {
        let mut agents = bots.agents();
        for a in agents.iter_mut() {
            a.start_game(seed);
        }
        Lockstep::with_game(Game::new(Rules::default(), seed), agents, bots)
    }

    /// Lockstep from our `game` as it stands at the start of a kyoku.
    fn with_game(game: Game, agents: Vec<Box<dyn Agent>>, bots: Bots) -> Lockstep {
        let seed = game.seed();
        let mut theirs = GameState3P::new(HANCHAN, false, Some(seed), 0, riichienv_rule());
        theirs.reset();
        let mut run = Lockstep {
            seed,
            bots,
            game,
            agents,
            theirs,
            synced: false,
            kyoku_index: 0,
            kyoku_label: String::new(),
            our_start: 0,
            their_start: 0,
            step: 0,
            decisions: 0,
            kyokus_compared: 0,
            disagreements: Vec::new(),
            max_kyokus: usize::MAX,
        };
        run.start_kyoku();
        run
    }

    fn report(self) -> GameReport {
        GameReport {
            seed: self.seed,
            bots: self.bots,
            decisions: self.decisions,
            kyokus: self.kyoku_index + 1,
            kyokus_compared: self.kyokus_compared,
            coverage: coverage(self.game.events()),
            final_scores: self.game.view(0).scores(),
            disagreements: self.disagreements,
        }
    }

    /// Our header of the kyoku that starts at the last `start_kyoku` event.
    fn our_header(&self) -> Option<(usize, KyokuHeader)> {
        let events = self.game.events();
        let i = events
            .iter()
            .rposition(|e| matches!(e, Event::StartKyoku { .. }))?;
        match &events[i] {
            Event::StartKyoku {
                bakaze,
                honba,
                kyotaku,
                oya,
                scores,
                ..
            } => Some((
                i,
                KyokuHeader {
                    wind: (bakaze.index() as u8).saturating_sub(27),
                    oya: *oya,
                    honba: *honba,
                    deposits: *kyotaku,
                    scores: [scores[0], scores[1], scores[2]],
                },
            )),
            _ => None,
        }
    }

    /// Loads our current kyoku into riichienv.
    fn start_kyoku(&mut self) {
        let Some((start, ours)) = self.our_header() else {
            return;
        };
        // drop the kyoku riichienv dealt itself
        if let Some(k) = self
            .theirs
            .mjai_log
            .iter()
            .rposition(|e| e.contains("\"start_kyoku\""))
            .filter(|&k| k > self.their_start)
        {
            self.truncate_their_log(k);
        }
        self.our_start = start;
        self.their_start = self.theirs.mjai_log.len();
        self.kyoku_label = ours.label();
        self.step = 0;
        let wall = match wall_ids(&self.game) {
            Ok(w) => w,
            Err(e) => {
                self.disagree(
                    Mismatch::Rejected {
                        seat: ours.oya,
                        action: "deal".into(),
                        error: e,
                    },
                    Vec::new(),
                    Vec::new(),
                );
                return;
            }
        };
        self.theirs._initialize_round(
            ours.oya,
            ours.wind,
            ours.honba.min(u8::MAX as u32) as u8,
            ours.deposits,
            Some(wall),
            Some(ours.scores.to_vec()),
        );
        self.theirs.last_error = None;
        self.synced = true;
    }

    fn truncate_their_log(&mut self, k: usize) {
        self.theirs.mjai_log.truncate(k);
        for log in self.theirs.mjai_log_per_player.iter_mut() {
            log.truncate(k);
        }
    }

    fn disagree(&mut self, mismatch: Mismatch, chosen: Vec<(Seat, Action)>, wins: Vec<TheirWin>) {
        let mut d = Disagreement {
            seed: self.seed,
            bots: self.bots,
            kyoku_index: self.kyoku_index,
            kyoku: self.kyoku_label.clone(),
            step: self.step,
            mismatch,
            chosen,
            our_events: kyoku_events(&self.game.events()[self.our_start..]),
            their_events: self
                .theirs
                .mjai_log
                .get(self.their_start..)
                .unwrap_or_default()
                .to_vec(),
            their_wins: wins,
            known: None,
        };
        d.known = classify(&d);
        self.disagreements.push(d);
        self.synced = false;
    }

    /// Plays to the end. `meddle` may change riichienv's state before each decision
    /// (for testing the harness itself).
    fn play(&mut self, mut meddle: impl FnMut(&mut GameState3P, usize)) {
        let mut deciding: Vec<Seat> = Vec::with_capacity(3);
        while !self.game.is_over() {
            deciding.clear();
            deciding.extend(self.game.deciding());
            if self.synced {
                meddle(&mut self.theirs, self.step);
                self.compare_decision(&deciding);
            }
            let chosen: Vec<(Seat, Action)> = deciding
                .iter()
                .map(|&seat| (seat, self.agents[seat as usize].act(&self.game.view(seat))))
                .collect();
            self.decisions += chosen.len() as u64;
            // riichienv first: its actions are looked up in its pre-step state
            let their_before = scores_of(&self.theirs);
            let hand_before = self.theirs.wall.hand_index;
            let mut wins = Vec::new();
            if self.synced {
                if let Err(m) = self.step_theirs(&chosen, &mut wins) {
                    self.disagree(m, chosen.clone(), Vec::new());
                }
            }
            let our_before = self.game.view(0).scores();
            let events_before = self.game.events().len();
            for &(seat, action) in &chosen {
                if let Err(e) = self.game.act(seat, action) {
                    // our bot chose an action our engine refuses: an engine/bot bug
                    self.disagree(
                        Mismatch::Rejected {
                            seat,
                            action: action.to_string(),
                            error: format!("our engine refused its own legal action: {e}"),
                        },
                        chosen.clone(),
                        Vec::new(),
                    );
                    return;
                }
            }
            self.step += 1;
            let ours_ended = self.game.events()[events_before..]
                .iter()
                .any(|e| matches!(e, Event::EndKyoku));
            let theirs_ended = self.theirs.is_done || self.theirs.wall.hand_index != hand_before;
            if self.synced && ours_ended != theirs_ended {
                self.disagree(
                    Mismatch::KyokuEnd { ours_ended },
                    chosen.clone(),
                    Vec::new(),
                );
            }
            if !ours_ended {
                continue;
            }
            // the game end first: it moves leftover deposits, so the deltas would differ too
            if self.synced && self.game.is_over() != self.theirs.is_done {
                self.disagree(
                    Mismatch::GameEnd {
                        ours_over: self.game.is_over(),
                    },
                    chosen.clone(),
                    wins.clone(),
                );
            }
            if self.synced {
                let ours = delta(our_before, self.game.view(0).scores());
                let theirs = delta(their_before, scores_of(&self.theirs));
                if ours != theirs {
                    self.disagree(Mismatch::Deltas { ours, theirs }, chosen.clone(), wins);
                }
            }
            if self.synced {
                self.kyokus_compared += 1;
            }
            if self.game.is_over() {
                return;
            }
            // riichienv's own idea of the next kyoku (it dealt one itself)
            if self.synced {
                let theirs = KyokuHeader::of_theirs(&self.theirs);
                match self.our_header() {
                    Some((_, ours)) if ours != theirs => self.disagree(
                        Mismatch::NextKyoku { ours, theirs },
                        chosen.clone(),
                        Vec::new(),
                    ),
                    _ => {}
                }
            }
            self.kyoku_index += 1;
            if self.kyoku_index >= self.max_kyokus {
                return;
            }
            self.start_kyoku();
        }
    }

    /// Compares deciding seats and their legal actions; records the first difference.
    fn compare_decision(&mut self, deciding: &[Seat]) {
        let theirs = their_deciders(&self.theirs);
        if theirs != deciding {
            self.disagree(
                Mismatch::Deciders {
                    ours: deciding.to_vec(),
                    theirs,
                },
                Vec::new(),
                Vec::new(),
            );
            return;
        }
        for &seat in deciding {
            let ours = our_legal(&self.game, seat);
            let theirs = match their_legal(&mut self.theirs, seat) {
                Ok(t) => t,
                Err(error) => {
                    self.disagree(
                        Mismatch::Rejected {
                            seat,
                            action: "list legal actions".into(),
                            error,
                        },
                        Vec::new(),
                        Vec::new(),
                    );
                    return;
                }
            };
            if ours != theirs {
                self.disagree(
                    Mismatch::Legal { seat, ours, theirs },
                    Vec::new(),
                    Vec::new(),
                );
                return;
            }
        }
    }

    /// Applies our chosen actions to riichienv. `wins`: riichienv's evaluation of any
    /// win in this step (from a probe that stops after the hand).
    fn step_theirs(
        &mut self,
        chosen: &[(Seat, Action)],
        wins: &mut Vec<TheirWin>,
    ) -> Result<(), Mismatch> {
        let s = &mut self.theirs;
        let rejected = |seat: Seat, action: &Action, error: String| Mismatch::Rejected {
            seat,
            action: action.to_string(),
            error,
        };
        let mut map = HashMap::with_capacity(chosen.len());
        for &(seat, action) in chosen {
            let key = match action {
                Action::Riichi { tile, tsumogiri } => {
                    // two steps: the declaration, then the discard
                    let riichi = their_decision_legal(s, seat)
                        .into_iter()
                        .find(|a| a.action_type == ActionType::Riichi)
                        .ok_or_else(|| rejected(seat, &action, "riichi not offered".into()))?;
                    s.step(&HashMap::from([(seat, riichi)]));
                    if let Some(e) = s.last_error.take() {
                        return Err(rejected(seat, &action, e));
                    }
                    our_key(&Action::Discard { tile, tsumogiri })
                }
                other => our_key(&other),
            };
            let a = their_action(s, seat, &key).map_err(|e| rejected(seat, &action, e))?;
            map.insert(seat, a);
        }
        if chosen
            .iter()
            .any(|(_, a)| matches!(a, Action::Tsumo | Action::Ron))
        {
            let mut probe = lean_clone(s);
            probe.game_mode = SINGLE_HAND;
            probe.step(&map);
            *wins = their_wins(&probe);
        }
        s.step(&map);
        if let Some(e) = s.last_error.take() {
            let (seat, action) = chosen[0];
            return Err(rejected(seat, &action, e));
        }
        Ok(())
    }
}

/// Counts what a game exercised, from our events: calls, kans, Kita, riichi, wins
/// (tsumo/ron, double ron, and on what: kakan, Kita, ankan), each yaku of a win, the
/// reason of each drawn hand, and the wind the game ended in.
pub fn coverage(events: &[Event]) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    let mut add = |k: String| *out.entry(k).or_insert(0) += 1;
    let mut last_wind = None;
    for (i, e) in events.iter().enumerate() {
        match e {
            Event::StartKyoku { bakaze, .. } => last_wind = Some(*bakaze),
            Event::Pon { .. } => add("call pon".into()),
            Event::Daiminkan { .. } => add("call daiminkan".into()),
            Event::Kakan { .. } => add("call kakan".into()),
            Event::Ankan { .. } => add("call ankan".into()),
            Event::Nukidora { .. } => add("call kita".into()),
            Event::ReachAccepted { .. } => add("riichi accepted".into()),
            Event::Hora {
                actor,
                target,
                yaku,
                ..
            } => {
                let before = events[..i]
                    .iter()
                    .rev()
                    .find(|e| !matches!(e, Event::Hora { .. } | Event::Dora { .. }));
                let on = match before {
                    _ if actor == target => "tsumo",
                    Some(Event::Kakan { .. }) => "ron on kakan",
                    Some(Event::Nukidora { .. }) => "ron on kita",
                    Some(Event::Ankan { .. }) => "ron on ankan",
                    _ => "ron",
                };
                add(format!("win {on}"));
                if matches!(events.get(i + 1), Some(Event::Hora { .. })) {
                    add("win double ron".into());
                }
                for y in yaku {
                    add(format!("yaku {y}"));
                }
            }
            Event::Ryukyoku { reason, .. } => add(format!("draw {reason}")),
            Event::EndGame { .. } => {
                if let Some(w) = last_wind {
                    add(format!("game ended in the {w} round"));
                }
            }
            _ => {}
        }
    }
    out
}

/// The events of one kyoku from its `start_kyoku`: up to its `end_kyoku`, and the
/// `end_game` right after it (not the next kyoku's).
fn kyoku_events(from_start: &[Event]) -> Vec<Event> {
    let end = match from_start.iter().position(|e| matches!(e, Event::EndKyoku)) {
        Some(i) if matches!(from_start.get(i + 1), Some(Event::EndGame { .. })) => i + 2,
        Some(i) => i + 1,
        None => from_start.len(),
    };
    from_start[..end].to_vec()
}

fn delta(before: [i32; 3], after: [i32; 3]) -> [i32; 3] {
    std::array::from_fn(|i| after[i] - before[i])
}

// ----- known differences -------------------------------------------------------------

/// Every documented difference between the engines (see each entry's explanation and
/// source). A disagreement that none of them matches, or one on our side
/// ([`Side::Meowlab`]), fails the lockstep test.
pub static KNOWN_DIFFERENCES: &[KnownDifference] = &[
    KnownDifference {
        name: "consecutive-kan-dora",
        side: Side::Meowlab,
        explanation: "a kan declared before the discard that follows an open kan \
            (daiminkan/kakan) loses the open kan's dora: `Game::pending_dora` is a bool and \
            `reveal_dora` clears it, so kakan+ankan or kakan+kakan reveal one indicator \
            instead of two (and the ura indicators are one short). riichienv reveals every \
            kan's indicator (the pending one at the next kan). Tenhou: one new indicator per \
            kan; an open kan's is shown after its discard or at the next kan, whichever \
            comes first.",
        source: "Tenhou manual (tenhou.net/man): kan dora for every kan, open-kan dora \
            after the discard (atozuke); riichienv state_3p/mod.rs _resolve_kan reveals \
            pending_kan_dora_count before the new kan",
        matches: consecutive_kan_dora,
        seen: &[(Bots::Heuristic, 1_007_469), (Bots::Heuristic, 1_008_519)],
    },
    KnownDifference {
        name: "chankan-ippatsu",
        side: Side::Meowlab,
        explanation: "ron on a kakan (chankan) by a riichi player in the ippatsu window: \
            our engine interrupts (clears everyone's ippatsu) before offering the ron, so \
            the win has no ippatsu; riichienv scores ippatsu. Tenhou: the robbed kan never \
            happened, chankan and ippatsu combine.",
        source: "riichi.wiki Ippatsu / Chankan (chankan is compatible with ippatsu); \
            riichienv state_3p/mod.rs (Kakan: ippatsu_cycle used for the chankan check, \
            cleared only in _resolve_kan)",
        matches: chankan_ippatsu,
        seen: &[(Bots::Heuristic, 1_009_457)],
    },
    KnownDifference {
        name: "no-pao",
        side: Side::Meowlab,
        explanation: "daisangen (daisuushii) completed by a pon/kan of the third dragon \
            (fourth wind): Tenhou makes the player who discarded it liable (pao): \
            tsumo → the liable player pays everything; ron by another player → the \
            liable player and the discarder split it. Our engine has no pao and charges \
            the usual payers; riichienv (GameRule::default_tenhou, \
            yakuman_pao_is_liability_only = false) applies Tenhou's pao.",
        source: "Tenhou manual (tenhou.net/man): 大三元・大四喜の包あり; \
            riichienv state_3p/mod.rs (pao on pon/daiminkan, tsumo and ron settlement)",
        matches: no_pao,
        seen: &[(Bots::Heuristic, 1_005_037), (Bots::Heuristic, 1_006_089)],
    },
    KnownDifference {
        name: "abortive-draw-agari-yame",
        side: Side::Meowlab,
        explanation: "an abortive draw (kyuushu kyuuhai, four kans) in all-last with the \
            dealer first and at 40,000 or more: our engine ends the game (it treats the \
            abortive draw like a dealer win, `end_kyoku(true, ..)`); riichienv repeats \
            the hand (renchan, honba + 1). Tenhou: only a dealer win (agari-yame) or \
            dealer tenpai at an exhaustive draw (tenpai-yame) may end the game; an \
            abortive draw is simply replayed.",
        source: "Tenhou manual (tenhou.net/man): オーラス親の和了止め・聴牌止め; riichienv \
            state_3p/mod.rs _advance_round (\"Abortive draws repeat without applying \
            agari-yame or tenpai-yame\")",
        matches: abortive_draw_agari_yame,
        seen: &[(Bots::Heuristic, 1_007_106), (Bots::Heuristic, 1_007_697)],
    },
    KnownDifference {
        name: "extension-renchan",
        side: Side::Meowlab,
        explanation: "in the West extension (sudden death), a hand that keeps the dealer \
            (dealer win, double ron with the dealer, dealer tenpai) while a non-dealer has \
            reached 40,000: our engine ends the game (`round > last && someone_reached`); \
            riichienv continues with the renchan. Tenhou: the renchan takes precedence; \
            the game ends when a hand passes the deal (or agari-yame of a top dealer).",
        source: "Tenhou manual (tenhou.net/man, サドンデス); summary \
            https://jkaljsoiw.hatenablog.com/entry/2023/04/21/223000 (親の連荘+子の3万点超え\
            が同時に発生した場合は連荘を優先する); riichienv tests/match_end.rs \
            extension_*_repeats_when_child_is_top",
        matches: extension_renchan,
        seen: &[(Bots::Heuristic, 1_005_206)],
    },
    KnownDifference {
        name: "four-kan-discard-pon",
        side: Side::Meowlab,
        explanation: "the discard after the fourth kan (kans by two or more players): \
            our engine still offers pon on it (and plays on if it is called); riichienv \
            offers only ron and aborts the hand (suukaikan) when nobody rons. Tenhou: \
            the hand is aborted as soon as that discard is not ronned; it cannot be \
            called.",
        source: "Tenhou manual (tenhou.net/man): 四開槓 流局; riichienv \
            state_3p/legal_actions.rs (\"Ron takes priority over an abortive draw; other \
            calls do not\")",
        matches: four_kan_discard_pon,
        seen: &[(Bots::Caller, 2_000_143), (Bots::Caller, 2_000_993)],
    },
    KnownDifference {
        name: "kita-reveals-open-kan-dora",
        side: Side::Meowlab,
        explanation: "an open kan (daiminkan/kakan) followed by a Kita before any discard: \
            riichienv reveals the open kan's pending dora at the Kita, so a win on the \
            Kita's replacement tile or a ron on the North scores it; our engine revealed it \
            only at the next discard. Tenhou reveals it at the Kita too: its mjlogs put the \
            <DORA> tag right after the Kita's <N> (10 such cases in the 1,000 fixture \
            games), so the engine now does.",
        source: "Tenhou games 2026012019gm-00b9-0000-6c8a7249 and \
            2026011711gm-00b9-0000-a5072a01 (mjlog: <N> open kan, rinshan draw, <N> Kita, \
            <DORA>, draw); riichienv state_3p/sanma.rs handle_kita",
        matches: kita_reveals_open_kan_dora,
        seen: &[(Bots::Caller, 2_002_106)],
    },
    KnownDifference {
        name: "kita-ron-ippatsu",
        side: Side::Meowlab,
        explanation: "ron on a North set aside (Kita) by a riichi player in the ippatsu \
            window: our engine interrupted (cleared everyone's ippatsu, \
            `kita_breaks_ippatsu`) before offering the ron, so the win had no ippatsu; \
            riichienv breaks ippatsu only after the ron window and scores it. Tenhou \
            scores it too (a real game: the robbed Kita never stands), so the engine now \
            breaks ippatsu only once nobody rons the North.",
        source: "Tenhou game 2026011901gm-00b9-0000-f1410863 (East 3, honba 3: ron on a \
            Kita, 立直 一発 七対子 ドラ, dealer mangan), replayed by meowlab-import; \
            riichienv state_3p/sanma.rs handle_kita (ippatsu broken after the ron check)",
        matches: kita_ron_ippatsu,
        seen: &[(Bots::Random, 24_182)],
    },
];

fn kita_reveals_open_kan_dora(d: &Disagreement) -> bool {
    // an open kan, then (before any discard) a Kita, then the hand ended on a win
    let mut open_kan = false;
    let mut kita_after = false;
    for e in &d.our_events {
        match e {
            Event::Dahai { .. } => (open_kan, kita_after) = (false, false),
            Event::Daiminkan { .. } | Event::Kakan { .. } => open_kan = true,
            Event::Nukidora { .. } if open_kan => kita_after = true,
            _ => {}
        }
    }
    let ours = d
        .our_events
        .iter()
        .filter(|e| matches!(e, Event::Dora { .. }))
        .count();
    score_mismatch(d) && kita_after && ours < their_event_count(d, "dora")
}

/// The engines disagree on the scores after a hand (or, through them, on whether the
/// game is over: a bust).
fn score_mismatch(d: &Disagreement) -> bool {
    matches!(
        d.mismatch,
        Mismatch::Deltas { .. } | Mismatch::GameEnd { .. }
    )
}

/// The decision is a response to a discard (the last event, or the one before a dora
/// revealed after it).
fn after_discard(d: &Disagreement) -> bool {
    d.our_events
        .iter()
        .rev()
        .find(|e| !matches!(e, Event::Dora { .. }))
        .is_some_and(|e| matches!(e, Event::Dahai { .. }))
}

fn kita_ron_ippatsu(d: &Disagreement) -> bool {
    let robbed_kita = d
        .our_events
        .iter()
        .rev()
        .find(|e| {
            !matches!(
                e,
                Event::Hora { .. } | Event::EndKyoku | Event::EndGame { .. }
            )
        })
        .is_some_and(|e| matches!(e, Event::Nukidora { .. }));
    score_mismatch(d)
        && robbed_kita
        && d.their_wins.iter().any(|w| {
            w.has(Yaku::Ippatsu)
                && our_wins(d).any(|(&seat, yaku)| {
                    seat == w.seat && !yaku.iter().any(|y| y == Yaku::Ippatsu.name())
                })
        })
}

fn kan_event(e: &Event) -> bool {
    matches!(
        e,
        Event::Daiminkan { .. } | Event::Kakan { .. } | Event::Ankan { .. }
    )
}

/// Our last win events of the kyoku.
fn our_wins(d: &Disagreement) -> impl Iterator<Item = (&Seat, &Vec<String>)> {
    d.our_events.iter().filter_map(|e| match e {
        Event::Hora { actor, yaku, .. } => Some((actor, yaku)),
        _ => None,
    })
}

fn their_event_count(d: &Disagreement, kind: &str) -> usize {
    let needle = format!("\"type\":\"{kind}\"");
    d.their_events
        .iter()
        .filter(|e| e.contains(&needle))
        .count()
}

fn consecutive_kan_dora(d: &Disagreement) -> bool {
    // an open kan followed by another kan before any discard
    let mut open_pending = false;
    let mut consecutive = false;
    for e in &d.our_events {
        match e {
            Event::Dahai { .. } => open_pending = false,
            Event::Daiminkan { .. } | Event::Kakan { .. } => {
                consecutive |= open_pending;
                open_pending = true;
            }
            Event::Ankan { .. } => consecutive |= open_pending,
            _ => {}
        }
    }
    let ours = d
        .our_events
        .iter()
        .filter(|e| matches!(e, Event::Dora { .. }))
        .count();
    consecutive && ours < their_event_count(d, "dora")
}

fn chankan_ippatsu(d: &Disagreement) -> bool {
    score_mismatch(d)
        && d.their_wins.iter().any(|w| {
            w.has(Yaku::Chankan)
                && w.has(Yaku::Ippatsu)
                && our_wins(d).any(|(&seat, yaku)| {
                    seat == w.seat && !yaku.iter().any(|y| y == Yaku::Ippatsu.name())
                })
        })
}

fn no_pao(d: &Disagreement) -> bool {
    score_mismatch(d) && d.their_wins.iter().any(|w| w.pao_payer.is_some())
}

fn abortive_draw_agari_yame(d: &Disagreement) -> bool {
    matches!(d.mismatch, Mismatch::GameEnd { ours_over: true })
        && !d
            .our_events
            .iter()
            .any(|e| matches!(e, Event::EndGame { scores } if scores.iter().any(|&s| s < 0)))
        && d.our_events.iter().any(|e| {
            matches!(e, Event::Ryukyoku { reason, .. } if reason == "kyuushu" || reason == "suukaikan")
        })
}

fn extension_renchan(d: &Disagreement) -> bool {
    let Mismatch::GameEnd { ours_over: true } = d.mismatch else {
        return false;
    };
    let Some(Event::StartKyoku { bakaze, oya, .. }) = d.our_events.first() else {
        return false;
    };
    let dealer_won = our_wins(d).any(|(seat, _)| seat == oya);
    let dealer_tenpai = d.our_events.iter().any(|e| {
        matches!(e, Event::Ryukyoku { reason, deltas } if reason == "exhaustive" && deltas[*oya as usize] > 0)
    });
    let bust = d
        .our_events
        .iter()
        .any(|e| matches!(e, Event::EndGame { scores } if scores.iter().any(|&s| s < 0)));
    *bakaze == Tile::WEST && (dealer_won || dealer_tenpai) && !bust
}

fn four_kan_discard_pon(d: &Disagreement) -> bool {
    let kans = d.our_events.iter().filter(|e| kan_event(e)).count();
    let kan_seats: BTreeSet<Seat> = d
        .our_events
        .iter()
        .filter_map(|e| match e {
            Event::Daiminkan { actor, .. }
            | Event::Kakan { actor, .. }
            | Event::Ankan { actor, .. } => Some(*actor),
            _ => None,
        })
        .collect();
    if kans != 4 || kan_seats.len() < 2 {
        return false;
    }
    match &d.mismatch {
        // riichienv aborted; our engine waits for a pon decision
        Mismatch::KyokuEnd { ours_ended: false } => d
            .their_events
            .iter()
            .any(|e| e.contains("\"reason\":\"suukansansen\"")),
        // a seat that could also ron: pon is offered by us only
        Mismatch::Legal { ours, theirs, .. } => {
            after_discard(d)
                && theirs.is_subset(ours)
                && ours.difference(theirs).all(|a| a.starts_with("pon "))
        }
        // a seat that can only pon decides for us only
        Mismatch::Deciders { ours, theirs } => {
            after_discard(d) && theirs.iter().all(|s| ours.contains(s)) && ours.len() > theirs.len()
        }
        _ => false,
    }
}

/// The documented difference `d` is, if any.
pub fn classify(d: &Disagreement) -> Option<&'static KnownDifference> {
    KNOWN_DIFFERENCES.iter().find(|k| (k.matches)(d))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_keys_match_on_both_sides() {
        let five = Tile::from_id136(53, true).unwrap();
        let red = Tile::from_id136(52, true).unwrap();
        assert_eq!(red.to_string(), "0p");
        assert_eq!(
            our_key(&Action::Pon {
                consumed: [five, red]
            }),
            "pon 0p5p"
        );
        assert_eq!(
            our_key(&Action::Kakan { tile: five }),
            our_key(&Action::Kakan { tile: red })
        );
    }

    #[test]
    fn the_engines_agree_on_a_plain_game() {
        let report = run_game(3, Bots::Heuristic);
        assert!(
            report.disagreements.is_empty(),
            "{:?}",
            report.disagreements
        );
        assert_eq!(report.kyokus, report.kyokus_compared);
    }

    /// A tampered riichienv hand must show up as a legal-action disagreement, and the
    /// harness must re-align at the next kyoku and compare the rest of the game.
    #[test]
    fn a_tampered_hand_is_reported_and_realigned() {
        let mut run = Lockstep::new(3, Bots::Heuristic);
        let mut done = false;
        run.play(|s, step| {
            if !done && step == 0 {
                // turn a single tile of the dealer's into a chun it does not hold
                let hand = &mut s.players[s.oya as usize].hand;
                let single = |k: u8| hand.iter().filter(|&&t| t / 4 == k).count() == 1;
                let swap = hand.iter().position(|&t| single(t / 4) && t / 4 != 33);
                assert!(!hand.iter().any(|&t| t / 4 == 33), "pick another seed");
                let i = swap.expect("pick another seed");
                hand[i] = 132;
                done = true;
            }
        });
        let report = run.report();
        let first = report.disagreements.first().expect("a disagreement");
        assert!(
            matches!(first.mismatch, Mismatch::Legal { seat: 0, .. }),
            "{first}"
        );
        assert!(first.known.is_none());
        assert!(first.our_events.len() >= 2, "{first}");
        assert!(report.kyokus_compared >= report.kyokus - 1, "{report:?}");
    }

    /// A score changed behind the harness's back shows at the next kyoku's start.
    #[test]
    fn a_tampered_score_is_reported() {
        let mut run = Lockstep::new(3, Bots::Heuristic);
        let mut done = false;
        run.play(|s, _| {
            if !done {
                s.players[1].score += 100;
                done = true;
            }
        });
        let report = run.report();
        let first = report.disagreements.first().expect("a disagreement");
        assert!(
            matches!(first.mismatch, Mismatch::NextKyoku { .. }),
            "{first}"
        );
    }
}
