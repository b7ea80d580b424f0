//! Self-play REINFORCE learns what the game rewards: on a hand-built wall where one
//! discard wins at once and the other does not, the dealer's discard model (random at
//! first) comes to prefer the winning one within a few dozen hands.

use meowlab_hand::{parse_tiles, Tile};
use meowlab_meowjong::model::{MeowjongNet, ModelKind, Preset};
use meowlab_meowjong::selfplay::reinforce::{Reinforce, ReinforceConfig};
use meowlab_nn::Dev;
use meowlab_sanma::arena::{Arena, Table};
use meowlab_sanma::planes::encode;
use meowlab_sanma::{Game, KyokuStart, Wall, WallSpec};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

fn t(s: &str) -> Vec<Tile> {
    parse_tiles(s).unwrap()
}

/// The dealer holds 123p 456p 789p 123s and East, and draws 9s: thrown, the East leaves
/// a 9s wait that the dealer's next draw completes (tsumo, ittsu); thrown, the 9s leaves
/// an East wait that no tile left can complete soon. The other seats hold hands far from
/// tenpai, with too few terminals and honours to abort.
fn wall() -> Wall {
    let hands = [
        t("123p456p789p123s1z"),
        t("2p3p6p7p2s3s6s7s4s8s5z6z7z"),
        t("2p4p6p8p3s5s7s8s2z3z5z6z7z"),
    ];
    let (draws, none) = (t("9s1s9p9s"), Vec::new());
    Wall::build(&WallSpec {
        hands: [&hands[0], &hands[1], &hands[2]],
        draws: &draws,
        replacements: &none,
        dora: &t("9m"),
        ura: &t("9m"),
        red: true,
    })
    .unwrap()
}

/// Five untrained models of the smallest preset, drawn from `rng`.
fn tiny_models(dev: &Dev, rng: &mut ChaCha8Rng) -> Vec<MeowjongNet> {
    let preset = Preset::by_name("c4x4-d16").unwrap();
    ModelKind::ALL
        .into_iter()
        .map(|kind| MeowjongNet::new(dev, kind, preset.clone(), rng))
        .collect()
}

/// An opponent pool of the learner alone (pure self-play).
fn self_play_only() -> meowlab_meowjong::selfplay::pool::PoolConfig {
    meowlab_meowjong::selfplay::pool::PoolConfig {
        learner: 1.0,
        past: 0.0,
        sl: 0.0,
        heuristic: 0.0,
        ..Default::default()
    }
}

/// The discard model's probability of throwing East at the dealer's first decision.
fn p_east(net: &MeowjongNet, first: &Game) -> f32 {
    let planes = encode(&first.view(0)).to_f32();
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let probs = net.clone().predict(&planes, &mut rng);
    probs[t("1z")[0].index()]
}

#[test]
fn reinforce_learns_the_winning_discard() {
    let dev = Dev::default();
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let models = tiny_models(&dev, &mut rng);
    let config = ReinforceConfig {
        rounds_per_update: 8,
        lr: 3e-3,
        batch_size: 32,
        ..ReinforceConfig::default()
    };
    let mut learner = Reinforce::new(&dev, models, config);
    let first = Game::with_wall(learner.rules().clone(), 0, KyokuStart::default(), wall());
    let before = p_east(learner.discard_model(), &first);
    let arena = Arena::new(learner.rules().clone(), 8);
    let mut wins = Vec::new();
    for update in 0..30 {
        let tables: Vec<Table> = (0..8)
            .map(|i| Table {
                seed: (update * 8 + i) as u64,
                players: [0, 0, 0],
            })
            .collect();
        let stats = learner
            .update_on(
                &arena,
                &tables,
                &|table, rules| {
                    Game::with_wall(rules.clone(), table.seed, KyokuStart::default(), wall())
                },
                None,
            )
            .unwrap();
        assert!(stats.samples > 0);
        wins.push(stats.win_rate);
    }
    let after = p_east(learner.discard_model(), &first);
    assert!(
        before < 0.2,
        "an untrained model is not sure already: {before}"
    );
    assert!(
        after > 0.8,
        "p(East) {before:.3} -> {after:.3}; win rates {wins:?}"
    );
}

