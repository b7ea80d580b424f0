"""Sanma (3-player riichi mahjong, Tenhou rules) as a PettingZoo AEC environment.

    from meowlab import sanma
    env = sanma.env()                      # Tenhou's rules, +1/0/-1 by final rank
    env.reset(seed=7)
    for agent in env.agent_iter():
        obs, reward, termination, truncation, info = env.last()
        if termination or truncation:
            action = None
        else:
            legal = np.flatnonzero(obs["action_mask"])
            action = int(legal[0])
        env.step(action)

The agents are ``seat_0`` (the first dealer), ``seat_1`` and ``seat_2``. An observation
is a dict: ``observation``, the seat's 34×366 tile planes of the Meowjong paper (uint8,
0/1; :func:`plane_rows`, :func:`plane_blocks` and :func:`plane_columns` name the rows,
the feature blocks and every column), and ``action_mask`` (int8, 150),
the legal actions among the action indices (0–36 discard, 37–73 riichi with that
discard, 74 tsumo, 75 ron, 76 kita, 77–110 ankan, 111–144 kakan, 145–146 pon, 147
daiminkan, 148 kyuushu, 149 pass). When several seats may call or win on the same tile
they are asked one after the other and the engine resolves the call once all have
answered, so no seat sees another's answer.

Rewards: ``reward="rank"`` gives ``rank_rewards`` (1st, 2nd, 3rd) at the end of the
game; ``reward="score"`` gives every seat its score change at the end of each hand (wins,
draws, honba, deposits, minus its riichi sticks) divided by ``score_scale`` points, the
deposits left at the end going to first place, so a game's rewards sum to the final
score changes. An illegal action raises ``meowlab.MeowlabError`` naming the legal ones.

:func:`arena` plays many games at once with Rust bots, Meowjong model seats and Python
agents; a Python agent gets all of its pending decisions as one numpy batch.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
from gymnasium import spaces
from pettingzoo import AECEnv
from pettingzoo.utils import wrappers

from meowlab._native import SanmaEnv as _NativeGame
from meowlab._native import plane_blocks, plane_columns, plane_rows  # noqa: F401
from meowlab._native import arena as _arena

ROWS, COLS, ACTIONS = 34, 366, 150
AGENTS = ["seat_0", "seat_1", "seat_2"]


def arena(seats, games: int, seed: int = 0, rules: dict[str, Any] | None = None, in_flight: int = 64) -> dict:
    """Plays ``games`` games (game ``i`` dealt from ``seed + i``) in lockstep, ``in_flight``
    at a time (results do not depend on it).

    ``seats``: three players, each an agent spec (``"heuristic"``, ``"random"``,
    ``"tsumogiri"``, ``"model:DIR"``, ``"model-sample:DIR"``) or a Python agent: a callable,
    or an object with ``.act``, taking ``(planes, masks, tables, seats)`` — uint8
    ``(B, 34, 366)``, int8 ``(B, 150)``, and each decision's game index and seat — and
    returning ``B`` legal action indices. The same object in several seats is one player
    and gets their decisions in one batch. Keep per-game state by ``(table, seat)``.

    Returns numpy arrays ``seed`` (G), ``scores`` and ``ranks`` (G × 3), ``hands`` (G),
    and ``players`` (the seats' names). An illegal index or an agent's exception is raised
    once play stops, as ``meowlab.MeowlabError`` or as itself.
    """
    rules_json = None if rules is None else json.dumps(rules)
    return _arena(list(seats), int(games), int(seed), rules_json, int(in_flight))


def env(**kwargs) -> AECEnv:
    """The environment with PettingZoo's order checks (see :class:`raw_env` for the
    arguments)."""
    return wrappers.OrderEnforcingWrapper(raw_env(**kwargs))


class raw_env(AECEnv):
    """One Sanma game per episode. ``rules``: a dict of the engine's rule fields (missing
    ones keep Tenhou's: e.g. ``{"length": "tonpuu"}``). Once the game is over, ``result``
    holds the final ``scores`` and ``ranks`` by seat (each seat's ``info`` has its own
    until it is removed by its last ``step(None)``)."""

    metadata = {"render_modes": ["ansi"], "name": "meowlab_sanma_v0", "is_parallelizable": False}

    def __init__(
        self,
        rules: dict[str, Any] | None = None,
        reward: str = "rank",
        rank_rewards: tuple[float, float, float] = (1.0, 0.0, -1.0),
        score_scale: float = 1000.0,
        render_mode: str | None = None,
    ):
        super().__init__()
        rules_json = None if rules is None else json.dumps(rules)
        self._game = _NativeGame(rules_json, reward, tuple(float(r) for r in rank_rewards), float(score_scale))
        self.possible_agents = list(AGENTS)
        observation = spaces.Dict(
            {
                "observation": spaces.Box(0, 1, (ROWS, COLS), np.uint8),
                "action_mask": spaces.Box(0, 1, (ACTIONS,), np.int8),
            }
        )
        self.observation_spaces = {a: observation for a in AGENTS}
        self.action_spaces = {a: spaces.Discrete(ACTIONS) for a in AGENTS}
        if render_mode not in (None, "ansi"):
            raise ValueError(f"render_mode must be None or 'ansi', not {render_mode!r}")
        self.render_mode = render_mode
        self._seeds = np.random.default_rng()

    def observation_space(self, agent: str) -> spaces.Space:
        return self.observation_spaces[agent]

    def action_space(self, agent: str) -> spaces.Space:
        return self.action_spaces[agent]

    def reset(self, seed: int | None = None, options: dict | None = None) -> None:
        if seed is not None:
            self._seeds = np.random.default_rng(seed)
            game_seed = int(seed)
        else:
            game_seed = int(self._seeds.integers(0, 2**63 - 1))
        self._game.reset(game_seed)
        self.agents = list(AGENTS)
        self.rewards = {a: 0.0 for a in AGENTS}
        self._cumulative_rewards = {a: 0.0 for a in AGENTS}
        self.terminations = {a: False for a in AGENTS}
        self.truncations = {a: False for a in AGENTS}
        self.infos = {a: {} for a in AGENTS}
        self.result: dict[str, tuple] | None = None
        self.agent_selection = AGENTS[self._game.to_act()]

    def observe(self, agent: str) -> dict[str, np.ndarray]:
        planes, mask = self._game.observe(AGENTS.index(agent))
        return {"observation": planes, "action_mask": mask}

    def step(self, action) -> None:
        agent = self.agent_selection
        if self.terminations[agent] or self.truncations[agent]:
            self._was_dead_step(action)
            return
        self._cumulative_rewards[agent] = 0.0
        self._game.step(int(action))
        self.rewards = dict(zip(AGENTS, self._game.rewards()))
        if self._game.is_over():
            scores, ranks = self._game.result()
            self.result = {"scores": scores, "ranks": ranks}
            for i, a in enumerate(AGENTS):
                self.terminations[a] = True
                self.infos[a] = {"score": scores[i], "rank": ranks[i]}
        else:
            self.agent_selection = AGENTS[self._game.to_act()]
        self._accumulate_rewards()

    def events(self) -> list[dict]:
        """The game's events so far (mjai), e.g. to replay or log it."""
        return [json.loads(e) for e in self._game.events()]

    def render(self) -> str | None:
        if self.render_mode is None:
            return None
        events = self.events()
        last = events[-1] if events else {}
        return f"{len(events)} events; last: {json.dumps(last)}"

    def close(self) -> None:
        pass
