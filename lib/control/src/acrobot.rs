//! Acrobot-v1: gymnasium's `AcrobotEnv` ("book" dynamics, one RK4 step of 0.2 s).

use std::f64::consts::PI;

use crate::{
    check_state, discrete, np_square, Action, ControlError, Env, EnvSpec, Episode, Transition,
};

const DT: f64 = 0.2;
const LINK_LENGTH_1: f64 = 1.0;
const LINK_MASS_1: f64 = 1.0;
const LINK_MASS_2: f64 = 1.0;
const LINK_COM_POS_1: f64 = 0.5;
const LINK_COM_POS_2: f64 = 0.5;
const LINK_MOI: f64 = 1.0;
const MAX_VEL_1: f64 = 4.0 * PI;
const MAX_VEL_2: f64 = 9.0 * PI;
const AVAIL_TORQUE: [f64; 3] = [-1.0, 0.0, 1.0];

/// Swing the tip of a two-link pendulum above the bar with torques {−1, 0, +1} on the
/// joint; −1 per step until then, 500 steps max.
#[derive(Clone, Debug)]
pub struct Acrobot {
    spec: EnvSpec,
    /// θ1, θ2, θ̇1, θ̇2.
    state: [f64; 4],
    /// Whether the state is a float32 array, as gymnasium's right after a reset (a step
    /// makes it float64).
    narrow: bool,
    episode: Episode,
}

impl Acrobot {
    /// A new env; call [`Env::reset`] before stepping.
    pub fn new() -> Self {
        Acrobot {
            spec: EnvSpec {
                id: "Acrobot-v1",
                obs_dim: 6,
                action_space: crate::ActionSpace::Discrete(3),
                max_episode_steps: 500,
                reward_threshold: Some(-100.0),
            },
            state: [0.0; 4],
            narrow: false,
            episode: Episode::new(),
        }
    }

    fn observe(&self, obs: &mut [f32]) {
        let s = self.state;
        if self.narrow {
            // `cos(s[0])` of a float32 array element is numpy's float32 cosine, not the
            // float64 one rounded: for reset states they differ by an ulp about once in
            // 1,500 values.
            let (t1, t2) = (s[0] as f32, s[1] as f32);
            let values = [
                np_sincos_f32(t1, true),
                np_sincos_f32(t1, false),
                np_sincos_f32(t2, true),
                np_sincos_f32(t2, false),
                s[2] as f32,
                s[3] as f32,
            ];
            obs[..6].copy_from_slice(&values);
            return;
        }
        let values = [s[0].cos(), s[0].sin(), s[1].cos(), s[1].sin(), s[2], s[3]];
        for (o, v) in obs.iter_mut().zip(values) {
            *o = v as f32;
        }
    }

    fn terminal(&self) -> bool {
        let s = self.state;
        -s[0].cos() - (s[1] + s[0]).cos() > 1.0
    }
}

impl Default for Acrobot {
    fn default() -> Self {
        Self::new()
    }
}

