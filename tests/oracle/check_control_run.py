"""Reads a `meowlab run` folder with pyarrow, DuckDB and polars and checks it against its
summary.json: one train step row per env step, one eval episode row per evaluation
episode, one `eval/return_mean` metric per evaluation equal to the mean of those episodes.

usage: python check_control_run.py RUN_DIR --eval-episodes N
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
    if problems:
        print("control run check FAILED:", *problems, sep="\n  ")
        sys.exit(1)
    print(f"control run ok: {train_rows} train steps, {len(evals)} evaluations of {a.eval_episodes} episodes, "
          f"{metrics.height} metric rows (pyarrow, DuckDB, polars agree)")


if __name__ == "__main__":
    main()
