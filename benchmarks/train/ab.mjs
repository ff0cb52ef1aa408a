#!/usr/bin/env node
/**
 * Same-process A/B of two native addon builds on a preset's compiled training step.
 *
 *   node benchmarks/train/ab.mjs --a OLD.node --b NEW.node [--preset linear-exo] [--threads 1]
 *                                [--steps N] [--rounds 12] [--batch B]
 *                                [--env-a NAME=VALUE] [--env-b NAME=VALUE]
 *
 * Why: on a shared, loaded machine two separate runs are not comparable; here both builds run
 * the same tape on the same feeds in alternating rounds (A B B A …), so a slow phase of the
 * machine hits both alike. Per side: median ms/step of the rounds and CPU ms/step (user + sys
 * of the whole process during that side's rounds, process.resourceUsage), which on an
 * oversubscribed machine measures the work rather than the wait for a core.
 * It also checks that both builds compute the same losses (max |diff| printed; a kernel change
 * that reorders sums may move the last bits, a bug moves more) — so it needs the loss output.
 * Needs dist/ (npm run build:ts). Build a second addon e.g. with
 *   node node_modules/cmake-js/bin/cmake-js build --out /tmp/b --CDLAMKIT_CUDA=OFF
 * Or A/B one build against itself with a kernel switch the addon reads per call (both sides
 * then share one addon instance): --env-a / --env-b set NAME=VALUE during that side's runs only,
 * e.g. --a build/Release/lamkit.node --b build/Release/lamkit.node --env-a LAMKIT_CONV_GRAD_DIRECT=0.
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
    preset: { type: 'string', default: 'linear-exo' },
    threads: { type: 'string', default: '1' },
    steps: { type: 'string' },
    rounds: { type: 'string', default: '12' },
    batch: { type: 'string' },
    'env-a': { type: 'string' },
    'env-b': { type: 'string' },
  },
});
const { failWith, positiveArg, envSwitches } = await import('../lib/ab-args.mjs');
const fail = failWith('ab.mjs');
if (!values.a || !values.b) fail('usage: node benchmarks/train/ab.mjs --a OLD.node --b NEW.node [--preset P] [--threads N] [--steps N] [--rounds R]');
const positive = (flag, v) => positiveArg(fail, flag, v);
// --env-a / --env-b: NAME=VALUE set while that side runs (the other side sees the original value).
const { envs, applyEnv } = envSwitches(values, fail);
const threads = positive('threads', values.threads);
const rounds = positive('rounds', values.rounds);
const DEFAULT_STEPS = { 'linear-exo': 200, 'linear-1k': 3, conv64: 2, grid32: 20 };
const steps = positive('steps', values.steps ?? String(DEFAULT_STEPS[values.preset] ?? 5));

const { planPreset } = await import(join(dist, 'lam', 'training.js'));
const { getPreset } = await import(join(dist, 'lam', 'presets.js'));
const { defaultSource } = await import(join(dist, 'lam', 'batches.js'));
const { compileOn } = await import(join(dist, 'graph', 'runner.js'));
const { NativeCpuBackend } = await import(join(dist, 'backends', 'native-cpu.js'));

const require = createRequire(import.meta.url);
const preset = getPreset(values.preset);
const batch = values.batch ? positive('batch', values.batch) : preset.batch;
const { lam, plan } = planPreset(preset, { batch, checkFinite: false });
const src = defaultSource(lam.preset, batch, 1);
const per = plan.program.feedFloatsPerStep;
const feeds = new Float32Array(steps * per);
for (let s = 0; s < steps; s++) {
  const v = {};
  for (const f of plan.feeds) v[f.name] = feeds.subarray(s * per + f.offset, s * per + f.offset + f.size);
  src.next(v);
}

const sides = ['a', 'b'].map((k) => {
  // A relative path is relative to the working directory (require would treat it as a package).
  const file = resolve(values[k]);
  if (!existsSync(file)) {
    console.error(`ab.mjs: --${k} ${values[k]}: no such addon file (${file})`);
    process.exit(2);
  }
  const addon = require(file);
  const backend = new NativeCpuBackend(addon);
  backend.setThreads(threads);
  return { k, path: values[k], addon, backend, ms: [], cpu: 0, losses: null };
});

// Correctness first: fresh models, same steps, compare the loss outputs.
for (const s of sides) {
  s.addon.setThreads(threads);
  applyEnv(s.k);
  const m = compileOn(plan, s.backend);
  s.losses = m.run(feeds, steps);
  m.dispose();
}
let maxDiff = 0;
for (let i = 0; i < sides[0].losses.length; i++) maxDiff = Math.max(maxDiff, Math.abs(sides[0].losses[i] - sides[1].losses[i]));

const models = sides.map((s) => compileOn(plan, s.backend));
const cpuNow = () => {
  const u = process.resourceUsage();
  return (u.userCPUTime + u.systemCPUTime) / 1000;
};
for (let r = 0; r < rounds + 1; r++) {
  const order = r % 2 === 0 ? [0, 1] : [1, 0];
  for (const i of order) {
    const s = sides[i];
    // Each addon has its own pool; the thread count is per addon.
    s.addon.setThreads(threads);
    applyEnv(s.k);
    const c0 = cpuNow();
    const t0 = performance.now();
    models[i].run(feeds, steps);
    const dt = performance.now() - t0;
    if (r > 0) {
      s.ms.push(dt / steps);
      s.cpu += cpuNow() - c0;
    }
  }
}
const med = (xs) => [...xs].sort((x, y) => x - y)[Math.floor((xs.length - 1) / 2)];
applyEnv(null); // both names back to their original values
console.log(`A/B ${values.preset} batch ${batch}, ${threads} thread(s), ${steps} steps × ${rounds} rounds; max |loss A − loss B| = ${maxDiff.toExponential(2)}`);
for (const s of sides)
  console.log(`  ${s.k.toUpperCase()} ${s.path}${envs[s.k] ? ` (${values[`env-${s.k}`]})` : ''}: median ${med(s.ms).toFixed(4)} ms/step (best ${Math.min(...s.ms).toFixed(4)}), CPU ${(s.cpu / (rounds * steps)).toFixed(4)} ms/step`);
const [A, B] = sides;
console.log(`  B/A time: median ${(med(B.ms) / med(A.ms)).toFixed(3)}×, best ${(Math.min(...B.ms) / Math.min(...A.ms)).toFixed(3)}×, CPU ${(B.cpu / A.cpu).toFixed(3)}×`);
for (const m of models) m.dispose();
