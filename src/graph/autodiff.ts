/**
 * Reverse-mode autodiff over the kernel-level graph: one gradient rule per op, written with the
 * backward kernels (conv2d → conv2d_backward_input/_filter, conv_transpose2d → conv2d /
 * conv2d_backward_filter with swapped roles, matmul → matmul with transpose flags, bias_add →
 * bias_grad, …).
 *
 * Lean-tape rules (why the emitted backward is short):
 *  - the first contribution to a gradient overwrites (`acc=0`), later ones accumulate (`acc=1`):
 *    no fill + accumulate;
 *  - identity rules (bias_add's dx, add, sub's first input, copy, reshape) alias the upstream
 *    gradient buffer instead of copying it, when that is safe (the upstream value has a single
 *    writer, so nobody reads it after this node's rule, and the target is not a parameter whose
 *    gradient must own a buffer for the packed optimiser);
 *  - a scalar loss seed is a constant, folded into mse_grad's `scale` argument: no dloss buffer.
 * Nodes are visited in reverse graph order. All writers of a value precede all its readers, so a
 * value's gradient is complete before the rules of its writers run.
 */
import { type Attrs, numel } from '../ops/contract.js';
import { aliasOf, type GraphBuilder } from './builder.js';
import { contractOf } from './contracts.js';
import { overlaps } from './fuse.js';
import type { Node, Value } from './ir.js';

/** One term of the objective: `weight · value` where value has shape [1]. */
export interface LossTerm {
  value: Value;
  weight?: number;
}

type Grad = { kind: 'const'; c: number } | { kind: 'tensor'; v: Value };

/** Follows reshape views to the value that owns the data. */
function baseOf(v: Value): Value {
  let b = v;
  for (let a = aliasOf.get(b); a; a = aliasOf.get(b)) b = a;
  return b;
}

/**
 * Appends the backward pass of `terms` (Σ weight·loss) to the builder's graph and returns the
 * gradient value of every parameter in `wrt` (a zero-filled one for a parameter the loss does
 * not reach).
 */
export function addBackward(b: GraphBuilder, terms: Value | readonly LossTerm[], wrt: readonly Value[]): Map<Value, Value> {
  const g = b.graph;
  const list: readonly LossTerm[] = terms instanceof Object && 'shape' in terms ? [{ value: terms as Value }] : (terms as readonly LossTerm[]);
  if (list.length === 0) throw new RangeError('addBackward: no loss terms');
  const grads = new Map<Value, Grad>();
  for (const t of list) {
    if (numel(t.value.shape) !== 1) throw new RangeError(`addBackward: loss ${t.value} must have one element`);
    const w = t.weight ?? 1;
    if (!Number.isFinite(w)) throw new RangeError(`addBackward: weight of ${t.value.name} must be finite, got ${w}`);
    const base = baseOf(t.value);
    const prev = grads.get(base);
    grads.set(base, { kind: 'const', c: (prev?.kind === 'const' ? prev.c : 0) + w });
  }
  const forward = [...g.nodes];
  const ctx = new Ctx(b, grads);
  for (let i = forward.length - 1; i >= 0; i--) {
    const node = forward[i];
    if (node.phase !== 'forward') continue;
    if (!node.inputs.some((x) => x?.requiresGrad)) continue;
    const dys = node.outputs.map((o) => grads.get(baseOf(o)));
    if (dys.every((d) => d === undefined)) continue;
    const rule = RULES[node.op];
    if (!rule) throw new TypeError(`autodiff: no gradient rule for op ${node.op} (node '${node.name}')`);
    rule(node, dys[0]!, ctx);
  }
  const out = new Map<Value, Value>();
  for (const p of wrt) {
    const d = grads.get(p);
    if (d?.kind === 'tensor') out.set(p, d.v);
    else {
      // The loss does not depend on p: a zero gradient keeps the optimiser uniform.
      const z = g.newValue(`d_${p.name}`, p.shape, 'temp');
      g.addNode({ op: 'fill', name: g.uniqueName(`zero_d_${p.name}`), inputs: [], outputs: [z], attrs: { value: 0, shape: [...p.shape] }, acc: false, phase: 'backward' });
      out.set(p, z);
    }
  }
  return out;
}

