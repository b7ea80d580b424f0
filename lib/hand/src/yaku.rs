//! The yaku that can occur in sanma (and 4-player), their names and han values.

use std::fmt;

macro_rules! yaku_table {
    ($( $variant:ident = $name:literal, $closed:expr, $open:expr, $doc:literal; )*) => {
        /// A yaku (or a dora kind, which is listed with the yaku but is not one).
        ///
        /// Han values are Tenhou's; yakuman entries carry 0 han and count through
        /// [`Yaku::yakuman`] instead.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[repr(u8)]
        pub enum Yaku {
            $( #[doc = $doc] $variant, )*
        }

        impl Yaku {
            /// Every yaku, in display order.
            pub const ALL: &'static [Yaku] = &[$( Yaku::$variant, )*];

            /// The stable snake_case name used in CLI output and logs.
            pub const fn name(self) -> &'static str {
                match self { $( Yaku::$variant => $name, )* }
            }

            /// Han for a closed hand (`menzen`) or an open one; 0 = not allowed open.
            pub const fn han(self, menzen: bool) -> u8 {
                match self { $( Yaku::$variant => if menzen { $closed } else { $open }, )* }
            }
        }
    };
}

yaku_table! {
    Riichi = "riichi", 1, 0, "Riichi declared.";
    DoubleRiichi = "double_riichi", 2, 0, "Riichi on the first uninterrupted discard.";
    Ippatsu = "ippatsu", 1, 0, "Win within one go-around after riichi, uninterrupted.";
    MenzenTsumo = "menzen_tsumo", 1, 0, "Self-draw with a closed hand.";
    Pinfu = "pinfu", 1, 0, "All sequences, valueless pair, two-sided wait, closed.";
    Tanyao = "tanyao", 1, 1, "Only simples (open allowed on Tenhou: kuitan).";
    Iipeikou = "iipeikou", 1, 0, "Two identical sequences, closed.";
    YakuhaiHaku = "yakuhai_haku", 1, 1, "Triplet of white dragons.";
    YakuhaiHatsu = "yakuhai_hatsu", 1, 1, "Triplet of green dragons.";
    YakuhaiChun = "yakuhai_chun", 1, 1, "Triplet of red dragons.";
    SeatWind = "seat_wind", 1, 1, "Triplet of the seat wind.";
    RoundWind = "round_wind", 1, 1, "Triplet of the round wind.";
    HaiteiRaoyue = "haitei_raoyue", 1, 1, "Self-draw of the last live tile.";
    HouteiRaoyui = "houtei_raoyui", 1, 1, "Ron on the last discard.";
    RinshanKaihou = "rinshan_kaihou", 1, 1, "Self-draw of a replacement tile (after a kan or Kita).";
    Chankan = "chankan", 1, 1, "Ron on a tile added to a kan (kakan).";
    Chiitoitsu = "chiitoitsu", 2, 0, "Seven different pairs.";
    Chanta = "chanta", 2, 1, "Every block has a terminal or honour, with a sequence and an honour.";
    Ittsu = "ittsu", 2, 1, "123, 456, 789 in one suit.";
    SanshokuDoujun = "sanshoku_doujun", 2, 1, "Same sequence in three suits (impossible in sanma).";
    SanshokuDoukou = "sanshoku_doukou", 2, 2, "Same-number triplet in three suits.";
    Toitoi = "toitoi", 2, 2, "Four triplets or kans.";
    Sanankou = "sanankou", 2, 2, "Three concealed triplets.";
    Sankantsu = "sankantsu", 2, 2, "Three kans.";
    Honroutou = "honroutou", 2, 2, "Only terminals and honours.";
    Shousangen = "shousangen", 2, 2, "Two dragon triplets and a dragon pair.";
    Honitsu = "honitsu", 3, 2, "One suit plus honours.";
    Junchan = "junchan", 3, 2, "Every block has a terminal, no honours, with a sequence.";
    Ryanpeikou = "ryanpeikou", 3, 0, "Two iipeikou, closed.";
    Chinitsu = "chinitsu", 6, 5, "One suit only.";
    Dora = "dora", 0, 0, "Dora (incl. Kita counted through indicators pointing at North).";
    AkaDora = "aka_dora", 0, 0, "Red fives.";
    UraDora = "ura_dora", 0, 0, "Ura dora (riichi only).";
    Nukidora = "nukidora", 0, 0, "Kita set aside: one dora each.";
    Tenhou = "tenhou", 0, 0, "Dealer's win on the initial draw.";
    Chiihou = "chiihou", 0, 0, "Non-dealer's self-draw on the first uninterrupted draw.";
    KokushiMusou = "kokushi_musou", 0, 0, "Thirteen orphans.";
    KokushiMusou13Wait = "kokushi_musou_13_wait", 0, 0, "Thirteen orphans on a 13-sided wait.";
    Suuankou = "suuankou", 0, 0, "Four concealed triplets.";
    SuuankouTanki = "suuankou_tanki", 0, 0, "Four concealed triplets on a pair wait.";
    Daisangen = "daisangen", 0, 0, "Three dragon triplets.";
    Shousuushii = "shousuushii", 0, 0, "Three wind triplets and a wind pair.";
    Daisuushii = "daisuushii", 0, 0, "Four wind triplets.";
    Tsuuiisou = "tsuuiisou", 0, 0, "Only honours.";
    Ryuuiisou = "ryuuiisou", 0, 0, "Only green tiles (23468s, hatsu).";
    Chinroutou = "chinroutou", 0, 0, "Only terminals.";
    ChuurenPoutou = "chuuren_poutou", 0, 0, "Nine gates.";
    JunseiChuurenPoutou = "junsei_chuuren_poutou", 0, 0, "Nine gates on a 9-sided wait.";
    Suukantsu = "suukantsu", 0, 0, "Four kans.";
}

