//! Supervised samples for the five Meowjong models, read from a logged run's `decisions`
//! table (observation = the packed tile planes, label from the logged action), split by
//! game into train / validation / test so no game feeds two splits: by a hash of the game
//! id, or by date ([`DateSplit`], the paper's: train on one period, test on a later one).
//!
//! Which decisions make samples (action indices as in `meowlab_sanma::Action::index`):
//! discard — every decision that discarded (plain or riichi discard), label = tile kind
//! (0..34); Pon — every decision where a pon was legal, label = called it; Kan — where an
//! ankan, kakan or daiminkan was legal; Kita — where Kita was legal; Riichi — where a
//! riichi discard was legal. Binary labels: 1 = did it, 0 = did not.
//!
//! A binary model only sees the decisions it makes in play
//! ([`crate::agent::ModelAgent`]): wins and kyuushu are rules there, and the binary
//! models ask in stages — Kita, Kan, Pon, Riichi — each only when the earlier ones
//! declined. So a decision where the teacher won, aborted, or took an earlier stage's
//! action is no sample of a later stage: a tsumo where riichi was also legal says
//! nothing about riichi, and counting it as "no riichi" would teach a decline the agent
//! never faces.

use std::collections::HashMap;
use std::path::Path;

use meowlab_sanma::planes::ENCODER_VERSION;
use meowlab_sanma::IndexedAction;
use meowlab_store::arrow::{
    Array, FixedSizeBinaryArray, ListArray, UInt16Array, UInt32Array, UInt64Array,
};
use meowlab_store::sanma::decisions_schema;
use meowlab_store::{Run, StoreError, TableReader};

use crate::model::ModelKind;

/// Why samples could not be read.
#[derive(Debug, thiserror::Error)]
pub enum DatasetError {
    /// The store could not read the table.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The table is readable but unusable for training.
    #[error("{path}: {reason}")]
    Data {
        /// The table folder.
        path: String,
        /// What is wrong.
        reason: String,
    },
}

/// Which split a game belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Split {
    /// Training.
    Train,
    /// Validation (early stopping).
    Val,
    /// Held-out test.
    Test,
}

/// The split of a game: a fixed hash of (game id, seed) — 80% train, 10% val, 10% test.
pub fn split_of(game_id: u64, seed: u64) -> Split {
    // SplitMix64: stable across platforms and releases.
    let mut z = game_id
        .wrapping_add(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15))
        .wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    match z % 10 {
        0 => Split::Test,
        1 => Split::Val,
        _ => Split::Train,
    }
}

/// The paper's split by date: train on one period, test on a later one. For runs of
/// imported games, whose log ids begin with the day (Tenhou: `2026011603gm-…`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DateSplit {
    /// Games up to this day (YYYYMMDD, inclusive) train; a hashed tenth of them validate.
    pub train_until: u32,
    /// Games from this day (YYYYMMDD) on are the test set; games between the two days are
    /// left out.
    pub test_from: u32,
}

/// A day as YYYYMMDD from "2019-12-31" or "20191231".
pub fn parse_day(text: &str) -> Result<u32, String> {
    let digits: String = text.chars().filter(|c| *c != '-').collect();
    let day: u32 = digits
        .parse()
        .ok()
        .filter(|_| digits.len() == 8)
        .ok_or_else(|| format!("{text:?} is not a day (YYYY-MM-DD)"))?;
    let (month, dom) = (day / 100 % 100, day % 100);
    if !(1..=12).contains(&month) || !(1..=31).contains(&dom) {
        return Err(format!("{text:?} is not a day (YYYY-MM-DD)"));
    }
    Ok(day)
}

/// The day a Tenhou log id starts with (`2026011603gm-…` → 20260116).
pub fn day_of(source: &str) -> Option<u32> {
    source.get(..8).and_then(|d| parse_day(d).ok())
}

/// Each game's split under `split`, from the run's `games` table (sources); `seed` picks
/// the validation games of the training period. Games whose log id has no date are in no
/// split; the second value counts them (an error when no game has a date).
pub fn date_splits(
    run_dir: &Path,
    split: DateSplit,
    seed: u64,
) -> Result<(HashMap<u64, Split>, usize), DatasetError> {
    let bad = |reason: String| DatasetError::Data {
        path: run_dir.join("games").display().to_string(),
        reason,
    };
    if split.test_from <= split.train_until {
        return Err(bad(format!(
            "the test period (from {}) must start after the training period (until {})",
            split.test_from, split.train_until
        )));
    }
    let games = meowlab_store::browse::games(run_dir)?;
    let mut out = HashMap::with_capacity(games.rows.len());
    let mut undated = 0;
    for g in &games.rows {
        let Some(day) = g.source.as_deref().and_then(day_of) else {
            undated += 1;
            continue;
        };
        if day <= split.train_until {
            let s = match split_of(g.game_id, seed) {
                Split::Val => Split::Val,
                _ => Split::Train,
            };
            out.insert(g.game_id, s);
        } else if day >= split.test_from {
            out.insert(g.game_id, Split::Test);
        }
    }
    if undated == games.rows.len() {
        return Err(bad(
            "no game has a date in its log id (games.source): a date split needs imported \
             Tenhou games"
                .into(),
        ));
    }
    Ok((out, undated))
}

