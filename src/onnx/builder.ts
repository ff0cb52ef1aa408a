/**
 * A small ONNX graph builder: unique value names, nodes, initializers, graph inputs/outputs,
 * and the final ModelProto with opset, producer and metadata. The exporter (export.ts) drives
 * it from a lamkit Graph; tests use it directly for hand-built models.
 */
import { onnx, ONNX_IR_VERSION, ONNX_OPSET, attrProto, tensorProto, valueInfo, type AttrValue, type Dim } from './proto.js';
import type { onnx as OnnxNs } from 'onnx-proto';
import { LAMKIT_VERSION } from '../version.js';

/** Attributes of one node: plain values, or prebuilt AttributeProtos (for FLOATs). */
export type NodeAttrs = Record<string, AttrValue | OnnxNs.IAttributeProto | undefined>;

function isAttrProto(v: unknown): v is OnnxNs.IAttributeProto {
  return typeof v === 'object' && v !== null && 'name' in v && 'type' in v;
}

export class OnnxBuilder {
  private readonly nodes: OnnxNs.INodeProto[] = [];
  private readonly inits: OnnxNs.ITensorProto[] = [];
  private readonly inputs: OnnxNs.IValueInfoProto[] = [];
  private readonly outputs: OnnxNs.IValueInfoProto[] = [];
  private readonly used = new Set<string>();
  private readonly counters = new Map<string, number>();
  private readonly scalars = new Map<string, string>();
  private readonly reserved = new Set<string>();

  constructor(readonly graphName = 'lamkit') {}

  /** A value name not used yet, derived from `base` (`base`, `base_1`, …). */
  fresh(base: string): string {
    const clean = base.replace(/[^A-Za-z0-9_.:/-]/g, '_') || 'v';
    let name = clean;
    let k = this.counters.get(clean) ?? 0;
    while (this.used.has(name)) name = `${clean}_${++k}`;
    this.counters.set(clean, k);
    this.used.add(name);
    return name;
  }

  /** Declares a graph input; returns its (unique) name. */
  input(name: string, elemType: number, dims: readonly Dim[], doc?: string): string {
    if (this.used.has(name)) throw new RangeError(`OnnxBuilder: input name '${name}' is already used`);
    this.used.add(name);
    this.inputs.push(valueInfo(name, elemType, dims, doc));
    return name;
  }

  /** Keeps `name` free for a later {@link output} (so no intermediate value takes it). */
  reserve(name: string): void {
    if (this.used.has(name)) throw new RangeError(`OnnxBuilder: name '${name}' is already used`);
    this.used.add(name);
    this.reserved.add(name);
  }

  /** Declares `value` as a graph output named `name` (an Identity is added when they differ). */
  output(value: string, name: string, elemType: number, dims: readonly Dim[], doc?: string): string {
    if (value !== name) {
      if (this.used.has(name) && !this.reserved.has(name)) throw new RangeError(`OnnxBuilder: output name '${name}' is already used`);
      this.reserved.delete(name);
      this.used.add(name);
      this.nodes.push({ opType: 'Identity', input: [value], output: [name], name: `${name}_out` });
    }
    this.outputs.push(valueInfo(name, elemType, dims, doc));
    return name;
  }

  /** Adds an initializer (a parameter or constant); returns its unique name. */
  initializer(base: string, data: Float32Array | Int32Array | BigInt64Array | Uint8Array, dims: readonly number[]): string {
    const name = this.fresh(base);
    this.inits.push(tensorProto(name, data, dims));
    return name;
  }

  /** An int64 1-D constant (Reshape shapes, ReduceSum axes). */
  int64s(base: string, values: readonly number[]): string {
    return this.initializer(base, BigInt64Array.from(values.map((v) => BigInt(v))), [values.length]);
  }

  /** A float32 scalar constant (one initializer per distinct value). */
  scalar(base: string, value: number): string {
    const key = `${Math.fround(value)}`;
    let name = this.scalars.get(key);
    if (name === undefined) {
      name = this.initializer(base, new Float32Array([value]), []);
      this.scalars.set(key, name);
    }
    return name;
  }

  /** The node that outputs `name`, if a node does (for folding a bias into its producer). */
  producer(name: string): OnnxNs.INodeProto | undefined {
    for (let i = this.nodes.length - 1; i >= 0; i--) if (this.nodes[i].output?.includes(name)) return this.nodes[i];
    return undefined;
  }

  /** Whether a node already reads `name`. */
  isConsumed(name: string): boolean {
    return this.nodes.some((n) => n.input?.includes(name));
  }

  /** Whether `name` is an initializer. */
  hasInitializer(name: string): boolean {
    return this.inits.some((t) => t.name === name);
  }

  /**
   * Adds one node; returns its output names (fresh names from `outBase`, or the given names).
   */
  node(opType: string, inputs: readonly string[], attrs: NodeAttrs = {}, outs: string | readonly string[] = opType.toLowerCase()): string[] {
    const outputs = typeof outs === 'string' ? [this.fresh(outs)] : outs.map((o) => this.fresh(o));
    const attribute: OnnxNs.IAttributeProto[] = [];
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined) continue;
      attribute.push(isAttrProto(v) ? { ...v, name: k } : attrProto(k, v as AttrValue));
    }
    this.nodes.push({ opType, input: [...inputs], output: outputs, name: this.fresh(`${opType}_node`), attribute });
    return outputs;
  }

  /** Shorthand for a single-output node. */
  op(opType: string, inputs: readonly string[], attrs: NodeAttrs = {}, outBase?: string): string {
    return this.node(opType, inputs, attrs, outBase ?? opType.toLowerCase())[0];
  }

  /** Number of nodes so far (tests). */
  get nodeCount(): number {
    return this.nodes.length;
  }

  /**
   * The ModelProto: IR {@link ONNX_IR_VERSION}, default-domain opset {@link ONNX_OPSET},
   * producer lamkit {@link LAMKIT_VERSION}, and `metadata` as metadata_props.
   */
  model(metadata: Record<string, string> = {}, docString = ''): OnnxNs.ModelProto {
    return onnx.ModelProto.create({
      irVersion: ONNX_IR_VERSION,
      producerName: 'lamkit',
      producerVersion: LAMKIT_VERSION,
      docString,
      opsetImport: [{ domain: '', version: ONNX_OPSET }],
      graph: {
        name: this.graphName,
        node: this.nodes,
        initializer: this.inits,
        input: this.inputs,
        output: this.outputs,
      },
      metadataProps: Object.entries(metadata).map(([key, value]) => ({ key, value })),
    });
  }
}

/** Serialises a ModelProto to the bytes of a .onnx file. */
export function encodeModel(model: OnnxNs.IModelProto): Uint8Array {
  return onnx.ModelProto.encode(model).finish();
}

/** Parses .onnx bytes; `source` names the file in the error. */
export function decodeModel(bytes: Uint8Array, source = '<buffer>'): OnnxNs.ModelProto {
  try {
    return onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new RangeError(`${source}: not a valid ONNX model (${(e as Error).message})`);
  }
}
