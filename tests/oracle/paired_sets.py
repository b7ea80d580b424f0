"""Paired comparison of two challengers judged on the same duplicate sets.

Two `meowlab eval` runs with the same --sets, --seed and opponent play the same walls in
the same seatings, so the per-set difference of the challengers' results is a paired
sample (much tighter than comparing their two intervals). Prints B − A in average rank
and in rank points per game with a Student-t 95% interval and a two-sided p-value.

    python tests/oracle/paired_sets.py RUN_A/sets RUN_B/sets
"""
import sys

import numpy as np
import pyarrow.dataset as ds
from scipy import stats


def per_set(path):
    t = ds.dataset(path, format="parquet").to_table().to_pandas()
    c = t[t.agent == "challenger"].set_index("seed")
    return c.rank_sum / c.seat_games, c.rank_points / c.seat_games


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    a_rank, a_points = per_set(sys.argv[1])
    b_rank, b_points = per_set(sys.argv[2])
    if set(a_rank.index) != set(b_rank.index):
        sys.exit("the two evaluations did not play the same sets (seeds differ)")
    for name, a, b in [("avg rank", a_rank, b_rank), ("rank points", a_points, b_points)]:
        d = (b - a).to_numpy()
        n, mean = len(d), d.mean()
        se = d.std(ddof=1) / np.sqrt(n)
        half = stats.t.ppf(0.975, n - 1) * se
        p = 2 * stats.t.sf(abs(mean / se), n - 1) if se > 0 else float(mean != 0)
        print(f"{name}: B - A = {mean:+.4f} [{mean - half:+.4f}, {mean + half:+.4f}] "
              f"({n} sets, p = {p:.3g})")


if __name__ == "__main__":
    main()
