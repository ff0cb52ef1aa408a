/**
 * What this browser offers the playground, and which fallback each missing feature causes:
 * WebAssembly (else the reference backend in JS), SIMD128 (else the baseline wasm module),
 * threads (SharedArrayBuffer + cross-origin isolation, else one thread), WebGL (else gpu.js runs
 * its WebAssembly/CPU mode). The page lists every missing feature instead of failing.
 */
import { probeWasmFeatures } from '../src/backends/wasm-loader.js';

export interface BrowserFeatures {
  webAssembly: boolean;
  simd: boolean;
  threads: boolean;
  crossOriginIsolated: boolean;
  webgl: boolean;
  webgl2: boolean;
  /** One line per missing feature and its fallback. */
  missing: string[];
}

function hasWebGl(kind: 'webgl' | 'webgl2'): boolean {
  try {
    const c = document.createElement('canvas');
    return !!c.getContext(kind);
  } catch {
    return false;
  }
}

export function detectFeatures(): BrowserFeatures {
  const w = probeWasmFeatures();
  const coi = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
  const webgl2 = hasWebGl('webgl2');
  const webgl = webgl2 || hasWebGl('webgl');
  const missing: string[] = [];
  if (!w.webAssembly) missing.push('WebAssembly: missing → training falls back to the reference backend (JavaScript)');
  else if (!w.simd) missing.push('WebAssembly SIMD: missing → the baseline (scalar) wasm module trains');
  if (w.webAssembly && !w.threads) missing.push(`wasm threads: unavailable${coi ? '' : ' (page not cross-origin isolated)'} → one thread`);
  if (!webgl) missing.push('WebGL: missing → gpu.js runs its WebAssembly/CPU mode instead of the GPU');
  return { webAssembly: w.webAssembly, simd: w.simd, threads: w.threads, crossOriginIsolated: coi, webgl, webgl2, missing };
}
