// Training parity on every wasm variant: the same preset, seed and data as on the reference
// backend give the same loss sequence over 20 steps (|Δ| ≤ 2e-3·|ref| per step, the bound
// test/engine/train-parity.test.ts uses for native-cpu), the loss falls, and a threaded variant
// is deterministic run to run at a fixed thread count.
import { afterAll, describe, expect, it } from 'vitest';
import { referenceFactory } from '../../src/backends/reference-backend.js';
import type { Backend } from '../../src/backends/types.js';
import { wasmVariantBackends } from '../../src/backends/wasm.js';
import { testSeed } from '../../src/data/rng.js';
import { compileOn } from '../../src/graph/runner.js';
import { defaultSource } from '../../src/lam/batches.js';
import { Trainer } from '../../src/lam/trainer.js';
import { planPreset } from '../../src/lam/training.js';

const SEED = testSeed(1234);
const STEPS = 20;
const RTOL = 2e-3;
// conv64 on the reference backend takes minutes; set LAMKIT_SLOW_TESTS=1 to include it.
const CASES: [string, number][] = [['linear-exo', 64], ['grid32', 4], ...(process.env.LAMKIT_SLOW_TESTS ? ([['conv64', 1]] as [string, number][]) : [])];

const ref = await referenceFactory.create();
const variants = await wasmVariantBackends({ threads: 2 });
afterAll(async () => {
  for (const v of variants) await v.backend?.terminate();
});

async function losses(preset: string, batch: number, backend: Backend): Promise<Float32Array> {
  const { lam, plan } = planPreset(preset, { batch, seed: SEED });
  const model = compileOn(plan, backend);
  try {
    const r = await new Trainer(model, defaultSource(lam.preset, batch, SEED + 1)).train({ steps: STEPS, chunk: 10 });
    return r.losses;
  } finally {
    model.dispose();
  }
}

const refLosses = new Map<string, Promise<Float32Array>>();
const refFor = (preset: string, batch: number) => {
  const k = `${preset}/${batch}`;
  if (!refLosses.has(k)) refLosses.set(k, losses(preset, batch, ref));
  return refLosses.get(k)!;
};

const mean = (a: Float32Array, from: number, to: number) => a.slice(from, to).reduce((s, x) => s + x, 0) / (to - from);

for (const v of variants) {
  describe(`training parity wasm/${v.variant} vs reference (${STEPS} steps, seed ${SEED})`, () => {
    if (!v.backend) {
      it.skip(`unavailable: ${v.reason}`, () => {});
      return;
    }
    for (const [preset, batch] of CASES) {
      it(`${preset} batch ${batch}`, async () => {
        const b = await refFor(preset, batch);
        const a = await losses(preset, batch, v.backend!);
        let worst = 0;
        for (let i = 0; i < STEPS; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / Math.abs(b[i]!));
        console.log(`wasm/${v.variant} ${preset}: ref ${b[0]!.toFixed(4)} → ${b[STEPS - 1]!.toFixed(4)}, wasm ${a[0]!.toFixed(4)} → ${a[STEPS - 1]!.toFixed(4)}, max rel diff ${worst.toExponential(2)}`);
        expect(worst).toBeLessThanOrEqual(RTOL);
        expect(mean(a, STEPS - 5, STEPS)).toBeLessThan(mean(a, 0, 5));
      }, 900_000);
    }
    if (v.variant.endsWith('-mt'))
      it('determinism: same seed and threads → identical losses', async () => {
        const a = await losses('grid32', 4, v.backend!);
        const b = await losses('grid32', 4, v.backend!);
        expect(Array.from(a)).toEqual(Array.from(b));
      }, 300_000);
  });
}
