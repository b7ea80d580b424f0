//! The arena's promise: a schedule gives the same games whatever the number of games in
//! flight, and the same games as playing them one at a time; hooks see every hand and
//! game once; per-round walls make a game's hands depend only on (seed, round, honba).

use meowlab_sanma::arena::{Arena, BatchAgent, Collect, EachGame, KyokuEnd, Reply, Table};
use meowlab_sanma::bots::{HeuristicAgent, RandomAgent};
use meowlab_sanma::{play_game, Agent, Decision, Event, Game, Rules, Seat, WallDealing};

fn schedule(n: u64) -> Vec<Table> {
    (0..n)
        .map(|i| Table {
            seed: 1000 + i,
            // the heuristic and the random player swap seats from game to game
            players: if i % 2 == 0 { [0, 1, 0] } else { [1, 0, 0] },
        })
        .collect()
}

fn play(in_flight: usize, rules: &Rules, tables: &[Table]) -> Vec<Game> {
    let mut heuristic = EachGame::new(|_| Box::new(HeuristicAgent) as Box<dyn Agent>);
    let mut random = EachGame::new(|seat| Box::new(RandomAgent::new(seat)) as Box<dyn Agent>);
    let mut players: Vec<&mut dyn BatchAgent> = vec![&mut heuristic, &mut random];
    let mut games = Collect::default();
    Arena::new(rules.clone(), in_flight)
        .play(tables, &mut players, &mut games)
        .unwrap();
    games.0
}

#[test]
fn results_do_not_depend_on_games_in_flight() {
    let tables = schedule(24);
    let rules = Rules::default();
    let one = play(1, &rules, &tables);
    assert_eq!(one.len(), tables.len());
    for (game, table) in one.iter().zip(&tables) {
        assert_eq!(game.seed(), table.seed, "reported in schedule order");
        assert!(game.is_over());
    }
    for n in [7, 64] {
        let many = play(n, &rules, &tables);
        for (a, b) in one.iter().zip(&many) {
            assert_eq!(
                a.history(),
                b.history(),
                "seed {} with {n} in flight",
                a.seed()
            );
            assert_eq!(a.events(), b.events());
        }
    }
    // ... and equal to the games played one at a time with their own agents
    for (game, table) in one.iter().zip(&tables) {
        let mut agents: Vec<Box<dyn Agent>> = (0..3u8)
            .map(|seat| match table.players[seat as usize] {
                0 => Box::new(HeuristicAgent) as Box<dyn Agent>,
                _ => Box::new(RandomAgent::new(seat)),
            })
            .collect();
        let alone = play_game(rules.clone(), table.seed, &mut agents).unwrap();
        assert_eq!(alone.history(), game.history());
    }
}

/// Counts hook calls and checks each hand's deltas against the scores.
#[derive(Default)]
struct Counting {
    hands: std::collections::BTreeMap<(usize, Seat), Vec<KyokuEnd>>,
    started: usize,
    ended: usize,
}

