//! A control episode: a drawing of the system at the current step (cart-pole, pendulum,
//! car on the hill, acrobot), the current values, and plots of the observation, action,
//! reward and return with the current step marked; the timeline scrubs and plays it.

use egui::{Color32, Pos2, Rect, RichText, Sense, Stroke, Ui, Vec2};
use egui_plot::{Legend, Line, Plot, PlotPoints, VLine};

use crate::app::Workbench;
use crate::episode::OpenEpisode;

/// Names of the observation dimensions of the envs we know.
pub fn observation_names(env: Option<&str>, n: usize) -> Vec<String> {
    let known = env
        .and_then(meowlab::control::observation_names)
        .unwrap_or(&[]);
    (0..n)
        .map(|i| {
            known
                .get(i)
                .map_or_else(|| format!("obs[{i}]"), |s| s.to_string())
        })
        .collect()
}

/// Draws the episode view.
pub fn show(ui: &mut Ui, wb: &mut Workbench) {
    let Some(ep) = &wb.episode else { return };
    let t = wb.cursor.min(ep.last());
    ui.heading(format!(
        "{} episode {} | {} | return {:.2} over {} steps",
        ep.row.phase,
        ep.row.episode_id,
        ep.env.as_deref().unwrap_or("unknown env"),
        ep.row.ret,
        ep.row.length
    ));
    let Some(step) = ep.steps.get(t) else {
        ui.label("No steps logged for this episode.");
        return;
    };
    let names = observation_names(ep.env.as_deref(), step.observation.len());
    ui.horizontal(|ui| {
        draw_system(ui, ep.env.as_deref(), &step.observation, &step.action);
        ui.vertical(|ui| {
            ui.label(RichText::new(format!("step {t}")).strong());
            for (name, v) in names.iter().zip(&step.observation) {
                ui.label(RichText::new(format!("{name} = {v:.4}")).monospace());
            }
            let action: Vec<String> = step.action.iter().map(|a| format!("{a:.4}")).collect();
            ui.label(RichText::new(format!("action = [{}]", action.join(", "))).monospace());
            ui.label(RichText::new(format!("reward = {:.4}", step.reward)).monospace());
            ui.label(RichText::new(format!("return = {:.4}", ep.returns[t])).monospace());
            if step.terminated {
                ui.label("terminated");
            }
            if step.truncated {
                ui.label("truncated (time limit)");
            }
        });
    });
    plots(ui, ep, &names, t);
}

fn series(ep: &OpenEpisode, f: impl Fn(usize) -> f64) -> PlotPoints<'static> {
    (0..ep.steps.len()).map(|i| [i as f64, f(i)]).collect()
}

fn plots(ui: &mut Ui, ep: &OpenEpisode, names: &[String], t: usize) {
    let height = ((ui.available_height() - 20.0) / 3.0).max(90.0);
    let link = ui.scope_id().with("episode_axes");
    let plot = |id: &str| {
        Plot::new(id.to_string())
            .height(height)
            .legend(Legend::default())
            .link_axis(link, [true, false])
            .link_cursor(link, [true, false])
    };
    plot("observation").show(ui, |p| {
        for (d, name) in names.iter().enumerate() {
            p.line(Line::new(
                name.clone(),
                series(ep, |i| ep.steps[i].observation[d] as f64),
            ));
        }
        p.vline(VLine::new("now", t as f64).color(Color32::GRAY));
    });
    plot("action").show(ui, |p| {
        let dims = ep.steps.first().map_or(0, |s| s.action.len());
        for d in 0..dims {
            let name = if dims == 1 {
                "action".to_string()
            } else {
                format!("action[{d}]")
            };
            p.line(Line::new(
                name,
                series(ep, |i| ep.steps[i].action[d] as f64),
            ));
        }
        p.vline(VLine::new("now", t as f64).color(Color32::GRAY));
    });
    plot("reward").show(ui, |p| {
        p.line(Line::new("reward", series(ep, |i| ep.steps[i].reward)));
        p.line(Line::new("return", series(ep, |i| ep.returns[i])));
        p.vline(VLine::new("now", t as f64).color(Color32::GRAY));
    });
}

