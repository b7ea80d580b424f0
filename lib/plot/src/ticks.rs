//! Axis ticks whose labels never lie: positions at "nice" steps (1, 2, 2.5, 5 × 10ᵏ) and
//! labels formatted from the *step*, not from each value alone, so adjacent labels always
//! differ and every label reads back to its tick within half a step. A constant series
//! gets a padded range instead of a zero-width one; log axes tick at powers of ten.

/// How values map to an axis.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AxisScale {
    /// Evenly spaced values.
    #[default]
    Linear,
    /// Decades evenly spaced (values must be > 0).
    Log10,
}

impl AxisScale {
    /// The drawing coordinate of a value (log10 on a log axis).
    pub fn to_axis(self, v: f64) -> f64 {
        match self {
            AxisScale::Linear => v,
            AxisScale::Log10 => v.log10(),
        }
    }
}

/// How tick values are written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TickStyle {
    /// Plain numbers with k/M/G for large values and a shared exponent for tiny ones.
    #[default]
    Number,
    /// Fractions written as percentages (0.25 → "25%").
    Percent,
}

/// Ticks of one axis: values (data units), their labels, and the axis range they span.
#[derive(Clone, Debug, PartialEq)]
pub struct Ticks {
    /// Tick values in data units, increasing.
    pub values: Vec<f64>,
    /// One label per value.
    pub labels: Vec<String>,
    /// The axis range in data units (the ticks lie inside it).
    pub range: (f64, f64),
    /// The scale the range and values are drawn in.
    pub scale: AxisScale,
}

impl Ticks {
    /// The label of the tick nearest to drawing coordinate `at` (for plotters' label
    /// formatters, which hand back the key points they were given).
    pub fn label_at(&self, at: f64) -> String {
        let nearest = self.values.iter().enumerate().min_by(|a, b| {
            let da = (self.scale.to_axis(*a.1) - at).abs();
            let db = (self.scale.to_axis(*b.1) - at).abs();
            da.total_cmp(&db)
        });
        nearest.map_or_else(String::new, |(i, _)| self.labels[i].clone())
    }

    /// Tick positions in drawing coordinates.
    pub fn axis_values(&self) -> Vec<f64> {
        self.values.iter().map(|&v| self.scale.to_axis(v)).collect()
    }

    /// The range in drawing coordinates.
    pub fn axis_range(&self) -> std::ops::Range<f64> {
        self.scale.to_axis(self.range.0)..self.scale.to_axis(self.range.1)
    }
}

/// A range that can carry ticks: a constant series (lo = hi) is padded by 5% of its
/// magnitude (±1 around zero), a non-finite bound is an error for the caller to name.
pub fn padded_range(lo: f64, hi: f64, scale: AxisScale) -> (f64, f64) {
    let (lo, hi) = if lo <= hi { (lo, hi) } else { (hi, lo) };
    match scale {
        AxisScale::Linear => {
            let width = hi - lo;
            let magnitude = lo.abs().max(hi.abs());
            // below ~1e-9 of the magnitude, f64 cannot place distinct nice ticks
            if width <= magnitude * 1e-9 || width == 0.0 {
                let pad = if magnitude > 0.0 {
                    magnitude * 0.05
                } else {
                    1.0
                };
                (lo - pad, hi + pad)
            } else {
                (lo - width * 0.04, hi + width * 0.04)
            }
        }
        AxisScale::Log10 => {
            if hi / lo < 1.0 + 1e-9 {
                (lo / 1.5, hi * 1.5)
            } else {
                let f = (hi / lo).powf(0.04);
                (lo / f, hi * f)
            }
        }
    }
}

/// Nice linear ticks inside `lo..=hi` (already padded), about `target` of them (at
/// least two), labelled from the step.
pub fn linear(lo: f64, hi: f64, target: usize, style: TickStyle) -> Ticks {
    let target = target.max(2);
    let span = hi - lo;
    let mut step = nice_step(span / target as f64);
    let mut values = multiples(lo, hi, step);
    // a narrow range can leave fewer than two multiples of the step: halve it
    while values.len() < 2 && step > span * 1e-6 {
        step = next_smaller(step);
        values = multiples(lo, hi, step);
    }
    let labels = format_linear(&values, step, style);
    Ticks {
        values,
        labels,
        range: (lo, hi),
        scale: AxisScale::Linear,
    }
}

