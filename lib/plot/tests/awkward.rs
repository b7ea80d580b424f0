//! Every chart kind rendered on awkward data — a constant series, one seed, one point,
//! NaN and ∞, values from 1e-6 to 1e9, negative returns, 80 actions, 40-character labels —
//! and checked on what its SVG says: every text inside the canvas, no two texts
//! overlapping, no axis repeating a tick label (boxes from the embedded font's metrics).
//! Set `MEOWLAB_AWKWARD_DIR` to also write each figure there as SVG and PNG.

use meowlab_eval::aggregate::Interval;
use meowlab_plot::check::{check_svg, text_boxes, TextProblem};
use meowlab_plot::ticks::parse_label;
use meowlab_plot::{
    ActionBars, Aggregate, Curves, Figure, Grid, Intervals, Layout, OutcomeBars, Panel, PlotError,
    RankBars, ShapleyChart, ShapleyStyle,
};

const LONG: &str = "a forty-character label, to test layouts";

fn assert_clean(name: &str, figure: &Figure) -> String {
    let svg = figure
        .svg()
        .unwrap_or_else(|e| panic!("{name}: cannot render: {e}"));
    let problems: Vec<TextProblem> = check_svg(&svg).unwrap();
    if let Ok(dir) = std::env::var("MEOWLAB_AWKWARD_DIR") {
        std::fs::create_dir_all(&dir).unwrap();
        figure.save(format!("{dir}/{name}.svg")).unwrap();
        figure.save(format!("{dir}/{name}.png")).unwrap();
    }
    assert!(
        problems.is_empty(),
        "{name}: {}",
        problems
            .iter()
            .map(|p| p.to_string())
            .collect::<Vec<_>>()
            .join("\n")
    );
    // something was drawn besides text: a plot has paths, rects or polygons
    assert!(
        svg.contains("<polyline") || svg.contains("<rect") || svg.contains("<polygon"),
        "{name}: no marks"
    );
    svg
}

/// The numeric labels of the SVG, in document order.
fn numbers(svg: &str) -> Vec<String> {
    let (_, boxes) = text_boxes(svg).unwrap();
    boxes
        .into_iter()
        .map(|b| b.text)
        .filter(|t| parse_label(t).is_some())
        .collect()
}

fn line(label: &str, steps: Vec<f64>, values: Vec<f64>) -> (String, Vec<f64>, Vec<f64>) {
    (label.to_string(), steps, values)
}

fn seeds(label: &str, runs: Vec<(Vec<f64>, Vec<f64>)>) -> meowlab_plot::CurveGroup {
    meowlab_plot::CurveGroup {
        label: label.into(),
        seeds: runs
            .into_iter()
            .enumerate()
            .map(|(i, (steps, values))| meowlab_plot::SeedSeries {
                label: format!("seed{i}"),
                steps,
                values,
            })
            .collect(),
        band: None,
    }
}

fn curves(groups: Vec<meowlab_plot::CurveGroup>) -> Curves {
    Curves {
        groups,
        metric: "eval/return_mean".into(),
        x_label: "environment steps".into(),
        smoothing: 0.0,
        seed_counts: true,
        common_range: false,
    }
}

#[test]
fn a_constant_series_gets_distinct_ticks_around_its_value() {
    let flat = curves(vec![seeds(
        "flat",
        vec![(vec![0.0, 1e4, 2e4], vec![9.0, 9.0, 9.0])],
    )]);
    let svg = assert_clean("constant", &Figure::new(flat));
    let labels = numbers(&svg);
    assert!(labels.iter().any(|l| l.starts_with('9')), "{labels:?}");
    // at 9 ± 0.45 the ticks are tenths: "8.6", "8.8", "9.0", …
    assert!(labels.contains(&"9.0".to_string()), "{labels:?}");
    let zero = curves(vec![seeds("zero", vec![(vec![0.0, 1.0], vec![0.0, 0.0])])]);
    assert_clean("constant-zero", &Figure::new(zero));
}

#[test]
fn one_seed_and_one_point() {
    let one_seed = curves(vec![seeds(
        "one seed",
        vec![(vec![0.0, 5e5], vec![-200.0, -150.0])],
    )]);
    assert_clean("one-seed", &Figure::new(one_seed));
    let one_point = curves(vec![seeds("one point", vec![(vec![1000.0], vec![42.0])])]);
    let svg = assert_clean("one-point", &Figure::new(one_point));
    assert!(svg.contains("<circle"), "one point is drawn as a marker");
}

