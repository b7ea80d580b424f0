//! Explanations validated on planted models: discard models trained on synthetic rules
//! that read one feature block only must get most of the credit on that block, and the
//! supervised model's discards facing a riichi must credit the riichi player's blocks
//! more than its discards when nobody is in riichi.
//!
//! Each test prints the share of mean |φ| per conditioning (exact matching, learned,
//! interventional); the learned characteristic must give the planted block ≥ 80%.

use std::path::PathBuf;
use std::sync::OnceLock;

use dfdx::prelude::*;
use meowlab_explain::sanma::PlayerSet;
use meowlab_explain::Conditioning;
use meowlab_meowjong::dataset::{extract, Samples};
use meowlab_meowjong::explain::{
    explain_discards, fit_surrogate, ExplainConfig, Quantity, SurrogateSpec,
};
use meowlab_meowjong::model::{ModelKind, Preset, ROWS};
use meowlab_meowjong::sl::{fit, unpack_batch, SlConfig, Trainer};
use meowlab_meowjong::surrogate::{ModelFingerprint, SurrogateConfig};
use meowlab_meowjong::MeowjongNet;
use meowlab_nn::Dev;
use meowlab_sanma::planes::{FeatureBlock, Planes};
use meowlab_store::Explanation;

/// Discard decisions of 50 heuristic hanchan (about 12,000).
fn logged() -> &'static Samples {
    static SAMPLES: OnceLock<Samples> = OnceLock::new();
    SAMPLES.get_or_init(|| {
        use meowlab_sanma::bots::{Agent, HeuristicAgent};
        use meowlab_sanma::Rules;
        use meowlab_store::{Run, SanmaLogger, WriterOptions};
        let root = std::env::temp_dir().join(format!("meowlab-planted-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let mut run = Run::create(&root, "teacher", "play", 0, Default::default()).unwrap();
        let mut log = SanmaLogger::create(&mut run, WriterOptions::default()).unwrap();
        for game in 0..100 {
            let mut agents: Vec<Box<dyn Agent>> = (0..3)
                .map(|_| Box::new(HeuristicAgent) as Box<dyn Agent>)
                .collect();
            log.play_game(Rules::default(), game, game, &mut agents)
                .unwrap();
        }
        log.close().unwrap();
        run.finish(true).unwrap();
        extract(run.dir(), ModelKind::Discard).unwrap()
    })
}

fn planes(samples: &Samples, i: usize) -> Planes {
    Planes::from_bytes(&samples.observations[i]).unwrap()
}

/// The row of the previous player's latest discard, if they have discarded.
fn previous_players_last_discard(p: &Planes) -> Option<usize> {
    let cols = FeatureBlock::PreviousDiscards.columns();
    cols.rev().find_map(|c| (0..ROWS).find(|&r| p.get(r, c)))
}

/// The dora of the first indicator (the next kind in its suit, winds and dragons in
/// their cycles; in sanma 1m and 9m indicate each other).
fn dora_of_first_indicator(p: &Planes) -> Option<usize> {
    let col = FeatureBlock::DoraIndicators.columns().start;
    let r = (0..ROWS).find(|&r| p.get(r, col))?;
    Some(match r {
        0 => 8,
        8 => 0,
        9..=26 => 9 + (r - 9) / 9 * 9 + ((r - 9) % 9 + 1) % 9,
        27..=30 => 27 + (r - 27 + 1) % 4,
        _ => 31 + (r - 31 + 1) % 3,
    })
}

/// A small discard CNN trained, without the legal mask, to put its probability on
/// `rule`'s tile (states where the rule says nothing are left out).
fn planted_model(samples: &Samples, rule: fn(&Planes) -> Option<usize>, name: &str) -> PathBuf {
    let dev = Dev::default();
    let (mut indices, mut labels) = (Vec::new(), Vec::new());
    for i in 0..samples.labels.len() {
        if let Some(tile) = rule(&planes(samples, i)) {
            indices.push(i);
            labels.push(tile);
        }
    }
    let preset = Preset::small();
    let mut trainer = Trainer::new(&dev, ModelKind::Discard, preset, 2e-3, 7);
    let mut order: Vec<usize> = (0..indices.len()).collect();
    let mut rng = <rand_chacha::ChaCha8Rng as rand::SeedableRng>::seed_from_u64(3);
    for _epoch in 0..3 {
        rand::seq::SliceRandom::shuffle(&mut order[..], &mut rng);
        for chunk in order.chunks(128) {
            let batch: Vec<usize> = chunk.iter().map(|&k| indices[k]).collect();
            let mut onehot = vec![0.0f32; chunk.len() * ROWS];
            for (row, &k) in chunk.iter().enumerate() {
                onehot[row * ROWS + labels[k]] = 1.0;
            }
            let target = dev.tensor_from_vec(onehot, (chunk.len(), ROWS));
            trainer.step_on_logits(
                unpack_batch(&samples.observations, &batch),
                vec![0.0; chunk.len() * ROWS],
                |logits| cross_entropy_with_logits_loss(logits, target),
            );
        }
    }
    // how well the rule was learned
    let mut net = trainer.net;
    let mut hits = 0;
    let check = &indices[..indices.len().min(2000)];
    let mut rng0 = <rand_chacha::ChaCha8Rng as rand::SeedableRng>::seed_from_u64(0);
    let probs = net.predict(&unpack_batch(&samples.observations, check), &mut rng0);
    for (k, p) in probs.chunks_exact(ROWS).enumerate() {
        let top = (0..ROWS).max_by(|&a, &b| p[a].total_cmp(&p[b])).unwrap();
        hits += (top == labels[k]) as usize;
    }
    println!(
        "{name}: the planted model plays its rule at {hits}/{} states",
        check.len()
    );
    let dir = std::env::temp_dir().join(format!("meowlab-planted-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    net.save(&dir.join("model")).unwrap();
    dir
}

fn share(explanations: &[Explanation], blocks: &[&str]) -> f64 {
    let players = &explanations[0].players;
    let mut mean = vec![0.0; players.len()];
    for e in explanations {
        for (m, v) in mean.iter_mut().zip(&e.values) {
            *m += v.abs();
        }
    }
    let total: f64 = mean.iter().sum();
    let on: f64 = players
        .iter()
        .zip(&mean)
        .filter(|(p, _)| blocks.contains(&p.as_str()))
        .map(|(_, m)| m)
        .sum();
    on / total
}

/// Shares of the planted block under each conditioning, learned first.
fn shares_for(model: &std::path::Path, block: &str, legal_only: bool, states: usize) -> [f64; 3] {
    let samples = logged();
    let dev = Dev::default();
    let mut net = MeowjongNet::open(&dev, model).unwrap();
    let fingerprint = ModelFingerprint::of(&model.join("model.safetensors"), legal_only).unwrap();
    let spec = SurrogateSpec {
        run: "teacher".into(),
        legal_only,
        config: SurrogateConfig {
            player_sets: vec!["blocks".into()],
            ..SurrogateConfig::default()
        },
        max_states: 12_000,
    };
    let mut surrogate =
        fit_surrogate(&dev, &mut net, samples, fingerprint, &spec, &mut |_| {}).unwrap();
    let card = &surrogate.card;
    println!(
        "{block}: surrogate val KL {:.4}, v(F) gap {:.4}, v(∅) gap {:.4}, {} epochs, {:.0} s",
        card.val_kl, card.full_gap, card.empty_gap, card.epochs, card.train_seconds
    );
    // with nothing hidden it gives back the model, with everything hidden the mean policy
    // (total-variation distances on held-out games). v(∅) is the looser fit: for the
    // peaked previous-discard model it was 0.12 off on one set of 100 bots' games and
    // 0.30 on the next (the engine's Kita-dora fix changed a few of them), with the
    // shares below about unchanged (92% → 90% learned)
    assert!(
        card.full_gap < 0.1,
        "v(F) must give back the model: {card:?}"
    );
    assert!(
        card.empty_gap < 0.35,
        "v(∅) must give the mean policy: {card:?}"
    );
    let mut out = [0.0; 3];
    let conditionings = [
        Conditioning::OnManifoldLearned,
        Conditioning::OnManifoldExact,
        Conditioning::Interventional,
    ];
    for (k, conditioning) in conditionings.into_iter().enumerate() {
        let config = ExplainConfig {
            states: if conditioning == Conditioning::Interventional {
                states / 2
            } else {
                states
            },
            seed: 11,
            players: PlayerSet::Blocks,
            conditioning,
            quantity: Quantity::Top,
            legal_only,
            interventional_background: 8,
            ..ExplainConfig::default()
        };
        let e = explain_discards(
            &mut net,
            samples,
            &config,
            Some(&mut surrogate),
            &mut |_| {},
        )
        .unwrap();
        for x in &e {
            let gap = x.values.iter().sum::<f64>() - (x.full - x.base);
            assert!(gap.abs() < 1e-6, "efficiency: {gap}");
        }
        out[k] = share(&e, &[block]);
        let mut per: Vec<(f64, &str)> = e[0]
            .players
            .iter()
            .enumerate()
            .map(|(p, name)| {
                (
                    e.iter().map(|x| x.values[p].abs()).sum::<f64>() / e.len() as f64,
                    name.as_str(),
                )
            })
            .collect();
        per.sort_by(|a, b| b.0.total_cmp(&a.0));
        let top: Vec<String> = per[..4]
            .iter()
            .map(|(v, name)| format!("{name} {v:.3}"))
            .collect();
        println!(
            "{block}: {} gives the block {:.0}% of mean |φ| (largest: {})",
            conditioning.name(),
            100.0 * out[k],
            top.join(", ")
        );
    }
    out
}

#[test]
fn a_model_that_copies_the_previous_players_discard_is_explained_by_that_block() {
    let model = planted_model(logged(), previous_players_last_discard, "previous-discard");
    let [learned, ..] = shares_for(&model, "previous_discards", false, 60);
    assert!(learned >= 0.8, "learned share {learned}");
}

#[test]
fn a_model_that_discards_the_dora_is_explained_by_the_dora_indicators() {
    let model = planted_model(logged(), dora_of_first_indicator, "dora");
    let [learned, ..] = shares_for(&model, "dora_indicators", false, 60);
    assert!(learned >= 0.8, "learned share {learned}");
}

/// The decisions of `samples` where `keep` holds.
fn subset(samples: &Samples, keep: impl Fn(&Planes) -> bool) -> Samples {
    let mut out = Samples::default();
    for i in 0..samples.labels.len() {
        if keep(&planes(samples, i)) {
            out.observations.push(samples.observations[i].clone());
            out.labels.push(samples.labels[i]);
            out.games.push(samples.games[i]);
            out.steps.push(samples.steps[i]);
        }
    }
    out
}

/// Whether the next (0) or previous (1) player is in riichi.
fn in_riichi(p: &Planes, opponent: usize) -> bool {
    let block = [FeatureBlock::NextRiichi, FeatureBlock::PreviousRiichi][opponent];
    p.get(0, block.columns().start)
}

#[test]
fn facing_a_riichi_the_supervised_model_looks_at_the_riichi_players_discards() {
    let samples = logged();
    let dev = Dev::default();
    let config = SlConfig {
        max_epochs: 2,
        ..SlConfig::new(ModelKind::Discard, Preset::small())
    };
    let (mut net, report) = fit(&dev, samples, &config, &mut |_| {}).unwrap();
    println!("SL model: test accuracy {:.3}", report.test.accuracy());
    let dir = std::env::temp_dir().join(format!("meowlab-planted-{}-sl", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    net.save(&dir.join("model")).unwrap();
    let spec = SurrogateSpec {
        run: "teacher".into(),
        legal_only: true,
        config: SurrogateConfig {
            player_sets: vec!["blocks".into()],
            ..SurrogateConfig::default()
        },
        max_states: 12_000,
    };
    let fingerprint = ModelFingerprint::of(&dir.join("model.safetensors"), true).unwrap();
    let mut surrogate =
        fit_surrogate(&dev, &mut net, samples, fingerprint, &spec, &mut |_| {}).unwrap();
    let mut explain = |net: &mut MeowjongNet, subset: &Samples| {
        let config = ExplainConfig {
            states: 60,
            seed: 5,
            ..ExplainConfig::default()
        };
        explain_discards(net, subset, &config, Some(&mut surrogate), &mut |_| {}).unwrap()
    };
    let blocks = [
        ["next_discards", "next_riichi"],
        ["previous_discards", "previous_riichi"],
    ];
    let mut facing = 0.0;
    for (opponent, theirs) in blocks.iter().enumerate() {
        let riichi = subset(samples, |p| {
            in_riichi(p, opponent) && !in_riichi(p, 1 - opponent)
        });
        let share = share(&explain(&mut net, &riichi), theirs);
        println!(
            "riichi by opponent {opponent}: their discards and riichi get {:.0}%",
            100.0 * share
        );
        facing += share / 2.0;
    }
    let calm = explain(
        &mut net,
        &subset(samples, |p| !in_riichi(p, 0) && !in_riichi(p, 1)),
    );
    let usual = (share(&calm, &blocks[0]) + share(&calm, &blocks[1])) / 2.0;
    println!(
        "no riichi: an opponent's discards and riichi get {:.0}%",
        100.0 * usual
    );
    assert!(
        facing > 1.3 * usual,
        "facing a riichi {facing}, without {usual}"
    );
}