/// The label of one decision for `kind`, or `None` when it is not a sample of that model.
/// `legal` and `action` are logged action indices (see [`IndexedAction`]).
pub fn label(kind: ModelKind, legal: &[u16], action: u16) -> Option<u8> {
    use IndexedAction::{Daiminkan, Kita, Kyuushu, Riichi, Ron, Tsumo};
    let action = IndexedAction::from_index(action)?;
    let any = |want: fn(IndexedAction) -> bool| {
        legal
            .iter()
            .filter_map(|&i| IndexedAction::from_index(i))
            .any(want)
    };
    let is_kan = |a: IndexedAction| a.is_closed_or_added_kan() || a == Daiminkan;
    let is_riichi = |a: IndexedAction| matches!(a, Riichi(_));
    match kind {
        ModelKind::Discard => action.discarded().map(|tile| tile.index() as u8),
        _ if matches!(action, Tsumo | Ron | Kyuushu) => None,
        ModelKind::Kita => any(|a| a == Kita).then_some((action == Kita) as u8),
        _ if action == Kita => None,
        ModelKind::Kan => any(is_kan).then(|| is_kan(action) as u8),
        _ if is_kan(action) => None,
        ModelKind::Pon => any(IndexedAction::is_pon).then(|| action.is_pon() as u8),
        ModelKind::Riichi => any(is_riichi).then(|| is_riichi(action) as u8),
    }
}

/// The samples of one model, with each sample's game and split.
#[derive(Clone, Debug, Default)]
pub struct Samples {
    /// Packed planes (`meowlab_sanma::planes::BYTES` each), one per sample.
    pub observations: Vec<Vec<u8>>,
    /// Labels (class index).
    pub labels: Vec<u8>,
    /// Game of each sample.
    pub games: Vec<u64>,
    /// The decision's step in its game (`decisions.step`), to find it again.
    pub steps: Vec<u32>,
    /// Each game's split when it is not [`split_of`]'s hash (a [`DateSplit`]); games
    /// missing from the map are in no split.
    pub splits: Option<HashMap<u64, Split>>,
}

impl Samples {
    /// Indices of the samples in `split` (with the split seed).
    pub fn indices(&self, split: Split, seed: u64) -> Vec<usize> {
        (0..self.labels.len())
            .filter(|&i| match &self.splits {
                Some(map) => map.get(&self.games[i]) == Some(&split),
                None => split_of(self.games[i], seed) == split,
            })
            .collect()
    }

    /// Samples per class among `indices`.
    pub fn class_counts(&self, indices: &[usize], classes: usize) -> Vec<usize> {
        let mut counts = vec![0; classes];
        for &i in indices {
            counts[self.labels[i] as usize] += 1;
        }
        counts
    }
}

