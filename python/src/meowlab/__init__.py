"""meowlab from Python.

Today: meowlab's classic-control envs as gymnasium envs, registered as
``meowlab/CartPole-v1``, ``meowlab/Pendulum-v1``, ``meowlab/MountainCarContinuous-v0`` and
``meowlab/Acrobot-v1`` when the package is imported. Same dynamics as gymnasium's own envs,
bit for bit, at Rust speed.
"""

from meowlab import control  # noqa: F401  (registers the envs)
from meowlab._native import control_env_ids

__all__ = ["control", "control_env_ids"]
