//! Real Tenhou 3-player games (`../shared/fixtures/tenhou-sanma/tenhou6`, Houou lobby):
//! every tenhou.net/6 file reads, every round's start and every final score follow from
//! the previous round's result and riichi stakes (checked inside the reader), and the
//! slots line up (a seat's discards follow its draws one to one, a winner by tsumo or a
//! nine-terminal declaration having one draw more).

use meowlab_logs::{read_tenhou6, Discard, DrawKind, RoundResult, Take};
use meowlab_tests::fixture;

#[test]
fn every_tenhou6_fixture_reads_and_its_scores_add_up() {
    let dir = fixture("tenhou-sanma/tenhou6");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert!(
        !files.is_empty(),
        "no tenhou.net/6 files in {}",
        dir.display()
    );
    let (mut rounds, mut kita, mut wins, mut draws, mut calls) = (0, 0, 0, 0, 0);
    for path in &files {
        let games = read_tenhou6(path).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(games.len(), 1, "{}", path.display());
        let g = &games[0];
        let stem = path.file_stem().unwrap().to_string_lossy();
        assert_eq!(g.source, stem, "the log id is the file name");
        assert!(g.final_scores.is_some() && g.rules.hanchan && g.rules.red_fives);
        for (k, r) in g.rounds.iter().enumerate() {
            rounds += 1;
            for seat in 0..3 {
                let extra = r.takes[seat].len() as i64 - r.discards[seat].len() as i64;
                let last_drawer = match &r.result {
                    RoundResult::Wins(w) => w.iter().any(|w| w.winner == seat && w.from == seat),
                    RoundResult::Draw { kind, .. } => *kind == DrawKind::NineTerminals,
                };
                assert!(
                    extra == 0 || (extra == 1 && last_drawer),
                    "{stem} round {k} seat {seat}: {} draws, {} discards",
                    r.takes[seat].len(),
                    r.discards[seat].len()
                );
                kita += r.discards[seat]
                    .iter()
                    .filter(|d| **d == Discard::Kita)
                    .count();
                calls += r.takes[seat]
                    .iter()
                    .filter(|t| !matches!(t, Take::Draw(_)))
                    .count();
            }
            match &r.result {
                RoundResult::Wins(_) => wins += 1,
                RoundResult::Draw { .. } => draws += 1,
            }
        }
    }
    // real sanma: Kita in most rounds, pons, and both kinds of round end
    assert!(
        kita > rounds && calls > 0 && wins > 0 && draws > 0,
        "{kita} {calls} {wins} {draws}"
    );
    println!(
        "{} games, {rounds} rounds ({wins} won, {draws} drawn), {kita} Kita, {calls} calls",
        files.len()
    );
}

/// Whether `short` is `long` with some elements left out.
fn subsequence<T: PartialEq>(short: &[T], long: &[T]) -> bool {
    let mut rest = long.iter();
    short.iter().all(|x| rest.any(|y| y == x))
}

fn files(dir: &std::path::Path, ext: &[&str]) -> Vec<std::path::PathBuf> {
    let mut out: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| ext.iter().any(|x| e == *x)))
        .collect();
    out.sort();
    out
}

#[test]
fn every_mjlog_fixture_reads_and_agrees_with_its_tenhou6_copy() {
    let dir = fixture("tenhou-sanma/mjlog");
    let logs = files(&dir, &["mjlog", "xml"]);
    assert!(!logs.is_empty());
    let mut rounds = 0;
    for path in &logs {
        let g = meowlab_logs::read_mjlog(path).unwrap_or_else(|e| panic!("{e}"));
        rounds += g.rounds.len();
    }
    // the same games in both formats: identical records (what each win is worth
    // included: mjlog gives yaku ids, tenhou.net/6 Japanese names) but for the win texts,
    // which only tenhou.net/6 has
    let mut compared = 0;
    for json in files(&fixture("tenhou-sanma/tenhou6"), &["json"]) {
        let mjlog = dir.join(json.file_stem().unwrap()).with_extension("mjlog");
        if !mjlog.exists() {
            continue;
        }
        let mut a = read_tenhou6(&json).unwrap().remove(0);
        let b = meowlab_logs::read_mjlog(&mjlog).unwrap();
        for r in &mut a.rounds {
            if let RoundResult::Wins(w) = &mut r.result {
                w.iter_mut().for_each(|w| w.text.clear());
            }
        }
        assert_eq!(a.players, b.players, "{}", json.display());
        for (k, (x, y)) in a.rounds.iter().zip(&b.rounds).enumerate() {
            assert_eq!(x, y, "{} round {k}", json.display());
        }
        assert_eq!(a, b, "{}", json.display());
        compared += 1;
    }
    assert!(compared > 0, "no game is in both formats");
    println!(
        "{} mjlog games, {rounds} rounds; {compared} games identical in both formats",
        logs.len()
    );
}

