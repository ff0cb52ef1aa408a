// The wasm backend outside Node: src/backends/wasm.ts bundled for the browser (esbuild,
// platform=browser, node:* left external and never reached) and evaluated in a fresh vm context
// with no `process`, `require` or node:* modules — only browser globals (fetch, URL,
// WebAssembly, navigator, crossOriginIsolated = false). Checks that the loader fetches the
// manifest and module, falls back to the single-threaded SIMD module because the page is not
// cross-origin isolated (and says so), and runs a tape correctly.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import vm from 'node:vm';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { readManifest } from '../../src/backends/wasm-loader.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const built = await readManifest(path.join(ROOT, 'wasm/dist'));

async function bundle(): Promise<string> {
  const out = await build({
    entryPoints: [path.join(ROOT, 'src/backends/wasm.ts')],
    bundle: true,
    platform: 'browser',
    format: 'iife',
    globalName: 'lamkitWasm',
    external: ['node:*'],
    write: false,
    logLevel: 'silent',
  });
  return out.outputFiles[0]!.text;
}

describe('wasm backend in a browser-like context', () => {
  it('reports an engine without WebAssembly as unavailable, saying why', async () => {
    const context = vm.createContext({ URL, TextDecoder, TextEncoder, console });
    vm.runInContext('delete globalThis.WebAssembly', context); // every V8 context has its own
    vm.runInContext(await bundle(), context);
    const api = context.lamkitWasm as typeof import('../../src/backends/wasm.js');
    expect(api.probeWasmFeatures().webAssembly).toBe(false);
    await expect(api.backendFactory.create()).rejects.toThrow(/no WebAssembly in this JavaScript environment/);
  });

  it.skipIf(!built.manifest)(`loads over fetch and runs without Node APIs${built.reason ? ` — skipped: ${built.reason}` : ''}`, async () => {
    const code = await bundle();
    const fetched: string[] = [];
    const context = vm.createContext({
      WebAssembly,
      URL,
      TextDecoder,
      TextEncoder,
      performance,
      console,
      navigator: { hardwareConcurrency: 4 },
      crossOriginIsolated: false,
      location: { href: 'https://example.test/app/' },
      async fetch(url: URL | string) {
        const u = new URL(String(url));
        fetched.push(path.basename(u.pathname));
        const file = fileURLToPath(u);
        if (!fs.existsSync(file)) return new Response('not found', { status: 404 });
        return new Response(fs.readFileSync(file));
      },
      Response,
    });
    vm.runInContext(code, context);
    const api = context.lamkitWasm as typeof import('../../src/backends/wasm.js');
    const b = await api.createWasmBackend({ location: pathToFileURL(path.join(ROOT, 'wasm/dist/')).href });
    try {
      expect(fetched).toEqual(['manifest.json', built.manifest!.variants.simd!.file]);
      expect(b.variant).toBe('simd');
      expect(String(b.info().isa)).toMatch(/cross-origin isolated/);
      // y = 3·x over 5 steps through FEED / scale / OUTPUT. Typed arrays come from the
      // context's own realm, as a page's would.
      const I32 = vm.runInContext('Int32Array', context) as Int32ArrayConstructor;
      const F32 = vm.runInContext('Float32Array', context) as Float32ArrayConstructor;
      const three = new Int32Array(new Float32Array([3]).buffer)[0]!;
      const exe = b.compile({ tape: new I32([1, 3, 0, 0, 2, 32, 5, 0, 2, 2, three, 0, 2, 3, 2, 0, 2]), arenaFloats: 4, feedFloatsPerStep: 2, outFloatsPerStep: 2 });
      const y = exe.run(new F32([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]), { steps: 5 });
      expect(Array.from(y)).toEqual([3, 6, 9, 12, 15, 18, 21, 24, 27, 30]);
      exe.dispose();
    } finally {
      await b.terminate();
    }
  });
});
