/**
 * Sampled held-out probes (SCIENCE.md §4) against SCIENCE.md §5's checked values and against the
 * exact population metrics: n = 50·k·d_o samples (half fit, half held out), ±0.01.
 */
import { describe, expect, it } from 'vitest';
import { LinearExo } from '../../src/data/linear-exo.js';
import { testSeed } from '../../src/data/rng.js';
import { closedForm } from '../../src/analysis/closed-form.js';
import { LinearSources } from '../../src/analysis/linear-sources.js';
import { evaluateLinearLatent, injectCurrentState } from '../../src/analysis/evaluate.js';
import { parseObjective } from '../../src/analysis/objective.js';
import { probeLatent } from '../../src/analysis/probes.js';

const seed = testSeed();

describe('sampled probes on the closed-form latent (d_a=4, d_ξ=8, k=4)', () => {
  const checked: [number, number, number][] = [
    [0.5, 1.0, 0],
    [0.9, 0.999, 0],
    [1.1, 0.001, 0.499],
    [2.0, 0.0, 0.501],
  ];
  for (const [sx, ra, rxi] of checked)
    it(`σ_ξ = ${sx}: R²_a ≈ ${ra}, R²_ξ ≈ ${rxi} (±0.01), S_exo and exact values agree`, () => {
      const gen = new LinearExo({ seed, sigmaXi: sx });
      const src = new LinearSources(gen);
      const cf = closedForm(gen, parseObjective('recon'), 4, src);
      const ev = evaluateLinearLatent(gen, cf, { src, seed: seed + 1 });
      const msg = `seed ${seed}, n=${ev.n}`;
      expect(Math.abs(ev.r2.action - ra), msg).toBeLessThanOrEqual(0.01);
      expect(Math.abs(ev.r2.xi - rxi), msg).toBeLessThanOrEqual(0.01);
      expect(Math.abs(ev.r2.x), msg).toBeLessThanOrEqual(0.01);
      expect(Math.abs(ev.s_exo - ev.s_exo_exact), msg).toBeLessThanOrEqual(0.02);
      expect(ev.n).toBeGreaterThanOrEqual(50 * 4 * 64);
    });

  it('non-identifiability guard on samples: raw z carries x_t, residualised z̃ does not', () => {
    const gen = new LinearExo({ seed, sigmaXi: 0.5 });
    const cf = closedForm(gen, parseObjective('recon'), 4);
    const ev = evaluateLinearLatent(gen, injectCurrentState(gen, cf, 3), { seed: seed + 2 });
    expect(ev.r2_raw.x).toBeGreaterThan(0.3);
    expect(Math.abs(ev.r2.x)).toBeLessThanOrEqual(0.01);
    expect(Math.abs(ev.r2.action - 1)).toBeLessThanOrEqual(0.01);
  });

  it('probe inputs are checked (shape named in the error)', () => {
    expect(() => probeLatent({ data: new Float32Array(40), dim: 4 }, { data: new Float32Array(10), dim: 3 }, {})).toThrow(/o_t must be \[10, 3\] = 30 values, got 10/);
  });
});
