//! Checks on what a rendered SVG says, for tests and for `meowlab plot check`: every
//! text's box (from the embedded font's metrics, at the PNG's slightly larger size) lies
//! inside the canvas, no two boxes overlap, and no axis repeats a tick label side by side
//! (the "9, 9, 9" of ticks formatted from each value alone).

use crate::error::PlotError;
use crate::text::{width_em, ASCENT_EM, DESCENT_EM, PNG_EM_PER_SVG_EM};
use crate::ticks::parse_label;

/// One `<text>` of an SVG and the box it covers, in SVG units.
#[derive(Clone, Debug, PartialEq)]
pub struct TextBox {
    /// The text.
    pub text: String,
    /// Left, top, right, bottom.
    pub bounds: [f64; 4],
    /// The anchor point (x, y) as written.
    pub anchor: (f64, f64),
    /// `start`, `middle` or `end`.
    pub h_anchor: String,
    /// Whether the text is rotated.
    pub rotated: bool,
    /// Hangs below its anchor (`dy="0.76em"`), as x-axis tick labels do.
    pub hanging: bool,
}

/// What is wrong with a figure's text.
#[derive(Clone, Debug, PartialEq)]
pub enum TextProblem {
    /// A text reaches outside the canvas.
    Outside {
        /// The text.
        text: String,
        /// Its box.
        bounds: [f64; 4],
    },
    /// Two texts overlap.
    Overlap {
        /// One text.
        a: String,
        /// The other.
        b: String,
    },
    /// Evenly spaced numeric labels (an axis) repeat a label side by side.
    Collapsed {
        /// The repeated label.
        label: String,
        /// The axis' labels in order.
        axis: Vec<String>,
    },
}

impl std::fmt::Display for TextProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TextProblem::Outside { text, bounds } => write!(
                f,
                "text {text:?} reaches outside the canvas (box {:.0},{:.0}–{:.0},{:.0})",
                bounds[0], bounds[1], bounds[2], bounds[3]
            ),
            TextProblem::Overlap { a, b } => write!(f, "texts {a:?} and {b:?} overlap"),
            TextProblem::Collapsed { label, axis } => write!(
                f,
                "tick label {label:?} repeats side by side on an axis ({})",
                axis.join(", ")
            ),
        }
    }
}

fn attr<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let key = format!(" {name}=\"");
    let start = tag.find(&key)? + key.len();
    let end = tag[start..].find('"')? + start;
    Some(&tag[start..end])
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

fn number(tag: &str, name: &str) -> Result<f64, PlotError> {
    let v = attr(tag, name).ok_or_else(|| {
        PlotError::Invalid(format!("SVG text without a `{name}` attribute: {tag}"))
    })?;
    v.trim_end_matches("px")
        .parse()
        .map_err(|_| PlotError::Invalid(format!("SVG attribute {name}=\"{v}\" is not a number")))
}

