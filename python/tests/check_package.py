"""The `meowlab` Python package against the ecosystem's own checkers and references:

- control: every env passes gymnasium's env checker and follows gymnasium's trajectory
  from the same state under the same actions; the Rust vector env steps exactly like
  gymnasium's SyncVectorEnv (same-step autoreset) over the single envs;
- sanma: PettingZoo's api_test; the same seed gives the same game; a game's rewards
  add up to its final result; an illegal action raises MeowlabError naming the legal ones;
- arena: Python agents get their decisions in numpy batches, results do not depend on
  how many games are in flight, bots through the arena play the games ``meowlab play``
  logged (``--play-run``: the CLI's default seats and seeds), illegal indices and
  agents' exceptions are raised;
- runs (``--run DIR``, any number): every table equals what pyarrow.dataset reads from the
  same files (Hive partitions included); a bad folder, table or column raises
  MeowlabError with the CLI's message.

    python python/tests/check_package.py [--run RUN_DIR ...] [--play-run RUN_DIR]
"""

import argparse

import sys

import gymnasium as gym
import numpy as np
from gymnasium.utils.env_checker import check_env

import pyarrow.dataset as ds
from pettingzoo.test import api_test

import meowlab
from meowlab import sanma
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
    parser = argparse.ArgumentParser()
    parser.add_argument("--run", action="append", default=[], help="a run folder to read")
    parser.add_argument("--play-run", help="a run of `meowlab play --log` with its default seats and seed")
    parser.add_argument("--models", help="a folder of the five Meowjong models for a model seat")
    args = parser.parse_args()
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

    check_vector()
    check_sanma()
    check_arena(args.play_run, args.models)
    for run in args.run:
        check_run(run)
    return 0


def check_vector() -> None:
    rng = np.random.default_rng(1)
    for env_id, n in (("CartPole-v1", 4), ("Pendulum-v1", 3)):
        ours = gym.make_vec(f"meowlab/{env_id}", num_envs=n)
        ref = gym.make_vec(f"meowlab/{env_id}", num_envs=n, vectorization_mode="sync",
                           vector_kwargs={"autoreset_mode": gym.vector.AutoresetMode.SAME_STEP})
        if type(ours).__name__ != "ControlVectorEnv":
            fail(f"make_vec({env_id}) gave {type(ours)}, not the Rust vector env")
        a, _ = ours.reset(seed=9)
        b, _ = ref.reset(seed=9)
        episodes = 0
        for t in range(1500):
            if not np.array_equal(a, b):
                fail(f"vector {env_id} step {t}: {a} vs SyncVectorEnv {b}")
            actions = ref.action_space.sample() if env_id != "CartPole-v1" else rng.integers(0, 2, n)
            a, ra, ta, ua, ia = ours.step(actions)
            b, rb, tb, ub, ib = ref.step(actions)
            if not (np.allclose(ra, rb, rtol=0, atol=1e-12) and np.array_equal(ta, tb) and np.array_equal(ua, ub)):
                fail(f"vector {env_id} step {t}: rewards/flags {ra, ta, ua} vs {rb, tb, ub}")
            done = ta | ua
            episodes += int(done.sum())
            for i in np.flatnonzero(done):
                if not np.array_equal(ia["final_obs"][i], ib["final_obs"][i]):
                    fail(f"vector {env_id} step {t} env {i}: final_obs differs")
        print(f"vector     ok: {env_id} x{n} equals SyncVectorEnv for 1500 steps ({episodes} episodes ended)")
    env = gym.make_vec("meowlab/CartPole-v1", num_envs=2)
    env.reset(seed=0)
    try:
        env.step(np.array([0, 7]))
        fail("vector: an illegal action was accepted")
    except meowlab.MeowlabError as e:
        if "invalid action" not in str(e):
            fail(f"vector illegal action: {e}")


def play(env, seed: int, pick) -> tuple[list[int], dict[str, float], dict]:
    env.reset(seed=seed)
    actions, total, infos = [], {a: 0.0 for a in env.possible_agents}, {}
    for agent in env.agent_iter():
        obs, reward, term, trunc, info = env.last()
        total[agent] += reward
        if term or trunc:
            infos[agent] = info
            env.step(None)
            continue
        if obs["observation"].shape != (34, 366) or obs["observation"].dtype != np.uint8:
            fail(f"sanma: observation {obs['observation'].shape} {obs['observation'].dtype}")
        action = pick(obs["action_mask"])
        actions.append(action)
        env.step(action)
    return actions, total, infos