/// numpy's float32 `cos` (`cos = true`) or `sin`, as numpy 2 computes them on CPUs with
/// FMA (`simd_sincos_f32` in `loops_trigonometric.dispatch.cpp`, also used for a scalar):
/// the quadrant `rint(x·2/π)` by the 1.5·2²³ trick (GCC contracts its multiply and add
/// into one FMA), Cody–Waite reduction by π/2 in three fused steps, then a degree-8 cosine
/// or degree-9 sine polynomial evaluated with FMA; beyond the reduction's range it calls
/// libm as numpy does. Max error 1.49 ulp, so it is not `(x as f64).cos() as f32`.
/// Checked against numpy 2.4.6 (X86_V3) on 10M random float32 bit patterns: all equal.
/// (Without FMA numpy calls libm's `cosf`/`sinf` instead; this port then differs by an
/// ulp now and then.)
fn np_sincos_f32(x: f32, cos: bool) -> f32 {
    const TWO_OVER_PI: u32 = 0x3f22_f983; // 0x1.45f306p-1
    const PIO2_HIGH: u32 = 0xbfc9_0fd8; // -0x1.921fb0p+00
    const PIO2_MED: u32 = 0xb4a8_885a; // -0x1.5110b4p-22
    const PIO2_LOW: u32 = 0xa7c2_34c4; // -0x1.846988p-48
    const RINT_MAGIC: f32 = 12_582_912.0; // 0x1.8p+23
    const COS: [u32; 5] = [
        0x37cc_730b,
        0xbab6_036e,
        0x3d2a_aa9e,
        0xbf00_0000,
        0x3f80_0000,
    ];
    const SIN: [u32; 4] = [0x363e_9dde, 0xb950_35dd, 0x3c08_88cd, 0xbe2a_aaab];
    let f = f32::from_bits;
    if x.is_nan() {
        return f32::NAN;
    }
    // numpy writes 71476.0625f and 117435.992f: the same f32 values.
    let max = if cos { 71_476.06 } else { 117_435.99 };
    if x.abs() > max {
        return if cos { x.cos() } else { x.sin() };
    }
    let quadrant = x.mul_add(f(TWO_OVER_PI), RINT_MAGIC) - RINT_MAGIC;
    let r = quadrant.mul_add(f(PIO2_HIGH), x);
    let r = quadrant.mul_add(f(PIO2_MED), r);
    let r = quadrant.mul_add(f(PIO2_LOW), r);
    let r2 = r * r;
    let c = COS[1..]
        .iter()
        .fold(f(COS[0]), |acc, &k| acc.mul_add(r2, f(k)));
    let s = SIN[1..]
        .iter()
        .fold(f(SIN[0]), |acc, &k| acc.mul_add(r2, f(k)));
    let s = s.mul_add(r2, 0.0).mul_add(r, r);
    let q = quadrant as i32 + i32::from(cos);
    let v = if q & 1 == 0 { s } else { c };
    if q & 2 == 2 {
        0.0 - v
    } else {
        v
    }
}

/// The time derivative of (θ1, θ2, θ̇1, θ̇2, torque), written in gymnasium's operation order.
/// The squares of the constants (`lc1**2`, …) are exact; those of the state (`dtheta1**2`,
/// `dtheta2**2`, `d2**2`) are numpy float64 scalar powers, i.e. libm `pow(x, 2.0)`, which
/// differs from `x * x` by an ulp now and then (see `np_square`).
fn dsdt(s: [f64; 5]) -> [f64; 5] {
    let (m1, m2, l1, lc1, lc2) = (
        LINK_MASS_1,
        LINK_MASS_2,
        LINK_LENGTH_1,
        LINK_COM_POS_1,
        LINK_COM_POS_2,
    );
    let (i1, i2) = (LINK_MOI, LINK_MOI);
    let g = 9.8;
    let a = s[4];
    let [theta1, theta2, dtheta1, dtheta2] = [s[0], s[1], s[2], s[3]];
    let d1 =
        m1 * (lc1 * lc1) + m2 * (l1 * l1 + lc2 * lc2 + 2.0 * l1 * lc2 * theta2.cos()) + i1 + i2;
    let d2 = m2 * (lc2 * lc2 + l1 * lc2 * theta2.cos()) + i2;
    let phi2 = m2 * lc2 * g * (theta1 + theta2 - PI / 2.0).cos();
    let phi1 = -m2 * l1 * lc2 * np_square(dtheta2) * theta2.sin()
        - 2.0 * m2 * l1 * lc2 * dtheta2 * dtheta1 * theta2.sin()
        + (m1 * lc1 + m2 * l1) * g * (theta1 - PI / 2.0).cos()
        + phi2;
    let ddtheta2 = (a + d2 / d1 * phi1 - m2 * l1 * lc2 * np_square(dtheta1) * theta2.sin() - phi2)
        / (m2 * (lc2 * lc2) + i2 - np_square(d2) / d1);
    let ddtheta1 = -(d2 * ddtheta2 + phi1) / d1;
    [dtheta1, dtheta2, ddtheta1, ddtheta2, 0.0]
}

