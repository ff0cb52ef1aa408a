/**
 * Backend registry with priorities and fall-through: native-cuda > native-cpu > wasm > gpujs >
 * reference. Nothing registers itself on import; `resolveBackend()` tries the built-in list
 * below, highest priority first, and collects every failure so the caller (and `lamkit doctor`)
 * can say why each backend was skipped. The reference backend always works.
 *
 * Adding a backend (CUDA, WASM, gpu.js engineers): create the module named in BUILTIN below and
 * export from it
 *     export const backendFactory: BackendFactory = { name: 'wasm', priority: 30, create() { … } };
 * where create() returns a Backend (src/backends/types.ts) or throws/rejects with the reason it
 * cannot run here ("no CUDA device: cudaGetDeviceCount returned 100"). The module is imported
 * lazily, only when the registry probes it; a module that does not exist yet is reported as
 * "not part of this build". Tests and embedders can add more with `registerBackend(factory)`.
 *
 * Selection: `resolveBackend({ name })` or LAMKIT_BACKEND=<name> picks exactly one backend and
 * throws with its failure reason if it cannot start; `requiredOps` skips backends missing an op.
 */
import { nativeCpuFactory } from './native-cpu.js';
import { referenceFactory } from './reference-backend.js';
import type { Backend, BackendFactory, BackendName } from './types.js';

/** Lazily imported backends owned by other parts: name → module (relative to this file). */
const BUILTIN: { name: BackendName; priority: number; module: string }[] = [
  { name: 'native-cuda', priority: 50, module: './cuda.js' },
  { name: 'wasm', priority: 30, module: './wasm.js' },
  { name: 'gpujs', priority: 20, module: './gpujs/index.js' },
];

const extra: BackendFactory[] = [];

/** Adds a backend factory (replaces one of the same name). */
export function registerBackend(factory: BackendFactory): void {
  if (!factory || typeof factory.name !== 'string' || typeof factory.create !== 'function' || typeof factory.priority !== 'number')
    throw new TypeError(`registerBackend: expected { name: string, priority: number, create() }, got ${String(factory)}`);
  const i = extra.findIndex((f) => f.name === factory.name);
  if (i >= 0) extra.splice(i, 1);
  extra.push(factory);
  created.delete(factory.name);
}

function lazyFactory(b: (typeof BUILTIN)[number]): BackendFactory {
  return {
    name: b.name,
    priority: b.priority,
    async create() {
      let mod: { backendFactory?: BackendFactory };
      try {
        const spec = b.module; // a variable keeps tsc from requiring the module to exist
        mod = (await import(spec)) as { backendFactory?: BackendFactory };
      } catch (e) {
        const msg = (e as Error).message ?? String(e);
        if (/Cannot find module|Failed to load url|ERR_MODULE_NOT_FOUND|does not exist/i.test(msg))
          throw new Error(`not part of this build (${b.module} is absent)`);
        throw new Error(`${b.module} failed to load: ${msg.split('\n')[0]}`);
      }
      if (!mod.backendFactory || typeof mod.backendFactory.create !== 'function') throw new Error(`${b.module} does not export backendFactory`);
      return mod.backendFactory.create();
    },
  };
}

/** Every known factory, highest priority first (registered ones override built-ins by name). */
export function backendFactories(): BackendFactory[] {
  const byName = new Map<string, BackendFactory>();
  for (const f of [nativeCpuFactory, referenceFactory, ...BUILTIN.map(lazyFactory)]) byName.set(f.name, f);
  for (const f of extra) byName.set(f.name, f);
  return [...byName.values()].sort((a, b) => b.priority - a.priority);
}

// One instance per backend per process: addons and devices are initialised once.
const created = new Map<string, Promise<Backend>>();

function instance(f: BackendFactory): Promise<Backend> {
  let p = created.get(f.name);
  if (!p) {
    p = (async () => f.create())();
    created.set(f.name, p);
  }
  return p;
}

/** The status of one backend as the registry sees it. */
export interface BackendStatus {
  name: BackendName;
  priority: number;
  available: boolean;
  /** Why it is unavailable (or skipped for a missing op). */
  reason?: string;
  backend?: Backend;
}

/** Tries every backend (for doctor and tests): available ones carry the instance. */
export async function probeBackends(): Promise<BackendStatus[]> {
  const out: BackendStatus[] = [];
  for (const f of backendFactories()) {
    try {
      const backend = await instance(f);
      out.push({ name: f.name, priority: f.priority, available: true, backend });
    } catch (e) {
      out.push({ name: f.name, priority: f.priority, available: false, reason: (e as Error).message ?? String(e) });
    }
  }
  return out;
}

export interface ResolveOptions {
  /** Exactly this backend (default: LAMKIT_BACKEND, else the best available). */
  name?: string;
  /** Skip backends that lack one of these op ids. */
  requiredOps?: readonly string[];
}

export interface Resolved {
  backend: Backend;
  /** Every backend tried before it, with the reason it was skipped. */
  skipped: { name: BackendName; reason: string }[];
}

/**
 * The best available backend (or the named one). Throws an Error listing every reason when the
 * named backend cannot start or (never in practice) none can.
 */
export async function resolveBackend(opts: ResolveOptions = {}): Promise<Resolved> {
  const want = opts.name ?? (process.env.LAMKIT_BACKEND || undefined);
  const all = backendFactories();
  const list = want ? all.filter((f) => f.name === want) : all;
  if (want && list.length === 0) throw new RangeError(`unknown backend '${want}'; expected one of ${all.map((f) => f.name).join(', ')}`);
  const skipped: { name: BackendName; reason: string }[] = [];
  for (const f of list) {
    let b: Backend;
    try {
      b = await instance(f);
    } catch (e) {
      skipped.push({ name: f.name, reason: (e as Error).message ?? String(e) });
      continue;
    }
    const missing = (opts.requiredOps ?? []).filter((op) => !b.supports(op));
    if (missing.length) {
      skipped.push({ name: f.name, reason: `does not support ${missing.join(', ')}` });
      continue;
    }
    return { backend: b, skipped };
  }
  const why = skipped.map((s) => `${s.name}: ${s.reason}`).join('; ');
  throw new Error(want ? `backend '${want}' is unavailable (${why})${process.env.LAMKIT_BACKEND ? ' [from LAMKIT_BACKEND]' : ''}` : `no backend available (${why})`);
}

/** One line saying which backend runs and why the better ones were skipped. */
export function describeResolution(r: Resolved): string {
  const s = r.skipped.map((x) => `${x.name} (${x.reason})`).join(', ');
  return `backend ${r.backend.name}${s ? `; skipped ${s}` : ''}`;
}
