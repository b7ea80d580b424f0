//! Monte-Carlo returns of episodes that pay one reward at their end, the pooled
//! standardisation REINFORCE uses as its baseline (the Meowjong paper's recipe), and the
//! bootstrapped n-step returns of A3C's segments.

/// How a segment of at most t_max steps ended: what its last return bootstraps from.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum SegmentEnd {
    /// A terminal state: nothing follows, R = 0.
    Terminated,
    /// The time limit cut the episode: R = V(final observation), the state it stopped in.
    Truncated(f64),
    /// t_max steps taken mid-episode: R = V(s_t) of the observation acted on next.
    Running(f64),
}

/// The n-step returns of one segment (Mnih et al. 2016, Algorithm S3):
/// `R_i = r_i + γ·R_{i+1}`, back from `R = 0` after a terminal state and from the critic's
/// value of the state the segment stopped in otherwise. A segment ends at an episode's end,
/// so a truncated episode's last step is bootstrapped like a running one, from the state
/// the time limit cut.
pub fn n_step_returns(rewards: &[f64], end: SegmentEnd, gamma: f64) -> Vec<f64> {
    let mut r = match end {
        SegmentEnd::Terminated => 0.0,
        SegmentEnd::Truncated(v) | SegmentEnd::Running(v) => v,
    };
    let mut out = vec![0.0; rewards.len()];
    for (i, reward) in rewards.iter().enumerate().rev() {
        r = reward + gamma * r;
        out[i] = r;
    }
    out
}

/// The returns of an episode with `steps` decisions and one reward `reward` at its end:
/// `G_t = reward · γ^(steps − 1 − t)` (the last decision gets the whole reward).
pub fn terminal_returns(reward: f64, steps: usize, gamma: f64) -> Vec<f64> {
    (0..steps)
        .map(|t| reward * gamma.powi((steps - 1 - t) as i32))
        .collect()
}

/// `values` minus their mean, over their standard deviation (population), in place; all
/// zeros when they are all equal (nothing to prefer).
pub fn standardize(values: &mut [f64]) {
    let n = values.len();
    if n == 0 {
        return;
    }
    let mean = values.iter().sum::<f64>() / n as f64;
    let var = values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n as f64;
    let sd = var.sqrt();
    for v in values.iter_mut() {
        *v = if sd > 1e-12 { (*v - mean) / sd } else { 0.0 };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn returns_discount_back_from_the_end() {
        let g = terminal_returns(8000.0, 3, 0.5);
        assert_eq!(g, vec![2000.0, 4000.0, 8000.0]);
        assert!(terminal_returns(1.0, 0, 0.99).is_empty());
        let g = terminal_returns(-1000.0, 4, 0.99);
        assert!((g[0] - (-1000.0 * 0.99f64.powi(3))).abs() < 1e-9);
    }

    #[test]
    fn n_step_returns_bootstrap_unless_terminal() {
        let r = [1.0, 0.0, 2.0];
        // Terminal: plain discounted sums, the last step gets only its reward.
        assert_eq!(
            n_step_returns(&r, SegmentEnd::Terminated, 0.5),
            vec![1.0 + 0.5 * (0.0 + 0.5 * 2.0), 0.5 * 2.0, 2.0]
        );
        // Mid-episode after t_max steps: every return reaches V(s_t) with γ^(n − i).
        let g = n_step_returns(&r, SegmentEnd::Running(8.0), 0.5);
        assert_eq!(
            g,
            vec![
                1.0 + 0.5 * (0.5 * (2.0 + 0.5 * 8.0)),
                0.5 * (2.0 + 4.0),
                6.0
            ]
        );
        // A truncated episode bootstraps from the state the time limit cut, like a running
        // segment, and unlike a terminal one.
        assert_eq!(
            n_step_returns(&r, SegmentEnd::Truncated(8.0), 0.5),
            n_step_returns(&r, SegmentEnd::Running(8.0), 0.5)
        );
        assert_eq!(
            n_step_returns(&[-1.0], SegmentEnd::Truncated(-50.0), 0.99),
            vec![-50.5]
        );
        assert!(n_step_returns(&[], SegmentEnd::Running(3.0), 0.9).is_empty());
    }

    #[test]
    fn standardized_values_have_zero_mean_and_unit_spread() {
        let mut v = vec![3.0, -1.0, 0.0, 10.0];
        standardize(&mut v);
        let mean = v.iter().sum::<f64>() / 4.0;
        let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / 4.0;
        assert!(mean.abs() < 1e-12 && (var - 1.0).abs() < 1e-12);
        let mut same = vec![5.0; 3];
        standardize(&mut same);
        assert_eq!(same, vec![0.0; 3]);
    }
}
