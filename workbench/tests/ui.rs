//! Drives the real workbench UI with egui_kittest on runs generated here by the library:
//! opens a logged Sanma game, scrubs to decisions and checks (through accesskit) that
//! the scores, hands and policy probabilities shown are the logged ones; the same for a
//! control episode's observation. Snapshot images of the main views are compared with
//! tolerance (`UPDATE_SNAPSHOTS=1` rewrites them).

use std::path::{Path, PathBuf};

use egui::accesskit::Role;
use egui::Vec2;
use egui_kittest::kittest::{NodeT, Queryable};
use egui_kittest::Harness;
use meowlab::hand::tile::to_mpsz;
use meowlab::sanma::bots::HeuristicAgent;
use meowlab::sanma::{play_game_with, Action, Agent, Reply, Rules, SeatView};
use meowlab::store::{AgentOutput, Run, SanmaLogger, WriterOptions};
use meowlab_workbench::{Tab, Workbench};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A seeded agent that plays a random legal action and reports a skewed policy over the
/// legal ones, so decisions have probabilities and gaps to show.
struct PolicyAgent {
    rng: ChaCha8Rng,
    policy: Vec<f32>,
}

impl Agent for PolicyAgent {
    fn name(&self) -> String {
        "policy-test".into()
    }
    fn act(&mut self, view: &SeatView<'_>) -> Action {
        let legal = view.legal_actions();
        self.policy = vec![0.0; meowlab::sanma::ACTION_SPACE];
        let weights: Vec<f32> = legal.iter().map(|a| 1.0 + (a.index() % 7) as f32).collect();
        let total: f32 = weights.iter().sum();
        for (a, w) in legal.iter().zip(&weights) {
            self.policy[a.index() as usize] += w / total;
        }
        legal[self.rng.gen_range(0..legal.len())]
    }
    fn last_policy(&self) -> Option<Vec<f32>> {
        Some(self.policy.clone())
    }
}

/// What the table showed at one decision, captured while logging (the oracle).
struct Seen {
    scores: [i32; 3],
    hands: [String; 3],
}

fn fresh_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("meowlab-wb-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Logs two games like `meowlab play --log` does; returns the run folder and, for game 1,
/// what each seat held and scored at every decision.
fn sanma_run(root: &Path) -> (PathBuf, Vec<Seen>) {
    let mut run = Run::create(root, "sanma-fixture", "play", 1, serde_json::json!({})).unwrap();
    let mut log = SanmaLogger::create(&mut run, WriterOptions::default()).unwrap();
    let mut seen = Vec::new();
    for game_id in [1u64, 2] {
        let mut agents: Vec<Box<dyn Agent>> = vec![
            Box::new(PolicyAgent {
                rng: ChaCha8Rng::seed_from_u64(game_id),
                policy: vec![],
            }),
            Box::new(HeuristicAgent),
            Box::new(HeuristicAgent),
        ];
        let game = play_game_with(
            Rules::default(),
            game_id,
            &mut agents,
            |game, seat, reply: &Reply| {
                if game_id == 1 {
                    let hands = [0u8, 1, 2].map(|s| {
                        let v = game.view(s);
                        let mut hand = v.hand();
                        let drawn = v.drawn();
                        if let Some(d) = drawn {
                            let i = hand.iter().position(|&t| t == d).unwrap();
                            hand.remove(i);
                        }
                        hand.sort();
                        let mut text = to_mpsz(&hand);
                        if let Some(d) = drawn {
                            text.push_str(&format!(" + {d}"));
                        }
                        text
                    });
                    seen.push(Seen {
                        scores: game.view(0).scores(),
                        hands,
                    });
                }
                let output = AgentOutput {
                    policy: reply.policy.clone(),
                    value: None,
                };
                log.record_decision(game, seat, reply.action, output, None);
                Ok::<_, meowlab::sanma::arena::IllegalMove>(())
            },
        )
        .unwrap();
        log.finish_game(&game, game_id).unwrap();
    }
    log.close().unwrap();
    run.finish(true).unwrap();
    (run.dir().to_owned(), seen)
}

/// What a node says (a label's text is its accesskit label or value).
fn text(n: &egui_kittest::Node<'_>) -> String {
    let a = n.accesskit_node();
    a.label().or_else(|| a.value()).unwrap_or_default()
}

fn harness(wb: Workbench) -> Harness<'static, Workbench> {
    Harness::builder()
        .with_size(Vec2::new(1100.0, 720.0))
        .with_max_steps(100)
        .build_ui_state(|ui, wb: &mut Workbench| wb.ui(ui), wb)
}

