//! Monte-Carlo returns of episodes that pay one reward at their end, and the pooled
//! standardisation REINFORCE uses as its baseline (the Meowjong paper's recipe).

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
