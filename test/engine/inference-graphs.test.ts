/**
 * The inference graphs (idm: (o_t, o_t1) → z, fdm: (o_t, z) → pred) use the training graph's
 * parameter names: loading a training model's parameters into them reproduces its loss.
 */
import { describe, expect, it } from 'vitest';
import { Rng, testSeed } from '../../src/data/rng.js';
import { plan } from '../../src/graph/plan.js';
import { compileReference } from '../../src/graph/runner.js';
import { buildFdmGraph, buildIdmGraph } from '../../src/lam/presets.js';
import { planPreset } from '../../src/lam/training.js';

const SEED = testSeed(1234);

describe('inference graphs', () => {
  for (const [preset, batch] of [['linear-exo', 8], ['grid32', 2]] as const) {
    it(`${preset}: idm → fdm with the training parameters gives the training loss`, () => {
      const train = compileReference(planPreset(preset, { batch, seed: SEED }).plan);
      const params = train.getParams();
      const per = train.feedFloatsPerStep;
      const feeds = new Rng(SEED).fillUniform(new Float32Array(per));
      const loss = train.output(train.run(feeds, 1), 'loss')[0];
      const n = per / 2;
      const oT = feeds.slice(0, n);
      const oT1 = feeds.slice(n);

      const idm = compileReference(plan(buildIdmGraph(preset, batch).graph));
      idm.setParams(Object.fromEntries(Object.keys(idm.getParams()).map((k) => [k, params[k]])));
      const z = idm.output(idm.run({ o_t: oT, o_t1: oT1 }, 1), 'z');
      const fdm = compileReference(plan(buildFdmGraph(preset, batch).graph));
      fdm.setParams(Object.fromEntries(Object.keys(fdm.getParams()).map((k) => [k, params[k]])));
      const pred = fdm.output(fdm.run({ o_t: oT, z }, 1), 'pred');
      let s = 0;
      for (let i = 0; i < n; i++) s += (pred[i] - oT1[i]) ** 2;
      expect(Math.abs(s / batch - loss)).toBeLessThan(1e-4 * loss);
      expect(z.length).toBe(batch * 8); // k = 8 for both presets
    });
  }
});
