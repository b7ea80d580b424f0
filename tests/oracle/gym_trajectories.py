#!/usr/bin/env python3
"""Record gymnasium classic-control trajectories for meowlab's dynamics cross-check.

Runs ``gymnasium.make(ENV_ID)`` (with its registered ``TimeLimit``) for N steps over as
many episodes as that takes and writes every step to one binary file, which
``control-crosscheck`` (tests/src/bin/control_crosscheck.rs) replays through
``meowlab_control``: it injects each episode's reset state with ``Env::set_state`` and
then applies the recorded actions without ever re-injecting, so any difference in the
dynamics accumulates and shows.

Usage::

    python gym_trajectories.py ENV_ID [--steps N] [--seed S] -o FILE

Actions (a ``numpy.random.default_rng(seed)`` stream, separate from the
env's own generator, which is seeded once by ``env.reset(seed=seed)``):

* discrete: uniform over the actions;
* continuous: float32, per step 70 % uniform in 1.5x the bounds (so about a third fall
  outside and exercise the clipping, and MountainCarContinuous's reward on the
  *unclipped* action), 10 % exactly the lower bound, 10 % exactly the upper bound,
  10 % uniform inside the bounds;
* so that terminal states and time limits are reached too, a fraction of the episodes
  (``--heuristic``, default per env) follow a simple controller with 10 % random steps:
  CartPole balances (truncates at 500), Acrobot pumps on the second joint's velocity and
  MountainCarContinuous pushes along its velocity with |a| in [0.5, 1.5] (both terminate
  at the goal). Pendulum never terminates and always truncates at 200.

File layout (little-endian)::

    b"MEOWGYM1"                     8-byte magic
    u64                             length H of the JSON header in bytes
    H bytes                         JSON header (UTF-8), see ``header`` below
    steps x row_len float64         one row per step

Row columns, in order (``header["columns"]`` gives name, offset and length of each):

    new_episode      1   1.0 if this step is the first of an episode, else 0.0
    reset_state      S   env.unwrapped.state right after that reset (0.0 otherwise)
    reset_obs        O   the observation reset returned (float32 values; 0.0 otherwise)
    action           A   the action (the index for a discrete space; float32 values)
    reward           1   the reward (float)
    terminated       1   0.0 / 1.0
    truncated        1   0.0 / 1.0
    obs              O   the observation step returned (float32 values)
    state            S   env.unwrapped.state after the step, as float64

float32 values are stored exactly (float32 -> float64 is lossless).
"""

from __future__ import annotations

import argparse
import json
import platform
import struct
import sys
import time

import gymnasium
import numpy as np

MAGIC = b"MEOWGYM1"
FORMAT_VERSION = 1

# Fraction of episodes run by the heuristic controller (see the module docstring).
DEFAULT_HEURISTIC = {
    "CartPole-v1": 0.05,
    "Pendulum-v1": 0.0,
    "MountainCarContinuous-v0": 0.5,
    "Acrobot-v1": 0.3,
}


def heuristic(env_id: str, state: np.ndarray, rng: np.random.Generator):
    """A controller that reaches the time limit (CartPole) or the goal (the others)."""
    if env_id == "CartPole-v1":
        x, x_dot, theta, theta_dot = (float(v) for v in state)
        return int(3 * theta + theta_dot + 0.1 * x + 0.5 * x_dot > 0)
    if env_id == "Acrobot-v1":
        return 2 if float(state[3]) > 0 else 0
    if env_id == "MountainCarContinuous-v0":
        sign = 1.0 if float(state[1]) >= 0 else -1.0
        return np.array([sign * rng.uniform(0.5, 1.5)], dtype=np.float32)
    raise ValueError(f"no heuristic controller for {env_id}")


def random_action(space, rng: np.random.Generator):
    if isinstance(space, gymnasium.spaces.Discrete):
        return int(space.start + rng.integers(space.n))
    low = space.low.astype(np.float64)
    high = space.high.astype(np.float64)
    u = rng.random()
    if u < 0.7:
        mid, half = (low + high) / 2, (high - low) / 2
        a = rng.uniform(mid - 1.5 * half, mid + 1.5 * half)
    elif u < 0.8:
        a = low
    elif u < 0.9:
        a = high
    else:
        a = rng.uniform(low, high)
    return np.asarray(a, dtype=np.float32).reshape(space.shape)