/// Log ticks inside `lo..=hi` (both > 0): every decade, thinned to about `target`; within
/// a decade or two, 1-2-5 ticks; within less than a factor of 3, linear ticks.
pub fn log(lo: f64, hi: f64, target: usize) -> Ticks {
    let target = target.max(2);
    let (a, b) = (lo.log10().ceil() as i32, hi.log10().floor() as i32);
    let decades = (b - a + 1).max(0) as usize;
    let mut values: Vec<f64> = Vec::new();
    if decades >= 3 {
        let every = decades.div_ceil(target).max(1) as i32;
        let first = a + (every - a.rem_euclid(every)) % every;
        values = (first..=b)
            .step_by(every as usize)
            .map(|k| 10f64.powi(k))
            .collect();
    }
    if values.len() < 2 {
        values = (a - 1..=b + 1)
            .flat_map(|k| [1.0, 2.0, 5.0].map(|m| m * 10f64.powi(k)))
            .filter(|&v| v >= lo * (1.0 - 1e-12) && v <= hi * (1.0 + 1e-12))
            .collect();
        if values.len() > target + 2 {
            values.retain(|v| {
                let m = v / 10f64.powf(v.log10().floor());
                (m - 1.0).abs() < 1e-9 || (m - 5.0).abs() < 1e-9
            });
        }
    }
    if values.len() < 2 {
        let mut t = linear(lo, hi, target, TickStyle::Number);
        t.scale = AxisScale::Log10;
        return t;
    }
    // decades alone read as powers of ten; 1-2-5 ticks as plain numbers, like their axis
    let decades_only = values
        .iter()
        .all(|v| (v / 10f64.powf(v.log10().round()) - 1.0).abs() < 1e-9);
    let labels = values
        .iter()
        .map(|&v| {
            if decades_only {
                format_log(v)
            } else {
                format_plain(v)
            }
        })
        .collect();
    Ticks {
        values,
        labels,
        range: (lo, hi),
        scale: AxisScale::Log10,
    }
}

/// The smallest of 1, 2, 2.5, 5 × 10ᵏ at or above `raw`.
fn nice_step(raw: f64) -> f64 {
    let raw = if raw.is_finite() && raw > 0.0 {
        raw
    } else {
        1.0
    };
    let mag = 10f64.powf(raw.log10().floor());
    let m = raw / mag;
    let nice = [1.0, 2.0, 2.5, 5.0, 10.0]
        .into_iter()
        .find(|&c| c >= m * (1.0 - 1e-9))
        .unwrap_or(10.0);
    nice * mag
}

/// The next nice step below `step`.
fn next_smaller(step: f64) -> f64 {
    let mag = 10f64.powf(step.log10().floor());
    let m = (step / mag * 10.0).round() / 10.0;
    match m {
        m if m > 5.0 => 5.0 * mag,
        m if m > 2.5 => 2.5 * mag,
        m if m > 2.0 => 2.0 * mag,
        m if m > 1.0 => mag,
        _ => 0.5 * mag,
    }
}

/// The multiples k·step inside [lo, hi] (computed from k, so no drift).
fn multiples(lo: f64, hi: f64, step: f64) -> Vec<f64> {
    let first = (lo / step - 1e-9).ceil() as i64;
    let last = (hi / step + 1e-9).floor() as i64;
    if last < first || last - first > 10_000 {
        return vec![];
    }
    (first..=last)
        .map(|k| {
            let v = k as f64 * step;
            if v == 0.0 {
                0.0 // no "-0"
            } else {
                v
            }
        })
        .collect()
}

/// Decimals needed to write `x` (a step in display units) exactly: 2.5 → 1, 0.02 → 2.
fn decimals_for(x: f64) -> usize {
    (0..=15)
        .find(|&d| {
            let scaled = x * 10f64.powi(d as i32);
            (scaled - scaled.round()).abs() <= 1e-6 * scaled.abs()
        })
        .unwrap_or(15)
}

/// Labels for ticks `step` apart: one unit (k, M, G, or a shared ×10ᵏ for tiny values)
/// for the whole axis and as many decimals as the step needs in that unit.
pub fn format_linear(values: &[f64], step: f64, style: TickStyle) -> Vec<String> {
    if style == TickStyle::Percent {
        let d = decimals_for(step * 100.0);
        return values
            .iter()
            .map(|&v| format!("{}%", fixed(v * 100.0, d)))
            .collect();
    }
    let largest = values.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let (unit, suffix): (f64, String) = if largest >= 1e9 {
        (1e9, "G".into())
    } else if largest >= 1e6 {
        (1e6, "M".into())
    } else if largest >= 1e4 {
        (1e3, "k".into())
    } else if largest >= 1e-3 || largest == 0.0 {
        (1.0, String::new())
    } else {
        let e = largest.log10().floor() as i32;
        (10f64.powi(e), format!("e{e}"))
    };
    let d = decimals_for(step / unit);
    values
        .iter()
        .map(|&v| {
            if v == 0.0 {
                "0".to_string()
            } else {
                format!("{}{suffix}", fixed(v / unit, d))
            }
        })
        .collect()
}

