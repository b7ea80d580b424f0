//! Points: base points from han and fu, limits, and who pays what in sanma.

use crate::score::{ScoringRules, TsumoPayment, WinContext, WinMethod};

/// Limit hand reached by a win.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Limit {
    /// Below mangan: fu × 2^(han+2).
    None,
    /// 5 han, or fewer han whose base points exceed 2000 (no kiriage on Tenhou).
    Mangan,
    /// 6–7 han.
    Haneman,
    /// 8–10 han.
    Baiman,
    /// 11–12 han (or 13+ when kazoe yakuman is off).
    Sanbaiman,
    /// 13+ han from ordinary yaku.
    KazoeYakuman,
    /// Yakuman, with its multiplier.
    Yakuman(u8),
}

/// Base points and the limit for a hand value.
pub fn base_points(han: u8, fu: u8, yakuman: u8, kazoe_yakuman: bool) -> (u32, Limit) {
    if yakuman > 0 {
        return (8000 * yakuman as u32, Limit::Yakuman(yakuman));
    }
    match han {
        13.. if kazoe_yakuman => (8000, Limit::KazoeYakuman),
        11.. => (6000, Limit::Sanbaiman),
        8..=10 => (4000, Limit::Baiman),
        6..=7 => (3000, Limit::Haneman),
        5 => (2000, Limit::Mangan),
        _ => {
            let base = fu as u32 * (1 << (han as u32 + 2));
            if base > 2000 {
                (2000, Limit::Mangan)
            } else {
                (base, Limit::None)
            }
        }
    }
}

/// Who pays the winner. Amounts include honba; riichi deposits are separate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Payment {
    /// The discarder pays everything.
    Ron {
        /// Paid by the discarder.
        from_discarder: u32,
    },
    /// Both other players pay.
    Tsumo {
        /// Paid by the dealer (0 when the winner is the dealer).
        from_dealer: u32,
        /// Paid by each non-dealer payer.
        from_non_dealer: u32,
    },
}

impl Payment {
    /// Everything the winner receives from the other players (honba included).
    /// In sanma a dealer tsumo has two non-dealer payers; a non-dealer tsumo has the
    /// dealer and one non-dealer.
    pub fn total(self, winner_is_dealer: bool) -> u32 {
        match self {
            Payment::Ron { from_discarder } => from_discarder,
            Payment::Tsumo {
                from_dealer,
                from_non_dealer,
            } => {
                if winner_is_dealer {
                    2 * from_non_dealer
                } else {
                    from_dealer + from_non_dealer
                }
            }
        }
    }
}

fn round_up_100(x: u32) -> u32 {
    x.div_ceil(100) * 100
}

