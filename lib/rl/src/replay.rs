//! A fixed-size ring buffer of transitions for off-policy learning (DQN, DDPG).

use std::path::Path;

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::checkpoint::CheckpointError;

/// Transitions (s, a, r, s', terminated); `s'` is the real next observation even when the
/// episode was truncated, and `terminated` alone stops bootstrapping (as CleanRL and SB3).
#[derive(Clone, Debug)]
pub struct ReplayBuffer {
    obs_dim: usize,
    act_dim: usize,
    capacity: usize,
    len: usize,
    next: usize,
    obs: Vec<f32>,
    next_obs: Vec<f32>,
    actions: Vec<f32>,
    rewards: Vec<f32>,
    terminated: Vec<f32>,
}

/// A sampled minibatch, row-major.
#[derive(Clone, Debug, Default)]
pub struct Minibatch {
    /// Rows.
    pub size: usize,
    /// Observations (size × obs_dim).
    pub obs: Vec<f32>,
    /// Next observations (size × obs_dim).
    pub next_obs: Vec<f32>,
    /// Actions (size × act_dim).
    pub actions: Vec<f32>,
    /// Rewards.
    pub rewards: Vec<f32>,
    /// 1.0 where the next state is terminal.
    pub terminated: Vec<f32>,
}

impl ReplayBuffer {
    /// An empty buffer holding up to `capacity` transitions.
    pub fn new(obs_dim: usize, act_dim: usize, capacity: usize) -> Self {
        ReplayBuffer {
            obs_dim,
            act_dim,
            capacity,
            len: 0,
            next: 0,
            obs: vec![0.0; capacity * obs_dim],
            next_obs: vec![0.0; capacity * obs_dim],
            actions: vec![0.0; capacity * act_dim],
            rewards: vec![0.0; capacity],
            terminated: vec![0.0; capacity],
        }
    }

    /// Stored transitions.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Nothing stored yet.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Adds a transition, overwriting the oldest when full.
    pub fn push(&mut self, obs: &[f32], action: &[f32], reward: f64, next_obs: &[f32], term: bool) {
        let (i, d, k) = (self.next, self.obs_dim, self.act_dim);
        self.obs[i * d..(i + 1) * d].copy_from_slice(obs);
        self.next_obs[i * d..(i + 1) * d].copy_from_slice(next_obs);
        self.actions[i * k..(i + 1) * k].copy_from_slice(action);
        self.rewards[i] = reward as f32;
        self.terminated[i] = if term { 1.0 } else { 0.0 };
        self.next = (self.next + 1) % self.capacity;
        self.len = (self.len + 1).min(self.capacity);
    }

    /// Samples `size` transitions uniformly with replacement into `out`.
    pub fn sample(&self, size: usize, rng: &mut ChaCha8Rng, out: &mut Minibatch) {
        let (d, k) = (self.obs_dim, self.act_dim);
        out.size = size;
        for v in [&mut out.obs, &mut out.next_obs, &mut out.actions] {
            v.clear();
        }
        out.rewards.clear();
        out.terminated.clear();
        for _ in 0..size {
            let i = rng.gen_range(0..self.len);
            out.obs.extend_from_slice(&self.obs[i * d..(i + 1) * d]);
            out.next_obs
                .extend_from_slice(&self.next_obs[i * d..(i + 1) * d]);
            out.actions
                .extend_from_slice(&self.actions[i * k..(i + 1) * k]);
            out.rewards.push(self.rewards[i]);
            out.terminated.push(self.terminated[i]);
        }
    }

    /// Writes the buffer (raw little-endian f32 columns after a small header).
    pub fn save(&self, path: &Path) -> Result<(), CheckpointError> {
        let mut bytes = Vec::with_capacity(40 + 4 * (self.obs.len() * 2 + self.actions.len()));
        for v in [
            self.obs_dim,
            self.act_dim,
            self.capacity,
            self.len,
            self.next,
        ] {
            bytes.extend_from_slice(&(v as u64).to_le_bytes());
        }
        for col in [
            &self.obs,
            &self.next_obs,
            &self.actions,
            &self.rewards,
            &self.terminated,
        ] {
            bytes.extend(col.iter().flat_map(|x| x.to_le_bytes()));
        }
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, bytes).map_err(|e| CheckpointError::new(&tmp, e.to_string()))?;
        std::fs::rename(&tmp, path).map_err(|e| CheckpointError::new(path, e.to_string()))
    }

    /// Restores a buffer written by [`ReplayBuffer::save`] with the same dimensions.
    pub fn load(&mut self, path: &Path) -> Result<(), CheckpointError> {
        let bytes = std::fs::read(path).map_err(|e| CheckpointError::new(path, e.to_string()))?;
        let header: Vec<usize> = bytes
            .get(..40)
            .ok_or_else(|| CheckpointError::new(path, "truncated header"))?
            .chunks_exact(8)
            .map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes")) as usize)
            .collect();
        let expected = [self.obs_dim, self.act_dim, self.capacity];
        if header[..3] != expected {
            return Err(CheckpointError::new(
                path,
                format!(
                    "buffer dims/capacity {:?} differ from the config's {expected:?}",
                    &header[..3]
                ),
            ));
        }
        let floats: Vec<f32> = bytes[40..]
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes(b.try_into().expect("4 bytes")))
            .collect();
        let sizes = [
            self.obs.len(),
            self.next_obs.len(),
            self.actions.len(),
            self.rewards.len(),
            self.terminated.len(),
        ];
        if floats.len() != sizes.iter().sum::<usize>() || header[3] > self.capacity {
            return Err(CheckpointError::new(
                path,
                "buffer file is truncated or corrupt",
            ));
        }
        let mut rest = &floats[..];
        for (col, n) in [
            &mut self.obs,
            &mut self.next_obs,
            &mut self.actions,
            &mut self.rewards,
            &mut self.terminated,
        ]
        .into_iter()
        .zip(sizes)
        {
            col.copy_from_slice(&rest[..n]);
            rest = &rest[n..];
        }
        self.len = header[3];
        self.next = header[4] % self.capacity;
        Ok(())
    }
}
