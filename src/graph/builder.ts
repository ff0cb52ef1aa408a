/**
 * Typed graph builder. Every method checks shapes when it is called (through the op contracts)
 * and throws a RangeError naming the node, the op and the shapes, so a bad model fails where it
 * is written rather than inside a kernel.
 *
 * Layers that own parameters live in src/nn; optimisers in src/optim; autodiff in
 * src/graph/autodiff.ts. The builder only records forward nodes.
 */
import { type Attrs, type DType, type Shape, fmtShape, numel } from '../ops/contract.js';
import { inferShapes } from './contracts.js';
import { Graph, type Node, type Phase, Value } from './ir.js';

/** Ops that never pass a gradient (integer outputs or backward/optimiser kernels). */
const NON_DIFFERENTIABLE = new Set([
  'vq_nearest', 'fill', 'mse_grad', 'relu_backward', 'leaky_relu_backward', 'gelu_backward', 'l2_normalize_backward', 'bias_grad',
  'conv2d_backward_input', 'conv2d_backward_filter', 'adam_update', 'sgd_update', 'ema_update',
]);

export interface OpOptions {
  /** Node name (made unique); defaults to the op id. */
  name?: string;
  /** Write into this existing value instead of a fresh one (shape must match). */
  into?: Value;
  /** `+=` into `into` (ops with an acc argument). */
  acc?: boolean;
  /** Write the output over the first input's buffer (ops with aliasOk, e.g. bias_add). */
  inPlace?: boolean;
  phase?: Phase;
}

export class GraphBuilder {
  readonly graph = new Graph();

  /** A per-step input (NCHW / [B, D]); filled from the feed block every step. */
  input(name: string, shape: Shape, dtype: DType = 'f32'): Value {
    checkShapeArg('input', name, shape);
    if (this.graph.feeds.has(name)) throw new RangeError(`input: a feed named '${name}' already exists`);
    const v = this.graph.newValue(name, shape, 'feed', dtype);
    this.graph.feeds.set(name, v);
    return v;
  }

  /** A trainable parameter with its initial values (length = numel(shape)). */
  param(name: string, shape: Shape, init: Float32Array): Value {
    checkShapeArg('param', name, shape);
    checkInit('param', name, shape, init);
    if (this.graph.params.has(name)) throw new RangeError(`param: a parameter named '${name}' already exists`);
    const v = this.graph.newValue(name, shape, 'param');
    v.buf.init = init;
    v.requiresGrad = true;
    this.graph.params.set(name, v);
    return v;
  }

  /** Resident non-trainable state (EMA targets, codebooks…), zeros unless `init` is given. */
  state(name: string, shape: Shape, init?: Float32Array, dtype: DType = 'f32'): Value {
    checkShapeArg('state', name, shape);
    if (init) checkInit('state', name, shape, init);
    if (this.graph.state.has(name)) throw new RangeError(`state: a state value named '${name}' already exists`);
    const v = this.graph.newValue(name, shape, 'state', dtype);
    if (init) v.buf.init = init;
    this.graph.state.set(name, v);
    return v;
  }

  /** Constant data, written once when the plan is compiled. */
  constant(name: string, shape: Shape, data: Float32Array): Value {
    checkShapeArg('constant', name, shape);
    checkInit('constant', name, shape, data);
    const v = this.graph.newValue(name, shape, 'const');
    v.buf.init = data;
    return v;
  }

