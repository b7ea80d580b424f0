//! A round's actions in play order, rebuilt from the per-seat slots a log keeps.
//!
//! tenhou.net/6 (and so [`RoundLog`]) stores each seat's draws and discards as two lists;
//! the order of play follows from the rules: the dealer draws first; after a discard the
//! seat whose next draw slot is a call of that very tile (exact tile, from that seat)
//! calls it, otherwise the next seat draws; a closed or added kan, a Kita and an open kan
//! are followed by a replacement draw by the same seat. The round ends when the seat
//! to move has nothing left to play (a win, an abortive or exhaustive draw). Every slot
//! must be used exactly once, so a log whose slots do not interleave is an error.

use meowlab_hand::Tile;

use crate::game::{Discard, RoundLog, Take};

/// One action of a round in play order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// `seat` draws `tile`; `replacement` for the draw after a kan or Kita.
    Draw {
        /// The seat.
        seat: usize,
        /// The tile drawn.
        tile: Tile,
        /// A replacement draw (from the dead wall).
        replacement: bool,
    },
    /// `seat` calls a discard (pon or open kan).
    Call {
        /// The seat.
        seat: usize,
        /// The call, as the draw slot records it.
        take: Take,
    },
    /// `seat` uses its discard slot.
    Act {
        /// The seat.
        seat: usize,
        /// The action, as the discard slot records it.
        discard: Discard,
    },
}

/// Where a round's slots fail to interleave.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("seat {seat}, {slot}: {what}")]
pub struct OrderError {
    /// The seat whose slot does not fit.
    pub seat: usize,
    /// The slot ("draw 7", "discard 3").
    pub slot: String,
    /// What is wrong.
    pub what: String,
}

/// The tiles a round's wall must hold, in the order the engine deals them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WallTiles {
    /// Starting hands, dealer first.
    pub hands: [Vec<Tile>; 3],
    /// Live draws in order, the dealer's first draw first.
    pub draws: Vec<Tile>,
    /// Replacement draws (kans and Kita) in order.
    pub replacements: Vec<Tile>,
}

impl RoundLog {
    /// The round's actions in play order (see the module docs).
    pub fn steps(&self) -> Result<Vec<Step>, OrderError> {
        let mut take_at = [0usize; 3];
        let mut discard_at = [0usize; 3];
        let mut steps = Vec::with_capacity(self.takes.iter().map(Vec::len).sum::<usize>() * 2);
        let mut seat = self.dealer();
        let mut replacement = false;
        // `seat` draws, unless it has nothing left: the round is over
        while let Some(&take) = self.takes[seat].get(take_at[seat]) {
            let Take::Draw(tile) = take else {
                return Err(OrderError {
                    seat,
                    slot: format!("draw {}", take_at[seat] + 1),
                    what: format!("expected a draw from the wall, the log has {take:?}"),
                });
            };
            take_at[seat] += 1;
            steps.push(Step::Draw {
                seat,
                tile,
                replacement,
            });
            // then acts; calls can chain (a pon's discard may be called in turn)
            loop {
                let Some(&discard) = self.discards[seat].get(discard_at[seat]) else {
                    return self.finish(steps, take_at, discard_at);
                };
                discard_at[seat] += 1;
                steps.push(Step::Act { seat, discard });
                let tile = match discard {
                    Discard::Tile { tile, .. } | Discard::Riichi { tile, .. } => tile,
                    Discard::Ankan(_) | Discard::Kakan { .. } | Discard::Kita => {
                        replacement = true;
                        break;
                    }
                    Discard::AfterKan => {
                        return Err(OrderError {
                            seat,
                            slot: format!("discard {}", discard_at[seat]),
                            what: "a kan placeholder without an open kan".into(),
                        })
                    }
                };
                match self.caller(seat, tile, &take_at) {
                    Some((caller, call)) => {
                        take_at[caller] += 1;
                        steps.push(Step::Call {
                            seat: caller,
                            take: call,
                        });
                        seat = caller;
                        if let Take::Daiminkan { .. } = call {
                            match self.discards[seat].get(discard_at[seat]) {
                                Some(Discard::AfterKan) => discard_at[seat] += 1,
                                _ => {
                                    return Err(OrderError {
                                        seat,
                                        slot: format!("discard {}", discard_at[seat] + 1),
                                        what: "an open kan must be followed by the kan placeholder"
                                            .into(),
                                    })
                                }
                            }
                            replacement = true;
                            break;
                        }
                    }
                    None => {
                        seat = (seat + 1) % 3;
                        replacement = false;
                        break;
                    }
                }
            }
        }
        self.finish(steps, take_at, discard_at)
    }

    /// The seat that calls `tile` discarded by `from`: the one whose next draw slot is a
    /// call of exactly that tile from `from`.
    fn caller(&self, from: usize, tile: Tile, take_at: &[usize; 3]) -> Option<(usize, Take)> {
        (1..3).map(|k| (from + k) % 3).find_map(|s| {
            let take = *self.takes[s].get(take_at[s])?;
            let calls = match take {
                Take::Pon {
                    called, from: f, ..
                }
                | Take::Daiminkan {
                    called, from: f, ..
                } => called == tile && f == from,
                Take::Draw(_) => false,
            };
            calls.then_some((s, take))
        })
    }

