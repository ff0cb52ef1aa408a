/*
 * lamkit tape opcodes — mirrors src/ops/opcodes.ts (test/kernels/opcodes.test.ts parses this
 * file and checks both agree). Never renumber; append. See executor.h for the tape format and
 * src/ops/opcodes.ts for the operands of the special opcodes. Kernel opcodes take the
 * arguments of their kernels.h function in order, with two tape-only changes: adam_update's
 * `t` is an i32 arena pointer to the step counter, and gather_rows / scatter_add_rows append K
 * (table rows) so the executor can bounds-check idx.
 */
#ifndef LAMKIT_OPCODES_H
#define LAMKIT_OPCODES_H

enum lam_opcode {
  LAM_OP_FEED = 1,
  LAM_OP_OUTPUT = 2,
  LAM_OP_STEP_INCREMENT = 3,
  LAM_OP_CHECK_FINITE = 4,

  LAM_OP_MATMUL = 16,
  LAM_OP_CONV2D = 17,
  LAM_OP_CONV2D_BACKWARD_INPUT = 18,
  LAM_OP_CONV2D_BACKWARD_FILTER = 19,
  LAM_OP_CONV_TRANSPOSE2D = 20,
  LAM_OP_BIAS_ADD = 21,
  LAM_OP_BIAS_GRAD = 22,
  LAM_OP_RELU = 23,
  LAM_OP_RELU_BACKWARD = 24,
  LAM_OP_LEAKY_RELU = 25,
  LAM_OP_LEAKY_RELU_BACKWARD = 26,
  LAM_OP_GELU = 27,
  LAM_OP_GELU_BACKWARD = 28,
  LAM_OP_ADD = 29,
  LAM_OP_SUB = 30,
  LAM_OP_MUL = 31,
  LAM_OP_SCALE = 32,
  LAM_OP_SUM_AXIS = 33,
  LAM_OP_MEAN_AXIS = 34,
  LAM_OP_CONCAT_PART = 35,
  LAM_OP_SPLIT_PART = 36,
  LAM_OP_MSE_LOSS = 37,
  LAM_OP_MSE_GRAD = 38,
  LAM_OP_ADAM_UPDATE = 39,
  LAM_OP_SGD_UPDATE = 40,
  LAM_OP_EMA_UPDATE = 41,
  LAM_OP_VQ_NEAREST = 42,
  LAM_OP_GATHER_ROWS = 43,
  LAM_OP_SCATTER_ADD_ROWS = 44,
  LAM_OP_FILL = 45,
  LAM_OP_COPY = 46,
  LAM_OP_CONV2D_BIAS_ACT = 47,
  LAM_OP_L2_NORMALIZE = 48,
  LAM_OP_L2_NORMALIZE_BACKWARD = 49,

  LAM_OP_MAX = 50 /* one past the largest opcode */
};

#endif /* LAMKIT_OPCODES_H */
