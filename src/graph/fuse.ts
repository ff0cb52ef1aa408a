/**
 * Planning-time fusion: conv2d → bias_add (over the channel axis) → optional relu / leaky_relu
 * becomes one conv2d_bias_act instruction (src/ops/conv2d_bias_act.ts), so the bias and the
 * activation cost no extra pass over the activation (issues #8, #3).
 *
 * Where it sits: `plan()` runs it on the live node list, after autodiff (the backward was built
 * from the unfused graph, so the fused op needs no gradient rule) and before liveness and arena
 * placement (a pre-activation buffer nothing else reads then gets no arena space). The Graph
 * itself is not changed: ONNX export and reports still see conv2d, bias_add and relu.
 *
 * When it fires: the chain's intermediates must be invisible to everything else. Accesses are
 * compared as float ranges of root buffers, so views (reshape, in-place bias_add / relu) count:
 *  - the conv2d overwrites (no `+=`); the next node touching its output is a bias_add reading
 *    exactly that value with the conv's shape (so the bias runs over the channel axis); the next
 *    node touching the bias_add output, if it is a relu / leaky_relu reading exactly it, joins
 *    (if the pre-activation turns out to be visible, conv + bias still fuse, act 'none');
 *  - an intermediate that is not also the final output is read or written by no other node and
 *    is no graph output or check; one shared with the final output (in-place bias/relu) is
 *    touched by no other node between the conv and the last fused node;
 *  - x, w and b are not written between their first use and the last fused node, and the output
 *    overlaps none of them (the fused kernel reads them while it writes y).
 * The fused instruction sits where the last node of the chain was.
 */
import { CONV_ACT } from '../ops/conv2d_bias_act.js';
import { getOp } from '../ops/index.js';
import type { Graph, Node, Value } from './ir.js';

/** A float range of a root buffer. */
interface Range {
  root: object;
  lo: number;
  hi: number;
}

/** The root-buffer range a value covers. */
export function rangeOf(v: Value): Range {
  const r = v.buf.root();
  const lo = r.offset + v.offset;
  return { root: r.buf, lo, hi: lo + v.size };
}

/** Whether two values share at least one float. */
export function overlaps(a: Value, b: Value): boolean {
  return overlap(rangeOf(a), rangeOf(b));
}

function overlap(a: Range, b: Range): boolean {
  return a.root === b.root && a.lo < b.hi && b.lo < a.hi;
}

function same(a: Range, b: Range): boolean {
  return a.root === b.root && a.lo === b.lo && a.hi === b.hi;
}

/** Values a node writes: its outputs, or for in-place ops the inputs its contract mutates. */
function writes(n: Node): Value[] {
  const c = getOp(n.op);
  if (c.mode === 'inplace') return (c.mutates ?? []).map((i) => n.inputs[i]).filter((v): v is Value => !!v);
  return [...n.outputs];
}

function reads(n: Node): Value[] {
  return n.inputs.filter((v): v is Value => v !== null);
}

const ACTS: Record<string, number> = { relu: CONV_ACT.relu, leaky_relu: CONV_ACT.leaky_relu };

/** How one chain was fused (for tests and reports). */
export interface Fusion {
  conv: string;
  bias: string;
  act: string | null;
}

/**
 * The node list with every fusable conv2d → bias_add (→ relu | leaky_relu) chain replaced by
 * one conv2d_bias_act node. `nodes` is the planner's live list in order (step-increment
 * pseudo-nodes are passed through). Returns the new list and what was fused.
 */
