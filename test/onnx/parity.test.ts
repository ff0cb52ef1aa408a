/**
 * ONNX parity on the canonical presets: the IDM and FDM inference graphs of linear-exo, grid32
 * (continuous and VQ) and conv64 are exported from the same Graph lamkit runs, then run in
 * onnxruntime-node and onnxruntime-web on fresh random inputs and compared with lamkit's own
 * forward pass (the reference interpreter).
 *
 * Tolerance: fp32, |diff| ≤ 1e-4·scale with scale = max(1, max|lamkit|); VQ code indices must
 * be exactly equal (inputs are checked to be away from ties: the best and second-best squared
 * distances differ by more than 1e-3 relative). conv64 runs at batch 2 to keep the test short.
 * Parameters are random (seeded), not the preset initialisation, so biases are non-zero.
 */
import { describe, expect, it } from 'vitest';
import type { GraphBuilder } from '../../src/graph/builder.js';
import { buildFdmGraph, buildIdmGraph, getPreset } from '../../src/lam/presets.js';
import { exportGraph } from '../../src/onnx/export.js';
import { openSession, ONNX_RUNTIMES } from '../../src/onnx/runtime.js';
import { addVqLookup } from '../../src/onnx/vq-head.js';
import { Rng, testSeed } from '../../src/data/rng.js';
import { maxDiff, runReference, type Arr } from './helpers.js';

const seed = testSeed();
const TOL = 1e-4;

function randomParams(g: GraphBuilder, rng: Rng): Record<string, Float32Array> {
  const out: Record<string, Float32Array> = {};
  for (const [name, v] of g.graph.params) {
    // fan-in-scaled normals keep activations O(1) through the conv stacks
    const fanIn = v.shape.length > 1 ? v.size / v.shape[0] : 4;
    out[name] = rng.fillNormal(new Float32Array(v.size), 0, 1.5 / Math.sqrt(fanIn));
  }
  return out;
}

/** Smallest relative gap between the best and second-best code distance over the batch. */
function minTieGap(z: Float32Array, cb: Float32Array, D: number): number {
  const N = z.length / D;
  const K = cb.length / D;
  let gap = Infinity;
  for (let n = 0; n < N; n++) {
    const d: number[] = [];
    for (let k = 0; k < K; k++) {
      let s = 0;
      for (let j = 0; j < D; j++) s += (z[n * D + j] - cb[k * D + j]) ** 2;
      d.push(s);
    }
    d.sort((a, b) => a - b);
    gap = Math.min(gap, (d[1] - d[0]) / Math.max(1e-12, d[1]));
  }
  return gap;
}

interface Case {
  preset: string;
  graph: 'idm' | 'fdm';
  batch: number;
  vq?: number;
}

const CASES: Case[] = [
  { preset: 'linear-exo', graph: 'idm', batch: 5 },
  { preset: 'linear-exo', graph: 'fdm', batch: 5 },
  { preset: 'grid32', graph: 'idm', batch: 3 },
  { preset: 'grid32', graph: 'fdm', batch: 3 },
  { preset: 'grid32', graph: 'idm', batch: 3, vq: 16 },
  { preset: 'conv64', graph: 'idm', batch: 2 },
  { preset: 'conv64', graph: 'fdm', batch: 2 },
];

describe(`onnx parity on presets (seed ${seed})`, () => {
  for (const c of CASES) {
    const label = `${c.preset} ${c.graph}${c.vq ? ` vq:${c.vq}` : ''} (batch ${c.batch})`;
    it(label, async () => {
      const rng = new Rng(seed);
      const g = c.graph === 'idm' ? buildIdmGraph(c.preset, c.batch) : buildFdmGraph(c.preset, c.batch);
      const params = randomParams(g, rng);
      let outputs: Record<string, import('../../src/graph/ir.js').Value> = Object.fromEntries(g.graph.outputs);
      let codebook: Float32Array | null = null;
      if (c.vq) {
        const k = getPreset(c.preset).spec.k;
        codebook = rng.fillNormal(new Float32Array(c.vq * k));
        outputs = addVqLookup(g, g.graph.outputs.get('z')!, codebook);
        // lamkit's own outputs: 'z' stays the continuous latent (for the tie check).
        g.output('z_q', outputs.z);
        g.output('code', outputs.code);
      }
      const { bytes, inputs } = exportGraph(g.graph, { outputs, params, metadata: { preset: c.preset, graph: c.graph } });
      const feeds: Record<string, Float32Array> = {};
      for (const inp of inputs) {
        const dims = [c.batch, ...(inp.dims.slice(1) as number[])];
        feeds[inp.name] = rng.fillNormal(new Float32Array(dims.reduce((a, b) => a * b, 1)));
      }
      const ref = runReference(g.graph, feeds, params);
      if (c.vq) {
        const k = getPreset(c.preset).spec.k;
        const gap = minTieGap(ref.z as Float32Array, codebook!, k);
        expect(gap, 'inputs are away from VQ ties').toBeGreaterThan(1e-3);
      }
      for (const rt of ONNX_RUNTIMES) {
        const s = await openSession(bytes, rt);
        const got = await s.run(Object.fromEntries(inputs.map((i) => [i.name, { data: feeds[i.name], dims: [c.batch, ...(i.dims.slice(1) as number[])] }])));
        for (const name of Object.keys(outputs)) {
          const r = ref[c.vq && name === 'z' ? 'z_q' : name];
          const o = got[name].data as Arr;
          expect(got[name].dims, `${rt} ${name} dims`).toEqual([...outputs[name].shape]);
          if (r instanceof Int32Array) {
            expect(Array.from(o), `${rt} ${name} indices`).toEqual(Array.from(r));
          } else {
            const d = maxDiff(o, r);
            console.log(`${label} ${rt} ${name}: max |diff| ${d.max.toExponential(2)} (scale ${d.scale.toFixed(2)})`);
            expect(d.max, `${rt} ${name}: max |diff| ${d.max} vs scale ${d.scale} (seed ${seed})`).toBeLessThanOrEqual(TOL * d.scale);
          }
        }
        await s.release();
      }
    });
  }
});
