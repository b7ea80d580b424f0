//! The game state machine. A [`Game`] advances to *decision points*; at each one some
//! seats have legal actions and the others wait. [`Game::act`] applies one seat's
//! choice; when every deciding seat has chosen, the game resolves the choices and runs
//! on to the next decision point. Every change is recorded as an mjai [`Event`].
//!
//! The state is split over files by concern, each with its own `impl Game` block:
//! `legal.rs` (what each seat may do), `flow.rs` (applying actions, draws, calls),
//! `settle.rs` (wins, draws, payments, the end of the game).

mod flow;
mod legal;
mod settle;

use meowlab_hand::{Counts, Meld, MeldKind, ScoringRules, Tile};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::action::{Action, IllegalAction, Seat};
use crate::event::Event;
use crate::rules::{GameLength, Rules, WallDealing};
use crate::wall::Wall;

/// A discarded tile and how it was discarded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Discard {
    /// The tile.
    pub tile: Tile,
    /// It was the tile just drawn.
    pub tsumogiri: bool,
    /// It declared riichi (shown turned sideways).
    pub riichi: bool,
    /// Another player called it.
    pub called: bool,
}

/// A declared meld with its exact tiles.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CalledMeld {
    /// Kind of call.
    pub kind: MeldKind,
    /// Its tiles (3 for pon, 4 for kans), the called tile first for open calls.
    pub tiles: [Tile; 4],
    /// Seat the tile was called from (the owner for ankan).
    pub from: Seat,
    /// The turn number when it was declared (see [`Game::turn_number`]); an added kan
    /// rewrites it with the turn of the kakan.
    pub turn: u8,
}

impl CalledMeld {
    /// Plain kind of the meld.
    pub fn kind_tile(&self) -> Tile {
        self.tiles[0].kind()
    }

    /// The tiles it holds.
    pub fn tiles(&self) -> &[Tile] {
        &self.tiles[..if self.kind == MeldKind::Pon { 3 } else { 4 }]
    }

    /// As a scoring meld.
    pub fn to_meld(&self) -> Meld {
        Meld {
            kind: self.kind,
            tile: self.kind_tile(),
            reds: self.tiles().iter().filter(|t| t.is_red()).count() as u8,
        }
    }
}

/// One seat's part of the state.
#[derive(Clone, Debug)]
pub(crate) struct Player {
    /// Concealed tiles by kind, the drawn tile included.
    pub(crate) counts: Counts,
    /// Red fives held, bit 1 = 0p, bit 2 = 0s.
    pub(crate) reds: u8,
    /// The tile just drawn, while the seat is to act on it.
    pub(crate) drawn: Option<Tile>,
    pub(crate) melds: Vec<CalledMeld>,
    pub(crate) kita: u8,
    pub(crate) discards: Vec<Discard>,
    /// Kinds in `discards` (permanent furiten).
    pub(crate) discarded_kinds: u64,
    /// Riichi accepted (deposit paid).
    pub(crate) riichi: bool,
    /// Riichi declared by the discard now on the table, not yet accepted.
    pub(crate) riichi_declared: bool,
    /// [`Game::turn_number`] when riichi was declared (0: no riichi).
    pub(crate) riichi_turn: u8,
    pub(crate) double_riichi: bool,
    pub(crate) ippatsu: bool,
    /// Winning kinds of the concealed hand without the drawn tile (0 = not tenpai).
    pub(crate) waits: u64,
    /// Passed a winning tile since the last own discard.
    pub(crate) furiten_temporary: bool,
    /// Passed a winning tile after riichi.
    pub(crate) furiten_riichi: bool,
    /// Kinds that may not be discarded right now (kuikae after pon).
    pub(crate) forbidden: u64,
    /// Pao: the seat liable for daisangen / daisuushii, whose tile completed the third
    /// dragon (fourth wind) meld.
    pub(crate) pao: Option<(Seat, meowlab_hand::Yaku)>,
}

impl Player {
    fn new() -> Self {
        Player {
            counts: [0; 34],
            reds: 0,
            drawn: None,
            melds: Vec::with_capacity(4),
            kita: 0,
            discards: Vec::with_capacity(32),
            discarded_kinds: 0,
            riichi: false,
            riichi_declared: false,
            riichi_turn: 0,
            double_riichi: false,
            ippatsu: false,
            waits: 0,
            furiten_temporary: false,
            furiten_riichi: false,
            forbidden: 0,
            pao: None,
        }
    }

