//! N copies of one environment stepped together, with gymnasium's "same-step" automatic
//! reset: when an episode ends its final observation is kept aside and the returned
//! observation is already the next episode's first.

use crate::{make, Action, ControlError, Env, EnvSpec};

/// A batch of environments for on-policy algorithms (PPO, A2C).
pub struct VecEnv {
    envs: Vec<Box<dyn Env>>,
    spec: EnvSpec,
    obs: Vec<f32>,
    final_obs: Vec<f32>,
    rewards: Vec<f64>,
    terminated: Vec<bool>,
    truncated: Vec<bool>,
    returns: Vec<f64>,
    finished: Vec<FinishedEpisode>,
}

/// An episode that ended during the last [`VecEnv::step`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FinishedEpisode {
    /// Which env of the batch.
    pub env: usize,
    /// Undiscounted return.
    pub ret: f64,
    /// Steps.
    pub length: u32,
}

/// What one [`VecEnv::step`] produced; slices are indexed by env (observations are
/// `n × obs_dim`, row-major).
pub struct VecStep<'a> {
    /// Observations to act on next (first observations where an episode just ended).
    pub obs: &'a [f32],
    /// Rewards of this step.
    pub rewards: &'a [f64],
    /// Terminal flags of this step.
    pub terminated: &'a [bool],
    /// Time-limit flags of this step.
    pub truncated: &'a [bool],
    /// The observation each env reached this step, before any automatic reset (use it to
    /// bootstrap truncated episodes).
    pub final_obs: &'a [f32],
    /// Episodes that ended this step.
    pub finished: &'a [FinishedEpisode],
}

impl VecEnv {
    /// `n` copies of env `id`; env `i` is seeded with `seed + i` at [`VecEnv::reset`].
    pub fn new(id: &str, n: usize) -> Result<Self, ControlError> {
        let envs = (0..n).map(|_| make(id)).collect::<Result<Vec<_>, _>>()?;
        let spec = envs
            .first()
            .map(|e| e.spec().clone())
            .ok_or_else(|| ControlError::UnknownEnv(format!("{id} × 0 envs")))?;
        let d = spec.obs_dim;
        Ok(VecEnv {
            envs,
            spec,
            obs: vec![0.0; n * d],
            final_obs: vec![0.0; n * d],
            rewards: vec![0.0; n],
            terminated: vec![false; n],
            truncated: vec![false; n],
            returns: vec![0.0; n],
            finished: Vec::new(),
        })
    }

    /// Number of envs.
    pub fn len(&self) -> usize {
        self.envs.len()
    }

    /// Always false: a `VecEnv` has at least one env.
    pub fn is_empty(&self) -> bool {
        self.envs.is_empty()
    }

    /// The spec shared by every env.
    pub fn spec(&self) -> &EnvSpec {
        &self.spec
    }

    /// Resets every env (env `i` with seed `seed + i`) and returns the observations.
    pub fn reset(&mut self, seed: u64) -> &[f32] {
        let d = self.spec.obs_dim;
        for (i, env) in self.envs.iter_mut().enumerate() {
            env.reset(
                Some(seed.wrapping_add(i as u64)),
                &mut self.obs[i * d..(i + 1) * d],
            );
        }
        self.returns.fill(0.0);
        &self.obs
    }

    /// Current observations (`n × obs_dim`).
    pub fn obs(&self) -> &[f32] {
        &self.obs
    }

    /// Steps every env with one discrete action each.
    pub fn step_discrete(&mut self, actions: &[usize]) -> Result<VecStep<'_>, ControlError> {
        assert_eq!(actions.len(), self.len(), "one action per env");
        self.step_with(|i| Action::Discrete(actions[i]))
    }

    /// Steps every env with `act_dim` floats each (`n × act_dim`, row-major).
    pub fn step_continuous(&mut self, actions: &[f32]) -> Result<VecStep<'_>, ControlError> {
        let k = self.spec.action_space.dim();
        assert_eq!(actions.len(), self.len() * k, "act_dim floats per env");
        self.step_with(|i| Action::Continuous(&actions[i * k..(i + 1) * k]))
    }

    fn step_with<'a>(
        &mut self,
        action: impl Fn(usize) -> Action<'a>,
    ) -> Result<VecStep<'_>, ControlError> {
        let d = self.spec.obs_dim;
        self.finished.clear();
        for (i, env) in self.envs.iter_mut().enumerate() {
            let obs = &mut self.obs[i * d..(i + 1) * d];
            let t = env.step(action(i), obs)?;
            self.rewards[i] = t.reward;
            self.terminated[i] = t.terminated;
            self.truncated[i] = t.truncated;
            self.returns[i] += t.reward;
            if t.done() {
                self.final_obs[i * d..(i + 1) * d].copy_from_slice(obs);
                self.finished.push(FinishedEpisode {
                    env: i,
                    ret: self.returns[i],
                    length: env.elapsed_steps(),
                });
                self.returns[i] = 0.0;
                env.reset(None, obs);
            }
        }
        Ok(VecStep {
            obs: &self.obs,
            rewards: &self.rewards,
            terminated: &self.terminated,
            truncated: &self.truncated,
            final_obs: &self.final_obs,
            finished: &self.finished,
        })
    }
}