export function fuseConvBiasAct(graph: Graph, nodes: readonly Node[], isPseudo: (n: Node) => boolean): { nodes: Node[]; fused: Fusion[] } {
  const acc = nodes.map((n) => (isPseudo(n) ? { r: reads(n), w: reads(n) } : { r: reads(n), w: writes(n) }));
  const all = acc.map((a) => [...a.r, ...a.w].map(rangeOf));
  const observed = [...graph.outputs.values(), ...graph.checks.map((c) => c.value)].map(rangeOf);
  const touches = (i: number, r: Range): boolean => all[i].some((q) => overlap(q, r));
  const writesTo = (i: number, r: Range): boolean => acc[i].w.some((v) => overlap(rangeOf(v), r));
  /** The first node after position i that touches r, or −1. */
  const nextToucher = (i: number, r: Range): number => {
    for (let k = i + 1; k < nodes.length; k++) if (touches(k, r)) return k;
    return -1;
  };

  const drop = new Set<number>();
  const replace = new Map<number, Node>();
  const fused: Fusion[] = [];
  for (let i = 0; i < nodes.length; i++) {
    const conv = nodes[i];
    if (conv.op !== 'conv2d' || conv.acc || drop.has(i)) continue;
    const y0 = conv.outputs[0];
    const r0 = rangeOf(y0);
    const j = nextToucher(i, r0);
    if (j < 0) continue;
    const bias = nodes[j];
    if (bias.op !== 'bias_add' || bias.acc || !same(rangeOf(bias.inputs[0]!), r0) || !sameShape(bias.inputs[0]!, y0)) continue;
    const y1 = bias.outputs[0];
    const r1 = rangeOf(y1);
    const ka = nextToucher(j, r1);
    const act = ka >= 0 && ACTS[nodes[ka].op] !== undefined && !nodes[ka].acc && same(rangeOf(nodes[ka].inputs[0]!), r1) ? ka : -1;
    // With the activation if it qualifies; else (or if its pre-activation has other readers) without.
    for (const k of act >= 0 ? [act, j] : [j]) {
      if (!fusable(i, j, k)) continue;
      const a = k === j ? null : nodes[k];
      const attrs = {
        ...pick(conv.attrs, ['stride', 'padding', 'dilation']),
        act: a ? ACTS[a.op] : CONV_ACT.none,
        ...(a?.op === 'leaky_relu' ? { slope: a.attrs.slope ?? 0.01 } : {}),
      };
      const [x, w] = conv.inputs as Value[];
      replace.set(k, { id: conv.id, op: 'conv2d_bias_act', name: conv.name, inputs: [x, w, bias.inputs[1]!], outputs: [nodes[k].outputs[0]], attrs, acc: false, phase: conv.phase });
      for (const q of [i, j, k]) drop.add(q);
      fused.push({ conv: conv.name, bias: bias.name, act: a?.name ?? null });
      break;
    }
  }

  /** Whether conv i → bias j (→ activation k, or k = j without one) can run as one kernel. */
  function fusable(i: number, j: number, k: number): boolean {
    const conv = nodes[i];
    const bias = nodes[j];
    const out = nodes[k].outputs[0];
    const rf = rangeOf(out);
    const chain = new Set([i, j, k]);
    const [x, w] = conv.inputs as Value[];
    const b = bias.inputs[1]!;
    // The fused kernel reads x, w, b while writing y.
    if ([x, w, b].some((v) => overlaps(v, out))) return false;
    const inner = k === j ? [conv.outputs[0]] : [conv.outputs[0], bias.outputs[0]];
    for (const r of inner.map(rangeOf)) {
      if (same(r, rf)) {
        // In place: nobody else may touch it while the chain runs.
        for (let q = i + 1; q < k; q++) if (!chain.has(q) && touches(q, r)) return false;
      } else if (overlap(r, rf)) {
        return false; // partly the output, partly not: leave it alone
      } else {
        for (let q = 0; q < nodes.length; q++) if (!chain.has(q) && touches(q, r)) return false;
        if (observed.some((o) => overlap(o, r))) return false;
      }
    }
    for (let q = i + 1; q < k; q++) {
      if (chain.has(q)) continue;
      if (writesTo(q, rangeOf(x)) || writesTo(q, rangeOf(w))) return false;
      if (q > j && writesTo(q, rangeOf(b))) return false;
    }
    return true;
  }
  const result: Node[] = [];
  nodes.forEach((n, q) => {
    const r = replace.get(q);
    if (r) result.push(r);
    else if (!drop.has(q)) result.push(n);
  });
  return { nodes: result, fused };
}

function sameShape(a: Value, b: Value): boolean {
  return a.shape.length === b.shape.length && a.shape.every((d, i) => d === b.shape[i]);
}

function pick(attrs: Node['attrs'], keys: string[]): Node['attrs'] {
  const r: Node['attrs'] = {};
  for (const k of keys) if (attrs[k] !== undefined) r[k] = attrs[k];
  return r;
}

/**
 * Whether plans fuse by default: LAMKIT_FUSE=0 turns fusion off (debugging, A/B timing),
 * 1 or unset leaves it on. Anything else is an error naming the variable.
 */
export function fuseFromEnv(): boolean {
  const v = typeof process !== 'undefined' ? process.env?.LAMKIT_FUSE : undefined;
  if (v === undefined || v === '' || v === '1') return true;
  if (v === '0') return false;
  throw new RangeError(`LAMKIT_FUSE is '${v}'; expected 0 (no conv+bias+activation fusion) or 1 (fuse, the default)`);
}
