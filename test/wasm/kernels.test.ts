// Every kernel test (test/kernels/<op>.test.ts) on every wasm variant this Node can run.
//
// The kernel files get their backends from test/harness/backends.ts; here that module is
// replaced so the same table-driven cases run against the reference oracle and each wasm
// variant (baseline, simd, simd-mt with 2 threads and with 1, relaxed-mt), plus simd with the
// scalar GEMM twin forced. The default `wasm` backend (best variant) also runs in the plain
// kernel test files through the registry. Unavailable variants are listed with it.skip.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, it, vi } from 'vitest';

const state = vi.hoisted(() => ({ terminate: [] as (() => Promise<void>)[] }));

vi.mock('../harness/backends.js', async () => {
  const { referenceFactory } = await import('../../src/backends/reference-backend.js');
  const { wasmVariantBackends } = await import('../../src/backends/wasm.js');
  const oracle = await referenceFactory.create();
  const others: { label: string; backend?: import('../../src/backends/types.js').Backend; reason?: string; around?: <T>(f: () => T) => T }[] = [];
  for (const v of await wasmVariantBackends({ threads: 2 })) {
    const label = `wasm/${v.variant}`;
    if (!v.backend) {
      others.push({ label, reason: v.reason });
      continue;
    }
    const b = v.backend;
    state.terminate.push(() => b.terminate());
    others.push({ label, backend: b });
    if (v.variant === 'simd-mt') {
      others.push({
        label: 'wasm/simd-mt/1thread',
        backend: b,
        around: (f) => {
          b.setThreads(1);
          try {
            return f();
          } finally {
            b.setThreads(0);
          }
        },
      });
    }
    if (v.variant === 'simd') {
      others.push({
        label: 'wasm/simd/scalar-gemm',
        backend: b,
        around: (f) => {
          b.forceIsa('scalar');
          try {
            return f();
          } finally {
            b.forceIsa(null);
          }
        },
      });
    }
  }
  const result = Promise.resolve({ oracle, others });
  return { testBackends: () => result };
});

afterAll(async () => {
  for (const t of state.terminate) await t();
});

const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), '../kernels');
// opcodes/executor tests are about the TS tables and the reference interpreter, not kernels.
const files = fs.readdirSync(dir).filter((f) => f.endsWith('.test.ts') && !/^(opcodes|executor)\./.test(f)).sort();
describe('wasm kernel suites', () => {
  it(`loads ${files.length} kernel test files`, () => {});
});
for (const f of files) await import(`../kernels/${f}`);