fn scrub_to(h: &mut Harness<'_, Workbench>, step: usize) {
    h.get_by_role_and_label(Role::Slider, "Step")
        .set_value_accesskit(step as f64);
    h.run();
    assert_eq!(h.state().cursor, step);
}

#[test]
fn sanma_replay_shows_the_logged_scores_hands_and_policy() {
    let root = fresh_dir("sanma");
    let (dir, seen) = sanma_run(&root);
    let decisions = meowlab::store::browse::decisions(&dir, 1).unwrap().rows;
    assert_eq!(decisions.len(), seen.len());

    let mut wb = Workbench::default();
    wb.open(&dir);
    assert!(wb.messages.is_empty(), "{:?}", wb.messages);
    let mut h = harness(wb);
    h.run();
    h.get_by_label("Game 1").click();
    h.run();
    assert_eq!(h.state().game.as_ref().unwrap().steps(), decisions.len());

    // a decision of the policy seat late in the game, and one of another seat
    let policy_step = decisions
        .iter()
        .rposition(|d| d.seat == 0 && d.legal.len() > 2)
        .unwrap();
    let other_step = decisions
        .iter()
        .position(|d| d.seat == 2 && d.kind == "turn")
        .unwrap();
    for step in [other_step, policy_step] {
        scrub_to(&mut h, step);
        let scores = seen[step].scores;
        for s in 0..3 {
            let label = format!("score {}", scores[s]);
            let same = scores.iter().filter(|&&x| x == scores[s]).count();
            assert_eq!(h.get_all_by_label(&label).count(), same, "{label}");
            h.get_by_label(&format!("seat {s} hand {}", seen[step].hands[s]));
        }
    }
    // the logged probability of every legal action is listed; the chosen one marked
    let d = &decisions[policy_step];
    let policy = d.policy.as_ref().unwrap();
    let chosen = format!(
        "{} {:.1}%",
        d.action_text,
        policy[d.action as usize] * 100.0
    );
    let node = text(&h.get_by_label_contains(&chosen));
    assert!(node.starts_with('>'), "{node}");
    let shown = h
        .query_all_by_label_contains("%")
        .filter(|n| !text(n).starts_with("gap"));
    assert_eq!(shown.count(), d.legal.len());

    // keyboard: → steps forward, ← back
    h.key_press(egui::Key::ArrowRight);
    h.run();
    assert_eq!(h.state().cursor, policy_step + 1);
    h.key_press(egui::Key::ArrowLeft);
    h.run();
    assert_eq!(h.state().cursor, policy_step);

    // N jumps to the next flagged decision (gap at or above the threshold)
    let threshold = h.state().gap_threshold;
    let gaps = h.state().game.as_ref().unwrap().gaps.clone();
    let flagged: Vec<usize> = (0..gaps.len())
        .filter(|&i| gaps[i].is_some_and(|g| g >= threshold))
        .collect();
    assert!(flagged.len() >= 2, "the fixture has flagged decisions");
    scrub_to(&mut h, 0);
    h.key_press(egui::Key::N);
    h.run();
    let first = flagged.iter().copied().find(|&i| i > 0).unwrap();
    assert_eq!(h.state().cursor, first);
    h.key_press(egui::Key::P);
    h.run();
    assert_eq!(h.state().cursor, flagged[0].min(first));

    // worst decisions first: clicking the top entry jumps to the largest gap
    let g = h.state().game.as_ref().unwrap();
    let worst = g.worst_first()[0];
    assert!(gaps.iter().flatten().all(|&x| x <= gaps[worst].unwrap()));
    h.get_by_label_contains(&format!("#{worst} seat")).click();
    h.run();
    assert_eq!(h.state().cursor, worst);
    h.snapshot("sanma_replay");

    // the worst-decisions list can be cut to the flagged ones
    let judged = gaps.iter().flatten().count();
    let flagged_count = gaps.iter().flatten().filter(|&&x| x >= threshold).count();
    h.get_by_label(&format!("{judged} of {judged} judged decisions"));
    h.get_by_label_contains("only gaps of 20 pts or more")
        .click();
    h.run();
    h.get_by_label(&format!("{flagged_count} of {judged} judged decisions"));

    // the tile planes of the decision: the count of set cells is the logged one
    scrub_to(&mut h, policy_step);
    h.state_mut().tab = Tab::Planes;
    h.run();
    let planes =
        meowlab::sanma::planes::Planes::from_bytes(d.observation.as_ref().unwrap()).unwrap();
    h.get_by_label(&format!("{} cells set", planes.count_ones()));
    h.get_by_role_and_label(Role::Canvas, "Tile planes heatmap");
    h.snapshot("tile_planes");

    // one seat's view hides the other hands
    h.state_mut().tab = Tab::Replay;
    h.state_mut().seat_view = Some(0);
    h.run();
    assert!(h
        .query_by_label(&format!("seat 1 hand {}", seen[policy_step].hands[1]))
        .is_none());
    h.get_by_label(&format!("seat 0 hand {}", seen[policy_step].hands[0]));
    let _ = std::fs::remove_dir_all(root);
}

