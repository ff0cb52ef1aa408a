/**
 * `lamkit diagnose` against the closed form (SCIENCE.md §3, §5) on linear-exo data written to a
 * temp .npy, and its bad-input errors.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { closedForm } from '../../src/analysis/closed-form.js';
import { populationMetrics } from '../../src/analysis/population.js';
import { run } from '../../src/cli/diagnose.js';
import { LinearExo, type LinearExoConfig } from '../../src/data/linear-exo.js';
import { writeNpy } from '../../src/data/npy.js';
import { testSeed } from '../../src/data/rng.js';
import { quiet, runJson } from './diagnose-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'lamkit-diagnose-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Linear-exo pairs N×2×D and actions N×d_a as .npy files. */
function writeLinearExo(name: string, sigmaXi: number, n: number, extra: Partial<LinearExoConfig> = {}): { gen: LinearExo; data: string; actions: string } {
  const gen = new LinearExo({ dObs: 32, dState: 8, dAction: 4, dExo: 8, sigmaXi, seed: testSeed(), ...extra });
  const b = gen.sample(n);
  const D = gen.dObs;
  const pairs = new Float32Array(n * 2 * D);
  for (let i = 0; i < n; i++) {
    pairs.set(b.oT.subarray(i * D, (i + 1) * D), i * 2 * D);
    pairs.set(b.oT1.subarray(i * D, (i + 1) * D), (i * 2 + 1) * D);
  }
  const data = join(dir, `${name}.npy`);
  const actions = join(dir, `${name}-a.npy`);
  writeNpy(data, { data: pairs, shape: [n, 2, D] });
  writeNpy(actions, { data: b.a, shape: [n, 4] });
  return { gen, data, actions };
}

