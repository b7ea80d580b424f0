//! On-policy rollout storage and generalised advantage estimation.

/// One rollout of `num_steps × num_envs` transitions, step-major (index `t·num_envs + i`).
#[derive(Clone, Debug, Default)]
pub struct Rollout {
    /// Envs per step.
    pub num_envs: usize,
    /// Observations acted on (`obs_dim` floats each).
    pub obs: Vec<f32>,
    /// The policy's samples (an index, the unclipped Gaussian sample, or bits 0/1).
    pub actions: Vec<f32>,
    /// log π(a | s) at collection time.
    pub log_probs: Vec<f32>,
    /// V(s) at collection time.
    pub values: Vec<f32>,
    /// Env rewards.
    pub rewards: Vec<f32>,
    /// The step reached a terminal state.
    pub terminated: Vec<bool>,
    /// The step hit the time limit.
    pub truncated: Vec<bool>,
    /// V(final_obs) where truncated and not terminated (0 elsewhere).
    pub final_values: Vec<f32>,
    /// GAE advantages (after [`Rollout::compute_gae`]).
    pub advantages: Vec<f32>,
    /// Advantages + values: the value targets.
    pub returns: Vec<f32>,
}

impl Rollout {
    /// Transitions stored.
    pub fn len(&self) -> usize {
        self.rewards.len()
    }

    /// No transitions stored.
    pub fn is_empty(&self) -> bool {
        self.rewards.is_empty()
    }

    /// Empties every column (keeps the allocations).
    pub fn clear(&mut self) {
        self.obs.clear();
        self.actions.clear();
        self.log_probs.clear();
        self.values.clear();
        self.rewards.clear();
        self.terminated.clear();
        self.truncated.clear();
        self.final_values.clear();
        self.advantages.clear();
        self.returns.clear();
    }

    /// GAE(γ, λ) (SB3's form: a done step does not look past itself). A truncated step's
    /// reward gets γ·V(final_obs) added and it then counts as done; `last_values` are
    /// V(s) of the observations after the last step.
    pub fn compute_gae(&mut self, last_values: &[f32], gamma: f32, lambda: f32) {
        let n = self.num_envs;
        assert_eq!(last_values.len(), n, "one last value per env");
        let len = self.len();
        self.advantages = vec![0.0; len];
        let mut last_gae = vec![0.0f32; n];
        for t in (0..len / n).rev() {
            for i in 0..n {
                let j = t * n + i;
                let mut reward = self.rewards[j];
                if self.truncated[j] && !self.terminated[j] {
                    reward += gamma * self.final_values[j];
                }
                let done = self.terminated[j] || self.truncated[j];
                let next_nonterminal = if done { 0.0 } else { 1.0 };
                let next_value = if j + n < len {
                    self.values[j + n]
                } else {
                    last_values[i]
                };
                let delta = reward + gamma * next_value * next_nonterminal - self.values[j];
                last_gae[i] = delta + gamma * lambda * next_nonterminal * last_gae[i];
                self.advantages[j] = last_gae[i];
            }
        }
        self.returns = self
            .advantages
            .iter()
            .zip(&self.values)
            .map(|(a, v)| a + v)
            .collect();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one_env_rollout() -> Rollout {
        // Five steps of one env: terminated at t = 1, truncated at t = 3 with
        // V(final_obs) = 4.
        Rollout {
            num_envs: 1,
            values: vec![1.0, 2.0, 3.0, 4.0, 5.0],
            rewards: vec![1.0; 5],
            terminated: vec![false, true, false, false, false],
            truncated: vec![false, false, false, true, false],
            final_values: vec![0.0, 0.0, 0.0, 4.0, 0.0],
            ..Rollout::default()
        }
    }

    #[test]
    fn gae_by_hand_with_termination_and_truncation() {
        let mut r = one_env_rollout();
        // γ = λ = 0.5, V(last obs) = 2.
        r.compute_gae(&[2.0], 0.5, 0.5);
        // t4: δ = 1 + 0.5·2 − 5 = −3.
        // t3 (truncated): r' = 1 + 0.5·4 = 3, δ = 3 − 4 = −1, no look-ahead.
        // t2: δ = 1 + 0.5·4 − 3 = 0, A = 0 + 0.25·(−1) = −0.25.
        // t1 (terminated): δ = 1 − 2 = −1.
        // t0: δ = 1 + 0.5·2 − 1 = 1, A = 1 + 0.25·(−1) = 0.75.
        assert_eq!(r.advantages, vec![0.75, -1.0, -0.25, -1.0, -3.0]);
        assert_eq!(r.returns, vec![1.75, 1.0, 2.75, 3.0, 2.0]);
        // λ = 1: plain n-step discounted returns (A2C).
        r.compute_gae(&[2.0], 0.5, 1.0);
        assert_eq!(r.returns, vec![1.5, 1.0, 2.5, 3.0, 2.0]);
    }

    #[test]
    fn gae_keeps_envs_apart() {
        // Two envs interleaved step-major: env 0 as above, env 1 all zeros.
        let a = one_env_rollout();
        let mut r = Rollout {
            num_envs: 2,
            ..Rollout::default()
        };
        for t in 0..5 {
            r.values.extend([a.values[t], 0.0]);
            r.rewards.extend([a.rewards[t], 0.0]);
            r.terminated.extend([a.terminated[t], false]);
            r.truncated.extend([a.truncated[t], false]);
            r.final_values.extend([a.final_values[t], 0.0]);
        }
        r.compute_gae(&[2.0, 0.0], 0.5, 0.5);
        let env0: Vec<f32> = r.advantages.iter().step_by(2).copied().collect();
        assert_eq!(env0, vec![0.75, -1.0, -0.25, -1.0, -3.0]);
        assert!(r.advantages.iter().skip(1).step_by(2).all(|a| *a == 0.0));
    }
}
