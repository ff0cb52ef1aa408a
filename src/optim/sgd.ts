/**
 * SGD with momentum (PyTorch semantics, dampening 0) as one sgd_update over packed parameters.
 */
import type { GraphBuilder } from '../graph/builder.js';
import type { Value } from '../graph/ir.js';
import { pack } from './pack.js';

export interface SgdOptions {
  lr: number;
  momentum?: number;
  weightDecay?: number;
  /** State name prefix (default 'sgd'): '<name>.momentum'. */
  name?: string;
}

export function sgd(b: GraphBuilder, grads: Map<Value, Value>, opts: SgdOptions): void {
  const name = opts.name ?? 'sgd';
  if (!(opts.lr >= 0) || !Number.isFinite(opts.lr)) throw new RangeError(`sgd: lr must be a finite number ≥ 0, got ${opts.lr}`);
  const params = [...grads.keys()];
  if (params.length === 0) throw new RangeError('sgd: no parameters to update');
  const p = pack(b.graph, 'params', params, 'param');
  const gr = pack(b.graph, 'grads', params.map((q) => grads.get(q)!), 'temp');
  const buf = b.state(`${name}.momentum`, p.shape);
  b.op('sgd_update', [p, gr, buf], { lr: opts.lr, momentum: opts.momentum ?? 0, weightDecay: opts.weightDecay ?? 0 }, { name, phase: 'update' });
}
