/**
 * onnxruntime-web runner: the WASM build of onnxruntime, run here in Node (the same engine a
 * browser demo would use). Its .wasm files are loaded from the installed package's dist/
 * folder, so nothing is fetched from a CDN.
 */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { OnnxRuntimeUnavailable, fromOrt, type OnnxSession, type OnnxSessionOptions, type OnnxTensor } from './runtime.js';

type Ort = typeof import('onnxruntime-web');
let ortPromise: Promise<Ort> | null = null;
let configuredThreads: number | null = null;

/** Loads onnxruntime-web once and points it at its local .wasm files. */
export function loadOrtWeb(): Promise<Ort> {
  ortPromise ??= (async () => {
    try {
      const ort = await import('onnxruntime-web');
      const require = createRequire(import.meta.url);
      // The package's "require" entry lives in dist/, next to the .wasm binaries.
      const dist = dirname(require.resolve('onnxruntime-web'));
      ort.env.wasm.wasmPaths = pathToFileURL(dist + '/').href;
      return ort;
    } catch (e) {
      ortPromise = null;
      throw new OnnxRuntimeUnavailable('onnxruntime-web', e);
    }
  })();
  return ortPromise;
}

/**
 * Opens a session on onnxruntime-web's wasm execution provider. The WASM thread count is
 * process-global and fixed by the first session; a later, different request is refused rather
 * than silently ignored.
 */
export async function openWebSession(model: Uint8Array, opts: OnnxSessionOptions = {}): Promise<OnnxSession> {
  const ort = await loadOrtWeb();
  const threads = opts.threads ?? 1;
  if (configuredThreads === null) {
    ort.env.wasm.numThreads = threads;
    configuredThreads = threads;
  } else if (configuredThreads !== threads) {
    throw new RangeError(`onnxruntime-web: threads is fixed at ${configuredThreads} for this process, got ${threads}`);
  }
  const session = await ort.InferenceSession.create(model, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
  return {
    runtime: 'web',
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
