// wasm backend: variant probes and selection, loading, many-step runs, threads, OOM and bad
// input. Variants that cannot run in this Node (relaxed SIMD needs a flag in Node 20) are
// reported with it.skip and the reason.
import { afterAll, describe, expect, it } from 'vitest';
import { matmul as refMatmul } from '../../src/backends/reference/matmul.js';
import { runSingleOp } from '../../src/backends/single-op.js';
import { type WasmBackend, createWasmBackend, probeWasmFeatures, wasmVariantBackends } from '../../src/backends/wasm.js';
import { importedMemoryMinPages, readManifest, supportedVariants } from '../../src/backends/wasm-loader.js';
import { OP_OPCODES } from '../../src/ops/opcodes.js';
import { Rng, testSeed } from '../../src/data/rng.js';

const variants = await wasmVariantBackends({ threads: 2 });
const created: WasmBackend[] = variants.flatMap((v) => (v.backend ? [v.backend] : []));
afterAll(async () => {
  for (const b of created) await b.terminate();
});

function randn(rng: Rng, n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.normal();
  return a;
}

describe('wasm feature probes', () => {
  it('validate SIMD and threads in Node 20 and order variants best first', () => {
    const f = probeWasmFeatures();
    expect(f.webAssembly).toBe(true);
    expect(f.simd).toBe(true);
    expect(f.threads).toBe(true);
    const v = supportedVariants(f);
    expect(v.slice(-3)).toEqual(['simd-mt', 'simd', 'baseline']);
    expect(v.includes('relaxed-mt')).toBe(f.relaxedSimd);
  });
  it('drop variants whose features are missing', () => {
    expect(supportedVariants({ webAssembly: true, simd: false, relaxedSimd: false, threads: false, notes: [] })).toEqual(['baseline']);
    expect(supportedVariants({ webAssembly: true, simd: true, relaxedSimd: false, threads: false, notes: [] })).toEqual(['simd', 'baseline']);
    expect(supportedVariants({ webAssembly: false, simd: false, relaxedSimd: false, threads: false, notes: [] })).toEqual([]);
  });
});

const built = await readManifest('wasm/dist');

describe('wasm loader', () => {
  it.skipIf(!built.manifest)(`reads the manifest and the memory import of threaded modules${built.reason ? ` — skipped: ${built.reason}` : ''}`, async () => {
    const { manifest } = built;
    const fs = await import('node:fs');
    const bytes = new Uint8Array(fs.readFileSync(`wasm/dist/${manifest!.variants['simd-mt']!.file}`));
    const min = importedMemoryMinPages(bytes);
    expect(min).toBeGreaterThan(0);
    expect(importedMemoryMinPages(new Uint8Array(fs.readFileSync(`wasm/dist/${manifest!.variants.simd!.file}`)))).toBeUndefined();
  });
  it('explains a missing build', async () => {
    await expect(createWasmBackend({ location: '/nonexistent/wasm/dist' })).rejects.toThrow(/not built.*npm run build:wasm/);
  });
  it('rejects bad options naming the argument', async () => {
    await expect(createWasmBackend({ variant: 'avx' as never })).rejects.toThrow(RangeError);
    await expect(createWasmBackend({ variant: 'avx' as never })).rejects.toThrow(/variant must be one of relaxed-mt, simd-mt, simd, baseline, got 'avx'/);
    await expect(createWasmBackend({ variant: 'simd-mt', threads: 0 })).rejects.toThrow(/threads must be an integer ≥ 1, got 0/);
  });
});

