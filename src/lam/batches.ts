/**
 * Batch sources: where the trainer gets each step's feeds. A source fills the views of one step
 * (subarrays of the run's feed block, so nothing is copied twice).
 *
 *  - linearExoSource: the SCIENCE.md §1 generator (src/data/linear-exo.ts) at the preset's dims.
 *  - randomFramesSource: synthetic frames for the conv presets until the gridworld data is wired
 *    in: o_t uniform in [0,1], o_{t+1} = o_t shifted one pixel in a random direction (a tiny
 *    "action" the LAM can learn), so the loss has something to fall to.
 */
import { LinearExo } from '../data/linear-exo.js';
import { Rng } from '../data/rng.js';
import type { Preset } from './presets.js';

export interface BatchSource {
  /** Feed names this source fills (every feed of the model must be covered). */
  readonly feeds: readonly string[];
  /** Fills one step's feeds. `views[name]` has exactly the feed's element count. */
  next(views: Record<string, Float32Array>): void;
}

/** linear-exo transitions (o_t, o_{t+1}) for a linear preset. */
export function linearExoSource(p: Preset, batch: number, seed: number): BatchSource {
  if (p.spec.kind !== 'linear') throw new RangeError(`linearExoSource: preset ${p.name} is not a linear preset`);
  const gen = new LinearExo({ dObs: p.spec.dObs, dState: p.spec.dState, dAction: p.spec.dAction, dExo: p.spec.dExo, seed });
  return {
    feeds: ['o_t', 'o_t1'],
    next(v) {
      const s = gen.sample(batch);
      v.o_t.set(s.oT);
      v.o_t1.set(s.oT1);
    },
  };
}

/** Random frames [batch, c, h, w] and their one-pixel shifts. */
export function randomFramesSource(p: Preset, batch: number, seed: number): BatchSource {
  if (p.spec.kind !== 'conv') throw new RangeError(`randomFramesSource: preset ${p.name} is not a conv preset`);
  const { c, h, w } = p.spec;
  const rng = new Rng(seed);
  const plane = h * w;
  return {
    feeds: ['o_t', 'o_t1'],
    next(v) {
      const a = v.o_t;
      const b = v.o_t1;
      rng.fillUniform(a, 0, 1);
      for (let n = 0; n < batch; n++) {
        const dir = rng.int(5); // stay, up, down, left, right
        const dy = dir === 1 ? -1 : dir === 2 ? 1 : 0;
        const dx = dir === 3 ? -1 : dir === 4 ? 1 : 0;
        for (let ch = 0; ch < c; ch++) {
          const base = (n * c + ch) * plane;
          for (let y = 0; y < h; y++) {
            const sy = (y - dy + h) % h;
            for (let x = 0; x < w; x++) b[base + y * w + x] = a[base + sy * w + ((x - dx + w) % w)];
          }
        }
      }
    },
  };
}

/** The default source of a preset (linear-exo data or random frames). */
export function defaultSource(p: Preset, batch: number, seed: number): BatchSource {
  return p.spec.kind === 'linear' ? linearExoSource(p, batch, seed) : randomFramesSource(p, batch, seed);
}