#[test]
fn a_run_still_being_written_opens_with_what_is_finished() {
    let root = fresh_dir("live");
    let (dir, _) = sanma_run(&root);
    // as a live `play --log` leaves it: run.json not finished, a shard being written
    let meta_path = dir.join("run.json");
    let mut meta: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&meta_path).unwrap()).unwrap();
    meta["finished_at"] = serde_json::Value::Null;
    meta["status"] = "running".into();
    std::fs::write(&meta_path, meta.to_string()).unwrap();
    std::fs::write(dir.join("games/.part-00009.parquet.tmp"), b"half a shard").unwrap();
    let mut wb = Workbench::default();
    wb.open(&dir);
    assert!(wb.messages.is_empty(), "{:?}", wb.messages);
    let mut h = harness(wb);
    h.run();
    h.get_by_label_contains("(sanma) | in progress");
    h.get_by_label("Game 2").click();
    h.run();
    assert!(h.state().game.as_ref().unwrap().replay.error.is_none());
    let _ = std::fs::remove_dir_all(root);
}

#[test]
fn broken_input_becomes_messages_not_panics() {
    let root = fresh_dir("broken");
    let (dir, _) = sanma_run(&root);
    // a corrupt decisions shard and a missing folder
    let shard = std::fs::read_dir(dir.join("decisions"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "parquet"))
        .unwrap();
    std::fs::write(&shard, b"PAR1 not really parquet").unwrap();
    let mut wb = Workbench::default();
    wb.open(&root.join("no-such-run"));
    assert!(
        wb.messages[0].contains("no meowlab runs"),
        "{:?}",
        wb.messages
    );
    wb.open(&dir);
    let mut h = harness(wb);
    h.run();
    h.get_by_label("Game 1").click();
    h.run();
    let wb = h.state();
    let g = wb.game.as_ref().unwrap();
    assert_eq!(g.steps(), 0, "no decisions readable");
    assert!(
        wb.messages
            .iter()
            .any(|m| m.contains(&shard.display().to_string())),
        "{:?}",
        wb.messages
    );
    h.get_by_label_contains("problems");
    let _ = std::fs::remove_dir_all(root);
}

/// A short CartPole DQN run logged by the library, as `meowlab run` does.
fn control_runs(root: &Path) -> Vec<PathBuf> {
    let config_path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../experiments/cartpole-dqn.toml");
    let mut config = meowlab::algos::experiment::ExperimentConfig::load(&config_path).unwrap();
    config.total_timesteps = 600;
    config.eval.every = 300;
    config.eval.episodes = 2;
    [1u64, 2]
        .iter()
        .map(|&seed| {
            let s = meowlab::algos::experiment::run_seed(&config, seed, root, &mut |_| {}).unwrap();
            let _ = s;
            root.join(config.run_id(seed))
        })
        .collect()
}

