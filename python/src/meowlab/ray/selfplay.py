"""Self-play PPO with its actors spread over a Ray cluster.

    python -m meowlab.ray.selfplay experiments/sanma-ppo.toml --address auto --actors 8 \\
        --out /shared/runs [--seed 1] [--rounds 256] [--sl-models DIR] [--eval-sets N]

The learner is the Rust learner of ``meowlab run`` (one Ray actor; ``--learner-gpus`` to
put it on a GPU node), the actors are Ray actors, each the Rust arena playing its share
of every update with the newest policy it may use. They share only the run's files: the
actors write ``samples/update=<u>/actor=<a>/`` (atomically), the learner publishes
``policy/v<u>/``. Either the run folder is on a filesystem every node sees (NFS), or
``--exchange URL`` names object storage (``s3://bucket/prefix``, ``gs://…``, ``az://…``
with the package built with the ``cloud`` feature; ``file:///…``) through which the
files pass, and every actor keeps its own copy of the run under ``--actor-dir``.

Guarantees:
- an actor that dies (node lost, OOM, ``ray.kill``) is replaced by a new one at the update
  it was playing; its share is played again from the same seeds and policy, so the
  partition is the same, and one that was already written is not written twice;
- the learner consumes each (update, actor) partition exactly once and records it in
  ``consumed.jsonl``; this driver checks that record at the end;
- with the same config, seed and number of actors the run learns the same weights as
  ``meowlab run`` with ``ppo.actors`` threads (deterministic for fixed actors and lag).

Killing the driver stops everything; running the same command again resumes from the
run's last checkpoint.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

import ray
from ray.exceptions import RayActorError

from meowlab._native import SelfPlayActor, SelfPlayLearner, selfplay_consumed


@ray.remote(num_cpus=1, max_restarts=0)
class Actor:
    """One self-play actor (a Ray actor holding the Rust actor)."""

    def __init__(self, run_dir: str, ppo_config_json: str, index: int):
        self._actor = SelfPlayActor(run_dir, ppo_config_json, index)

    def pid(self) -> int:
        return os.getpid()

    def play(self, update: int, timeout_s: float) -> tuple[int, int, int, int, bool]:
        return self._actor.play(update, timeout_s)


@ray.remote(num_cpus=1, max_restarts=0, max_concurrency=2)
class Learner:
    """The Rust learner of the run (a Ray actor, so it can sit on a GPU node). Its run
    folder is on its own node; the driver asks it for the plan and the record."""

    def __init__(self, config_json: str, out: str, seed: int):
        self._learner = SelfPlayLearner.from_json(config_json, out, seed)
        self._run_dir = Path(self._learner.run_dir)
        # the learner writes a new plan once it has (re)started
        (self._run_dir / "pipeline.json").unlink(missing_ok=True)

    def run(self) -> str:
        return self._learner.run()

    def plan(self, timeout_s: float) -> dict | None:
        """The learner's ``pipeline.json`` once its first policy is published."""
        path = self._run_dir / "pipeline.json"
        deadline = time.time() + timeout_s
        while not path.exists():
            if time.time() > deadline:
                return None
            time.sleep(0.1)
        return json.loads(path.read_text())

    def consumed(self) -> list[tuple[int, int, int, int]]:
        return selfplay_consumed(str(self._run_dir))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m meowlab.ray.selfplay", description=__doc__.split("\n\n")[0])
    p.add_argument("config", type=Path, help="a self-play config with a [ppo] table")
    p.add_argument("--address", default=None,
                   help="the Ray cluster ('auto', 'HOST:PORT', 'ray://HOST:10001'); none: a local Ray")
    p.add_argument("--actors", type=int, required=True, help="Ray actors playing each update's games")
    p.add_argument("--out", type=Path, default=Path("data/runs"), help="the runs folder (shared by every node)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--rounds", type=int, help="games to train on (overrides the config)")
    p.add_argument("--sl-models", type=Path, help="the SL models to start from (overrides the config)")
    p.add_argument("--eval-sets", type=int, help="evaluation duplicate sets (overrides the config)")
    p.add_argument("--learner-gpus", type=float, default=0.0, help="GPUs for the learner actor")
    p.add_argument("--exchange", help="object storage the processes share instead of a filesystem "
                   "(file:///…; s3://, gs://, az:// with the cloud feature)")
    p.add_argument("--actor-dir", type=Path, default=Path(tempfile.gettempdir()) / "meowlab-actors",
                   help="with --exchange: where each actor keeps its copy of the run (on its node)")
    p.add_argument("--policy-timeout", type=float, default=3600.0,
                   help="seconds an actor waits for a policy before it gives up")
    p.add_argument("--kill-actor", type=int, default=None, metavar="A",
                   help="kill actor A once it has reported its first shard (a fault-tolerance drill)")
    p.add_argument("--summary-json", type=Path, help="write the driver's summary here")
    args = p.parse_args(argv)
    if args.actors < 1:
        p.error("--actors must be at least 1")
    if args.kill_actor is not None and not 0 <= args.kill_actor < args.actors:
        p.error(f"--kill-actor must be one of 0..{args.actors - 1}")
    return args