    fn reset(&mut self) {
        let (mut melds, mut discards) = (
            std::mem::take(&mut self.melds),
            std::mem::take(&mut self.discards),
        );
        melds.clear();
        discards.clear();
        *self = Player {
            melds,
            discards,
            ..Player::new()
        };
    }

    fn add(&mut self, t: Tile) {
        self.counts[t.index()] += 1;
        if t.is_red() {
            self.reds |= red_bit(t);
        }
    }

    /// Removes an exact tile; false when the hand does not hold it.
    fn remove(&mut self, t: Tile) -> bool {
        if !self.holds(t) {
            return false;
        }
        self.counts[t.index()] -= 1;
        if t.is_red() {
            self.reds &= !red_bit(t);
        }
        true
    }

    /// Whether the hand holds this exact tile (a plain five needs a non-red copy).
    fn holds(&self, t: Tile) -> bool {
        let c = self.counts[t.index()];
        if t.is_red() {
            self.reds & red_bit(t) != 0
        } else {
            c > self.has_red_of(t) as u8
        }
    }

    fn has_red_of(&self, t: Tile) -> bool {
        Tile::red_five(t.suit())
            .is_some_and(|r| r.kind() == t.kind() && self.reds & red_bit(r) != 0)
    }

    fn is_closed(&self) -> bool {
        self.melds.iter().all(|m| m.kind == MeldKind::Ankan)
    }

    fn is_furiten(&self) -> bool {
        self.furiten_temporary || self.furiten_riichi || self.waits & self.discarded_kinds != 0
    }

    /// Concealed tiles as exact tiles, sorted.
    pub(crate) fn tiles(&self) -> Vec<Tile> {
        let mut out = Vec::with_capacity(14);
        for (i, &c) in self.counts.iter().enumerate() {
            let t = Tile::from_index(i).expect("index < 34");
            let red = self.has_red_of(t);
            for k in 0..c {
                out.push(if red && k == 0 {
                    Tile::red_five(t.suit()).expect("five")
                } else {
                    t
                });
            }
        }
        out
    }
}

fn red_bit(t: Tile) -> u8 {
    match t.suit() {
        meowlab_hand::Suit::Man => 1,
        meowlab_hand::Suit::Pin => 2,
        meowlab_hand::Suit::Sou => 4,
        meowlab_hand::Suit::Honor => 0,
    }
}

/// What the deciding seats are responding to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trigger {
    /// A discard.
    Discard,
    /// A tile added to a pon (chankan).
    Kakan,
    /// A North set aside (ron without the chankan yaku).
    Kita,
    /// A concealed kan (only kokushi may rob it).
    Ankan,
}

/// Where the game stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// `seat` acts on its own turn (after a draw, or after a call it must discard).
    Turn {
        /// The seat to act.
        seat: Seat,
    },
    /// Other seats may win on or call `tile` offered by `from`.
    Respond {
        /// The seat whose tile it is.
        from: Seat,
        /// The tile.
        tile: Tile,
        /// What made the tile available.
        trigger: Trigger,
    },
    /// The game is over.
    GameOver,
}

/// Where a hand-built game starts (see [`Game::with_wall`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KyokuStart {
    /// 0..=8: E1 E2 E3 S1 S2 S3 W1 W2 W3 (the dealer is `round % 3`).
    pub round: u8,
    /// Honba counters.
    pub honba: u32,
    /// Riichi deposits on the table.
    pub deposits: u32,
    /// Scores (default: the starting points). Points + deposits should stay constant.
    pub scores: Option<[i32; 3]>,
}

/// Final standing of a finished game.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GameResult {
    /// Final scores (leftover deposits given to first place).
    pub scores: [i32; 3],
    /// Rank of each seat, 1..=3 (ties: the seat nearer the first dealer ranks higher).
    pub ranks: [u8; 3],
}

