/**
 * Turning a forward graph into a training step: Σ weight·term as the objective, reverse-mode
 * gradients, one optimiser update over all parameters, per-step outputs ('loss' and one output
 * per named term) and NaN/Inf checks on the loss.
 */
import type { LossTerm } from '../graph/autodiff.js';
import { addBackward } from '../graph/autodiff.js';
import type { GraphBuilder } from '../graph/builder.js';
import type { Value } from '../graph/ir.js';
import { adam, adamw } from '../optim/adam.js';
import { sgd } from '../optim/sgd.js';

export type OptimizerName = 'adam' | 'adamw' | 'sgd';

export interface TrainingStepOptions {
  optimizer?: OptimizerName;
  lr?: number;
  /** SGD momentum (default 0.9 for 'sgd'). */
  momentum?: number;
  weightDecay?: number;
  /** Output names for the terms (default term0, term1, …; a single term is only 'loss'). */
  termNames?: string[];
}

/**
 * Appends backward + optimiser to `b` for Σ weight·term over every parameter in the graph, and
 * registers the per-step output 'loss' (plus one per term when there are several).
 */
export function addTrainingStep(b: GraphBuilder, terms: Value | readonly LossTerm[], opts: TrainingStepOptions = {}): void {
  const list: LossTerm[] = 'shape' in (terms as object) ? [{ value: terms as Value }] : [...(terms as LossTerm[])];
  const params = [...b.graph.params.values()];
  if (params.length === 0) throw new RangeError('addTrainingStep: the graph has no parameters');
  const grads = addBackward(b, list, params);
  const opt = opts.optimizer ?? 'adam';
  const lr = opts.lr ?? 1e-3;
  if (opt === 'adam') adam(b, grads, { lr, weightDecay: opts.weightDecay ?? 0, decoupled: false });
  else if (opt === 'adamw') adamw(b, grads, { lr, weightDecay: opts.weightDecay });
  else if (opt === 'sgd') sgd(b, grads, { lr, momentum: opts.momentum ?? 0.9, weightDecay: opts.weightDecay ?? 0 });
  else throw new RangeError(`addTrainingStep: unknown optimizer '${String(opt)}'; expected adam, adamw or sgd`);
  let total: Value;
  if (list.length === 1 && (list[0].weight ?? 1) === 1) total = list[0].value;
  else {
    // The reported loss is the weighted sum; these nodes are not differentiated (they are added
    // after the backward pass) and cost a few scalar ops.
    const scaled = list.map((t, i) => ((t.weight ?? 1) === 1 ? t.value : b.scale(t.value, t.weight ?? 1, `loss_w${i}`)));
    total = scaled.reduce((acc, v, i) => (i === 0 ? v : b.add(acc, v, `loss_sum${i}`)));
    if (list.length > 1) list.forEach((t, i) => b.output(opts.termNames?.[i] ?? `term${i}`, t.value));
  }
  b.output('loss', total);
  b.checkFinite(total, 'loss');
}
