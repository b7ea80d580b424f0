#!/usr/bin/env python3
"""Interop check: open a run written by ``meowlab play --log`` with pyarrow, DuckDB and
polars, each reading every table folder as one Hive-style dataset, and check row counts
and values against what the CLI printed.

Usage::

    python check_run.py RUN_DIR --games N --hands H --decisions D

Exits non-zero with a message on the first mismatch.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import duckdb
import polars as pl
import pyarrow.dataset as ds


def fail(msg: str) -> None:
    print(f"check_run: FAIL: {msg}", file=sys.stderr)
    sys.exit(1)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("run")
    p.add_argument("--games", type=int, required=True)
    p.add_argument("--hands", type=int, required=True)
    p.add_argument("--decisions", type=int, required=True)
    p.add_argument("--imported", action="store_true", help="games imported from logs: each has a unique source")
    a = p.parse_args()
    run = Path(a.run)

    meta = json.loads((run / "run.json").read_text())
    if meta["status"] != "complete":
        fail(f"run.json status is {meta['status']!r}")

    want = {"games": a.games, "kyoku": a.hands, "decisions": a.decisions}
    for table, n in want.items():
        got_pa = ds.dataset(run / table, format="parquet", partitioning="hive").count_rows()
        got_duck = duckdb.sql(f"select count(*) from read_parquet('{run / table}/**/*.parquet', hive_partitioning=true)").fetchall()[0][0]
        got_pl = pl.scan_parquet(str(run / table / "*.parquet")).select(pl.len()).collect().item()
        if not (got_pa == got_duck == got_pl == n):
            fail(f"{table}: pyarrow {got_pa}, duckdb {got_duck}, polars {got_pl} rows; the CLI said {n}")
        print(f"{table:10} {n:8} rows  (pyarrow, duckdb, polars agree)")

    games = ds.dataset(run / "games", format="parquet").to_table().to_pylist()
    for g in games:
        total = g["score_0"] + g["score_1"] + g["score_2"]
        if total != 105000:
            fail(f"game {g['game_id']}: final scores sum to {total}")
        if sorted([g["rank_0"], g["rank_1"], g["rank_2"]]) != [1, 2, 3]:
            fail(f"game {g['game_id']}: ranks are not 1, 2, 3")

    if a.imported:
        sources = [g["source"] for g in games]
        if None in sources or len(set(sources)) != len(sources):
            fail("an imported game without its source, or one source twice")
        print(f"sources    ok: {len(sources)} distinct log ids")

    # decisions per game equal the games table's decision_count; discards match dahai events
    per_game = dict(duckdb.sql(f"select game_id, count(*) from read_parquet('{run}/decisions/*.parquet') group by 1").fetchall())
    for g in games:
        if per_game.get(g["game_id"]) != g["decision_count"]:
            fail(f"game {g['game_id']}: {per_game.get(g['game_id'])} decision rows, decision_count {g['decision_count']}")
    dahai = duckdb.sql(f"select count(*) from read_parquet('{run}/events/*.parquet') where type = 'dahai'").fetchall()[0][0]
    discards = duckdb.sql(
        f"select count(*) from read_parquet('{run}/decisions/*.parquet') where action < 74"
    ).fetchall()[0][0]
    if dahai != discards:
        fail(f"{dahai} dahai events but {discards} discard/riichi decisions")
    hora = duckdb.sql(f"select count(*) from read_parquet('{run}/events/*.parquet') where type = 'hora'").fetchall()[0][0]
    winners = pl.scan_parquet(str(run / "kyoku" / "*.parquet")).select(pl.col("winners").list.len().sum()).collect().item()
    if hora != winners:
        fail(f"{hora} hora events but {winners} winners in kyoku")
    print(f"values     ok: score sums, ranks, decisions per game, {dahai} discards, {hora} wins")
    return 0


if __name__ == "__main__":
    sys.exit(main())
