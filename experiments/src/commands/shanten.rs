//! `meowlab shanten "<mpsz hand>"`: shanten, and waits or the best discards.

use std::process::ExitCode;

use anyhow::{bail, Result};
use meowlab::hand::shanten::shanten;
use meowlab::hand::waits::{discard_options, ukeire, waits, Ukeire};
use meowlab::hand::{parse_hand, parse_tiles, Tile, Variant};

/// Arguments of `meowlab shanten`.
#[derive(clap::Args)]
pub struct Args {
    /// Concealed tiles in mpsz notation, e.g. "19m123456789p0s1234567z" (0 = red five).
    hand: String,
    /// Other tiles the player can see (discards, melds, dora indicators, Kita) in mpsz;
    /// they lower the remaining counts in ukeire.
    #[arg(long, default_value = "")]
    visible: String,
    /// 4-player tile set instead of sanma.
    #[arg(long)]
    yonma: bool,
    /// How many discards to list for a 14-tile (3k+2) hand.
    #[arg(long, default_value_t = 5)]
    top: usize,
}

fn describe(u: &Ukeire) -> String {
    let tiles: Vec<String> = u.tiles.iter().map(|(t, n)| format!("{t}:{n}")).collect();
    format!("{} tiles [{}]", u.total, tiles.join(" "))
}

pub fn run(args: Args) -> Result<ExitCode> {
    let variant = if args.yonma {
        Variant::Yonma
    } else {
        Variant::Sanma
    };
    let hand = parse_hand(&args.hand, variant)?;
    let n = hand.len();
    if n == 0 || n > 14 || n % 3 == 0 {
        bail!(
            "a hand has 3k+1 or 3k+2 tiles (1, 2, 4, 5, … 13, 14); {:?} has {n}",
            args.hand
        );
    }
    let counts = hand.counts();
    let mut visible = counts;
    for t in parse_tiles(&args.visible)? {
        visible[t.index()] += 1;
    }
    if let Some(i) = (0..visible.len()).find(|&i| visible[i] > 4) {
        let tile = Tile::from_index(i)
            .map(|t| t.to_string())
            .unwrap_or_default();
        bail!("more than 4 copies of {tile} between the hand and --visible");
    }
    let s = shanten(&counts);
    let label = match s {
        -1 => "complete".to_owned(),
        0 => "tenpai".to_owned(),
        k => format!("{k}-shanten"),
    };
    println!("hand: {} ({n} tiles)", args.hand);
    println!("shanten: {s} ({label})");
    if n % 3 == 1 {
        if s == 0 {
            let w: Vec<String> = waits(&counts, variant)
                .iter()
                .map(|t| t.to_string())
                .collect();
            println!("waits: {}", w.join(" "));
        }
        println!("ukeire: {}", describe(&ukeire(&counts, &visible, variant)));
    } else {
        println!("best discards:");
        for d in discard_options(&counts, &visible, variant)
            .iter()
            .take(args.top)
        {
            println!(
                "  {}  -> shanten {}, ukeire {}",
                d.tile,
                d.ukeire.shanten,
                describe(&d.ukeire)
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
