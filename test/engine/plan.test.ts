/**
 * Planner: memory reuse, a lean tape (no fills, one optimiser update), and checkpoints that
 * resume bit-exactly.
 */
import { describe, expect, it } from 'vitest';
import { testSeed } from '../../src/data/rng.js';
import { compileReference } from '../../src/graph/runner.js';
import { memorySummary } from '../../src/graph/plan.js';
import { defaultSource } from '../../src/lam/batches.js';
import { Trainer } from '../../src/lam/trainer.js';
import { planPreset } from '../../src/lam/training.js';

const SEED = testSeed(1234);

describe('plan', () => {
  it('conv64 batch 32: the arena reuses buffers (peak well under the sum of all tensors)', () => {
    const { plan } = planPreset('conv64', { batch: 32 });
    console.log(`conv64 batch 32: peak ${plan.memory.peakBytes} bytes; ${memorySummary(plan)}`);
    expect(plan.memory.peakBytes).toBeLessThan(0.7 * plan.memory.sumOfTensorsBytes);
    // the placement is close to the live-set lower bound (no fragmentation to speak of)
    expect(plan.memory.tempBytes).toBeLessThanOrEqual(1.05 * plan.memory.tempLowerBoundBytes + 64);
    // resident = params + Adam m and v (+ the step counter and alignment)
    const nParams = plan.params.reduce((s, p) => s + p.size, 0);
    expect(plan.memory.residentBytes).toBeGreaterThanOrEqual(3 * 4 * nParams);
    expect(plan.memory.residentBytes).toBeLessThan(3 * 4 * nParams + 4096);
  });

  it('lean tape: no fills, first gradient writes overwrite, one fused optimiser update', () => {
    for (const name of ['linear-exo', 'grid32']) {
      const { plan } = planPreset(name, { batch: 4 });
      const ops = plan.ops.map((o) => o.op);
      expect(ops.filter((o) => o === 'fill')).toEqual([]);
      expect(ops.filter((o) => o === 'adam_update').length).toBe(1);
      expect(ops.filter((o) => o === 'FEED').length).toBe(1);
    }
    // linear-exo: 4 forward matmuls (two of them +=), 5 backward matmuls, nothing else heavy.
    const { plan } = planPreset('linear-exo', { batch: 4 });
    expect(plan.ops.filter((o) => o.op === 'matmul').length).toBe(9);
  });

  it('checkpoint state resumes bit-exactly', async () => {
    const run = async (split: boolean) => {
      const { lam, plan } = planPreset('linear-exo', { batch: 16, seed: SEED });
      const src = defaultSource(lam.preset, 16, SEED);
      let m = compileReference(plan);
      const a = await new Trainer(m, src).train({ steps: 6, chunk: 3 });
      if (split) {
        const st = m.getState();
        expect(st.step).toBe(6);
        m = compileReference(planPreset('linear-exo', { batch: 16, seed: SEED + 99 }).plan);
        m.setState(st);
        expect(m.step).toBe(6);
      }
      const b = await new Trainer(m, src).train({ steps: 6, chunk: 3 });
      return [...a.losses, ...b.losses];
    };
    expect(await run(true)).toEqual(await run(false));
  });

  it('the chunk size (steps per backend call) does not change the loss sequence', async () => {
    const run = async (chunk: number) => {
      const { lam, plan } = planPreset('linear-exo', { batch: 16, seed: SEED });
      return Array.from((await new Trainer(compileReference(plan), defaultSource(lam.preset, 16, SEED)).train({ steps: 10, chunk })).losses);
    };
    expect(await run(3)).toEqual(await run(7));
  });
});
