"""Recomputes an evaluation's headline figures from its `sets` table with DuckDB and
checks them against evaluation.json: set and game counts, each agent's average rank,
rank points and 1st-place rate (means over sets), and the paired differences with their
95% t-intervals (scipy-free: the t quantile comes from evaluation.json's own interval
width and is checked to be the textbook value for the set count).

usage: check_eval.py RUN
"""

import json
import math
import pathlib
import sys

import duckdb


def main():
    run = pathlib.Path(sys.argv[1])
    summary = json.loads((run / "evaluation.json").read_text())
    per_set = duckdb.sql(
        f"""
        select set, agent,
               rank_sum::double / seat_games as avg_rank,
               rank_points / seat_games as rank_points,
               first::double / seat_games as first
        from read_parquet('{run}/sets/*.parquet')
        """
    ).fetchall()
    sets = sorted({r[0] for r in per_set})
    assert summary["sets"] == len(sets), (summary["sets"], len(sets))
    games = duckdb.sql(
        f"select count(*) from read_parquet('{run}/games/*.parquet')"
    ).fetchall()[0][0] if (run / "games").exists() else None
    if games is not None:
        assert games == summary["games"], (games, summary["games"])

    by = {(s, a): (r, p, f) for s, a, r, p, f in per_set}
    failures = []

    def close(what, ours, theirs, tol=1e-9):
        if not math.isclose(ours, theirs, rel_tol=tol, abs_tol=tol):
            failures.append(f"{what}: duckdb {ours} vs evaluation.json {theirs}")

    for agent in ["challenger", "opponent"]:
        for i, stat in enumerate(["avg_rank", "rank_points", "first"]):
            mean = sum(by[(s, agent)][i] for s in sets) / len(sets)
            close(f"{agent}.{stat}", mean, summary[agent][stat]["mean"])
    for i, stat in enumerate(["avg_rank", "rank_points"]):
        diffs = [round((by[(s, "challenger")][i] - by[(s, "opponent")][i]) * 1e9) / 1e9 for s in sets]
        n = len(diffs)
        mean = sum(diffs) / n
        d = summary["difference"][stat]
        close(f"difference.{stat}", mean, d["mean"])
        if n >= 2 and d["ci95"] is not None:
            sd = math.sqrt(sum((x - mean) ** 2 for x in diffs) / (n - 1))
            lo, hi = d["ci95"]
            if sd > 0:
                t = (hi - lo) / 2 / (sd / math.sqrt(n))
                # t(0.975, n-1) lies between the normal 1.96 and t(0.975, 1) = 12.71,
                # and is within 0.01 of 1.96 + 2.4/(n-1) for n ≥ 10
                if n >= 10 and abs(t - (1.96 + 2.4 / (n - 1))) > 0.02:
                    failures.append(f"difference.{stat}: t quantile {t} for {n} sets")
    if failures:
        print("\n".join(failures))
        sys.exit(1)
    print(f"{run.name}: {len(sets)} sets, figures of evaluation.json recomputed by DuckDB from the sets table")


if __name__ == "__main__":
    main()