/// Reads every decision of the run at `run_dir` and keeps `kind`'s samples.
pub fn extract(run_dir: &Path, kind: ModelKind) -> Result<Samples, DatasetError> {
    // planes from another encoder would be read as garbage: refuse them, naming the run
    match Run::open(run_dir) {
        Ok(run) => run.check_planes_encoder(ENCODER_VERSION)?,
        Err(StoreError::NotARun { .. }) => {}
        Err(e) => return Err(e.into()),
    }
    let dir = run_dir.join("decisions");
    let reader = TableReader::open(&dir, Some(decisions_schema()))?;
    let bad = |reason: String| DatasetError::Data {
        path: dir.display().to_string(),
        reason,
    };
    let mut out = Samples::default();
    for batch in reader.read(Some(&["game_id", "legal", "action", "observation", "step"]))? {
        // by name: a projection keeps the table's column order
        let col = |name: &str| batch.column_by_name(name).map(|c| c.as_any());
        let games = col("game_id").and_then(|c| c.downcast_ref::<UInt64Array>());
        let legal = col("legal").and_then(|c| c.downcast_ref::<ListArray>());
        let actions = col("action").and_then(|c| c.downcast_ref::<UInt16Array>());
        let obs = col("observation").and_then(|c| c.downcast_ref::<FixedSizeBinaryArray>());
        let steps = col("step").and_then(|c| c.downcast_ref::<UInt32Array>());
        let (Some(games), Some(legal), Some(actions), Some(obs), Some(steps)) =
            (games, legal, actions, obs, steps)
        else {
            return Err(bad("decisions columns have unexpected types".into()));
        };
        for row in 0..batch.num_rows() {
            let legal_row = legal.value(row);
            let Some(legal_row) = legal_row.as_any().downcast_ref::<UInt16Array>() else {
                return Err(bad("`legal` is not a list of u16".into()));
            };
            let Some(y) = label(kind, legal_row.values(), actions.value(row)) else {
                continue;
            };
            if obs.is_null(row) {
                return Err(bad(format!(
                    "game {} has decisions without observations (logged before the encoder \
                     existed, or with encoding off); log the games again",
                    games.value(row)
                )));
            }
            out.observations.push(obs.value(row).to_vec());
            out.labels.push(y);
            out.games.push(games.value(row));
            out.steps.push(steps.value(row));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_come_from_tenhou_log_ids() {
        assert_eq!(day_of("2026011603gm-00b9-0000-2b45278f"), Some(20260116));
        assert_eq!(day_of("dnovikoff-sanma2"), None);
        assert_eq!(parse_day("2019-12-31"), Ok(20191231));
        assert!(parse_day("2019-13-01").is_err());
        assert!(parse_day("201912").is_err());
    }

    #[test]
    fn labels_follow_the_action_index() {
        // A discard of the red 5p and a riichi discard of 9s.
        assert_eq!(label(ModelKind::Discard, &[0, 35], 35), Some(13));
        assert_eq!(label(ModelKind::Discard, &[37 + 26], 37 + 26), Some(26));
        assert_eq!(label(ModelKind::Discard, &[149, 145], 149), None);
        assert_eq!(label(ModelKind::Pon, &[145, 149], 149), Some(0));
        assert_eq!(label(ModelKind::Pon, &[146, 149], 146), Some(1));
        assert_eq!(label(ModelKind::Pon, &[75, 149], 149), None);
        assert_eq!(label(ModelKind::Kan, &[147, 149], 147), Some(1));
        assert_eq!(label(ModelKind::Kan, &[0, 77 + 27], 0), Some(0));
        assert_eq!(label(ModelKind::Kita, &[0, 76], 76), Some(1));
        assert_eq!(label(ModelKind::Riichi, &[0, 37], 0), Some(0));
        assert_eq!(label(ModelKind::Riichi, &[0, 1], 0), None);
    }

    #[test]
    fn binary_samples_are_the_decisions_the_agent_leaves_to_its_models() {
        // a tsumo (or ron, or kyuushu) is a rule, not a decline of riichi, kita, pon, kan
        assert_eq!(label(ModelKind::Riichi, &[0, 37, 74], 74), None);
        assert_eq!(label(ModelKind::Kita, &[0, 74, 76], 74), None);
        assert_eq!(label(ModelKind::Pon, &[75, 145, 149], 75), None);
        assert_eq!(label(ModelKind::Kan, &[0, 104, 148], 148), None);
        // an earlier stage taken (Kita, then Kan, then Pon) is no sample of a later one
        assert_eq!(label(ModelKind::Kan, &[0, 76, 104], 76), None);
        assert_eq!(label(ModelKind::Kan, &[0, 76, 104], 0), Some(0));
        assert_eq!(label(ModelKind::Riichi, &[0, 37, 104], 104), None);
        assert_eq!(label(ModelKind::Riichi, &[0, 37, 76], 76), None);
        assert_eq!(label(ModelKind::Pon, &[145, 147, 149], 147), None);
        assert_eq!(label(ModelKind::Kan, &[145, 147, 149], 145), Some(0));
        // the discard model learns every discard, riichi ones included
        assert_eq!(label(ModelKind::Discard, &[0, 37, 74], 37), Some(0));
    }

    #[test]
    fn splits_are_stable_and_about_80_10_10() {
        let mut counts = [0usize; 3];
        for g in 0..10_000 {
            let s = split_of(g, 7);
            assert_eq!(s, split_of(g, 7));
            counts[s as usize] += 1;
        }
        assert!((7_700..8_300).contains(&counts[0]), "{counts:?}");
        assert!((850..1_150).contains(&counts[1]) && (850..1_150).contains(&counts[2]));
    }

    #[test]
    fn planes_of_another_encoder_are_refused_naming_the_run() {
        let root = std::env::temp_dir().join(format!("meowlab-encoder-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let mut run = Run::create(&root, "old", "play", 0, serde_json::Value::Null).unwrap();
        run.record_planes_encoder("meowjong-34x366-v0").unwrap();
        let err = extract(run.dir(), ModelKind::Discard)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("old") && err.contains("meowjong-34x366-v0"),
            "{err}"
        );
        assert!(err.contains(ENCODER_VERSION), "{err}");
        std::fs::remove_dir_all(&root).unwrap();
    }
}
