/**
 * Plan: from a graph to a tape and an arena layout.
 *
 *  1. order     — the graph's node order is already topological (values must exist before use,
 *                 all writers precede readers); `plan` verifies it and drops dead nodes.
 *     fuse      — conv2d → bias_add → relu/leaky_relu chains become one conv2d_bias_act
 *                 (src/graph/fuse.ts; off with { fuse: false } or LAMKIT_FUSE=0).
 *  2. liveness  — each temp root buffer lives from its first to its last access (read or write)
 *                 in tape order; resident buffers (params, state, consts) and the feed slot live
 *                 for ever.
 *  3. arena     — [resident | feed slot | temps]; temps are placed greedily, biggest first, at the
 *                 lowest 64-byte-aligned offset that overlaps no buffer alive at the same time.
 *  4. tape      — FEED (one copy of the whole step block), CHECK_FINITE on feeds, the nodes (each
 *                 through its contract's encode), CHECK_FINITE on checked values, OUTPUT.
 *
 * The step counter for Adam is an int32 state value bumped by STEP_INCREMENT (the optimiser
 * adds a 'step_increment' pseudo-node; see src/optim/adam.ts).
 */
import { type Shape, numel } from '../ops/contract.js';
import { SPECIAL_OPCODES } from '../ops/opcodes.js';
import { checkFiniteInstr, encodeInstruction, feedInstr, outputInstr, stepIncrementInstr } from '../ops/tape.js';
import { contractOf } from './contracts.js';
import { type Fusion, fuseConvBiasAct, fuseFromEnv } from './fuse.js';
import type { Buffer, Graph, Node, Phase, Value } from './ir.js';

/** Pseudo-op recorded in the graph for the STEP_INCREMENT tape instruction. */
export const STEP_INCREMENT_OP = 'step_increment';

/** Alignment of temp buffers, in floats (64 bytes: one cache line / one AVX-512 vector). */
const ALIGN = 16;

/** Where one named tensor lives. */
export interface Slot {
  name: string;
  shape: Shape;
  /** Float offset: in the arena (params/state), or in the step's feed/output block. */
  offset: number;
  size: number;
  dtype: 'f32' | 'i32';
}

/** What backends compile: the tape and the three sizes it was planned for. */
export interface TapeProgram {
  tape: Int32Array;
  arenaFloats: number;
  feedFloatsPerStep: number;
  outFloatsPerStep: number;
}

/** One tape instruction's origin, for per-op reports and error messages. */
export interface PlannedOp {
  op: string;
  name: string;
  phase: Phase | 'io';
  /** Word index of the instruction in the tape. */
  at: number;
  words: number;
  flops: number;
  bytes: number;
}

export interface Plan {
  program: TapeProgram;
  feeds: Slot[];
  outputs: Slot[];
  params: Slot[];
  /** Resident non-trainable state: optimiser moments, EMA targets, step counter. */
  state: Slot[];
  /** Initial contents of resident buffers (params, state, consts), by arena offset. */
  inits: { offset: number; data: Float32Array }[];
  /** Instructions in tape order. */
  ops: PlannedOp[];
  /** CHECK_FINITE tags → what they check. */
  checkTags: string[];
  /** Arena float offset of the int32 step counter, or −1. */
  stepCounter: number;
  /** conv2d → bias_add (→ activation) chains planned as one conv2d_bias_act (node names). */
  fused: Fusion[];
  memory: {
    /** Arena size in bytes (= peak: the arena is allocated once). */
    peakBytes: number;
    /** Resident bytes (params + state + consts). */
    residentBytes: number;
    /** What all buffers would take without reuse. */
    sumOfTensorsBytes: number;
    /** Bytes of the temp region after reuse. */
    tempBytes: number;
    /** Lower bound of the temp region: the most temp bytes alive at one instant. */
    tempLowerBoundBytes: number;
  };
}

export interface PlanOptions {
  /** CHECK_FINITE on every feed after FEED and on the checked values (default true). */
  checkFinite?: boolean;
  /**
   * Fuse conv2d → bias_add → relu/leaky_relu chains into conv2d_bias_act (src/graph/fuse.ts).
   * Default: on, unless the environment sets LAMKIT_FUSE=0.
   */
  fuse?: boolean;
}

/** Largest offset or size a tape word (int32) can hold. */
const INT32_MAX = 2 ** 31 - 1;

/**
 * The tape stores arena offsets and sizes as int32 words: a tensor ending past 2^31 − 1 floats
 * (or a step's feed block that large) would wrap to a negative word, so refuse the plan here,
 * naming the biggest offender.
 */
