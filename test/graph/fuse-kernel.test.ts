// conv2d_bias_act (the fused conv2d → bias_add → activation) as a single op on every backend vs
// the reference, over the conv family's geometries (padding, stride 1/2/3, dilation, C/OC not
// multiples of 8/16, N = 1) × the three activations; plus the reference against the three
// unfused reference kernels, bit for bit, and the contract's / validators' refusals.
import { describe, expect, it } from 'vitest';
import { bias_add } from '../../src/backends/reference/bias_add.js';
import { conv2d } from '../../src/backends/reference/conv2d.js';
import { conv2d_bias_act } from '../../src/backends/reference/conv2d_bias_act.js';
import { loadNativeAddon } from '../../src/backends/native.js';
import { leaky_relu } from '../../src/backends/reference/leaky_relu.js';
import { relu } from '../../src/backends/reference/relu.js';
import { CONV_ACT } from '../../src/ops/conv2d_bias_act.js';
import { getOp } from '../../src/ops/index.js';
import { decodeTape, encodeInstruction } from '../../src/ops/tape.js';
import { CONV_CASES, convAttrs, outSize } from '../harness/conv-cases.js';
import { Rng, normal, testSeed } from '../harness/data.js';
import { type KernelCase, defineKernelTests } from '../harness/kernel-suite.js';

const ACTS: [string, Record<string, number>][] = [
  ['none', { act: CONV_ACT.none }],
  ['relu', { act: CONV_ACT.relu }],
  ['leaky 0.2', { act: CONV_ACT.leaky_relu, slope: 0.2 }],
  ['leaky −0.3', { act: CONV_ACT.leaky_relu, slope: -0.3 }],
];

const cases: KernelCase[] = CONV_CASES.flatMap((c, i) => {
  const [name, a] = ACTS[i % ACTS.length];
  const again = ACTS[(i + 1) % ACTS.length];
  return [a, again[1]].map((attrs, k) => ({
    name: `${c.name} ${k ? again[0] : name}`,
    inputShapes: [[c.N, c.C, c.H, c.W], [c.OC, c.C, c.KH, c.KW], [c.OC]],
    attrs: { ...convAttrs(c), ...attrs },
    K: c.C * c.KH * c.KW,
  }));
});

await defineKernelTests({
  op: 'conv2d_bias_act',
  cases,
  tol: { a0: 2e-6, rtol: 1e-5, nmse: 1e-10 },
  bad: [
    { name: 'bias length', inputShapes: [[1, 3, 8, 8], [4, 3, 3, 3], [3]], error: /conv2d_bias_act: b has shape \[3\], expected \[4\]/ },
    { name: 'channel mismatch', inputShapes: [[1, 3, 8, 8], [4, 2, 3, 3], [4]], error: /conv2d_bias_act: w has shape \[4,2,3,3\], expected \[OC,3,KH,KW\]/ },
    { name: 'unknown act', inputShapes: [[1, 1, 4, 4], [1, 1, 3, 3], [1]], attrs: { act: 3 }, error: /attribute act is 3; expected 0 \(none\), 1 \(relu\), 2 \(leaky_relu\)/ },
    { name: 'stride 0', inputShapes: [[1, 1, 4, 4], [1, 1, 3, 3], [1]], attrs: { stride: 0 }, error: /stride must hold integers ≥ 1/ },
  ],
});

describe('conv2d_bias_act reference = conv2d, bias_add, activation', () => {
  const rng = new Rng(testSeed() + 5);
  for (const c of CONV_CASES.slice(0, 5)) {
    for (const [name, attrs] of ACTS) {
      it(`${c.name} ${name}`, () => {
        const [OH, OW] = outSize(c);
        const x = normal(rng, c.N * c.C * c.H * c.W);
        const w = normal(rng, c.OC * c.C * c.KH * c.KW);
        const b = normal(rng, c.OC);
        x[0] = NaN; // NaN must reach y the same way in both
        const n = c.N * c.OC * OH * OW;
        const geom = [c.N, c.C, c.H, c.W, c.OC, c.KH, c.KW, ...c.stride, ...c.padding, ...c.dilation, OH, OW] as const;
        const fused = new Float32Array(n);
        conv2d_bias_act(x, w, b, fused, ...geom, attrs.act, attrs.slope ?? 0);
        const ref = new Float32Array(n);
        conv2d(x, w, ref, ...geom, 0);
        bias_add(ref, b, ref, c.N, c.OC, OH * OW);
        if (attrs.act === CONV_ACT.relu) relu(ref, ref, n);
        if (attrs.act === CONV_ACT.leaky_relu) leaky_relu(ref, ref, n, attrs.slope);
        expect(new Uint32Array(fused.buffer)).toEqual(new Uint32Array(ref.buffer));
        expect(fused.some((v) => Number.isNaN(v))).toBe(true);
      });
    }
  }
});

describe('conv2d_bias_act tape validation', () => {
  const op = getOp('conv2d_bias_act');
  const words = (attrs: Record<string, number>) =>
    Int32Array.from(encodeInstruction(op.opcode, op.encode([[1, 2, 5, 5], [3, 2, 3, 3], [3]], attrs, false), [0, 64, 128], [192]));
  it('accepts a well-formed instruction', () => {
    expect(decodeTape(words({ act: 1 }), 256, 0, 0)[0].name).toBe('conv2d_bias_act');
  });
  it('refuses an act code other than 0, 1, 2', () => {
    const t = words({ act: 1 });
    t[2 + 19] = 3;
    expect(() => decodeTape(t, 256, 0, 0)).toThrow(/tape word 0 \(conv2d_bias_act\): operand 19 \(act\) is 3, expected 0 \(none\), 1 \(relu\) or 2 \(leaky_relu\)/);
  });
  it('refuses a zero stride or dilation', () => {
    for (const at of [11, 12, 15, 16]) {
      const t = words({ act: 0 });
      t[2 + at] = 0;
      expect(() => decodeTape(t, 256, 0, 0)).toThrow(/strides and dilations must be ≥ 1/);
    }
  });
  const addon = loadNativeAddon().addon;
  it.runIf(addon)('the C executor (addon) refuses the same act code and zero stride', () => {
    const bad = words({ act: 1 });
    bad[2 + 19] = 3;
    expect(() => new addon!.Plan(bad, 256)).toThrow(/tape word 0 \(conv2d_bias_act\): operand 19 \(act\) is 3, expected 0 \(none\), 1 \(relu\) or 2 \(leaky_relu\)/);
    const zero = words({ act: 0 });
    zero[2 + 15] = 0;
    expect(() => new addon!.Plan(zero, 256)).toThrow(/tape word 0 \(conv2d_bias_act\): strides and dilations must be ≥ 1, got sh=1 sw=1 dh=0 dw=1/);
    const p = new addon!.Plan(words({ act: 2, slope: 0.1 }), 256);
    p.dispose();
  });
  it('refuses a bias range past the arena', () => {
    const t = words({ act: 2, slope: 0.1 });
    t[2 + 2] = 254; // b has OC = 3 floats
    expect(() => decodeTape(t, 256, 0, 0)).toThrow(/pointer operand 2 covers \[254, 257\), outside the arena of 256 floats/);
  });
});
