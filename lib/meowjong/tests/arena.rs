//! The model agent in the arena: batched decisions give exactly the games and logged
//! policies of the single-decision agent, whatever the number of games in flight, with
//! argmax and with sampled discards.

use std::collections::BTreeMap;

use meowlab_meowjong::agent::{BatchModelAgent, DiscardChoice, ModelAgent};
use meowlab_meowjong::model::{MeowjongNet, ModelKind, Preset};
use meowlab_nn::Dev;
use meowlab_sanma::arena::{Arena, BatchAgent, IllegalMove, Observer, Reply, Table};
use meowlab_sanma::bots::HeuristicAgent;
use meowlab_sanma::{play_game_with, Action, Agent, Game, Rules, Seat};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

fn models(seed: u64) -> Vec<MeowjongNet> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let preset = Preset::by_name("c4x4-d16").unwrap();
    ModelKind::ALL
        .into_iter()
        .map(|kind| {
            let mut net = MeowjongNet::new(&Dev::default(), kind, preset.clone(), &mut rng);
            net.prepare_inference();
            net
        })
        .collect()
}

/// One applied decision: the seat, its action and its policy.
type Logged = (Seat, Action, Option<Vec<f32>>);

/// Every action with its policy, per table.
#[derive(Default)]
struct Record(BTreeMap<usize, Vec<Logged>>);

impl Observer for Record {
    type Error = IllegalMove;
    fn before_act(&mut self, t: usize, _: &Game, seat: Seat, r: &Reply) -> Result<(), IllegalMove> {
        self.0
            .entry(t)
            .or_default()
            .push((seat, r.action, r.policy.clone()));
        Ok(())
    }
    fn game_over(&mut self, _: usize, _: Game) -> Result<(), IllegalMove> {
        Ok(())
    }
}

#[test]
fn batched_model_decisions_equal_single_ones_for_any_games_in_flight() {
    for choice in [DiscardChoice::Argmax, DiscardChoice::Sample] {
        // the model in seats 0 and 2, a heuristic bot in seat 1
        let tables: Vec<Table> = (0..10)
            .map(|i| Table {
                seed: 40 + i,
                players: [0, 1, 0],
            })
            .collect();
        let mut runs = Vec::new();
        for n in [1usize, 7, 64] {
            let mut model = BatchModelAgent::from_models(models(9), choice);
            let mut heuristic =
                meowlab_sanma::arena::EachGame::new(|_| Box::new(HeuristicAgent) as Box<dyn Agent>);
            let mut players: Vec<&mut dyn BatchAgent> = vec![&mut model, &mut heuristic];
            let mut record = Record::default();
            Arena::new(Rules::default(), n)
                .play(&tables, &mut players, &mut record)
                .unwrap();
            runs.push(record.0);
        }
        assert!(runs[0] == runs[1], "{choice:?}: 1 vs 7 in flight");
        assert!(runs[0] == runs[2], "{choice:?}: 1 vs 64 in flight");
        // the single-decision agent plays the same games with the same policies
        for (t, table) in tables.iter().enumerate() {
            let mut agents: Vec<Box<dyn Agent>> = vec![
                Box::new(ModelAgent::from_models(models(9), choice, 0)),
                Box::new(HeuristicAgent),
                Box::new(ModelAgent::from_models(models(9), choice, 2)),
            ];
            let mut single = Vec::new();
            play_game_with(Rules::default(), table.seed, &mut agents, |_, seat, r| {
                single.push((seat, r.action, r.policy.clone()));
                Ok::<(), IllegalMove>(())
            })
            .unwrap();
            assert!(single == runs[0][&t], "{choice:?}: table {t}");
        }
        let model_decisions = runs[0]
            .values()
            .flatten()
            .filter(|d| d.0 != 1 && d.2.is_some())
            .count();
        assert!(model_decisions > 500, "{model_decisions} model decisions");
    }
}

/// The same schedule on 1 and 3 worker threads (parallel encoding, parallel dense
/// blocks and k-chunks): the same games and policies.
#[test]
fn results_do_not_depend_on_the_thread_count() {
    let tables: Vec<Table> = (0..6)
        .map(|i| Table {
            seed: 90 + i,
            players: [0, 0, 0],
        })
        .collect();
    let play_on = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            let mut model = BatchModelAgent::from_models(models(3), DiscardChoice::Sample);
            let mut record = Record::default();
            Arena::new(Rules::default(), 6)
                .play(&tables, &mut [&mut model], &mut record)
                .unwrap();
            record.0
        })
    };
    let one = play_on(1);
    assert!(one.values().map(Vec::len).sum::<usize>() > 1000);
    assert!(one == play_on(3), "1 vs 3 threads");
}

