/**
 * Exercises the gpu.js backend in the page: a matmul and a conv2d through one-instruction tapes
 * (the path training uses), compared with the reference backend. gpu.js picks WebGL2/WebGL when
 * the browser has it; if that mode cannot start or compile, the check retries in gpu.js's
 * WebAssembly mode and records the fallback and why.
 */
import { createGpujsBackend, type GpujsBackend } from '../src/backends/gpujs/index.js';
import { registerBackend } from '../src/backends/registry.js';
import { LinearExo } from '../src/data/linear-exo.js';
import { trainLinearLam } from '../src/lam/linear-objectives.js';
import { ReferenceBackend } from '../src/backends/reference-backend.js';
import { type SingleOpSpec, runSingleOp } from '../src/backends/single-op.js';
import type { Backend } from '../src/backends/types.js';
import { Rng } from '../src/data/rng.js';
import { numel } from '../src/ops/contract.js';

export interface GpujsCheck {
  mode: string;
  fallback?: string;
  ops: { op: string; maxAbsErr: number; msPerRun: number }[];
  /** A short linear LAM training run (the whole tape) on gpu.js vs the reference backend. */
  train?: { steps: number; stepsPerSec: number; finalLoss: number; referenceLoss: number; relDiff: number };
  /** gpu.js kernels that failed in this mode and ran on the reference kernel instead. */
  fallbacks?: { op: string; reason: string }[];
  ok: boolean;
}

/** Trains a small linear LAM for 40 steps on `b` and on the reference; relative loss difference. */
async function trainCheck(b: GpujsBackend): Promise<NonNullable<GpujsCheck['train']>> {
  registerBackend({ name: 'gpujs', priority: 20, create: () => b });
  const gen = new LinearExo({ dObs: 16, dState: 4, dAction: 2, dExo: 4, seed: 3 });
  const opts = { k: 2, steps: 40, batch: 32, chunk: 10, seed: 3 };
  const t0 = performance.now();
  const g = await trainLinearLam(gen, { kind: 'recon' }, { ...opts, backend: 'gpujs' });
  const secs = (performance.now() - t0) / 1000;
  const r = await trainLinearLam(gen, { kind: 'recon' }, { ...opts, backend: 'reference' });
  const gl = g.lossCurve[g.lossCurve.length - 1].loss;
  const rl = r.lossCurve[r.lossCurve.length - 1].loss;
  return { steps: opts.steps, stepsPerSec: opts.steps / secs, finalLoss: gl, referenceLoss: rl, relDiff: Math.abs(gl - rl) / Math.abs(rl) };
}

const CASES: SingleOpSpec[] = [
  { op: 'matmul', inputShapes: [[64, 64], [64, 64]], attrs: {} },
  { op: 'conv2d', inputShapes: [[2, 4, 16, 16], [8, 4, 3, 3]], attrs: { padding: 1 } },
  // Stride 2 exercises the exact-division tests of the gather-form kernels under GL floats.
  { op: 'matmul', inputShapes: [[33, 17], [31, 33]], attrs: { ta: true, tb: true } },
  { op: 'conv2d_backward_input', inputShapes: [[2, 5, 5, 5], [5, 4, 3, 3]], attrs: { stride: 2, padding: 1, inputSize: [9, 9] } },
  { op: 'conv2d_backward_filter', inputShapes: [[2, 4, 9, 9], [2, 5, 5, 5]], attrs: { stride: 2, padding: 1, kernelSize: [3, 3] } },
  { op: 'conv_transpose2d', inputShapes: [[2, 4, 5, 5], [4, 5, 3, 3]], attrs: { stride: 2, padding: 1 } },
  { op: 'gelu', inputShapes: [[1000]] },
  { op: 'bias_add', inputShapes: [[8, 16, 10], [16]] },
];

function runCases(b: Backend): GpujsCheck['ops'] {
  const ref = new ReferenceBackend();
  const rng = new Rng(7);
  return CASES.map((spec) => {
    const inputs = spec.inputShapes.map((s) => {
      const a = new Float32Array(numel(s));
      for (let i = 0; i < a.length; i++) a[i] = rng.normal();
      return a;
    });
    const want = runSingleOp(ref, spec, inputs).outputs[0];
    const t0 = performance.now();
    let got = runSingleOp(b, spec, inputs).outputs[0];
    const reps = 5;
    const t1 = performance.now();
    for (let r = 0; r < reps; r++) got = runSingleOp(b, spec, inputs).outputs[0];
    const ms = (performance.now() - t1) / reps;
    let err = 0;
    for (let i = 0; i < want.length; i++) err = Math.max(err, Math.abs(got[i] - want[i]));
    void t0;
    return { op: spec.op, maxAbsErr: Number.isFinite(err) ? err : Infinity, msPerRun: ms };
  });
}

export async function checkGpujs(): Promise<GpujsCheck> {
  let fallback: string | undefined;
  try {
    const b = await createGpujsBackend();
    const ops = runCases(b);
    const train = await trainCheck(b);
    return { mode: b.mode, ops, train, fallbacks: b.fallbacks, ok: ops.every((o) => o.maxAbsErr < 1e-3) && train.relDiff < 2e-3 };
  } catch (e) {
    fallback = `default mode failed: ${(e as Error).message}`;
  }
  // Then gpu.js's WebAssembly mode, then its plain-JS CPU mode.
  for (const mode of ['webasm', 'cpu']) {
    try {
      const b = await createGpujsBackend(mode);
      const ops = runCases(b);
      const train = await trainCheck(b);
      return { mode: b.mode, fallback, ops, train, fallbacks: b.fallbacks, ok: ops.every((o) => o.maxAbsErr < 1e-3) && train.relDiff < 2e-3 };
    } catch (e) {
      fallback = `${fallback}; ${mode} failed: ${(e as Error).message}`;
    }
  }
  throw new Error(`gpu.js could not run in any mode: ${fallback}`);
}
