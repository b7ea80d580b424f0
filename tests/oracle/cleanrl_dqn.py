"""CleanRL's dqn.py algorithm (torch, CPU) with periodic evaluation, for a same-machine
wall-time comparison with `meowlab run experiments/cartpole-dqn.toml`.

Written after CleanRL's single-file DQN: same Q-network (120-84 ReLU), hyper-parameters
(lr 2.5e-4, buffer 10k, γ 0.99, hard target update every 500, batch 128, ε 1→0.05 over
50% of 500k steps, learning starts 10k, train every 10), gymnasium SyncVectorEnv with one
env, real next observations on truncation, MSE TD loss and Adam. Added: a deterministic
evaluation of 10 episodes (seeds 1,000,000+i, as meowlab) every --eval-every steps; the
script prints one JSON line per evaluation and stops at --stop-at (default 475) or the
step budget.

usage: python cleanrl_dqn.py [--seed 1] [--total-timesteps 500000] [--eval-every 10000]
"""

import argparse
import json
import random
import time

import gymnasium as gym
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim


class QNetwork(nn.Module):
    def __init__(self, obs_dim, n_actions):
        super().__init__()
        self.network = nn.Sequential(
            nn.Linear(obs_dim, 120),
            nn.ReLU(),
            nn.Linear(120, 84),
            nn.ReLU(),
            nn.Linear(84, n_actions),
        )

    def forward(self, x):
        return self.network(x)


def linear_schedule(start_e, end_e, duration, t):
    slope = (end_e - start_e) / duration
    return max(slope * t + start_e, end_e)


class Replay:
    """Uniform replay over a ring buffer (what SB3's ReplayBuffer does for CleanRL)."""

    def __init__(self, capacity, obs_dim):
        self.obs = np.zeros((capacity, obs_dim), np.float32)
        self.next_obs = np.zeros((capacity, obs_dim), np.float32)
        self.actions = np.zeros((capacity, 1), np.int64)
        self.rewards = np.zeros((capacity, 1), np.float32)
        self.dones = np.zeros((capacity, 1), np.float32)
        self.capacity, self.pos, self.full = capacity, 0, False

    def add(self, obs, next_obs, action, reward, done):
        i = self.pos
        self.obs[i], self.next_obs[i] = obs, next_obs
        self.actions[i], self.rewards[i], self.dones[i] = action, reward, done
        self.pos = (self.pos + 1) % self.capacity
        self.full = self.full or self.pos == 0

    def sample(self, n):
        upper = self.capacity if self.full else self.pos
        idx = np.random.randint(0, upper, size=n)
        t = torch.from_numpy
        return (t(self.obs[idx]), t(self.actions[idx]), t(self.next_obs[idx]),
                t(self.dones[idx]), t(self.rewards[idx]))


def evaluate(q_network, env_id, episodes, seed):
    env = gym.make(env_id)
    returns = []
    for i in range(episodes):
        obs, _ = env.reset(seed=seed + i)
        done, ret = False, 0.0
        while not done:
            with torch.no_grad():
                action = int(torch.argmax(q_network(torch.tensor(obs).unsqueeze(0)), dim=1))
            obs, reward, terminated, truncated, _ = env.step(action)
            ret += float(reward)
            done = terminated or truncated
        returns.append(ret)
    return float(np.mean(returns)), float(np.std(returns))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--env-id", default="CartPole-v1")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--total-timesteps", type=int, default=500_000)
    p.add_argument("--eval-every", type=int, default=10_000)
    p.add_argument("--eval-episodes", type=int, default=10)
    p.add_argument("--stop-at", type=float, default=475.0)
    a = p.parse_args()
    lr, buffer_size, gamma, tau = 2.5e-4, 10_000, 0.99, 1.0
    target_network_frequency, batch_size = 500, 128
    start_e, end_e, exploration_fraction = 1.0, 0.05, 0.5
    learning_starts, train_frequency = 10_000, 10

    random.seed(a.seed)
    np.random.seed(a.seed)
    torch.manual_seed(a.seed)
    torch.backends.cudnn.deterministic = True
    envs = gym.vector.SyncVectorEnv([lambda: gym.make(a.env_id)])
    obs_dim = envs.single_observation_space.shape[0]
    n_actions = envs.single_action_space.n
    q_network = QNetwork(obs_dim, n_actions)
    optimizer = optim.Adam(q_network.parameters(), lr=lr)
    target_network = QNetwork(obs_dim, n_actions)
    target_network.load_state_dict(q_network.state_dict())
    rb = Replay(buffer_size, obs_dim)
    start = time.time()
    obs, _ = envs.reset(seed=a.seed)
    for global_step in range(a.total_timesteps):
        # ALGO LOGIC: ε-greedy
        epsilon = linear_schedule(start_e, end_e, exploration_fraction * a.total_timesteps, global_step)
        if random.random() < epsilon:
            actions = np.array([envs.single_action_space.sample()])
        else:
            q_values = q_network(torch.Tensor(obs))
            actions = torch.argmax(q_values, dim=1).cpu().numpy()
        next_obs, rewards, terminations, truncations, infos = envs.step(actions)
        real_next_obs = next_obs.copy()
        # gymnasium 1.x vector envs reset on the *next* step (autoreset mode NEXT_STEP):
        # the returned next_obs is already the real final observation here.
        rb.add(obs[0], real_next_obs[0], actions[0], rewards[0], terminations[0])
        if terminations[0] or truncations[0]:
            # the autoreset step that follows is not a transition: do it now.
            next_obs, _ = envs.reset()
        obs = next_obs
        # ALGO LOGIC: training
        if global_step > learning_starts:
            if global_step % train_frequency == 0:
                b_obs, b_act, b_next, b_done, b_rew = rb.sample(batch_size)
                with torch.no_grad():
                    target_max, _ = target_network(b_next).max(dim=1)
                    td_target = b_rew.flatten() + gamma * target_max * (1 - b_done.flatten())
                old_val = q_network(b_obs).gather(1, b_act).squeeze()
                loss = F.mse_loss(td_target, old_val)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
            if global_step % target_network_frequency == 0:
                for tp, qp in zip(target_network.parameters(), q_network.parameters()):
                    tp.data.copy_(tau * qp.data + (1.0 - tau) * tp.data)
        step = global_step + 1
        if step % a.eval_every == 0:
            mean, std = evaluate(q_network, a.env_id, a.eval_episodes, 1_000_000)
            wall = time.time() - start
            print(json.dumps({"step": step, "wall_s": wall, "eval_mean": mean, "eval_std": std}), flush=True)
            if mean >= a.stop_at:
                break
    envs.close()


if __name__ == "__main__":
    main()