function checkInt32Layout(roots: Map<Buffer, number>, arenaFloats: number, feedFloats: number): void {
  if (arenaFloats <= INT32_MAX && feedFloats <= INT32_MAX) return;
  let worst: { b: Buffer; base: number } | null = null;
  for (const [b, base] of roots) if (base + b.floats > INT32_MAX && (!worst || b.floats > worst.b.floats)) worst = { b, base };
  const gib = (floats: number): string => `${((4 * floats) / 2 ** 30).toFixed(1)} GiB`;
  if (feedFloats > INT32_MAX)
    throw new RangeError(`plan: one step's feeds need ${feedFloats} floats (${gib(feedFloats)}), more than the tape's int32 limit of ${INT32_MAX} floats; lower the batch size`);
  const what = worst ? `tensor '${worst.b.name}' (${worst.b.floats} floats at arena offset ${worst.base})` : 'the arena';
  throw new RangeError(`plan: ${what} ends past the tape's int32 limit of ${INT32_MAX} floats (arena ${arenaFloats} floats, ${gib(arenaFloats)}); lower the batch size`);
}

/**
 * Lays out `graph` and emits its tape. Throws when a node reads a value nothing wrote, a value
 * is read before it is written, or an op's contract rejects the shapes (naming the node).
 */
export function plan(graph: Graph, opts: PlanOptions = {}): Plan {
  const checkFinite = opts.checkFinite ?? true;
  const live = liveNodes(graph);
  const fusion = (opts.fuse ?? fuseFromEnv()) ? fuseConvBiasAct(graph, live, (n) => n.op === STEP_INCREMENT_OP) : { nodes: live, fused: [] };
  const nodes = fusion.nodes;
  verifyOrder(graph, nodes);

  // ---- arena layout: resident, then feed slot, then temps ------------------------------------
  const roots = new Map<Buffer, number>(); // root buffer → arena offset
  let top = 0;
  const place = (b: Buffer): void => {
    if (roots.has(b)) return;
    roots.set(b, top);
    top = align(top + b.floats);
  };
  const allRoots = uniq(graph.buffers.map((b) => b.root().buf));
  const resident = allRoots.filter((b) => b.kind === 'param' || b.kind === 'state' || b.kind === 'const');
  // params first, contiguous, in creation order (the optimiser may already have packed them)
  for (const k of ['param', 'state', 'const'] as const) for (const b of resident) if (b.kind === k) place(b);
  const residentFloats = top;
  const feedStart = top;
  const feeds: Slot[] = [];
  let feedFloats = 0;
  // Feeds sit back to back so one FEED copies the whole step block.
  for (const [name, v] of graph.feeds) {
    const r = v.buf.root();
    if (r.buf !== v.buf || v.offset !== 0) throw new RangeError(`plan: feed ${name} must own its buffer`);
    roots.set(v.buf, feedStart + feedFloats);
    feeds.push({ name, shape: v.shape, offset: feedFloats, size: v.size, dtype: v.dtype });
    feedFloats += v.buf.floats;
  }
  top = align(feedStart + feedFloats);
  const tempStart = top;

  // liveness of temp roots over node positions (OUTPUT reads happen after the last node)
  const first = new Map<Buffer, number>();
  const last = new Map<Buffer, number>();
  const touch = (v: Value | null, i: number): void => {
    if (!v) return;
    const b = v.buf.root().buf;
    if (b.kind !== 'temp') return;
    if (!first.has(b)) first.set(b, i);
    last.set(b, Math.max(last.get(b) ?? i, i));
  };
  nodes.forEach((n, i) => {
    for (const v of n.inputs) touch(v, i);
    for (const v of n.outputs) touch(v, i);
  });
  const end = nodes.length;
  for (const v of graph.outputs.values()) touch(v, end);
  for (const c of graph.checks) touch(c.value, end);
  // Greedy interval placement; two orders (biggest first, earliest first), keep the smaller.
  const place2 = (order: Buffer[]): { at: Map<Buffer, number>; top: number } => {
    const placed: { lo: number; hi: number; s: number; e: number }[] = [];
    const at = new Map<Buffer, number>();
    let top = 0;
    for (const b of order) {
      const s = first.get(b)!;
      const e = last.get(b)!;
      const clash = placed.filter((p) => p.s <= e && s <= p.e).sort((x, y) => x.lo - y.lo);
      let lo = 0;
      for (const p of clash) {
        if (lo + b.floats <= p.lo) break;
        lo = Math.max(lo, align(p.hi));
      }
      placed.push({ lo, hi: lo + b.floats, s, e });
      at.set(b, lo);
      top = Math.max(top, align(lo + b.floats));
    }
    return { at, top };
  };
  const keys = [...first.keys()];
  const bySize = place2([...keys].sort((a, b) => b.floats - a.floats || first.get(a)! - first.get(b)!));
  const byStart = place2([...keys].sort((a, b) => first.get(a)! - first.get(b)! || b.floats - a.floats));
  const best = byStart.top < bySize.top ? byStart : bySize;
  for (const [b, lo] of best.at) roots.set(b, tempStart + lo);
  const tempTop = best.top;
  // Lower bound for any placement: the most floats alive at one instant.
  let liveMax = 0;
  for (let i = 0; i <= nodes.length; i++) {
    let sum = 0;
    for (const b of keys) if (first.get(b)! <= i && i <= last.get(b)!) sum += b.floats;
    liveMax = Math.max(liveMax, sum);
  }
  const arenaFloats = Math.max(1, tempStart + tempTop);
  checkInt32Layout(roots, arenaFloats, feedFloats);
  const off = (v: Value): number => {
    const r = v.buf.root();
    const base = roots.get(r.buf);
    if (base === undefined) throw new RangeError(`plan: value ${v} is never written or read by a live node and has no slot`);
    return base + r.offset + v.offset;
  };

  // ---- tape ----------------------------------------------------------------------------------
  const words: number[] = [];
  const ops: PlannedOp[] = [];
  const checkTags: string[] = [];
  const emit = (w: number[], op: string, name: string, phase: PlannedOp['phase'], flops = 0, bytes = 0): void => {
    ops.push({ op, name, phase, at: words.length, words: w.length, flops, bytes });
    for (const x of w) words.push(x);
  };
  if (feedFloats > 0) emit(feedInstr(feedStart, 0, feedFloats), 'FEED', 'feed', 'io', 0, 8 * feedFloats);
  if (checkFinite)
    for (const f of feeds) {
      checkTags.push(`feed '${f.name}'`);
      emit(checkFiniteInstr(feedStart + f.offset, f.size, checkTags.length - 1), 'CHECK_FINITE', `check_${f.name}`, 'io', f.size, 4 * f.size);
    }
  let stepCounter = -1;
  const lastForward = nodes.reduce((k, n, i) => (n.phase === 'forward' ? i : k), -1);
  const emitChecks = (): void => {
    if (!checkFinite) return;
    for (const c of graph.checks) {
      checkTags.push(c.tag);
      emit(checkFiniteInstr(off(c.value), c.value.size, checkTags.length - 1), 'CHECK_FINITE', `check_${c.tag}`, 'io', c.value.size, 4 * c.value.size);
    }
  };
  if (lastForward < 0) emitChecks();
  nodes.forEach((n, i) => {
    if (n.op === STEP_INCREMENT_OP) {
      stepCounter = off(n.inputs[0]!);
      emit(stepIncrementInstr(stepCounter), 'STEP_INCREMENT', n.name, n.phase);
    } else {
      const c = contractOf(n.op);
      const ins = n.inputs.filter((v): v is Value => v !== null);
      const shapes = ins.map((v) => v.shape);
      let operands;
      try {
        operands = c.encode(shapes, n.attrs, n.acc);
      } catch (e) {
        throw new RangeError(`plan: node '${n.name}' (op ${n.op}, inputs ${ins.map(String).join(', ')}): ${(e as Error).message}`);
      }
      for (const o of operands)
        if (o.kind === 'int' && !(o.value >= -INT32_MAX - 1 && o.value <= INT32_MAX))
          throw new RangeError(`plan: node '${n.name}' (op ${n.op}, inputs ${ins.map(String).join(', ')}): operand ${o.value} does not fit the tape's int32 words (limit ${INT32_MAX}); lower the batch size`);
      if (n.acc && c.mode !== 'either' && c.mode !== 'accumulate')
        throw new RangeError(`plan: node '${n.name}' asks for += but op ${n.op} cannot accumulate`);
      const w = encodeInstruction(c.opcode, operands, ins.map(off), n.outputs.map(off));
      emit(w, n.op, n.name, n.phase, c.flops(shapes, n.attrs), c.bytes(shapes, n.attrs));
    }
    if (i === lastForward) emitChecks();
  });
  const outputs: Slot[] = [];
  let outFloats = 0;
  for (const [name, v] of graph.outputs) {
    outputs.push({ name, shape: v.shape, offset: outFloats, size: v.size, dtype: v.dtype });
    emit(outputInstr(off(v), outFloats, v.size), 'OUTPUT', `out_${name}`, 'io', 0, 8 * v.size);
    outFloats += v.size;
  }
  if (outFloats > INT32_MAX) throw new RangeError(`plan: one step's outputs need ${outFloats} floats, more than the tape's int32 limit of ${INT32_MAX}; lower the batch size`);

  const slotOf = (name: string, v: Value): Slot => ({ name, shape: v.shape, offset: off(v), size: v.size, dtype: v.dtype });
  const inits: { offset: number; data: Float32Array }[] = [];
  for (const b of graph.buffers) {
    if (!b.init) continue;
    const r = b.root();
    const base = roots.get(r.buf);
    if (base !== undefined) inits.push({ offset: base + r.offset, data: b.init });
  }
  const sumFloats = graph.buffers.filter((b) => !b.parent).reduce((s, b) => s + b.floats, 0);
  return {
    program: { tape: Int32Array.from(words), arenaFloats, feedFloatsPerStep: feedFloats, outFloatsPerStep: outFloats },
    feeds,
    outputs,
    params: [...graph.params].filter(([, v]) => roots.has(v.buf.root().buf)).map(([n, v]) => slotOf(n, v)),
    state: [...graph.state].filter(([, v]) => roots.has(v.buf.root().buf)).map(([n, v]) => slotOf(n, v)),
    inits,
    ops,
    checkTags,
    stepCounter,
    fused: fusion.fused,
    memory: {
      peakBytes: 4 * arenaFloats,
      residentBytes: 4 * residentFloats,
      sumOfTensorsBytes: 4 * sumFloats,
      tempBytes: 4 * tempTop,
      tempLowerBoundBytes: 4 * liveMax,
    },
  };
}

