/**
 * Loader of the lamkit WebAssembly modules built by wasm/build.mjs (native/kernels +
 * native/runtime compiled with clang from npm). Works in Node and in browsers:
 *   - feature probes: tiny modules checked with WebAssembly.validate (SIMD128, threads =
 *     shared memory + atomics, relaxed SIMD), plus SharedArrayBuffer / cross-origin isolation;
 *   - bytes from the file system (Node) or fetch (browser), found via wasm/dist/manifest.json;
 *   - instantiation with a minimal WASI preview1 shim (the kernels never do I/O);
 *   - for the threaded variants, a pool of workers (worker_threads / Web Workers) that each
 *     instantiate the module on the same shared memory and park in lam_wasm_worker_main.
 * Nothing here knows about tapes; src/backends/wasm.ts builds the Backend on top.
 */

/** The module variants wasm/build.mjs produces, best first. */
export const WASM_VARIANTS = ['relaxed-mt', 'simd-mt', 'simd', 'baseline'] as const;
export type WasmVariant = (typeof WASM_VARIANTS)[number];

/** What each variant needs from the engine. */
export const VARIANT_NEEDS: Record<WasmVariant, { simd: boolean; relaxedSimd: boolean; threads: boolean }> = {
  'relaxed-mt': { simd: true, relaxedSimd: true, threads: true },
  'simd-mt': { simd: true, relaxedSimd: false, threads: true },
  simd: { simd: true, relaxedSimd: false, threads: false },
  baseline: { simd: false, relaxedSimd: false, threads: false },
};

// Probe modules (the same ones wasm-feature-detect uses): each is valid only when the engine
// implements the feature.
const PROBE_SIMD = [0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11];
const PROBE_THREADS = [0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 3, 2, 1, 0, 5, 4, 1, 3, 1, 1, 10, 11, 1, 9, 0, 65, 0, 254, 16, 2, 0, 26, 11];
const PROBE_RELAXED = [0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 15, 1, 13, 0, 65, 1, 253, 15, 65, 2, 253, 15, 253, 128, 2, 11];

/** What this JavaScript engine supports, and why a feature is missing. */
export interface WasmFeatures {
  webAssembly: boolean;
  simd: boolean;
  relaxedSimd: boolean;
  /** Shared memory + atomics validate *and* SharedArrayBuffer is usable (cross-origin isolated). */
  threads: boolean;
  /** One line per missing feature. */
  notes: string[];
}

const isNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';

function validate(bytes: number[]): boolean {
  try {
    return WebAssembly.validate(new Uint8Array(bytes));
  } catch {
    return false;
  }
}

/** Probes the engine (cheap; validates three tiny modules). */
export function probeWasmFeatures(): WasmFeatures {
  const notes: string[] = [];
  if (typeof WebAssembly !== 'object' || typeof WebAssembly.validate !== 'function')
    return { webAssembly: false, simd: false, relaxedSimd: false, threads: false, notes: ['no WebAssembly in this JavaScript environment'] };
  const simd = validate(PROBE_SIMD);
  if (!simd) notes.push('WebAssembly SIMD128 is not supported (baseline module only)');
  const relaxedSimd = simd && validate(PROBE_RELAXED);
  if (!relaxedSimd)
    notes.push(isNode ? 'relaxed SIMD is off (Node 20 needs --experimental-wasm-relaxed-simd)' : 'relaxed SIMD is not supported by this browser');
  let threads = validate(PROBE_THREADS) && typeof SharedArrayBuffer === 'function';
  if (!threads) notes.push('shared-memory threads are unavailable (no atomics or no SharedArrayBuffer)');
  const g = globalThis as { crossOriginIsolated?: boolean; Worker?: unknown };
  if (threads && !isNode && g.crossOriginIsolated === false) {
    threads = false;
    notes.push('threads need a cross-origin isolated page (COOP/COEP headers)');
  }
  if (threads && !isNode && typeof g.Worker !== 'function') {
    threads = false;
    notes.push('threads need Web Workers');
  }
  return { webAssembly: true, simd, relaxedSimd, threads, notes };
}

