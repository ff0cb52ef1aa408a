/**
 * Whole-model gradient checks (float64 finite differences) for the linear-exo and grid32
 * presets: every parameter tensor, sampled elements.
 */
import { describe, expect, it } from 'vitest';
import { testSeed } from '../../src/data/rng.js';
import { buildLam } from '../../src/lam/presets.js';
import { gradCheck } from '../graph/gradcheck.js';

const SEED = testSeed(1234);

describe('whole-model gradients vs float64 finite differences', () => {
  it('linear-exo (batch 8)', () => {
    const res = gradCheck((b, rng) => buildLam('linear-exo', { batch: 8, builder: b, seed: rng.int(1000) }).recon, { seed: SEED, samples: 6 });
    console.log(`linear-exo: ${res.checked} elements, worst rel err ${res.worst.toExponential(2)} (seed ${SEED})`);
    expect(res.worst).toBeLessThan(1e-5);
  });
  it('grid32 (batch 2)', () => {
    const res = gradCheck((b, rng) => buildLam('grid32', { batch: 2, builder: b, seed: rng.int(1000) }).recon, { seed: SEED, samples: 3, keepInit: true, h: 1e-5 });
    console.log(`grid32: ${res.checked} elements, worst rel err ${res.worst.toExponential(2)} (seed ${SEED})`);
    if (res.worst > 1e-4) console.log(res.report.join('\n'));
    expect(res.worst).toBeLessThan(1e-4);
  }, 120_000);
});