/// The system at one observation, drawn from the observation alone.
fn draw_system(ui: &mut Ui, env: Option<&str>, obs: &[f32], action: &[f32]) {
    let (rect, response) = ui.allocate_exact_size(Vec2::new(320.0, 220.0), Sense::hover());
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Canvas, true, "System drawing"));
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, 4.0, Color32::from_gray(250));
    let ink = Stroke::new(2.0, Color32::from_gray(40));
    let accent = Color32::from_rgb(0, 114, 178);
    let get = |i: usize| obs.get(i).copied().unwrap_or(0.0);
    match env {
        Some("CartPole-v1") => {
            // track ±2.4 m across the width
            let ground = rect.bottom() - 50.0;
            let scale = rect.width() / 4.8 * 0.9;
            let cx = rect.center().x + get(0) * scale;
            painter.line_segment(
                [
                    Pos2::new(rect.left(), ground),
                    Pos2::new(rect.right(), ground),
                ],
                ink,
            );
            let cart = Rect::from_center_size(Pos2::new(cx, ground - 12.0), Vec2::new(50.0, 24.0));
            painter.rect_filled(cart, 3.0, Color32::from_gray(60));
            let theta = get(2);
            let len = 1.0 * scale; // pole length 2 × 0.5 m
            let tip = Pos2::new(cx + len * theta.sin(), ground - 24.0 - len * theta.cos());
            painter.line_segment(
                [Pos2::new(cx, ground - 24.0), tip],
                Stroke::new(6.0, Color32::from_rgb(204, 121, 167)),
            );
            push_arrow(
                &painter,
                Pos2::new(cx, ground + 20.0),
                if action.first().copied().unwrap_or(0.0) >= 0.5 {
                    1.0
                } else {
                    -1.0
                },
                accent,
            );
        }
        Some("Pendulum-v1") => {
            let c = rect.center();
            let len = rect.height() * 0.38;
            // theta  = 0 is upright: the tip at (sin theta , −cos theta ) in screen coordinates
            let tip = Pos2::new(c.x + len * get(1), c.y - len * get(0));
            painter.line_segment([c, tip], Stroke::new(8.0, Color32::from_rgb(204, 121, 167)));
            painter.circle_filled(c, 5.0, Color32::from_gray(40));
            let torque = action.first().copied().unwrap_or(0.0);
            painter.text(
                rect.left_top() + Vec2::new(6.0, 6.0),
                egui::Align2::LEFT_TOP,
                format!("torque {torque:+.2}"),
                egui::FontId::proportional(12.0),
                accent,
            );
        }
        Some("MountainCarContinuous-v0") => {
            let (lo, hi) = (-1.2f32, 0.6f32);
            let height = |x: f32| (3.0 * x).sin() * 0.45 + 0.55;
            let to_screen = |x: f32| {
                Pos2::new(
                    rect.left() + (x - lo) / (hi - lo) * rect.width(),
                    rect.bottom() - 10.0 - height(x) * (rect.height() - 30.0),
                )
            };
            let pts: Vec<Pos2> = (0..=100)
                .map(|i| to_screen(lo + (hi - lo) * i as f32 / 100.0))
                .collect();
            painter.add(egui::Shape::line(pts, ink));
            painter.circle_filled(to_screen(0.45), 4.0, Color32::from_rgb(230, 159, 0)); // the flag
            let car = to_screen(get(0));
            painter.circle_filled(
                car - Vec2::new(0.0, 8.0),
                9.0,
                Color32::from_rgb(0, 158, 115),
            );
            let force = action.first().copied().unwrap_or(0.0);
            push_arrow(
                &painter,
                car + Vec2::new(0.0, 18.0),
                force.clamp(-1.0, 1.0),
                accent,
            );
        }
        Some("Acrobot-v1") => {
            let c = rect.center() - Vec2::new(0.0, 20.0);
            let len = rect.height() * 0.22;
            // theta1 from hanging down; theta2 relative to the first link
            let (t1, t2) = (get(1).atan2(get(0)), get(3).atan2(get(2)));
            let p1 = c + Vec2::new(len * t1.sin(), len * t1.cos());
            let p2 = p1 + Vec2::new(len * (t1 + t2).sin(), len * (t1 + t2).cos());
            painter.line_segment(
                [
                    Pos2::new(rect.left(), c.y - len),
                    Pos2::new(rect.right(), c.y - len),
                ],
                Stroke::new(1.0, Color32::from_gray(150)),
            );
            painter.line_segment([c, p1], Stroke::new(6.0, Color32::from_rgb(0, 114, 178)));
            painter.line_segment([p1, p2], Stroke::new(6.0, Color32::from_rgb(0, 158, 115)));
            painter.circle_filled(c, 4.0, Color32::from_gray(40));
            painter.circle_filled(p1, 4.0, Color32::from_gray(40));
            let torque = action.first().copied().unwrap_or(1.0) - 1.0;
            painter.text(
                rect.left_top() + Vec2::new(6.0, 6.0),
                egui::Align2::LEFT_TOP,
                format!("torque {torque:+.0}"),
                egui::FontId::proportional(12.0),
                accent,
            );
        }
        _ => {
            painter.text(
                rect.center(),
                egui::Align2::CENTER_CENTER,
                "no drawing for this environment",
                egui::FontId::proportional(13.0),
                Color32::GRAY,
            );
        }
    }
}

/// An arrow pointing left (−) or right (+), its length by `amount` in [−1, 1].
fn push_arrow(painter: &egui::Painter, at: Pos2, amount: f32, color: Color32) {
    let v = Vec2::new(40.0 * amount, 0.0);
    painter.arrow(at - v * 0.5, v, Stroke::new(3.0, color));
}
