/**
 * Loads gpu.js and creates its GPU object. In Node gpu.js has no GL (the optional `gl` package
 * is not installed), so it picks its WebAssembly mode ('webasm'); in a browser with WebGL it
 * picks 'webgl2'/'webgl' and runs on the GPU. LAMKIT_GPUJS_MODE (Node) or `mode` forces one
 * ('cpu', 'webasm', 'webgl', 'webgl2', 'headlessgl').
 */
import type { GPU as GPUType } from 'gpu.js';

export const GPUJS_MODES = ['gpu', 'cpu', 'webasm', 'webgl', 'webgl2', 'headlessgl'] as const;

export interface LoadedGpu {
  gpu: GPUType;
  /** The mode gpu.js chose ('webasm', 'webgl2', …). */
  mode: string;
  /** Flags gpu.js reports about this platform. */
  features: Record<string, boolean>;
}

/** Creates the GPU object (throws with the reason when gpu.js cannot start here). */
export async function loadGpu(mode?: string): Promise<LoadedGpu> {
  if (mode !== undefined && !(GPUJS_MODES as readonly string[]).includes(mode))
    throw new RangeError(`gpujs: mode must be one of ${GPUJS_MODES.join(', ')}, got '${mode}'`);
  const mod = (await import('gpu.js')) as unknown as { GPU?: typeof GPUType; default?: { GPU: typeof GPUType } };
  const GPU = mod.GPU ?? mod.default?.GPU;
  if (!GPU) throw new Error('gpu.js did not export GPU');
  const gpu = mode ? new GPU({ mode: mode as 'gpu' }) : new GPU();
  const chosen = String((gpu as unknown as { mode?: string }).mode ?? mode ?? 'unknown');
  const G = GPU as unknown as Record<string, boolean>;
  const features: Record<string, boolean> = {};
  for (const k of ['isWebGLSupported', 'isWebGL2Supported', 'isHeadlessGLSupported', 'isWebAssemblySupported', 'isSinglePrecisionSupported']) {
    try {
      features[k] = Boolean(G[k]);
    } catch {
      features[k] = false;
    }
  }
  return { gpu, mode: chosen, features };
}
