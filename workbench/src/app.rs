//! The workbench state and the arrangement of its panels: menu and tabs on top, the run
//! browser on the left, the timeline at the bottom, the decision panel on the right and
//! the chosen view (replay, tile planes, learning curves, Shapley) in the middle.

use std::path::{Path, PathBuf};

use egui::{Key, Ui};

use crate::episode::OpenEpisode;
use crate::game::OpenGame;
use crate::panels;
use crate::runs::{open_run, runs_in, OpenRun, RunData};

/// The central views.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tab {
    /// The Sanma table or the control episode.
    Replay,
    /// The 34×366 observation of the current decision.
    Planes,
    /// Learning curves across runs and seeds.
    Curves,
    /// Shapley attributions of the current decision.
    Shapley,
    /// The summary and the duplicate sets of an evaluation run (offered when the
    /// selected run is one).
    Evaluation,
}

impl Tab {
    /// The tabs every run offers, in menu order.
    pub const ALL: [Tab; 4] = [Tab::Replay, Tab::Planes, Tab::Curves, Tab::Shapley];

    /// Tab title.
    pub fn title(self) -> &'static str {
        match self {
            Tab::Replay => "Replay",
            Tab::Planes => "Tile planes",
            Tab::Curves => "Learning curves",
            Tab::Shapley => "Shapley",
            Tab::Evaluation => "Evaluation",
        }
    }
}

/// Sorting of the game/episode table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SortKey {
    /// Game or episode id.
    Id,
    /// Decisions (games) or length (episodes).
    Length,
    /// Seat-0 score (games) or return (episodes).
    Outcome,
}

/// Browser table state.
pub struct BrowserState {
    /// Rows whose text contains this (agent names, ids, phase).
    pub filter: String,
    /// Sort column.
    pub sort: SortKey,
    /// Descending order.
    pub descending: bool,
}

/// Learning-curve view state.
pub struct CurvesState {
    /// Metric shown (e.g. "eval/return_mean").
    pub metric: String,
    /// Experiment drawn as the pinned baseline.
    pub baseline: Option<String>,
    /// Moving-average window in points (1 = raw).
    pub smoothing: usize,
}

/// The whole app.
pub struct Workbench {
    /// Open runs.
    pub runs: Vec<OpenRun>,
    /// Index of the run the browser shows.
    pub selected_run: Option<usize>,
    /// The open game.
    pub game: Option<OpenGame>,
    /// The open control episode.
    pub episode: Option<OpenEpisode>,
    /// Position in the open game (decision index; `steps()` = game over) or episode.
    pub cursor: usize,
    /// Central view.
    pub tab: Tab,
    /// `None`: every hand open; `Some(s)`: seat `s`'s view (others face down).
    pub seat_view: Option<u8>,
    /// Game/episode table state.
    pub browser: BrowserState,
    /// Gap at which a decision counts as flagged (for "next flagged").
    pub gap_threshold: f32,
    /// The worst-decisions list shows only flagged decisions.
    pub worst_flagged_only: bool,
    /// Learning curves.
    pub curves: CurvesState,
    /// Errors and warnings to show.
    pub messages: Vec<String>,
    /// Recently opened run folders, newest first.
    pub recent: Vec<PathBuf>,
    /// Text of File > Open.
    pub open_path: String,
    /// Control replay animation running.
    pub playing: bool,
    /// Seconds of animation not yet turned into steps.
    pub play_clock: f64,
    /// The cursor the event list last scrolled to.
    pub events_follow: Option<usize>,
    /// The kind of explanation the Shapley tab shows (a control episode's kind, or a
    /// Sanma decision's quantity · conditioning · players).
    pub shapley_kind: Option<String>,
    /// The duplicate set the evaluation view shows.
    pub eval_set: usize,
}

