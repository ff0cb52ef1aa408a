/**
 * Typed loader of the native addon build/Release/lamkit.node (native/addon/*.cpp). A missing or
 * broken addon is a reason string, never a crash: lamkit then runs on the other backends.
 * LAMKIT_ADDON_PATH overrides the location (tests, packaging).
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A compiled plan inside the addon (native/addon/executor_binding.cpp). */
export interface NativePlan {
  readonly arenaFloats: number;
  readArena(offset: number, length: number): Float32Array;
  writeArena(offset: number, data: Float32Array): void;
  run(feeds: Float32Array | null, feedStride: number, outputs: Float32Array | null, outStride: number, steps: number): void;
  profile(enable: boolean): void;
  readProfile(): Float64Array;
  dispose(): void;
}

/** What the addon exports. CUDA functions are present only when C's binding is compiled in. */
export interface NativeAddon {
  Plan: new (tape: Int32Array, arenaFloats: number) => NativePlan;
  setThreads(n: number): void;
  getThreads(): number;
  isaName(): string;
  forceIsa(isa: 'avx512' | 'avx2' | 'scalar' | null): void;
  info(): { isa: string; threads: number; hardwareThreads: number; cuda: boolean; compiler: string; napiVersion: number };
  /** From native/addon/cuda_binding.cpp when built with CUDA (owned by the CUDA engineer). */
  cudaInfo?: () => unknown;
  [k: string]: unknown;
}

export type AddonLoad = { addon: NativeAddon; path: string; reason?: undefined } | { addon?: undefined; path: string; reason: string };

/** The package root: the nearest directory above this file whose package.json is lamkit's. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    const pj = join(dir, 'package.json');
    if (existsSync(pj)) {
      try {
        if ((JSON.parse(readFileSync(pj, 'utf8')) as { name?: string }).name === 'lamkit') return dir;
      } catch {
        /* keep looking */
      }
    }
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return process.cwd();
}

let cached: AddonLoad | undefined;

/** Loads the addon once; returns it or the reason it is unavailable. */
export function loadNativeAddon(): AddonLoad {
  if (cached) return cached;
  const path = process.env.LAMKIT_ADDON_PATH || join(packageRoot(), 'build', 'Release', 'lamkit.node');
  if (!existsSync(path)) {
    cached = { path, reason: `native addon not built (${path} missing; run \`npm run build:native\`)` };
    return cached;
  }
  try {
    const addon = createRequire(import.meta.url)(path) as NativeAddon;
    if (typeof addon.Plan !== 'function' || typeof addon.info !== 'function') {
      cached = { path, reason: `native addon at ${path} lacks the executor/kernel bindings (stale build? rebuild with \`npm run build:native\`)` };
    } else {
      cached = { addon, path };
    }
  } catch (e) {
    cached = { path, reason: `native addon at ${path} failed to load: ${(e as Error).message.split('\n')[0]}` };
  }
  return cached;
}
