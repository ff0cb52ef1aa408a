/**
 * onnxruntime-node runner: the native CPU onnxruntime shipped as a prebuilt binary inside the
 * npm package (the project's .npmrc skips its optional CUDA download, so installs work offline).
 */
import { OnnxRuntimeUnavailable, fromOrt, type OnnxSession, type OnnxSessionOptions, type OnnxTensor } from './runtime.js';

type Ort = typeof import('onnxruntime-node');
let ortPromise: Promise<Ort> | null = null;

/** Loads onnxruntime-node once; a missing package or binary becomes OnnxRuntimeUnavailable. */
export function loadOrtNode(): Promise<Ort> {
  ortPromise ??= import('onnxruntime-node').catch((e: unknown) => {
    ortPromise = null;
    throw new OnnxRuntimeUnavailable('onnxruntime-node', e);
  });
  return ortPromise;
}

/** Opens a session on onnxruntime-node's CPU execution provider. */
export async function openNodeSession(model: Uint8Array, opts: OnnxSessionOptions = {}): Promise<OnnxSession> {
  const ort = await loadOrtNode();
  const threads = opts.threads ?? 2;
  const session = await ort.InferenceSession.create(model, {
    executionProviders: ['cpu'],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
  });
  return {
    runtime: 'node',
    inputNames: session.inputNames,
    outputNames: session.outputNames,
    async run(feeds: Record<string, OnnxTensor>) {
      const ortFeeds: Record<string, InstanceType<Ort['Tensor']>> = {};
      for (const [k, v] of Object.entries(feeds)) ortFeeds[k] = new ort.Tensor(v.data, v.dims);
      const out = await session.run(ortFeeds);
      const res: Record<string, OnnxTensor> = {};
      for (const [k, v] of Object.entries(out)) res[k] = fromOrt(v, k);
      return res;
    },
    release: () => session.release(),
  };
}