/// The PPO learner finds the same winning discard, with its critic and clipped updates.
#[test]
fn ppo_learns_the_winning_discard() {
    use meowlab_meowjong::selfplay::ppo::{Ppo, PpoConfig};
    let dev = Dev::default();
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let models = tiny_models(&dev, &mut rng);
    let config = PpoConfig {
        length: meowlab_sanma::GameLength::OneHand,
        games_per_update: 8,
        lr: 1e-3,
        epochs: 2,
        batch_size: 16,
        kl_to_sl: 0.0,
        train: vec![ModelKind::Discard],
        pool: self_play_only(),
        ..PpoConfig::default()
    };
    let mut learner = Ppo::new(&dev, models, config);
    let first = Game::with_wall(learner.rules().clone(), 0, KyokuStart::default(), wall());
    // Both East and 9s leave the dealer tenpai, so the (frozen, untrained) Riichi model
    // may declare with either: PPO learns over the legal options of the stage, so the
    // measure is East's share of the two.
    let p_east = |net: &MeowjongNet| {
        let planes = encode(&first.view(0)).to_f32();
        let probs = net
            .clone()
            .predict(&planes, &mut ChaCha8Rng::seed_from_u64(0));
        let (east, nine) = (probs[t("1z")[0].index()], probs[t("9s")[0].index()]);
        east / (east + nine)
    };
    let before = p_east(&learner.models()[0]);
    let mut ranks = Vec::new();
    for _ in 0..40 {
        let stats = learner
            .update_on(
                &|table, rules| {
                    Game::with_wall(rules.clone(), table.seed, KyokuStart::default(), wall())
                },
                None,
            )
            .unwrap();
        assert!(stats.samples > 0 && stats.kl_sl.is_finite());
        ranks.push(stats.avg_rank);
    }
    let after = p_east(&learner.models()[0]);
    assert!(
        (0.2..0.8).contains(&before),
        "an untrained model is not sure already: {before}"
    );
    assert!(
        after > 0.95,
        "p(East) {before:.3} -> {after:.3}; ranks {ranks:?}"
    );
}

/// With a global reward predictor the rank reward is paid hand by hand: each hand's
/// reward sits on the seat's last step of that hand, and a seat's rewards over a game
/// add up to its rank reward minus the predictor's expectation at East 1.
#[test]
fn grp_rewards_are_paid_by_hand_and_telescope_to_the_rank_reward() {
    use meowlab_meowjong::selfplay::grp::{Grp, HandStart};
    use meowlab_meowjong::selfplay::ppo::{PpoActor, PpoConfig};
    use std::collections::BTreeMap;
    let dev = Dev::default();
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    let models = tiny_models(&dev, &mut rng);
    let mut config = PpoConfig {
        length: meowlab_sanma::GameLength::Tonpuu,
        games_per_update: 6,
        value_baseline: false,
        ..PpoConfig::default()
    };
    config.reward.grp = true;
    config.reward.hand_shaping = 0.0;
    config.validate().unwrap();
    let grp = Grp::new(&dev, 16, &mut rng);
    let mut actor = PpoActor::new(models, None, config.clone());
    actor.set_grp(Some(grp.clone()));
    let (rows, stats) = actor
        .play(1, &|t, rules| Game::new(rules.clone(), t.seed), None)
        .unwrap();
    assert!(stats.hands > stats.games, "tonpuu games have several hands");
    let mut games: BTreeMap<(u64, u8), Vec<_>> = BTreeMap::new();
    for r in &rows {
        games.entry((r.game_id, r.seat)).or_default().push(r);
    }
    let (mut paid_hands, mut checked) = (0, 0);
    for ((_, seat), steps) in &games {
        assert!(steps.windows(2).all(|w| w[0].hand <= w[1].hand));
        let east1 = HandStart {
            round: 0,
            honba: 0,
            deposits: 0,
            dealer: 0,
            scores: [35_000; 3],
        };
        let v0 = grp.expected(&[(east1, *seat)], &config.reward.uma)[0];
        let uma = config.reward.uma[steps[0].final_rank as usize - 1];
        let total: f64 = steps.iter().map(|s| f64::from(s.reward)).sum();
        // (a hand before the seat's first step pays no one: nothing it did caused it)
        if steps[0].hand == 0 {
            assert!((total - (uma - v0)).abs() < 1e-4, "{total} vs {uma} − {v0}");
            checked += 1;
        }
        // rewards only on the last step of a hand
        for w in steps.windows(2) {
            if w[0].hand == w[1].hand {
                assert_eq!(w[0].reward, 0.0);
            }
        }
        paid_hands += steps.iter().filter(|s| s.reward != 0.0).count();
    }
    assert!(
        paid_hands > games.len(),
        "rewards on more than one hand per game"
    );
    assert!(
        checked * 2 > games.len(),
        "{checked} of {} seats",
        games.len()
    );
}

