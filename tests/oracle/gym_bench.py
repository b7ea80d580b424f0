#!/usr/bin/env python3
"""gymnasium's classic-control speed, for comparison with ``meowlab bench control``.

Usage::

    python gym_bench.py ENV_ID... [--steps N] [--vec-steps M] [--num-envs K] [--seed S]
                                  [--repeat R]

For each env prints one JSON line to stdout::

    {"env_id": ..., "gymnasium": "1.4.0", "steps": N, "seconds": s, "steps_per_sec": x,
     "vector": {"mode": ..., "num_envs": K, "env_steps": m, "seconds": s,
                "env_steps_per_sec": y}}

* the single-env figure is the usual python loop over ``gymnasium.make(id)`` (with its
  TimeLimit and checker wrappers), calling ``reset()`` when an episode ends;
* the vector figure steps ``gymnasium.make_vec(id, num_envs=K, ...)``:
  ``vectorization_mode="vector_entry_point"`` where the env registers a native numpy vector
  env (CartPole), else ``"sync"`` (K python envs stepped in a loop); it counts env-steps
  (K per call), autoreset is gymnasium's default. ``--vec-steps 0`` skips it.

Actions are drawn up front (uniform over the action space, ``numpy.random.default_rng``)
so that only the env is timed. Each figure is the fastest of R runs (default 1) on a fresh
env.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import gymnasium
import numpy as np


def actions_for(space, n: int, rng: np.random.Generator, batch: int | None = None) -> list:
    if isinstance(space, gymnasium.spaces.Discrete):
        if batch is None:
            return [int(a) for a in space.start + rng.integers(space.n, size=n)]
        return list(space.start + rng.integers(space.n, size=(n, batch)))
    shape = space.shape if batch is None else (batch, *space.shape)
    low = np.broadcast_to(space.low, space.shape)
    high = np.broadcast_to(space.high, space.shape)
    return [rng.uniform(low, high, size=shape).astype(np.float32) for _ in range(n)]


def bench_single(env_id: str, steps: int, seed: int) -> dict:
    env = gymnasium.make(env_id)
    rng = np.random.default_rng(seed)
    actions = actions_for(env.action_space, 4096, rng)
    env.reset(seed=seed)
    step, reset = env.step, env.reset
    total = 0.0
    start = time.perf_counter()
    for i in range(steps):
        _, r, term, trunc, _ = step(actions[i & 4095])
        total += r
        if term or trunc:
            reset()
    seconds = time.perf_counter() - start
    env.close()
    return {"steps": steps, "seconds": seconds, "steps_per_sec": steps / seconds}


def bench_vector(env_id: str, env_steps: int, num_envs: int, seed: int) -> dict:
    spec = gymnasium.spec(env_id)
    mode = "vector_entry_point" if spec.vector_entry_point is not None else "sync"
    env = gymnasium.make_vec(env_id, num_envs=num_envs, vectorization_mode=mode)
    rng = np.random.default_rng(seed)
    calls = max(1, env_steps // num_envs)
    actions = actions_for(env.single_action_space, min(calls, 256), rng, batch=num_envs)
    env.reset(seed=seed)
    step = env.step
    start = time.perf_counter()
    for i in range(calls):
        step(actions[i % len(actions)])
    seconds = time.perf_counter() - start
    env.close()
    return {
        "mode": mode,
        "num_envs": num_envs,
        "env_steps": calls * num_envs,
        "seconds": seconds,
        "env_steps_per_sec": calls * num_envs / seconds,
    }


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("env_ids", nargs="+")
    p.add_argument("--steps", type=int, default=50_000)
    p.add_argument("--vec-steps", type=int, default=256 * 200)
    p.add_argument("--num-envs", type=int, default=256)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--repeat", type=int, default=1)
    a = p.parse_args()
    runs = max(1, a.repeat)
    for env_id in a.env_ids:
        line = {"env_id": env_id, "gymnasium": gymnasium.__version__}
        best = min(
            (bench_single(env_id, a.steps, a.seed) for _ in range(runs)),
            key=lambda r: r["seconds"],
        )
        line.update(best)
        if a.vec_steps > 0:
            line["vector"] = min(
                (bench_vector(env_id, a.vec_steps, a.num_envs, a.seed) for _ in range(runs)),
                key=lambda r: r["seconds"],
            )
        print(json.dumps(line), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
