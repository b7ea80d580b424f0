"""meowlab's classic-control envs as ``gymnasium.Env`` classes, and batches of them as a
``gymnasium.vector.VectorEnv`` stepped in Rust.

The observation and action spaces are gymnasium's own for the same id, so agents and
wrappers written for gymnasium's envs work unchanged. Episodes are truncated by the env
itself at gymnasium's ``max_episode_steps``. ``reset(seed=...)`` seeds meowlab's own
generator: the same seed gives the same episode in meowlab every time, not the episode
gymnasium's NumPy generator would draw; ``set_state`` starts from any state (for
trajectory comparisons).

``gymnasium.make_vec("meowlab/CartPole-v1", num_envs=8)`` gives :class:`ControlVectorEnv`
(one Rust call per batch step; gymnasium's "same-step" automatic reset: where an episode
ended, the observation returned is already the next episode's first and the one it
reached is in ``infos["final_obs"]``). Env ``i`` is seeded with ``seed + i``, as
gymnasium's own vector envs do, so it steps exactly like
``gymnasium.make_vec(..., vectorization_mode="sync", vector_kwargs={"autoreset_mode":
"SameStep"})`` over the single envs.
"""

from __future__ import annotations

from typing import Any

import gymnasium
import numpy as np

from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from meowlab._native import ControlEnv as _NativeEnv
from meowlab._native import ControlVecEnv as _NativeVecEnv
from meowlab._native import control_env_ids


class ControlEnv(gymnasium.Env):
    """One of meowlab's classic-control envs (``env_id`` in gymnasium's spelling)."""

    metadata = {"render_modes": []}

    def __init__(self, env_id: str, render_mode: str | None = None):
        self._env = _NativeEnv(env_id)
        spaces_from = gymnasium.make(env_id)
        self.observation_space = spaces_from.observation_space
        self.action_space = spaces_from.action_space
        spaces_from.close()
        self.render_mode = render_mode
        self.env_id = env_id

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        if seed is None and not hasattr(self, "_seeded"):
            # first reset without a seed: draw one from gymnasium's generator
            seed = int(self.np_random.integers(0, 2**63 - 1))
        self._seeded = True
        obs = self._env.reset(seed)
        return obs, {}

    def step(self, action):
        if isinstance(self.action_space, gymnasium.spaces.Discrete):
            action = int(action)
        else:
            action = np.asarray(action, dtype=np.float32).reshape(self.action_space.shape)
        obs, reward, terminated, truncated = self._env.step(action)
        return obs, float(reward), terminated, truncated, {}

    def state(self) -> list[float]:
        """The physical state (gymnasium's ``env.unwrapped.state``)."""
        return self._env.state()

    def set_state(self, state) -> np.ndarray:
        """Starts an episode in ``state``; returns its observation."""
        return self._env.set_state([float(x) for x in state])


class ControlVectorEnv(VectorEnv):
    """``num_envs`` copies of one of meowlab's classic-control envs, stepped in Rust."""

    metadata = {"render_modes": [], "autoreset_mode": AutoresetMode.SAME_STEP}

    def __init__(self, env_id: str, num_envs: int, render_mode: str | None = None, **_ignored: Any):
        self._envs = _NativeVecEnv(env_id, int(num_envs))
        spaces_from = gymnasium.make(env_id)
        self.single_observation_space = spaces_from.observation_space
        self.single_action_space = spaces_from.action_space
        spaces_from.close()
        self.num_envs = int(num_envs)
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        self.action_space = batch_space(self.single_action_space, self.num_envs)
        self.render_mode = render_mode
        self.env_id = env_id
        self._seeds = np.random.default_rng()

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        if seed is None:
            seed = int(self._seeds.integers(0, 2**63 - 1))
        elif not isinstance(seed, (int, np.integer)):
            raise ValueError(f"{self.env_id}: reset takes one int seed (env i gets seed + i), not {seed!r}")
        return self._envs.reset(int(seed)), {}

    def step(self, actions):
        if isinstance(self.single_action_space, gymnasium.spaces.Discrete):
            actions = np.asarray(actions, dtype=np.int64).reshape(self.num_envs)
        else:
            actions = np.asarray(actions, dtype=np.float32).reshape(self.num_envs, -1)
        obs, rewards, terminated, truncated, final_obs = self._envs.step(actions)
        infos: dict[str, Any] = {}
        for i in np.flatnonzero(terminated | truncated):
            infos = self._add_info(infos, {"final_obs": final_obs[i], "final_info": {}}, int(i))
        return obs, rewards, terminated, truncated, infos


for _id in control_env_ids():
    if f"meowlab/{_id}" not in gymnasium.registry:
        # the env truncates itself at this step; the spec says so for libraries that read it
        gymnasium.register(
            id=f"meowlab/{_id}",
            entry_point="meowlab.control:ControlEnv",
            vector_entry_point="meowlab.control:ControlVectorEnv",
            max_episode_steps=_NativeEnv(_id).max_episode_steps,
            kwargs={"env_id": _id},
        )