impl BatchAgent for Counting {
    fn name(&self) -> String {
        "counting".into()
    }
    fn start_game(&mut self, _: usize, _: Seat, _: u64) {
        self.started += 1;
    }
    fn act_batch(&mut self, decisions: &[Decision<'_>], replies: &mut Vec<Reply>) {
        replies.clear();
        for d in decisions {
            replies.push(Reply::action(HeuristicAgent.act(&d.view)));
        }
    }
    fn end_kyoku(&mut self, table: usize, seat: Seat, end: &KyokuEnd) {
        self.hands
            .entry((table, seat))
            .or_default()
            .push(end.clone());
    }
    fn end_game(&mut self, _: usize, _: Seat, _: &Game) {
        self.ended += 1;
    }
}

#[test]
fn hooks_report_every_hand_with_its_score_change() {
    let tables: Vec<Table> = (0..12)
        .map(|i| Table {
            seed: 70 + i,
            players: [0, 0, 0],
        })
        .collect();
    let mut counting = Counting::default();
    let mut games = Collect::default();
    Arena::new(Rules::default(), 5)
        .play(&tables, &mut [&mut counting], &mut games)
        .unwrap();
    assert_eq!((counting.started, counting.ended), (36, 36));
    for (t, game) in games.0.iter().enumerate() {
        let starts: Vec<(Vec<i32>, u32)> = game
            .events()
            .iter()
            .filter_map(|e| match e {
                Event::StartKyoku {
                    scores, kyotaku, ..
                } => Some((scores.clone(), *kyotaku)),
                _ => None,
            })
            .collect();
        let hands = &counting.hands[&(t, 0)];
        assert_eq!(hands.len(), starts.len(), "one report per hand");
        for seat in 1..3 {
            assert_eq!(
                &counting.hands[&(t, seat)],
                hands,
                "every seat hears the same"
            );
        }
        // consecutive hands: start scores + deltas = next start scores (deposits aside,
        // which move between the table and the players only through riichi and wins)
        for (k, end) in hands.iter().enumerate() {
            assert_eq!(end.ordinal as usize, k);
            if let Some((next, _)) = starts.get(k + 1) {
                let after: Vec<i32> = starts[k]
                    .0
                    .iter()
                    .zip(end.deltas)
                    .map(|(a, d)| a + d)
                    .collect();
                assert_eq!(&after, next, "table {t} hand {k}");
            }
        }
    }
}

#[test]
fn per_round_walls_depend_on_seed_round_and_honba_only() {
    let rules = Rules {
        walls: WallDealing::PerRound,
        ..Rules::default()
    };
    let tables = [Table {
        seed: 5,
        players: [0, 0, 0],
    }];
    // the same seed with different players: every hand both games reach with the same
    // (round, honba) deals the same tiles
    let heuristic_game = play(
        1,
        &rules,
        &[Table {
            players: [0, 0, 0],
            ..tables[0]
        }],
    )
    .remove(0);
    let random_game = play(
        1,
        &rules,
        &[Table {
            players: [1, 1, 1],
            ..tables[0]
        }],
    )
    .remove(0);
    type Deal = ((u8, u32), Vec<Vec<meowlab_hand::Tile>>);
    let deals = |g: &Game| -> Vec<Deal> {
        g.events()
            .iter()
            .filter_map(|e| match e {
                Event::StartKyoku {
                    bakaze,
                    kyoku,
                    honba,
                    tehais,
                    oya,
                    ..
                } => {
                    // the deal in dealer order, so it does not depend on who deals
                    let order: Vec<Vec<_>> = (0..3)
                        .map(|i| tehais[(*oya as usize + i) % 3].clone())
                        .collect();
                    Some(((3 * (bakaze.index() as u8 - 27) + kyoku - 1, *honba), order))
                }
                _ => None,
            })
            .collect()
    };
    let (a, b) = (deals(&heuristic_game), deals(&random_game));
    let mut shared = 0;
    for (key, deal) in &a {
        if let Some((_, other)) = b.iter().find(|(k, _)| k == key) {
            assert_eq!(deal, other, "hand {key:?}");
            shared += 1;
        }
    }
    assert!(shared >= 2, "the games share only {shared} hands");
    // and the first hand differs from the sequential dealing's, which these rules replace
    let sequential = play(1, &Rules::default(), &tables).remove(0);
    assert_ne!(deals(&sequential)[0], a[0]);
    // a per-round game replays from its seed and actions like any other
    let replayed = Game::replay(rules.clone(), 5, heuristic_game.history()).unwrap();
    assert!(
        replayed.events()[1..] == heuristic_game.events()[1..],
        "the replay differs (names in start_game aside)"
    );
    // the rules say so in logs, and default rules serialise as they always did
    assert!(serde_json::to_string(&rules).unwrap().contains("per_round"));
    assert!(!serde_json::to_string(&Rules::default())
        .unwrap()
        .contains("walls"));
}