/// The payment for `base` points under the context's win method and the rules.
pub fn payment(base: u32, ctx: &WinContext, rules: &ScoringRules) -> Payment {
    let dealer = ctx.is_dealer();
    match ctx.method {
        WinMethod::Ron => {
            let mult = if dealer { 6 } else { 4 };
            Payment::Ron {
                from_discarder: round_up_100(mult * base) + rules.honba_ron * ctx.honba,
            }
        }
        WinMethod::Tsumo => {
            let honba = rules.honba_tsumo_per_payer * ctx.honba;
            // 4-player shares; in sanma one non-dealer share has no payer
            let dealer_share = round_up_100(2 * base);
            let non_dealer_share = if dealer {
                dealer_share
            } else {
                round_up_100(base)
            };
            let half_missing = match rules.tsumo_payment {
                TsumoPayment::TsumoSon => 0,
                TsumoPayment::NorthBisection => round_up_100(non_dealer_share / 2),
            };
            Payment::Tsumo {
                from_dealer: if dealer {
                    0
                } else {
                    dealer_share + half_missing + honba
                },
                from_non_dealer: non_dealer_share + half_missing + honba,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tile::Tile;

    fn pay(
        han: u8,
        fu: u8,
        method: WinMethod,
        dealer: bool,
        honba: u32,
        rules: &ScoringRules,
    ) -> (Payment, u32) {
        let mut ctx = WinContext::new(method);
        ctx.seat_wind = if dealer { Tile::EAST } else { Tile::SOUTH };
        ctx.honba = honba;
        let (base, _) = base_points(han, fu, 0, true);
        let p = payment(base, &ctx, rules);
        (p, p.total(dealer))
    }

    #[test]
    fn tsumo_son_mangan() {
        let r = ScoringRules::default();
        // sanma-rules.md: non-dealer mangan tsumo = 2000 + 4000; dealer = 4000 all
        assert_eq!(
            pay(5, 30, WinMethod::Tsumo, false, 0, &r),
            (
                Payment::Tsumo {
                    from_dealer: 4000,
                    from_non_dealer: 2000
                },
                6000
            )
        );
        assert_eq!(
            pay(5, 30, WinMethod::Tsumo, true, 0, &r),
            (
                Payment::Tsumo {
                    from_dealer: 0,
                    from_non_dealer: 4000
                },
                8000
            )
        );
    }

    #[test]
    fn honba_is_200_on_ron_and_100_per_payer_on_tsumo() {
        let r = ScoringRules::default();
        // 1 han 30 fu non-dealer ron 1000 + 2 honba
        assert_eq!(pay(1, 30, WinMethod::Ron, false, 2, &r).1, 1400);
        // 1 han 30 fu non-dealer tsumo 300/500 + 1 honba from each of two payers
        assert_eq!(
            pay(1, 30, WinMethod::Tsumo, false, 1, &r),
            (
                Payment::Tsumo {
                    from_dealer: 600,
                    from_non_dealer: 400
                },
                1000
            )
        );
    }

    #[test]
    fn limits_and_rounding() {
        assert_eq!(base_points(4, 40, 0, true), (2000, Limit::Mangan)); // 2560 > 2000
        assert_eq!(base_points(4, 30, 0, true), (1920, Limit::None)); // no kiriage
        assert_eq!(base_points(3, 70, 0, true), (2000, Limit::Mangan));
        assert_eq!(base_points(13, 30, 0, true), (8000, Limit::KazoeYakuman));
        assert_eq!(base_points(13, 30, 0, false), (6000, Limit::Sanbaiman));
        assert_eq!(base_points(26, 0, 2, true), (16000, Limit::Yakuman(2)));
        let r = ScoringRules::default();
        // 3 han 30 fu: dealer ron 5800, non-dealer ron 3900
        assert_eq!(pay(3, 30, WinMethod::Ron, true, 0, &r).1, 5800);
        assert_eq!(pay(3, 30, WinMethod::Ron, false, 0, &r).1, 3900);
        // 2 han 20 fu (pinfu tsumo) non-dealer: 400/700 → sanma total 1100
        assert_eq!(pay(2, 20, WinMethod::Tsumo, false, 0, &r).1, 1100);
    }

    #[test]
    fn north_bisection_splits_the_missing_share() {
        let r = ScoringRules {
            tsumo_payment: TsumoPayment::NorthBisection,
            ..ScoringRules::default()
        };
        // non-dealer mangan: missing 2000 split 1000 each → 5000 + 3000
        assert_eq!(
            pay(5, 30, WinMethod::Tsumo, false, 0, &r),
            (
                Payment::Tsumo {
                    from_dealer: 5000,
                    from_non_dealer: 3000
                },
                8000
            )
        );
        // dealer mangan: missing 4000 split → 6000 all
        assert_eq!(pay(5, 30, WinMethod::Tsumo, true, 0, &r).1, 12000);
        // 1 han 30 fu non-dealer: missing 300 → 200 each (rounded up)
        assert_eq!(
            pay(1, 30, WinMethod::Tsumo, false, 0, &r),
            (
                Payment::Tsumo {
                    from_dealer: 700,
                    from_non_dealer: 500
                },
                1200
            )
        );
    }
}
