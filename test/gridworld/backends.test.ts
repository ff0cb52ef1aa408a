/**
 * The gridworld training graph (every objective family, VQ included) runs on each backend and
 * agrees with the reference backend step by step (same seed → same batches and init).
 */
import { describe, expect, it } from 'vitest';
import { parseConvObjective } from '../../src/lam/conv-objectives.js';
import { trainConvLam, type Bottleneck } from '../../src/lam/conv-trainer.js';
import { resolveBackend } from '../../src/backends/registry.js';

const CASES: [string, Bottleneck][] = [
  ['recon', { kind: 'vq', codes: 8 }],
  ['latent-ema:0.9:1', { kind: 'continuous' }],
  ['sup:5:0.5', { kind: 'continuous' }],
  ['cross', { kind: 'continuous' }],
  ['oracle', { kind: 'continuous' }],
];

const BACKENDS = ['native-cpu', 'wasm'];
const available = new Set((await Promise.all(BACKENDS.map(async (b) => ((await resolveBackend({ name: b, requiredOps: [] }).then(() => true, () => false)) ? b : null)))).filter((b) => b !== null));

describe('gridworld training on every backend', () => {
  for (const backend of BACKENDS)
    // A backend that is not built here is skipped (reported as skipped, not passed).
    it.skipIf(!available.has(backend))(`${backend} matches the reference backend over 3 steps`, async () => {
      for (const [obj, bottleneck] of CASES) {
        const run = (b: string) => trainConvLam({ preset: 'grid32', objective: parseConvObjective(obj), bottleneck, steps: 3, batch: 4, seed: 5, logEvery: 1, chunk: 1, backend: b, world: { strength: 1 } });
        const [ref, other] = [await run('reference'), await run(backend)];
        expect(other.backend).toBe(backend);
        ref.log.forEach((e, i) => {
          const o = other.log[i];
          expect(Math.abs(o.loss - e.loss), `${obj} step ${e.step}: ${backend} ${o.loss} vs reference ${e.loss}`).toBeLessThanOrEqual(2e-3 * Math.max(1, Math.abs(e.loss)));
        });
      }
    }, 120_000);
});