  /**
   * Records one kernel op. Shapes are inferred by the op's contract; outputs are fresh values
   * unless `into`/`inPlace` says otherwise.
   */
  op(op: string, inputs: readonly (Value | null)[], attrs: Attrs = {}, opts: OpOptions = {}): Value[] {
    const name = this.graph.uniqueName(opts.name ?? op);
    inputs.forEach((v, i) => {
      if (v !== null && !(v instanceof Value)) throw new TypeError(`node '${name}' (op ${op}): input ${i} is not a graph Value`);
      if (v !== null && !this.graph.values.includes(v)) throw new TypeError(`node '${name}' (op ${op}): input ${v.name} belongs to another graph`);
    });
    const present = trimNulls(inputs);
    const shapes = inferShapes(op, name, present.map((v) => v!.shape), attrs);
    let outs: Value[];
    if (opts.into) {
      if (shapes.length !== 1) throw new RangeError(`node '${name}' (op ${op}): 'into' needs a single-output op`);
      if (!sameShape(opts.into.shape, shapes[0]))
        throw new RangeError(`node '${name}' (op ${op}): into ${opts.into.name} has shape ${fmtShape(opts.into.shape)}, the op produces ${fmtShape(shapes[0])}`);
      outs = [opts.into];
    } else if (opts.inPlace) {
      const x = present[0]!;
      if (!sameShape(x.shape, shapes[0])) throw new RangeError(`node '${name}' (op ${op}): in place needs output shape ${fmtShape(shapes[0])} = input ${fmtShape(x.shape)}`);
      outs = [this.graph.view(x.buf, this.graph.uniqueName(`${name}_out`), shapes[0], x.offset)];
    } else {
      outs = shapes.map((s, i) => this.graph.newValue(shapes.length > 1 ? `${name}_${i}` : name, s, 'temp', op === 'vq_nearest' ? 'i32' : 'f32'));
    }
    const rg = !NON_DIFFERENTIABLE.has(op) && present.some((v) => v?.requiresGrad);
    for (const o of outs) if (rg) o.requiresGrad = true;
    this.graph.addNode({ op, name, inputs: present, outputs: outs, attrs, acc: opts.acc ?? false, phase: opts.phase ?? 'forward' });
    return outs;
  }

  // ---- linear algebra ----------------------------------------------------------------------

  /** C = op(A)·op(B); A [M,K] (or [K,M] with ta), B [K,N] (or [N,K] with tb). */
  matmul(a: Value, b: Value, opts: { ta?: boolean; tb?: boolean } & OpOptions = {}): Value {
    return this.op('matmul', [a, b], { ta: opts.ta ?? false, tb: opts.tb ?? false }, opts)[0];
  }

  /**
   * y = x·Wᵀ (+ b): x [B,in], W [out,in] (PyTorch layout), b [out]. Pass several (x, W) pairs
   * to get y = Σ xᵢ·Wᵢᵀ: the second and later products accumulate (`+=`) into y, no add node.
   */
  linear(x: Value | readonly [Value, Value][], w?: Value, b?: Value | null, name = 'linear'): Value {
    const pairs: readonly [Value, Value][] = x instanceof Value ? [[x, w!]] : x;
    if (pairs.length === 0) throw new RangeError(`linear '${name}': needs at least one (x, W) pair`);
    let y = this.matmul(pairs[0][0], pairs[0][1], { tb: true, name });
    for (let i = 1; i < pairs.length; i++) this.matmul(pairs[i][0], pairs[i][1], { tb: true, name: `${name}_acc${i}`, into: y, acc: true });
    if (b) y = this.biasAdd(y, b, { inPlace: true, name: `${name}_bias` });
    return y;
  }

  // ---- convolution -------------------------------------------------------------------------

  /** y = conv2d(x [N,C,H,W], w [OC,C,KH,KW]) (+ b [OC]); cross-correlation, zero padding. */
  conv2d(x: Value, w: Value, b: Value | null, attrs: ConvOpts = {}, name = 'conv2d'): Value {
    let y = this.op('conv2d', [x, w], convAttrs(attrs), { name })[0];
    if (b) y = this.biasAdd(y, b, { inPlace: true, name: `${name}_bias` });
    return y;
  }

  /** y = conv_transpose2d(x [N,IC,H,W], w [IC,OC,KH,KW]) (+ b [OC]), PyTorch semantics. */
  convTranspose2d(x: Value, w: Value, b: Value | null, attrs: ConvOpts & { outputPadding?: number | [number, number] } = {}, name = 'conv_transpose2d'): Value {
    const a: Attrs = convAttrs(attrs);
    if (attrs.outputPadding !== undefined) a.outputPadding = attrs.outputPadding;
    let y = this.op('conv_transpose2d', [x, w], a, { name })[0];
    if (b) y = this.biasAdd(y, b, { inPlace: true, name: `${name}_bias` });
    return y;
  }

  /** y[N,C,…] = x + b[C]. With inPlace the result reuses x's buffer (x must not be read later). */
  biasAdd(x: Value, b: Value, opts: OpOptions = {}): Value {
    return this.op('bias_add', [x, b], {}, { name: 'bias_add', ...opts })[0];
  }

  // ---- activations -------------------------------------------------------------------------