#[test]
fn four_player_logs_are_refused_by_name() {
    for path in files(&fixture("tenhou-sanma/other-4p"), &["mjlog", "xml", "gz"]) {
        let e = meowlab_logs::read_mjlog(&path).unwrap_err();
        assert!(
            matches!(e, meowlab_logs::LogError::FourPlayer { .. }),
            "{}: {e}",
            path.display()
        );
        assert!(e.to_string().contains("not a 3-player game"), "{e}");
    }
}

#[test]
fn mjai_conversions_read_and_agree_with_the_tenhou_formats() {
    let dir = fixture("tenhou-sanma/mjai");
    let logs = files(&dir, &["mjson", "jsonl"]);
    assert!(!logs.is_empty());
    let mut compared = 0;
    for path in &logs {
        let mut m = meowlab_logs::read_mjai(path).unwrap_or_else(|e| panic!("{e}"));
        let stem = path.file_stem().unwrap().to_string_lossy().to_string();
        assert_eq!(m.source, stem);
        let mjlog = fixture("tenhou-sanma/mjlog").join(format!("{stem}.mjlog"));
        if !mjlog.exists() {
            continue;
        }
        let mut t = meowlab_logs::read_mjlog(&mjlog).unwrap();
        // what the conversion does not keep: ura indicators (this tool drops them), the
        // final scores and what a win is worth (mjai names yaku its own way); the play
        // itself must be the same
        for g in [&mut m, &mut t] {
            g.final_scores = None;
            for r in &mut g.rounds {
                r.ura_indicators.clear();
                if let RoundResult::Wins(w) = &mut r.result {
                    w.iter_mut().for_each(|w| w.score = None);
                }
            }
        }
        // every round starts and ends alike (scores, hands, dora, results)…
        assert_eq!(m.rounds.len(), t.rounds.len(), "{stem}");
        let mut same_play = 0;
        for (k, (x, y)) in m.rounds.iter().zip(&t.rounds).enumerate() {
            let start = |r: &meowlab_logs::RoundLog| {
                (
                    r.honba,
                    r.deposits,
                    r.scores,
                    r.hands.clone(),
                    r.result.clone(),
                )
            };
            assert_eq!(start(x), start(y), "{stem} round {k}");
            let play = |r: &meowlab_logs::RoundLog| (r.takes.clone(), r.discards.clone());
            same_play += usize::from(play(x) == play(y));
            // where they differ, the conversion only left slots out
            for seat in 0..3 {
                assert!(
                    subsequence(&x.takes[seat], &y.takes[seat])
                        && subsequence(&x.discards[seat], &y.discards[seat]),
                    "{stem} round {k} seat {seat}: the mjai play is not Tenhou's with slots left out"
                );
            }
        }
        // …and the play too, except what the conversion left out: the fixture's tool
        // drops pons called from the next player (and the discard after them) and some
        // winning draws, where Tenhou's two formats agree with each other. Its round
        // labels are its own too (South 1–3 as "South 2, South 3, West 1"), so the round
        // index is not compared.
        println!(
            "{stem}: {same_play} of {} rounds play alike",
            m.rounds.len()
        );
        assert!(same_play > 0, "{stem}");
        compared += 1;
    }
    assert!(compared > 0, "no mjai game is also in mjlog");
}