/// With the imitation term (and the rewards' advantages standardised away by a zero
/// reward), the discard policy moves towards the heuristic bot's choices on the states
/// it visits: the recorded teacher classes are legal, and the cross-entropy to them falls.
#[test]
fn imitation_pulls_the_policy_towards_the_heuristic_on_its_own_states() {
    use meowlab_meowjong::selfplay::ppo::{Ppo, PpoActor, PpoConfig};
    let dev = Dev::default();
    let mut rng = ChaCha8Rng::seed_from_u64(6);
    let models = tiny_models(&dev, &mut rng);
    let mut config = PpoConfig {
        length: meowlab_sanma::GameLength::OneHand,
        games_per_update: 8,
        lr: 2e-3,
        batch_size: 64,
        kl_to_sl: 0.0,
        entropy: 0.0,
        imitate: 1.0,
        value_baseline: false,
        train: vec![ModelKind::Discard],
        pool: self_play_only(),
        ..PpoConfig::default()
    };
    config.reward.uma = [0.0; 3];
    config.reward.hand_shaping = 0.0;
    config.validate().unwrap();
    let mut actor = PpoActor::new(models.clone(), None, config.clone());
    let (rows, _) = actor
        .play(1, &|t, rules| Game::new(rules.clone(), t.seed), None)
        .unwrap();
    let labelled = rows.iter().filter(|r| r.teacher_class.is_some()).count();
    // (a stage is unlabelled when the bot would not discard at all: it declares Kita
    // with a North in hand, which the frozen random Kita model here rarely does)
    assert!(labelled * 3 >= rows.len(), "{labelled} of {}", rows.len());
    assert!(rows
        .iter()
        .all(|r| r.teacher_class.is_none_or(|t| r.legal.contains(&t))));
    let mut learner = Ppo::new(&dev, models, config);
    let mut ce = Vec::new();
    for _ in 0..12 {
        ce.push(learner.update(None).unwrap().teacher_ce);
    }
    let last = ce[8..].iter().sum::<f64>() / 4.0;
    assert!(last < 0.8 * ce[0], "cross-entropy to the teacher {ce:?}");
}