/// The model agent's policy puts no probability on an illegal action and sums to 1, at
/// every decision of sampled self-play games.
#[test]
fn policies_give_illegal_actions_probability_zero() {
    struct Check;
    impl Observer for Check {
        type Error = IllegalMove;
        fn before_act(
            &mut self,
            _: usize,
            game: &Game,
            seat: Seat,
            r: &Reply,
        ) -> Result<(), IllegalMove> {
            let policy = r.policy.as_ref().expect("the model agent logs a policy");
            let legal: Vec<usize> = game
                .legal_actions(seat)
                .iter()
                .map(|a| a.index() as usize)
                .collect();
            for (i, &p) in policy.iter().enumerate() {
                assert!(p >= 0.0);
                if !legal.contains(&i) {
                    assert_eq!(p, 0.0, "illegal action {i} has probability {p}");
                }
            }
            let total: f32 = policy.iter().sum();
            assert!((total - 1.0).abs() < 1e-4, "policy sums to {total}");
            assert!(legal.contains(&(r.action.index() as usize)));
            Ok(())
        }
        fn game_over(&mut self, _: usize, _: Game) -> Result<(), IllegalMove> {
            Ok(())
        }
    }
    let tables: Vec<Table> = (0..4)
        .map(|i| Table {
            seed: 300 + i,
            players: [0, 0, 0],
        })
        .collect();
    let mut model = BatchModelAgent::from_models(models(7), DiscardChoice::Sample);
    Arena::new(Rules::default(), 4)
        .play(&tables, &mut [&mut model], &mut Check)
        .unwrap();
}

/// The heuristic bot's choice in the terms both agents share: a discard or riichi by its
/// tile kind (which copy is thrown is the agent's own rule), any kan as one choice.
fn choice_of(action: Action) -> (u8, usize) {
    match action {
        Action::Discard { tile, .. } => (0, tile.index()),
        Action::Riichi { tile, .. } => (1, tile.index()),
        Action::Ankan { .. } | Action::Kakan { .. } | Action::Daiminkan => (2, 0),
        other => (3, other.index() as usize),
    }
}

/// With a large teacher prior in the cards, the model agent (random networks) is the
/// heuristic bot: it takes the bot's choice at every decision where the bot's rules and
/// the agent's agree on what is a choice (kyuushu is always taken by the agent's rule),
/// batched and single alike.
#[test]
fn a_large_teacher_prior_plays_the_heuristic_bots_choices() {
    let with_prior = || {
        let mut m = models(5);
        m.iter_mut().for_each(|n| n.card.teacher_prior = 30.0);
        m
    };
    let tables: Vec<Table> = (0..4)
        .map(|i| Table {
            seed: 70 + i,
            players: [0, 0, 0],
        })
        .collect();
    let mut model = BatchModelAgent::from_models(with_prior(), DiscardChoice::Sample);
    let mut record = Record::default();
    Arena::new(Rules::default(), 4)
        .play(&tables, &mut [&mut model], &mut record)
        .unwrap();
    let mut compared = 0;
    for (t, table) in tables.iter().enumerate() {
        let mut agents: Vec<Box<dyn Agent>> = (0..3)
            .map(|seat| {
                Box::new(ModelAgent::from_models(
                    with_prior(),
                    DiscardChoice::Sample,
                    seat,
                )) as Box<dyn Agent>
            })
            .collect();
        let mut single = Vec::new();
        play_game_with(
            Rules::default(),
            table.seed,
            &mut agents,
            |game, seat, r| {
                let view = game.view(seat);
                if !view.legal_actions().contains(&Action::Kyuushu) {
                    let bot = HeuristicAgent.act(&view);
                    assert_eq!(choice_of(r.action), choice_of(bot), "table {t} seat {seat}");
                    compared += 1;
                }
                single.push((seat, r.action, r.policy.clone()));
                Ok::<(), IllegalMove>(())
            },
        )
        .unwrap();
        assert!(
            single == record.0[&t],
            "table {t}: batched and single differ"
        );
    }
    assert!(compared > 1000, "{compared} decisions compared");
}