class Ctx {
  constructor(
    readonly b: GraphBuilder,
    readonly grads: Map<Value, Grad>,
  ) {}

  emit(op: string, inputs: readonly (Value | null)[], attrs: Attrs, out: Value, acc: boolean, name: string): void {
    // Backward nodes skip the builder's shape inference result (we know `out`), but still
    // validate through it: a wrong rule fails here, naming the node.
    this.b.op(op, inputs, attrs, { into: out, acc, name, phase: 'backward' });
  }

  /** The upstream gradient as a tensor (a constant is materialised with one fill). */
  tensor(d: Grad, like: Value): Value {
    if (d.kind === 'tensor') return d.v;
    const g = this.b.graph;
    const v = g.newValue(`d_${like.name}`, like.shape, 'temp');
    g.addNode({ op: 'fill', name: g.uniqueName(`seed_${like.name}`), inputs: [], outputs: [v], attrs: { value: d.c, shape: [...like.shape] }, acc: false, phase: 'backward' });
    return v;
  }

  /** Adds a contribution to dx: `produce(target, acc)` writes it (acc=false on the first). */
  contribute(x: Value | null, produce: (target: Value, acc: boolean) => void): void {
    if (!x || !x.requiresGrad) return;
    const base = baseOf(x);
    const prev = this.grads.get(base);
    let target: Value;
    let acc: boolean;
    if (prev?.kind === 'tensor') {
      target = prev.v;
      acc = true;
    } else {
      if (prev?.kind === 'const') throw new RangeError(`autodiff: value ${base.name} is both a loss term and an intermediate; add the terms explicitly`);
      target = this.b.graph.newValue(`d_${base.name}`, base.shape, 'temp');
      this.grads.set(base, { kind: 'tensor', v: target });
      acc = false;
    }
    produce(x === base ? target : this.b.graph.view(target.buf, this.b.graph.uniqueName(`${target.name}_as_${x.name}`), x.shape, target.offset), acc);
  }

  /** dx += dy where dy can be shared (identity rules). */
  identity(x: Value | null, node: Node, dy: Grad, allowAlias: boolean): void {
    if (!x || !x.requiresGrad) return;
    const base = baseOf(x);
    const prev = this.grads.get(base);
    if (dy.kind === 'const' && numel(base.shape) === 1 && prev === undefined) {
      this.grads.set(base, { kind: 'const', c: dy.c });
      return;
    }
    if (dy.kind === 'const' && prev?.kind === 'const') {
      this.grads.set(base, { kind: 'const', c: prev.c + dy.c });
      return;
    }
    const single = node.outputs.every((o) => baseOf(o).writers.length <= 1 && o.writers.length <= 1);
    if (allowAlias && prev === undefined && dy.kind === 'tensor' && single && base.kind !== 'param') {
      const v = dy.v;
      this.grads.set(base, { kind: 'tensor', v: this.b.graph.view(v.buf, this.b.graph.uniqueName(`d_${base.name}`), base.shape, v.offset) });
      return;
    }
    const src = this.tensor(dy, node.outputs[0]);
    this.contribute(x, (t, acc) => this.emit('copy', [this.viewAs(src, t)], {}, t, acc, `d_${x.name}_copy`));
  }

  /** src viewed with t's shape (same element count). */
  viewAs(src: Value, t: Value): Value {
    if (src.shape.length === t.shape.length && src.shape.every((d, i) => d === t.shape[i])) return src;
    return this.b.graph.view(src.buf, this.b.graph.uniqueName(`${src.name}_as`), t.shape, src.offset);
  }

  /** Ones [rows, cols] (constant), for broadcasting through matmul. */
  ones(rows: number, cols: number, value: number): Value {
    return this.b.constant(`ones_${rows}x${cols}`, [rows, cols], new Float32Array(rows * cols).fill(value));
  }
}

type Rule = (node: Node, dy: Grad, ctx: Ctx) => void;

function conv(attrs: Attrs): Attrs {
  return { stride: attrs.stride, padding: attrs.padding, dilation: attrs.dilation };
}