/**
 * Nodes that contribute to something observable: resident updates (optimisers, state writes),
 * step outputs and checks. Walks backwards at buffer granularity (conservative: a write to a
 * buffer keeps every earlier writer of that buffer alive).
 */
function liveNodes(graph: Graph): Node[] {
  const needed = new Set<Buffer>();
  for (const v of graph.outputs.values()) needed.add(v.buf.root().buf);
  for (const c of graph.checks) needed.add(c.value.buf.root().buf);
  const keep: boolean[] = new Array(graph.nodes.length).fill(false);
  for (let i = graph.nodes.length - 1; i >= 0; i--) {
    const n = graph.nodes[i];
    const writes = writtenValues(n).map((v) => v.buf.root().buf);
    const live =
      n.op === STEP_INCREMENT_OP || writes.some((b) => needed.has(b) || b.kind === 'param' || b.kind === 'state');
    if (!live) continue;
    keep[i] = true;
    for (const v of n.inputs) if (v) needed.add(v.buf.root().buf);
  }
  return graph.nodes.filter((_, i) => keep[i]);
}

/** Values a node writes: its outputs, or for in-place ops the inputs its contract mutates. */
function writtenValues(n: Node): Value[] {
  if (n.op === STEP_INCREMENT_OP) return [n.inputs[0]!];
  const c = contractOf(n.op);
  if (c.mode === 'inplace') return (c.mutates ?? []).map((i) => n.inputs[i]).filter((v): v is Value => !!v);
  return [...n.outputs];
}

