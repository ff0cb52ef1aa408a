/**
 * native-cuda: availability is reported with a reason when there is no GPU (this machine), and
 * when a GPU is present the CUDA executor matches the reference backend on single-op tapes
 * (matmul in every transpose mode, the conv family, activations, reductions) and on a
 * multi-step Adam training tape. Without a GPU the parity tests are skipped with the reason
 * printed — never passed silently.
 */
import { describe, expect, it } from 'vitest';
import { backendFactory, cudaDeviceStatus } from '../../src/backends/cuda.js';
import { probeBackends } from '../../src/backends/registry.js';
import { ReferenceBackend } from '../../src/backends/reference-backend.js';
import type { Backend, TapeProgram } from '../../src/backends/types.js';
import { Rng, testSeed } from '../../src/data/rng.js';
import { OP_OPCODES, SPECIAL_OPCODES } from '../../src/ops/opcodes.js';
import { floatBits } from '../../src/ops/tape.js';

const SEED = testSeed(7);
const status = cudaDeviceStatus();
if (!status.available) console.log(`SKIP native-cuda parity: ${status.reason}`);

describe('native-cuda availability', () => {
  it('says why it is unavailable, or describes the device', async () => {
    if (status.available) {
      expect(status.name).toBeTruthy();
      expect(status.totalBytes).toBeGreaterThan(0);
      expect(status.computeCapability).toMatch(/^\d+\.\d+$/);
      return;
    }
    expect(typeof status.reason).toBe('string');
    expect(status.reason!.length).toBeGreaterThan(10);
    expect(() => backendFactory.create()).toThrow(status.reason!);
    const probe = await probeBackends();
    const cuda = probe.find((p) => p.name === 'native-cuda');
    expect(cuda?.available).toBe(false);
    expect(cuda?.reason).toContain(status.reason!.slice(0, 20));
  });
});

// ---- parity (GPU only) ----------------------------------------------------------------------

const I = OP_OPCODES;
const F = (v: number): number => floatBits(v);

function rand(rng: Rng, n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.uniform() * 2 - 1;
  return a;
}

/** Runs a one-step program on a backend after writing `init` into its arena; returns the arena. */
function runOnce(b: Backend, prog: TapeProgram, init: Float32Array, steps = 1, feeds: Float32Array | null = null): { arena: Float32Array; out: Float32Array } {
  const exe = b.compile(prog);
  try {
    exe.writeArena(0, init);
    const out = exe.run(feeds, { steps });
    return { arena: exe.readArena(0, prog.arenaFloats), out };
  } finally {
    exe.dispose();
  }
}

function maxErr(got: Float32Array, ref: Float32Array, from: number, n: number): { abs: number; scale: number } {
  let abs = 0;
  let scale = 1;
  for (let i = from; i < from + n; i++) {
    const d = Math.abs(got[i] - ref[i]);
    abs = Number.isNaN(d) ? Infinity : Math.max(abs, d);
    scale = Math.max(scale, Math.abs(ref[i]));
  }
  return { abs, scale };
}

