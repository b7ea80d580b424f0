"""Synthetic final scores for the rliable cross-check: 3 algorithms × 5 tasks × 10 runs,
skewed and with ties and outliers (what real RL scores look like), deterministic."""
import json
import sys

import numpy as np

rng = np.random.default_rng(20261206)
doc = {}
for algo, (shift, spread) in {"a": (0.3, 0.2), "b": (0.5, 0.3), "c": (0.5, 0.05)}.items():
    tasks = {}
    for t in range(5):
        runs = shift + spread * rng.standard_normal(10) + 0.1 * t
        runs[rng.integers(0, 10)] += 2.0 * rng.random()  # an outlier
        runs = np.round(runs, 2)  # ties
        tasks[f"task{t}"] = runs.tolist()
    doc[algo] = tasks
json.dump(doc, open(sys.argv[1], "w"), indent=1)