const act = (bw: string, extra: (a: Attrs) => Attrs): Rule => (node, dy, ctx) => {
  const x = node.inputs[0]!;
  const d = ctx.tensor(dy, node.outputs[0]);
  ctx.contribute(x, (t, acc) => ctx.emit(bw, [x, d], extra(node.attrs), t, acc, `${node.name}_bw`));
};

/**
 * relu / leaky_relu (slope ≥ 0): the backward masks with the OUTPUT y instead of the input x
 * (y > 0 ⇔ x > 0 for these activations), so the pre-activation is dead after the forward and the
 * planner can fuse conv2d → bias_add → activation (src/graph/fuse.ts) and drop its buffer. The
 * input is kept when y may be overwritten later in the forward (a later node writes its buffer)
 * or when a negative slope breaks the sign equivalence.
 */
const maskRule = (bw: string, extra: (a: Attrs) => Attrs): Rule => (node, dy, ctx) => {
  const x = node.inputs[0]!;
  const y = node.outputs[0];
  const slope = node.op === 'leaky_relu' ? ((node.attrs.slope as number | undefined) ?? 0.01) : 0;
  const nodes = ctx.b.graph.nodes;
  const later = nodes.slice(nodes.indexOf(node) + 1).filter((n) => n.phase === 'forward');
  const written = (n: Node): readonly (Value | null)[] =>
    n.op !== 'step_increment' && contractOf(n.op).mode === 'inplace' ? (contractOf(n.op).mutates ?? []).map((i) => n.inputs[i]) : n.outputs;
  const yIntact = !later.some((n) => written(n).some((o) => o !== null && o !== undefined && overlaps(o, y)));
  const m = slope >= 0 && yIntact ? y : x;
  const d = ctx.tensor(dy, node.outputs[0]);
  ctx.contribute(x, (t, acc) => ctx.emit(bw, [m, d], extra(node.attrs), t, acc, `${node.name}_bw`));
};