describe('lamkit diagnose vs the closed form (linear-exo, d_a=4, d_ξ=8)', () => {
  it('σ_ξ=2: spectrum, floors and R²(a|z*) per k match §3/§5', async () => {
    const { gen, data, actions } = writeLinearExo('exo2', 2, 12000);
    const d = await runJson(['--data', data, '--actions', actions, '--k', '4']);
    const cf4 = closedForm(gen, { kind: 'recon' }, 4);
    // Spectrum: 8 × σ_ξ² = 4, 4 × σ_a² = 1, then 0.
    for (let i = 0; i < 16; i++) expect(d.spectrum[i]).toBeCloseTo(cf4.spectrum[i], 0);
    for (let i = 0; i < 12; i++) expect(Math.abs(d.spectrum[i] - cf4.spectrum[i]) / cf4.spectrum[i]).toBeLessThan(0.1);
    for (const k of [4, 8, 10, 12]) {
      const cf = closedForm(gen, { kind: 'recon' }, k);
      expect(Math.abs(d.floorByK[k - 1] - cf.reconFloor)).toBeLessThan(0.05 * Math.max(cf.reconFloor, 1));
      const r2 = populationMetrics(gen, cf).r2.action;
      expect(Math.abs(d.actions!.r2ByK[k - 1] - r2)).toBeLessThan(0.03);
    }
    expect(d.r2_a).toBeLessThan(0.03); // §5: k = d_a, σ_ξ > σ_a → R²_a ≈ 0
    expect(d.actions!.r2ByK[11]).toBeGreaterThan(0.97); // k = 12 → ≈ 1
    expect(d.non_action_dims).toBeGreaterThan(3.9); // all 4 dims on exogenous change
    expect(d.actions!.nonActionDims[11]).toBeCloseTo(8, 0);
    expect(d.actions!.nonActionDims[20]).toBeCloseTo(8, 0); // λ ≈ 0 beyond rank 12: nothing to spend
    expect(d.actions!.kFor95).toBe(12);
  });

  it('σ_ξ=0.5: k = d_a captures the action (R²_a ≈ 1, no non-action dims)', async () => {
    const { gen, data, actions } = writeLinearExo('exo05', 0.5, 6000);
    const d = await runJson(['--data', data, '--actions', actions, '--k', '4']);
    const cf = closedForm(gen, { kind: 'recon' }, 4);
    expect(Math.abs(d.r2_a! - populationMetrics(gen, cf).r2.action)).toBeLessThan(0.03);
    expect(d.r2_a).toBeGreaterThan(0.97);
    expect(d.non_action_dims!).toBeLessThan(0.1);
    expect(Math.abs(d.floor - cf.reconFloor) / cf.reconFloor).toBeLessThan(0.1);
  });

  it('mixing 0.4, policy gain 0.5, σ_ξ=1.5: R²(a|z*) per k tracks the population value', async () => {
    const { gen, data, actions } = writeLinearExo('mix', 1.5, 12000, { mixing: 0.4, policyGain: 0.5 });
    const d = await runJson(['--data', data, '--actions', actions]);
    for (const k of [2, 4, 8, 10, 12]) {
      const cf = closedForm(gen, { kind: 'recon' }, k);
      expect(Math.abs(d.actions!.r2ByK[k - 1] - populationMetrics(gen, cf).r2.action)).toBeLessThan(0.03);
      expect(Math.abs(d.floorByK[k - 1] - cf.reconFloor)).toBeLessThan(0.05 * Math.max(cf.reconFloor, 1));
    }
    // The policy-predictable part of a is not in the innovation: R²_a(12) ≈ 0.8 (= 1/(1+0.5²)),
    // yet the 4 action directions are wholly action change (f ≈ 1), so 8 non-action dims.
    expect(d.actions!.r2ByK[11]).toBeCloseTo(0.8, 1);
    expect(d.actions!.nonActionDims[11]).toBeCloseTo(8, 0);
  });

  it('a few labelled actions (--labelled 400) still predict R²_a per k', async () => {
    const { data, actions } = writeLinearExo('exo2few', 2, 8000);
    const d = await runJson(['--data', data, '--actions', actions, '--labelled', '400']);
    expect(d.actions!.labelled).toBe(400);
    expect(d.actions!.r2ByK[3]).toBeLessThan(0.1);
    expect(d.actions!.r2ByK[11]).toBeGreaterThan(0.9);
  });

  it('N×T×D sequences with N×(T−1)×d_a actions and frames N×T×C×H×W with projection', async () => {
    const seq = new Float32Array(50 * 5 * 6).map((_, i) => Math.sin(i * 0.37) + 0.1 * Math.cos(i * 1.3));
    writeNpy(join(dir, 'seq.npy'), { data: seq, shape: [50, 5, 6] });
    writeNpy(join(dir, 'seq-a.npy'), { data: new Float32Array(50 * 4 * 2).map((_, i) => Math.cos(i)), shape: [50, 4, 2] });
    const d = await runJson(['--data', join(dir, 'seq.npy'), '--actions', join(dir, 'seq-a.npy'), '--k', '3']);
    expect(d.transitions).toBe(200);
    expect(d.dim).toBe(6);
    expect(d.actions!.r2ByK).toHaveLength(6);
    const frames = new Float32Array(20 * 3 * 2 * 4 * 4).map((_, i) => Math.sin(i * 0.11));
    writeNpy(join(dir, 'frames.npy'), { data: frames, shape: [20, 3, 2, 4, 4] });
    const f = await runJson(['--data', join(dir, 'frames.npy'), '--max-dim', '8']);
    expect(f.dim).toBe(8);
    expect(f.spectrum).toHaveLength(8);
  });

  it('discrete int32 action ids are one-hot encoded', async () => {
    const gen = new LinearExo({ dObs: 16, dState: 4, dAction: 1, dExo: 4, sigmaXi: 0.5, seed: testSeed() });
    const b = gen.sample(4000);
    const D = 16;
    const pairs = new Float32Array(4000 * 2 * D);
    for (let i = 0; i < 4000; i++) {
      pairs.set(b.oT.subarray(i * D, (i + 1) * D), i * 2 * D);
      pairs.set(b.oT1.subarray(i * D, (i + 1) * D), (i * 2 + 1) * D);
    }
    // Three bins of the 1-d action: a coarse discrete label of the same change.
    const ids = Int32Array.from(b.a, (v) => (v < -0.5 ? 0 : v < 0.5 ? 1 : 2));
    writeNpy(join(dir, 'disc.npy'), { data: pairs, shape: [4000, 2, D] });
    writeNpy(join(dir, 'disc-a.npy'), { data: ids, shape: [4000, 1] });
    const d = await runJson(['--data', join(dir, 'disc.npy'), '--actions', join(dir, 'disc-a.npy'), '--k', '1']);
    expect(d.actions!.dAction).toBe(3);
    // The top direction is the action (σ_a = 1 > σ_ξ = 0.5); the middle bin is not linear in a, so
    // the one-hot R² stays below 1 (≈ 0.36), and the exogenous directions explain nothing.
    expect(d.r2_a!).toBeGreaterThan(0.3);
    expect(d.actions!.actionFraction[0]).toBeGreaterThan(0.4);
    expect(d.actions!.actionFraction[1]).toBeLessThan(0.05);
    expect(d.actions!.r2ByK[4] - d.r2_a!).toBeLessThan(0.02);
    expect(d.non_action_dims!).toBeLessThan(0.6);
  });

  it('--out writes the report with both plots', async () => {
    const { data, actions } = writeLinearExo('rep', 2, 2000);
    const out = join(dir, 'report');
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      expect(await run(['--data', data, '--actions', actions, '--out', out])).toBe(0);
    } finally {
      log.mockRestore();
    }
    const { readFileSync } = await import('node:fs');
    const html = readFileSync(join(out, 'index.html'), 'utf8');
    expect(html).toContain('<svg');
    expect(readFileSync(join(out, 'diagnose-by-k.svg'), 'utf8')).toContain('<svg');
    expect(readFileSync(join(out, 'diagnose-spectrum.svg'), 'utf8')).toContain('<svg');
  }, 30000);
});

