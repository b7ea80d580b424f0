"""The `meowlab` Python package against gymnasium: every env passes gymnasium's own
checker, follows gymnasium's trajectory from the same state under the same actions, and
refuses bad input with the library's messages. Prints Python-side steps/s next to
gymnasium's envs (informational).

    python python/tests/check_package.py
"""

import sys
import time

import gymnasium as gym
import numpy as np
from gymnasium.utils.env_checker import check_env

import meowlab
from meowlab.control import ControlEnv

# gymnasium's float32 observations are recomputed from float64 states the same way
EXACT = {"CartPole-v1", "Acrobot-v1"}


def fail(msg: str) -> None:
    print(f"FAIL: {msg}", file=sys.stderr)
    sys.exit(1)


def same_trajectory(env_id: str, seed: int, steps: int) -> int:
    reference = gym.make(env_id)
    obs_ref, _ = reference.reset(seed=seed)
    ours = ControlEnv(env_id)
    ours.reset(seed=seed)
    obs = ours.set_state(np.asarray(reference.unwrapped.state, dtype=np.float64).ravel())
    reference.action_space.seed(seed)
    for t in range(steps):
        if not np.allclose(obs, obs_ref, rtol=0, atol=0 if env_id in EXACT else 1e-5):
            fail(f"{env_id} seed {seed} step {t}: {obs} vs gymnasium {obs_ref}")
        action = reference.action_space.sample()
        obs_ref, r_ref, term_ref, trunc_ref, _ = reference.step(action)
        obs, r, term, trunc, _ = ours.step(action)
        if abs(r - r_ref) > 1e-5 or term != term_ref or trunc != trunc_ref:
            fail(f"{env_id} seed {seed} step {t}: reward/termination {r, term, trunc} vs {r_ref, term_ref, trunc_ref}")
        if term or trunc:
            return t + 1
    return steps


def main() -> int:
    ids = meowlab.control_env_ids()
    for env_id in ids:
        env = gym.make(f"meowlab/{env_id}")
        check_env(env.unwrapped, skip_render_check=True)
        # seeding: the same seed gives the same episode
        a, _ = env.reset(seed=7)
        b, _ = env.reset(seed=7)
        if not np.array_equal(a, b):
            fail(f"{env_id}: reset(seed=7) twice gave {a} and {b}")
        steps = sum(same_trajectory(env_id, seed, 600) for seed in range(5))
        print(f"{env_id:26} check_env ok, {steps} steps equal to gymnasium's from the same states")

    # bad input: the library's messages as ValueError
    try:
        ControlEnv("CartPole-v9")
        fail("an unknown env was accepted")
    except ValueError as e:
        if "unknown environment" not in str(e):
            fail(f"unknown env: {e}")
    env = ControlEnv("CartPole-v1")
    env.reset(seed=0)
    try:
        env.step(5)
        fail("an illegal action was accepted")
    except ValueError as e:
        if "invalid action" not in str(e):
            fail(f"illegal action: {e}")
    print("errors     ok: unknown env and illegal action raise ValueError with meowlab's messages")

    # Python-side speed (informational)
    for make in (lambda: gym.make("meowlab/CartPole-v1"), lambda: gym.make("CartPole-v1")):
        env = make()
        env.reset(seed=0)
        n, start = 0, time.perf_counter()
        while time.perf_counter() - start < 1.0:
            for _ in range(1000):
                _, _, term, trunc, _ = env.step(n % 2)
                n += 1
                if term or trunc:
                    env.reset()
        print(f"{env.spec.id:26} {n / (time.perf_counter() - start):12,.0f} steps/s from Python")
    return 0


if __name__ == "__main__":
    sys.exit(main())