/// `v` with `d` decimals, never "-0".
fn fixed(v: f64, d: usize) -> String {
    let s = format!("{v:.d$}");
    if s.trim_start_matches('-')
        .chars()
        .all(|c| c == '0' || c == '.')
    {
        s.trim_start_matches('-').to_string()
    } else {
        s
    }
}

/// A value on a 1-2-5 log axis: plain when short, with a unit when large or tiny.
fn format_plain(v: f64) -> String {
    if (1e-3..1e4).contains(&v) {
        fixed(v, decimals_for(v))
    } else {
        format_linear(&[v], v, TickStyle::Number).remove(0)
    }
}

/// A log-axis label: 10ᵏ for decades, 2·10ᵏ-style values in plain form when short.
fn format_log(v: f64) -> String {
    let e = v.log10().round() as i32;
    if (v / 10f64.powi(e) - 1.0).abs() < 1e-9 && !(0..=3).contains(&e) {
        return format!("10{}", superscript(e));
    }
    let d = decimals_for(v);
    if (1e-3..1e4).contains(&v) {
        fixed(v, d)
    } else {
        format_linear(&[v], v, TickStyle::Number).remove(0)
    }
}

fn superscript(e: i32) -> String {
    const DIGITS: [char; 10] = ['⁰', '¹', '²', '³', '⁴', '⁵', '⁶', '⁷', '⁸', '⁹'];
    let mut s = String::new();
    if e < 0 {
        s.push('⁻');
    }
    for c in e.unsigned_abs().to_string().chars() {
        s.push(DIGITS[c as usize - '0' as usize]);
    }
    s
}

/// Reads a label written by this module back to a number (tests, and the figure
/// checks, which call labels collapsed when two that read the same sit side by side).
pub fn parse_label(label: &str) -> Option<f64> {
    let t = label.trim();
    if let Some(p) = t.strip_suffix('%') {
        return p.parse::<f64>().ok().map(|v| v / 100.0);
    }
    if let Some(rest) = t.strip_prefix("10") {
        if !rest.is_empty() && rest.chars().all(|c| "⁻⁰¹²³⁴⁵⁶⁷⁸⁹".contains(c)) {
            let digits: String = rest
                .chars()
                .map(|c| match c {
                    '⁻' => '-',
                    c => char::from_digit(
                        "⁰¹²³⁴⁵⁶⁷⁸⁹".chars().position(|d| d == c).unwrap_or(0) as u32,
                        10,
                    )
                    .unwrap_or('0'),
                })
                .collect();
            return digits.parse::<i32>().ok().map(|e| 10f64.powi(e));
        }
    }
    for (suffix, unit) in [("G", 1e9), ("M", 1e6), ("k", 1e3)] {
        if let Some(p) = t.strip_suffix(suffix) {
            return p.parse::<f64>().ok().map(|v| v * unit);
        }
    }
    t.parse::<f64>().ok()
}

