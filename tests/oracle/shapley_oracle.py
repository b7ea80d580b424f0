"""Exact Shapley values: `meowlab shapley` against python `shap`'s ExactExplainer.

shap computes interventional values v(S) = mean_b f(x_S, b_S̄). With M binary indicator
features, x = 1^M, a single background row 0^M and f(z) = v({i : z_i = 1}), that is any
set function v, so shap's exact answer is the Shapley value of v
(../shared/reference/sverl.md). Random set functions for n = 2..10 players, several
per n, must agree to 1e-9.

Second, interventional values of a small model with a background set: our
`interventional` characteristic (through the `shapley-crosscheck` binary) against shap's
Exact explainer with an Independent masker over the same background, to 1e-9.

usage: shapley_oracle.py MEOWLAB CROSSCHECK [--per-n 5] [--seed 0]
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
    ap.add_argument("crosscheck")
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
    interventional_check(args.crosscheck, rng, args.per_n)


def interventional_check(binary, rng, per_n):
    cases, expected = [], []
    for d in range(2, 9):
        for _ in range(per_n):
            x = rng.normal(size=d).astype(np.float32)
            background = rng.normal(size=(int(rng.integers(1, 12)), d)).astype(np.float32)
            w, b = rng.normal(size=d), float(rng.normal())

            def f(z, w=w, b=b):
                z = np.asarray(z, dtype=np.float64)
                return np.tanh(z @ w + b) + z[:, 0] * z[:, 1]

            masker = shap.maskers.Independent(background.astype(np.float64), max_samples=len(background))
            expected.append(shap.explainers.Exact(f, masker)(x[None, :].astype(np.float64)).values[0])
            cases.append(json.dumps({"x": x.tolist(), "background": background.tolist(), "w": w.tolist(), "b": b}))
    out = subprocess.run([binary], input="\n".join(cases) + "\n", capture_output=True, text=True, check=True)
    worst = 0.0
    for k, (line, theirs) in enumerate(zip(out.stdout.splitlines(), expected)):
        ours = np.array(json.loads(line))
        err = np.abs(ours - theirs).max()
        worst = max(worst, err)
        if not err <= 1e-9:
            print(f"interventional case {k}: max error {err:.3e}\n ours {ours}\n shap {theirs}")
            sys.exit(1)
    if len(out.stdout.splitlines()) != len(expected):
        print("interventional: missing results")
        sys.exit(1)
    print(f"shapley: {len(expected)} interventional explanations of a small model (2-8 features, "
          f"1-11 background rows) agree with shap's Exact explainer; worst error {worst:.2e}")


if __name__ == "__main__":
    main()
