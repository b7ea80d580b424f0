"""meowlab's aggregate statistics against rliable on the same numbers.

Reads the JSON written by `meowlab plot aggregate --json`, recomputes every estimate with
rliable (Agarwal et al. 2021) from the normalised scores in it, and checks: point
estimates (IQM, median, mean, optimality gap, profile values, probabilities of
improvement) equal to 1e-9 — they are deterministic — and the stratified-bootstrap
interval ends within bootstrap noise: 5% of the interval's width (the two percentile
estimates differ by about 1% of it at 10,000 resamples), plus one atom where the
statistic is discrete (a profile moves in steps of 1/runs, P(X > Y) in steps of
1/(2·runs_x·runs_y·tasks)), both sides using the same number of resamples.
"""
import json
import sys

import numpy as np
from rliable import library as rly
from rliable import metrics

TOLERANCE = 0.05


def matrix(entry):
    """rliable wants runs × tasks; all tasks must have the same number of runs."""
    runs = entry["runs"]
    n = {len(r) for r in runs}
    if len(n) != 1:
        sys.exit(f"{entry['algorithm']}: tasks have different numbers of runs {sorted(n)}")
    return np.array(runs, dtype=float).T


def close_point(what, ours, theirs):
    if abs(ours - theirs) > 1e-9:
        sys.exit(f"{what}: meowlab {ours} vs rliable {theirs}")


def close_interval(what, ours, lo, hi, atom=0.0):
    width = max(hi - lo, ours["hi"] - ours["lo"])
    slack = TOLERANCE * width + atom + 1e-9
    if abs(ours["lo"] - lo) > slack or abs(ours["hi"] - hi) > slack:
        sys.exit(
            f"{what}: meowlab [{ours['lo']:.5f}, {ours['hi']:.5f}] vs "
            f"rliable [{lo:.5f}, {hi:.5f}] (tolerance {slack:.5f})"
        )


def main(path):
    doc = json.load(open(path))
    scores = {e["algorithm"]: matrix(e) for e in doc["normalised"]}
    summary = doc["summary"]
    boot = doc["bootstrap"]
    np.random.seed(12345)  # rliable draws from numpy's global stream
    funcs = {
        "Median": metrics.aggregate_median,
        "IQM": metrics.aggregate_iqm,
        "Mean": metrics.aggregate_mean,
        "Optimality gap": metrics.aggregate_optimality_gap,
    }
    checked = 0
    for name, f in funcs.items():
        points, intervals = rly.get_interval_estimates(
            scores, lambda x, f=f: np.array([f(x)]), reps=boot["reps"]
        )
        for algo in scores:
            ours = summary["statistics"][algo][name]
            close_point(f"{algo} {name}", ours["point"], float(points[algo][0]))
            lo, hi = intervals[algo][:, 0]
            close_interval(f"{algo} {name}", ours, float(lo), float(hi))
            checked += 1
    taus = np.array(summary["taus"])
    profiles, bands = rly.create_performance_profile(scores, taus, reps=boot["profile_reps"])
    for algo in scores:
        atom = 1.0 / scores[algo].size
        for k, ours in enumerate(summary["profiles"][algo]):
            close_point(f"{algo} profile τ={taus[k]:.3f}", ours["point"], float(profiles[algo][k]))
            close_interval(
                f"{algo} profile τ={taus[k]:.3f}",
                ours,
                float(bands[algo][0][k]),
                float(bands[algo][1][k]),
                atom,
            )
            checked += 1
    for x, y, ours in summary["improvement"]:
        pair = {f"{x},{y}": (scores[x], scores[y])}
        points, intervals = rly.get_interval_estimates(
            pair,
            lambda a, b: np.array([metrics.probability_of_improvement(a, b)]),
            reps=boot["reps"],
        )
        close_point(f"P({x} > {y})", ours["point"], float(points[f"{x},{y}"][0]))
        lo, hi = intervals[f"{x},{y}"][:, 0]
        (runs_x, tasks), runs_y = scores[x].shape, scores[y].shape[0]
        close_interval(f"P({x} > {y})", ours, float(lo), float(hi), 1.0 / (2 * runs_x * runs_y * tasks))
        checked += 1
    print(f"aggregate statistics: {checked} estimates match rliable "
          f"({len(scores)} algorithms, {boot['reps']} resamples)")


if __name__ == "__main__":
    main(sys.argv[1])
