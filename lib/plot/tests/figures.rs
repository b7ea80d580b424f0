//! Every figure kind from data logged through the store: the SVG says what it should
//! (labels, legend, exact set cells of a tile plane), the PNG has the layout's pixel size
//! and dpi, and its text is really rasterised (the embedded font, no system fonts).

use std::path::{Path, PathBuf};

use meowlab_plot::show;
use meowlab_plot::{
    ActionBars, Curves, Figure, Grouping, Layout, OutcomeBars, PlaneHeatmap, PlotError, RankBars,
    ShapleyChart, ShapleyStyle,
};
use meowlab_sanma::bots::{HeuristicAgent, RandomAgent};
use meowlab_sanma::{Agent, Rules};
use meowlab_store::browse::StepRow;
use meowlab_store::browse::{self, LoggedGame};
use meowlab_store::{MetricsLogger, Run, SanmaLogger, WriterOptions};

fn fresh_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("meowlab-plot-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Three logged games: a random agent against two heuristic bots.
fn sanma_run(root: &Path) -> PathBuf {
    let mut run = Run::create(root, "figs", "play", 1, serde_json::json!({})).unwrap();
    let mut log = SanmaLogger::create(&mut run, WriterOptions::default()).unwrap();
    for game_id in 0..3u64 {
        let mut agents: Vec<Box<dyn Agent>> = vec![
            Box::new(RandomAgent::new(game_id as u8)),
            Box::new(HeuristicAgent),
            Box::new(HeuristicAgent),
        ];
        log.play_game(Rules::default(), game_id, game_id, &mut agents)
            .unwrap();
    }
    log.close().unwrap();
    run.finish(true).unwrap();
    run.dir().to_owned()
}

/// Two seeds of one experiment and one of another, with `eval/return_mean` logged.
fn control_runs(root: &Path) {
    for (name, seed, scale) in [("exp-a", 1, 1.0), ("exp-a", 2, 3.0), ("exp-b", 1, -1.0)] {
        let config = serde_json::json!({ "name": name });
        let mut run =
            Run::create(root, &format!("{name}__seed{seed}"), "run", seed, config).unwrap();
        let mut m = MetricsLogger::create(&run, WriterOptions::default()).unwrap();
        for step in 0..5u64 {
            m.log(step * 100, 0.0, "eval/return_mean", scale * step as f64);
            m.log(step * 100, 0.0, "train/loss", 1.0);
        }
        m.flush().unwrap();
        run.finish(true).unwrap();
    }
}

/// The figure's SVG, its text checked: inside the canvas, no overlaps, distinct ticks.
fn checked(figure: Figure) -> String {
    let svg = figure.svg().unwrap();
    let problems = meowlab_plot::check::check_svg(&svg).unwrap();
    assert!(problems.is_empty(), "{problems:?}");
    svg
}

/// Share of pixels that are not white.
fn ink(rgb: &[u8]) -> f64 {
    let px = rgb.chunks(3).filter(|p| p.iter().any(|&c| c < 200)).count();
    px as f64 / (rgb.len() / 3) as f64
}

#[test]
fn learning_curves_group_seeds_by_experiment() {
    let root = fresh_dir("curves");
    control_runs(&root);
    let (curves, problems) =
        Curves::from_runs(std::slice::from_ref(&root), "eval/return_mean").unwrap();
    assert!(problems.is_empty(), "{problems:?}");
    let labels: Vec<(&str, usize)> = curves
        .groups
        .iter()
        .map(|g| (g.label.as_str(), g.seeds.len()))
        .collect();
    assert_eq!(labels, vec![("exp-a", 2), ("exp-b", 1)]);
    let a = curves.groups[0].aggregate(0.0);
    assert_eq!(a.mean, vec![0.0, 2.0, 4.0, 6.0, 8.0]); // mean of 1× and 3× the step index
    let svg = checked(Figure::new(curves.clone()));
    for text in [
        "exp-a (n=2)",
        "exp-b (n=1)",
        "eval/return_mean",
        "environment steps",
    ] {
        assert!(svg.contains(text), "missing {text}");
    }
    assert!(svg.contains("width=\"3.5in\" height=\"2.4in\""));
    let missing = Curves::from_runs(std::slice::from_ref(&root), "eval/nope")
        .unwrap_err()
        .to_string();
    assert!(
        missing.contains("eval/nope") && missing.contains("train/loss"),
        "{missing}"
    );
    let not_a_run = Curves::from_runs(&[root.join("nothing")], "x").unwrap_err();
    assert!(not_a_run.to_string().contains("nothing"), "{not_a_run}");
}

#[test]
fn an_episode_is_one_line_per_observation_dimension() {
    let step = |i: u32, obs: Vec<f32>| StepRow {
        episode_id: 7,
        step: i,
        observation: obs,
        action: vec![0.0],
        reward: 1.0,
        terminated: false,
        truncated: false,
        log_prob: None,
        value: None,
    };
    let steps: Vec<StepRow> = (0..4)
        .map(|i| step(i, vec![i as f32, -(i as f32)]))
        .collect();
    let c = Curves::episode(&steps, &["cart position"]).unwrap();
    let labels: Vec<&str> = c.groups.iter().map(|g| g.label.as_str()).collect();
    assert_eq!(labels, ["cart position", "obs[1]"]);
    assert_eq!(c.groups[1].seeds[0].values, vec![0.0, -1.0, -2.0, -3.0]);
    let svg = checked(Figure::new(c));
    assert!(svg.contains("cart position") && !svg.contains("(n=1)"));
    let mut ragged = steps.clone();
    ragged[2].observation.pop();
    let e = Curves::episode(&ragged, &[]).unwrap_err().to_string();
    assert!(e.contains("step 2"), "{e}");
}

#[test]
fn png_has_the_layout_size_dpi_and_rasterised_text() {
    let chart = ActionBars::new(vec!["1m".into(), "9p".into()], vec![0.25, 0.75]).chosen(1);
    let layout = Layout::column().sized(2.0, 1.5);
    let plain = Figure::new(chart.clone()).with_layout(layout.clone());
    let (w, h, rgb) = plain.rgb().unwrap();
    assert_eq!((w, h), (600, 450)); // 2 × 1.5 in at 300 dpi
    let titled = plain.clone().titled("A TITLE");
    let (_, _, rgb_t) = titled.rgb().unwrap();
    // the title is drawn as glyph pixels in the top band, which is empty without it
    let band = |img: &[u8]| ink(&img[..w as usize * 3 * 20]);
    assert_eq!(band(&rgb), 0.0);
    assert!(band(&rgb_t) > 0.01, "title pixels: {}", band(&rgb_t));
    let png = titled.png().unwrap();
    let decoder = png::Decoder::new(std::io::Cursor::new(png));
    let reader = decoder.read_info().unwrap();
    let info = reader.info();
    assert_eq!((info.width, info.height), (600, 450));
    let dims = info.pixel_dims.unwrap();
    assert_eq!(dims.xppu, 11811); // 300 dpi in pixels per metre
    let dir = fresh_dir("save");
    let err = titled.save(dir.join("fig.jpg")).unwrap_err();
    assert!(matches!(err, PlotError::Format { .. }), "{err}");
    titled.save(dir.join("sub/fig.png")).unwrap();
    titled.save(dir.join("fig.svg")).unwrap();
    assert!(std::fs::read_to_string(dir.join("fig.svg"))
        .unwrap()
        .contains("A TITLE"));
    let bad = Figure::new(chart).with_layout(Layout::column().sized(0.1, 1.0));
    assert!(bad.svg().unwrap_err().to_string().contains("size"));
}

#[test]
fn sanma_figures_and_notebook_html_from_a_logged_run() {
    let root = fresh_dir("sanma");
    let run = sanma_run(&root);
    let games = browse::games(&run).unwrap().rows;
    assert_eq!(games.len(), 3);

    let ranks = RankBars::from_games(&games, Grouping::Agent).unwrap();
    let total: u32 = ranks
        .groups
        .iter()
        .map(|(_, c)| c.iter().sum::<u32>())
        .sum();
    assert_eq!(total, 9); // 3 games × 3 seats
    let svg = checked(Figure::new(ranks));
    assert!(svg.contains("heuristic (6 games)") && svg.contains("random (3 games)"));

    let kyoku = browse::kyoku(&run, None).unwrap().rows;
    let outcomes = OutcomeBars::from_kyoku(&kyoku, &games).unwrap();
    for (_, c) in &outcomes.seats {
        assert_eq!(c.iter().sum::<u32>() as usize, kyoku.len());
    }
    assert!(Figure::new(outcomes)
        .svg()
        .unwrap()
        .contains("seat 0: random"));

    // the heatmap draws exactly the set cells of the logged observation
    let logged = LoggedGame::find(&run, 1).unwrap();
    assert!(logged.problems.is_empty(), "{:?}", logged.problems);
    let d = logged
        .decisions
        .iter()
        .find(|d| d.observation.is_some())
        .unwrap();
    let heat = PlaneHeatmap::from_packed(d.observation.as_ref().unwrap()).unwrap();
    let cells = heat.planes.count_ones() as usize;
    let svg = checked(Figure::new(heat.clone()));
    let dark_rects = svg
        .split("<rect")
        .skip(1)
        .filter(|tag| tag[..tag.find("/>").unwrap()].contains("fill=\"#222222\""))
        .count();
    assert_eq!(dark_rects, cells);
    assert!(svg.contains("own hand") && svg.contains("dora indicators"));
    let overlay = heat.with_overlay(vec![0.5; 3]).unwrap_err();
    assert!(overlay.to_string().contains("366"));
    assert!(show::planes(
        &PlaneHeatmap::from_packed(d.observation.as_ref().unwrap())
            .unwrap()
            .planes
    )
    .unwrap()
    .0
    .starts_with("<svg"));

    // a decision as HTML: the deciding seat's hand and every legal action
    let i = logged
        .decisions
        .iter()
        .position(|d| d.legal.len() > 3)
        .unwrap();
    let html = show::decision(&logged, i).unwrap().0;
    let r = &logged.replay.decisions[i];
    for a in &r.legal {
        assert!(html.contains(&a.to_string()), "missing {a}");
    }
    assert_eq!(html.matches('✓').count(), 1);
    assert!(show::decision(&logged, 100_000).is_err());
    let table = show::games(&games).0;
    assert_eq!(table.matches("<tr>").count(), 4);
    assert!(LoggedGame::find(&run, 99)
        .unwrap_err()
        .to_string()
        .contains("no game 99"));
}

#[test]
fn shapley_bars_pool_the_tail_and_the_waterfall_ends_at_v_of_f() {
    let players: Vec<String> = (0..6).map(|i| format!("p{i}")).collect();
    let mut chart = ShapleyChart::new(players, vec![0.5, -0.4, 0.1, 0.05, -0.02, 0.01]);
    chart.top = 3;
    let svg = checked(Figure::new(chart.clone()));
    assert!(svg.contains("3 others  +0.04"), "pooled tail");
    chart.style = ShapleyStyle::Waterfall;
    chart.base = 1.0;
    let svg = checked(Figure::new(chart.clone()));
    assert!(svg.contains("v(F) = 1.24"));
    chart.values.pop();
    assert!(Figure::new(chart).svg().is_err());
}

#[test]
fn explanations_become_shapley_charts_and_plane_overlays() {
    use meowlab_store::Explanation;
    let e = |id: u64, v: f64| Explanation {
        explanation_id: id,
        kind: "policy".into(),
        target: "p(5p)".into(),
        conditioning: "on-manifold (exact matching)".into(),
        method: "exact".into(),
        game_id: Some(2),
        step: Some(9),
        episode_id: None,
        players: vec!["own_hand".into(), "scores".into()],
        values: vec![v, -0.1],
        stderr: None,
        base: 0.2,
        full: 0.2 + v - 0.1,
    };
    let one = ShapleyChart::from_explanation(&e(0, 0.3));
    assert_eq!((one.base, one.values.clone()), (0.2, vec![0.3, -0.1]));
    assert!(one.what.contains("game 2 step 9"));
    let mean = ShapleyChart::mean_abs(&[e(0, 0.3), e(1, -0.5)]).unwrap();
    assert!((mean.values[0] - 0.4).abs() < 1e-12 && (mean.values[1] - 0.1).abs() < 1e-12);
    let mut other = e(2, 0.1);
    other.players[1] = "dora_indicators".into();
    assert!(ShapleyChart::mean_abs(&[e(0, 0.3), other]).is_err());
    assert!(ShapleyChart::mean_abs(&[]).is_err());
    // the signed mean (SVERL's Φ) with its standard error over the explanations
    let signed = ShapleyChart::mean(&[e(0, 0.3), e(1, -0.5)]).unwrap();
    assert!((signed.values[0] + 0.1).abs() < 1e-12 && (signed.values[1] + 0.1).abs() < 1e-12);
    let se = signed.stderr.unwrap();
    assert!((se[0] - 0.4).abs() < 1e-12 && se[1].abs() < 1e-12); // sd 0.566 / √2
                                                                 // different kinds or conditionings are not pooled
    let mut value = e(3, 0.1);
    value.kind = "value".into();
    assert!(ShapleyChart::mean_abs(&[e(0, 0.3), value]).is_err());
    let mut off = e(4, 0.1);
    off.conditioning = "interventional (off-manifold)".into();
    assert!(ShapleyChart::mean(&[e(0, 0.3), off]).is_err());

    let heat = PlaneHeatmap::new(meowlab_sanma::planes::Planes::new())
        .with_block_values(&one.players, &one.values)
        .unwrap();
    let overlay = heat.overlay.unwrap();
    let hand = meowlab_sanma::planes::FeatureBlock::OwnHand.columns();
    assert!(overlay[hand.clone()].iter().all(|&v| v == 0.3));
    let untouched = overlay.iter().filter(|&&v| v == 0.0).count();
    assert_eq!(untouched, 366 - hand.len() - count_cols("scores"));
    let bad = PlaneHeatmap::new(meowlab_sanma::planes::Planes::new())
        .with_block_values(&["nope".to_string()], &[1.0]);
    assert!(bad.unwrap_err().to_string().contains("nope"));
}

fn count_cols(block: &str) -> usize {
    meowlab_sanma::planes::blocks()
        .into_iter()
        .find(|(_, n, _)| *n == block)
        .map_or(0, |(_, _, c)| c.len())
}