for (const v of variants) {
  describe(`wasm/${v.variant}`, () => {
    if (!v.backend) {
      it.skip(`unavailable: ${v.reason}`, () => {});
      return;
    }
    const b = v.backend;
    it('reports variant, SIMD, relaxed SIMD and threads in info()', () => {
      const i = b.info();
      expect(i.details?.variant).toBe(v.variant);
      expect(i.details?.simd).toBe(v.variant !== 'baseline');
      expect(i.details?.relaxedSimd).toBe(v.variant === 'relaxed-mt');
      expect(i.threads).toBe(v.variant.endsWith('-mt') ? 2 : 1);
      expect(i.isa).toMatch(new RegExp(`^${v.variant === 'baseline' ? 'scalar' : 'wasm-simd128'} · module ${v.variant}`));
      expect(b.supports('matmul')).toBe(true);
    });
    it('runs matmul through the executor like the reference (both GEMM ISAs)', () => {
      const rng = new Rng(testSeed());
      for (const isa of ['best', 'scalar'] as const) {
        if (isa === 'scalar') b.forceIsa('scalar');
        try {
          for (const [M, N, K] of [[1, 1, 1], [5, 17, 3], [64, 48, 33], [129, 70, 260]]) {
            const A = randn(rng, M * K),
              B = randn(rng, K * N);
            const r = runSingleOp(b, { op: 'matmul', inputShapes: [[M, K], [K, N]], attrs: { ta: false, tb: false } }, [A, B]);
            const ref = new Float32Array(M * N);
            refMatmul(0, 0, M, N, K, A, B, ref, 0);
            expect(r.guardErrors).toEqual([]);
            const got = r.outputs[0] as Float32Array;
            let worst = 0;
            for (let i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs(got[i]! - ref[i]!) / (Math.sqrt(K) * 2e-6 + 1e-5 * Math.abs(ref[i]!)));
            expect(worst, `${isa} ${M}×${N}×${K}`).toBeLessThanOrEqual(1);
          }
        } finally {
          b.forceIsa(null);
        }
      }
    });
    it('runs many steps in one call with feeds and outputs', () => {
      // Tape: FEED x (4 floats) → scale by 2 → OUTPUT; arena [x(4) | y(4)].
      const tape = new Int32Array([1, 3, 0, 0, 4, OP_OPCODES.scale, 5, 0, 4, 4, new Int32Array(new Float32Array([2]).buffer)[0]!, 0, 2, 3, 4, 0, 4]);
      const exe = b.compile({ tape, arenaFloats: 8, feedFloatsPerStep: 4, outFloatsPerStep: 4 });
      try {
        const feeds = Float32Array.from({ length: 40 }, (_, i) => i);
        const out = exe.run(feeds, { steps: 10 });
        expect(Array.from(out)).toEqual(Array.from(feeds, (x) => 2 * x));
        expect(Array.from(exe.readArena(4, 4))).toEqual([72, 74, 76, 78]);
        exe.writeArena(0, new Float32Array([1, 2, 3, 4]));
        expect(Array.from(exe.readArena(0, 4))).toEqual([1, 2, 3, 4]);
        expect(() => exe.run(feeds, { steps: 3 })).toThrow(/feeds has 40 floats, expected 12/);
      } finally {
        exe.dispose();
      }
      expect(() => exe.readArena(0, 1)).toThrow(/disposed/);
    });
    it.skipIf(!v.variant.endsWith('-mt'))('holds the workers awake during a tape run only, then they park', async () => {
      const ex = b.instance.exports;
      expect(b.instance.workers).toBe(1);
      // A matmul large enough to wake the worker (sgemm uses 2 threads from 2 MFLOP).
      const rng = new Rng(testSeed());
      const M = 128,
        K = 128,
        N = 128;
      const A = randn(rng, M * K),
        B = randn(rng, K * N);
      const r = runSingleOp(b, { op: 'matmul', inputShapes: [[M, K], [K, N]], attrs: { ta: false, tb: false } }, [A, B]);
      expect(r.guardErrors).toEqual([]);
      expect(ex.lam_wasm_pool_holds!()).toBe(0);
      // Released holds let the worker finish its spin round and block in memory.atomic.wait.
      const t0 = Date.now();
      while (ex.lam_wasm_pool_sleepers!() < 1 && Date.now() - t0 < 5000) await new Promise((res) => setTimeout(res, 10));
      expect(ex.lam_wasm_pool_sleepers!()).toBe(1);
    });
    it('refuses a plan larger than the heap with the bytes requested and the limit', () => {
      const tape = new Int32Array([45, 3, 0, 4, 0]); // fill 4 floats
      const { limitBytes } = b.heap();
      const floats = Math.floor(limitBytes / 4) + 16;
      expect(() => b.compile({ tape, arenaFloats: floats, feedFloatsPerStep: 0, outFloatsPerStep: 0 })).toThrow(
        new RegExp(`out of memory allocating ${floats * 4 + tape.length * 4} bytes .* heap limit is ${limitBytes} bytes`),
      );
      // Below the address-space limit but above what can still be allocated: malloc fails.
      const big = Math.floor((limitBytes - b.heap().bytes) / 4) - 1024;
      expect(() => b.compile({ tape, arenaFloats: big, feedFloatsPerStep: 0, outFloatsPerStep: 0 })).toThrow(RangeError);
      // The module is still usable afterwards.
      const exe = b.compile({ tape, arenaFloats: 8, feedFloatsPerStep: 0, outFloatsPerStep: 0 });
      exe.run(null);
      exe.dispose();
    });
  });
}
