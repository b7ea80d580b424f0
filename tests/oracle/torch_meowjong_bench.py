"""The Meowjong CNN in PyTorch (CPU), for `meowlab bench sl`: the same layers as
meowlab_learn::meowjong (Conv VALID -> ReLU -> BatchNorm -> Dropout per convolution, then
Dense -> ReLU -> BatchNorm -> Dropout -> Dense), Adam, cross-entropy, batch of synthetic
planes with ~8% of cells set. Prints one JSON line of samples/s (best of --repeat)."""
import argparse, json, time

import torch
from torch import nn


def build(filters, dense, kernels, classes, dropout):
    layers, c, h, w = [], 1, 34, 366
    for f, kernel in zip(filters, kernels):
        layers += [nn.Conv2d(c, f, kernel), nn.ReLU(), nn.BatchNorm2d(f), nn.Dropout(dropout)]
        c, h, w = f, h - kernel[0] + 1, w - kernel[1] + 1
    layers += [nn.Flatten(), nn.Linear(c * h * w, dense), nn.ReLU(), nn.BatchNorm1d(dense),
               nn.Dropout(dropout), nn.Linear(dense, classes)]
    return nn.Sequential(*layers)


def rate(seconds, items, step):
    start, done = time.perf_counter(), 0
    while True:
        step()
        done += items
        t = time.perf_counter() - start
        if t >= seconds:
            return done / t


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--filters", default="8,8")
    ap.add_argument("--dense", type=int, default=64)
    ap.add_argument("--kernel", default="4,5",
                    help="rows,cols for every convolution, or one per convolution joined by ';'")
    ap.add_argument("--classes", type=int, default=34)
    ap.add_argument("--dropout", type=float, default=0.5)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    torch.manual_seed(a.seed)
    filters = [int(f) for f in a.filters.split(",")]
    kernels = [tuple(int(k) for k in one.split(",")) for one in a.kernel.split(";")]
    if len(kernels) == 1:
        kernels *= len(filters)
    if len(kernels) != len(filters):
        ap.error(f"--kernel names {len(kernels)} kernels for {len(filters)} convolutions")
    model = build(filters, a.dense, kernels, a.classes, a.dropout)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = (torch.rand(a.batch_size, 1, 34, 366) < 0.08).float()
    y = torch.randint(0, a.classes, (a.batch_size,))

    def train_step():
        opt.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        opt.step()

    best = {"train": 0.0, "single": 0.0, "batch": 0.0}
    for _ in range(a.repeat):
        model.train()
        best["train"] = max(best["train"], rate(a.seconds, a.batch_size, train_step))
        model.eval()
        with torch.no_grad():
            best["batch"] = max(best["batch"], rate(a.seconds, a.batch_size, lambda: model(x)))
            best["single"] = max(best["single"], rate(a.seconds, 1, lambda: model(x[:1])))
    print(json.dumps({
        "torch": torch.__version__, "threads": torch.get_num_threads(),
        "train_samples_per_sec": best["train"], "infer_single_per_sec": best["single"],
        "infer_batch_per_sec": best["batch"],
    }))


if __name__ == "__main__":
    main()
