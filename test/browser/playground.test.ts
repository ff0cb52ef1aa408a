// The playground in a real browser: Debian's Chromium driven by playwright-core. Loads the page
// from `lamkit serve`, trains linear-exo on the wasm backend for a few hundred steps, checks the
// probes against the closed form, runs the ONNX export with onnxruntime-web in the page, runs
// the gpu.js kernels (recording WebGL or the fallback), checks validation and the
// missing-feature fallbacks, and saves a screenshot plus the timings to dist/test-artifacts/.
// Skips (printing why) when Chromium is absent: `apt-get install -y chromium`.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../../src/cli/serve.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const artifacts = join(root, 'dist', 'test-artifacts');
const CHROMIUM = process.env.LAMKIT_CHROMIUM ?? ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
// Steps trained in the page: "a few hundred", the same schedule `lamkit analyze --mode trained` uses.
const STEPS = 600;
// Probe tolerance vs closed form: the trained-vs-closed-form tolerance of test/science (±0.05).
const TOL = 0.05;

const skipReason = CHROMIUM ? undefined : 'Chromium not found (apt-get install -y chromium, or set LAMKIT_CHROMIUM)';
if (skipReason) console.log(`test/browser/playground: skipped — ${skipReason}`);

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

describe.skipIf(!!skipReason)('playground in Chromium', () => {
  let server: RunningServer;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  let browser: any;
  const record: Record<string, unknown> = {};

  beforeAll(async () => {
    const b = spawnSync(process.execPath, [join(root, 'scripts', 'build-web.mjs')], { encoding: 'utf8' });
    if (b.status !== 0) throw new Error(`build-web failed: ${b.stderr || b.stdout}`);
    server = await startServer({ port: 0, root: join(root, 'dist', 'web') });
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      // SwiftShader gives headless Chromium a (software) WebGL; no sandbox inside CI containers.
      args: ['--no-sandbox', '--enable-unsafe-swiftshader', '--ignore-gpu-blocklist'],
    });
    mkdirSync(artifacts, { recursive: true });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (Object.keys(record).length) {
      writeFileSync(join(artifacts, 'browser-results.json'), `${JSON.stringify(record, null, 2)}\n`);
      console.log(`browser results: ${JSON.stringify(record)}`);
    }
  });

  it(`trains linear-exo in the page (${STEPS} steps), probes within ±${TOL} of the closed form, ONNX runs in-page`, async () => {
    const page = await browser.newPage();
    const logs: string[] = [];
    page.on('console', (m: Any) => logs.push(`${m.type()}: ${m.text()}`));
    page.on('pageerror', (e: Error) => logs.push(`pageerror: ${e.message}`));
    await page.goto(server.url);
    await page.waitForFunction(() => (window as Any).lamkit !== undefined);
    const features = await page.evaluate(() => (window as Any).lamkit.features);
    record.features = features;
    expect(features.webAssembly).toBe(true);
    expect(features.crossOriginIsolated, 'served with COOP/COEP').toBe(true);
    await page.fill('#steps', String(STEPS));
    await page.click('#train');
    await page.waitForFunction(() => ['done', 'error'].includes((window as Any).lamkit.status), null, { timeout: 240_000 });
    const st = await page.evaluate(() => (window as Any).lamkit);
    if (st.status !== 'done') throw new Error(`training failed in the page: ${st.errors.join('\n')}\n${logs.join('\n')}`);
    await page.screenshot({ path: join(artifacts, 'playground.png'), fullPage: true });
    const r = st.result;
    record.train = { backend: st.backend, steps: r.steps, seconds: r.seconds, stepsPerSec: r.stepsPerSec };
    record.probes = { trained: r.trained, closedForm: r.closedForm };
    record.onnx = st.onnx;
    expect(st.backend.name).toBe('wasm');
    expect(st.losses.length).toBeGreaterThanOrEqual(STEPS / 20);
    expect(st.losses[st.losses.length - 1].loss).toBeLessThan(st.losses[0].loss);
    expect(Math.abs(r.trained.r2.action - r.closedForm.r2.action), `R²(a|z̃) ${r.trained.r2.action} vs ${r.closedForm.r2.action}`).toBeLessThan(TOL);
    expect(Math.abs(r.trained.r2.xi - r.closedForm.r2.xi), `R²(ξ|z̃) ${r.trained.r2.xi} vs ${r.closedForm.r2.xi}`).toBeLessThan(TOL);
    expect(Math.abs(r.trained.s_exo - r.closedForm.s_exo), `S_exo ${r.trained.s_exo} vs ${r.closedForm.s_exo}`).toBeLessThan(TOL);
    expect(st.onnx.ok, `onnx: ${JSON.stringify(st.onnx)}`).toBe(true);
    expect(st.onnx.maxAbsErr).toBeLessThan(1e-4);
    await page.close();
  }, 300_000);

  it('runs the gpu.js kernels in the page and records the mode (WebGL or fallback)', async () => {
    const page = await browser.newPage();
    await page.goto(server.url);
    await page.click('#gpujs-run');
    await page.waitForFunction(() => (window as Any).lamkit.gpujs !== undefined, null, { timeout: 180_000 });
    const g = await page.evaluate(() => (window as Any).lamkit.gpujs);
    record.gpujs = g;
    console.log(`gpu.js in Chromium: ${JSON.stringify(g)}`);
    expect(g.error).toBeUndefined();
    expect(['webgl2', 'webgl', 'webasm', 'cpu']).toContain(g.mode);
    expect(g.train.relDiff, 'gpu.js training tape vs reference').toBeLessThan(2e-3);
    expect(g.fallbacks, 'every gpu.js kernel ran in the chosen mode').toEqual([]);
    expect(g.ok, JSON.stringify(g.ops)).toBe(true);
    await page.close();
  }, 200_000);

  it('validates inputs with the ranges of lamkit analyze', async () => {
    const page = await browser.newPage();
    await page.goto(server.url);
    const check = async (id: string, value: string, msg: RegExp) => {
      await page.fill(`#${id}`, value);
      await page.dispatchEvent(`#${id}`, 'input');
      expect(await page.textContent('#errors')).toMatch(msg);
      expect(await page.isDisabled('#train')).toBe(true);
    };
    await check('sigma-xi-text', '-1', /--sigma-xi: expected a positive number/);
    await page.fill('#sigma-xi-text', '1');
    await check('k-text', '0', /--k \(latent dim k\) must be an integer in \[1, d_o = 64\], got 0/);
    await check('k-text', '65', /got 65/);
    await page.fill('#k-text', '4');
    await page.selectOption('#objective', 'repr');
    await check('gamma-text', 'x', /γ \(exogenous gain\) must be a number in \[0, ∞\)/);
    await page.fill('#gamma-text', '0.5');
    await page.selectOption('#objective', 'sup');
    await check('lambda-text', '-2', /λ \(supervision weight\) must be a number in \[0, ∞\)/);
    await page.fill('#lambda-text', '1');
    await page.dispatchEvent('#lambda-text', 'input');
    expect(await page.textContent('#errors')).toBe('');
    expect(await page.isDisabled('#train')).toBe(false);
    await page.close();
  }, 60_000);

  it('without WebAssembly SIMD and WebGL the page lists both and falls back', async () => {
    const ctx = await browser.newContext();
    // Hide SIMD (the feature-probe modules carrying a v128 opcode fail validation) and WebGL.
    await ctx.addInitScript(() => {
      const validate = WebAssembly.validate.bind(WebAssembly);
      WebAssembly.validate = (b: Any) => {
        const u = new Uint8Array(b instanceof ArrayBuffer ? b : b.buffer ?? b);
        // Only the tiny feature-probe modules (lamkit's and gpu.js's) are refused; real modules pass.
        if (u.length < 100) for (let i = 8; i < u.length; i++) if (u[i] === 0xfd) return false;
        return validate(b);
      };
      const get = HTMLCanvasElement.prototype.getContext;
      HTMLCanvasElement.prototype.getContext = function (this: HTMLCanvasElement, kind: string, ...rest: Any[]) {
        return /webgl/.test(kind) ? null : (get as Any).call(this, kind, ...rest);
      } as Any;
    });
    const page = await ctx.newPage();
    await page.goto(server.url);
    const f = await page.evaluate(() => (window as Any).lamkit.features);
    expect(f.simd).toBe(false);
    expect(f.webgl).toBe(false);
    const missing = await page.textContent('#missing');
    expect(missing).toMatch(/WebAssembly SIMD: missing/);
    expect(missing).toMatch(/WebGL: missing/);
    await page.click('#gpujs-run');
    await page.waitForFunction(() => (window as Any).lamkit.gpujs !== undefined, null, { timeout: 180_000 });
    const g = await page.evaluate(() => (window as Any).lamkit.gpujs);
    record.gpujsWithoutWebgl = g;
    console.log(`gpu.js without WebGL/SIMD: ${JSON.stringify(g)}`);
    expect(['webasm', 'cpu']).toContain(g.mode);
    expect(g.ok).toBe(true);
    await ctx.close();
  }, 200_000);

  it('records in-browser steps/s beside wasm in Node (same preset, steps and schedule)', async () => {
    const { LinearExo } = await import('../../src/data/linear-exo.js');
    const { trainLinearLam } = await import('../../src/lam/linear-objectives.js');
    const gen = new LinearExo({ sigmaXi: 1, seed: 0 });
    const t = await trainLinearLam(gen, { kind: 'recon' }, { k: 4, steps: STEPS, backend: 'wasm', chunk: 20 });
    record.node = { backend: t.backend, steps: t.steps, seconds: t.seconds, stepsPerSec: t.steps / t.seconds };
    console.log(`linear-exo ${STEPS} steps: browser ${JSON.stringify(record.train)}; node ${JSON.stringify(record.node)}`);
    expect(t.backend).toBe('wasm');
    expect(t.steps / t.seconds).toBeGreaterThan(0);
  }, 120_000);
});