#[test]
fn control_replay_shows_the_logged_observation_and_curves() {
    let root = fresh_dir("control");
    let dirs = control_runs(&root);
    let mut wb = Workbench::default();
    wb.open(&root);
    assert_eq!(wb.runs.len(), 2, "{:?}", wb.messages);
    wb.selected_run = Some(0);
    let mut h = harness(wb);
    h.run();
    // the filter box narrows the episode table to the evaluation episodes
    let filter = h.get_by_role_and_label(Role::TextInput, "Filter");
    filter.focus();
    filter.type_text("eval");
    h.run();
    assert!(h.query_by_label_contains("train episode").is_none());
    let first_eval = meowlab::store::browse::episodes(&dirs[0])
        .unwrap()
        .rows
        .into_iter()
        .find(|e| e.phase == "eval")
        .unwrap();
    h.get_by_label(&format!("eval episode {}", first_eval.episode_id))
        .click();
    h.run();
    let steps = meowlab::store::browse::episode_steps(
        &dirs[0],
        meowlab::store::control::Phase::Eval,
        first_eval.episode_id,
    )
    .unwrap()
    .rows;
    assert!(steps.len() > 5);
    let t = steps.len() / 2;
    scrub_to(&mut h, t);
    let obs = &steps[t].observation;
    h.get_by_label(&format!("cart position = {:.4}", obs[0]));
    h.get_by_label(&format!("pole angle = {:.4}", obs[2]));
    h.get_by_label(&format!("return = {:.4}", (t + 1) as f64));
    h.get_by_role_and_label(Role::Canvas, "System drawing");
    h.snapshot("control_episode");

    h.state_mut().tab = Tab::Curves;
    h.run();
    // both seeds make one curve of the experiment
    let curves = meowlab_workbench::panels::curves::curves(h.state(), "eval/return_mean");
    assert_eq!(curves.len(), 1);
    assert_eq!(curves[0].seeds, 2);
    h.get_by_label_contains("(2 seeds)");
    h.snapshot("learning_curves");
    let _ = std::fs::remove_dir_all(root);
}

#[test]
fn shapley_tab_shows_the_explanation_of_the_current_decision() {
    use meowlab::store::{Explanation, ExplanationLogger};
    let root = fresh_dir("shapley");
    let (dir, _) = sanma_run(&root);
    let decisions = meowlab::store::browse::decisions(&dir, 1).unwrap().rows;
    let explained = decisions.iter().position(|d| d.kind == "turn").unwrap() + 3;
    let run = Run::open(&dir).unwrap();
    let mut log = ExplanationLogger::create(&run, WriterOptions::default()).unwrap();
    log.record(Explanation {
        explanation_id: 0,
        kind: "policy".into(),
        target: "p(5p)".into(),
        conditioning: "on-manifold (exact matching)".into(),
        method: "exact".into(),
        game_id: Some(1),
        step: Some(decisions[explained].step),
        episode_id: None,
        players: vec!["own_hand".into(), "dora_indicators".into()],
        values: vec![0.25, -0.0625],
        stderr: None,
        base: 0.1,
        full: 0.2875,
    });
    // the same decision explained another way: the logged tile, learned, per hand kind
    log.record(Explanation {
        explanation_id: 1,
        kind: "policy_logged".into(),
        target: "p(1s)".into(),
        conditioning: "on-manifold (learned)".into(),
        method: "sampled (32 pairs)".into(),
        game_id: Some(1),
        step: Some(decisions[explained].step),
        episode_id: None,
        players: vec!["hand 1s".into(), "hand 9p".into(), "dora_indicators".into()],
        values: vec![0.5, -0.125, 0.0625],
        stderr: Some(vec![0.01, 0.02, 0.005]),
        base: 0.1,
        full: 0.5375,
    });
    log.flush().unwrap();

    let mut wb = Workbench::default();
    wb.open(&dir);
    let mut h = harness(wb);
    h.run();
    h.get_by_label("Game 1").click();
    h.run();
    h.state_mut().tab = Tab::Shapley;
    h.run();
    // the explained decision is listed; clicking it moves the cursor there
    h.get_by_label(&format!("#{explained}")).click();
    h.run();
    assert_eq!(h.state().cursor, explained);
    h.get_by_label("policy — p(5p)");
    h.get_by_label("on-manifold (exact matching) · exact");
    h.get_by_label("+0.2500");
    h.get_by_label("-0.0625");
    h.get_by_role_and_label(Role::Canvas, "Tile planes heatmap");
    h.get_by_label_contains("Hand, tinted by the own hand's φ");
    // the other explanation of this decision, picked by its quantity · conditioning · players
    h.get_by_label("policy logged · on-manifold (learned) · 3 players")
        .click();
    h.run();
    h.get_by_label("policy_logged — p(1s)");
    h.get_by_label("on-manifold (learned) · sampled (32 pairs)");
    h.get_by_label("sampled: largest standard error 0.0200 (4% of the largest |φ|)");
    h.get_by_label("+0.5000 ± 0.0100");
    h.get_by_label("Hand, each tile tinted by its kind's φ:");
    // a decision without an explanation says so
    scrub_to(&mut h, explained - 1);
    h.get_by_label("This decision has no explanation.");
}

