import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../src/graph/builder.js';
import { addBackward } from '../../src/graph/autodiff.js';
import { plan } from '../../src/graph/plan.js';
import { compileReference } from '../../src/graph/runner.js';
import { addVqBottleneck, VQ_DEFAULTS } from '../../src/lam/conv-graph.js';
import { trainConvLam } from '../../src/lam/conv-trainer.js';
import { VqMaintainer, codeMetrics, nearestCodes, parseBottleneck } from '../../src/lam/vq.js';
import { convObjectiveLabel, parseConvObjective } from '../../src/lam/conv-objectives.js';
import { Rng, testSeed } from '../../src/data/rng.js';

const seed = testSeed();

/** A graph: z_e = param P [N,D], VQ, loss = ‖z − T‖²/N; outputs dP, counts, commitment. */
function vqGraph(P: Float32Array, T: Float32Array, N: number, D: number, K: number, decay: number) {
  const b = new GraphBuilder();
  const p = b.param('P', [N, D], P);
  const r = addVqBottleneck(b, p, K, { ...VQ_DEFAULTS, decay });
  const loss = b.mseLoss(r.z, b.constant('T', [N, D], T), { name: 'loss' });
  const grads = addBackward(b, [{ value: loss }], [p]);
  b.output('dP', grads.get(p)!);
  b.output('count', r.count);
  b.output('commit', r.commit);
  b.output('z', r.z);
  const m = compileReference(plan(b.graph));
  const slot = (n: string) => m.plan.state.find((s) => s.name === n)!;
  return { m, slot };
}

