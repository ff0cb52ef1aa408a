#!/usr/bin/env python3
"""PyTorch eager twin of lamkit's training step for `lamkit bench train` (PRESETS.md shapes).

Same model, same loss (MSE summed over dims, mean over batch), Adam lr 1e-3, float32, CPU,
eager mode. Fixed random inputs are generated once (data generation is not timed, as in lamkit's
benchmark). Prints one JSON line: {"steps_per_s": …, "median_ms": …, "threads": …}.

Run with /usr/bin/python3 (Debian python3-torch). Thread count: pass --threads and also set
OPENBLAS_NUM_THREADS / OMP_NUM_THREADS to the same value (OpenBLAS ignores set_num_threads).
"""
import argparse
import json
import statistics
import sys
import time

try:
    import torch
    import torch.nn as nn
except ImportError as e:  # the caller prints a skip message
    print(json.dumps({"error": f"torch not importable: {e}"}))
    sys.exit(3)

PRESETS = {
    "linear-exo": dict(kind="linear", d_o=64, k=8, batch=512),
    "linear-1k": dict(kind="linear", d_o=1024, k=32, batch=1024),
    "conv64": dict(kind="conv", c=3, hw=64, ch=(32, 64, 128, 128), k=16, batch=32),
    "grid32": dict(kind="conv", c=1, hw=32, ch=(8, 16, 32, 32), k=8, batch=16),
}


class LinearLam(nn.Module):
    def __init__(self, d_o, k):
        super().__init__()
        self.W1 = nn.Linear(d_o, k, bias=False)
        self.W2 = nn.Linear(d_o, k, bias=False)
        self.C = nn.Linear(d_o, d_o, bias=False)
        self.D = nn.Linear(k, d_o, bias=False)

    def forward(self, o, o1):
        z = self.W1(o) + self.W2(o1)
        return self.C(o) + self.D(z)


def conv(i, o):
    return nn.Conv2d(i, o, 4, 2, 1)


def convT(i, o):
    return nn.ConvTranspose2d(i, o, 4, 2, 1)


class ConvLam(nn.Module):
    def __init__(self, c, hw, ch, k):
        super().__init__()
        c1, c2, c3, c4 = ch
        self.idm = nn.Sequential(conv(2 * c, c1), nn.ReLU(), conv(c1, c2), nn.ReLU(), conv(c2, c3), nn.ReLU(), conv(c3, c4), nn.ReLU(), nn.Flatten())
        s = hw // 16
        self.fc = nn.Linear(c4 * s * s, k)
        self.enc = nn.ModuleList([conv(c, c1), conv(c1, c2), conv(c2, c3), conv(c3, c4)])
        self.inject = nn.Linear(k, c4 * s * s)
        self.dec = nn.ModuleList([convT(c4, c4), convT(c4 + c3, c2), convT(c2 + c2, c1), convT(c1 + c1, c)])
        self.shape = (c4, s, s)

    def forward(self, o, o1):
        z = self.fc(self.idm(torch.cat([o, o1], 1)))
        e = []
        h = o
        for layer in self.enc:
            h = torch.relu(layer(h))
            e.append(h)
        d = e[3] + self.inject(z).view(-1, *self.shape)
        for i, layer in enumerate(self.dec):
            d = layer(d)
            if i < 3:
                d = torch.cat([torch.relu(d), e[2 - i]], 1)
        return d


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--preset", required=True, choices=sorted(PRESETS))
    ap.add_argument("--batch", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--steps", type=int, default=0, help="timed steps per sample (default by preset)")
    ap.add_argument("--samples", type=int, default=10)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    p = PRESETS[a.preset]
    B = a.batch or p["batch"]
    if p["kind"] == "linear":
        model = LinearLam(p["d_o"], p["k"])
        shape = (B, p["d_o"])
    else:
        model = ConvLam(p["c"], p["hw"], p["ch"], p["k"])
        shape = (B, p["c"], p["hw"], p["hw"])
    o = torch.rand(shape)
    o1 = torch.rand(shape)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)

    def step():
        opt.zero_grad(set_to_none=True)
        pred = model(o, o1)
        loss = ((pred - o1) ** 2).sum() / B
        loss.backward()
        opt.step()
        return loss

    n = a.steps or {"linear-exo": 200, "linear-1k": 5, "conv64": 2, "grid32": 20}[a.preset]
    for _ in range(max(2, n // 4)):
        step()
    times = []
    for _ in range(a.samples):
        t0 = time.perf_counter()
        for _ in range(n):
            step()
        times.append((time.perf_counter() - t0) / n)
    med = statistics.median(times)
    print(json.dumps({"steps_per_s": 1.0 / med, "median_ms": med * 1e3, "p90_ms": sorted(times)[int(0.9 * (len(times) - 1))] * 1e3,
                      "threads": torch.get_num_threads(), "torch": torch.__version__, "batch": B}))


if __name__ == "__main__":
    main()
