#!/usr/bin/env bash
# Runs native/tests/cuda_kernels_test.cpp against native/cuda/*.cu compiled for the HOST with
# g++ through a tiny CUDA-runtime emulator (native/tests/cuda_emu/cuda_runtime.h): every
# `kernel<<<grid, block, smem, stream>>>(args)` becomes a run of the same kernel body on
# blockDim host threads per block (barriers for __syncthreads and warp shuffles).
# Why: no GPU on the development machines — this checks the kernels' index logic, tiling,
# split-K, stride phases, reductions and the executor's graph/double-buffer flow against the CPU
# kernels. It is NOT a GPU test (no timing, no memory model, no nvcc codegen); the real check is
# scripts/cuda-gpu-check.sh on a GPU.
#   scripts/cuda-emulate-test.sh [build-dir]     (needs g++ ≥ 12, python3, cmake for lamkit_core)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-/tmp/lamkit-cuda-emu}
mkdir -p "$out/src"
python3 - "$root/native/cuda" "$out/src" <<'PY'
import os, re, sys
src, dst = sys.argv[1], sys.argv[2]
def split_top(s):
    parts, depth, cur = [], 0, ''
    for ch in s:
        if ch in '([{<' and not (ch == '<' and cur.endswith('<')): depth += ch in '([{'
        if ch in ')]}': depth -= 1
        if ch == ',' and depth == 0:
            parts.append(cur.strip()); cur = ''
        else:
            cur += ch
    parts.append(cur.strip())
    return parts
for name in os.listdir(src):
    if not (name.endswith('.cu') or name.endswith('.cuh')): continue
    s = open(os.path.join(src, name)).read()
    out, i = '', 0
    while True:
        j = s.find('<<<', i)
        if j < 0: out += s[i:]; break
        # kernel expression: identifier, optionally followed by <template args>
        k = j
        if s[k-1] == '>':
            d = 0
            while True:
                k -= 1
                if s[k] == '>': d += 1
                elif s[k] == '<':
                    d -= 1
                    if d == 0: break
        m = re.search(r'[A-Za-z_][A-Za-z_0-9]*$', s[:k])
        ks = m.start()
        kernel = s[ks:j]
        e = s.find('>>>', j)
        cfg = split_top(s[j+3:e])
        assert s[e+3] == '(', name
        d, p = 0, e + 3
        while True:
            if s[p] == '(': d += 1
            elif s[p] == ')':
                d -= 1
                if d == 0: break
            p += 1
        args = s[e+4:p]
        out += s[i:ks] + f'EMU_LAUNCH(({kernel}), {cfg[0]}, {cfg[1]}, {args})'
        i = p + 1
    open(os.path.join(dst, name.replace('.cu', '.cpp') if name.endswith('.cu') else name), 'w').write(out)
PY
if [ ! -f "$out/core/liblamkit_core.a" ]; then
  cmake -S "$root" -B "$out/core" -DCMAKE_BUILD_TYPE=Release -DLAMKIT_CUDA=OFF -DLAMKIT_TESTS=OFF >/dev/null
  cmake --build "$out/core" -j 2 --target lamkit_core >/dev/null
fi
flags="-std=c++20 -O2 -pthread -I$root/native/cuda/../tests/cuda_emu -I$root/native/include -I$root/native -I$out/src -Wno-unused-result"
objs=()
for f in "$out"/src/*.cpp; do
  o="${f%.cpp}.o"
  g++ $flags -c "$f" -o "$o"
  objs+=("$o")
done
g++ $flags "$root/native/tests/cuda_kernels_test.cpp" "${objs[@]}" "$out/core/liblamkit_core.a" -o "$out/cuda_kernels_test_emu"
echo "running the CUDA kernel test on the host emulator ($out/cuda_kernels_test_emu)"
LAMKIT_CUDA_EMU=1 "$out/cuda_kernels_test_emu"
