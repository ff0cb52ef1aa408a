/**
 * The backends kernel tests run: every available backend except the reference (the oracle),
 * plus native-cpu variants that force the scalar twins and a single thread. Unavailable
 * backends are returned with their reason so each test file prints a skip, never a silent pass.
 */
import type { NativeCpuBackend } from '../../src/backends/native-cpu.js';
import { probeBackends } from '../../src/backends/registry.js';
import type { Backend } from '../../src/backends/types.js';

export interface TestBackend {
  /** e.g. "native-cpu", "native-cpu/scalar". */
  label: string;
  backend?: Backend;
  reason?: string;
  /** Set up / tear down around each run (ISA forcing, thread count). */
  around?: <T>(f: () => T) => T;
}

let cache: Promise<{ oracle: Backend; others: TestBackend[] }> | undefined;

export function testBackends(): Promise<{ oracle: Backend; others: TestBackend[] }> {
  cache ??= (async () => {
    const all = await probeBackends();
    const ref = all.find((s) => s.name === 'reference');
    if (!ref?.backend) throw new Error(`reference backend unavailable: ${ref?.reason}`);
    const others: TestBackend[] = [];
    for (const s of all) {
      if (s.name === 'reference') continue;
      if (!s.backend) {
        others.push({ label: s.name, reason: s.reason });
        continue;
      }
      others.push({ label: s.name, backend: s.backend });
      if (s.name === 'native-cpu') {
        const nb = s.backend as NativeCpuBackend;
        const a = nb.addon;
        others.push({
          label: 'native-cpu/scalar',
          backend: nb,
          around: (f) => {
            a.forceIsa('scalar');
            try {
              return f();
            } finally {
              a.forceIsa(null);
            }
          },
        });
        others.push({
          label: 'native-cpu/1thread',
          backend: nb,
          around: (f) => {
            const t = a.getThreads();
            a.setThreads(1);
            try {
              return f();
            } finally {
              a.setThreads(t);
            }
          },
        });
      }
    }
    return { oracle: ref.backend, others };
  })();
  return cache;
}
