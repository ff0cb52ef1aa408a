/**
 * The IDM inference workload shared by idm-latency.mjs and idm-ab.mjs: the preset's IDM graph at
 * batch B with seeded random parameters (fan-in scaled, so activations are O(1) and biases
 * non-zero) and two seeded input frames, drawn in that order from Rng(7).
 */
import { join } from 'node:path';

export async function seededIdm(dist, preset, B) {
  const { buildIdmGraph } = await import(join(dist, 'lam', 'presets.js'));
  const { Rng } = await import(join(dist, 'data', 'rng.js'));
  const g = buildIdmGraph(preset, B);
  const rng = new Rng(7);
  const params = {};
  for (const [name, v] of g.graph.params) {
    const fanIn = v.shape.length > 1 ? v.size / v.shape[0] : 4;
    params[name] = rng.fillNormal(new Float32Array(v.size), 0, 1.5 / Math.sqrt(fanIn));
  }
  const frame = g.graph.feeds.get('o_t').size;
  const oT = rng.fillNormal(new Float32Array(frame));
  const oT1 = rng.fillNormal(new Float32Array(frame));
  return { g, params, oT, oT1 };
}