#[test]
fn shapley_tab_shows_the_explanations_of_a_control_episode() {
    use meowlab::algos::experiment::load_trained;
    use meowlab::algos::explain::{
        explain_control, ControlExplainConfig, ControlKind, Filling, LoggedStates,
    };
    use meowlab::store::ExplanationLogger;
    let root = fresh_dir("shapley-control");
    let dirs = control_runs(&root);
    let mut trained = load_trained(&dirs[0], None).unwrap();
    let logged = LoggedStates::evaluation(&dirs[0], 4, Some(trained.global_step)).unwrap();
    let mut explanations = Vec::new();
    for (kind, first_id) in [(ControlKind::Policy, 0), (ControlKind::Value, 100)] {
        let config = ControlExplainConfig {
            kind,
            filling: Filling::OnManifold { bandwidth: 0.3 },
            states: 6,
            background: None,
            rollouts: 1,
            seed: 2,
            first_id,
        };
        explanations.extend(
            explain_control(
                trained.agent.as_mut(),
                "CartPole-v1",
                &logged,
                &config,
                &mut |_| {},
            )
            .unwrap(),
        );
    }
    let run = Run::open(&dirs[0]).unwrap();
    let mut log = ExplanationLogger::create(&run, WriterOptions::default()).unwrap();
    for e in &explanations {
        log.record(e.clone());
    }
    log.flush().unwrap();

    let shown = &explanations[0];
    let episode = shown.episode_id.unwrap();
    let step = shown.step.unwrap() as usize;
    let mut wb = Workbench::default();
    wb.open(&dirs[0]);
    wb.selected_run = Some(0);
    wb.open_episode("eval", episode);
    assert!(wb.messages.is_empty(), "{:?}", wb.messages);
    let mut h = harness(wb);
    h.state_mut().tab = Tab::Shapley;
    h.run();
    // both kinds are offered; policy is the first one explained
    h.get_by_label("value");
    h.get_by_label(&format!("t{step}")).click();
    h.run();
    assert_eq!(h.state().cursor, step);
    h.get_by_label(&format!("policy — {}", shown.target));
    h.get_by_label("on-manifold (kernel) · exact");
    for v in &shown.values {
        let label = format!("{v:+.4}");
        assert!(h.query_all_by_label(&label).count() >= 1, "{label}");
    }
    h.snapshot("shapley_control");
    // the value explanations of the same episode, one click away
    h.get_by_label("value").click();
    h.run();
    assert_eq!(h.state().shapley_kind.as_deref(), Some("value"));
    let _ = std::fs::remove_dir_all(root);
}

