"""meowlab from Python.

- ``meowlab/CartPole-v1``, ``meowlab/Pendulum-v1``, ``meowlab/MountainCarContinuous-v0``
  and ``meowlab/Acrobot-v1``: meowlab's classic-control envs as gymnasium envs
  (registered on import; the same dynamics as gymnasium's own, bit for bit, at Rust
  speed), and ``gymnasium.make_vec(..., vectorization_mode="vector_entry_point")`` for
  batches stepped in Rust;
- ``meowlab.sanma.env()``: Sanma as a PettingZoo AEC env (needs ``pettingzoo``);
- ``meowlab.open_run(path)``: run folders, every table as a ``pyarrow.Table``.

Errors are ``meowlab.MeowlabError`` (a ``ValueError``) with the library's messages.
"""

from meowlab import control  # noqa: F401  (registers the envs)
from meowlab._native import MeowlabError, control_env_ids
from meowlab.runs import Run, open_run

__all__ = ["MeowlabError", "Run", "control", "control_env_ids", "open_run"]
