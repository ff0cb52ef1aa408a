/**
 * Batch sources: where the trainer gets each step's feeds. A source fills the views of one step
 * (subarrays of the run's feed block, so nothing is copied twice).
 *
 *  - linearExoSource: the SCIENCE.md §1 generator (src/data/linear-exo.ts) at the preset's dims.
 *  - randomFramesSource: synthetic frames for the conv presets until the gridworld data is wired
 *    in: o_t uniform in [0,1], o_{t+1} = o_t shifted one pixel in a random direction (a tiny
 *    "action" the LAM can learn), so the loss has something to fall to.
 *
 * Both are resumable: getState() is the JSON state of their random stream (saved in a
 * checkpoint) and setState() continues it, so a resumed run draws exactly the batches the
 * uninterrupted run would have drawn.
 */
import { LinearExo } from '../data/linear-exo.js';
import { Rng, type RngState } from '../data/rng.js';
import type { Preset } from './presets.js';

export interface BatchSource {
  /** Feed names this source fills (every feed of the model must be covered). */
  readonly feeds: readonly string[];
  /** Fills one step's feeds. `views[name]` has exactly the feed's element count. */
  next(views: Record<string, Float32Array>): void;
  /** JSON state of the source's random stream / read position (see ResumableSource). */
  getState?(): SourceState;
  setState?(state: SourceState): void;
}

/** A source's state as JSON; `kind` names the source so a checkpoint of another source is refused. */
export type SourceState = { kind: string } & Record<string, unknown>;

/** A source that can be checkpointed: the train loop (src/cli/train-loop.ts) requires these. */
export interface ResumableSource extends BatchSource {
  getState(): SourceState;
  /** Continues from a getState() result; throws a RangeError naming what does not match. */
  setState(state: SourceState): void;
}

/** Checks a saved state's kind before a source restores it. */
export function expectSourceKind(state: SourceState, kind: string): void {
  if (!state || typeof state !== 'object' || state.kind !== kind)
    throw new RangeError(`batch source state: expected kind '${kind}', got ${JSON.stringify((state as { kind?: unknown } | null)?.kind)}`);
}

/** linear-exo transitions (o_t, o_{t+1}) for a linear preset. */
export function linearExoSource(p: Preset, batch: number, seed: number): ResumableSource {
  if (p.spec.kind !== 'linear') throw new RangeError(`linearExoSource: preset ${p.name} is not a linear preset`);
  const gen = new LinearExo({ dObs: p.spec.dObs, dState: p.spec.dState, dAction: p.spec.dAction, dExo: p.spec.dExo, seed });
  return {
    feeds: ['o_t', 'o_t1'],
    next(v) {
      const s = gen.sample(batch);
      v.o_t.set(s.oT);
      v.o_t1.set(s.oT1);
    },
    getState: () => ({ kind: 'linear-exo', rng: gen.getRngState() }),
    setState(st) {
      expectSourceKind(st, 'linear-exo');
      gen.setRngState(st.rng as RngState);
    },
  };
}

/** Random frames [batch, c, h, w] and their one-pixel shifts. */
export function randomFramesSource(p: Preset, batch: number, seed: number): ResumableSource {
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
    getState: () => ({ kind: 'random-frames', rng: rng.getState() }),
    setState(st) {
      expectSourceKind(st, 'random-frames');
      rng.setState(st.rng as RngState, 'random-frames source');
    },
  };
}

/** The default source of a preset (linear-exo data or random frames). */
export function defaultSource(p: Preset, batch: number, seed: number): ResumableSource {
  return p.spec.kind === 'linear' ? linearExoSource(p, batch, seed) : randomFramesSource(p, batch, seed);
}
