#!/usr/bin/env python3
"""PyTorch baselines for the lamkit CUDA benchmark, on the same GPU, in the same run.

  torch_compare.py [--quick] [--json out.jsonl] [--sizes 1024,2048,4096,8192] [--steps 50]

1. torch.matmul fp32 at n = 1024…8192 (cuBLAS) with TF32 disabled everywhere
   (torch.backends.cuda.matmul.allow_tf32 = False, cudnn.allow_tf32 = False,
   torch.set_float32_matmul_precision('highest')) — the fair fp32 anchor for lamkit's SGEMM.
2. The conv64 training step (PRESETS.md: U-Net LAM on 3×64×64, batch 256) and the linear-1k
   step (d_o 1024, k 32, batch 1024) in PyTorch eager, Adam lr 1e-3, MSE loss (mean over batch,
   sum over dims), forward + backward + update per step, synchronised, steps/s.
Timing: CUDA events, warm-ups first, median of ≥ 20 samples. Prints a markdown table and
writes JSON lines (kind gemm/train, backend "torch") for scripts/cuda-gpu-check.sh.
"""
import argparse
import json
import statistics
import sys
import time

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError as e:  # the check script reports this and carries on
    print(f"SKIP: PyTorch not importable ({e})")
    sys.exit(0)


def env_header(out):
    if not torch.cuda.is_available():
        print("SKIP: torch.cuda.is_available() is False")
        sys.exit(0)
    p = torch.cuda.get_device_properties(0)
    info = {
        "kind": "env",
        "backend": "torch",
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
        "cudnn": torch.backends.cudnn.version(),
        "gpu": p.name,
        "cc": f"{p.major}.{p.minor}",
        "sms": p.multi_processor_count,
        "memory_gib": round(p.total_memory / 2**30, 1),
    }
    print(f"torch {info['torch']} (CUDA {info['cuda']}, cuDNN {info['cudnn']}) on {p.name}, "
          f"cc {p.major}.{p.minor}, {p.multi_processor_count} SMs, {info['memory_gib']} GiB; TF32 off")
    out(info)


def timed(fn, samples, warmup=3):
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    ts = []
    for _ in range(samples):
        a = torch.cuda.Event(enable_timing=True)
        b = torch.cuda.Event(enable_timing=True)
        a.record()
        fn()
        b.record()
        b.synchronize()
        ts.append(a.elapsed_time(b))
    ts.sort()
    return statistics.median(ts), ts[min(len(ts) - 1, int(0.9 * len(ts)))]


def bench_gemm(sizes, out):
    print("\n## torch.matmul fp32 (cuBLAS, TF32 off)\n\n| n | median ms | p90 ms | GFLOP/s |\n|---|---|---|---|")
    g = torch.Generator(device="cuda").manual_seed(42)
    for n in sizes:
        a = torch.rand(n, n, device="cuda", generator=g) * 2 - 1
        b = torch.rand(n, n, device="cuda", generator=g) * 2 - 1
        c = torch.empty(n, n, device="cuda")
        med, p90 = timed(lambda: torch.matmul(a, b, out=c), 10 if n >= 8192 else 20)
        gf = 2 * n**3 / (med * 1e6)
        print(f"| {n} | {med:.3f} | {p90:.3f} | {gf:.0f} |")
        out({"kind": "kernel", "name": "gemm", "shape": [n, n, n], "backend": "torch",
             "median_ms": med, "p90_ms": p90, "gflops": gf})
        del a, b, c


# ---- models (PRESETS.md) ------------------------------------------------------------------------
def conv(i, o):
    return nn.Conv2d(i, o, 4, 2, 1)


def convt(i, o):
    return nn.ConvTranspose2d(i, o, 4, 2, 1)


