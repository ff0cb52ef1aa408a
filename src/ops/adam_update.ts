/**
 * adam_update — in place on param, m, v (n elements each), from grad:
 *   g' = g + wd·p (decoupled=0, Adam + L2)   or   p −= lr·wd·p first (decoupled=1, AdamW)
 *   m = β1 m + (1−β1) g';  v = β2 v + (1−β2) g'²
 *   p −= lr · (m / (1−β1^t)) / (√(v / (1−β2^t)) + eps)
 * t is read from the int32 step counter input `step` [1] (tape form; STEP_INCREMENT bumps it).
 * FLOPs ≈ 12n. Kernel: lam_f32_adam_update(param, grad, m, v, n, lr, beta1, beta2, eps,
 * weight_decay, decoupled, t) — on the tape the last operand is the counter's arena offset.
 */
import { type OpContract, type Shape, boolAttr, checkInputs, checkSame, ext, flt, inp, int, numAttr, numel } from './contract.js';
import { OP_OPCODES } from './opcodes.js';

export interface AdamAttrs {
  [k: string]: number | boolean | undefined;
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
  /** AdamW (decoupled weight decay), default true when weightDecay > 0. */
  decoupled?: boolean;
}

const IN = ['param', 'grad', 'm', 'v', 'step'];

function n(inputs: readonly Shape[]): number {
  checkInputs('adam_update', IN, inputs);
  for (let i = 1; i < 4; i++) checkSame('adam_update', IN[i], inputs[i], inputs[0]);
  checkSame('adam_update', 'step', inputs[4], [1]);
  return numel(inputs[0]);
}

function hyper(attrs: AdamAttrs): number[] {
  const op = 'adam_update';
  const lr = numAttr(op, attrs, 'lr', undefined, { min: 0 });
  const b1 = numAttr(op, attrs, 'beta1', 0.9, { min: 0 });
  const b2 = numAttr(op, attrs, 'beta2', 0.999, { min: 0 });
  if (b1 >= 1 || b2 >= 1) throw new RangeError(`${op}: beta1 and beta2 must be in [0, 1), got ${b1}, ${b2}`);
  const eps = numAttr(op, attrs, 'eps', 1e-8, { min: 0 });
  const wd = numAttr(op, attrs, 'weightDecay', 0, { min: 0 });
  const dec = boolAttr(op, attrs, 'decoupled', true) ? 1 : 0;
  return [lr, b1, b2, eps, wd, dec];
}

export const adam_update: OpContract<AdamAttrs> = {
  id: 'adam_update',
  opcode: OP_OPCODES.adam_update,
  inputs: IN,
  inputTypes: ['f32', 'f32', 'f32', 'f32', 'i32'],
  outputs: [],
  accumulates: false,
  mode: 'inplace',
  mutates: [0, 2, 3],
  signature: ['f32*', 'f32*', 'f32*', 'f32*', 'int', 'float', 'float', 'float', 'float', 'float', 'int', 'i32*'],
  extents: ([, , , , n]) => ext(12, { 0: n, 1: n, 2: n, 3: n, 11: 1 }),
  shape: (inputs, attrs) => {
    n(inputs);
    hyper(attrs);
    return [];
  },
  encode: (inputs, attrs) => {
    const [lr, b1, b2, eps, wd, dec] = hyper(attrs);
    return [inp(0), inp(1), inp(2), inp(3), int(n(inputs)), flt(lr), flt(b1), flt(b2), flt(eps), flt(wd), int(dec), inp(4)];
  },
  flops: (inputs) => 12 * n(inputs),
  bytes: (inputs) => 4 * 7 * n(inputs),
};
