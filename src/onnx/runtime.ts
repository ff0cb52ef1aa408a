/**
 * One small interface over onnxruntime-node (native CPU) and onnxruntime-web (WASM, here run
 * in Node): open a session from .onnx bytes, run it on named typed arrays. Each runtime is
 * imported lazily by its own file, so a missing or broken runtime is a clear error when it is
 * asked for, never a crash when lamkit starts.
 */

/** Which onnxruntime package runs the model. */
export type OnnxRuntimeKind = 'node' | 'web';

/** The runtimes lamkit knows, in the order `infer` prefers them. */
export const ONNX_RUNTIMES: readonly OnnxRuntimeKind[] = ['node', 'web'];

/** A tensor handed to or returned by a session. int64 outputs come back as BigInt64Array. */
export interface OnnxTensor {
  data: Float32Array | Int32Array | Uint8Array | BigInt64Array;
  dims: number[];
}

export interface OnnxSessionOptions {
  /** Intra-op threads (node) or WASM threads (web). Default 1 for web, 2 for node. */
  threads?: number;
}

/** An open inference session. */
export interface OnnxSession {
  readonly runtime: OnnxRuntimeKind;
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /** Runs the model; `feeds` must name every input. */
  run(feeds: Record<string, OnnxTensor>): Promise<Record<string, OnnxTensor>>;
  /** Frees the native/WASM session. */
  release(): Promise<void>;
}

/** Opens `model` (the bytes of a .onnx file) with the chosen runtime. */
export async function openSession(model: Uint8Array, runtime: OnnxRuntimeKind, opts: OnnxSessionOptions = {}): Promise<OnnxSession> {
  if (runtime === 'node') return (await import('./runtime-node.js')).openNodeSession(model, opts);
  if (runtime === 'web') return (await import('./runtime-web.js')).openWebSession(model, opts);
  throw new RangeError(`openSession: runtime must be one of ${ONNX_RUNTIMES.join(', ')}, got '${String(runtime)}'`);
}

/** A runtime that could not be loaded: names the package and why. */
export class OnnxRuntimeUnavailable extends Error {
  override name = 'OnnxRuntimeUnavailable';
  constructor(readonly pkg: string, cause: unknown) {
    super(`${pkg} is not available here (${cause instanceof Error ? cause.message.split('\n')[0] : String(cause)}); ` +
      `install it or choose the other runtime with --runtime`);
  }
}

/** Converts an onnxruntime-common Tensor-like to an OnnxTensor (shared by both runtimes). */
export function fromOrt(t: { data: unknown; dims: readonly number[]; type: string }, name: string): OnnxTensor {
  const d = t.data;
  if (d instanceof Float32Array || d instanceof Int32Array || d instanceof Uint8Array || d instanceof BigInt64Array)
    return { data: d, dims: [...t.dims] };
  throw new TypeError(`onnx output '${name}': unsupported element type ${t.type}`);
}