class Conv64(nn.Module):
    """U-Net LAM: IDM on (o_t, o_t1) → z (16); FDM encoder on o_t, z injected at 128×4×4."""

    def __init__(self, c=3, ch=(32, 64, 128, 128), k=16):
        super().__init__()
        a, b, cc, d = ch
        self.idm = nn.ModuleList([conv(2 * c, a), conv(a, b), conv(b, cc), conv(cc, d)])
        self.idm_head = nn.Linear(d * 16, k)
        self.enc = nn.ModuleList([conv(c, a), conv(a, b), conv(b, cc), conv(cc, d)])
        self.inject = nn.Linear(k, d * 16)
        self.dec1 = convt(d, cc)
        self.dec2 = convt(2 * cc, b)
        self.dec3 = convt(2 * b, a)
        self.dec4 = convt(2 * a, c)
        self.d = d

    def forward(self, o_t, o_t1):
        h = torch.cat([o_t, o_t1], 1)
        for m in self.idm:
            h = F.relu(m(h))
        z = self.idm_head(h.flatten(1))
        e = []
        h = o_t
        for m in self.enc:
            h = F.relu(m(h))
            e.append(h)
        h = e[3] + self.inject(z).view(-1, self.d, 4, 4)
        h = F.relu(self.dec1(h))
        h = F.relu(self.dec2(torch.cat([h, e[2]], 1)))
        h = F.relu(self.dec3(torch.cat([h, e[1]], 1)))
        return self.dec4(torch.cat([h, e[0]], 1))


class Linear1k(nn.Module):
    """z = W1 o_t + W2 o_t1 (k = 32, no bias); ô = C o_t + D z (no bias)."""

    def __init__(self, d=1024, k=32):
        super().__init__()
        self.w1 = nn.Linear(d, k, bias=False)
        self.w2 = nn.Linear(d, k, bias=False)
        self.c = nn.Linear(d, d, bias=False)
        self.dd = nn.Linear(k, d, bias=False)

    def forward(self, o_t, o_t1):
        z = self.w1(o_t) + self.w2(o_t1)
        return self.c(o_t) + self.dd(z)


def bench_train(name, model, shape, batch, steps, out):
    torch.manual_seed(0)
    model = model.cuda()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    data = [(torch.rand(batch, *shape, device="cuda"), torch.rand(batch, *shape, device="cuda")) for _ in range(4)]

    def step(i):
        o_t, o_t1 = data[i % len(data)]
        pred = model(o_t, o_t1)
        loss = (pred - o_t1).pow(2).flatten(1).sum(1).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return loss

    for i in range(5):
        step(i)
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    for i in range(steps):
        loss = step(i)
    torch.cuda.synchronize()
    s = time.perf_counter() - t0
    sps = steps / s
    print(f"| {name} | {batch} | torch eager | {steps} | {sps:.2f} | {1e3 / sps:.3f} | loss {loss.item():.4g} |")
    out({"kind": "train", "preset": name, "batch": batch, "backend": "torch", "mode": "eager",
         "steps": steps, "steps_per_s": sps, "ms_per_step": 1e3 / sps})


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--json")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--sizes", default="1024,2048,4096,8192")
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--batch", type=int, default=256)
    a = ap.parse_args()
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.set_float32_matmul_precision("highest")
    torch.backends.cudnn.benchmark = True  # PyTorch's best conv algorithms: the fair anchor
    f = open(a.json, "w") if a.json else None

    def out(obj):
        if f:
            f.write(json.dumps(obj) + "\n")

    env_header(out)
    sizes = [1024, 2048] if a.quick else [int(s) for s in a.sizes.split(",")]
    steps = 10 if a.quick else a.steps
    bench_gemm(sizes, out)
    print("\n## training steps (PyTorch eager)\n\n| preset | batch | mode | steps | steps/s | ms/step | loss |\n|---|---|---|---|---|---|---|")
    bench_train("conv64", Conv64(), (3, 64, 64), 32 if a.quick else a.batch, steps, out)
    bench_train("linear-1k", Linear1k(), (1024,), 1024, steps, out)
    if f:
        f.close()


if __name__ == "__main__":
    main()
