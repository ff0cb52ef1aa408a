#!/usr/bin/env node
// Builds the playground into dist/web/: esbuild bundles web/main.ts (page) and web/worker.ts
// (training worker) for browsers, and copies the static files, the lamkit wasm modules
// (wasm/dist → dist/web/wasm/) and onnxruntime-web's wasm runtime (→ dist/web/ort/), so the page
// needs nothing from a CDN. Node-only branches of shared code (`await import('node:fs')` …)
// resolve to a stub that throws if ever reached. Usage: node scripts/build-web.mjs [--minify]
import { build } from 'esbuild';
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'web');
const minify = process.argv.includes('--minify');

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

// node:* builtins only appear in Node-only branches; the stub keeps the bundle loadable.
const NODE_NAMES = ['parseArgs', 'createRequire', 'fileURLToPath', 'pathToFileURL', 'cpus', 'availableParallelism', 'existsSync', 'readFileSync',
  'writeFileSync', 'mkdirSync', 'readdirSync', 'statSync', 'rmSync', 'dirname', 'join', 'resolve', 'basename', 'relative', 'isAbsolute',
  'extname', 'sep', 'Worker', 'parentPort', 'isMainThread', 'workerData', 'randomUUID', 'createHash', 'performance', 'promisify', 'format',
  'inspect', 'readFile', 'writeFile', 'mkdir', 'spawnSync', 'execFileSync', 'homedir', 'tmpdir', 'platform', 'arch'];
const nodeStub = {
  name: 'node-stub',
  setup(b) {
    b.onResolve({ filter: /^node:/ }, (a) => ({ path: a.path, namespace: 'node-stub' }));
    b.onLoad({ filter: /.*/, namespace: 'node-stub' }, (a) => ({
      contents: `const fail = () => { throw new Error('${a.path} is not available in a browser'); };
export const ${NODE_NAMES.join(' = fail, ')} = fail;
export default new Proxy({}, { get: () => fail });`,
      loader: 'js',
    }));
  },
};

const t0 = Date.now();
await build({
  entryPoints: { main: join(root, 'web', 'main.ts'), worker: join(root, 'web', 'worker.ts') },
  outdir: out,
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['chrome109', 'firefox115', 'safari16'],
  // gpu.js's "browser" field points at its self-contained dist bundle.
  mainFields: ['browser', 'module', 'main'],
  sourcemap: true,
  minify,
  // Keep function sources readable: gpu.js parses kernel functions from their source text.
  keepNames: true,
  define: { 'process.env.NODE_ENV': '"production"' },
  plugins: [nodeStub],
  logLevel: 'warning',
});

for (const f of ['index.html', 'style.css']) copyFileSync(join(root, 'web', f), join(out, f));

const wasmSrc = join(root, 'wasm', 'dist');
const wasmOut = join(out, 'wasm');
mkdirSync(wasmOut, { recursive: true });
if (existsSync(wasmSrc)) {
  for (const f of readdirSync(wasmSrc)) if (f.endsWith('.wasm') || f.endsWith('.json')) copyFileSync(join(wasmSrc, f), join(wasmOut, f));
} else {
  console.warn('build-web: wasm/dist is missing (run `npm run build:wasm`); the page will fall back to the JS reference backend');
}

const ortSrc = join(root, 'node_modules', 'onnxruntime-web', 'dist');
const ortOut = join(out, 'ort');
mkdirSync(ortOut, { recursive: true });
for (const f of ['ort-wasm-simd-threaded.wasm', 'ort-wasm-simd-threaded.mjs']) copyFileSync(join(ortSrc, f), join(ortOut, f));

console.log(`build-web: dist/web built in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
