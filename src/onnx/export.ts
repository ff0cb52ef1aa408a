/**
 * Graph → ONNX ModelProto. The exporter walks the *same* lamkit Graph the trainer compiles: it
 * slices the forward nodes the requested outputs depend on and lowers each one (lower.ts), so
 * an exported IDM/FDM cannot drift from the trained model.
 *
 * lamkit's IR is not SSA (see src/graph/ir.ts): values are views of buffers, reshape is a view
 * with no node, bias_add may write in place, a concat is several `concat_part` writes into one
 * buffer and a matmul may accumulate (`+=`) into a value another node wrote. The exporter
 * therefore simulates the buffers: for every (root buffer, offset) it tracks which ONNX value
 * holds the current contents, and a read through a view of another shape becomes a Reshape.
 *
 * Batch: dimension 0 of every feed is exported as the symbolic dimension `batch`, and every
 * value computed from a feed keeps it dynamic (reshapes use -1 there), so one file serves any
 * batch size.
 */
import type { Graph, Node, Value } from '../graph/ir.js';
import { fmtShape, numel, type Shape } from '../ops/contract.js';
import type { onnx as OnnxNs } from 'onnx-proto';
import { OnnxBuilder, encodeModel } from './builder.js';
import { EXPORTABLE_OPS, LOWERINGS, encodedArgs, type LowerCtx } from './lower.js';
import { DT, ONNX_OPSET, type Dim } from './proto.js';
import { LAMKIT_VERSION } from '../version.js';

export interface ExportOptions {
  /** ONNX outputs: name → the graph value it holds. */
  outputs: Record<string, Value>;
  /**
   * ONNX inputs: feed names in order. Default: the feeds the outputs depend on, in feed order.
   * Listing a feed the outputs do not use is an error (the runtime would demand it anyway).
   */
  inputs?: readonly string[];
  /**
   * Parameter/state data by name (e.g. trained parameters from a run). Values not given use the
   * buffer's initial contents (`Buffer.init`, zeros when absent).
   */
  params?: ReadonlyMap<string, Float32Array> | Readonly<Record<string, Float32Array>>;
  /** metadata_props; `lamkit_version` and `opset` are always added. */
  metadata?: Record<string, string>;
  /** Graph name inside the model (default 'lamkit'). */
  graphName?: string;
  docString?: string;
  /** Name of the dynamic batch dimension (default 'batch'); `false` keeps every shape fixed. */
  batchDim?: string | false;
}

export interface ExportResult {
  model: OnnxNs.ModelProto;
  /** The serialised .onnx file. */
  bytes: Uint8Array;
  /** lamkit nodes exported, in order. */
  nodes: readonly Node[];
  inputs: { name: string; dims: Dim[]; dtype: 'float32' | 'int32' }[];
  outputs: { name: string; dims: Dim[]; dtype: 'float32' | 'int32' }[];
}

type Slot =
  | { kind: 'value'; name: string; shape: Shape; batched: boolean }
  | { kind: 'parts'; parts: { name: string; offset: number; channels: number }[]; shape: Shape; batched: boolean };

function keyOf(v: Value): string {
  const r = v.buf.root();
  return `${r.buf.id}:${r.offset + v.offset}`;
}

function rootOffset(v: Value): number {
  return v.buf.root().offset + v.offset;
}

/**
 * Exports the forward slice of `graph` that computes `opts.outputs` from its feeds as an ONNX
 * model (opset {@link ONNX_OPSET}). Throws a TypeError naming the node for an op without an ONNX
 * lowering, a RangeError for parameter data of the wrong size or a view the exporter cannot
 * express.
 */