/** The variants this engine can run, best first. */
export function supportedVariants(f: WasmFeatures = probeWasmFeatures()): WasmVariant[] {
  if (!f.webAssembly) return [];
  return WASM_VARIANTS.filter((v) => {
    const n = VARIANT_NEEDS[v];
    return (!n.simd || f.simd) && (!n.relaxedSimd || f.relaxedSimd) && (!n.threads || f.threads);
  });
}

/** wasm/dist/manifest.json as written by wasm/build.mjs. */
export interface WasmManifest {
  clang: string;
  maxMemoryBytes: number;
  built: string;
  variants: Partial<Record<WasmVariant, { file: string; sha256: string; bytes: number; threads: boolean; simd: boolean; relaxedSimd: boolean }>>;
}

/** Where the built modules are: a directory path (Node) or a URL (browser, or Node file: URL). */
export type WasmLocation = string | URL;

async function nodeModules() {
  const [fs, path, url] = await Promise.all([import('node:fs'), import('node:path'), import('node:url')]);
  return { fs, path, url };
}

/** Default location: LAMKIT_WASM_DIR, else <package root>/wasm/dist found upward from this file. */
export async function defaultWasmLocation(): Promise<WasmLocation> {
  if (isNode) {
    if (process.env.LAMKIT_WASM_DIR) return process.env.LAMKIT_WASM_DIR;
    const { fs, path, url } = await nodeModules();
    let dir = path.dirname(url.fileURLToPath(import.meta.url));
    for (let i = 0; i < 8; i++) {
      const cand = path.join(dir, 'wasm', 'dist');
      if (fs.existsSync(path.join(dir, 'wasm', 'build.mjs'))) return cand;
      const up = path.dirname(dir);
      if (up === dir) break;
      dir = up;
    }
    return path.join(process.cwd(), 'wasm', 'dist');
  }
  // Browser: dist/src/backends/wasm-loader.js → <root>/wasm/dist/.
  return new URL('../../../wasm/dist/', import.meta.url);
}

async function readBytes(loc: WasmLocation, file: string): Promise<Uint8Array<ArrayBuffer> | undefined> {
  if (isNode && (typeof loc === 'string' || loc.protocol === 'file:')) {
    const { fs, path, url } = await nodeModules();
    const dir = typeof loc === 'string' ? loc : url.fileURLToPath(loc);
    const p = path.join(dir, file);
    if (!fs.existsSync(p)) return undefined;
    return new Uint8Array(fs.readFileSync(p));
  }
  const base = typeof loc === 'string' ? new URL(loc.endsWith('/') ? loc : `${loc}/`, (globalThis as { location?: { href: string } }).location?.href) : loc;
  const res = await fetch(new URL(file, base));
  if (!res.ok) return undefined;
  return new Uint8Array(await res.arrayBuffer());
}

/** Reads the manifest, or explains why the modules are missing (build-status.json). */
export async function readManifest(loc: WasmLocation): Promise<{ manifest?: WasmManifest; reason?: string }> {
  const text = await readBytes(loc, 'manifest.json').catch(() => undefined);
  if (text) return { manifest: JSON.parse(new TextDecoder().decode(text)) as WasmManifest };
  const status = await readBytes(loc, 'build-status.json').catch(() => undefined);
  if (status) {
    const s = JSON.parse(new TextDecoder().decode(status)) as { ok: boolean; reason?: string };
    if (!s.ok) return { reason: `the wasm build failed: ${(s.reason ?? 'unknown').split('\n').slice(0, 3).join(' ')}` };
  }
  return { reason: `wasm modules are not built (no manifest.json in ${String(loc)}); run \`npm run build:wasm\`` };
}

/** Minimum pages of the imported memory (threaded variants), read from the import section. */
export function importedMemoryMinPages(bytes: Uint8Array): number | undefined {
  let p = 8;
  const u32 = () => {
    let r = 0,
      shift = 0,
      b: number;
    do {
      b = bytes[p++]!;
      r |= (b & 0x7f) << shift;
      shift += 7;
    } while (b & 0x80);
    return r >>> 0;
  };
  const name = () => {
    const n = u32();
    p += n;
  };
  while (p < bytes.length) {
    const id = bytes[p++]!;
    const size = u32();
    const end = p + size;
    if (id === 2) {
      const count = u32();
      for (let i = 0; i < count; i++) {
        name();
        name();
        const kind = bytes[p++]!;
        if (kind === 0) u32();
        else if (kind === 1) {
          p++;
          const fl = u32();
          u32();
          if (fl & 1) u32();
        } else if (kind === 2) {
          const flags = u32();
          const min = u32();
          if (flags & 1) u32();
          return min;
        } else if (kind === 3) {
          p += 2;
        } else return undefined;
      }
      return undefined;
    }
    p = end;
  }
  return undefined;
}