    fn finish(
        &self,
        steps: Vec<Step>,
        take_at: [usize; 3],
        discard_at: [usize; 3],
    ) -> Result<Vec<Step>, OrderError> {
        for seat in 0..3 {
            if take_at[seat] < self.takes[seat].len() {
                return Err(OrderError {
                    seat,
                    slot: format!("draw {}", take_at[seat] + 1),
                    what: format!(
                        "{} draw slots are never reached in play order",
                        self.takes[seat].len() - take_at[seat]
                    ),
                });
            }
            if discard_at[seat] < self.discards[seat].len() {
                return Err(OrderError {
                    seat,
                    slot: format!("discard {}", discard_at[seat] + 1),
                    what: format!(
                        "{} discard slots are never reached in play order",
                        self.discards[seat].len() - discard_at[seat]
                    ),
                });
            }
        }
        Ok(steps)
    }

    /// The tiles the round's wall must hold: hands from the dealer, then live and
    /// replacement draws in the order of `steps`.
    pub fn wall_tiles(&self, steps: &[Step]) -> WallTiles {
        let dealer = self.dealer();
        let mut wall = WallTiles {
            hands: std::array::from_fn(|k| self.hands[(dealer + k) % 3].clone()),
            ..WallTiles::default()
        };
        for step in steps {
            if let Step::Draw {
                tile, replacement, ..
            } = *step
            {
                if replacement {
                    wall.replacements.push(tile);
                } else {
                    wall.draws.push(tile);
                }
            }
        }
        wall
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::game::{DrawKind, RoundResult};

    fn t(s: &str) -> Tile {
        s.parse().unwrap()
    }

    fn discard(s: &str) -> Discard {
        Discard::Tile {
            tile: t(s),
            tsumogiri: false,
        }
    }

    /// East 2 (seat 1 deals): seat 1 discards 1z, seat 0 pons it and discards 9m, seat 1
    /// calls an open kan on it (placeholder, replacement draw), sets a North aside (another
    /// replacement), discards 2z; seat 2 draws and discards; the wall runs out.
    fn round() -> RoundLog {
        let pon = Take::Pon {
            called: t("1z"),
            from: 1,
            tiles: [t("1z"); 3],
        };
        let kan = Take::Daiminkan {
            called: t("9m"),
            from: 0,
            tiles: [t("9m"); 4],
        };
        RoundLog {
            index: 1,
            honba: 0,
            deposits: 0,
            scores: [35_000; 3],
            dora_indicators: vec![t("1p")],
            ura_indicators: vec![],
            hands: [vec![t("2p"); 13], vec![t("3p"); 13], vec![t("4p"); 13]],
            takes: [
                vec![pon],
                vec![
                    Take::Draw(t("5s")),
                    kan,
                    Take::Draw(t("6s")),
                    Take::Draw(t("7s")),
                ],
                vec![Take::Draw(t("8s"))],
            ],
            discards: [
                vec![discard("9m")],
                vec![
                    discard("1z"),
                    Discard::AfterKan,
                    Discard::Kita,
                    discard("2z"),
                ],
                vec![discard("3z")],
            ],
            result: RoundResult::Draw {
                kind: DrawKind::Exhaustive,
                deltas: [0; 3],
            },
        }
    }

    #[test]
    fn calls_kans_and_kita_interleave_in_play_order() {
        let r = round();
        let steps = r.steps().unwrap();
        let order: Vec<String> = steps
            .iter()
            .map(|s| match s {
                Step::Draw {
                    seat,
                    tile,
                    replacement,
                } => format!(
                    "{seat} draws {tile}{}",
                    if *replacement { " (replacement)" } else { "" }
                ),
                Step::Call { seat, take } => format!("{seat} calls {take:?}"),
                Step::Act { seat, discard } => format!("{seat} {discard:?}"),
            })
            .collect();
        assert_eq!(order.len(), 11, "{order:#?}");
        assert_eq!(order[0], "1 draws 5s");
        assert!(order[2].starts_with("0 calls Pon"), "{order:#?}");
        assert!(order[4].starts_with("1 calls Daiminkan"), "{order:#?}");
        assert_eq!(order[5], "1 draws 6s (replacement)");
        assert_eq!(order[6], "1 Kita");
        assert_eq!(order[7], "1 draws 7s (replacement)");
        assert_eq!(order[9], "2 draws 8s");
        let wall = r.wall_tiles(&steps);
        assert_eq!(wall.draws, vec![t("5s"), t("8s")]);
        assert_eq!(wall.replacements, vec![t("6s"), t("7s")]);
        assert_eq!(
            wall.hands[0],
            vec![t("3p"); 13],
            "hands start from the dealer"
        );
    }

    #[test]
    fn slots_that_never_come_up_are_an_error_naming_them() {
        let mut r = round();
        // seat 2's call names the wrong discarder: it can never happen
        r.takes[2].push(Take::Pon {
            called: t("3z"),
            from: 1,
            tiles: [t("3z"); 3],
        });
        let e = r.steps().unwrap_err();
        assert_eq!((e.seat, e.slot.as_str()), (2, "draw 2"), "{e}");
        // a placeholder without its open kan
        let mut r = round();
        r.discards[2].insert(0, Discard::AfterKan);
        let e = r.steps().unwrap_err();
        assert!(e.what.contains("placeholder"), "{e}");
    }
}
