/**
 * Tape opcodes — the one table shared with native/include/lamkit/opcodes.h (a test parses the
 * header and checks both agree: test/kernels/opcodes.test.ts). Never renumber an opcode; append.
 *
 * Special opcodes and their operands (words after `[opcode, nwords]`):
 *   FEED           [dst f32*, feed_offset, n]   arena[dst..+n) = feeds[step·feed_stride + feed_offset ..+n)
 *   OUTPUT         [src f32*, out_offset, n]    outputs[step·out_stride + out_offset ..+n) = arena[src..+n)
 *   STEP_INCREMENT [counter i32*]               ++counter (an int32 in the arena; adam reads it as t)
 *   CHECK_FINITE   [src f32*, n, tag]           fail the run (naming step and tag) on NaN/Inf
 * Kernel opcodes take the arguments of their kernels.h function in order (see src/ops/<op>.ts).
 */
export const SPECIAL_OPCODES = {
  FEED: 1,
  OUTPUT: 2,
  STEP_INCREMENT: 3,
  CHECK_FINITE: 4,
} as const;

/** Operand count of each special opcode. */
export const SPECIAL_WORDS: Record<keyof typeof SPECIAL_OPCODES, number> = {
  FEED: 3,
  OUTPUT: 3,
  STEP_INCREMENT: 1,
  CHECK_FINITE: 3,
};

/** Kernel opcodes by op id. */
export const OP_OPCODES = {
  matmul: 16,
  conv2d: 17,
  conv2d_backward_input: 18,
  conv2d_backward_filter: 19,
  conv_transpose2d: 20,
  bias_add: 21,
  bias_grad: 22,
  relu: 23,
  relu_backward: 24,
  leaky_relu: 25,
  leaky_relu_backward: 26,
  gelu: 27,
  gelu_backward: 28,
  add: 29,
  sub: 30,
  mul: 31,
  scale: 32,
  sum_axis: 33,
  mean_axis: 34,
  concat_part: 35,
  split_part: 36,
  mse_loss: 37,
  mse_grad: 38,
  adam_update: 39,
  sgd_update: 40,
  ema_update: 41,
  vq_nearest: 42,
  gather_rows: 43,
  scatter_add_rows: 44,
  fill: 45,
  copy: 46,
  conv2d_bias_act: 47,
  l2_normalize: 48,
  l2_normalize_backward: 49,
} as const;

export type OpId = keyof typeof OP_OPCODES;

/** Every op id, in opcode order. */
export const OP_IDS = Object.keys(OP_OPCODES) as OpId[];

/** Op id (or special name) of an opcode, or undefined. */
export function opcodeName(code: number): string | undefined {
  for (const [k, v] of Object.entries(SPECIAL_OPCODES)) if (v === code) return k;
  for (const [k, v] of Object.entries(OP_OPCODES)) if (v === code) return k;
  return undefined;
}