#[test]
fn non_finite_values_are_dropped_with_a_note_or_named() {
    let nan = curves(vec![seeds(
        "diverged",
        vec![
            (
                vec![0.0, 1.0, 2.0, 3.0],
                vec![1.0, f64::NAN, 3.0, f64::INFINITY],
            ),
            (vec![0.0, 1.0, 2.0, 3.0], vec![1.5, 2.0, 2.5, 3.0]),
        ],
    )]);
    assert_eq!(nan.non_finite(), vec!["diverged/seed0: 2 values"]);
    let svg = assert_clean("nan", &Figure::new(nan));
    assert!(svg.contains("dropped non-finite values: diverged/seed0: 2 values"));
    let all_nan = curves(vec![seeds("all nan", vec![(vec![0.0], vec![f64::NAN])])]);
    let e = Figure::new(all_nan).svg().unwrap_err();
    assert!(matches!(e, PlotError::Empty(_)), "{e}");
    let bad = Intervals::new(
        "IQM",
        vec![(
            "broken".into(),
            Interval {
                point: f64::NAN,
                lo: 0.0,
                hi: 1.0,
            },
        )],
    );
    let e = Figure::new(bad).svg().unwrap_err().to_string();
    assert!(e.contains("broken"), "{e}");
    let e = Figure::new(ActionBars::new(vec!["a".into()], vec![f64::NAN]))
        .svg()
        .unwrap_err();
    assert!(e.to_string().contains("finite"), "{e}");
}

#[test]
fn values_from_a_millionth_to_a_billion() {
    let wide = curves(vec![
        seeds(
            "tiny",
            vec![(vec![1.0, 10.0, 100.0], vec![1e-6, 2e-6, 3e-6])],
        ),
        seeds("huge", vec![(vec![1.0, 10.0, 100.0], vec![1e8, 5e8, 1e9])]),
    ]);
    let svg = assert_clean("wide-linear", &Figure::new(wide.clone()));
    assert!(numbers(&svg)
        .iter()
        .any(|l| l.ends_with('M') || l.ends_with('G')));
    let svg = assert_clean("wide-log", &Figure::new(wide).log_y().log_x());
    assert!(
        svg.contains("10⁻⁶") || svg.contains("10⁻⁵"),
        "{:?}",
        numbers(&svg)
    );
    let tiny = curves(vec![seeds(
        "tiny only",
        vec![(vec![0.0, 1.0, 2.0], vec![1e-6, 1.5e-6, 2e-6])],
    )]);
    let svg = assert_clean("tiny", &Figure::new(tiny));
    assert!(
        numbers(&svg).iter().any(|l| l.contains("e-")),
        "{:?}",
        numbers(&svg)
    );
    // a log axis refuses values ≤ 0 and names the series
    let negative = curves(vec![seeds(
        "negative",
        vec![(vec![1.0, 2.0], vec![-1.0, 1.0])],
    )]);
    let e = Figure::new(negative).log_y().svg().unwrap_err().to_string();
    assert!(e.contains("negative") && e.contains("log y"), "{e}");
}

#[test]
fn negative_returns_and_long_labels() {
    let groups = (0..5)
        .map(|i| {
            seeds(
                &format!("{i}: {LONG}"),
                vec![
                    (
                        vec![0.0, 1e5, 2e5],
                        vec![-1500.0, -800.0 + 50.0 * i as f64, -200.0],
                    ),
                    (
                        vec![0.0, 1e5, 2e5],
                        vec![-1400.0, -700.0, -150.0 - 10.0 * i as f64],
                    ),
                ],
            )
        })
        .collect();
    assert_clean("negative-long", &Figure::new(curves(groups)));
    let lines = Curves::lines(
        LONG,
        LONG,
        vec![line(LONG, vec![0.0, 1.0], vec![-1.0, -2.0])],
    );
    assert_clean("long-axis-names", &Figure::new(lines));
}

#[test]
fn eighty_actions_in_a_policy_chart() {
    let labels: Vec<String> = (0..80).map(|i| format!("discard {i}m")).collect();
    let probs: Vec<f64> = (0..80).map(|i| (i % 7) as f64 / 280.0).collect();
    let chart = ActionBars::new(labels, probs).chosen(40);
    assert_clean("actions-80", &Figure::new(chart.clone()));
    assert_clean(
        "actions-80-column",
        &Figure::new(chart).with_layout(Layout::column()),
    );
    let long = ActionBars::new(vec![LONG.into(), "b".into()], vec![0.4, 0.6]);
    assert_clean("actions-long", &Figure::new(long));
}

#[test]
fn shapley_bars_and_waterfall_with_long_names_and_tiny_values() {
    let players: Vec<String> = (0..20).map(|i| format!("{i} {LONG}")).collect();
    let values: Vec<f64> = (0..20).map(|i| (i as f64 - 10.0) * 1e-6).collect();
    let mut chart = ShapleyChart::new(players, values);
    chart.what = format!("{LONG} {LONG}");
    assert_clean("shapley-long", &Figure::new(chart.clone()));
    chart.style = ShapleyStyle::Waterfall;
    chart.base = 1e9;
    assert_clean("waterfall-huge-base", &Figure::new(chart));
}

