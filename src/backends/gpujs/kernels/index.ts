/** The gpu.js kernels by op id; every other op runs the reference kernel (src/backends/reference). */
import type { OpId } from '../../../ops/opcodes.js';
import { conv2d } from './conv2d.js';
import { conv2d_backward_filter } from './conv2d_backward_filter.js';
import { conv2d_backward_input } from './conv2d_backward_input.js';
import { conv_transpose2d } from './conv_transpose2d.js';
import { add, bias_add, copy, gelu, gelu_backward, leaky_relu, leaky_relu_backward, mul, relu, relu_backward, scale, sub } from './elementwise.js';
import { matmul } from './matmul.js';
import type { GpuKernelDef } from './types.js';

export const GPU_KERNELS: Partial<Record<OpId, GpuKernelDef>> = {
  matmul,
  conv2d,
  conv2d_backward_input,
  conv2d_backward_filter,
  conv_transpose2d,
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
  copy,
  bias_add,
};
