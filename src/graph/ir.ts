/**
 * The graph IR: values (typed tensors living in buffers) and nodes (one kernel op each).
 *
 * Nodes are kernel-level ops (the ids of src/ops), so every node lowers to exactly one tape
 * instruction and every op has exactly one gradient rule (src/graph/autodiff.ts). The graph is
 * imperative rather than SSA in two controlled ways, both of which the tape needs to stay lean:
 *  - a value may have several *writers* (`concat_part` pieces, or a matmul accumulating `+=`
 *    into a value another node wrote first). All writers come before every reader.
 *  - values are views of *buffers*: `reshape`/`stop_gradient` make a second value on the same
 *    buffer, `bias_add` may write in place, and the optimiser packs all parameters (and their
 *    gradients) into one buffer so a single adam_update covers them.
 * The planner (src/graph/plan.ts) gives each root buffer an arena offset.
 */
import { type Attrs, type DType, type Shape, fmtShape, numel } from '../ops/contract.js';

/** Where a buffer lives: resident kinds keep their contents between runs. */
export type BufferKind =
  /** trainable parameter (resident) */
  | 'param'
  /** non-trainable resident state: optimiser moments, EMA targets, step counter */
  | 'state'
  /** constant data written once at compile time (resident) */
  | 'const'
  /** one step's input, copied in by FEED */
  | 'feed'
  /** activations, gradients, scratch: planned with liveness and reused */
  | 'temp';

/** A contiguous float32 region. A buffer may be placed inside a parent (packing). */
export class Buffer {
  parent: Buffer | null = null;
  offsetInParent = 0;
  /** Initial contents for resident buffers (length = floats); zeros when absent. */
  init: Float32Array | null = null;
  constructor(
    readonly id: number,
    readonly name: string,
    readonly floats: number,
    readonly kind: BufferKind,
    readonly dtype: DType = 'f32',
  ) {}

  /** The outermost buffer and this buffer's offset in it. */
  root(): { buf: Buffer; offset: number } {
    let b: Buffer = this;
    let off = 0;
    while (b.parent) {
      off += b.offsetInParent;
      b = b.parent;
    }
    return { buf: b, offset: off };
  }
}

/** A tensor: a shape viewed at an offset of a buffer. */
export class Value {
  /** Nodes that write this value (in graph order). */
  readonly writers: Node[] = [];
  /** Whether a gradient flows back through this value (set by the builder). */
  requiresGrad = false;
  constructor(
    readonly id: number,
    readonly name: string,
    readonly shape: Shape,
    readonly buf: Buffer,
    readonly offset = 0,
    readonly dtype: DType = 'f32',
  ) {
    if (offset + numel(shape) > buf.floats)
      throw new RangeError(`value ${name} ${fmtShape(shape)} at offset ${offset} does not fit buffer ${buf.name} (${buf.floats} floats)`);
  }
  get size(): number {
    return numel(this.shape);
  }
  get kind(): BufferKind {
    return this.buf.root().buf.kind;
  }
  toString(): string {
    return `${this.name}${fmtShape(this.shape)}`;
  }
}

/** Which part of the step a node belongs to (for reports and per-phase timing). */
export type Phase = 'forward' | 'backward' | 'update';

/** One kernel call. `inputs[i] === null` is a NULL pointer (an absent optional input). */
export interface Node {
  readonly id: number;
  readonly op: string;
  readonly name: string;
  readonly inputs: readonly (Value | null)[];
  readonly outputs: readonly Value[];
  readonly attrs: Attrs;
  /** `+=` into the outputs (ops of mode `either`). */
  readonly acc: boolean;
  readonly phase: Phase;
}

/** A graph under construction: buffers, values and nodes in execution (topological) order. */
export class Graph {
  readonly buffers: Buffer[] = [];
  readonly values: Value[] = [];
  readonly nodes: Node[] = [];
  /** Named feeds (step inputs), in feed-slot order. */
  readonly feeds = new Map<string, Value>();
  /** Named parameters (trainable), in creation order. */
  readonly params = new Map<string, Value>();
  /** Named resident state (optimiser moments, EMA targets, the step counter). */
  readonly state = new Map<string, Value>();
  /** Named per-step outputs (copied out by OUTPUT after every step). */
  readonly outputs = new Map<string, Value>();
  /** Values checked for NaN/Inf every step (CHECK_FINITE), with the tag reported. */
  readonly checks: { value: Value; tag: string }[] = [];
  private names = new Set<string>();

  /** A unique name derived from `base`. */
  uniqueName(base: string): string {
    let n = base;
    for (let i = 1; this.names.has(n); i++) n = `${base}_${i}`;
    this.names.add(n);
    return n;
  }

  newBuffer(name: string, floats: number, kind: BufferKind, dtype: DType = 'f32'): Buffer {
    const b = new Buffer(this.buffers.length, name, floats, kind, dtype);
    this.buffers.push(b);
    return b;
  }

  /** A fresh value with its own buffer. */
  newValue(name: string, shape: Shape, kind: BufferKind, dtype: DType = 'f32'): Value {
    const n = this.uniqueName(name);
    return this.view(this.newBuffer(n, numel(shape), kind, dtype), n, shape, 0, dtype);
  }

  /** A value viewing an existing buffer (reshape, stop_gradient, packing). */
  view(buf: Buffer, name: string, shape: Shape, offset = 0, dtype: DType = buf.dtype): Value {
    const v = new Value(this.values.length, name, shape, buf, offset, dtype);
    this.values.push(v);
    return v;
  }

  addNode(n: Omit<Node, 'id'>): Node {
    const node: Node = { ...n, id: this.nodes.length };
    this.nodes.push(node);
    for (const o of node.outputs) o.writers.push(node);
    return node;
  }
}