def check_sanma() -> None:
    api_test(sanma.env(), num_cycles=3000)
    api_test(sanma.env(reward="score", rules={"length": "tonpuu"}), num_cycles=3000)
    rng = np.random.default_rng(3)
    random_legal = lambda mask: int(rng.choice(np.flatnonzero(mask)))  # noqa: E731
    first_legal = lambda mask: int(np.flatnonzero(mask)[0])  # noqa: E731
    env = sanma.env(reward="score")
    a, _, _ = play(env, 5, first_legal)
    b, _, _ = play(env, 5, first_legal)
    if a != b:
        fail("sanma: the same seed and actions gave different games")
    for seed in range(5):
        _, total, infos = play(env, seed, random_legal)
        for agent, info in infos.items():
            change = (info["score"] - 35000) / 1000
            if abs(total[agent] - change) > 1e-9:
                fail(f"sanma seed {seed} {agent}: rewards add to {total[agent]}, score change {change}")
    env = sanma.env()
    _, total, infos = play(env, 1, random_legal)
    if sorted(total.values()) != [-1.0, 0.0, 1.0] or any(total[a] != (1.0, 0.0, -1.0)[infos[a]["rank"] - 1] for a in infos):
        fail(f"sanma: rank rewards {total} for {infos}")
    env.reset(seed=2)
    mask = env.last()[0]["action_mask"]
    try:
        env.step(int(np.flatnonzero(mask == 0)[0]))
        fail("sanma: an illegal action was accepted")
    except meowlab.MeowlabError as e:
        if "is not legal here; legal: " not in str(e):
            fail(f"sanma illegal action: {e}")
    for bad in ({"length": "forever"}, {"no_such_rule": 1}):
        try:
            sanma.env(rules=bad)
            fail(f"sanma: rules {bad} were accepted")
        except meowlab.MeowlabError as e:
            print(f"           refused rules {bad}: {e}")
    print("sanma      ok: PettingZoo api_test (rank and score rewards), same seed same game, rewards add up, illegal actions refused")


class LastLegal:
    """Plays the highest legal index; records its batch sizes."""

    name = "python-last-legal"

    def __init__(self):
        self.batches = []

    def act(self, planes, masks, tables, seats):
        if planes.shape != (len(masks), 34, 366) or planes.dtype != np.uint8 or masks.dtype != np.int8:
            fail(f"arena batch: planes {planes.shape} {planes.dtype}, masks {masks.shape} {masks.dtype}")
        self.batches.append(len(masks))
        return np.array([np.flatnonzero(m)[-1] for m in masks])


def check_arena(play_run: str | None, models: str | None) -> None:
    a, b = LastLegal(), LastLegal()
    many = sanma.arena([a, "heuristic", a], games=24, seed=3, in_flight=24)
    one = sanma.arena([b, "heuristic", b], games=24, seed=3, in_flight=1)
    if not (np.array_equal(many["scores"], one["scores"]) and np.array_equal(many["ranks"], one["ranks"])):
        fail("arena: 24 games in flight and 1 in flight gave different games")
    if max(a.batches) <= 2 or max(b.batches) > 2:
        fail(f"arena: batch sizes {max(a.batches)} (24 in flight) and {max(b.batches)} (1 in flight)")
    if many["players"] != ["python-last-legal", "heuristic", "python-last-legal"]:
        fail(f"arena players {many['players']}")
    if not (many["scores"].sum(axis=1) == 105000).all():
        fail("arena: scores do not add up to 3 × 35,000")
    for bad, agent, want in (("an illegal index", lambda p, m, t, s: [999] * len(m), meowlab.MeowlabError),
                             ("an agent's exception", lambda p, m, t, s: {}["boom"], KeyError)):
        try:
            sanma.arena([agent, "random", "random"], games=2)
            fail(f"arena: {bad} was accepted")
        except want as e:
            print(f"           {bad}: {type(e).__name__}: {str(e)[:120]}")
    line = f"arena      ok: batches up to {max(a.batches)} decisions, the same games with 1 or 24 in flight"
    if play_run:
        games = meowlab.open_run(play_run).table("games").sort_by("game_id")
        n = games.num_rows
        ours = sanma.arena(["heuristic", "heuristic", "random"], games=n, seed=0)
        logged = np.stack([games[f"score_{s}"].to_numpy() for s in range(3)], axis=1)
        if not np.array_equal(ours["scores"], logged):
            fail(f"arena: heuristic,heuristic,random from seed 0 differ from {play_run}'s games")
        line += f", {n} games equal to `meowlab play`'s log"
    if models:
        c = LastLegal()
        r = sanma.arena([f"model:{models}", c, "heuristic"], games=12, seed=7)
        if not r["players"][0].startswith("model") or r["hands"].min() < 1:
            fail(f"arena with a model seat: {r['players']}, hands {r['hands']}")
        line += f", a model seat ({r['players'][0]}: average rank {r['ranks'][:, 0].mean():.2f} in 12 games)"
    print(line)


def check_run(path: str) -> None:
    run = meowlab.open_run(path)
    tables = run.tables()
    if not tables:
        fail(f"{path}: no tables")
    for name in tables:
        ours = run.table(name)
        theirs = ds.dataset(f"{path}/{name}", format="parquet", partitioning="hive").to_table()
        if ours.num_rows != theirs.num_rows:
            fail(f"{path}/{name}: {ours.num_rows} rows, pyarrow.dataset {theirs.num_rows}")
        if sorted(ours.column_names) != sorted(theirs.column_names):
            fail(f"{path}/{name}: columns {ours.column_names} vs {theirs.column_names}")
        for col in ours.column_names:
            a, b = ours[col].to_pylist(), theirs[col].to_pylist()
            if [str(x) for x in a] != [str(x) for x in b]:
                fail(f"{path}/{name}: column {col} differs from pyarrow.dataset's")
        print(f"run        ok: {path}/{name}: {ours.num_rows} rows, {ours.num_columns} columns equal to pyarrow.dataset's")
    for bad, call in (("a folder without run.json", lambda: meowlab.open_run(f"{path}/{tables[0]}")),
                      ("an unknown table", lambda: run.table("no_such_table")),
                      ("an unknown column", lambda: run.table(tables[0], columns=["no_such_column"]))):
        try:
            call()
            fail(f"{path}: {bad} was accepted")
        except meowlab.MeowlabError as e:
            print(f"           {bad}: {e}")


if __name__ == "__main__":
    sys.exit(main())
