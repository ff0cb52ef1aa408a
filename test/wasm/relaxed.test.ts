// Node 20 keeps relaxed SIMD behind --experimental-wasm-relaxed-simd, so in a plain run the
// relaxed-mt variant is skipped. This test reruns the wasm loader and kernel suites in a child
// vitest with the flag, so the relaxed-SIMD build (fused madd GEMM) is checked too.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { probeWasmFeatures } from '../../src/backends/wasm.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const child = process.env.LAMKIT_WASM_RELAXED_CHILD === '1';

describe('relaxed-SIMD variant', () => {
  it.skipIf(child || probeWasmFeatures().relaxedSimd)('passes the loader and kernel suites with --experimental-wasm-relaxed-simd', () => {
    const r = spawnSync(
      process.execPath,
      [path.join(ROOT, 'node_modules/vitest/vitest.mjs'), 'run', 'test/wasm/loader.test.ts', 'test/wasm/kernels.test.ts', '--execArgv=--experimental-wasm-relaxed-simd'],
      { cwd: ROOT, env: { ...process.env, LAMKIT_WASM_RELAXED_CHILD: '1', NO_COLOR: '1' }, encoding: 'utf8', timeout: 600_000, maxBuffer: 256 << 20 },
    );
    const out = `${r.stdout}\n${r.stderr}`;
    const summary = out.split('\n').filter((l) => /Tests\s+\d|Test Files/.test(l));
    console.log(summary.join('\n'));
    expect(r.status, out.slice(-4000)).toBe(0);
    // The relaxed variant ran (its info test and kernel rows appear) and was not skipped.
    expect(out).toMatch(/wasm\/relaxed-mt\s+\S/);
    expect(out).not.toMatch(/relaxed-mt.*unavailable/);
  }, 700_000);
});
