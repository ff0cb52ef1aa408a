/**
 * One lowering per lamkit op id: a graph node → ONNX nodes (opset 17).
 *
 * Geometry (conv strides, pads, concat offsets, slopes) is not re-parsed from attributes here:
 * each lowering reads the integers and floats of the op's own tape encoding
 * (`contract.encode`, kernels.h argument order). That is exactly what the kernels receive, so an
 * exported model cannot disagree with the trained one about, say, padding.
 *
 * | lamkit op          | ONNX                                                                 |
 * |--------------------|----------------------------------------------------------------------|
 * | matmul (ta, tb)    | MatMul, or Gemm(transA, transB) when a side is transposed            |
 * | conv2d             | Conv (bias folded in by the following in-place bias_add)             |
 * | conv_transpose2d   | ConvTranspose (output_padding recovered from OH/OW)                  |
 * | bias_add           | folded into Conv/ConvTranspose/Gemm, else Add with b as [C,1,…]      |
 * | relu / leaky_relu  | Relu / LeakyRelu(alpha = slope)                                      |
 * | gelu               | 0.5·x·(1 + Erf(x·1/√2)) (Gelu is an op only from opset 20)           |
 * | add / sub / mul    | Add / Sub / Mul                                                      |
 * | scale              | Mul by a scalar                                                      |
 * | copy               | Identity                                                             |
 * | concat_part        | collected per destination, one Concat(axis 1) when it is read        |
 * | split_part         | Slice on axis 1                                                      |
 * | vq_nearest         | ReduceSum((z[:,None,:] − C)², axis 2) → ArgMin(axis 1) → Cast int32  |
 * | gather_rows        | Gather(table, idx, axis 0)                                           |
 *
 * `+=` outputs (acc) become an Add onto the value's current contents.
 */
import type { Node, Value } from '../graph/ir.js';
import { contractOf } from '../graph/contracts.js';
import type { Operand, Shape } from '../ops/contract.js';
import type { OnnxBuilder } from './builder.js';
import { DT, floatAttr } from './proto.js';

/** What a lowering needs from the exporter. */
export interface LowerCtx {
  readonly b: OnnxBuilder;
  /** The ONNX value holding `v`'s current contents, in `v`'s shape (batch dim dynamic). */
  read(v: Value): string;
  /** Records that `v` now holds ONNX value `name` (`acc`: add onto its current contents). */
  write(v: Value, name: string, acc?: boolean): void;
  /** Records one channel slice [offset, offset+channels) of a concat destination. */
  writePart(whole: Value, name: string, offset: number, channels: number): void;
  /** Whether the ONNX value `name` is a parameter/constant initializer. */
  isInitializer(name: string): boolean;
  /** Initializer data of `name` (for reshaping a bias), or null. */
  initializerData(name: string): { data: Float32Array; dims: number[] } | null;
}

type Lowering = (ctx: LowerCtx, node: Node, args: number[]) => void;

/** The integer/float arguments of a node's tape encoding, with pointer slots as NaN. */
export function encodedArgs(node: Node): number[] {
  const shapes: Shape[] = node.inputs.filter((v): v is Value => v !== null).map((v) => v.shape);
  const ops: Operand[] = contractOf(node.op).encode(shapes, node.attrs, node.acc);
  return ops.map((o) => (o.kind === 'int' || o.kind === 'float' ? o.value : NaN));
}

function in0(node: Node, i = 0): Value {
  const v = node.inputs[i];
  if (!v) throw new TypeError(`onnx export: node '${node.name}' (op ${node.op}) has no input ${i}`);
  return v;
}

function unary(opType: string): Lowering {
  return (ctx, node) => ctx.write(node.outputs[0], ctx.b.op(opType, [ctx.read(in0(node))], {}, node.name), node.acc);
}

function binary(opType: string): Lowering {
  return (ctx, node) => ctx.write(node.outputs[0], ctx.b.op(opType, [ctx.read(in0(node, 0)), ctx.read(in0(node, 1))], {}, node.name), node.acc);
}

/** Conv geometry from the 15 trailing ints: N,C,H,W,OC,KH,KW,sh,sw,ph,pw,dh,dw,OH,OW. */
function convGeom(args: number[]) {
  const [N, C, H, W, OC, KH, KW, sh, sw, ph, pw, dh, dw, OH, OW] = args.slice(3, 18);
  return { N, C, H, W, OC, KH, KW, sh, sw, ph, pw, dh, dw, OH, OW };
}

const SQRT1_2 = Math.SQRT1_2;