def state_of(env) -> np.ndarray:
    return np.asarray(env.unwrapped.state, dtype=np.float64).ravel()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("env_id")
    p.add_argument("--steps", type=int, default=100_000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--heuristic",
        type=float,
        default=None,
        help="fraction of episodes run by the heuristic controller (default: per env)",
    )
    p.add_argument("-o", "--out", required=True)
    a = p.parse_args()

    env = gymnasium.make(a.env_id)
    frac = DEFAULT_HEURISTIC.get(a.env_id, 0.0) if a.heuristic is None else a.heuristic
    space = env.action_space
    discrete = isinstance(space, gymnasium.spaces.Discrete)
    act_dim = 1 if discrete else int(np.prod(space.shape))
    obs, _ = env.reset(seed=a.seed)
    state_dim = state_of(env).size
    obs_dim = int(np.asarray(obs).size)

    layout = [
        ("new_episode", 1),
        ("reset_state", state_dim),
        ("reset_obs", obs_dim),
        ("action", act_dim),
        ("reward", 1),
        ("terminated", 1),
        ("truncated", 1),
        ("obs", obs_dim),
        ("state", state_dim),
    ]
    columns, off = {}, 0
    for name, n in layout:
        columns[name] = (off, n)
        off += n
    row_len = off

    rows = np.zeros((a.steps, row_len), dtype=np.float64)
    rng = np.random.default_rng(a.seed)
    new_episode, use_heuristic = True, False
    episodes = terminated_eps = truncated_eps = 0
    start = time.perf_counter()
    for i in range(a.steps):
        row = rows[i]
        if new_episode:
            if i > 0:
                obs, _ = env.reset()
            episodes += 1
            use_heuristic = frac > 0 and rng.random() < frac
            o, n = columns["new_episode"]
            row[o] = 1.0
            o, n = columns["reset_state"]
            row[o : o + n] = state_of(env)
            o, n = columns["reset_obs"]
            row[o : o + n] = np.asarray(obs, dtype=np.float32).ravel()
        if use_heuristic and rng.random() >= 0.1:
            action = heuristic(a.env_id, env.unwrapped.state, rng)
        else:
            action = random_action(space, rng)
        obs, reward, term, trunc, _ = env.step(action)
        o, n = columns["action"]
        row[o : o + n] = np.asarray(action, dtype=np.float64).ravel()
        row[columns["reward"][0]] = float(reward)
        row[columns["terminated"][0]] = 1.0 if term else 0.0
        row[columns["truncated"][0]] = 1.0 if trunc else 0.0
        o, n = columns["obs"]
        row[o : o + n] = np.asarray(obs, dtype=np.float32).ravel()
        o, n = columns["state"]
        row[o : o + n] = state_of(env)
        new_episode = bool(term or trunc)
        terminated_eps += bool(term)
        truncated_eps += bool(trunc) and not bool(term)
    seconds = time.perf_counter() - start

    header = {
        "format": "meowlab-gym-trajectories",
        "version": FORMAT_VERSION,
        "env_id": a.env_id,
        "steps": a.steps,
        "episodes": episodes,
        "seed": a.seed,
        "heuristic_fraction": frac,
        "discrete": discrete,
        "state_dim": state_dim,
        "obs_dim": obs_dim,
        "action_dim": act_dim,
        "row_len": row_len,
        "columns": [{"name": k, "offset": o, "len": n} for k, (o, n) in columns.items()],
        "gymnasium": gymnasium.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
        "machine": platform.machine(),
    }
    blob = json.dumps(header).encode()
    with open(a.out, "wb") as f:
        f.write(MAGIC)
        f.write(struct.pack("<Q", len(blob)))
        f.write(blob)
        rows.astype("<f8").tofile(f)
    print(
        f"{a.env_id}: {a.steps} steps, {episodes} episodes "
        f"({terminated_eps} terminated, {truncated_eps} truncated) in {seconds:.1f}s "
        f"-> {a.out}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