/** One gradient rule per differentiable op id. */
const RULES: Record<string, Rule> = {
  matmul(node, dy, ctx) {
    const [A, B] = node.inputs as Value[];
    const ta = node.attrs.ta === true || node.attrs.ta === 1;
    const tb = node.attrs.tb === true || node.attrs.tb === 1;
    const dC = ctx.tensor(dy, node.outputs[0]);
    // C = op(A)·op(B). dA = dC·op(B)ᵀ (stored like A), dB = op(A)ᵀ·dC (stored like B).
    ctx.contribute(A, (t, acc) => {
      if (!ta) ctx.emit('matmul', [dC, B], { ta: false, tb: !tb }, t, acc, `${node.name}_dA`);
      else ctx.emit('matmul', [B, dC], { ta: tb, tb: true }, t, acc, `${node.name}_dA`);
    });
    ctx.contribute(B, (t, acc) => {
      if (!tb) ctx.emit('matmul', [A, dC], { ta: !ta, tb: false }, t, acc, `${node.name}_dB`);
      else ctx.emit('matmul', [dC, A], { ta: true, tb: ta }, t, acc, `${node.name}_dB`);
    });
  },
  conv2d(node, dy, ctx) {
    const [x, w] = node.inputs as Value[];
    const d = ctx.tensor(dy, node.outputs[0]);
    ctx.contribute(x, (t, acc) => ctx.emit('conv2d_backward_input', [d, w], { ...conv(node.attrs), inputSize: [x.shape[2], x.shape[3]] }, t, acc, `${node.name}_dx`));
    ctx.contribute(w, (t, acc) => ctx.emit('conv2d_backward_filter', [x, d], { ...conv(node.attrs), kernelSize: [w.shape[2], w.shape[3]] }, t, acc, `${node.name}_dw`));
  },
  conv_transpose2d(node, dy, ctx) {
    // y = conv2dᵀ(x, w): dx = conv2d(dy, w), dw = conv2d_backward_filter(dy as input, x as dy).
    const [x, w] = node.inputs as Value[];
    const d = ctx.tensor(dy, node.outputs[0]);
    ctx.contribute(x, (t, acc) => ctx.emit('conv2d', [d, w], conv(node.attrs), t, acc, `${node.name}_dx`));
    ctx.contribute(w, (t, acc) => ctx.emit('conv2d_backward_filter', [d, x], { ...conv(node.attrs), kernelSize: [w.shape[2], w.shape[3]] }, t, acc, `${node.name}_dw`));
  },
  bias_add(node, dy, ctx) {
    const [x, bias] = node.inputs as Value[];
    const d = ctx.tensor(dy, node.outputs[0]);
    ctx.contribute(bias, (t, acc) => ctx.emit('bias_grad', [d], {}, t, acc, `${node.name}_db`));
    ctx.identity(x, node, { kind: 'tensor', v: d }, true);
  },
  relu: maskRule('relu_backward', () => ({})),
  leaky_relu: maskRule('leaky_relu_backward', (a) => ({ slope: a.slope })),
  gelu: act('gelu_backward', () => ({})),
  l2_normalize: act('l2_normalize_backward', (a) => ({ eps: a.eps })),
  add(node, dy, ctx) {
    const [a, bb] = node.inputs as Value[];
    ctx.identity(a, node, dy, true);
    ctx.identity(bb, node, dy, false);
  },
  sub(node, dy, ctx) {
    const [a, bb] = node.inputs as Value[];
    ctx.identity(a, node, dy, true);
    if (dy.kind === 'const' && bb.requiresGrad && numel(bb.shape) === 1 && !ctx.grads.has(baseOf(bb))) {
      ctx.grads.set(baseOf(bb), { kind: 'const', c: -dy.c });
      return;
    }
    const d = ctx.tensor(dy, node.outputs[0]);
    ctx.contribute(bb, (t, acc) => ctx.emit('scale', [ctx.viewAs(d, t)], { alpha: -1 }, t, acc, `${node.name}_db`));
  },
  mul(node, dy, ctx) {
    const [a, bb] = node.inputs as Value[];
    const d = ctx.tensor(dy, node.outputs[0]);
    ctx.contribute(a, (t, acc) => ctx.emit('mul', [d, ctx.viewAs(bb, d)], {}, ctx.viewAs(t, d), acc, `${node.name}_da`));
    ctx.contribute(bb, (t, acc) => ctx.emit('mul', [d, ctx.viewAs(a, d)], {}, ctx.viewAs(t, d), acc, `${node.name}_db`));
  },
  scale(node, dy, ctx) {
    const x = node.inputs[0]!;
    const alpha = node.attrs.alpha as number;
    if (dy.kind === 'const' && numel(x.shape) === 1 && !ctx.grads.has(baseOf(x))) {
      ctx.grads.set(baseOf(x), { kind: 'const', c: alpha * dy.c });
      return;
    }
    const d = ctx.tensor(dy, node.outputs[0]);
    ctx.contribute(x, (t, acc) => ctx.emit('scale', [ctx.viewAs(d, t)], { alpha }, t, acc, `${node.name}_dx`));
  },
  sum_axis: reduceRule(false),
  mean_axis: reduceRule(true),
  concat_part(node, dy, ctx) {
    const part = node.inputs[0]!;
    const d = ctx.tensor(dy, node.outputs[0]);
    const c0 = node.attrs.offset as number;
    ctx.contribute(part, (t, acc) => ctx.emit('split_part', [d], { offset: c0, channels: part.shape[1] }, t, acc, `${node.name}_bw`));
  },
  split_part(node, dy, ctx) {
    const whole = node.inputs[0]!;
    const d = ctx.tensor(dy, node.outputs[0]);
    const c0 = node.attrs.offset as number;
    const ct = whole.shape[1];
    const base = baseOf(whole);
    if (!whole.requiresGrad) return;
    const g = ctx.b.graph;
    if (ctx.grads.get(base)?.kind === 'tensor') {
      // concat_part cannot accumulate: read the slice, add, write it back.
      const dw = (ctx.grads.get(base) as { v: Value }).v;
      const dwv = ctx.viewAs(dw, whole);
      const tmp = g.newValue(`${node.name}_tmp`, d.shape, 'temp');
      ctx.emit('split_part', [dwv], { offset: c0, channels: d.shape[1] }, tmp, false, `${node.name}_bw_read`);
      ctx.emit('add', [tmp, d], {}, tmp, false, `${node.name}_bw_add`);
      ctx.emit('concat_part', [tmp], { offset: c0, channels: ct }, dwv, false, `${node.name}_bw_write`);
    } else {
      ctx.contribute(whole, (t) => {
        g.addNode({ op: 'fill', name: g.uniqueName(`${node.name}_bw_zero`), inputs: [], outputs: [t], attrs: { value: 0, shape: [...t.shape] }, acc: false, phase: 'backward' });
        ctx.emit('concat_part', [d], { offset: c0, channels: ct }, t, false, `${node.name}_bw`);
      });
    }
  },
  mse_loss(node, dy, ctx) {
    const [pred, target, mask] = node.inputs;
    if (dy.kind !== 'const')
      throw new RangeError(`autodiff: mse_loss '${node.name}' must be a loss term (weighted sum of losses); its upstream gradient is a tensor`);
    const ins = mask ? [pred, target, mask] : [pred, target];
    const denom = node.attrs.denom;
    ctx.contribute(pred, (t, acc) => ctx.emit('mse_grad', ins, { denom, scale: dy.c }, t, acc, `${node.name}_dpred`));
    ctx.contribute(target, (t, acc) => ctx.emit('mse_grad', ins, { denom, scale: -dy.c }, t, acc, `${node.name}_dtarget`));
  },
  copy(node, dy, ctx) {
    ctx.identity(node.inputs[0], node, dy, true);
  },
  gather_rows(node, dy, ctx) {
    const [table, idx] = node.inputs as Value[];
    const d = ctx.tensor(dy, node.outputs[0]);
    const g = ctx.b.graph;
    // scatter_add_rows always accumulates: zero the gradient first if this is its first write.
    ctx.contribute(table, (t, acc) => {
      if (!acc) g.addNode({ op: 'fill', name: g.uniqueName(`${node.name}_bw_zero`), inputs: [], outputs: [t], attrs: { value: 0, shape: [...t.shape] }, acc: false, phase: 'backward' });
      ctx.emit('scatter_add_rows', [d, idx], { rows: table.shape[0] }, t, true, `${node.name}_bw`);
    });
  },
};

