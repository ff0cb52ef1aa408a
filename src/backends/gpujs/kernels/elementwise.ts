/**
 * gpu.js elementwise kernels (activations, their backward passes, add/sub/mul, scale, copy,
 * bias_add): one thread per element, y (= | +=) f(x[, dy | b]). They share one file because
 * each body is one line and they share the same operand pattern; the op ids match
 * src/ops/<op>.ts and test/kernels/<op>.test.ts. FLOPs ≈ n (gelu ≈ 20n); bytes 4·(inputs+1)·n.
 *
 * gelu uses erf from Abramowitz & Stegun 7.1.26 (|error| ≤ 1.5e-7): gpu.js has no Math.erf, and
 * that bound is inside float32 round-off for the values an activation sees.
 */
import type { GpuKernelDef, KernelThis } from './types.js';

function reluKernel(this: KernelThis, x: number[]): number {
  const v = x[this.thread.x];
  if (v > 0) return v;
  if (v !== v) return v; // NaN propagates like the reference
  return 0;
}

function reluBackwardKernel(this: KernelThis, x: number[], dy: number[], dx: number[]): number {
  let g = 0;
  if (x[this.thread.x] > 0) g = dy[this.thread.x];
  if (this.constants.acc === 1) g += dx[this.thread.x];
  return g;
}

function leakyReluKernel(this: KernelThis, x: number[]): number {
  const v = x[this.thread.x];
  if (v > 0) return v;
  return this.constants.slope * v;
}

function leakyReluBackwardKernel(this: KernelThis, x: number[], dy: number[], dx: number[]): number {
  let g = this.constants.slope * dy[this.thread.x];
  if (x[this.thread.x] > 0) g = dy[this.thread.x];
  if (this.constants.acc === 1) g += dx[this.thread.x];
  return g;
}

function geluKernel(this: KernelThis, x: number[]): number {
  const v = x[this.thread.x];
  const z = Math.abs(v) * 0.7071067811865476;
  const t = 1 / (1 + 0.3275911 * z);
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  let e = 1 - poly * Math.exp(-z * z);
  if (v < 0) e = -e;
  return v * 0.5 * (1 + e);
}

function geluBackwardKernel(this: KernelThis, x: number[], dy: number[], dx: number[]): number {
  const v = x[this.thread.x];
  const z = Math.abs(v) * 0.7071067811865476;
  const t = 1 / (1 + 0.3275911 * z);
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  let e = 1 - poly * Math.exp(-z * z);
  if (v < 0) e = -e;
  const pdf = Math.exp(-0.5 * v * v) * 0.3989422804014327;
  let g = (0.5 * (1 + e) + v * pdf) * dy[this.thread.x];
  if (this.constants.acc === 1) g += dx[this.thread.x];
  return g;
}

function addKernel(this: KernelThis, a: number[], b: number[], y: number[]): number {
  let v = a[this.thread.x] + b[this.thread.x];
  if (this.constants.acc === 1) v += y[this.thread.x];
  return v;
}

function subKernel(this: KernelThis, a: number[], b: number[], y: number[]): number {
  let v = a[this.thread.x] - b[this.thread.x];
  if (this.constants.acc === 1) v += y[this.thread.x];
  return v;
}

function mulKernel(this: KernelThis, a: number[], b: number[], y: number[]): number {
  let v = a[this.thread.x] * b[this.thread.x];
  if (this.constants.acc === 1) v += y[this.thread.x];
  return v;
}

function scaleKernel(this: KernelThis, x: number[], y: number[]): number {
  let v = this.constants.alpha * x[this.thread.x];
  if (this.constants.acc === 1) v += y[this.thread.x];
  return v;
}

function copyKernel(this: KernelThis, x: number[], y: number[]): number {
  let v = x[this.thread.x];
  if (this.constants.acc === 1) v += y[this.thread.x];
  return v;
}

function biasAddKernel(this: KernelThis, x: number[], b: number[]): number {
  const q = Math.floor((this.thread.x + 0.5) / this.constants.S);
  const c = q - Math.floor((q + 0.5) / this.constants.C) * this.constants.C;
  return x[this.thread.x] + b[c];
}

export const relu: GpuKernelDef = { id: 'relu', source: reluKernel, reads: () => [0], out: 1, size: (a) => a[2], constants: () => ({}) };
export const relu_backward: GpuKernelDef = {
  id: 'relu_backward', source: reluBackwardKernel, reads: () => [0, 1, 2], out: 2, size: (a) => a[3], constants: (a) => ({ acc: a[4] }),
};
export const leaky_relu: GpuKernelDef = {
  id: 'leaky_relu', source: leakyReluKernel, reads: () => [0], out: 1, size: (a) => a[2], constants: (a) => ({ slope: a[3] }),
};
export const leaky_relu_backward: GpuKernelDef = {
  id: 'leaky_relu_backward', source: leakyReluBackwardKernel, reads: () => [0, 1, 2], out: 2, size: (a) => a[3], constants: (a) => ({ slope: a[4], acc: a[5] }),
};
export const gelu: GpuKernelDef = { id: 'gelu', source: geluKernel, reads: () => [0], out: 1, size: (a) => a[2], constants: () => ({}) };
export const gelu_backward: GpuKernelDef = {
  id: 'gelu_backward', source: geluBackwardKernel, reads: () => [0, 1, 2], out: 2, size: (a) => a[3], constants: (a) => ({ acc: a[4] }),
};
export const add: GpuKernelDef = { id: 'add', source: addKernel, reads: () => [0, 1, 2], out: 2, size: (a) => a[3], constants: (a) => ({ acc: a[4] }) };
export const sub: GpuKernelDef = { id: 'sub', source: subKernel, reads: () => [0, 1, 2], out: 2, size: (a) => a[3], constants: (a) => ({ acc: a[4] }) };
export const mul: GpuKernelDef = { id: 'mul', source: mulKernel, reads: () => [0, 1, 2], out: 2, size: (a) => a[3], constants: (a) => ({ acc: a[4] }) };
export const scale: GpuKernelDef = {
  id: 'scale', source: scaleKernel, reads: () => [0, 1], out: 1, size: (a) => a[2], constants: (a) => ({ alpha: a[3], acc: a[4] }),
};
export const copy: GpuKernelDef = { id: 'copy', source: copyKernel, reads: () => [0, 1], out: 1, size: (a) => a[2], constants: (a) => ({ acc: a[3] }) };
export const bias_add: GpuKernelDef = {
  id: 'bias_add', source: biasAddKernel, reads: () => [0, 1], out: 2, size: (a) => a[3] * a[4] * a[5], constants: (a) => ({ C: a[4], S: a[5] }),
};
