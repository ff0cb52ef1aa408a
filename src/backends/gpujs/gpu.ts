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
  type Mod = { GPU: typeof GPUType } & Record<string, unknown>;
  const imported = (await import('gpu.js')) as unknown as Partial<Mod> & { default?: Mod };
  const mod = (imported.GPU ? imported : imported.default) as Mod | undefined;
  const GPU = mod?.GPU;
  if (!GPU) throw new Error('gpu.js did not export GPU');
  const gpu = mode ? new GPU({ mode: mode as 'gpu' }) : new GPU();
  // 'gpu' (auto) resolves to a concrete kernel class; report that one ('webgl2', 'webasm', …).
  const g = gpu as unknown as { mode?: string; Kernel?: { mode?: string }; chooseKernel?: () => void };
  g.chooseKernel?.();
  // Every GL kernel class says 'gpu'; name the GL flavour by class.
  const glNames: [string, string][] = [['WebGL2Kernel', 'webgl2'], ['WebGLKernel', 'webgl'], ['HeadlessGLKernel', 'headlessgl']];
  const gl = glNames.find(([cls]) => mod && g.Kernel !== undefined && mod[cls] === g.Kernel);
  const chosen = gl ? gl[1] : String(g.Kernel?.mode ?? g.mode ?? mode ?? 'unknown');
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
