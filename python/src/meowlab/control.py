"""meowlab's classic-control envs as ``gymnasium.Env`` classes.

The observation and action spaces are gymnasium's own for the same id, so agents and
wrappers written for gymnasium's envs work unchanged. Episodes are truncated by the env
itself at gymnasium's ``max_episode_steps``. ``reset(seed=...)`` seeds meowlab's own
generator: the same seed gives the same episode in meowlab every time, not the episode
gymnasium's NumPy generator would draw; ``set_state`` starts from any state (for
trajectory comparisons).
"""

from __future__ import annotations

from typing import Any

import gymnasium
import numpy as np

from meowlab._native import ControlEnv as _NativeEnv
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


for _id in control_env_ids():
    if f"meowlab/{_id}" not in gymnasium.registry:
        gymnasium.register(id=f"meowlab/{_id}", entry_point="meowlab.control:ControlEnv", kwargs={"env_id": _id})
