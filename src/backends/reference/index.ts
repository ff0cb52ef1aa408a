/**
 * The reference kernels by op id: plain loops, float64 accumulation, the oracle for every
 * other backend. Each takes the arguments of its kernels.h function (pointers as typed-array views).
 */
import type { OpId } from '../../ops/opcodes.js';
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

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type RefKernel = (...args: any[]) => void;

export const REFERENCE_KERNELS: Readonly<Record<OpId, RefKernel>> = {
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
