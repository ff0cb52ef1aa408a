/**
 * What an .onnx file declares: its inputs and outputs (name, element type, dims with symbolic
 * dims such as 'batch' kept as strings), metadata_props and opset. `lamkit infer` checks .npy
 * inputs against this before any runtime is loaded, so a wrong file is named precisely.
 */
import { decodeModel } from './builder.js';
import { DT_NAME, toNum, type Dim } from './proto.js';
import type { onnx as OnnxNs } from 'onnx-proto';

export interface TensorInfo {
  name: string;
  /** 'float32', 'int32', 'uint8', 'int64', … */
  dtype: string;
  /** Fixed sizes as numbers, symbolic ones as their name ('?' when unnamed). */
  dims: Dim[];
}

export interface ModelInfo {
  inputs: TensorInfo[];
  outputs: TensorInfo[];
  metadata: Record<string, string>;
  opset: number;
  producer: string;
}

function tensorInfo(v: OnnxNs.IValueInfoProto): TensorInfo {
  const t = v.type?.tensorType;
  const dims: Dim[] = (t?.shape?.dim ?? []).map((d) => (d.dimParam ? d.dimParam : d.dimValue !== null && d.dimValue !== undefined ? toNum(d.dimValue) : '?'));
  return { name: v.name ?? '', dtype: DT_NAME[t?.elemType ?? 0] ?? `type${t?.elemType}`, dims };
}

/** Reads inputs (initializers excluded), outputs, metadata and opset from .onnx bytes. */
export function describeModel(bytes: Uint8Array, source = '<buffer>'): ModelInfo {
  const m = decodeModel(bytes, source);
  const g = m.graph;
  if (!g) throw new RangeError(`${source}: ONNX model has no graph`);
  const inits = new Set((g.initializer ?? []).map((t) => t.name));
  const metadata: Record<string, string> = {};
  for (const p of m.metadataProps ?? []) if (p.key) metadata[p.key] = p.value ?? '';
  const def = (m.opsetImport ?? []).find((o) => !o.domain);
  return {
    inputs: (g.input ?? []).filter((v) => !inits.has(v.name ?? '')).map(tensorInfo),
    outputs: (g.output ?? []).map(tensorInfo),
    metadata,
    opset: def ? toNum(def.version) : 0,
    producer: `${m.producerName ?? ''} ${m.producerVersion ?? ''}`.trim(),
  };
}

/** "o_t float32 [batch,6,64,64]" */
export function fmtTensorInfo(t: TensorInfo): string {
  return `${t.name} ${t.dtype} [${t.dims.join(',')}]`;
}