/** Every value a live node reads is a feed, resident, or written by an earlier live node. */
function verifyOrder(graph: Graph, nodes: readonly Node[]): void {
  const written = new Set<Buffer>();
  for (const n of nodes) {
    for (const v of n.inputs) {
      if (!v) continue;
      const b = v.buf.root().buf;
      if (b.kind !== 'temp') continue;
      if (!written.has(b)) throw new RangeError(`plan: node '${n.name}' (op ${n.op}) reads ${v} before anything writes it`);
    }
    for (const v of writtenValues(n)) written.add(v.buf.root().buf);
  }
  for (const [name, v] of graph.outputs) {
    const b = v.buf.root().buf;
    if (b.kind === 'temp' && !written.has(b)) throw new RangeError(`plan: output '${name}' (${v}) is never written`);
  }
}

function align(n: number): number {
  return Math.ceil(n / ALIGN) * ALIGN;
}

function uniq<T>(xs: T[]): T[] {
  return [...new Set(xs)];
}

/** A one-line memory summary (peak vs the sum of all tensors). */
export function memorySummary(p: Plan): string {
  const mb = (b: number) => `${(b / 2 ** 20).toFixed(2)} MiB`;
  const m = p.memory;
  return `arena ${mb(m.peakBytes)} (resident ${mb(m.residentBytes)}, temps ${mb(m.tempBytes)}; live-set bound ${mb(m.tempLowerBoundBytes)}) vs ${mb(m.sumOfTensorsBytes)} for all tensors without reuse (${(m.sumOfTensorsBytes / Math.max(1, m.peakBytes)).toFixed(2)}×)`;
}

export { SPECIAL_OPCODES, numel };