impl Yaku {
    /// Yakuman count (1, or 2 for the special patterns when double yakuman is enabled);
    /// 0 for ordinary yaku and dora.
    pub const fn yakuman(self, double_yakuman: bool) -> u8 {
        use Yaku::*;
        match self {
            KokushiMusou13Wait | SuuankouTanki | JunseiChuurenPoutou | Daisuushii => {
                if double_yakuman {
                    2
                } else {
                    1
                }
            }
            Tenhou | Chiihou | KokushiMusou | Suuankou | Daisangen | Shousuushii | Tsuuiisou
            | Ryuuiisou | Chinroutou | ChuurenPoutou | Suukantsu => 1,
            _ => 0,
        }
    }

    /// Looks a yaku up by its [`Yaku::name`].
    pub fn from_name(name: &str) -> Option<Yaku> {
        Yaku::ALL.iter().copied().find(|y| y.name() == name)
    }
}

impl fmt::Display for Yaku {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A set of yaku as a bit mask: cheap to build in the hot scoring loop.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct YakuSet(u64);

impl YakuSet {
    /// Adds a yaku.
    pub fn insert(&mut self, yaku: Yaku) {
        self.0 |= 1 << yaku as u8;
    }

    /// Removes a yaku.
    pub fn remove(&mut self, yaku: Yaku) {
        self.0 &= !(1 << yaku as u8);
    }

    /// Whether the set holds `yaku`.
    pub fn contains(self, yaku: Yaku) -> bool {
        self.0 & (1 << yaku as u8) != 0
    }

    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The yaku in display order.
    pub fn iter(self) -> impl Iterator<Item = Yaku> {
        // discriminants are the positions in `Yaku::ALL`, so set bits map straight back
        let mut bits = self.0;
        std::iter::from_fn(move || {
            if bits == 0 {
                return None;
            }
            let i = bits.trailing_zeros() as usize;
            bits &= bits - 1;
            Some(Yaku::ALL[i])
        })
    }
}

impl fmt::Debug for YakuSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_fit_the_mask() {
        assert!(Yaku::ALL.len() <= 64);
        for &y in Yaku::ALL {
            assert_eq!(Yaku::from_name(y.name()), Some(y));
        }
        let mut set = YakuSet::default();
        set.insert(Yaku::Suukantsu);
        set.insert(Yaku::Riichi);
        assert_eq!(
            set.iter().collect::<Vec<_>>(),
            vec![Yaku::Riichi, Yaku::Suukantsu]
        );
    }

    #[test]
    fn open_hands_lose_a_han_where_tenhou_says() {
        assert_eq!(Yaku::Chinitsu.han(false), 5);
        assert_eq!(Yaku::Honitsu.han(false), 2);
        assert_eq!(Yaku::Pinfu.han(false), 0);
        assert_eq!(Yaku::Toitoi.han(false), 2);
        assert_eq!(Yaku::Daisuushii.yakuman(false), 1);
        assert_eq!(Yaku::Daisuushii.yakuman(true), 2);
    }
}