describe(`VQ bottleneck in the graph engine (seed ${seed})`, () => {
  it('nearest code with the lowest index on ties, in TS and in the graph', () => {
    const cb = new Float32Array([0, 0, 1, 0, 1, 0]); // codes 1 and 2 equal: ties go to 1
    const z = new Float32Array([0.1, 0, 0.9, 0.1, -5, 0]);
    const { idx, q } = nearestCodes(z, cb, 2);
    expect(Array.from(idx)).toEqual([0, 1, 0]);
    expect(Array.from(q)).toEqual([0, 0, 1, 0, 0, 0]);
    const { m, slot } = vqGraph(z, new Float32Array(6), 3, 2, 3, 0.9);
    m.runner.writeArena(slot('vq.codebook').offset, cb);
    const out = m.run(null);
    expect(Array.from(m.output(out, 'z'))).toEqual([0, 0, 1, 0, 0, 0]);
    expect(Array.from(m.output(out, 'count'))).toEqual([2, 1, 0]);
  });

  it('straight-through: dL/dz_e is dL/dq (plus nothing from the codes); EMA statistics fold in the step counts', () => {
    const rng = new Rng(seed);
    const N = 6, D = 3, K = 4;
    const P = rng.fillNormal(new Float32Array(N * D));
    const T = rng.fillNormal(new Float32Array(N * D));
    const cb = rng.fillNormal(new Float32Array(K * D));
    const { m, slot } = vqGraph(P, T, N, D, K, 0.5);
    m.runner.writeArena(slot('vq.codebook').offset, cb);
    const out = m.run(null);
    const { idx, q } = nearestCodes(P, cb, D);
    const dP = m.output(out, 'dP');
    for (let i = 0; i < N * D; i++) expect(dP[i]).toBeCloseTo((2 * (q[i] - T[i])) / N, 5);
    // commitment ‖z_e − q‖²/N is reported (its gradient is not part of this loss)
    let c = 0;
    for (let i = 0; i < N * D; i++) c += (P[i] - q[i]) ** 2;
    expect(m.output(out, 'commit')[0]).toBeCloseTo(c / N, 4);
    const counts = new Float32Array(K), sums = new Float32Array(K * D);
    for (let n = 0; n < N; n++) {
      counts[idx[n]]++;
      for (let d = 0; d < D; d++) sums[idx[n] * D + d] += P[n * D + d];
    }
    const ec = m.runner.readArena(slot('vq.ema_count').offset, K);
    const es = m.runner.readArena(slot('vq.ema_sum').offset, K * D);
    for (let k = 0; k < K; k++) expect(ec[k]).toBeCloseTo(0.5 * counts[k], 6);
    for (let i = 0; i < K * D; i++) expect(es[i]).toBeCloseTo(0.5 * sums[i], 5);
  });

  it('the maintainer moves each code to the mean of its assignments and resets dead codes', () => {
    const rng = new Rng(seed);
    const vq = new VqMaintainer({ codes: 2, dim: 1, deadAfter: 0 }, rng);
    const st = { codebook: new Float32Array([0, 10]), emaCount: new Float32Array([1, 1]), emaSum: new Float32Array([0, 10]) };
    vq.initialised = true;
    const g = 0.5;
    for (let i = 0; i < 40; i++) {
      // the graph's part: counts and sums of z = [1, 1, 9, 9] folded into the EMA
      const { idx } = nearestCodes(new Float32Array([1, 1, 9, 9]), st.codebook, 1);
      const cnt = [0, 0], sum = [0, 0];
      [1, 1, 9, 9].forEach((z, n) => {
        cnt[idx[n]]++;
        sum[idx[n]] += z;
      });
      for (let k = 0; k < 2; k++) {
        st.emaCount[k] = g * st.emaCount[k] + (1 - g) * cnt[k];
        st.emaSum[k] = g * st.emaSum[k] + (1 - g) * sum[k];
      }
      vq.observe(Float32Array.from(cnt));
      vq.refresh(st, new Float32Array([1, 1, 9, 9]));
    }
    expect(st.codebook[0]).toBeCloseTo(1, 3);
    expect(st.codebook[1]).toBeCloseTo(9, 3);

    const dead = new VqMaintainer({ codes: 8, dim: 2, deadAfter: 5 }, rng);
    const s8 = { codebook: new Float32Array(16).map((_, i) => 100 + i), emaCount: new Float32Array(8).fill(1), emaSum: new Float32Array(16) };
    dead.init(s8, rng.fillNormal(new Float32Array(64 * 2)));
    s8.codebook.set(new Float32Array(16).map((_, i) => 100 + i)); // all codes far away: code 0 wins everything
    const onlyFirst = new Float32Array(8);
    onlyFirst[0] = 64;
    dead.observe(onlyFirst);
    const m0 = dead.metrics();
    expect(m0.usage).toBeCloseTo(1 / 8, 6);
    expect(m0.perplexity).toBeCloseTo(1, 6);
    for (let i = 0; i < 6; i++) {
      dead.observe(onlyFirst);
      dead.refresh(s8, rng.fillNormal(new Float32Array(64 * 2)));
    }
    expect(dead.metrics().resets).toBe(7);
    for (let k = 1; k < 8; k++) expect(Math.abs(s8.codebook[2 * k])).toBeLessThan(10); // moved onto encoder outputs
    expect(codeMetrics([1, 1, 1, 1]).perplexity).toBeCloseTo(4, 6);
  });

  it('a grid32 VQ run logs codebook usage and perplexity and keeps a finite codebook', async () => {
    const r = await trainConvLam({ preset: 'grid32', objective: { kind: 'recon' }, bottleneck: { kind: 'vq', codes: 8 }, steps: 24, batch: 8, seed: seed % 1000, logEvery: 8, world: { strength: 0.5 } });
    expect(r.codebook).toHaveLength(8 * 8);
    expect(r.codebook!.every(Number.isFinite)).toBe(true);
    for (const e of r.log) {
      expect(e.usage).toBeGreaterThan(0);
      expect(e.usage).toBeLessThanOrEqual(1);
      expect(e.perplexity).toBeGreaterThanOrEqual(1);
      expect(e.parts.commit).toBeGreaterThanOrEqual(0);
    }
  }, 60_000);

  it('rejects bad bottlenecks and objectives naming the flag and allowed values', () => {
    expect(parseBottleneck('continuous')).toEqual({ kind: 'continuous' });
    expect(parseBottleneck('vq:16')).toEqual({ kind: 'vq', codes: 16 });
    expect(() => parseBottleneck('vq:1')).toThrow(/--bottleneck.*≥ 2.*got '1'/);
    expect(() => parseBottleneck('vq:')).toThrow(/--bottleneck.*≥ 2.*got ''/);
    expect(() => parseBottleneck('gumbel')).toThrow(/--bottleneck: unknown bottleneck 'gumbel'.*continuous.*vq:<codes>/);
    expect(() => new VqMaintainer({ codes: 1, dim: 2 }, new Rng(1))).toThrow(/codes.*≥ 2/);
    expect(parseConvObjective('sup:20:0.05')).toEqual({ kind: 'sup', lambda: 20, p: 0.05 });
    expect(parseConvObjective('sup:50:0.05:4')).toEqual({ kind: 'sup', lambda: 50, p: 0.05, perBatch: 4 });
    expect(convObjectiveLabel(parseConvObjective('sup:50:0.05:4'))).toBe('sup:50:0.05:4');
    expect(convObjectiveLabel(parseConvObjective('sup:5:1:2'))).toBe('sup:5:1:2');
    expect(() => parseConvObjective('sup:5:0.05:4:1')).toThrow(/--objective: malformed objective 'sup:5:0.05:4:1'/);
    expect(parseConvObjective('latent-ema-mse')).toEqual({ kind: 'latent', ema: true, tau: 0.99, variance: 0, loss: 'mse', level: 4 });
    expect(parseConvObjective('latent-ema-mse:0.9:2')).toEqual({ kind: 'latent', ema: true, tau: 0.9, variance: 2, loss: 'mse', level: 4 });
    expect(() => parseConvObjective('latent-ema:0.9:-1')).toThrow(/--objective: μ \(variance-term weight\) must be in \[0, ∞\]/);
    expect(() => parseConvObjective('sup:1:0')).toThrow(/--objective: p \(labelled fraction\) must be in \(0, 1\]/);
    expect(() => parseConvObjective('pixels')).toThrow(/--objective: unknown objective 'pixels'; expected one of recon \| oracle/);
  });
});
