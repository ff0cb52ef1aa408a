/**
 * Test helpers for ONNX parity: run a lamkit Graph's step on the reference tape interpreter
 * (the oracle every backend is tested against), and compare float arrays with a scale-relative
 * tolerance.
 */
import type { Graph } from '../../src/graph/ir.js';
import { plan } from '../../src/graph/plan.js';
import { ReferencePlan } from '../../src/backends/reference/executor.js';

export type Arr = Float32Array | Int32Array;

/**
 * One forward step of `graph` on the reference interpreter: feeds by name (float32, or int32
 * bit-cast into the float slot), outputs by name (int32 outputs come back as Int32Array).
 * `params` overrides resident initial values by parameter/state name.
 */
export function runReference(graph: Graph, feeds: Record<string, Arr>, params: Record<string, Float32Array> = {}): Record<string, Arr> {
  const p = plan(graph, { checkFinite: false });
  const prog = p.program;
  const exec = new ReferencePlan(prog.tape, prog.arenaFloats, prog.feedFloatsPerStep, prog.outFloatsPerStep);
  for (const init of p.inits) exec.arena.set(init.data, init.offset);
  for (const s of [...p.params, ...p.state]) if (params[s.name]) exec.arena.set(params[s.name], s.offset);
  const feedBlock = new Float32Array(Math.max(1, prog.feedFloatsPerStep));
  for (const s of p.feeds) {
    const a = feeds[s.name];
    if (!a) throw new RangeError(`runReference: missing feed '${s.name}'`);
    if (a.length !== s.size) throw new RangeError(`runReference: feed '${s.name}' has ${a.length} elements, expected ${s.size}`);
    feedBlock.set(new Float32Array(a.buffer, a.byteOffset, a.length), s.offset);
  }
  const outBlock = new Float32Array(Math.max(1, prog.outFloatsPerStep));
  exec.run(feedBlock, prog.feedFloatsPerStep, outBlock, prog.outFloatsPerStep, 1);
  const res: Record<string, Arr> = {};
  for (const s of p.outputs) {
    const f = outBlock.slice(s.offset, s.offset + s.size);
    res[s.name] = s.dtype === 'i32' ? new Int32Array(f.buffer) : f;
  }
  return res;
}

/** max |a − b| and the scale max(1, max |b|) it is judged against. */
export function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): { max: number; scale: number } {
  if (a.length !== b.length) throw new RangeError(`maxDiff: lengths ${a.length} and ${b.length} differ`);
  let max = 0;
  let scale = 1;
  for (let i = 0; i < a.length; i++) {
    max = Math.max(max, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return { max, scale };
}

/** Rows [r0, r1) of a [N, ...] array. */
export function rows<T extends Float32Array | Int32Array>(a: T, n: number, r0: number, r1: number): T {
  const per = a.length / n;
  return a.slice(r0 * per, r1 * per) as T;
}