impl Default for Workbench {
    fn default() -> Self {
        Workbench {
            runs: Vec::new(),
            selected_run: None,
            game: None,
            episode: None,
            cursor: 0,
            tab: Tab::Replay,
            seat_view: None,
            browser: BrowserState {
                filter: String::new(),
                sort: SortKey::Id,
                descending: false,
            },
            gap_threshold: 0.2,
            worst_flagged_only: false,
            curves: CurvesState {
                metric: "eval/return_mean".into(),
                baseline: None,
                smoothing: 1,
            },
            messages: Vec::new(),
            recent: Vec::new(),
            open_path: "data/runs".into(),
            playing: false,
            play_clock: 0.0,
            events_follow: None,
            shapley_kind: None,
            eval_set: 0,
        }
    }
}

const MAX_RECENT: usize = 10;

impl Workbench {
    /// Opens every run at `path` (a run folder, or a folder of runs). Problems become
    /// messages; nothing panics.
    pub fn open(&mut self, path: &Path) {
        let found = runs_in(path);
        if found.is_empty() {
            self.messages
                .push(format!("{}: no meowlab runs found there", path.display()));
            return;
        }
        for dir in found {
            if let Some(i) = self.runs.iter().position(|r| r.dir == dir) {
                self.selected_run = Some(i);
                continue;
            }
            match open_run(&dir) {
                Ok(run) => {
                    self.messages
                        .extend(run.problems.iter().map(|p| format!("{}: {p}", run.name())));
                    self.runs.push(run);
                    self.selected_run = Some(self.runs.len() - 1);
                    if self.selected_is_evaluation() && self.game.is_none() {
                        self.tab = Tab::Evaluation;
                    }
                    self.recent.retain(|r| r != &dir);
                    self.recent.insert(0, dir);
                    self.recent.truncate(MAX_RECENT);
                }
                Err(e) => self.messages.push(e),
            }
        }
    }

    /// Re-reads a run from disk (e.g. one still being written).
    pub fn reload(&mut self, index: usize) {
        let dir = self.runs[index].dir.clone();
        match open_run(&dir) {
            Ok(run) => self.runs[index] = run,
            Err(e) => self.messages.push(e),
        }
    }

    /// Opens game `game_id` of the selected run.
    pub fn open_game(&mut self, game_id: u64) {
        let Some(run) = self.selected_run.and_then(|i| self.runs.get(i)) else {
            return;
        };
        let RunData::Sanma(s) = &run.data else {
            return;
        };
        let Some(row) = s.games.iter().find(|g| g.game_id == game_id) else {
            self.messages
                .push(format!("{}: no game {game_id}", run.name()));
            return;
        };
        let kyoku = s
            .kyoku
            .iter()
            .filter(|k| k.game_id == game_id)
            .cloned()
            .collect();
        let game = OpenGame::load(&run.dir, row, kyoku);
        self.messages.extend(game.problems.iter().cloned());
        self.game = Some(game);
        self.episode = None;
        self.cursor = 0;
        self.tab = Tab::Replay;
    }

    /// Moves the cursor of the open game to the first decision of hand `hand` (the
    /// hand's index within the game).
    pub fn jump_to_hand(&mut self, hand: u16) {
        if let Some(g) = &self.game {
            if let Some(i) = g.decisions.iter().position(|d| d.kyoku == hand) {
                self.cursor = i;
            }
        }
    }

    /// Whether the selected run is an evaluation (it offers the Evaluation tab).
    pub fn selected_is_evaluation(&self) -> bool {
        self.selected_run
            .and_then(|i| self.runs.get(i))
            .is_some_and(|r| matches!(&r.data, RunData::Sanma(s) if s.evaluation.is_some()))
    }

    /// Opens episode `episode_id` of `phase` in the selected run.
    pub fn open_episode(&mut self, phase: &str, episode_id: u64) {
        let Some(run) = self.selected_run.and_then(|i| self.runs.get(i)) else {
            return;
        };
        let RunData::Control(c) = &run.data else {
            return;
        };
        let Some(row) = c
            .episodes
            .iter()
            .find(|e| e.phase == phase && e.episode_id == episode_id)
        else {
            self.messages
                .push(format!("{}: no {phase} episode {episode_id}", run.name()));
            return;
        };
        let ep = OpenEpisode::load(&run.dir, row, c.env.clone());
        self.messages.extend(ep.problems.iter().cloned());
        self.episode = Some(ep);
        self.game = None;
        self.cursor = 0;
        self.playing = false;
        self.tab = Tab::Replay;
    }

