"""After `python -m meowlab.ray.selfplay ... --kill-actor A --summary-json S` on a local Ray
cluster: the run is what the guarantees say.

- an actor was killed and replaced, and the driver found every (update, actor)
  partition consumed exactly once (its summary);
- the learner's record (`consumed.jsonl`) matches the `samples` partitions on disk row
  for row (read through `meowlab.open_run`, with `keep_samples = true`);
- the final weights equal those of the same config run by `meowlab run` with actor
  threads (`--threads RUN`), and differ from the SL models the run started from.

    python python/tests/check_ray.py SUMMARY_JSON --threads THREADS_RUN_DIR
"""

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

import meowlab
from meowlab._native import selfplay_consumed


def fail(msg: str) -> None:
    print(f"check_ray: FAIL: {msg}", file=sys.stderr)
    sys.exit(1)


def weights(run: Path, folder: str) -> dict[str, bytes]:
    files = sorted((run / folder).glob("*/model.safetensors"))
    if len(files) != 5:
        fail(f"{run / folder}: {len(files)} models, expected 5")
    return {f.parent.name: f.read_bytes() for f in files}


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("summary", type=Path)
    p.add_argument("--threads", type=Path, required=True)
    args = p.parse_args()
    s = json.loads(args.summary.read_text())
    run = Path(s["run_dir"])
    first, last = s["updates"]
    expected = (last - first + 1) * s["actors"]
    if s["actors_replaced"] < 1:
        fail("no actor was replaced: the kill did not happen")
    if s["shards_consumed"] != expected:
        fail(f"{s['shards_consumed']} shards consumed, expected {expected}")
    record = selfplay_consumed(str(run))
    pairs = Counter((u, a) for u, a, _, _ in record)
    if any(n != 1 for n in pairs.values()) or len(pairs) != expected:
        fail(f"consumed.jsonl: {sorted(pairs.items())}")
    samples = meowlab.open_run(run).table("samples", columns=["update", "actor"])
    on_disk = Counter(zip(samples["update"].to_pylist(), samples["actor"].to_pylist()))
    for u, a, rows, _ in record:
        if on_disk[(u, a)] != rows:
            fail(f"update {u} actor {a}: {rows} rows consumed, {on_disk[(u, a)]} in its partition")
    ours, threads = weights(run, "final"), weights(args.threads, "final")
    if ours != threads:
        fail(f"final weights differ from the actor-thread run {args.threads}: {[k for k in ours if ours[k] != threads.get(k)]}")
    if ours == weights(run, "sl-init"):
        fail("the learner's weights did not move from the SL start")
    print(f"check_ray: ok: {expected} partitions ({samples.num_rows} rows) consumed exactly once after "
          f"{s['actors_replaced']} actor replaced; final weights = actor threads' ≠ SL start")
    return 0


if __name__ == "__main__":
    sys.exit(main())
