"""Python-side speed of meowlab's envs next to the references, in one run.

    python -m meowlab.bench [--seconds 2]

- ``meowlab/CartPole-v1`` (one env, and a batch of 64 stepped in Rust) against
  gymnasium's ``CartPole-v1`` (one env, and ``SyncVectorEnv`` over 64);
- ``meowlab.sanma.env()`` (PettingZoo AEC loop: every step returns the 34×366 tile planes
  and the legal mask) against riichienv's ``RiichiEnv(game_mode="3p-red-half")`` (its
  observations are objects whose features are computed only on request), when
  ``riichienv`` is installed.

Every agent plays uniformly random legal actions; the figures are steps (decisions) per
second of wall time, printed as a table and with ``--json`` as one JSON object.
"""

from __future__ import annotations

import argparse
import json
import time

import gymnasium as gym
import numpy as np


def _rate(step_once, seconds: float) -> float:
    n, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        n += step_once()
    return n / elapsed


def cartpole(make, seconds: float) -> float:
    env = make()
    env.reset(seed=0)
    rng = np.random.default_rng(0)

    def burst() -> int:
        for _ in range(1000):
            _, _, term, trunc, _ = env.step(int(rng.integers(2)))
            if term or trunc:
                env.reset()
        return 1000

    return _rate(burst, seconds)


def cartpole_vector(make, n: int, seconds: float) -> float:
    env = make(n)
    env.reset(seed=0)
    rng = np.random.default_rng(0)

    def burst() -> int:
        for _ in range(100):
            env.step(rng.integers(0, 2, n))
        return 100 * n

    return _rate(burst, seconds)


def sanma_meowlab(seconds: float) -> float:
    from meowlab import sanma

    env = sanma.env()
    rng = np.random.default_rng(0)
    games = iter(range(1, 1 << 30))
    env.reset(seed=0)

    def burst() -> int:
        steps = 0
        for _ in range(200):
            if not env.agents:
                env.reset(seed=next(games))
            obs, _, term, trunc, _ = env.last()
            if term or trunc:
                env.step(None)
                continue
            env.step(int(rng.choice(np.flatnonzero(obs["action_mask"]))))
            steps += 1
        return steps

    return _rate(burst, seconds)


def sanma_riichienv(seconds: float) -> float | None:
    try:
        from riichienv import RiichiEnv
    except ImportError:
        return None
    rng = np.random.default_rng(0)
    env = RiichiEnv(game_mode="3p-red-half")
    obs = env.reset()

    def burst() -> int:
        nonlocal obs
        steps = 0
        for _ in range(50):
            if env.done():
                obs = env.reset()
            actions = {}
            for pid, o in obs.items():
                legal = o.legal_actions()
                actions[pid] = legal[int(rng.integers(len(legal)))]
                steps += 1
            obs = env.step(actions)
        return steps

    return _rate(burst, seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="time per measurement")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    s = args.seconds
    import meowlab  # noqa: F401  (registers meowlab/...)

    sync = gym.vector.AutoresetMode.SAME_STEP
    rows = {
        "meowlab/CartPole-v1": cartpole(lambda: gym.make("meowlab/CartPole-v1"), s),
        "gymnasium CartPole-v1": cartpole(lambda: gym.make("CartPole-v1"), s),
        "meowlab/CartPole-v1 x64 (make_vec)": cartpole_vector(
            lambda n: gym.make_vec("meowlab/CartPole-v1", num_envs=n), 64, s
        ),
        "gymnasium CartPole-v1 x64 (SyncVectorEnv)": cartpole_vector(
            lambda n: gym.make_vec("CartPole-v1", num_envs=n, vectorization_mode="sync",
                                   vector_kwargs={"autoreset_mode": sync}), 64, s
        ),
        "meowlab.sanma (PettingZoo AEC, planes + mask)": sanma_meowlab(s),
        "riichienv RiichiEnv 3p-red-half": sanma_riichienv(s),
    }
    if args.json:
        print(json.dumps(rows))
        return
    print(f"{'env':48} {'steps/s':>14}")
    for name, rate in rows.items():
        print(f"{name:48} {'not installed' if rate is None else f'{rate:,.0f}':>14}")
    pairs = [("meowlab/CartPole-v1", "gymnasium CartPole-v1"),
             ("meowlab/CartPole-v1 x64 (make_vec)", "gymnasium CartPole-v1 x64 (SyncVectorEnv)"),
             ("meowlab.sanma (PettingZoo AEC, planes + mask)", "riichienv RiichiEnv 3p-red-half")]
    for ours, ref in pairs:
        if rows[ref]:
            print(f"ratio {ours} / {ref}: {rows[ours] / rows[ref]:.1f}x")


if __name__ == "__main__":
    main()