export const LOWERINGS: Readonly<Record<string, Lowering>> = {
  matmul(ctx, node, args) {
    const [ta, tb] = args;
    const a = ctx.read(in0(node, 0));
    const b = ctx.read(in0(node, 1));
    const y = ta || tb ? ctx.b.op('Gemm', [a, b], { transA: ta, transB: tb }, node.name) : ctx.b.op('MatMul', [a, b], {}, node.name);
    ctx.write(node.outputs[0], y, node.acc);
  },

  conv2d(ctx, node, args) {
    const g = convGeom(args);
    const y = ctx.b.op('Conv', [ctx.read(in0(node, 0)), ctx.read(in0(node, 1))], {
      kernel_shape: [g.KH, g.KW],
      strides: [g.sh, g.sw],
      pads: [g.ph, g.pw, g.ph, g.pw],
      dilations: [g.dh, g.dw],
    }, node.name);
    ctx.write(node.outputs[0], y, node.acc);
  },

  conv_transpose2d(ctx, node, args) {
    const g = convGeom(args);
    // The kernel gets OH/OW; ONNX wants the extra bottom/right rows explicitly.
    const oph = g.OH - ((g.H - 1) * g.sh - 2 * g.ph + g.dh * (g.KH - 1) + 1);
    const opw = g.OW - ((g.W - 1) * g.sw - 2 * g.pw + g.dw * (g.KW - 1) + 1);
    const y = ctx.b.op('ConvTranspose', [ctx.read(in0(node, 0)), ctx.read(in0(node, 1))], {
      kernel_shape: [g.KH, g.KW],
      strides: [g.sh, g.sw],
      pads: [g.ph, g.pw, g.ph, g.pw],
      dilations: [g.dh, g.dw],
      output_padding: [oph, opw],
    }, node.name);
    ctx.write(node.outputs[0], y, node.acc);
  },

  bias_add(ctx, node) {
    const x = in0(node, 0);
    const out = node.outputs[0];
    const xn = ctx.read(x);
    const bn = ctx.read(in0(node, 1));
    // Fold into the producer when bias_add overwrites its input in place (the pre-bias value can
    // no longer be read later), nothing has read it yet, and the producer takes a bias input.
    const prod = ctx.b.producer(xn);
    const inPlace = out.buf.root().buf === x.buf.root().buf && out.offset === x.offset;
    if (inPlace && prod && ctx.isInitializer(bn) && !ctx.b.isConsumed(xn) && prod.input!.length === 2 && ['Conv', 'ConvTranspose', 'Gemm'].includes(prod.opType!)) {
      prod.input!.push(bn);
      ctx.write(out, xn);
      return;
    }
    // Broadcast b[C] over [N,C,S…]: trailing singleton dims.
    const rank = x.shape.length;
    let bb = bn;
    if (rank > 2) {
      const init = ctx.initializerData(bn);
      const dims = [x.shape[1], ...Array<number>(rank - 2).fill(1)];
      bb = init ? ctx.b.initializer(`${bn}_bcast`, init.data, dims) : ctx.b.op('Reshape', [bn, ctx.b.int64s(`${bn}_bshape`, dims)], {}, `${bn}_bcast`);
    }
    ctx.write(out, ctx.b.op('Add', [xn, bb], {}, node.name));
  },

  relu: unary('Relu'),

  leaky_relu(ctx, node, args) {
    const slope = args[3];
    ctx.write(node.outputs[0], ctx.b.op('LeakyRelu', [ctx.read(in0(node))], { alpha: floatAttr('alpha', slope) }, node.name));
  },

  gelu(ctx, node) {
    const b = ctx.b;
    const x = ctx.read(in0(node));
    const xs = b.op('Mul', [x, b.scalar('inv_sqrt2', SQRT1_2)], {}, `${node.name}_xs`);
    const e = b.op('Erf', [xs], {}, `${node.name}_erf`);
    const e1 = b.op('Add', [e, b.scalar('one', 1)], {}, `${node.name}_1perf`);
    const xe = b.op('Mul', [x, e1], {}, `${node.name}_xe`);
    ctx.write(node.outputs[0], b.op('Mul', [xe, b.scalar('half', 0.5)], {}, node.name));
  },

  add: binary('Add'),
  sub: binary('Sub'),
  mul: binary('Mul'),

  scale(ctx, node, args) {
    const alpha = args[3];
    ctx.write(node.outputs[0], ctx.b.op('Mul', [ctx.read(in0(node)), ctx.b.scalar(`${node.name}_alpha`, alpha)], {}, node.name), node.acc);
  },

  copy: unary('Identity'),

  concat_part(ctx, node, args) {
    // [part, whole, N, Cp, Ct, c0, S]
    const [, , , Cp, , c0] = args;
    ctx.writePart(node.outputs[0], ctx.read(in0(node)), c0, Cp);
  },

  split_part(ctx, node, args) {
    // [whole, part, N, Cp, Ct, c0, S, acc]
    const [, , , Cp, , c0] = args;
    const b = ctx.b;
    const y = b.op('Slice', [ctx.read(in0(node)), b.int64s(`${node.name}_starts`, [c0]), b.int64s(`${node.name}_ends`, [c0 + Cp]), b.int64s(`${node.name}_axes`, [1])], {}, node.name);
    ctx.write(node.outputs[0], y, node.acc);
  },

  vq_nearest(ctx, node) {
    // Squared distances exactly as the kernel defines them (Σ_d (z−c)², not the ‖z‖²−2z·c+‖c‖²
    // expansion, whose cancellation can flip near-ties); ArgMin keeps the lowest index on ties.
    const b = ctx.b;
    const z = ctx.read(in0(node, 0));
    const cb = ctx.read(in0(node, 1));
    const z3 = b.op('Unsqueeze', [z, b.int64s(`${node.name}_axis1`, [1])], {}, `${node.name}_z3`);
    const d = b.op('Sub', [z3, cb], {}, `${node.name}_diff`);
    const d2 = b.op('Mul', [d, d], {}, `${node.name}_sq`);
    const dist = b.op('ReduceSum', [d2, b.int64s(`${node.name}_axis2`, [2])], { keepdims: 0 }, `${node.name}_dist`);
    const idx64 = b.op('ArgMin', [dist], { axis: 1, keepdims: 0, select_last_index: 0 }, `${node.name}_i64`);
    ctx.write(node.outputs[0], b.op('Cast', [idx64], { to: DT.INT32 }, node.name));
  },

  gather_rows(ctx, node) {
    ctx.write(node.outputs[0], ctx.b.op('Gather', [ctx.read(in0(node, 0)), ctx.read(in0(node, 1))], { axis: 0 }, node.name));
  },
};

/** Op ids the exporter can lower. */
export const EXPORTABLE_OPS: readonly string[] = Object.keys(LOWERINGS);