export function exportGraph(graph: Graph, opts: ExportOptions): ExportResult {
  const outEntries = Object.entries(opts.outputs);
  if (outEntries.length === 0) throw new RangeError('exportGraph: outputs must name at least one value');
  for (const [name, v] of outEntries)
    if (!graph.values.includes(v)) throw new TypeError(`exportGraph: output '${name}' (${String(v)}) is not a value of this graph`);
  const batchDim = opts.batchDim === undefined ? 'batch' : opts.batchDim;
  const params = opts.params instanceof Map ? opts.params : new Map(Object.entries(opts.params ?? {}));

  // ---- slice: forward nodes up to the last writer of an output, kept if they feed one -----
  const forward = graph.nodes.filter((n) => n.phase === 'forward');
  const outBufs = new Set(outEntries.map(([, v]) => v.buf.root().buf));
  let last = -1;
  forward.forEach((n, i) => {
    if (n.outputs.some((o) => outBufs.has(o.buf.root().buf))) last = i;
  });
  const needed = new Set(outBufs);
  const keep: Node[] = [];
  for (let i = last; i >= 0; i--) {
    const n = forward[i];
    if (!n.outputs.some((o) => needed.has(o.buf.root().buf))) continue;
    keep.push(n);
    for (const v of n.inputs) if (v) needed.add(v.buf.root().buf);
  }
  keep.reverse();
  for (const n of keep)
    if (!(n.op in LOWERINGS))
      throw new TypeError(`onnx export: node '${n.name}' uses op '${n.op}', which has no ONNX lowering (exportable ops: ${EXPORTABLE_OPS.join(', ')})`);

  // ---- inputs --------------------------------------------------------------------------------
  const usedFeeds = [...graph.feeds].filter(([, v]) => needed.has(v.buf.root().buf));
  let inputNames: string[];
  if (opts.inputs) {
    inputNames = [...opts.inputs];
    for (const name of inputNames) {
      const v = graph.feeds.get(name);
      if (!v) throw new RangeError(`exportGraph: input '${name}' is not a feed of the graph (feeds: ${[...graph.feeds.keys()].join(', ')})`);
      if (!needed.has(v.buf.root().buf)) throw new RangeError(`exportGraph: input '${name}' is not used by the outputs ${outEntries.map(([k]) => k).join(', ')}`);
    }
    for (const [name] of usedFeeds)
      if (!inputNames.includes(name)) throw new RangeError(`exportGraph: the outputs depend on feed '${name}', which is not among inputs [${inputNames.join(', ')}]`);
  } else {
    inputNames = usedFeeds.map(([name]) => name);
  }

  const b = new OnnxBuilder(opts.graphName ?? 'lamkit');
  const batchOf = (shape: Shape): Dim[] => (batchDim ? [batchDim, ...shape.slice(1)] : [...shape]);
  const dtypeOf = (v: Value) => (v.dtype === 'i32' ? DT.INT32 : DT.FLOAT);
  const inputsOut: ExportResult['inputs'] = [];
  const feedSlots = new Map<string, Slot>(); // root buffer key → feed slot
  for (const name of inputNames) {
    const v = graph.feeds.get(name)!;
    const dims = batchOf(v.shape);
    b.input(name, dtypeOf(v), dims);
    inputsOut.push({ name, dims, dtype: v.dtype === 'i32' ? 'int32' : 'float32' });
    feedSlots.set(keyOf(v), { kind: 'value', name, shape: v.shape, batched: batchDim !== false });
  }
  for (const [name] of outEntries) b.reserve(name);

  // ---- constants: parameters, state, const buffers ----------------------------------------
  const residents: { name: string; value: Value }[] = [];
  for (const [name, v] of [...graph.params, ...graph.state]) residents.push({ name, value: v });
  for (const v of graph.values) if (v.kind === 'const' && v.buf.init) residents.push({ name: v.name, value: v });
  const constCache = new Map<Value, string>();
  const initData = new Map<string, { data: Float32Array; dims: number[] }>();
  const resolveConst = (v: Value): string => {
    const hit = constCache.get(v);
    if (hit) return hit;
    const root = v.buf.root().buf;
    const off = rootOffset(v);
    const owner = residents.find((r) => r.value.buf.root().buf === root && rootOffset(r.value) <= off && off + v.size <= rootOffset(r.value) + r.value.size);
    if (!owner) throw new RangeError(`onnx export: ${v} lives in ${root.kind} buffer '${root.name}' but belongs to no named parameter or state value`);
    let data = params.get(owner.name);
    if (data !== undefined) {
      if (!(data instanceof Float32Array)) throw new TypeError(`exportGraph: params['${owner.name}'] must be a Float32Array, got ${Object.prototype.toString.call(data)}`);
      if (data.length !== owner.value.size)
        throw new RangeError(`exportGraph: params['${owner.name}'] has ${data.length} floats, expected ${owner.value.size} for ${fmtShape(owner.value.shape)}`);
    } else {
      data = owner.value.buf.init ?? new Float32Array(owner.value.size);
    }
    const start = off - rootOffset(owner.value);
    const slice = data.subarray(start, start + v.size);
    if (v.dtype === 'i32') throw new TypeError(`onnx export: int32 resident value ${v} is not supported`);
    const name = b.initializer(v === owner.value ? owner.name : v.name, slice, [...v.shape]);
    initData.set(name, { data: slice, dims: [...v.shape] });
    constCache.set(v, name);
    return name;
  };

  // ---- buffer simulation ------------------------------------------------------------------
  const slots = new Map<string, Slot>();
  let nodeBatched = false;
  const reshapeCache = new Map<string, string>();

  const materialize = (key: string, s: Slot, v: Value): { name: string; shape: Shape; batched: boolean } => {
    if (s.kind === 'value') return s;
    const parts = [...s.parts].sort((x, y) => x.offset - y.offset);
    let c = 0;
    for (const p of parts) {
      if (p.offset !== c) throw new RangeError(`onnx export: concat destination ${v} is read with channels [${c}, ${p.offset}) never written`);
      c += p.channels;
    }
    if (c !== s.shape[1]) throw new RangeError(`onnx export: concat destination ${v} is read with channels [${c}, ${s.shape[1]}) never written`);
    const name = parts.length === 1 ? parts[0].name : b.op('Concat', parts.map((p) => p.name), { axis: 1 }, `${v.name}`);
    const slot: Slot = { kind: 'value', name, shape: s.shape, batched: s.batched };
    slots.set(key, slot);
    return slot;
  };

  const read = (v: Value): string => {
    const kind = v.kind;
    if (kind === 'param' || kind === 'state' || kind === 'const') return resolveConst(v);
    const key = keyOf(v);
    const raw = kind === 'feed' ? feedSlots.get(key) : slots.get(key);
    if (!raw) {
      if (kind === 'feed') throw new RangeError(`onnx export: feed value ${v} is used but its feed is not an input`);
      throw new RangeError(`onnx export: ${v} is read before any exported node writes it`);
    }
    const s = materialize(key, raw, v);
    if (s.shape.length === v.shape.length && s.shape.every((d, i) => d === v.shape[i])) return s.name;
    if (numel(s.shape) !== v.size)
      throw new RangeError(`onnx export: ${v} views ${v.size} of the ${numel(s.shape)} elements of '${s.name}' ${fmtShape(s.shape)}; partial views are not exportable`);
    let target: number[];
    if (s.batched && batchDim !== false) {
      if (s.shape[0] !== v.shape[0])
        throw new RangeError(`onnx export: ${v} reshapes ${fmtShape(s.shape)} → ${fmtShape(v.shape)} across the batch dimension; a dynamic batch needs dim 0 kept (export with batchDim: false)`);
      target = [-1, ...v.shape.slice(1)];
    } else {
      target = [...v.shape];
    }
    const ck = `${s.name}|${target.join(',')}`;
    let r = reshapeCache.get(ck);
    if (!r) {
      r = b.op('Reshape', [s.name, b.int64s(`${v.name}_shape`, target)], {}, v.name);
      reshapeCache.set(ck, r);
    }
    return r;
  };

  const batchedValue = (v: Value): boolean => {
    if (batchDim === false) return false;
    if (v.kind === 'feed') return true;
    if (v.kind !== 'temp') return false;
    return slots.get(keyOf(v))?.batched ?? false;
  };

  const ctx: LowerCtx = {
    b,
    read,
    write(v, name, acc = false) {
      const key = keyOf(v);
      if (acc) {
        if (!slots.has(key)) throw new RangeError(`onnx export: ${v} is accumulated into (+=) before any exported node writes it`);
        name = b.op('Add', [read(v), name], {}, `${v.name}_acc`);
      }
      slots.set(key, { kind: 'value', name, shape: v.shape, batched: nodeBatched });
    },
    writePart(whole, name, offset, channels) {
      const key = keyOf(whole);
      let s = slots.get(key);
      if (!s || s.kind !== 'parts') {
        s = { kind: 'parts', parts: [], shape: whole.shape, batched: nodeBatched };
        slots.set(key, s);
      }
      s.parts = s.parts.filter((p) => p.offset + p.channels <= offset || p.offset >= offset + channels);
      s.parts.push({ name, offset, channels });
      s.batched ||= nodeBatched;
    },
    isInitializer: (name) => b.hasInitializer(name),
    initializerData: (name) => initData.get(name) ?? null,
  };

  for (const n of keep) {
    nodeBatched = n.inputs.some((v) => v !== null && batchedValue(v));
    LOWERINGS[n.op](ctx, n, encodedArgs(n));
  }

  // ---- outputs ------------------------------------------------------------------------------
  const outputsOut: ExportResult['outputs'] = [];
  for (const [name, v] of outEntries) {
    const batched = batchedValue(v);
    const src = read(v);
    const dims = batched ? batchOf(v.shape) : [...v.shape];
    b.output(src, name, dtypeOf(v), dims);
    outputsOut.push({ name, dims, dtype: v.dtype === 'i32' ? 'int32' : 'float32' });
  }

  const model = b.model({ lamkit_version: LAMKIT_VERSION, opset: String(ONNX_OPSET), ...(opts.metadata ?? {}) }, opts.docString ?? '');
  return { model, bytes: encodeModel(model), nodes: keep, inputs: inputsOut, outputs: outputsOut };
}