/** The raw exports of a lamkit module (C ABI of kernels.h/executor.h + lam_wasm_*). */
export interface LamWasmExports {
  memory?: WebAssembly.Memory;
  _initialize(): void;
  lam_wasm_malloc(bytes: number): number;
  lam_wasm_free(ptr: number): void;
  lam_wasm_features(): number;
  lam_wasm_heap_bytes(): number;
  lam_wasm_simd_ceiling(iters: number, mode: number): number;
  lam_wasm_simd_ceiling_flops(mode: number): number;
  lam_wasm_pool_workers(): number;
  lam_wasm_pool_init?(n: number): void;
  lam_wasm_worker_main?(id: number): void;
  lam_wasm_pool_shutdown?(): void;
  /** Drops the executor's worker holds (after a trap skipped its release). */
  lam_wasm_pool_unhold?(): void;
  lam_wasm_pool_holds?(): number;
  lam_wasm_pool_sleepers?(): number;
  lam_set_num_threads(n: number): void;
  lam_get_num_threads(): number;
  lam_isa_name(): number;
  lam_force_isa(ptr: number): void;
  lam_plan_create(tape: number, words: bigint, arenaFloats: bigint, err: number, errlen: bigint): number;
  lam_plan_destroy(plan: number): void;
  lam_plan_arena(plan: number): number;
  lam_plan_run(plan: number, feeds: number, feedStride: bigint, out: number, outStride: bigint, steps: bigint, failedStep: number, err: number, errlen: bigint): number;
  __stack_pointer?: WebAssembly.Global;
  __tls_size?: WebAssembly.Global;
  __tls_align?: WebAssembly.Global;
  __tls_base?: WebAssembly.Global;
  __wasm_init_tls?(ptr: number): void;
  [k: string]: unknown;
}

/** Symbols the module imports but does not define (kernels not written yet, when built). */
export function missingSymbols(module: WebAssembly.Module): string[] {
  return WebAssembly.Module.imports(module)
    .filter((i) => i.module === 'env' && i.kind === 'function')
    .map((i) => i.name);
}

/**
 * Imports for one instance: a WASI preview1 shim (stdout/stderr go to the console, the
 * environment is empty, everything else reports ENOSYS) and throwing stubs for `env` functions
 * the module left undefined.
 */
export function makeImports(module: WebAssembly.Module, getMemory: () => WebAssembly.Memory, sharedMemory?: WebAssembly.Memory): WebAssembly.Imports {
  const ENOSYS = 52,
    EBADF = 8;
  const text = new TextDecoder();
  const wasi: Record<string, (...a: number[]) => number> = {
    environ_sizes_get(countPtr, sizePtr) {
      const dv = new DataView(getMemory().buffer);
      dv.setUint32(countPtr, 0, true);
      dv.setUint32(sizePtr, 0, true);
      return 0;
    },
    environ_get() {
      return 0;
    },
    fd_write(fd, iovs, iovsLen, nwrittenPtr) {
      const mem = getMemory().buffer;
      const dv = new DataView(mem);
      let n = 0,
        s = '';
      for (let i = 0; i < iovsLen; i++) {
        const ptr = dv.getUint32(iovs + 8 * i, true),
          len = dv.getUint32(iovs + 8 * i + 4, true);
        s += text.decode(new Uint8Array(mem, ptr, len).slice());
        n += len;
      }
      dv.setUint32(nwrittenPtr, n, true);
      if (fd === 1 || fd === 2) (fd === 1 ? console.log : console.error)(s.replace(/\n$/, ''));
      return fd === 1 || fd === 2 ? 0 : EBADF;
    },
    fd_close: () => EBADF,
    fd_seek: () => EBADF,
    proc_exit(code) {
      throw new Error(`lamkit wasm: the module called exit(${code})`);
    },
  };
  const imports: WebAssembly.Imports = { wasi_snapshot_preview1: {}, env: {} };
  for (const imp of WebAssembly.Module.imports(module)) {
    if (imp.kind === 'memory') {
      if (!sharedMemory) throw new Error(`lamkit wasm: module imports memory ${imp.module}.${imp.name} but none was given`);
      (imports[imp.module] ??= {})[imp.name] = sharedMemory;
    } else if (imp.kind === 'function') {
      const fn =
        imp.module === 'wasi_snapshot_preview1' && wasi[imp.name]
          ? wasi[imp.name]
          : imp.module === 'wasi_snapshot_preview1'
            ? () => ENOSYS
            : () => {
                throw new Error(`lamkit wasm: ${imp.name} is not part of this wasm build (the kernel was missing when wasm/build.mjs ran)`);
              };
      (imports[imp.module] ??= {})[imp.name] = fn;
    }
  }
  return imports;
}