/// The seed of the wall of hand (round, honba) under [`WallDealing::PerRound`]: a
/// SplitMix64-style mix, so nearby seeds, rounds and honba give unrelated walls.
fn per_round_seed(seed: u64, round: u8, honba: u32) -> u64 {
    let mut z = seed ^ (u64::from(round) << 56) ^ (u64::from(honba) << 32) ^ 0xD1B5_4A32_D192_ED03;
    for _ in 0..2 {
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
    }
    z
}

/// Why [`Game::replay`] stopped: the action at `step` was illegal in the replayed game.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("action {step}: {source}")]
pub struct ReplayError {
    /// Index of the refused action in the list given.
    pub step: usize,
    /// Why the engine refused it.
    pub source: IllegalAction,
}

/// A Sanma game under [`Rules`], from a seed.
#[derive(Clone, Debug)]
pub struct Game {
    rules: Rules,
    scoring: ScoringRules,
    seed: u64,
    rng: ChaCha8Rng,
    scores: [i32; 3],
    /// 0..=8: E1 E2 E3 S1 S2 S3 W1 W2 W3; wind = round / 3, dealer = round % 3.
    round: u8,
    honba: u32,
    deposits: u32,
    players: [Player; 3],
    wall: Wall,
    phase: Phase,
    /// No call, kan or Kita yet in this hand (first go-around yaku, kyuushu).
    uninterrupted: bool,
    kans: u8,
    /// Seats that made kans this hand (four-kan abort needs two or more).
    kan_seats: u8,
    /// Open kans whose dora is still to be revealed (after the next discard, or at the
    /// next kan, whichever comes first).
    pending_dora: u8,
    /// The current draw is a replacement tile (rinshan).
    replacement_draw: bool,
    legal: [Vec<Action>; 3],
    /// Seats still to answer at this decision point (bit mask).
    waiting: u8,
    responses: [Option<Action>; 3],
    events: Vec<Event>,
    result: Option<GameResult>,
    /// Actions applied, in order, for replay from (seed, actions).
    history: Vec<(Seat, Action)>,
    /// Points plus deposits, conserved throughout the game.
    points_total: i32,
    /// Walls for the next hands (replays); empty in normal play.
    queued_walls: std::collections::VecDeque<Wall>,
}

impl Game {
    /// A new game; runs to the first decision point. `names` label the seats in the log.
    pub fn new(rules: Rules, seed: u64) -> Game {
        Game::with_names(rules, seed, Vec::new())
    }

    /// Like [`Game::new`], with seat names for the `start_game` event.
    pub fn with_names(rules: Rules, seed: u64, names: Vec<String>) -> Game {
        let scoring = rules.scoring();
        let scores = [rules.starting_points; 3];
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        // a placeholder until the first hand is dealt (it advances the sequential stream,
        // as games have always done)
        let wall = Wall::shuffled(&mut rng, rules.red_fives);
        let mut game = Game {
            rules,
            scoring,
            seed,
            rng,
            scores,
            round: 0,
            honba: 0,
            deposits: 0,
            players: [Player::new(), Player::new(), Player::new()],
            wall,
            phase: Phase::GameOver,
            uninterrupted: true,
            kans: 0,
            kan_seats: 0,
            pending_dora: 0,
            replacement_draw: false,
            legal: [Vec::new(), Vec::new(), Vec::new()],
            waiting: 0,
            responses: [None; 3],
            events: Vec::with_capacity(1024),
            result: None,
            history: Vec::with_capacity(1024),
            points_total: 3 * scores[0],
            queued_walls: std::collections::VecDeque::new(),
        };
        game.events.push(Event::StartGame {
            names,
            seed: Some(seed),
        });
        game.start_kyoku(None);
        game
    }

    /// A game that starts at `start` with `wall` as its first hand (later hands are
    /// shuffled from `seed`); for hand-built scenarios and lockstep tests.
    pub fn with_wall(rules: Rules, seed: u64, start: KyokuStart, wall: Wall) -> Game {
        let mut game = Game::new(rules, seed);
        game.events.truncate(1);
        game.round = start.round.min(8);
        game.honba = start.honba;
        game.deposits = start.deposits;
        if let Some(scores) = start.scores {
            game.scores = scores;
        }
        game.points_total = game.scores.iter().sum::<i32>() + 1000 * game.deposits as i32;
        game.start_kyoku(Some(wall));
        game
    }