  /**
   * y = max(x, 0). With inPlace, y overwrites x's buffer (x must have no other reader): the
   * backward still works because relu_backward only needs the sign of its input and
   * sign(y) = sign(x) wherever it matters. Saves one activation buffer per layer.
   */
  relu(x: Value, name = 'relu', inPlace = false): Value {
    return this.op('relu', [x], {}, { name, inPlace })[0];
  }
  /** Leaky ReLU; inPlace as for relu (valid for slope > 0, where sign(y) = sign(x)). */
  leakyRelu(x: Value, slope = 0.01, name = 'leaky_relu', inPlace = false): Value {
    if (inPlace && !(slope > 0)) throw new RangeError(`leaky_relu '${name}': in place needs slope > 0, got ${slope}`);
    return this.op('leaky_relu', [x], { slope }, { name, inPlace })[0];
  }
  /** Exact (erf) GELU, PyTorch's default. */
  gelu(x: Value, name = 'gelu'): Value {
    return this.op('gelu', [x], {}, { name })[0];
  }

  // ---- elementwise -------------------------------------------------------------------------

  add(a: Value, b: Value, name = 'add'): Value {
    return this.op('add', [a, b], {}, { name })[0];
  }
  sub(a: Value, b: Value, name = 'sub'): Value {
    return this.op('sub', [a, b], {}, { name })[0];
  }
  mul(a: Value, b: Value, name = 'mul'): Value {
    return this.op('mul', [a, b], {}, { name })[0];
  }
  /** y = alpha·x */
  scale(x: Value, alpha: number, name = 'scale'): Value {
    if (!Number.isFinite(alpha)) throw new RangeError(`scale '${name}': alpha must be finite, got ${alpha}`);
    return this.op('scale', [x], { alpha }, { name })[0];
  }

  // ---- reductions --------------------------------------------------------------------------

  /** Sum over one axis (the axis is removed). */
  sum(x: Value, axis: number, name = 'sum'): Value {
    return this.reduce('sum_axis', x, axis, name);
  }
  /** Mean over one axis (the axis is removed). */
  mean(x: Value, axis: number, name = 'mean'): Value {
    return this.reduce('mean_axis', x, axis, name);
  }
  private reduce(op: string, x: Value, axis: number, name: string): Value {
    const r = x.shape.length;
    const ax = axis < 0 ? axis + r : axis;
    if (!Number.isInteger(ax) || ax < 0 || ax >= r) throw new RangeError(`${op} '${name}': axis ${axis} out of range for ${x}`);
    const outer = numel(x.shape.slice(0, ax));
    const len = x.shape[ax];
    const inner = numel(x.shape.slice(ax + 1));
    // The kernel sees [outer, len, inner]; the result keeps the other axes (or [1] for a scalar).
    const v = this.reshape(x, [outer, len, inner]);
    const y = this.op(op, [v], { axis: 1 }, { name })[0];
    const keep = [...x.shape.slice(0, ax), ...x.shape.slice(ax + 1)];
    return this.reshape(y, keep.length ? keep : [1]);
  }

  // ---- structure ---------------------------------------------------------------------------

  /** Concatenation along axis 1 (channels for NCHW, features for [B, D]). */
  concat(parts: readonly Value[], name = 'concat'): Value {
    if (parts.length === 0) throw new RangeError(`concat '${name}': needs at least one input`);
    const p0 = parts[0];
    const rest = p0.shape.slice(2).join(',');
    let ct = 0;
    for (const p of parts) {
      if (p.shape.length !== p0.shape.length || p.shape[0] !== p0.shape[0] || p.shape.slice(2).join(',') !== rest)
        throw new RangeError(`concat '${name}': inputs ${parts.map((q) => q.toString()).join(', ')} differ outside axis 1`);
      ct += p.shape[1];
    }
    const whole = this.graph.newValue(name, [p0.shape[0], ct, ...p0.shape.slice(2)], 'temp');
    let c0 = 0;
    for (const p of parts) {
      this.op('concat_part', [p], { offset: c0, channels: ct }, { name: `${name}_part`, into: whole });
      c0 += p.shape[1];
    }
    if (parts.some((p) => p.requiresGrad)) whole.requiresGrad = true;
    return whole;
  }

  /** part = whole[:, c0:c0+channels] (a copy). */
  slice(whole: Value, c0: number, channels: number, name = 'split'): Value {
    const shape = [whole.shape[0], channels, ...whole.shape.slice(2)];
    const part = this.graph.newValue(name, shape, 'temp');
    this.op('split_part', [whole], { offset: c0, channels }, { name, into: part });
    if (whole.requiresGrad) part.requiresGrad = true;
    return part;
  }