// ---- workers -------------------------------------------------------------------------------

// The worker body, as source so it needs no separate file (Node: eval worker, browser: Blob URL).
// It instantiates the module on the shared memory, takes its own stack and TLS block, reports
// ready, then parks in lam_wasm_worker_main until lam_wasm_pool_shutdown. A trap inside a
// kernel is reported to the main thread, which stops waiting for this worker.
const WORKER_SOURCE = `
const isNode = typeof self === 'undefined';
const port = isNode ? require('node:worker_threads').parentPort : self;
const post = (m) => port.postMessage(m);
const onMsg = (d) => {
  const { module, memory, id, stackTop, tlsBlock } = d;
  let ex;
  try {
    const env = {};
    const wasi = {};
    for (const imp of WebAssembly.Module.imports(module)) {
      if (imp.kind === 'memory') { (imp.module === 'env' ? env : wasi)[imp.name] = memory; continue; }
      if (imp.kind !== 'function') continue;
      const target = imp.module === 'env' ? env : wasi;
      target[imp.name] = imp.module === 'env'
        ? () => { throw new Error('lamkit wasm worker: ' + imp.name + ' is not part of this build'); }
        : (imp.name === 'proc_exit' ? (c) => { throw new Error('exit(' + c + ')'); } : () => 52);
    }
    const inst = new WebAssembly.Instance(module, { env, wasi_snapshot_preview1: wasi });
    ex = inst.exports;
    ex.__stack_pointer.value = stackTop;
    if (tlsBlock && ex.__wasm_init_tls) ex.__wasm_init_tls(tlsBlock);
    post({ type: 'ready', id });
    ex.lam_wasm_worker_main(id);
    post({ type: 'exit', id });
  } catch (e) {
    try { if (ex) ex.lam_wasm_worker_failed(id); } catch (_) {}
    post({ type: 'error', id, message: String(e && e.stack || e) });
  }
};
if (isNode) port.once('message', onMsg); else self.onmessage = (e) => onMsg(e.data);
`;

interface WorkerLike {
  postMessage(m: unknown): void;
  terminate(): unknown;
  unref?(): void;
}

async function spawnWorker(onMessage: (m: { type: string; id: number; message?: string }) => void): Promise<WorkerLike> {
  if (isNode) {
    const { Worker } = await import('node:worker_threads');
    const w = new Worker(WORKER_SOURCE, { eval: true });
    w.on('message', onMessage);
    w.on('error', (e) => onMessage({ type: 'error', id: -1, message: String(e) }));
    return w;
  }
  const blob = new Blob([WORKER_SOURCE], { type: 'text/javascript' });
  const w = new Worker(URL.createObjectURL(blob));
  w.onmessage = (e: MessageEvent) => onMessage(e.data as { type: string; id: number });
  return w;
}

/** One instantiated module (+ its workers for threaded variants). */
export interface WasmInstance {
  variant: WasmVariant;
  exports: LamWasmExports;
  memory: WebAssembly.Memory;
  /** Kernels absent from this build (imports stubbed to throw). */
  missing: string[];
  /** Heap limit (bytes) the module was linked with. */
  maxMemoryBytes: number;
  /** Worker threads running (threads = workers + 1). */
  workers: number;
  /** Set when a worker died (a trap in a kernel); the instance must not be used after. */
  failure?: string;
  /** Stops the workers. */
  terminate(): Promise<void>;
}

const STACK_BYTES = 1 << 20;

