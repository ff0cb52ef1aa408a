#!/usr/bin/env node
// Builds the lamkit WebAssembly modules from the same C++ as the native addon, with a clang
// that comes from npm (@yowasp/clang: clang + wasm-ld compiled to wasm, wasi-libc sysroot).
// No emscripten and no system toolchain.
//
//   node wasm/build.mjs [--force] [--jobs N] [--variant name,...]
//
// Sources: native/kernels/*.cpp (not *_avx2 / *_avx512), native/runtime/*.cpp (not
// thread_pool.cpp — wasm/src/thread_pool_wasm.cpp replaces it), wasm/src/*.cpp (wasm entry,
// worker pool, malloc lock). Output: wasm/dist/lamkit-<variant>.wasm + wasm/dist/manifest.json.
//
// Variants (the backend picks the best one the engine validates):
//   baseline    wasm32 MVP + bulk memory, no SIMD, single thread
//   simd        -msimd128, single thread
//   simd-mt     -msimd128 + atomics, imported shared memory, a worker pool driven from JS
//   relaxed-mt  simd-mt + -mrelaxed-simd (fused multiply-add in the GEMM micro-kernel)
//
// Object files are cached by a hash of (clang version, flags, source, every header), so a
// re-run after touching one kernel recompiles that kernel only. A failure never fails
// `npm install`: it prints why, writes wasm/dist/build-status.json and exits 0; the wasm
// backend then reports itself unavailable with that reason.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..');
const DIST = path.join(HERE, 'dist');
const CACHE = path.join(DIST, '.cache');

// 4 GiB − 64 KiB: the whole wasm32 address space (the last page stays unused so a pointer
// never wraps to 0). The backend reports this as the heap limit on out-of-memory.
export const MAX_MEMORY_BYTES = 65535 * 65536;
const STACK_BYTES = 1 << 20; // main-thread stack; kernels keep small tiles on the stack

export const VARIANTS = {
  baseline: { flags: ['-mbulk-memory', '-mnontrapping-fptoint', '-msign-ext'], threads: false, simd: false, relaxed: false },
  simd: { flags: ['-msimd128', '-mbulk-memory', '-mnontrapping-fptoint', '-msign-ext'], threads: false, simd: true, relaxed: false },
  'simd-mt': { flags: ['-msimd128', '-matomics', '-mbulk-memory', '-mnontrapping-fptoint', '-msign-ext'], threads: true, simd: true, relaxed: false },
  'relaxed-mt': {
    flags: ['-msimd128', '-mrelaxed-simd', '-matomics', '-mbulk-memory', '-mnontrapping-fptoint', '-msign-ext'],
    threads: true,
    simd: true,
    relaxed: true,
  },
};

const COMMON_FLAGS = [
  '--target=wasm32-wasip1',
  '-O3',
  '-std=c++17',
  '-DNDEBUG',
  // No -ffast-math: kernels must keep NaN and match the float64 reference. Exceptions stay
  // syntactically on (the executor has a try for std::bad_alloc); without wasm EH a throw
  // aborts, and allocation failures surface as NULL from new (std::nothrow) instead.
  '-fno-rtti',
  '-Inative/include',
  '-Inative',
  '-Iwasm/src',
];

function log(msg) {
  process.stdout.write(`[build:wasm] ${msg}\n`);
}

function listSources() {
  const pick = (dir, keep) =>
    fs.existsSync(path.join(ROOT, dir))
      ? fs
          .readdirSync(path.join(ROOT, dir))
          .filter((f) => f.endsWith('.cpp') && keep(f))
          .sort()
          .map((f) => `${dir}/${f}`)
      : [];
  return [
    ...pick('native/kernels', (f) => !/_avx2\.cpp$|_avx512\.cpp$/.test(f)),
    ...pick('native/runtime', (f) => f !== 'thread_pool.cpp'),
    ...pick('wasm/src', () => true),
  ];
}