    /// Largest cursor position of what is open.
    pub fn max_cursor(&self) -> usize {
        match (&self.game, &self.episode) {
            (Some(g), _) => g.steps(),
            (_, Some(e)) => e.last(),
            _ => 0,
        }
    }

    /// Moves the cursor by `delta`, within range.
    pub fn step_by(&mut self, delta: isize) {
        let max = self.max_cursor() as isize;
        self.cursor = (self.cursor as isize + delta).clamp(0, max) as usize;
    }

    /// The next (or previous) decision whose gap reaches the threshold.
    pub fn jump_flagged(&mut self, forward: bool) {
        let Some(g) = &self.game else { return };
        let flagged = |i: usize| g.gaps[i].is_some_and(|x| x >= self.gap_threshold);
        let found = if forward {
            (self.cursor + 1..g.steps()).find(|&i| flagged(i))
        } else {
            (0..self.cursor).rev().find(|&i| flagged(i))
        };
        if let Some(i) = found {
            self.cursor = i;
        }
    }

    /// Draws the whole app into `ui` (what eframe and the tests call every frame).
    pub fn ui(&mut self, ui: &mut Ui) {
        if self.tab == Tab::Evaluation && !self.selected_is_evaluation() {
            self.tab = Tab::Replay;
        }
        self.keyboard(ui);
        if self.playing {
            self.advance_animation(ui);
        }
        egui::Panel::top("menu").show(ui, |ui| panels::menu::show(ui, self));
        egui::Panel::left("browser")
            .resizable(true)
            .default_size(330.0)
            .show(ui, |ui| panels::browser::show(ui, self));
        if self.game.is_some() || self.episode.is_some() {
            egui::Panel::bottom("timeline").show(ui, |ui| panels::timeline::show(ui, self));
        }
        if self.game.is_some() && self.tab == Tab::Replay {
            egui::Panel::right("decision")
                .resizable(true)
                .default_size(330.0)
                .show(ui, |ui| panels::decision::show(ui, self));
        }
        egui::CentralPanel::default().show(ui, |ui| match self.tab {
            Tab::Replay => {
                if self.game.is_some() {
                    panels::table::show(ui, self);
                } else if self.episode.is_some() {
                    panels::control::show(ui, self);
                } else {
                    ui.label("Open a run (File > Open, or pass run folders on the command line) and pick a game or an episode in the browser.");
                }
            }
            Tab::Planes => panels::planes::show(ui, self),
            Tab::Curves => panels::curves::show(ui, self),
            Tab::Shapley => panels::shapley::show(ui, self),
            Tab::Evaluation => panels::evaluation::show(ui, self),
        });
    }

    fn keyboard(&mut self, ui: &Ui) {
        if ui.ctx().memory(|m| m.focused().is_some()) {
            return; // typing in a text field
        }
        let (left, right, previous, next) = ui.input(|i| {
            (
                i.key_pressed(Key::ArrowLeft),
                i.key_pressed(Key::ArrowRight),
                i.key_pressed(Key::P) || i.key_pressed(Key::PageUp),
                i.key_pressed(Key::N) || i.key_pressed(Key::PageDown),
            )
        });
        if left {
            self.step_by(-1);
        }
        if right {
            self.step_by(1);
        }
        if previous {
            self.jump_flagged(false);
        }
        if next {
            self.jump_flagged(true);
        }
    }

    /// Control replay at the environment's real time (50 steps/s).
    fn advance_animation(&mut self, ui: &Ui) {
        let dt = ui.input(|i| i.stable_dt) as f64;
        self.play_clock += dt * 50.0;
        let whole = self.play_clock.floor();
        self.play_clock -= whole;
        self.step_by(whole as isize);
        if self.cursor >= self.max_cursor() {
            self.playing = false;
        }
        ui.ctx().request_repaint();
    }
}
