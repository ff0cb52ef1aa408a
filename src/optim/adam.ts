/**
 * Adam / AdamW as graph nodes: all parameters and their gradients are packed into one buffer
 * each (src/optim/pack.ts), with one m and one v state buffer, so a whole update is a single
 * adam_update instruction reading the int32 step counter.
 */
import type { GraphBuilder } from '../graph/builder.js';
import type { Value } from '../graph/ir.js';
import { pack } from './pack.js';
import { stepCounter } from './step-counter.js';

export interface AdamOptions {
  /** Learning rate (default 1e-3, PyTorch's). */
  lr?: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** Weight decay (default 0). */
  weightDecay?: number;
  /** true = AdamW (decoupled decay, PyTorch AdamW); false = Adam with L2 added to the gradient. */
  decoupled?: boolean;
  /** Name prefix of the state (default 'adam'): state '<name>.m', '<name>.v'. */
  name?: string;
}

/**
 * Appends an Adam/AdamW update of every parameter in `grads` (param → gradient, from
 * addBackward). Moments start at zero (state '<name>.m' and '<name>.v', in parameter order).
 */
export function adam(b: GraphBuilder, grads: Map<Value, Value>, opts: AdamOptions = {}): void {
  const name = opts.name ?? 'adam';
  const lr = opts.lr ?? 1e-3;
  if (!(lr >= 0) || !Number.isFinite(lr)) throw new RangeError(`adam: lr must be a finite number ≥ 0, got ${lr}`);
  const params = [...grads.keys()];
  if (params.length === 0) throw new RangeError('adam: no parameters to update');
  const p = pack(b.graph, 'params', params, 'param');
  const gr = pack(b.graph, 'grads', params.map((q) => grads.get(q)!), 'temp');
  const m = b.state(`${name}.m`, p.shape);
  const v = b.state(`${name}.v`, p.shape);
  const t = stepCounter(b);
  b.op('adam_update', [p, gr, m, v, t], {
    lr,
    beta1: opts.beta1 ?? 0.9,
    beta2: opts.beta2 ?? 0.999,
    eps: opts.eps ?? 1e-8,
    weightDecay: opts.weightDecay ?? 0,
    decoupled: opts.decoupled ?? true,
  }, { name, phase: 'update' });
}

/** AdamW: Adam with decoupled weight decay (PyTorch default weight_decay 0.01). */
export function adamw(b: GraphBuilder, grads: Map<Value, Value>, opts: AdamOptions = {}): void {
  adam(b, grads, { weightDecay: 0.01, ...opts, decoupled: true, name: opts.name ?? 'adamw' });
}