def wait_for_plan(learner, learner_done) -> dict:
    """The learner's plan (written once its first policy is published)."""
    while True:
        done, _ = ray.wait([learner_done], timeout=0)
        if done:
            ray.get(learner_done)  # raises the learner's error
        plan = ray.get(learner.plan.remote(1.0))
        if plan is not None:
            return plan


def check_consumed(record: list, run_dir: Path, first: int, last: int, actors: int) -> int:
    """Every (update, actor) of first..=last consumed exactly once; returns the count."""
    record = [(u, a) for (u, a, _, _) in record if u >= first]
    expected = {(u, a) for u in range(first, last + 1) for a in range(actors)}
    seen = set(record)
    if len(record) != len(seen):
        dup = sorted({x for x in record if record.count(x) > 1})
        raise SystemExit(f"error: {run_dir}: partitions consumed more than once: {dup}")
    if seen != expected:
        raise SystemExit(f"error: {run_dir}: consumed {sorted(seen ^ expected)} differ from the plan")
    return len(record)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    sys.stdout.reconfigure(line_buffering=True)  # progress lines as they happen, also in a pipe
    # paths absolute: the Ray actors run in other working directories
    out = args.out.resolve()
    local = SelfPlayLearner(  # checks the config here, before any Ray work
        str(args.config), str(out), args.seed, args.actors, rounds=args.rounds,
        sl_models=None if args.sl_models is None else str(args.sl_models.resolve()),
        eval_sets=args.eval_sets, exchange=args.exchange,
    )
    run_dir = Path(local.run_dir)
    ray.init(address=args.address, log_to_driver=True, include_dashboard=False)
    print(f"meowlab.ray.selfplay: {run_dir} on Ray {ray.__version__} "
          f"({ray.cluster_resources().get('CPU', 0):.0f} CPUs, {len(ray.nodes())} nodes), {args.actors} actors")
    learner = Learner.options(num_gpus=args.learner_gpus).remote(local.config_json(), str(out), args.seed)
    learner_done = learner.run.remote()
    plan = wait_for_plan(learner, learner_done)
    if plan["actors"] != args.actors:
        raise SystemExit(f"error: the learner plans {plan['actors']} actors, not {args.actors}")
    first, last = plan["first_update"], plan["last_update"]
    ppo_json = json.dumps(plan["config"])
    print(f"updates {first}..{last}, {plan['actors']} actors")

    actors: dict[int, ray.actor.ActorHandle] = {}
    pending: dict = {}  # future -> (actor, update, incarnation)
    incarnation = {a: 0 for a in range(args.actors)}
    done_updates: dict[int, set[int]] = {a: set() for a in range(args.actors)}
    replaced, rewritten, killed = 0, 0, False

    def start(a: int, from_update: int) -> None:
        # with an exchange each actor has its own copy of the run (a fresh folder per actor)
        actor_run = run_dir if args.exchange is None else (
            args.actor_dir.resolve() / f"{uuid.uuid4().hex[:12]}-actor{a}" / run_dir.name)
        actors[a] = Actor.remote(str(actor_run), ppo_json, a)
        for u in range(from_update, last + 1):
            if u not in done_updates[a]:
                pending[actors[a].play.remote(u, args.policy_timeout)] = (a, u, incarnation[a])

    for a in range(args.actors):
        start(a, first)
    while pending:
        ready, _ = ray.wait(list(pending) + [learner_done], num_returns=1)
        if ready[0] is learner_done:
            ray.get(learner_done)  # the learner ended early: raise its error
            raise SystemExit("error: the learner finished before the actors")
        a, u, inc = pending.pop(ready[0])
        try:
            _, _, rows, games, written = ray.get(ready[0])
        except RayActorError as e:
            if inc != incarnation[a]:
                continue  # a task of an actor already replaced
            incarnation[a] += 1
            replaced += 1
            for f in [f for f, (b, _, i) in pending.items() if b == a and i == inc]:
                del pending[f]
            # its tasks fail in any order: the replacement starts at the first update not done
            resume = min(v for v in range(first, last + 1) if v not in done_updates[a])
            print(f"actor {a} died ({type(e).__name__}); a replacement starts at update {resume}")
            start(a, resume)
            continue
        done_updates[a].add(u)
        rewritten += not written
        print(f"update {u} actor {a}: {games} games, {rows} rows{'' if written else ' (already written)'}")
        if args.kill_actor == a and not killed:
            killed = True
            print(f"killing actor {a} (--kill-actor) while it plays its next shard")
            ray.kill(actors[a], no_restart=True)
    summary = json.loads(ray.get(learner_done))
    shards = check_consumed(ray.get(learner.consumed.remote()), run_dir, first, last, args.actors)
    result = {
        "run_dir": str(run_dir),
        "updates": [first, last],
        "actors": args.actors,
        "exchange": args.exchange,
        "shards_consumed": shards,
        "actors_replaced": replaced,
        "shards_found_written": rewritten,
        "learner": summary,
    }
    print(f"done: {shards} shards consumed exactly once, {replaced} actors replaced; "
          f"{summary['rounds']} games, {summary['updates']} updates in {summary['seconds']:.1f} s")
    if args.summary_json:
        args.summary_json.write_text(json.dumps(result, indent=2))
    ray.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