/// The canvas size (from the `viewBox`) and the box of every non-empty text.
pub fn text_boxes(svg: &str) -> Result<((f64, f64), Vec<TextBox>), PlotError> {
    let root = svg
        .find("<svg")
        .map(|i| &svg[i..i + svg[i..].find('>').unwrap_or(0)])
        .ok_or_else(|| PlotError::Invalid("not an SVG document (no <svg> element)".into()))?;
    let view: Vec<f64> = attr(root, "viewBox")
        .ok_or_else(|| PlotError::Invalid("the <svg> element has no viewBox".into()))?
        .split_whitespace()
        .filter_map(|v| v.parse().ok())
        .collect();
    let [_, _, w, h] = view[..] else {
        return Err(PlotError::Invalid("the viewBox is not four numbers".into()));
    };
    let mut boxes = Vec::new();
    let mut rest = svg;
    while let Some(start) = rest.find("<text") {
        let after = &rest[start..];
        let open_end = after
            .find('>')
            .ok_or_else(|| PlotError::Invalid("an unterminated <text> element".into()))?;
        let tag = &after[..open_end];
        let close = after
            .find("</text>")
            .ok_or_else(|| PlotError::Invalid("a <text> element without </text>".into()))?;
        let text = unescape(after[open_end + 1..close].trim());
        rest = &after[close + "</text>".len()..];
        if text.trim().is_empty() {
            continue;
        }
        let (x, y) = (number(tag, "x")?, number(tag, "y")?);
        let size = number(tag, "font-size")?;
        let em = size * PNG_EM_PER_SVG_EM;
        // the baseline, as the SVG's `dy` places it (ex = DejaVu's x-height, 0.547 em)
        let hanging = attr(tag, "dy") == Some("0.76em");
        let dy = match attr(tag, "dy").unwrap_or("0") {
            "0.76em" => 0.76 * size,
            "0.5ex" => 0.273 * size,
            "-0.5ex" => -0.273 * size,
            other => other.trim_end_matches("px").parse().unwrap_or(0.0),
        };
        let width = width_em(&text) * em;
        let h_anchor = attr(tag, "text-anchor").unwrap_or("start").to_string();
        let left = match h_anchor.as_str() {
            "middle" => x - width / 2.0,
            "end" => x - width,
            _ => x,
        };
        let baseline = y + dy;
        let (top, bottom) = (baseline - ASCENT_EM * em, baseline + DESCENT_EM * em);
        let mut bounds = [left, top, left + width, bottom];
        let rotated = attr(tag, "transform").is_some_and(|t| t.starts_with("rotate("));
        if let Some(t) = attr(tag, "transform") {
            let args: Vec<f64> = t
                .trim_start_matches("rotate(")
                .trim_end_matches(')')
                .split(',')
                .filter_map(|v| v.trim().parse().ok())
                .collect();
            if let [deg, cx, cy] = args[..] {
                let (sin, cos) = deg.to_radians().sin_cos();
                let corners = [
                    (left, top),
                    (left + width, top),
                    (left, bottom),
                    (left + width, bottom),
                ]
                .map(|(px, py)| {
                    let (dx, dy) = (px - cx, py - cy);
                    (cx + dx * cos - dy * sin, cy + dx * sin + dy * cos)
                });
                bounds = [
                    corners.iter().map(|c| c.0).fold(f64::INFINITY, f64::min),
                    corners.iter().map(|c| c.1).fold(f64::INFINITY, f64::min),
                    corners
                        .iter()
                        .map(|c| c.0)
                        .fold(f64::NEG_INFINITY, f64::max),
                    corners
                        .iter()
                        .map(|c| c.1)
                        .fold(f64::NEG_INFINITY, f64::max),
                ];
            }
        }
        boxes.push(TextBox {
            text,
            bounds,
            anchor: (x, y),
            h_anchor,
            rotated,
            hanging,
        });
    }
    Ok(((w, h), boxes))
}

/// Every problem with the texts of `svg` (empty = the figure passes).
pub fn check_svg(svg: &str) -> Result<Vec<TextProblem>, PlotError> {
    let ((w, h), boxes) = text_boxes(svg)?;
    // a quarter point of slack (SVG figures are drawn at 4 units per point)
    let slack = 1.0;
    let mut problems = Vec::new();
    for b in &boxes {
        let [l, t, r, btm] = b.bounds;
        if l < -slack || t < -slack || r > w + slack || btm > h + slack {
            problems.push(TextProblem::Outside {
                text: b.text.clone(),
                bounds: b.bounds,
            });
        }
    }
    for (i, a) in boxes.iter().enumerate() {
        for b in &boxes[i + 1..] {
            let dx = a.bounds[2].min(b.bounds[2]) - a.bounds[0].max(b.bounds[0]);
            let dy = a.bounds[3].min(b.bounds[3]) - a.bounds[1].max(b.bounds[1]);
            if dx > slack && dy > slack {
                problems.push(TextProblem::Overlap {
                    a: a.text.clone(),
                    b: b.text.clone(),
                });
            }
        }
    }
    problems.extend(collapsed_axes(&boxes));
    Ok(problems)
}

