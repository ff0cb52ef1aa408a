#!/usr/bin/env node
/**
 * Same-process A/B of two native addon builds on the IDM inference forward (the graph
 * idm-latency.mjs times against onnxruntime), for kernel changes too small to see across
 * separate runs on a noisy machine.
 *
 *   node benchmarks/onnx/idm-ab.mjs --a OLD.node --b NEW.node [--preset conv64] [--batches 1,64]
 *                                   [--threads 2] [--rounds 16] [--env-a NAME=VALUE] [--env-b NAME=VALUE]
 *
 * Both builds run the same planned IDM (seeded parameters, same inputs) in alternating blocks
 * (A B, B A, …; a block is 100 runs at batch 1, 5 at batch 64, after 3 untimed). Per side: the
 * median and best block (ms per run) and CPU ms per run (user + sys of the process during that
 * side's blocks); per round the ratio B/A, and their median. Outputs are compared first (max
 * |diff| printed: a reordered sum moves the last bits, a bug moves more).
 * --env-a / --env-b set NAME=VALUE during that side's blocks only (one addon against itself
 * with a switch read per call: pass the same file twice).
 * Needs dist/ (npm run build:ts). Build a second addon e.g. with
 *   node node_modules/cmake-js/bin/cmake-js build --out /tmp/b --CDLAMKIT_CUDA=OFF --CDLAMKIT_TESTS=OFF
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dist = join(root, 'dist', 'src');
const { values } = parseArgs({
  options: {
    a: { type: 'string' },
    b: { type: 'string' },
    preset: { type: 'string', default: 'conv64' },
    batches: { type: 'string', default: '1,64' },
    threads: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '16' },
    'env-a': { type: 'string' },
    'env-b': { type: 'string' },
  },
});
const { failWith, positiveArg, envSwitches } = await import('../lib/ab-args.mjs');
const fail = failWith('idm-ab.mjs');
if (!values.a || !values.b) fail('usage: --a OLD.node --b NEW.node [--preset P] [--batches 1,64] [--threads N] [--rounds R]');
if (!existsSync(join(dist, 'lam', 'presets.js'))) fail('dist/ is missing; run `npm run build:ts` first');
const positive = (flag, v) => positiveArg(fail, flag, v);
const threads = positive('threads', values.threads);
const rounds = positive('rounds', values.rounds);
const batches = values.batches.split(',').map((b) => positive('batches', b));
const { envs, applyEnv } = envSwitches(values, fail);

const { seededIdm } = await import('./idm-setup.mjs');
const { plan } = await import(join(dist, 'graph', 'plan.js'));
const { compileOn } = await import(join(dist, 'graph', 'runner.js'));
const { NativeCpuBackend } = await import(join(dist, 'backends', 'native-cpu.js'));
const require = createRequire(import.meta.url);

const sides = ['a', 'b'].map((k) => {
  const file = resolve(values[k]);
  if (!existsSync(file)) fail(`--${k} ${values[k]}: no such addon file (${file})`);
  const addon = require(file);
  const backend = new NativeCpuBackend(addon);
  backend.setThreads(threads);
  return { k, addon, backend };
});
const cpuNow = () => {
  const u = process.resourceUsage();
  return (u.userCPUTime + u.systemCPUTime) / 1000;
};
const median = (xs) => [...xs].sort((x, y) => x - y)[xs.length >> 1];

console.log(`IDM forward A/B · ${values.preset} · ${threads} thread(s) · ${rounds} rounds · A ${values.a}${envs.a ? ` (${values['env-a']})` : ''} · B ${values.b}${envs.b ? ` (${values['env-b']})` : ''}`);
for (const B of batches) {
  const { g, params, oT, oT1 } = await seededIdm(dist, values.preset, B);
  const p = plan(g.graph, { checkFinite: false });
  const reps = B === 1 ? 100 : 5;
  const runs = sides.map((s) => {
    const model = compileOn(p, s.backend);
    model.setParams(params);
    return { model, block: model.packFeeds({ o_t: oT, o_t1: oT1 }, 1), ms: [], cpu: 0 };
  });
  const outs = runs.map((r, i) => {
    applyEnv(sides[i].k);
    return r.model.output(r.model.run(r.block, 1), 'z');
  });
  let maxDiff = 0;
  for (let i = 0; i < outs[0].length; i++) maxDiff = Math.max(maxDiff, Math.abs(outs[0][i] - outs[1][i]));
  for (let r = 0; r < rounds; r++) {
    for (const i of r % 2 ? [1, 0] : [0, 1]) {
      const s = sides[i];
      const run = runs[i];
      s.addon.setThreads(threads);
      applyEnv(s.k);
      for (let w = 0; w < 3; w++) run.model.run(run.block, 1);
      const c0 = cpuNow();
      const t0 = performance.now();
      for (let j = 0; j < reps; j++) run.model.run(run.block, 1);
      run.ms.push((performance.now() - t0) / reps);
      run.cpu += (cpuNow() - c0) / reps;
    }
  }
  const ratios = runs[1].ms.map((b, i) => b / runs[0].ms[i]);
  const fmt = (r) => `median ${median(r.ms).toFixed(3)} best ${Math.min(...r.ms).toFixed(3)} ms · CPU ${(r.cpu / rounds).toFixed(3)} ms`;
  console.log(`batch ${B}: A ${fmt(runs[0])} | B ${fmt(runs[1])}`);
  console.log(`  B/A per round ${ratios.map((x) => x.toFixed(2)).join(' ')} → median ${median(ratios).toFixed(3)}, best ${(Math.min(...runs[1].ms) / Math.min(...runs[0].ms)).toFixed(3)}, CPU ${(runs[1].cpu / runs[0].cpu).toFixed(3)}; max |z_A − z_B| ${maxDiff.toExponential(1)}`);
  for (const r of runs) r.model.dispose();
}
