import { describe, expect, it } from 'vitest';
import { LinearExo, parseSigma, resolveLinearExoConfig, validateLatentDim } from '../../src/data/linear-exo.js';
import { testSeed } from '../../src/data/rng.js';

describe('linear-exo generator', () => {
  it('is deterministic per seed and follows the §1 dynamics exactly', () => {
    const seed = testSeed();
    const g1 = new LinearExo({ seed, dObs: 21, dState: 5, dAction: 3, dExo: 7, mixing: 0.3, policyGain: 0.4, sigmaXi: [1, 2, 0.5, 1, 1, 3, 1] });
    const g2 = new LinearExo({ seed, dObs: 21, dState: 5, dAction: 3, dExo: 7, mixing: 0.3, policyGain: 0.4, sigmaXi: [1, 2, 0.5, 1, 1, 3, 1] });
    const b1 = g1.sample(50);
    const b2 = g2.sample(50);
    expect(Array.from(b1.oT1)).toEqual(Array.from(b2.oT1));
    const { Gs, Gx, As, Ax, B, K } = g1.truth;
    // o_{t+1} = G_s(A_s s + B a) + G_x(A_x x + ξ), o_t = G_s s + G_x x, a = K s + ε
    let maxErr = 0;
    for (let n = 0; n < 50; n++) {
      const s = Array.from(b1.s.subarray(n * 5, n * 5 + 5));
      const a = Array.from(b1.a.subarray(n * 3, n * 3 + 3));
      const x = Array.from(b1.x.subarray(n * 7, n * 7 + 7));
      const xi = Array.from(b1.xi.subarray(n * 7, n * 7 + 7));
      const eps = Array.from(b1.eps.subarray(n * 3, n * 3 + 3));
      for (let i = 0; i < 3; i++) {
        let ks = eps[i];
        for (let j = 0; j < 5; j++) ks += K.get(i, j) * s[j];
        maxErr = Math.max(maxErr, Math.abs(ks - a[i]));
      }
      const s1 = As.mmul(colv(s)).add(B.mmul(colv(a)));
      const x1 = Ax.mmul(colv(x)).add(colv(xi));
      const o1 = Gs.mmul(s1).add(Gx.mmul(x1));
      const o0 = Gs.mmul(colv(s)).add(Gx.mmul(colv(x)));
      for (let r = 0; r < 21; r++) {
        maxErr = Math.max(maxErr, Math.abs(o1.get(r, 0) - b1.oT1[n * 21 + r]), Math.abs(o0.get(r, 0) - b1.oT[n * 21 + r]));
      }
    }
    expect(maxErr).toBeLessThan(1e-4);
  });

  it('counterfactual draws keep (s, a) and resample (x, ξ)', () => {
    const g = new LinearExo({ seed: testSeed(), dObs: 20 });
    const [p, q] = g.pairs(10);
    expect(Array.from(q.s)).toEqual(Array.from(p.s));
    expect(Array.from(q.a)).toEqual(Array.from(p.a));
    expect(q.x[0]).not.toBe(p.x[0]);
    expect(q.xi[0]).not.toBe(p.xi[0]);
  });

  it('rejects bad configurations naming the field, flag, value and range', () => {
    expect(() => resolveLinearExoConfig({ dObs: 10 })).toThrow(/dObs \(--d-obs\).*≥ d_s \+ d_x = 8 \+ 8 = 16, got 10/);
    expect(() => resolveLinearExoConfig({ rhoS: 1 })).toThrow(/rhoS \(--rho-s\).*\|ρ\| < 1.*got 1/);
    expect(() => resolveLinearExoConfig({ rhoX: -1.5 })).toThrow(/--rho-x/);
    expect(() => resolveLinearExoConfig({ sigmaA: -1 })).toThrow(/sigmaA \(--sigma-a\).*got -1/);
    expect(() => resolveLinearExoConfig({ sigmaXi: [1, 2] })).toThrow(/--sigma-xi.*8 entries.*got 2/);
    expect(() => resolveLinearExoConfig({ processNoise: -0.1 })).toThrow(/--process-noise/);
    expect(() => resolveLinearExoConfig({ mixing: 1 })).toThrow(/--mixing.*\[0, 1\)/);
    expect(() => resolveLinearExoConfig({ dAction: 9 })).toThrow(/--d-action.*\[1, d_s = 8\]/);
    expect(() => validateLatentDim(0, 64)).toThrow(/--k.*\[1, d_o = 64\], got 0/);
    expect(() => validateLatentDim(65, 64)).toThrow(/got 65/);
    expect(() => parseSigma('--sigma-xi', '1,,2')).toThrow(/--sigma-xi.*'1,,2'/);
    expect(parseSigma('--sigma-xi', '1,2')).toEqual([1, 2]);
  });
});

import { Matrix } from 'ml-matrix';
function colv(v: number[]): Matrix {
  return Matrix.columnVector(v);
}
