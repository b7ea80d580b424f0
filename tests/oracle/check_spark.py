#!/usr/bin/env python3
"""Distributed analysis: every Parquet table of self-play and control runs read by Apache
Spark (pyspark in local mode) and by DuckDB, each table folder as one Hive-partitioned
dataset, and checked to agree: row counts, columns, partition columns, and per table one
Spark SQL query (GROUP BY its partition columns and seed/phase/name/model where present:
rows, sums of the numeric columns, true counts of the flags, distinct ids) against the
same SQL text in DuckDB. Floats agree to a relative 1e-9.

Usage::

    python check_spark.py --selfplay RUN_DIR [RUN_DIR ...] --control RUN_DIR [RUN_DIR ...]

Exits non-zero with a message on the first disagreement.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from decimal import Decimal
from pathlib import Path

import duckdb
import pyspark
from pyspark.sql import SparkSession
from pyspark.sql import types as T

GROUP_COLUMNS = ["seed", "phase", "name", "model"]  # low-cardinality data columns grouped by as well


def fail(msg: str) -> None:
    print(f"check_spark: FAIL: {msg}", file=sys.stderr)
    sys.exit(1)


def hidden(name: str) -> bool:
    return name.startswith(("_", "."))  # the store's (and Spark's) rule: not data


def tables(run: Path) -> dict[Path, list[str]]:
    """Each folder holding data shards, `key=value` folders counted as partitions of the
    table above them, with its partition keys."""
    found: dict[Path, list[str]] = {}
    for dirpath, dirnames, filenames in os.walk(run):
        dirnames[:] = [d for d in dirnames if not hidden(d)]
        if not any(f.endswith(".parquet") and not hidden(f) for f in filenames):
            continue
        table, keys = Path(dirpath), []
        while "=" in table.name:
            keys.insert(0, table.name.split("=", 1)[0])
            table = table.parent
        if found.setdefault(table, keys) != keys:
            fail(f"{table}: partition folders {found[table]} and {keys}")
    return dict(sorted(found.items()))


def duck_source(table: Path) -> str:
    return f"read_parquet('{table}/**/*.parquet', hive_partitioning=true)"


def norm(v):
    if isinstance(v, Decimal):  # Spark reads uint64 as decimal(20,0)
        return int(v) if v == v.to_integral_value() else float(v)
    return v


def same(a, b) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        if a is None or b is None:
            return a is b
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9) or (math.isnan(a) and math.isnan(b))
    return a == b


def grouped_sql(df, keys: list[str]) -> tuple[str, int]:
    """One SQL text for both engines ("x" quotes identifiers in both) and its number of aggregates."""
    by = []
    for f in df.schema.fields:
        if f.name in keys or f.name in GROUP_COLUMNS:
            # DuckDB keeps zero-padded partition values (update=00000001) as VARCHAR, Spark infers int
            integral = f.name in keys and isinstance(f.dataType, T.IntegralType)
            by.append(f'CAST("{f.name}" AS BIGINT)' if integral else f'"{f.name}"')
    aggs = ["count(*)"]
    for f in df.schema.fields:
        q = f'"{f.name}"'
        if f.name in keys or f.name in GROUP_COLUMNS:
            continue
        if isinstance(f.dataType, T.BooleanType):
            aggs.append(f"count_if({q})")
        elif isinstance(f.dataType, T.NumericType):
            aggs.append(f"sum({q})")
        if f.name.endswith("_id"):
            aggs.append(f"count(DISTINCT {q})")
    sql = f"SELECT {', '.join(by + aggs)} FROM t"
    if by:
        sql += f" GROUP BY {', '.join(by)} ORDER BY {', '.join(by)}"
    return sql, len(aggs)


def check_table(spark, duck, label: str, width: int, table: Path, keys: list[str]) -> tuple[int, int]:
    df = spark.read.parquet(str(table))
    drel = duck.sql(f"SELECT * FROM {duck_source(table)}")
    s_cols, d_cols = df.columns, drel.columns
    if [c for c in s_cols if c not in keys] != [c for c in d_cols if c not in keys] or not set(keys) <= set(s_cols) & set(d_cols):
        fail(f"{label}: columns differ: Spark {s_cols}, DuckDB {d_cols}; partition folders {keys}")
    n_spark = df.count()
    n_duck = duck.sql(f"SELECT count(*) FROM {duck_source(table)}").fetchall()[0][0]
    if n_spark != n_duck:
        fail(f"{label}: Spark counts {n_spark} rows, DuckDB {n_duck}")
    if n_spark == 0:
        fail(f"{label}: no rows")

    sql, n_aggs = grouped_sql(df, keys)
    df.createOrReplaceTempView("t")
    duck.sql(f"CREATE OR REPLACE VIEW t AS SELECT * FROM {duck_source(table)}")
    s_rows = [tuple(norm(v) for v in r) for r in spark.sql(sql).collect()]
    d_rows = [tuple(norm(v) for v in r) for r in duck.sql(sql).fetchall()]
    if len(s_rows) != len(d_rows):
        fail(f"{label}: {len(s_rows)} groups in Spark, {len(d_rows)} in DuckDB for\n  {sql}")
    for s, d in zip(s_rows, d_rows):
        if len(s) != len(d) or not all(same(a, b) for a, b in zip(s, d)):
            fail(f"{label}: Spark and DuckDB disagree on\n  {sql}\n  Spark:  {s}\n  DuckDB: {d}")

    s_types, d_types = dict(df.dtypes), dict(zip(d_cols, (str(t) for t in drel.types)))
    parts = ", ".join(f"{k} (Spark {s_types[k]}, DuckDB {d_types[k].lower()})" for k in keys) or "none"
    print(f"{label:{width}} {n_spark:7} rows {len(s_cols):3} cols  {len(s_rows):3} groups x {n_aggs:2} aggregates  partitions: {parts}")
    return n_spark, len(s_rows)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--selfplay", nargs="+", type=Path, required=True, help="self-play run folders")
    p.add_argument("--control", nargs="+", type=Path, required=True, help="control run folders")
    a = p.parse_args()
    started = time.monotonic()

    work = []  # (label, table, partition keys)
    for kind, runs in (("selfplay", a.selfplay), ("control", a.control)):
        partitioned = False
        for run in runs:
            meta = json.loads((run / "run.json").read_text())
            if (meta.get("kind"), meta.get("status")) != (kind, "complete"):
                fail(f"{run}: run.json says a {meta.get('status')} {meta.get('kind')} run, expected a complete {kind} run")
            found = tables(run)
            if not found:
                fail(f"{run}: no Parquet tables")
            for table, keys in found.items():
                work.append((f"{run.name}/{table.relative_to(run)}", table, keys))
                partitioned |= bool(keys)
        if not partitioned:
            fail(f"no Hive-partitioned table in the {kind} runs (a self-play run writes samples/update=…/actor=… with ppo.actors ≥ 1 and keep_samples)")

    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # offline: no lookup of the host's address
    spark = (
        SparkSession.builder.master("local[2]").appName("check_spark")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.memory", "1g")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.sql.ansi.enabled", "true")
        .config("spark.sql.ansi.doubleQuotedIdentifiers", "true")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    java = spark.sparkContext._jvm.java.lang.System.getProperty("java.version")
    duck = duckdb.connect()
    try:
        rows = groups = 0
        width = max(len(w[0]) for w in work)
        for label, table, keys in work:
            n, g = check_table(spark, duck, label, width, table, keys)
            rows, groups = rows + n, groups + g
    finally:
        spark.stop()
    print(f"check_spark: ok: {len(work)} tables, {rows} rows in {len(a.selfplay) + len(a.control)} runs: Spark {pyspark.__version__} "
          f"(Java {java}) and DuckDB {duckdb.__version__} agree on counts, columns, partitions and {groups} grouped rows "
          f"[{time.monotonic() - started:.1f}s]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
