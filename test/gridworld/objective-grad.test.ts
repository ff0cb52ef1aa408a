/**
 * Gradient of the latent-ema variance term (conv-graph.ts `varianceTerm`), composed from mean /
 * mul / sub / mse ops: the engine's backward against the closed form
 *   L = mean_d (v_d − 1)²,  v_d = mean_b h²_bd − m_d²,  ∂L/∂h_bd = (2(v_d − 1)/E)·(2/B)(h_bd − m_d).
 */
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../src/graph/builder.js';
import { addBackward } from '../../src/graph/autodiff.js';
import { plan } from '../../src/graph/plan.js';
import { compileReference } from '../../src/graph/runner.js';
import { varianceTerm } from '../../src/lam/conv-graph.js';
import { Rng, testSeed } from '../../src/data/rng.js';

const seed = testSeed();

describe(`latent-ema variance term (seed ${seed})`, () => {
  it('value and gradient match the closed form', () => {
    const B = 7, E = 5;
    const h0 = new Rng(seed).fillNormal(new Float32Array(B * E), 0.3, 0.8);
    const b = new GraphBuilder();
    const h = b.param('h', [B, E], h0);
    const loss = varianceTerm(b, h);
    const g = addBackward(b, [{ value: loss }], [h]);
    b.output('loss', loss);
    b.output('dh', g.get(h)!);
    const m = compileReference(plan(b.graph));
    const out = m.run(null);
    const mean = new Float64Array(E), v = new Float64Array(E);
    for (let d = 0; d < E; d++) {
      for (let i = 0; i < B; i++) mean[d] += h0[i * E + d] / B;
      for (let i = 0; i < B; i++) v[d] += (h0[i * E + d] - mean[d]) ** 2 / B;
    }
    const L = v.reduce((a, x) => a + (x - 1) ** 2, 0) / E;
    expect(m.output(out, 'loss')[0]).toBeCloseTo(L, 5);
    const dh = m.output(out, 'dh');
    for (let i = 0; i < B; i++)
      for (let d = 0; d < E; d++) expect(dh[i * E + d]).toBeCloseTo(((2 * (v[d] - 1)) / E) * (2 / B) * (h0[i * E + d] - mean[d]), 5);
  });
});
