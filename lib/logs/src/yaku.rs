//! Tenhou's yaku ids (mjlog `yaku=`/`yakuman=` attributes) and their names in
//! tenhou.net/6 JSON ("立直(1飜)", "大三元(役満)"), with meowlab's [`Yaku`] for each.
//! Tenhou counts Kita inside dora (id 52); seat and round winds have one id per wind.

use meowlab_hand::Yaku;

/// Tenhou's yaku by id: its name in tenhou.net/6 JSON and meowlab's yaku (`None` for
/// renhou, which Tenhou does not play).
pub const TENHOU_YAKU: [(&str, Option<Yaku>); 55] = [
    ("門前清自摸和", Some(Yaku::MenzenTsumo)),
    ("立直", Some(Yaku::Riichi)),
    ("一発", Some(Yaku::Ippatsu)),
    ("槍槓", Some(Yaku::Chankan)),
    ("嶺上開花", Some(Yaku::RinshanKaihou)),
    ("海底摸月", Some(Yaku::HaiteiRaoyue)),
    ("河底撈魚", Some(Yaku::HouteiRaoyui)),
    ("平和", Some(Yaku::Pinfu)),
    ("断幺九", Some(Yaku::Tanyao)),
    ("一盃口", Some(Yaku::Iipeikou)),
    ("自風 東", Some(Yaku::SeatWind)),
    ("自風 南", Some(Yaku::SeatWind)),
    ("自風 西", Some(Yaku::SeatWind)),
    ("自風 北", Some(Yaku::SeatWind)),
    ("場風 東", Some(Yaku::RoundWind)),
    ("場風 南", Some(Yaku::RoundWind)),
    ("場風 西", Some(Yaku::RoundWind)),
    ("場風 北", Some(Yaku::RoundWind)),
    ("役牌 白", Some(Yaku::YakuhaiHaku)),
    ("役牌 發", Some(Yaku::YakuhaiHatsu)),
    ("役牌 中", Some(Yaku::YakuhaiChun)),
    ("両立直", Some(Yaku::DoubleRiichi)),
    ("七対子", Some(Yaku::Chiitoitsu)),
    ("混全帯幺九", Some(Yaku::Chanta)),
    ("一気通貫", Some(Yaku::Ittsu)),
    ("三色同順", Some(Yaku::SanshokuDoujun)),
    ("三色同刻", Some(Yaku::SanshokuDoukou)),
    ("三槓子", Some(Yaku::Sankantsu)),
    ("対々和", Some(Yaku::Toitoi)),
    ("三暗刻", Some(Yaku::Sanankou)),
    ("小三元", Some(Yaku::Shousangen)),
    ("混老頭", Some(Yaku::Honroutou)),
    ("二盃口", Some(Yaku::Ryanpeikou)),
    ("純全帯幺九", Some(Yaku::Junchan)),
    ("混一色", Some(Yaku::Honitsu)),
    ("清一色", Some(Yaku::Chinitsu)),
    ("人和", None),
    ("天和", Some(Yaku::Tenhou)),
    ("地和", Some(Yaku::Chiihou)),
    ("大三元", Some(Yaku::Daisangen)),
    ("四暗刻", Some(Yaku::Suuankou)),
    ("四暗刻単騎", Some(Yaku::SuuankouTanki)),
    ("字一色", Some(Yaku::Tsuuiisou)),
    ("緑一色", Some(Yaku::Ryuuiisou)),
    ("清老頭", Some(Yaku::Chinroutou)),
    ("九蓮宝燈", Some(Yaku::ChuurenPoutou)),
    ("純正九蓮宝燈", Some(Yaku::JunseiChuurenPoutou)),
    ("国士無双", Some(Yaku::KokushiMusou)),
    ("国士無双１３面", Some(Yaku::KokushiMusou13Wait)),
    ("大四喜", Some(Yaku::Daisuushii)),
    ("小四喜", Some(Yaku::Shousuushii)),
    ("四槓子", Some(Yaku::Suukantsu)),
    ("ドラ", Some(Yaku::Dora)),
    ("裏ドラ", Some(Yaku::UraDora)),
    ("赤ドラ", Some(Yaku::AkaDora)),
];

/// Han a yakuman counts for in [`crate::WinScore::yaku`].
pub const YAKUMAN_HAN: u8 = 13;

/// The id of a yaku named as in tenhou.net/6 JSON.
pub fn id_of(name: &str) -> Option<u8> {
    TENHOU_YAKU
        .iter()
        .position(|(n, _)| *n == name)
        .map(|i| i as u8)
}

/// Whether a Tenhou yaku id is one of the dora kinds (dora with Kita, ura, red fives).
pub fn is_dora(id: u8) -> bool {
    (52..=54).contains(&id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_meowlab_yaku_that_tenhou_scores_has_an_id() {
        for y in Yaku::ALL {
            // Kita is inside Tenhou's dora; sanshoku doujun cannot happen in sanma but
            // has its id all the same
            if *y == Yaku::Nukidora {
                continue;
            }
            assert!(
                TENHOU_YAKU.iter().any(|(_, m)| *m == Some(*y)),
                "{} has no Tenhou id",
                y.name()
            );
        }
        assert_eq!(id_of("ドラ"), Some(52));
        assert_eq!(id_of("場風 東"), Some(14));
        assert_eq!(id_of("国士無双１３面"), Some(48));
    }
}
