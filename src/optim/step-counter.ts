/**
 * The step counter: an int32 in the arena bumped once per step by STEP_INCREMENT before the
 * optimiser runs (Adam's bias correction reads it as t ≥ 1). Shared by every optimiser in a graph.
 */
import type { GraphBuilder } from '../graph/builder.js';
import type { Value } from '../graph/ir.js';
import { STEP_INCREMENT_OP } from '../graph/plan.js';

export const STEP_STATE = 'step';

/** The graph's step counter, creating it (and its STEP_INCREMENT) on first use. */
export function stepCounter(b: GraphBuilder): Value {
  const g = b.graph;
  const have = g.state.get(STEP_STATE);
  if (have) return have;
  const v = b.state(STEP_STATE, [1], undefined, 'i32');
  g.addNode({ op: STEP_INCREMENT_OP, name: g.uniqueName('step_increment'), inputs: [v], outputs: [], attrs: {}, acc: false, phase: 'update' });
  return v;
}
