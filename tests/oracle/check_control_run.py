"""Reads a `meowlab run` folder with pyarrow, DuckDB and polars and checks it against its
summary.json: one train step row per env step, one eval episode row per evaluation
episode, one `eval/return_mean` metric per evaluation equal to the mean of those episodes.
With --threads N (an A3C run): every train step and train episode names one of the N
threads, each episode stays on one thread, its return is the sum of its steps' rewards,
and evaluation rows name none.

usage: python check_control_run.py RUN_DIR --eval-episodes N [--threads N]
"""

import argparse
import json
import sys
from pathlib import Path

import duckdb
import polars as pl
import pyarrow.dataset as ds


def main():
    p = argparse.ArgumentParser()
    p.add_argument("run", type=Path)
    p.add_argument("--eval-episodes", type=int, required=True)
    p.add_argument("--threads", type=int)
    a = p.parse_args()
    summary = json.loads((a.run / "summary.json").read_text())
    steps = ds.dataset(a.run / "steps", format="parquet", partitioning="hive").to_table()
    phases = steps.column("phase").to_pylist()
    train_rows = sum(1 for x in phases if x == "train")
    problems = []
    if train_rows != summary["global_step"]:
        problems.append(f"{train_rows} train step rows, summary says {summary['global_step']} steps")
    evals = summary["evals"]
    q = duckdb.sql(
        f"select global_step, avg(\"return\") from read_parquet('{a.run}/episodes/*.parquet') "
        "where phase = 'eval' group by global_step order by global_step"
    ).fetchall()
    if len(q) != len(evals):
        problems.append(f"{len(q)} evaluations in episodes, {len(evals)} in the summary")
    metrics = pl.read_parquet(str(a.run / "metrics" / "*.parquet"))
    means = metrics.filter(pl.col("name") == "eval/return_mean").sort("global_step")
    for (step, mean_from_episodes), (m_step, m_value), e in zip(q, means.select("global_step", "value").rows(), evals):
        if not (step == m_step == e[0]) or abs(mean_from_episodes - m_value) > 1e-9 or abs(m_value - e[2]) > 1e-9:
            problems.append(f"evaluation at {step}: episodes {mean_from_episodes}, metrics {m_step}:{m_value}, summary {e}")
    n_eval_eps = duckdb.sql(
        f"select count(*) from read_parquet('{a.run}/episodes/*.parquet') where phase = 'eval'"
    ).fetchall()[0][0]
    if n_eval_eps != len(evals) * a.eval_episodes:
        problems.append(f"{n_eval_eps} eval episodes, expected {len(evals) * a.eval_episodes}")
    if a.threads is not None:
        problems += check_threads(a.run, a.threads)
    if problems:
        print("control run check FAILED:", *problems, sep="\n  ")
        sys.exit(1)
    print(f"control run ok: {train_rows} train steps, {len(evals)} evaluations of {a.eval_episodes} episodes, "
          f"{metrics.height} metric rows (pyarrow, DuckDB, polars agree)")


def check_threads(run, threads):
    """The thread columns of an A3C run, read by DuckDB."""
    steps = f"read_parquet('{run}/steps/*/*.parquet', hive_partitioning = true)"
    episodes = f"read_parquet('{run}/episodes/*.parquet')"
    problems = []
    per_thread = duckdb.sql(
        f"select thread, count(*) from {steps} where phase = 'train' group by thread order by thread"
    ).fetchall()
    if [t for t, _ in per_thread] != list(range(threads)):
        problems.append(f"train steps by thread: {per_thread}, expected threads 0..{threads - 1}")
    eval_threads = duckdb.sql(f"select count(thread) from {steps} where phase = 'eval'").fetchall()[0][0]
    if eval_threads:
        problems.append(f"{eval_threads} evaluation steps name a thread")
    mixed = duckdb.sql(
        f"select episode_id from {steps} where phase = 'train' group by episode_id "
        "having count(distinct thread) > 1"
    ).fetchall()
    if mixed:
        problems.append(f"episodes on several threads: {mixed[:5]}")
    wrong = duckdb.sql(
        f"""select e.episode_id, e.thread, s.thread, e."return", s.total from {episodes} e
            join (select episode_id, any_value(thread) as thread, sum(reward) as total, count(*) as n
                  from {steps} where phase = 'train' group by episode_id) s using (episode_id)
            where e.phase = 'train' and (e.thread is distinct from s.thread
                  or abs(e."return" - s.total) > 1e-9 or e.length != s.n)"""
    ).fetchall()
    if wrong:
        problems.append(f"train episodes that disagree with their steps: {wrong[:5]}")
    finished = duckdb.sql(f"select count(*) from {episodes} where phase = 'train'").fetchall()[0][0]
    if finished == 0:
        problems.append("no finished train episodes")
    else:
        print(f"threads ok: {threads} threads, {finished} train episodes each on one thread with its steps' return")
    return problems


if __name__ == "__main__":
    main()