    /// A game dealt from `walls`, one per hand in order, starting at `start`, with seat
    /// `names`: a game replayed from a log (ours or Tenhou's), whose walls are known and
    /// not shuffled. Hands beyond the walls given are shuffled from `seed`.
    pub fn with_walls(
        rules: Rules,
        seed: u64,
        names: Vec<String>,
        start: KyokuStart,
        walls: impl IntoIterator<Item = Wall>,
    ) -> Game {
        let mut walls = walls.into_iter();
        let mut game = match walls.next() {
            Some(first) => Game::with_wall(rules, seed, start, first),
            None => Game::new(rules, seed),
        };
        game.queued_walls.extend(walls);
        if let Some(Event::StartGame { names: n, .. }) = game.events.first_mut() {
            *n = names;
        }
        game
    }

    /// The wall of the hand about to be dealt, as [`Rules::walls`] says.
    pub(crate) fn next_wall(&mut self) -> Wall {
        match self.rules.walls {
            WallDealing::Sequential => Wall::shuffled(&mut self.rng, self.rules.red_fives),
            WallDealing::PerRound => {
                let mut rng =
                    ChaCha8Rng::seed_from_u64(per_round_seed(self.seed, self.round, self.honba));
                Wall::shuffled(&mut rng, self.rules.red_fives)
            }
        }
    }

    /// Replays a game from its seed and the actions taken; errors name the step.
    pub fn replay(
        rules: Rules,
        seed: u64,
        actions: &[(Seat, Action)],
    ) -> Result<Game, ReplayError> {
        let mut game = Game::new(rules, seed);
        for (step, &(seat, action)) in actions.iter().enumerate() {
            game.act(seat, action)
                .map_err(|source| ReplayError { step, source })?;
        }
        Ok(game)
    }