/// One value written short (12k, 1.5M, 0.25), for labels that stand alone (a bar's
/// value); axes use [`format_linear`], which formats from the step.
pub(crate) fn short_number(v: f64) -> String {
    let a = v.abs();
    let trim = |s: String| {
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        }
    };
    if a >= 1e9 {
        format!("{}G", trim(format!("{:.2}", v / 1e9)))
    } else if a >= 1e6 {
        format!("{}M", trim(format!("{:.2}", v / 1e6)))
    } else if a >= 1e4 {
        format!("{}k", trim(format!("{:.1}", v / 1e3)))
    } else if a >= 100.0 || a == 0.0 {
        format!("{v:.0}")
    } else if a >= 1.0 {
        trim(format!("{v:.2}"))
    } else if a >= 0.01 {
        trim(format!("{v:.3}"))
    } else {
        format!("{v:.1e}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn distinct(labels: &[String]) -> bool {
        labels.windows(2).all(|w| w[0] != w[1])
    }

    #[test]
    fn a_flat_run_near_nine_gets_distinct_labels() {
        let (lo, hi) = padded_range(9.0, 9.0, AxisScale::Linear);
        let t = linear(lo, hi, 5, TickStyle::Number);
        assert!(t.values.len() >= 3, "{t:?}");
        assert!(distinct(&t.labels), "{:?}", t.labels);
        assert!(
            t.labels
                .iter()
                .any(|l| l.trim_end_matches('0').trim_end_matches('.') == "9"),
            "{:?}",
            t.labels
        );
        // close ticks that `short_number` wrote as 9, 9, 9 before
        let t = linear(8.996, 9.004, 5, TickStyle::Number);
        assert_eq!(t.labels, ["8.996", "8.998", "9.000", "9.002", "9.004"]);
    }

    #[test]
    fn units_and_decimals_follow_the_step() {
        let t = linear(0.0, 500_000.0, 5, TickStyle::Number);
        assert_eq!(t.labels, ["0", "100k", "200k", "300k", "400k", "500k"]);
        let t = linear(0.0, 2.5e6, 5, TickStyle::Number);
        assert_eq!(t.labels, ["0", "0.5M", "1.0M", "1.5M", "2.0M", "2.5M"]);
        let t = linear(-1.0e-6, 4.0e-6, 5, TickStyle::Number);
        assert_eq!(t.labels, ["-1e-6", "0", "1e-6", "2e-6", "3e-6", "4e-6"]);
        let t = linear(0.0, 0.06, 5, TickStyle::Percent);
        assert_eq!(t.labels, ["0%", "2%", "4%", "6%"]);
        let t = linear(-200.0, -100.0, 4, TickStyle::Number);
        assert_eq!(t.labels, ["-200", "-175", "-150", "-125", "-100"]);
    }

    #[test]
    fn log_axes_tick_decades_or_one_two_five() {
        let t = log(1e-6, 1e9, 6);
        assert!(t.values.len() >= 4 && t.values.len() <= 8, "{:?}", t.labels);
        assert!(t.labels.contains(&"10⁻⁶".to_string()), "{:?}", t.labels);
        let t = log(0.15, 30.0, 6);
        assert_eq!(t.labels, ["0.2", "0.5", "1", "2", "5", "10", "20"]);
        assert_eq!(parse_label("10⁻⁶"), Some(1e-6));
        let t = log(3.0, 4.0, 5);
        assert!(t.values.len() >= 2 && distinct(&t.labels), "{t:?}");
    }

    #[test]
    fn single_values_are_short() {
        assert_eq!(short_number(20480.0), "20.5k");
        assert_eq!(short_number(1_500_000.0), "1.5M");
        assert_eq!(short_number(1e9), "1G");
        assert_eq!(short_number(0.25), "0.25");
        assert_eq!(short_number(500.0), "500");
        assert_eq!(short_number(0.00042), "4.2e-4");
    }

    #[test]
    fn zero_is_never_negative() {
        let t = linear(-1.0, 1.0, 4, TickStyle::Number);
        assert!(t.labels.contains(&"0".to_string()) && !t.labels.iter().any(|l| l == "-0"));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        /// For any range and tick count, labels are distinct and read back to their
        /// values within half a step.
        #[test]
        fn labels_are_distinct_and_round_trip(
            magnitude in -6f64..9.0,
            centre_frac in -1f64..1.0,
            relative_width in -8.5f64..2.0,
            target in 2usize..12,
            percent in any::<bool>(),
        ) {
            // centres from 1e-6 to 1e9 in size, widths from 3e-9 to 100 times that
            let centre = centre_frac * 10f64.powf(magnitude);
            let width = 10f64.powf(magnitude + relative_width);
            let (lo, hi) = padded_range(centre - width / 2.0, centre + width / 2.0, AxisScale::Linear);
            let style = if percent { TickStyle::Percent } else { TickStyle::Number };
            let t = linear(lo, hi, target, style);
            prop_assert!(t.values.len() >= 2, "{:?}", t);
            prop_assert!(t.values.len() <= 3 * target + 2, "{:?}", t);
            prop_assert!(distinct(&t.labels), "{:?}", t.labels);
            let step = t.values[1] - t.values[0];
            for (v, l) in t.values.iter().zip(&t.labels) {
                let back = parse_label(l).unwrap();
                prop_assert!((back - v).abs() <= step / 2.0, "{} → {} (step {})", v, l, step);
                prop_assert!(*v >= lo - step * 1e-6 && *v <= hi + step * 1e-6);
            }
        }

        #[test]
        fn constant_series_get_a_range(v in -1e9f64..1e9) {
            let (lo, hi) = padded_range(v, v, AxisScale::Linear);
            prop_assert!(lo < v && v < hi);
            let t = linear(lo, hi, 5, TickStyle::Number);
            prop_assert!(t.values.len() >= 2 && distinct(&t.labels), "{:?}", t.labels);
        }

        #[test]
        fn log_labels_are_distinct(lo_exp in -8f64..8.0, decades in 0.05f64..16.0, target in 2usize..10) {
            let lo = 10f64.powf(lo_exp);
            let hi = lo * 10f64.powf(decades);
            let t = log(lo, hi, target);
            prop_assert!(t.values.len() >= 2, "{:?}", t);
            prop_assert!(distinct(&t.labels), "{:?}", t.labels);
            for (v, l) in t.values.iter().zip(&t.labels) {
                let back = parse_label(l).unwrap();
                prop_assert!((back / v - 1.0).abs() < 0.01 || (back - v).abs() <= (hi - lo) / 20.0, "{} → {}", v, l);
            }
        }
    }
}
