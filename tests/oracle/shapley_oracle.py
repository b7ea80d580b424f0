"""Exact Shapley values: `meowlab shapley` against python `shap`'s ExactExplainer.

shap computes interventional values v(S) = mean_b f(x_S, b_S̄). With M binary indicator
features, x = 1^M, a single background row 0^M and f(z) = v({i : z_i = 1}), that is any
set function v, so shap's exact answer is the Shapley value of v
(../shared/reference/sverl.md). Random set functions for n = 2..10 players, several
per n, must agree to 1e-9.

usage: shapley_oracle.py MEOWLAB [--per-n 5] [--seed 0]
"""

import argparse
import json
import subprocess
import sys

import numpy as np
import shap


def shap_exact(values, n):
    table = np.asarray(values)
    weights = 1 << np.arange(n)

    def f(z):
        return table[(np.asarray(z) > 0.5).astype(np.int64) @ weights]

    background = np.zeros((1, n))
    masker = shap.maskers.Independent(background, max_samples=1)
    explainer = shap.explainers.Exact(f, masker)
    return explainer(np.ones((1, n))).values[0]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("meowlab")
    ap.add_argument("--per-n", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    worst, cases = 0.0, 0
    for n in range(2, 11):
        for k in range(args.per_n):
            # a mix of scales and shapes: dense noise, sparse spikes, a monotone game
            if k % 3 == 0:
                values = rng.normal(size=1 << n) * 10.0 ** rng.integers(-3, 4)
            elif k % 3 == 1:
                values = np.where(rng.random(1 << n) < 0.1, rng.normal(size=1 << n), 0.0)
            else:
                values = np.array([bin(c).count("1") ** 2 for c in range(1 << n)], float) + rng.random(1 << n)
            values[0] = rng.normal()
            out = subprocess.run(
                [args.meowlab, "shapley", "-"],
                input=json.dumps({"players": n, "values": values.tolist()}),
                capture_output=True, text=True, check=True,
            )
            ours = np.array(json.loads(out.stdout))
            theirs = shap_exact(values, n)
            scale = max(1.0, np.abs(theirs).max())
            err = np.abs(ours - theirs).max() / scale
            worst = max(worst, err)
            cases += 1
            if not err <= 1e-9:
                print(f"n={n} case {k}: max error {err:.3e}\n ours   {ours}\n shap   {theirs}")
                sys.exit(1)
            efficiency = abs(ours.sum() - (values[-1] - values[0]))
            if efficiency > 1e-9 * max(1.0, np.abs(values).max()):
                print(f"n={n} case {k}: efficiency off by {efficiency:.3e}")
                sys.exit(1)
    print(f"shapley: {cases} random set functions (n = 2..10) agree with shap {shap.__version__} "
          f"ExactExplainer; worst relative error {worst:.2e}")


if __name__ == "__main__":
    main()