    /// The seats that must still choose at this decision point (empty when over).
    pub fn deciding(&self) -> impl Iterator<Item = Seat> + '_ {
        (0..3).filter(move |s| self.waiting & (1 << s) != 0)
    }

    /// Legal actions of `seat` now (empty if it is not deciding).
    pub fn legal_actions(&self, seat: Seat) -> &[Action] {
        if self.waiting & (1 << seat) != 0 {
            &self.legal[seat as usize]
        } else {
            &[]
        }
    }

    /// Applies `seat`'s choice. When all deciding seats have chosen, the game resolves
    /// and advances to the next decision point. An illegal action changes nothing.
    pub fn act(&mut self, seat: Seat, action: Action) -> Result<(), IllegalAction> {
        let illegal = |reason: &str| IllegalAction {
            seat,
            action,
            reason: reason.to_owned(),
        };
        if self.phase == Phase::GameOver {
            return Err(illegal("the game is over"));
        }
        if seat > 2 {
            return Err(illegal("there are only seats 0, 1 and 2"));
        }
        if self.waiting & (1 << seat) == 0 {
            return Err(illegal("it is not this seat's decision"));
        }
        if !self.legal[seat as usize].contains(&action) {
            return Err(illegal(&self.why_illegal(seat, action)));
        }
        self.history.push((seat, action));
        self.responses[seat as usize] = Some(action);
        self.waiting &= !(1 << seat);
        if self.waiting == 0 {
            self.resolve();
        }
        Ok(())
    }

    /// Where the game stands.
    pub fn phase(&self) -> Phase {
        self.phase
    }

    /// Whether the game has ended.
    pub fn is_over(&self) -> bool {
        self.phase == Phase::GameOver
    }

    /// Final scores and ranks once the game is over.
    pub fn result(&self) -> Option<&GameResult> {
        self.result.as_ref()
    }

    /// Every event so far.
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// Every action applied so far, for [`Game::replay`].
    pub fn history(&self) -> &[(Seat, Action)] {
        &self.history
    }

    /// The seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The rules.
    pub fn rules(&self) -> &Rules {
        &self.rules
    }

    /// What `seat` may see (never another seat's hand or the wall).
    pub fn view(&self, seat: Seat) -> crate::view::SeatView<'_> {
        crate::view::SeatView::new(self, seat)
    }

    // ----- accessors used by views (public information only) ------------------------

    pub(crate) fn player(&self, seat: Seat) -> &Player {
        &self.players[seat as usize]
    }

    pub(crate) fn scores(&self) -> [i32; 3] {
        self.scores
    }

    pub(crate) fn round(&self) -> u8 {
        self.round
    }

    pub(crate) fn honba(&self) -> u32 {
        self.honba
    }

    pub(crate) fn deposits(&self) -> u32 {
        self.deposits
    }

    /// The wall of the current hand: hidden information, for oracles, lockstep tests
    /// and search (agents must use [`Game::view`]).
    pub fn wall(&self) -> &Wall {
        &self.wall
    }

    /// The turn number of the hand (Meowjong's counter): how many turns the dealer has
    /// begun, a turn beginning with a live draw or a call (pon, daiminkan); replacement
    /// draws after kans and Kita do not begin a turn. 1 during the dealer's first turn,
    /// then 1 until the dealer's second turn begins, and so on.
    pub fn turn_number(&self) -> u8 {
        let dealer = self.dealer();
        let done = self.players[dealer as usize].discards.len();
        let in_turn = match self.phase {
            Phase::Turn { seat } => seat == dealer,
            Phase::Respond { from, trigger, .. } => from == dealer && trigger != Trigger::Discard,
            Phase::GameOver => false,
        };
        (done + in_turn as usize).min(u8::MAX as usize) as u8
    }

    /// The dealer of the current hand.
    pub fn dealer(&self) -> Seat {
        self.round % 3
    }

    /// Wind of `seat` in this hand (East for the dealer).
    pub fn seat_wind(&self, seat: Seat) -> Tile {
        let offset = (seat + 3 - self.dealer()) % 3;
        Tile::from_index(27 + offset as usize).expect("wind")
    }

    /// The round wind.
    pub fn round_wind(&self) -> Tile {
        Tile::from_index(27 + (self.round / 3) as usize).expect("wind")
    }

    fn last_scheduled_round(&self) -> u8 {
        match self.rules.length {
            GameLength::Tonpuu => 2,
            GameLength::Hanchan => 5,
            GameLength::OneHand => 0,
        }
    }

    /// Checks the invariants that must hold at every decision point: 108 tiles
    /// accounted for, points and deposits conserved, hand sizes. For fuzzing.
    pub fn check_invariants(&self) -> Result<(), String> {
        let mut counts = [0u32; 34];
        let mut reds = 0;
        for p in &self.players {
            p.counts
                .iter()
                .enumerate()
                .for_each(|(i, &c)| counts[i] += c as u32);
            reds += p.reds.count_ones();
            for m in &p.melds {
                for t in m.tiles() {
                    counts[t.index()] += 1;
                    reds += t.is_red() as u32;
                }
            }
            counts[Tile::NORTH.index()] += p.kita as u32;
            for d in p.discards.iter().filter(|d| !d.called) {
                counts[d.tile.index()] += 1;
                reds += d.tile.is_red() as u32;
            }
        }
        for t in self.wall.undrawn() {
            counts[t.index()] += 1;
            reds += t.is_red() as u32;
        }
        for (k, &c) in counts.iter().enumerate() {
            let want = if (1..=7).contains(&k) { 0 } else { 4 };
            if c != want {
                return Err(format!(
                    "{} copies of {} accounted for",
                    c,
                    Tile::from_index(k).expect("kind")
                ));
            }
        }
        let want_reds = if self.rules.red_fives { 2 } else { 0 };
        if reds != want_reds {
            return Err(format!("{reds} red fives accounted for"));
        }
        let total: i32 = self.scores.iter().sum::<i32>() + 1000 * self.deposits as i32;
        if total != 3 * self.rules.starting_points && self.result.is_none() {
            return Err(format!(
                "points + deposits = {total}, expected {}",
                3 * self.rules.starting_points
            ));
        }
        for (s, p) in self.players.iter().enumerate() {
            let n: u8 = p.counts.iter().sum();
            let want = 13 - 3 * p.melds.len() as u8;
            let acting = matches!(self.phase, Phase::Turn { seat } if seat as usize == s);
            let ok = if acting { n == want + 1 } else { n == want };
            if !ok && self.phase != Phase::GameOver {
                return Err(format!(
                    "seat {s} holds {n} concealed tiles with {} melds",
                    p.melds.len()
                ));
            }
        }
        Ok(())
    }
}