/// One classical Runge–Kutta step over [0, DT], element by element as numpy does it.
fn rk4(y0: [f64; 5]) -> [f64; 5] {
    let dt = DT - 0.0;
    let dt2 = dt / 2.0;
    let axpy = |y: [f64; 5], h: f64, k: [f64; 5]| std::array::from_fn(|i| y[i] + h * k[i]);
    let k1 = dsdt(y0);
    let k2 = dsdt(axpy(y0, dt2, k1));
    let k3 = dsdt(axpy(y0, dt2, k2));
    let k4 = dsdt(axpy(y0, dt, k3));
    std::array::from_fn(|i| y0[i] + dt / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]))
}

/// gymnasium's `wrap`: shifts by whole periods into [m, M].
fn wrap(mut x: f64, m: f64, big_m: f64) -> f64 {
    let diff = big_m - m;
    while x > big_m {
        x -= diff;
    }
    while x < m {
        x += diff;
    }
    x
}

impl Env for Acrobot {
    fn spec(&self) -> &EnvSpec {
        &self.spec
    }

    fn reset(&mut self, seed: Option<u64>, obs: &mut [f32]) {
        self.episode.reset(seed);
        // gymnasium draws in f64 and stores `.astype(np.float32)`: start from f32 values.
        self.state = std::array::from_fn(|_| self.episode.uniform(-0.1, 0.1) as f32 as f64);
        self.narrow = true;
        self.observe(obs);
    }

    fn step(&mut self, action: Action<'_>, obs: &mut [f32]) -> Result<Transition, ControlError> {
        let a = discrete(self.spec.id, action, 3)?;
        self.episode.tick(self.spec.id)?;
        let s = self.state;
        let ns = rk4([s[0], s[1], s[2], s[3], AVAIL_TORQUE[a]]);
        self.state = [
            wrap(ns[0], -PI, PI),
            wrap(ns[1], -PI, PI),
            ns[2].clamp(-MAX_VEL_1, MAX_VEL_1),
            ns[3].clamp(-MAX_VEL_2, MAX_VEL_2),
        ];
        self.narrow = false;
        let terminated = self.terminal();
        let reward = if terminated { 0.0 } else { -1.0 };
        self.observe(obs);
        Ok(self
            .episode
            .finish(reward, terminated, self.spec.max_episode_steps))
    }

    fn state(&self) -> Vec<f64> {
        self.state.to_vec()
    }

    fn set_state(&mut self, state: &[f64], obs: &mut [f32]) -> Result<(), ControlError> {
        check_state(self.spec.id, state, 4)?;
        self.episode.reset(None);
        self.state.copy_from_slice(state);
        // gymnasium's reset states are float32 arrays: a state of float32 values is
        // observed as one.
        self.narrow = state.iter().all(|&v| f64::from(v as f32) == v);
        self.observe(obs);
        Ok(())
    }

    fn elapsed_steps(&self) -> u32 {
        self.episode.elapsed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (x, numpy 2.4 float32 result) bit patterns where numpy's float32 cosine or sine
    /// differs from the rounded float64 one.
    #[test]
    fn float32_trig_matches_numpy() {
        let cos = [
            (0x3db4_86ce, 0x3f7f_018e),
            (0xbd71_a4ec, 0x3f7f_8dfc),
            (0xbdbe_4bee, 0x3f7e_e54a),
        ];
        let sin = [
            (0x3db4_2547, 0x3db3_e9d4),
            (0x3dcb_9d48, 0x3dcb_4773),
            (0xbdc8_2c50, 0xbdc7_dac2),
        ];
        for (is_cos, cases) in [(true, cos), (false, sin)] {
            for (x, want) in cases {
                let x = f32::from_bits(x);
                let got = np_sincos_f32(x, is_cos);
                assert_eq!(got.to_bits(), want, "cos={is_cos} x={x:e}: {got:e}");
                let rounded = if is_cos {
                    f64::from(x).cos()
                } else {
                    f64::from(x).sin()
                };
                assert_ne!(
                    (rounded as f32).to_bits(),
                    want,
                    "not a distinguishing case"
                );
            }
        }
        assert!(np_sincos_f32(f32::NAN, true).is_nan());
        assert_eq!(np_sincos_f32(0.0, true), 1.0);
        assert_eq!(np_sincos_f32(0.0, false), 0.0);
    }
}
