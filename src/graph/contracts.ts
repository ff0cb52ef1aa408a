/**
 * The op contracts the graph layer lowers to, looked up by op id. One table so that an unknown
 * op is rejected in one place with the list of known ones.
 */
import type { Attrs, OpContract, Shape } from '../ops/contract.js';
import { fmtShape } from '../ops/contract.js';
import { OP_CONTRACTS } from '../ops/index.js';

/** The contract of an op id; throws a TypeError naming the op and the known ids. */
export function contractOf(op: string): OpContract<Attrs> {
  const c = (OP_CONTRACTS as Record<string, OpContract<Attrs> | undefined>)[op];
  if (!c) throw new TypeError(`unknown op '${op}'; expected one of ${Object.keys(OP_CONTRACTS).join(', ')}`);
  return c;
}

/**
 * Output shapes of `op` for these inputs, with the contract's error rewritten to name the node
 * and every input shape (the contract itself only knows the op).
 */
export function inferShapes(op: string, node: string, inputs: readonly Shape[], attrs: Attrs): Shape[] {
  const c = contractOf(op);
  try {
    return c.shape(inputs, attrs);
  } catch (e) {
    const shapes = inputs.map((s, i) => `${c.inputs[i] ?? `in${i}`}=${fmtShape(s)}`).join(', ');
    const msg = `node '${node}' (op ${op}, inputs ${shapes}): ${(e as Error).message}`;
    throw e instanceof TypeError ? new TypeError(msg) : new RangeError(msg);
  }
}