describe('lamkit diagnose: bad input', () => {
  const good = join(dir, 'good.npy');
  writeNpy(good, { data: new Float32Array(30 * 3 * 4).map((_, i) => Math.sin(i)), shape: [30, 3, 4] });
  const put = (name: string, data: Float32Array | Int32Array | Uint8Array, shape: number[]) => {
    const p = join(dir, name);
    writeNpy(p, { data, shape });
    return p;
  };

  it('missing --data, missing file, unknown flag', async () => {
    await expect(quiet([])).rejects.toThrow(/--data FILE.npy is required/);
    await expect(quiet(['--data', join(dir, 'nope.npy')])).rejects.toThrow(/--data: .*nope\.npy: cannot read .*ENOENT/);
    await expect(quiet(['--data', good, '--bogus'])).rejects.toThrow(/diagnose: .*bogus/);
  });

  it('wrong dtype, ndim, T < 2, non-finite values', async () => {
    await expect(quiet(['--data', put('i32.npy', new Int32Array(24), [2, 3, 4])])).rejects.toThrow(/--data: .*expected dtype float32 or uint8, found int32/);
    const f64 = join(dir, 'f64.npy');
    const hdr = "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2, 2), }";
    const pre = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, 0, 0]);
    const h = Buffer.from(hdr.padEnd(117, ' ') + '\n');
    pre.writeUInt16LE(h.length, 8);
    writeFileSync(f64, Buffer.concat([pre, h, Buffer.alloc(64)]));
    await expect(quiet(['--data', f64])).rejects.toThrow(/--data: .*float64/);
    await expect(quiet(['--data', put('2d.npy', new Float32Array(12), [3, 4])])).rejects.toThrow(/--data: .*3 or more dims.*found shape \[3×4\]/);
    await expect(quiet(['--data', put('t1.npy', new Float32Array(12), [3, 1, 4])])).rejects.toThrow(/--data: .*T ≥ 2.*found T=1/);
    const nan = new Float32Array(30 * 3 * 4).fill(1);
    nan[5] = Number.NaN;
    await expect(quiet(['--data', put('nan.npy', nan, [30, 3, 4])])).rejects.toThrow(/--data: .*non-finite value \(NaN\) at index \[0, 1, 1\]/);
    const inf = new Float32Array(30 * 3 * 4).fill(1);
    inf[100] = Number.POSITIVE_INFINITY;
    await expect(quiet(['--data', put('inf.npy', inf, [30, 3, 4])])).rejects.toThrow(/non-finite value \(Infinity\)/);
  });

  it('actions count mismatch, non-finite actions; k out of range; --labelled without actions; --no-project refuses wide data', async () => {
    await expect(quiet(['--data', good, '--actions', put('a-bad.npy', new Float32Array(30 * 3 * 2), [30, 3, 2])])).rejects.toThrow(
      /--actions: .*expected shape \[30×2×d_a\] or \[60×d_a\].*found \[30×3×2\]/,
    );
    const an = new Float32Array(60 * 2);
    an[7] = Number.NaN;
    await expect(quiet(['--data', good, '--actions', put('a-nan.npy', an, [60, 2])])).rejects.toThrow(/--actions: .*non-finite/);
    await expect(quiet(['--data', good, '--k', '5'])).rejects.toThrow(/--k: expected a value in \[1, 4\], got 5/);
    await expect(quiet(['--data', good, '--k', '0'])).rejects.toThrow(/--k: expected a value in \[1, 4\], got 0/);
    await expect(quiet(['--data', good, '--k', 'x'])).rejects.toThrow(/--k: expected a number/);
    await expect(quiet(['--data', good, '--labelled', '10'])).rejects.toThrow(/--labelled M needs --actions/);
    await expect(quiet(['--data', good, '--out', join(good, 'sub')])).rejects.toThrow(/--out: cannot write the report to .*good\.npy\/sub \(ENOTDIR\)/);
    await expect(quiet(['--data', good, '--actions', put('a-neg.npy', Int32Array.from({ length: 60 }, (_, i) => (i === 3 ? -1 : 0)), [30, 2])])).rejects.toThrow(
      /--actions: .*ids ≥ 0, found -1/,
    );
    await expect(quiet(['--data', good, '--no-project', '--k', '1'])).resolves.toBe(0); // D = 4 ≤ 256
    await expect(quiet(['--data', put('wide.npy', new Float32Array(4 * 2 * 300), [4, 2, 300]), '--no-project'])).rejects.toThrow(
      /--data: expected D ≤ --max-dim 256 with --no-project, found D = 300/,
    );
  });
});
