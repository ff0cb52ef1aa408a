#!/usr/bin/env node
/**
 * Same-process A/B of the two native conv2d forward paths per layer: im2col + SGEMM
 * (LAMKIT_CONV_DIRECT=0), the direct AVX2 kernel (=1, native/kernels/conv2d_direct_avx2.cpp)
 * and the automatic choice (unset: the rule in native/kernels/conv2d_direct.cpp).
 *
 *   npm run build:ts && npm run build:native
 *   node benchmarks/onnx/conv-direct-ab.mjs [--layers conv64|grid32|all] [--batches 1,32,64]
 *                                           [--threads 1,2] [--rounds 7] [--json FILE]
 *
 * Layers: conv64's forward convs (IDM 6→32→64→128→128, FDM encoder 3→32) and the convs its
 * training step runs for the conv_transpose backward-input (128→128 at 8², 64→256 at 16²,
 * 32→128 at 32², 3→64 at 64²), all k4 s2 p1; grid32's the same at 32² with 8/16/32/32 channels.
 * Each (layer, batch, threads) runs one prepared conv2d instruction (src/backends/single-op.ts)
 * in alternating rounds im2col → direct → auto → …; the env var is read by the addon per call.
 * Per mode: best-round wall ms per call and best-round CPU ms per call (user + sys of the whole
 * process, so spinning pool workers count). On a shared, loaded machine compare CPU at
 * threads = 1 and the best wall at threads = 2; `auto/best` ≈ 1.00 means the rule picked the
 * faster path. Needs an AVX2 (or AVX-512) CPU, else the direct kernel never runs.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dist = join(root, 'dist', 'src');
if (!existsSync(join(dist, 'backends', 'single-op.js'))) {
  console.error('benchmarks/onnx: dist/ is missing; run `npm run build:ts` first');
  process.exit(2);
}
const { values } = parseArgs({
  options: {
    layers: { type: 'string', default: 'conv64' },
    batches: { type: 'string', default: '1,32,64' },
    threads: { type: 'string', default: '1,2' },
    rounds: { type: 'string', default: '7' },
    json: { type: 'string' },
  },
});
const list = (flag, v) =>
  v.split(',').map((s) => {
    const n = Number(s);
    if (!Number.isInteger(n) || n < 1) {
      console.error(`conv-direct-ab: --${flag} must be positive integers separated by commas, got '${v}'`);
      process.exit(2);
    }
    return n;
  });
const batches = list('batches', values.batches);
const threadList = list('threads', values.threads);
const [rounds] = list('rounds', values.rounds);

// [name, C, H (= W), OC]; every layer is k4 s2 p1 → H/2.
const LAYERS = {
  conv64: [
    ['idm.conv1', 6, 64, 32], ['idm.conv2', 32, 32, 64], ['idm.conv3', 64, 16, 128], ['idm.conv4', 128, 8, 128],
    ['enc.conv1', 3, 64, 32], ['convT1.dx', 128, 8, 128], ['convT2.dx', 64, 16, 256], ['convT3.dx', 32, 32, 128],
    ['convT4.dx', 3, 64, 64],
  ],
  grid32: [
    ['g.idm.conv1', 2, 32, 8], ['g.idm.conv2', 8, 16, 16], ['g.idm.conv3', 16, 8, 32], ['g.idm.conv4', 32, 4, 32],
    ['g.convT1.dx', 32, 4, 32], ['g.convT2.dx', 16, 8, 64], ['g.convT3.dx', 8, 16, 32], ['g.convT4.dx', 1, 32, 16],
  ],
};
if (values.layers !== 'all' && !LAYERS[values.layers]) {
  console.error(`conv-direct-ab: --layers must be conv64, grid32 or all, got '${values.layers}'`);
  process.exit(2);
}
const layers = values.layers === 'all' ? [...LAYERS.conv64, ...LAYERS.grid32] : LAYERS[values.layers];

const { probeBackends } = await import(join(dist, 'backends', 'registry.js'));
const { prepareSingleOp } = await import(join(dist, 'backends', 'single-op.js'));
const native = (await probeBackends()).find((b) => b.name === 'native-cpu');
if (!native?.backend) {
  console.error(`conv-direct-ab: native-cpu unavailable (${native?.reason}); run npm run build:native`);
  process.exit(2);
}
const backend = native.backend;
const isa = backend.info().isa;
if (isa !== 'avx2' && isa !== 'avx512') console.warn(`conv-direct-ab: ISA ${isa}: the direct kernel never runs here`);

const cpuMs = () => {
  const u = process.resourceUsage();
  return (u.userCPUTime + u.systemCPUTime) / 1000;
};
const MODES = [['im2col', '0'], ['direct', '1'], ['auto', undefined]];
const saved = process.env.LAMKIT_CONV_DIRECT;
const setMode = (v) => {
  if (v === undefined) delete process.env.LAMKIT_CONV_DIRECT;
  else process.env.LAMKIT_CONV_DIRECT = v;
};

const rows = [];
console.log(`conv2d forward, im2col vs direct vs auto · native-cpu ${isa} · ${rounds} rounds · best round per mode`);
console.log('| layer | batch | threads | im2col ms (CPU) | direct ms (CPU) | auto ms (CPU) | direct/im2col wall · CPU | auto/best wall |');
console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
for (const threads of threadList) {
  backend.setThreads(threads);
  for (const N of batches) {
    for (const [name, C, H, OC] of layers) {
      const flops = 2 * N * OC * C * 16 * (H / 2) * (H / 2);
      const x = Float32Array.from({ length: N * C * H * H }, (_, i) => Math.sin(i * 0.37));
      const w = Float32Array.from({ length: OC * C * 16 }, (_, i) => Math.cos(i * 0.11) * 0.1);
      const op = prepareSingleOp(backend, { op: 'conv2d', inputShapes: [[N, C, H, H], [OC, C, 4, 4]], attrs: { stride: [2, 2], padding: [1, 1], dilation: [1, 1] } }, [x, w]);
      // ~20 ms of work per round at 50 GFLOP/s, at least 2 calls.
      const steps = Math.max(2, Math.min(500, Math.round(1e9 / flops)));
      const best = MODES.map(() => ({ wall: Infinity, cpu: Infinity }));
      for (let r = 0; r < rounds; r++) {
        for (let m = 0; m < MODES.length; m++) {
          setMode(MODES[m][1]);
          op.run(1); // warm: thread pool, weight cache, pages
          const c0 = cpuMs();
          const t0 = performance.now();
          op.run(steps);
          const wall = (performance.now() - t0) / steps;
          const cpu = (cpuMs() - c0) / steps;
          best[m].wall = Math.min(best[m].wall, wall);
          best[m].cpu = Math.min(best[m].cpu, cpu);
        }
      }
      op.dispose();
      const [a, b, c] = best;
      const row = {
        layer: name, batch: N, threads, gflop: flops / 1e9,
        im2col: a, direct: b, auto: c,
        directOverIm2col: { wall: b.wall / a.wall, cpu: b.cpu / a.cpu },
        autoOverBest: c.wall / Math.min(a.wall, b.wall),
      };
      rows.push(row);
      const f = (m) => `${m.wall.toFixed(3)} (${m.cpu.toFixed(3)})`;
      console.log(`| ${name} | ${N} | ${threads} | ${f(a)} | ${f(b)} | ${f(c)} | ${row.directOverIm2col.wall.toFixed(2)} · ${row.directOverIm2col.cpu.toFixed(2)} | ${row.autoOverBest.toFixed(2)} |`);
    }
  }
}
setMode(saved);
if (values.json) {
  writeFileSync(values.json, JSON.stringify({ isa, rounds, rows }, null, 2));
  console.log(`wrote ${values.json}`);
}