#[test]
fn an_evaluation_run_shows_its_summary_and_a_set_side_by_side() {
    use meowlab::eval::{run_evaluation, EvalOptions};
    use meowlab::sanma::bots::AgentSpec;
    let root = fresh_dir("eval");
    let mut challenger = AgentSpec::Heuristic.build_bot_player().unwrap();
    let mut opponent = AgentSpec::Random.build_bot_player().unwrap();
    let (evaluation, run) = run_evaluation(
        &EvalOptions {
            sets: 3,
            seed: 5,
            in_flight: 9,
            ..EvalOptions::default()
        },
        &root,
        "eval",
        serde_json::json!({}),
        challenger.as_mut(),
        opponent.as_mut(),
        ["heuristic", "random"],
        true,
        &mut |_| {},
    )
    .unwrap();
    let mut wb = Workbench::default();
    wb.open(run.dir());
    assert!(wb.messages.is_empty(), "{:?}", wb.messages);
    assert_eq!(
        wb.tab,
        Tab::Evaluation,
        "an evaluation opens on its summary"
    );
    let mut h = harness(wb);
    h.run();
    h.get_by_label_contains("(eval)");
    h.get_by_label("heuristic vs random");
    let rank = &evaluation.challenger.avg_rank;
    let [lo, hi] = rank.ci95.unwrap();
    h.get_by_label(&format!("{:.3} [{lo:.3}, {hi:.3}]", rank.mean));
    h.get_by_label_contains("challenger - opponent, avg rank");
    h.snapshot("evaluation");
    // set 0: three games, the challenger alone in seat 0, 1, 2 on the same walls
    for k in 0..3 {
        h.get_by_label_contains(&format!("game {k}, challenger in seat [{k}]"));
    }
    // a hand cell replays that game from that hand
    let label = {
        let cells: Vec<String> = h
            .query_all_by_role(Role::Button)
            .map(|n| text(&n))
            .filter(|t| t.starts_with("ron") || t.starts_with("tsumo"))
            .collect();
        assert!(!cells.is_empty(), "no hand outcomes shown");
        // one shown once (a hand where the set's games differ), near the top so it is
        // on screen
        cells
            .iter()
            .find(|c| cells.iter().filter(|d| d == c).count() == 1)
            .unwrap_or(&cells[0])
            .clone()
    };
    h.query_all_by_label(&label).next().unwrap().click();
    h.run();
    let wb = h.state();
    assert_eq!(wb.tab, Tab::Replay);
    let game = wb.game.as_ref().unwrap();
    assert!(game.game.game_id < 3, "a game of set 0");
    assert!(game.replay.error.is_none());
    // the cursor is at the first decision of a hand whose outcome is the clicked one
    let hand = game.decisions[wb.cursor].kyoku;
    assert!(wb.cursor == 0 || game.decisions[wb.cursor - 1].kyoku < hand);
    let k = game.kyoku.iter().find(|k| k.kyoku == hand).unwrap();
    assert!(
        label.contains(&format!("{:+}", k.deltas.iter().copied().max().unwrap())),
        "{label}"
    );
    let _ = std::fs::remove_dir_all(root);
}

#[test]
fn a_self_play_run_shows_its_learning_curves_and_replays_its_games() {
    use meowlab::meowjong::model::{model_dir, MeowjongNet, ModelKind, Preset};
    use meowlab::meowjong::selfplay::reinforce::ReinforceConfig;
    use meowlab::meowjong::selfplay::run::{run_seed, SelfPlayConfig, SelfPlayEval};
    let root = fresh_dir("selfplay");
    let sl = root.join("sl");
    let preset = Preset::by_name("c4x4-d16").unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    for kind in ModelKind::ALL {
        let net = MeowjongNet::new(&meowlab::nn::Dev::default(), kind, preset.clone(), &mut rng);
        let d = model_dir(&sl, kind, &preset.name);
        std::fs::create_dir_all(&d).unwrap();
        net.save(&d.join("model")).unwrap();
    }
    let config = SelfPlayConfig {
        name: "reinforce".into(),
        description: String::new(),
        rounds: 12,
        seeds: vec![1],
        sl_models: Some(sl),
        teacher: Default::default(),
        checkpoint_every: 1,
        eval: SelfPlayEval {
            sets: 2,
            ..SelfPlayEval::default()
        },
        log_games: true,
        keep_checkpoints: None,
        ppo: None,
        reinforce: Some(ReinforceConfig {
            rounds_per_update: 4,
            ..ReinforceConfig::default()
        }),
    };
    run_seed(&config, 1, &root, &mut |_| {}).unwrap();
    let mut wb = Workbench::default();
    wb.open(&root.join(config.run_id(1)));
    assert!(wb.messages.is_empty(), "{:?}", wb.messages);
    let curves = meowlab_workbench::panels::curves::curves(&wb, "train/samples");
    assert_eq!(curves.len(), 1);
    assert_eq!(
        curves[0].steps,
        vec![4.0, 8.0, 12.0],
        "one point per update"
    );
    let mut h = harness(wb);
    h.state_mut().tab = Tab::Curves;
    h.run();
    h.get_by_label_contains("(1 seed");
    // a self-play game replays with the learner's policies
    h.state_mut().tab = Tab::Replay;
    h.run();
    h.get_by_label("Game 3").click();
    h.run();
    let game = h.state().game.as_ref().unwrap();
    assert!(game.replay.error.is_none());
    assert!(game.decisions.iter().any(|d| d.policy.is_some()));
    let _ = std::fs::remove_dir_all(root);
}