/// Numeric labels on one line, three or more, evenly spaced — hanging below one line and
/// centred on their ticks (an x axis) or right-aligned to one edge (a y axis) — are an
/// axis; two equal neighbours on it are collapsed ticks. (Values printed inside bars are
/// centred vertically, so they are not taken for an axis.)
fn collapsed_axes(boxes: &[TextBox]) -> Vec<TextProblem> {
    let numeric: Vec<&TextBox> = boxes
        .iter()
        .filter(|b| !b.rotated && parse_label(&b.text).is_some())
        .collect();
    let mut problems = Vec::new();
    // (key of the line, position along it) for x axes (middle-anchored, one baseline)
    // and y axes (end-anchored, one right edge)
    for horizontal in [true, false] {
        let mut lines: std::collections::BTreeMap<i64, Vec<(f64, &str)>> = Default::default();
        for b in &numeric {
            let (key, along) = match (horizontal, b.h_anchor.as_str()) {
                (true, "middle") if b.hanging => (b.anchor.1, b.anchor.0),
                (false, "end") => (b.anchor.0, b.anchor.1),
                _ => continue,
            };
            lines
                .entry(key.round() as i64)
                .or_default()
                .push((along, &b.text));
        }
        for mut line in lines.into_values() {
            if line.len() < 3 {
                continue;
            }
            line.sort_by(|a, b| a.0.total_cmp(&b.0));
            let gaps: Vec<f64> = line.windows(2).map(|w| w[1].0 - w[0].0).collect();
            let even = gaps.iter().all(|g| (g - gaps[0]).abs() <= 2.0);
            if !even {
                continue;
            }
            if let Some(w) = line.windows(2).find(|w| w[0].1 == w[1].1) {
                problems.push(TextProblem::Collapsed {
                    label: w[0].1.to_string(),
                    axis: line.iter().map(|l| l.1.to_string()).collect(),
                });
            }
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn svg(texts: &str) -> String {
        format!("<svg width=\"100\" height=\"50\" viewBox=\"0 0 100 50\" xmlns=\"http://www.w3.org/2000/svg\">{texts}</svg>")
    }

    fn text(x: f64, y: f64, anchor: &str, content: &str) -> String {
        format!("<text x=\"{x}\" y=\"{y}\" dy=\"0.76em\" text-anchor=\"{anchor}\" font-family=\"DejaVu Sans\" font-size=\"8\" opacity=\"1\" fill=\"#000000\">{content}</text>")
    }

    #[test]
    fn finds_overlaps_outside_and_collapsed_ticks() {
        let ok = svg(&[
            text(10.0, 5.0, "middle", "1"),
            text(30.0, 5.0, "middle", "2"),
        ]
        .concat());
        assert_eq!(check_svg(&ok).unwrap(), vec![]);
        let overlap = svg(&[
            text(10.0, 5.0, "start", "label"),
            text(14.0, 6.0, "start", "x"),
        ]
        .concat());
        assert!(matches!(
            check_svg(&overlap).unwrap()[..],
            [TextProblem::Overlap { .. }]
        ));
        let outside = svg(&text(98.0, 5.0, "start", "too far"));
        assert!(matches!(
            check_svg(&outside).unwrap()[..],
            [TextProblem::Outside { .. }]
        ));
        let nines = svg(&(0..4)
            .map(|i| text(10.0 + 20.0 * i as f64, 30.0, "middle", "9"))
            .collect::<String>());
        let p = check_svg(&nines).unwrap();
        assert!(
            matches!(&p[..], [TextProblem::Collapsed { label, .. }] if label == "9"),
            "{p:?}"
        );
        // rotated text: its box turns with it
        let rotated = svg("<text x=\"20\" y=\"25\" dy=\"0.5ex\" text-anchor=\"middle\" font-size=\"8\" transform=\"rotate(270, 20, 25)\">a long rotated label</text>");
        let ((_, _), boxes) = text_boxes(&rotated).unwrap();
        let [l, t, r, b] = boxes[0].bounds;
        assert!(b - t > r - l, "{:?}", boxes[0].bounds);
        assert!(matches!(
            check_svg(&rotated).unwrap()[..],
            [TextProblem::Outside { .. }]
        ));
        assert!(text_boxes("<html/>").is_err());
    }
}