  /** A view with another shape of the same elements (no copy, no node). */
  reshape(x: Value, shape: Shape, name?: string): Value {
    checkShapeArg('reshape', x.name, shape);
    if (numel(shape) !== x.size) throw new RangeError(`reshape '${name ?? x.name}': cannot view ${x} (${x.size} elements) as ${fmtShape(shape)} (${numel(shape)})`);
    const v = this.graph.view(x.buf, this.graph.uniqueName(name ?? `${x.name}_view`), shape, x.offset, x.dtype);
    v.requiresGrad = x.requiresGrad;
    aliasOf.set(v, x);
    return v;
  }

  /** [N, …] → [N, rest] */
  flatten(x: Value, name?: string): Value {
    return this.reshape(x, [x.shape[0], x.size / x.shape[0]], name);
  }

  /** The same data with no gradient flowing back (targets, EMA encoders, straight-through). */
  stopGradient(x: Value, name?: string): Value {
    const v = this.graph.view(x.buf, this.graph.uniqueName(name ?? `${x.name}_nograd`), x.shape, x.offset, x.dtype);
    v.requiresGrad = false;
    return v;
  }

  // ---- losses ------------------------------------------------------------------------------

  /**
   * loss[1] = Σ_b mask_b Σ_d (pred − target)² / denom. pred and target are flattened to
   * [B, D]; mask [B] (optional) selects rows; denom defaults to B (mean over the batch, sum over
   * dims — the PRESETS convention). For a masked loss over labelled rows only, pass the number of
   * labelled rows (or keep B and say so: λ_eff = pλ).
   */
  mseLoss(pred: Value, target: Value, opts: { mask?: Value; denom?: number; name?: string } = {}): Value {
    const name = opts.name ?? 'mse_loss';
    if (!sameShape(pred.shape, target.shape))
      throw new RangeError(`mse_loss '${name}': pred ${pred} and target ${target} must have the same shape`);
    const p = pred.shape.length === 2 ? pred : this.flatten(pred);
    const t = target.shape.length === 2 ? target : this.flatten(target);
    const denom = opts.denom ?? p.shape[0];
    if (!(denom > 0)) throw new RangeError(`mse_loss '${name}': denom must be > 0, got ${denom}`);
    return this.op('mse_loss', opts.mask ? [p, t, opts.mask] : [p, t], { denom }, { name })[0];
  }

  // ---- step outputs ------------------------------------------------------------------------

  /** Copy this value out after every step under `name` (losses, metrics). */
  output(name: string, v: Value): Value {
    if (this.graph.outputs.has(name)) throw new RangeError(`output: an output named '${name}' already exists`);
    this.graph.outputs.set(name, v);
    return v;
  }

  /** Fail the run (naming the step and the tag) when v holds NaN/Inf after it is computed. */
  checkFinite(v: Value, tag = v.name): void {
    this.graph.checks.push({ value: v, tag });
  }
}

/** reshape views remember their source, so autodiff can route gradients through them. */
export const aliasOf = new WeakMap<Value, Value>();

export interface ConvOpts {
  stride?: number | [number, number];
  padding?: number | [number, number];
  dilation?: number | [number, number];
}

function convAttrs(a: ConvOpts): Attrs {
  const r: Attrs = {};
  if (a.stride !== undefined) r.stride = a.stride;
  if (a.padding !== undefined) r.padding = a.padding;
  if (a.dilation !== undefined) r.dilation = a.dilation;
  return r;
}

function trimNulls(xs: readonly (Value | null)[]): (Value | null)[] {
  const r = [...xs];
  while (r.length && r[r.length - 1] === null) r.pop();
  return r;
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function checkShapeArg(what: string, name: string, shape: Shape): void {
  if (!Array.isArray(shape) || shape.length === 0 || shape.some((d) => typeof d !== 'number' || !Number.isInteger(d) || d < 1))
    throw new RangeError(`${what} '${name}': shape must be a non-empty list of positive integers, got ${JSON.stringify(shape)}`);
}

function checkInit(what: string, name: string, shape: Shape, init: Float32Array): void {
  if (!(init instanceof Float32Array)) throw new TypeError(`${what} '${name}': initial data must be a Float32Array, got ${Object.prototype.toString.call(init)}`);
  if (init.length !== numel(shape)) throw new RangeError(`${what} '${name}': initial data has ${init.length} floats, expected ${numel(shape)} for ${fmtShape(shape)}`);
}

export type { Node };