#[test]
fn rank_and_outcome_bars_with_long_names() {
    let ranks = RankBars {
        groups: vec![
            (LONG.into(), [1, 0, 0]),
            (format!("{LONG} too"), [0, 0, 0]),
            ("c".into(), [10_000, 9_999, 1]),
        ],
    };
    assert_clean("ranks-long", &Figure::new(ranks));
    let outcomes = OutcomeBars {
        seats: vec![
            (format!("seat 0: {LONG}"), [1, 1, 1, 1]),
            ("seat 1".into(), [0, 0, 0, 1]),
            ("seat 2".into(), [500, 1, 1, 1]),
        ],
    };
    assert_clean("outcomes-long", &Figure::new(outcomes));
}

fn estimate(point: f64) -> Interval {
    Interval {
        point,
        lo: point - 0.1,
        hi: point + 0.05,
    }
}

#[test]
fn a_grid_of_every_kind_with_one_legend_and_shared_axes() {
    let a = curves(vec![
        seeds("ppo", vec![(vec![0.0, 1e5], vec![10.0, 500.0])]),
        seeds(LONG, vec![(vec![0.0, 1e5], vec![10.0, 400.0])]),
    ]);
    let b = curves(vec![seeds(
        "ppo",
        vec![(vec![0.0, 5e4], vec![-500.0, -80.0])],
    )]);
    let iqm = Intervals::new(
        "IQM",
        vec![("ppo".into(), estimate(0.9)), (LONG.into(), estimate(0.5))],
    );
    let profile = Curves::bands(
        "normalised score τ",
        "fraction of runs > τ",
        vec![(
            "ppo".into(),
            Aggregate {
                steps: vec![0.0, 0.5, 1.0],
                mean: vec![1.0, 0.6, 0.1],
                lo: vec![1.0, 0.4, 0.0],
                hi: vec![1.0, 0.8, 0.3],
                n: vec![3, 3, 3],
            },
        )],
    );
    let mut grid = Grid::new(
        vec![
            Panel::new(a).titled("CartPole-v1"),
            Panel::new(b).titled(LONG),
            Panel::new(iqm).titled("IQM"),
            Panel::new(profile).titled("performance profile"),
            Panel::new(ActionBars::new(
                vec!["1m".into(), "2m".into()],
                vec![0.3, 0.7],
            )),
        ],
        3,
    );
    grid.share_x = true;
    let svg = assert_clean("grid", &Figure::new(grid.clone()));
    // one legend: "ppo" is named once although three panels show it
    let (_, boxes) = text_boxes(&svg).unwrap();
    let ppo = boxes.iter().filter(|b| b.text.starts_with("ppo")).count();
    let iqm_row = 1; // the IQM panel labels its rows, one of them "ppo"
    assert_eq!(
        ppo,
        1 + iqm_row,
        "{:?}",
        boxes.iter().map(|b| &b.text).collect::<Vec<_>>()
    );
    for letter in [
        "(a) CartPole-v1",
        "(b)",
        "(c) IQM",
        "(d) performance profile",
        "(e)",
    ] {
        assert!(
            boxes.iter().any(|b| b.text.starts_with(letter)),
            "missing {letter}"
        );
    }
    grid.share_y = true;
    grid.columns = 2;
    assert_clean("grid-shared-y", &Figure::new(grid.clone()));
    assert_clean(
        "grid-column-width",
        &Figure::new(grid).with_layout(Layout::column().sized(3.5, 5.0)),
    );
}

#[test]
fn tile_planes_with_empty_full_and_extreme_overlays() {
    use meowlab_plot::PlaneHeatmap;
    use meowlab_sanma::planes::{Planes, COLS, ROWS};
    let empty = PlaneHeatmap::new(Planes::new());
    assert_clean("planes-empty", &Figure::new(empty));
    let mut full = Planes::new();
    for r in 0..ROWS {
        for c in 0..COLS {
            full.set(r, c, true);
        }
    }
    let overlay: Vec<f64> = (0..COLS)
        .map(|c| if c % 2 == 0 { 1e9 } else { -1e-6 })
        .collect();
    let heat = PlaneHeatmap::new(full).with_overlay(overlay).unwrap();
    assert_clean("planes-overlay", &Figure::new(heat.clone()));
    assert_clean(
        "planes-column",
        &Figure::new(heat).with_layout(Layout::column()),
    );
    let bad = PlaneHeatmap::new(Planes::new()).with_overlay(vec![f64::NAN; COLS]);
    assert!(bad.unwrap_err().to_string().contains("finite"));
}
