import { describe, expect, it } from 'vitest';
import { VqCodebook, parseBottleneck } from '../../src/lam/vq.js';
import { parseConvObjective } from '../../src/lam/conv-objectives.js';
import { Rng, testSeed } from '../../src/data/rng.js';

const seed = testSeed();

describe(`VQ bottleneck with EMA codebook (seed ${seed})`, () => {
  it('picks the nearest code (lowest index on ties) and gathers it', () => {
    const vq = new VqCodebook({ codes: 3, dim: 2 }, new Rng(seed));
    vq.load([0, 0, 1, 0, 1, 0]); // codes 1 and 2 are equal: ties go to 1
    const { idx, q } = vq.quantise(new Float32Array([0.1, 0, 0.9, 0.1, -5, 0]), 3);
    expect(Array.from(idx)).toEqual([0, 1, 0]);
    expect(Array.from(q)).toEqual([0, 0, 1, 0, 0, 0]);
  });

  it('EMA update moves each code to the mean of its assignments', () => {
    const vq = new VqCodebook({ codes: 2, dim: 1, decay: 0.5, deadAfter: 0 }, new Rng(seed));
    vq.load([0, 10]);
    const z = new Float32Array([1, 1, 9, 9]);
    for (let i = 0; i < 40; i++) {
      const { idx } = vq.quantise(z, 4);
      vq.update(z, idx, 4);
    }
    expect(vq.codebook[0]).toBeCloseTo(1, 3);
    expect(vq.codebook[1]).toBeCloseTo(9, 3);
  });

  it('resets dead codes onto encoder outputs and reports usage / perplexity', () => {
    const rng = new Rng(seed);
    const vq = new VqCodebook({ codes: 8, dim: 2, deadAfter: 5 }, rng);
    vq.load(new Float32Array(16).map((_, i) => 100 + i)); // all codes far away: one wins everything
    const z = rng.fillNormal(new Float32Array(64 * 2));
    const first = vq.quantise(z, 64);
    vq.update(z, first.idx, 64);
    const m0 = vq.metrics();
    expect(m0.usage).toBeCloseTo(1 / 8, 6);
    expect(m0.perplexity).toBeCloseTo(1, 6);
    expect(m0.resets).toBe(0);
    for (let i = 0; i < 20; i++) {
      const b = rng.fillNormal(new Float32Array(64 * 2));
      const r = vq.quantise(b, 64);
      vq.update(b, r.idx, 64);
    }
    const m1 = vq.metrics();
    expect(m1.resets).toBeGreaterThanOrEqual(7);
    expect(m1.usage).toBeGreaterThan(0.5);
    expect(m1.perplexity).toBeGreaterThan(3);
  });

  it('rejects bad bottlenecks and objectives naming the flag and allowed values', () => {
    expect(parseBottleneck('continuous')).toEqual({ kind: 'continuous' });
    expect(parseBottleneck('vq:16')).toEqual({ kind: 'vq', codes: 16 });
    expect(() => parseBottleneck('vq:1')).toThrow(/--bottleneck.*≥ 2.*got '1'/);
    expect(() => parseBottleneck('gumbel')).toThrow(/--bottleneck: unknown bottleneck 'gumbel'.*continuous.*vq:<codes>/);
    expect(() => new VqCodebook({ codes: 1, dim: 2 }, new Rng(1))).toThrow(/codes.*≥ 2/);
    expect(parseConvObjective('sup:20:0.05')).toEqual({ kind: 'sup', lambda: 20, p: 0.05 });
    expect(parseConvObjective('latent-ema')).toEqual({ kind: 'latent', ema: true, tau: 0.99 });
    expect(() => parseConvObjective('sup:1:0')).toThrow(/--objective: p \(labelled fraction\) must be in \(0, 1\]/);
    expect(() => parseConvObjective('pixels')).toThrow(/--objective: unknown objective 'pixels'; expected one of recon \| oracle/);
  });
});