describe.skipIf(!status.available)('native-cuda parity with the reference backend', () => {
  const ref = new ReferenceBackend();
  const cudaP = Promise.resolve(status.available ? backendFactory.create() : null);

  /** One instruction over an arena laid out as [inputs… | output]; compares the output region. */
  async function single(name: string, words: number[], arenaFloats: number, outOff: number, outLen: number, k: number): Promise<void> {
    const cuda = (await cudaP)!;
    const rng = new Rng(SEED);
    const init = rand(rng, arenaFloats);
    const prog: TapeProgram = { tape: Int32Array.from(words), arenaFloats, feedFloatsPerStep: 0, outFloatsPerStep: 0 };
    const a = runOnce(ref, prog, init).arena;
    const g = runOnce(cuda, prog, init).arena;
    const e = maxErr(g, a, outOff, outLen);
    console.log(`${name}: max|err| ${e.abs.toExponential(2)} (scale ${e.scale.toFixed(1)}, K ${k})`);
    expect(e.abs).toBeLessThanOrEqual(3e-6 * Math.sqrt(k) * e.scale + 1e-6);
    // inputs unchanged
    expect(maxErr(g, a, 0, outOff).abs).toBe(0);
  }

  for (const [ta, tb] of [[0, 0], [0, 1], [1, 0], [1, 1]]) {
    for (const [M, N, K] of [[1, 1, 1], [37, 129, 65], [130, 257, 300], [64, 64, 2000]]) {
      it(`matmul ta=${ta} tb=${tb} ${M}x${N}x${K}`, async () => {
        const A = 0, B = M * K, C = B + K * N;
        for (const acc of [0, 1]) await single(`matmul ${ta}${tb} ${M}x${N}x${K} acc=${acc}`, [I.matmul, 9, ta, tb, M, N, K, A, B, C, acc], C + M * N, C, M * N, K);
      });
    }
  }

  const conv = { N: 3, C: 5, H: 13, W: 11, OC: 7, KH: 4, KW: 3, sh: 2, sw: 1, ph: 1, pw: 1, dh: 1, dw: 2 };
  const OH = Math.floor((conv.H + 2 * conv.ph - conv.dh * (conv.KH - 1) - 1) / conv.sh) + 1;
  const OW = Math.floor((conv.W + 2 * conv.pw - conv.dw * (conv.KW - 1) - 1) / conv.sw) + 1;
  const geom = [conv.N, conv.C, conv.H, conv.W, conv.OC, conv.KH, conv.KW, conv.sh, conv.sw, conv.ph, conv.pw, conv.dh, conv.dw, OH, OW];
  const xs = conv.N * conv.C * conv.H * conv.W, ws = conv.OC * conv.C * conv.KH * conv.KW, ys = conv.N * conv.OC * OH * OW;
  it('conv2d / backward_input / backward_filter', async () => {
    await single('conv2d', [I.conv2d, 19, 0, xs, xs + ws, ...geom, 0], xs + ws + ys, xs + ws, ys, conv.C * 12);
    await single('conv2d_backward_input', [I.conv2d_backward_input, 19, 0, ys, ys + ws, ...geom, 1], ys + ws + xs, ys + ws, xs, conv.OC * 12);
    await single('conv2d_backward_filter', [I.conv2d_backward_filter, 19, 0, xs, xs + ys, ...geom, 0], xs + ys + ws, xs + ys, ws, conv.N * OH * OW);
  });

  it('activations, bias_grad, sum_axis', async () => {
    const n = 5000;
    await single('gelu_backward', [I.gelu_backward, 5, 0, n, 2 * n, n, 1], 3 * n, 2 * n, n, 1);
    await single('relu', [I.relu, 3, 0, n, n], 2 * n, n, n, 1);
    await single('bias_grad', [I.bias_grad, 6, 0, n, 10, 5, 100, 0], n + 5, n, 5, 1000);
    await single('sum_axis', [I.sum_axis, 6, 0, n, 5, 100, 10, 1], n + 50, n, 50, 100);
  });

  it('Adam training tape: losses and trained weights over 6 steps (graph replay)', async () => {
    const cuda = (await cudaP)!;
    const B = 64, D = 33, O = 9;
    let off = 0;
    const at = (n: number): number => ((off += n), off - n);
    const W = at(D * O), X = at(B * D), T = at(B * O), Y = at(B * O), dY = at(B * O), dW = at(D * O), Mm = at(D * O), Vv = at(D * O), L = at(1), CNT = at(1);
    const tape = [
      SPECIAL_OPCODES.FEED, 3, X, 0, B * D,
      SPECIAL_OPCODES.FEED, 3, T, B * D, B * O,
      I.matmul, 9, 0, 0, B, O, D, X, W, Y, 0,
      I.mse_loss, 7, Y, T, -1, L, B, O, F(B),
      SPECIAL_OPCODES.CHECK_FINITE, 3, L, 1, 3,
      I.mse_grad, 9, Y, T, -1, dY, B, O, F(B), F(1), 0,
      I.matmul, 9, 1, 0, D, O, B, X, dY, dW, 0,
      SPECIAL_OPCODES.STEP_INCREMENT, 1, CNT,
      I.adam_update, 12, W, dW, Mm, Vv, D * O, F(1e-2), F(0.9), F(0.999), F(1e-8), F(0), 0, CNT,
      SPECIAL_OPCODES.OUTPUT, 3, L, 0, 1,
    ];
    const prog: TapeProgram = { tape: Int32Array.from(tape), arenaFloats: off, feedFloatsPerStep: B * D + B * O, outFloatsPerStep: 1 };
    const rng = new Rng(SEED);
    const init = new Float32Array(off);
    init.set(rand(rng, D * O), W);
    const steps = 6;
    const feeds = rand(rng, steps * prog.feedFloatsPerStep);
    const a = runOnce(ref, prog, init, steps, feeds);
    const g = runOnce(cuda, prog, init, steps, feeds);
    const le = maxErr(g.out, a.out, 0, steps);
    const we = maxErr(g.arena, a.arena, W, D * O);
    console.log(`training tape: loss max|err| ${le.abs.toExponential(2)}, W max|err| ${we.abs.toExponential(2)}`);
    expect(le.abs).toBeLessThan(1e-4 * le.scale);
    expect(we.abs).toBeLessThan(1e-4 * we.scale);
    // A NaN feed fails the run at that step.
    const bad = feeds.slice();
    bad[2 * prog.feedFloatsPerStep + 3] = NaN;
    const exe = cuda.compile(prog);
    try {
      exe.writeArena(0, init);
      expect(() => exe.run(bad, { steps })).toThrow(/step 2/);
    } finally {
      exe.dispose();
    }
  });
});