function listHeaders() {
  const out = [];
  const walk = (dir) => {
    const abs = path.join(ROOT, dir);
    if (!fs.existsSync(abs)) return;
    for (const e of fs.readdirSync(abs, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const rel = `${dir}/${e.name}`;
      if (e.isDirectory()) walk(rel);
      else if (/\.(h|hpp|inc)$/.test(e.name)) out.push(rel);
    }
  };
  for (const d of ['native/include', 'native/kernels', 'native/runtime', 'wasm/src']) walk(d);
  return out;
}

// The virtual file tree handed to clang: every header and the sources, by relative path.
function buildTree(files) {
  const tree = {};
  for (const rel of files) {
    const parts = rel.split('/');
    let node = tree;
    for (const p of parts.slice(0, -1)) node = node[p] ??= {};
    node[parts[parts.length - 1]] = fs.readFileSync(path.join(ROOT, rel));
  }
  return tree;
}

// Headers a source includes, transitively (quoted and <lamkit/…> includes resolved against the
// same -I paths clang gets). A source's cache key covers exactly these, so editing one kernel's
// header does not rebuild every object.
const INCLUDE_DIRS = ['native/include', 'native', 'wasm/src'];
function includeClosure(src) {
  const seen = new Set();
  const stack = [src];
  while (stack.length) {
    const file = stack.pop();
    const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
    for (const m of text.matchAll(/^\s*#\s*include\s*[<"]([^>"]+)[>"]/gm)) {
      for (const dir of [path.posix.dirname(file), ...INCLUDE_DIRS]) {
        const rel = path.posix.normalize(`${dir}/${m[1]}`);
        if (fs.existsSync(path.join(ROOT, rel))) {
          if (!seen.has(rel)) {
            seen.add(rel);
            stack.push(rel);
          }
          break;
        }
      }
    }
  }
  return [...seen].sort();
}

function sha256(...parts) {
  const h = createHash('sha256');
  for (const p of parts) h.update(typeof p === 'string' ? p : Buffer.from(p)).update('\0');
  return h.digest('hex');
}

// Exported C ABI: every lam_* function declared in the public headers (kernels.h, executor.h).
function exportedSymbols() {
  const names = new Set();
  for (const h of ['native/include/lamkit/kernels.h', 'native/include/lamkit/executor.h']) {
    const p = path.join(ROOT, h);
    if (!fs.existsSync(p)) continue;
    const text = fs.readFileSync(p, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
    for (const m of text.matchAll(/\b(lam_[a-z0-9_]+)\s*\(/g)) names.add(m[1]);
  }
  return [...names].sort();
}

// Our own entry points (wasm/src): pool control, worker main, memory/feature queries.
function wasmEntrySymbols() {
  const names = new Set();
  const dir = path.join(ROOT, 'wasm/src');
  if (!fs.existsSync(dir)) return [];
  for (const f of fs.readdirSync(dir)) {
    if (!f.endsWith('.cpp')) continue;
    const text = fs.readFileSync(path.join(dir, f), 'utf8');
    for (const m of text.matchAll(/LAM_WASM_EXPORT\s+[\w\s\*]+?\b(lam_wasm_[a-z0-9_]+)\s*\(/g)) names.add(m[1]);
  }
  return [...names].sort();
}

// ---- compile workers ----------------------------------------------------------------------

async function loadClang() {
  const mod = await import('@yowasp/clang');
  // Load the toolchain resources once, silently (the default prints download progress).
  await mod.runLLVM(null, {}, { fetchProgress: () => {} });
  return mod;
}

async function runQuiet(cmd, args, tree) {
  let err = '';
  const dec = new TextDecoder();
  const opts = {
    stdout: (b) => {
      if (b) err += dec.decode(b);
    },
    stderr: (b) => {
      if (b) err += dec.decode(b);
    },
    // @yowasp/runtime prints resource-fetch progress to stderr unless given a callback.
    fetchProgress: () => {},
  };
  try {
    const out = await cmd(args, tree, opts);
    return { out, log: err };
  } catch (e) {
    const msg = e && e.message ? e.message : String(e);
    throw new Error(`${args.join(' ')}\n${err}${msg}`);
  }
}

if (!isMainThread && workerData && workerData.role === 'compile') {
  const clang = await loadClang();
  parentPort.on('message', async (job) => {
    try {
      const tree = buildTree(job.files);
      const { out, log: text } = await runQuiet(clang.runClang, ['clang++', ...job.args, '-c', job.src, '-o', 'out.o'], tree);
      parentPort.postMessage({ id: job.id, ok: true, obj: out['out.o'], log: text });
    } catch (e) {
      parentPort.postMessage({ id: job.id, ok: false, error: String(e.message ?? e) });
    }
  });
  parentPort.postMessage({ ready: true });
}

class CompilePool {
  constructor(n) {
    this.workers = [];
    this.queue = [];
    this.pending = new Map();
    this.nextId = 1;
    this.n = n;
  }
  async start() {
    const ready = [];
    for (let i = 0; i < this.n; i++) {
      const w = new Worker(fileURLToPath(import.meta.url), { workerData: { role: 'compile' } });
      const entry = { w, busy: false };
      ready.push(
        new Promise((res, rej) => {
          const onMsg = (m) => {
            if (m.ready) {
              res();
              return;
            }
            const p = this.pending.get(m.id);
            this.pending.delete(m.id);
            entry.busy = false;
            p(m);
            this.pump();
          };
          w.on('message', onMsg);
          w.on('error', rej);
        }),
      );
      this.workers.push(entry);
    }
    await Promise.all(ready);
  }
  compile(job) {
    return new Promise((res) => {
      this.queue.push({ job: { ...job, id: this.nextId++ }, res });
      this.pump();
    });
  }
  pump() {
    for (const entry of this.workers) {
      if (entry.busy || this.queue.length === 0) continue;
      const { job, res } = this.queue.shift();
      entry.busy = true;
      this.pending.set(job.id, res);
      entry.w.postMessage(job);
    }
  }
  async close() {
    await Promise.all(this.workers.map((e) => e.w.terminate()));
  }
}

// ---- main ---------------------------------------------------------------------------------

function parseArgs(argv) {
  const o = { force: false, jobs: Math.max(1, Math.min(2, os.availableParallelism?.() ?? os.cpus().length)), variants: Object.keys(VARIANTS) };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--force') o.force = true;
    else if (a === '--jobs') o.jobs = Math.max(1, Number(argv[++i]) || 1);
    else if (a === '--variant') o.variants = argv[++i].split(',');
    else throw new Error(`unknown argument '${a}'; expected --force, --jobs N, --variant a,b`);
  }
  for (const v of o.variants) if (!VARIANTS[v]) throw new Error(`unknown variant '${v}'; expected one of ${Object.keys(VARIANTS).join(', ')}`);
  return o;
}

function linkArgs(variant, objs) {
  const v = VARIANTS[variant];
  const exports = [...exportedSymbols(), ...wasmEntrySymbols()];
  const wl = [
    `--max-memory=${MAX_MEMORY_BYTES}`,
    `-z,stack-size=${STACK_BYTES}`,
    '--export=malloc',
    '--export=free',
    // A kernel that is declared but not written yet becomes an import the loader stubs out
    // (it throws naming the kernel) and supports() reports false, instead of failing the build.
    '--allow-undefined',
    ...exports.map((s) => `--export-if-defined=${s}`),
  ];
  if (v.threads) {
    // Shared memory imported from JS so every worker instance sees the same heap. wasi-libc in
    // this sysroot is the single-threaded build: --no-check-features lets it link into a
    // shared-memory module; malloc & co. are wrapped with a lock (wasm/src/malloc_lock_mt.cpp).
    wl.push(
      '--import-memory',
      '--shared-memory',
      '--no-check-features',
      '--export=__stack_pointer',
      '--export-if-defined=__wasm_init_tls',
      '--export-if-defined=__tls_base',
      '--export-if-defined=__tls_size',
      '--export-if-defined=__tls_align',
      ...['malloc', 'free', 'calloc', 'realloc', 'aligned_alloc', 'posix_memalign'].map((s) => `--wrap=${s}`),
    );
  }
  return ['clang++', ...COMMON_FLAGS, ...v.flags, '-mexec-model=reactor', ...objs, '-o', 'out.wasm', ...wl.map((w) => `-Wl,${w}`)];
}

function objectsFor(variant, sources) {
  const v = VARIANTS[variant];
  // *_mt.cpp files (the malloc lock) only make sense with shared memory.
  return sources.filter((s) => v.threads || !/_mt\.cpp$/.test(s));
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const t0 = Date.now();
  fs.mkdirSync(CACHE, { recursive: true });
  const clangPkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules/@yowasp/clang/package.json'), 'utf8'));
  const clangVersion = clangPkg.version;
  const sources = listSources();
  const headers = listHeaders();
  const depHash = (src) => sha256(...includeClosure(src).flatMap((h) => [h, fs.readFileSync(path.join(ROOT, h))]));
  const buildScriptHash = sha256(fs.readFileSync(fileURLToPath(import.meta.url)));
  const treeFiles = [...headers, ...sources];

  const manifestPath = path.join(DIST, 'manifest.json');
  const old = fs.existsSync(manifestPath) ? JSON.parse(fs.readFileSync(manifestPath, 'utf8')) : { variants: {} };
  const manifest = { clang: clangVersion, maxMemoryBytes: MAX_MEMORY_BYTES, variants: { ...old.variants }, built: new Date().toISOString() };

  // Plan: which objects need compiling.
  const jobs = [];
  const plan = {};
  for (const variant of opts.variants) {
    const v = VARIANTS[variant];
    const args = [...COMMON_FLAGS, ...v.flags];
    const objs = [];
    for (const src of objectsFor(variant, sources)) {
      const key = sha256(clangVersion, args.join(' '), src, fs.readFileSync(path.join(ROOT, src)), depHash(src));
      const objPath = path.join(CACHE, `${key}.o`);
      objs.push({ src, objPath });
      if (!fs.existsSync(objPath) || opts.force) jobs.push({ src, args, objPath, variant });
    }
    const linkKey = sha256(clangVersion, buildScriptHash, variant, ...objs.map((o) => path.basename(o.objPath)));
    plan[variant] = { objs, linkKey };
  }

  const failures = [];
  if (jobs.length > 0) {
    log(`compiling ${jobs.length} object(s) with @yowasp/clang ${clangVersion}, ${opts.jobs} job(s)…`);
    const pool = new CompilePool(Math.min(opts.jobs, jobs.length));
    await pool.start();
    let done = 0;
    await Promise.all(
      jobs.map(async (j) => {
        const r = await pool.compile({ src: j.src, args: j.args, files: treeFiles });
        done++;
        if (r.ok) {
          fs.writeFileSync(j.objPath + '.tmp', r.obj);
          fs.renameSync(j.objPath + '.tmp', j.objPath);
          if (r.log.trim()) log(`${j.variant} ${j.src}: ${r.log.trim()}`);
        } else {
          failures.push(`${j.variant} ${j.src}:\n${r.error}`);
        }
        if (done % 8 === 0 || done === jobs.length) log(`  ${done}/${jobs.length} objects`);
      }),
    );
    await pool.close();
  }
  if (failures.length) throw new Error(`compilation failed:\n${failures.join('\n')}`);

  const clang = await loadClang();
  for (const variant of opts.variants) {
    const { objs, linkKey } = plan[variant];
    const outName = `lamkit-${variant}.wasm`;
    const outPath = path.join(DIST, outName);
    const prev = old.variants?.[variant];
    if (!opts.force && prev && prev.linkKey === linkKey && fs.existsSync(outPath)) {
      manifest.variants[variant] = prev;
      log(`${variant}: up to date (${outName})`);
      continue;
    }
    const tree = {};
    objs.forEach((o, i) => (tree[`o${i}.o`] = fs.readFileSync(o.objPath)));
    const { out, log: text } = await runQuiet(clang.runClang, linkArgs(variant, objs.map((_, i) => `o${i}.o`)), tree);
    if (text.trim()) log(`${variant} link: ${text.trim()}`);
    const wasm = out['out.wasm'];
    if (!wasm) throw new Error(`link of ${variant} produced no output`);
    fs.writeFileSync(outPath, wasm);
    const v = VARIANTS[variant];
    manifest.variants[variant] = {
      file: outName,
      sha256: sha256(wasm),
      bytes: wasm.length,
      linkKey,
      threads: v.threads,
      simd: v.simd,
      relaxedSimd: v.relaxed,
      sources: objs.map((o) => o.src),
    };
    log(`${variant}: ${outName} ${(wasm.length / 1024).toFixed(0)} KiB`);
  }
  fs.writeFileSync(manifestPath, JSON.stringify(manifest, null, 2) + '\n');
  // Drop cached objects no variant uses any more (after a full build only, so --variant runs
  // keep the other variants' objects).
  if (opts.variants.length === Object.keys(VARIANTS).length) {
    const keep = new Set(Object.values(plan).flatMap((p) => p.objs.map((o) => path.basename(o.objPath))));
    let dropped = 0;
    for (const f of fs.readdirSync(CACHE)) {
      if (f.endsWith('.o') && !keep.has(f)) {
        fs.rmSync(path.join(CACHE, f), { force: true });
        dropped++;
      }
    }
    if (dropped) log(`pruned ${dropped} stale cached object(s)`);
  }
  fs.writeFileSync(path.join(DIST, 'build-status.json'), JSON.stringify({ ok: true, when: manifest.built }, null, 2) + '\n');
  log(`done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

if (isMainThread) {
  main().catch((e) => {
    const reason = String(e && e.message ? e.message : e);
    process.stdout.write(`[build:wasm] WASM build skipped: ${reason}\n[build:wasm] the wasm backend will report itself unavailable.\n`);
    try {
      fs.mkdirSync(DIST, { recursive: true });
      fs.writeFileSync(path.join(DIST, 'build-status.json'), JSON.stringify({ ok: false, reason: reason.slice(0, 4000), when: new Date().toISOString() }, null, 2) + '\n');
    } catch {
      /* nothing more we can do */
    }
    process.exitCode = 0;
  });
}
