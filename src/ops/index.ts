/**
 * Registry of every op contract by id (explicit imports, no side effects).
 * The ids and their order match OP_OPCODES in ./opcodes.ts.
 */
import type { Attrs, OpContract } from './contract.js';
import { type OpId, OP_IDS } from './opcodes.js';
import { matmul } from './matmul.js';
import { conv2d } from './conv2d.js';
import { conv2d_backward_input } from './conv2d_backward_input.js';
import { conv2d_backward_filter } from './conv2d_backward_filter.js';
import { conv_transpose2d } from './conv_transpose2d.js';
import { bias_add } from './bias_add.js';
import { bias_grad } from './bias_grad.js';
import { relu } from './relu.js';
import { relu_backward } from './relu_backward.js';
import { leaky_relu } from './leaky_relu.js';
import { leaky_relu_backward } from './leaky_relu_backward.js';
import { gelu } from './gelu.js';
import { gelu_backward } from './gelu_backward.js';
import { add } from './add.js';
import { sub } from './sub.js';
import { mul } from './mul.js';
import { scale } from './scale.js';
import { sum_axis } from './sum_axis.js';
import { mean_axis } from './mean_axis.js';
import { concat_part } from './concat_part.js';
import { split_part } from './split_part.js';
import { mse_loss } from './mse_loss.js';
import { mse_grad } from './mse_grad.js';
import { adam_update } from './adam_update.js';
import { sgd_update } from './sgd_update.js';
import { ema_update } from './ema_update.js';
import { vq_nearest } from './vq_nearest.js';
import { gather_rows } from './gather_rows.js';
import { scatter_add_rows } from './scatter_add_rows.js';
import { fill } from './fill.js';
import { copy } from './copy.js';
import { conv2d_bias_act } from './conv2d_bias_act.js';
import { l2_normalize } from './l2_normalize.js';
import { l2_normalize_backward } from './l2_normalize_backward.js';

/** Every contract by op id. */
export const OPS: Readonly<Record<OpId, OpContract<any>>> = {
  matmul,
  conv2d,
  conv2d_backward_input,
  conv2d_backward_filter,
  conv_transpose2d,
  bias_add,
  bias_grad,
  relu,
  relu_backward,
  leaky_relu,
  leaky_relu_backward,
  gelu,
  gelu_backward,
  add,
  sub,
  mul,
  scale,
  sum_axis,
  mean_axis,
  concat_part,
  split_part,
  mse_loss,
  mse_grad,
  adam_update,
  sgd_update,
  ema_update,
  vq_nearest,
  gather_rows,
  scatter_add_rows,
  fill,
  copy,
  conv2d_bias_act,
  l2_normalize,
  l2_normalize_backward,
};

/** Alias of OPS (the name src/graph uses). */
export const OP_CONTRACTS = OPS;

/** The contract of an op id; throws a RangeError naming the id and the known ones. */
export function getOp(id: string): OpContract<Attrs> {
  const op = (OPS as Record<string, OpContract<any>>)[id];
  if (!op) throw new RangeError(`unknown op '${id}'; expected one of ${OP_IDS.join(', ')}`);
  return op as OpContract<Attrs>;
}

/** The contract of a kernel opcode, or undefined for special/unknown opcodes. */
export function opByOpcode(code: number): OpContract<Attrs> | undefined {
  return BY_OPCODE.get(code);
}

const BY_OPCODE = new Map<number, OpContract<Attrs>>(Object.values(OPS).map((c) => [c.opcode, c as OpContract<Attrs>]));

export { OP_IDS, OP_OPCODES, SPECIAL_OPCODES, SPECIAL_WORDS, opcodeName, type OpId } from './opcodes.js';
export * from './contract.js';
