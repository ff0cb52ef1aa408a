/**
 * sgd_update — in place, PyTorch SGD (dampening 0): g' = g + wd·p; buf = μ·buf + g';
 * p −= lr·buf (with μ = 0: p −= lr·g', buf still written). param, grad, buf: n elements.
 * FLOPs ≈ 5n. Kernel: lam_f32_sgd_update(param, grad, buf, n, lr, momentum, weight_decay).
 */
import { type OpContract, type Shape, checkInputs, checkSame, ext, flt, inp, int, numAttr, numel } from './contract.js';
import { OP_OPCODES } from './opcodes.js';

export interface SgdAttrs {
  [k: string]: number | undefined;
  lr: number;
  momentum?: number;
  weightDecay?: number;
}

const IN = ['param', 'grad', 'buf'];

function n(inputs: readonly Shape[]): number {
  checkInputs('sgd_update', IN, inputs);
  for (let i = 1; i < 3; i++) checkSame('sgd_update', IN[i], inputs[i], inputs[0]);
  return numel(inputs[0]);
}

function hyper(attrs: SgdAttrs): number[] {
  return [
    numAttr('sgd_update', attrs, 'lr', undefined, { min: 0 }),
    numAttr('sgd_update', attrs, 'momentum', 0, { min: 0 }),
    numAttr('sgd_update', attrs, 'weightDecay', 0, { min: 0 }),
  ];
}

export const sgd_update: OpContract<SgdAttrs> = {
  id: 'sgd_update',
  opcode: OP_OPCODES.sgd_update,
  inputs: IN,
  outputs: [],
  accumulates: false,
  mode: 'inplace',
  mutates: [0, 2],
  signature: ['f32*', 'f32*', 'f32*', 'int', 'float', 'float', 'float'],
  extents: ([, , , n]) => ext(7, { 0: n, 1: n, 2: n }),
  shape: (inputs, attrs) => {
    n(inputs);
    hyper(attrs);
    return [];
  },
  encode: (inputs, attrs) => {
    const [lr, mu, wd] = hyper(attrs);
    return [inp(0), inp(1), inp(2), int(n(inputs)), flt(lr), flt(mu), flt(wd)];
  },
  flops: (inputs) => 5 * n(inputs),
  bytes: (inputs) => 4 * 5 * n(inputs),
};
