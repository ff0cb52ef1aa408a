"""PyTorch CPU anchor for `lamkit bench kernels` (run with /usr/bin/python3).

Times the conv family on the shapes it is given, the way lamkit's kernels compute them:
  conv2d                  y  = conv2d(x, w)                       (F.conv2d)
  conv2d_backward_input   dx = convolution_backward(dy, x, w)[0]  (aten, input grad only)
  conv2d_backward_filter  dw = convolution_backward(dy, x, w)[1]  (aten, weight grad only)
  conv_transpose2d        y  = conv_transpose2d(x, w)             (F.conv_transpose2d)
Input (stdin): one JSON object {"threads": n, "samples": s, "cases": [{"op", "x": [N,C,H,W],
"w": [...], "stride": [sh,sw], "padding": [ph,pw], "dilation": [dh,dw], "out": [..]}]}.
Output: one JSON line per case {"op", "median_ms", "p90_ms", "samples", "times", "cpu_times"}
(wall and process CPU ms per call), then
{"torch": version, "mkldnn": bool, "threads": n}.
"""
import json
import sys
import time

import torch
import torch.nn.functional as F


def timeit(fn, samples):
    for _ in range(2):
        fn()
    ts, cs = [], []
    for _ in range(samples):
        c0 = time.process_time()
        t0 = time.perf_counter()
        fn()
        ts.append((time.perf_counter() - t0) * 1e3)
        cs.append((time.process_time() - c0) * 1e3)
    s = sorted(ts)
    return s[len(s) // 2], s[min(len(s) - 1, int(len(s) * 0.9))], ts, cs


def main():
    spec = json.load(sys.stdin)
    torch.set_num_threads(int(spec["threads"]))
    torch.manual_seed(0)
    samples = int(spec["samples"])
    with torch.no_grad():
        for c in spec["cases"]:
            op = c["op"]
            s, p, d = tuple(c["stride"]), tuple(c["padding"]), tuple(c["dilation"])
            x = torch.randn(*c["x"])
            w = torch.randn(*c["w"])
            if op == "conv2d":
                fn = lambda: F.conv2d(x, w, stride=s, padding=p, dilation=d)
            elif op == "conv_transpose2d":
                N, IC, H, W = c["x"]
                OH, OW = c["out"][2], c["out"][3]
                base_h = (H - 1) * s[0] - 2 * p[0] + d[0] * (w.shape[2] - 1) + 1
                base_w = (W - 1) * s[1] - 2 * p[1] + d[1] * (w.shape[3] - 1) + 1
                op_pad = (OH - base_h, OW - base_w)
                fn = lambda: F.conv_transpose2d(x, w, stride=s, padding=p, output_padding=op_pad, dilation=d)
            else:
                dy = torch.randn(*c["out"])
                mask = [op == "conv2d_backward_input", op == "conv2d_backward_filter", False]
                fn = lambda: torch.ops.aten.convolution_backward(
                    dy, x, w, None, list(s), list(p), list(d), False, [0, 0], 1, mask)
            med, p90, ts, cs = timeit(fn, samples)
            print(json.dumps({"op": op, "median_ms": med, "p90_ms": p90, "samples": samples, "times": ts,
                              "cpu_times": cs}), flush=True)
    print(json.dumps({"torch": torch.__version__, "mkldnn": torch.backends.mkldnn.is_available(),
                      "threads": torch.get_num_threads()}), flush=True)


if __name__ == "__main__":
    main()