/// With a teacher prior, one policy acts, learns and is held to its reference: the
/// actor's choices lean to the heuristic bot's, and before any real step (a vanishing
/// learning rate) the learner's probabilities are those the actor sampled from
/// (probability ratio 1) and those of the SL reference with the same prior (KL 0).
#[test]
fn a_teacher_prior_is_one_policy_for_the_actor_the_learner_and_the_reference() {
    use meowlab_meowjong::selfplay::ppo::{Ppo, PpoActor, PpoConfig};
    let dev = Dev::default();
    let mut rng = ChaCha8Rng::seed_from_u64(8);
    let models = tiny_models(&dev, &mut rng);
    let agreement = |prior: f64| {
        let config = PpoConfig {
            length: meowlab_sanma::GameLength::OneHand,
            games_per_update: 8,
            lr: 1e-12,
            batch_size: 64,
            teacher_prior: prior,
            // records the bot's classes without the prior too (and moves nothing at this
            // learning rate)
            imitate: 1.0,
            value_baseline: false,
            pool: self_play_only(),
            ..PpoConfig::default()
        };
        config.validate().unwrap();
        let mut actor = PpoActor::new(models.clone(), None, config.clone());
        let (rows, _) = actor
            .play(1, &|t, rules| Game::new(rules.clone(), t.seed), None)
            .unwrap();
        let discards: Vec<_> = rows
            .iter()
            .filter(|r| r.model == "discard" && r.teacher_class.is_some())
            .collect();
        assert!(discards.len() > 100, "{} labelled discards", discards.len());
        let same = discards
            .iter()
            .filter(|r| r.teacher_class == Some(r.class))
            .count();
        let stats = Ppo::new(&dev, models.clone(), config).update(None).unwrap();
        assert!(
            stats.approx_kl.abs() < 1e-5 && stats.clipfrac == 0.0,
            "prior {prior}: approx KL {} clipfrac {}",
            stats.approx_kl,
            stats.clipfrac
        );
        assert!(
            stats.kl_sl.abs() < 1e-4,
            "prior {prior}: KL to SL {}",
            stats.kl_sl
        );
        same as f64 / discards.len() as f64
    };
    let (without, with) = (agreement(0.0), agreement(2.0));
    assert!(
        with > without + 0.15,
        "agreement with the bot: {without:.3} without the prior, {with:.3} with it"
    );
}

/// Paired games meet the same walls with their own sampling streams: the two games of a
/// pair start with the same deal (the dealer's first decision sees the same planes) and
/// then part, where unpaired games deal differently.
#[test]
fn paired_games_share_their_walls_and_not_their_choices() {
    use meowlab_meowjong::selfplay::ppo::{PpoActor, PpoConfig};
    use std::collections::BTreeMap;
    let dev = Dev::default();
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let models = tiny_models(&dev, &mut rng);
    let first_decisions = |paired: bool| {
        let mut config = PpoConfig {
            length: meowlab_sanma::GameLength::Tonpuu,
            games_per_update: 8,
            episode: meowlab_meowjong::selfplay::ppo::Episode::Hand,
            paired,
            value_baseline: false,
            pool: self_play_only(),
            ..PpoConfig::default()
        };
        config.reward.hand_shaping = 0.02;
        config.validate().unwrap();
        let mut actor = PpoActor::new(models.clone(), None, config);
        let (rows, _) = actor
            .play(1, &|t, rules| Game::new(rules.clone(), t.seed), None)
            .unwrap();
        // per game: the planes of the dealer's (seat 0's) first step, and all classes
        let mut games: BTreeMap<u64, (Vec<u8>, Vec<u8>)> = BTreeMap::new();
        for r in &rows {
            let g = games.entry(r.game_id).or_default();
            if r.seat == 0 && g.0.is_empty() {
                g.0 = r.observation.clone();
            }
            g.1.push(r.class);
        }
        games
    };
    let paired = first_decisions(true);
    assert_eq!(paired.len(), 8);
    for k in (0..8).step_by(2) {
        let (a, b) = (&paired[&k], &paired[&(k + 1)]);
        assert_eq!(a.0, b.0, "games {k} and {}: first decisions differ", k + 1);
        assert_ne!(a.1, b.1, "games {k} and {}: the same choices", k + 1);
    }
    let unpaired = first_decisions(false);
    assert!((0..8)
        .step_by(2)
        .all(|k| unpaired[&k].0 != unpaired[&(k + 1)].0));
}