/**
 * Instantiates `variant` from `loc`. `threads` (threaded variants only) is the total thread
 * count including the caller; threads − 1 workers are started and awaited.
 */
export async function instantiateVariant(loc: WasmLocation, manifest: WasmManifest, variant: WasmVariant, threads: number): Promise<WasmInstance> {
  const entry = manifest.variants[variant];
  if (!entry) throw new Error(`wasm variant '${variant}' was not built (manifest lists ${Object.keys(manifest.variants).join(', ') || 'none'})`);
  const bytes = await readBytes(loc, entry.file);
  if (!bytes) throw new Error(`wasm variant '${variant}': ${entry.file} is missing from ${String(loc)}`);
  if (!WebAssembly.validate(bytes)) throw new Error(`wasm variant '${variant}' does not validate in this engine`);
  const module = await WebAssembly.compile(bytes);
  const maxPages = Math.floor(manifest.maxMemoryBytes / 65536);
  let memory: WebAssembly.Memory | undefined;
  const shared = entry.threads;
  if (shared) {
    const min = importedMemoryMinPages(bytes) ?? 32;
    memory = new WebAssembly.Memory({ initial: min, maximum: maxPages, shared: true });
  }
  let instRef: WebAssembly.Instance | undefined;
  const getMemory = () => memory ?? (instRef!.exports.memory as WebAssembly.Memory);
  const inst = await WebAssembly.instantiate(module, makeImports(module, getMemory, memory));
  instRef = inst;
  const ex = inst.exports as unknown as LamWasmExports;
  ex._initialize();
  memory ??= ex.memory!;
  const result: WasmInstance = {
    variant,
    exports: ex,
    memory,
    missing: missingSymbols(module),
    maxMemoryBytes: manifest.maxMemoryBytes,
    workers: 0,
    async terminate() {},
  };
  if (!shared || threads <= 1) return result;

  // Threaded: per-worker stack and TLS block from the heap, then wait until every worker is
  // parked in the pool (the pool protocol assumes a fixed set of workers; see thread_pool_wasm.cpp).
  const nworkers = threads - 1;
  const tlsSize = Number(ex.__tls_size?.value ?? 0),
    tlsAlign = Math.max(16, Number(ex.__tls_align?.value ?? 16));
  ex.lam_wasm_pool_init!(nworkers);
  const workers: WorkerLike[] = [];
  const blocks: number[] = [];
  let readyCount = 0;
  let settle!: (err?: Error) => void;
  const ready = new Promise<void>((res, rej) => (settle = (err) => (err ? rej(err) : res())));
  const onMessage = (m: { type: string; id: number; message?: string }) => {
    if (m.type === 'ready' && ++readyCount === nworkers) settle();
    if (m.type === 'error') {
      result.failure = `wasm worker ${m.id} failed: ${m.message}`;
      settle(new Error(result.failure));
    }
  };
  for (let id = 1; id <= nworkers; id++) {
    const stack = ex.lam_wasm_malloc(STACK_BYTES);
    const tls = tlsSize > 0 ? ex.lam_wasm_malloc(tlsSize + tlsAlign) : 0;
    if (!stack || (tlsSize > 0 && !tls)) throw new Error('lamkit wasm: out of memory allocating worker stacks');
    blocks.push(stack, tls);
    const w = await spawnWorker(onMessage);
    workers.push(w);
    w.postMessage({ module, memory, id, stackTop: (stack + STACK_BYTES) & ~15, tlsBlock: tls ? Math.ceil(tls / tlsAlign) * tlsAlign : 0 });
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, rej) => {
    timer = setTimeout(() => rej(new Error(`lamkit wasm: ${nworkers - readyCount} of ${nworkers} workers did not start within 30 s`)), 30000);
  });
  try {
    await Promise.race([ready, timeout]);
  } catch (e) {
    ex.lam_wasm_pool_shutdown!();
    await Promise.all(workers.map((w) => w.terminate()));
    throw e;
  } finally {
    clearTimeout(timer);
  }
  // Parked workers must not keep a Node process alive once started.
  for (const w of workers) w.unref?.();
  result.workers = nworkers;
  let terminated = false;
  result.terminate = async () => {
    if (terminated) return;
    terminated = true;
    ex.lam_wasm_pool_shutdown!();
    await Promise.all(workers.map((w) => w.terminate()));
  };
  return result;
}
