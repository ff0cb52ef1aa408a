/**
 * Routes the eager conv LAM's large GEMMs to the native `matmul` kernel (F2's BLIS-style SGEMM,
 * AVX2/AVX-512) through one-instruction plans of the native executor (src/backends/single-op.ts
 * layout, native addon Plan). One plan per (ta, tb, M, N, K) is compiled once and reused: each
 * call writes A and B into its arena, runs the instruction, and reads C back. The copies cost
 * O(MK + KN + MN) against the kernel's 2MNK flops, so small products stay in TypeScript.
 */
import { loadNativeAddon, type NativePlan } from '../backends/native.js';
import { planSingleOp } from '../backends/single-op.js';
import { setGemmProvider, type GemmProvider } from './conv-kernels.js';

interface Cached {
  plan: NativePlan;
  a: number;
  b: number;
  c: number;
}

/** Below this many multiply-adds the copy in/out costs more than the TS loop saves. */
const MIN_MACS = 1 << 15;

/**
 * Installs the native GEMM provider when the addon loads; returns a reason string when it does
 * not (the TypeScript kernels then stay in use).
 */
export function useNativeGemm(threads = 1): { ok: true; isa: string } | { ok: false; reason: string } {
  const load = loadNativeAddon();
  if (!load.addon) return { ok: false, reason: load.reason };
  const addon = load.addon;
  const plans = new Map<string, Cached>();
  const get = (ta: boolean, tb: boolean, M: number, N: number, K: number): Cached => {
    const key = `${+ta}${+tb}:${M}:${N}:${K}`;
    let c = plans.get(key);
    if (!c) {
      const layout = planSingleOp({ op: 'matmul', inputShapes: [ta ? [K, M] : [M, K], tb ? [N, K] : [K, N]], attrs: { ta, tb }, guard: 0 });
      c = { plan: new addon.Plan(layout.program.tape, layout.program.arenaFloats), a: layout.inputOffsets[0], b: layout.inputOffsets[1], c: layout.outputOffsets[0] };
      plans.set(key, c);
    }
    return c;
  };
  const provider: GemmProvider = (ta, tb, M, N, K, A, B, C, acc) => {
    if (M * N * K < MIN_MACS) return false;
    const p = get(ta, tb, M, N, K);
    p.plan.writeArena(p.a, A.length === M * K ? A : A.subarray(0, M * K));
    p.plan.writeArena(p.b, B.length === K * N ? B : B.subarray(0, K * N));
    p.plan.run(null, 0, null, 0, 1);
    const out = p.plan.readArena(p.c, M * N);
    if (acc) for (let i = 0; i < M * N; i++) C[i] += out[i];
    else C.set(out);
    return true;
  };
  // One thread: the eager loop issues many small GEMMs, and a spinning pool on a shared machine
  // costs more than it gains.
  addon.setThreads(threads);
  setGemmProvider(provider);
  return { ok: true, isa: addon.isaName() };
}
