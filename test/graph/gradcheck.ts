/**
 * Finite-difference gradient check of a whole graph, in float64: analytic gradients from
 * addBackward's tape vs central differences of the loss, for sampled elements of every parameter.
 */
import { Rng } from '../../src/data/rng.js';
import { addBackward, type LossTerm } from '../../src/graph/autodiff.js';
import { GraphBuilder } from '../../src/graph/builder.js';
import type { Value } from '../../src/graph/ir.js';
import { plan } from '../../src/graph/plan.js';
import { F64Runner } from './f64.js';

export interface GradCheckResult {
  /** max over checked elements of |fd − an| / (atol + max(|fd|, ‖an‖∞ of the tensor)) */
  worst: number;
  checked: number;
  report: string[];
  nodes: string[];
}

export function gradCheck(
  build: (b: GraphBuilder, rng: Rng) => Value | LossTerm[],
  opts: { seed: number; samples?: number; h?: number; atol?: number; keepInit?: boolean; feedInit?: (name: string, a: Float64Array, rng: Rng) => void },
): GradCheckResult {
  const rng = new Rng(opts.seed);
  const b = new GraphBuilder();
  const built = build(b, rng);
  const terms: LossTerm[] = Array.isArray(built) ? built : [{ value: built }];
  const params = [...b.graph.params.values()];
  const grads = addBackward(b, terms, params);
  terms.forEach((t, i) => b.output(`loss${i}`, t.value));
  for (const p of params) b.output(`d:${p.name}`, grads.get(p)!);
  const pl = plan(b.graph, { checkFinite: false });
  const feeds = new Float64Array(pl.program.feedFloatsPerStep);
  for (const f of pl.feeds) {
    const view = feeds.subarray(f.offset, f.offset + f.size);
    if (opts.feedInit) opts.feedInit(f.name, view, rng);
    else for (let i = 0; i < view.length; i++) view[i] = rng.normal();
  }
  const r = new F64Runner(pl, feeds);
  // The f32 initial values are promoted; re-draw params in float64 so FD sees a smooth point.
  if (!opts.keepInit) for (const s of pl.params) for (let i = 0; i < s.size; i++) r.arena[s.offset + i] = rng.normal() * 0.5;
  let full = true;
  const lossOf = (): number => {
    if (full) r.run();
    else r.runForward();
    return terms.reduce((acc, t, i) => acc + (t.weight ?? 1) * r.output(`loss${i}`)[0], 0);
  };
  lossOf();
  const analytic = new Map(pl.params.map((s) => [s.name, r.output(`d:${s.name}`)]));
  full = false;
  const h = opts.h ?? 1e-6;
  const atol = opts.atol ?? 1e-6;
  const samples = opts.samples ?? 6;
  let worst = 0;
  let checked = 0;
  const report: string[] = [];
  for (const s of pl.params) {
    const an = analytic.get(s.name)!;
    const idx = s.size <= samples ? [...Array(s.size).keys()] : Array.from({ length: samples }, () => rng.int(s.size));
    let pw = 0;
    let scale = 0;
    for (let i = 0; i < an.length; i++) scale = Math.max(scale, Math.abs(an[i]));
    for (const i of idx) {
      const x0 = r.arena[s.offset + i];
      r.arena[s.offset + i] = x0 + h;
      const lp = lossOf();
      r.arena[s.offset + i] = x0 - h;
      const lm = lossOf();
      r.arena[s.offset + i] = x0;
      const fd = (lp - lm) / (2 * h);
      const err = Math.abs(fd - an[i]) / (atol + Math.max(Math.abs(fd), scale));
      pw = Math.max(pw, err);
      checked++;
    }
    worst = Math.max(worst, pw);
    report.push(`${s.name}: max rel err ${pw.toExponential(2)}`);
  }
  return { worst, checked, report, nodes: pl.ops.map((o) => `${o.op}:${o.name}`) };
}