function reduceRule(mean: boolean): Rule {
  return (node, dy, ctx) => {
    const x = node.inputs[0]!; // [outer, len, inner]
    const [outer, len, inner] = x.shape;
    const d = ctx.tensor(dy, node.outputs[0]); // [outer, inner]
    const w = mean ? 1 / len : 1;
    // dx[o,l,i] = w·dy[o,i]: a rank-1 product with a constant ones vector (matmul accumulates).
    ctx.contribute(x, (t, acc) => {
      if (inner === 1) {
        const dyv = ctx.b.graph.view(d.buf, ctx.b.graph.uniqueName(`${d.name}_col`), [outer, 1], d.offset);
        ctx.emit('matmul', [dyv, ctx.ones(1, len, w)], {}, ctx.b.graph.view(t.buf, ctx.b.graph.uniqueName(`${t.name}_2d`), [outer, len], t.offset), acc, `${node.name}_bw`);
      } else if (outer === 1) {
        const dyv = ctx.b.graph.view(d.buf, ctx.b.graph.uniqueName(`${d.name}_row`), [1, inner], d.offset);
        ctx.emit('matmul', [ctx.ones(len, 1, w), dyv], {}, ctx.b.graph.view(t.buf, ctx.b.graph.uniqueName(`${t.name}_2d`), [len, inner], t.offset), acc, `${node.name}_bw`);
      } else {
        throw new RangeError(`autodiff: ${node.op} '${node.name}' over a middle axis of ${x} (outer ${outer}, inner ${inner}) has no gradient rule; reduce a leading or trailing axis`);
      }
    });
  };
}

/** Op ids with a gradient rule (for tests and error messages). */
export const DIFFERENTIABLE_OPS: readonly string[] = Object.keys(RULES);
