#!/usr/bin/env node
/**
 * Same-process A/B of the conv2d → bias_add → activation fusion (src/graph/fuse.ts) on native-cpu:
 * the unfused plan (plan(g, { fuse: false })) against the fused one, same graph, parameters,
 * feeds and addon, run in alternating rounds (A B B A …) so a slow phase of a shared machine hits
 * both alike.
 *
 *   npm run build:ts && npm run build:native
 *   node benchmarks/fusion/ab.mjs [--preset conv64] [--batches 1,64] [--threads 2] [--rounds 12]
 *                                 [--train 32] [--train-threads 1] [--steps 4]
 *
 * IDM inference (per batch): median ms per forward and CPU ms per forward (user + sys of the
 * process over that side's rounds: on an oversubscribed machine the work, not the wait), the
 * outputs compared (max |diff|; the fallback epilogue is bit-identical), and a per-op breakdown of
 * each plan (every op kind's instructions run alone, src/cli/bench-train.ts opBreakdown): the
 * bias_add / relu rows of the conv layers are gone from the fused plan.
 * Training (--train B, 0 to skip): the preset's step at batch B, ms and CPU ms per step, losses
 * compared, the arena peak of both plans.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dist = join(root, 'dist', 'src');
if (!existsSync(join(dist, 'graph', 'fuse.js'))) {
  console.error('benchmarks/fusion: dist/ is missing or stale; run `npm run build:ts` first');
  process.exit(2);
}
const { values } = parseArgs({
  options: {
    preset: { type: 'string', default: 'conv64' },
    batches: { type: 'string', default: '1,64' },
    threads: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '12' },
    train: { type: 'string', default: '32' },
    'train-threads': { type: 'string', default: '1' },
    steps: { type: 'string', default: '4' },
  },
});
const int = (name, min) => {
  const v = Number(values[name]);
  if (!Number.isInteger(v) || v < min) {
    console.error(`benchmarks/fusion: --${name} must be an integer ≥ ${min}, got '${values[name]}'`);
    process.exit(2);
  }
  return v;
};
const threads = int('threads', 1);
const rounds = int('rounds', 2);
const trainBatch = int('train', 0);
const trainThreads = int('train-threads', 1);
const steps = int('steps', 1);
const batches = values.batches.split(',').map(Number);
if (batches.some((b) => !Number.isInteger(b) || b < 1)) {
  console.error(`benchmarks/fusion: --batches must be positive integers, got '${values.batches}'`);
  process.exit(2);
}

const { buildIdmGraph } = await import(join(dist, 'lam', 'presets.js'));
const { plan, memorySummary } = await import(join(dist, 'graph', 'plan.js'));
const { compileOn } = await import(join(dist, 'graph', 'runner.js'));
const { nativeCpuFactory } = await import(join(dist, 'backends', 'native-cpu.js'));
const { opBreakdown } = await import(join(dist, 'cli', 'bench-train.js'));
const { planPreset } = await import(join(dist, 'lam', 'training.js'));
const { defaultSource } = await import(join(dist, 'lam', 'batches.js'));
const { Rng } = await import(join(dist, 'data', 'rng.js'));

const backend = await nativeCpuFactory.create();
const cpuNow = () => {
  const u = process.resourceUsage();
  return (u.userCPUTime + u.systemCPUTime) / 1000;
};
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const maxDiff = (a, b) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

/** Alternating rounds of fn(side) (A B B A …); per side the median ms and CPU ms per call. */
function ab(fn, calls) {
  const t = { off: [], on: [] };
  const cpu = { off: 0, on: 0 };
  for (const side of ['off', 'on']) fn(side); // warm-up
  for (let r = 0; r < rounds; r++) {
    for (const side of r % 2 === 0 ? ['off', 'on'] : ['on', 'off']) {
      const c0 = cpuNow();
      const t0 = performance.now();
      fn(side);
      t[side].push((performance.now() - t0) / calls);
      cpu[side] += (cpuNow() - c0) / calls;
    }
  }
  return { off: { ms: median(t.off), cpu: cpu.off / rounds }, on: { ms: median(t.on), cpu: cpu.on / rounds } };
}

function row(label, r, extra) {
  console.log(`| ${label} | ${r.off.ms.toFixed(3)} | ${r.on.ms.toFixed(3)} | ${(r.on.ms / r.off.ms).toFixed(3)}× | ${r.off.cpu.toFixed(3)} | ${r.on.cpu.toFixed(3)} | ${(r.on.cpu / r.off.cpu).toFixed(3)}× | ${extra} |`);
}

console.log(`\nconv2d+bias+activation fusion A/B on native-cpu (${values.preset}), same process, ${rounds} alternating rounds`);
console.log(`isa ${backend.addon.isaName()} · ${new Date().toISOString()}\n`);
console.log('| run | unfused ms | fused ms | fused/unfused | unfused CPU ms | fused CPU ms | CPU ratio | notes |');
console.log('|---|---:|---:|---:|---:|---:|---:|---|');

const breakdowns = [];
backend.addon.setThreads(threads);
for (const B of batches) {
  const g = buildIdmGraph(values.preset, B);
  const rng = new Rng(7); // parameters: the builder's own initialisation (same in both plans)
  const plans = { off: plan(g.graph, { checkFinite: false, fuse: false }), on: plan(g.graph, { checkFinite: false, fuse: true }) };
  const models = {};
  for (const side of ['off', 'on']) models[side] = compileOn(plans[side], backend);
  const frame = g.graph.feeds.get('o_t').size;
  const block = models.off.packFeeds({ o_t: rng.fillNormal(new Float32Array(frame)), o_t1: rng.fillNormal(new Float32Array(frame)) }, 1);
  const z = { off: models.off.output(models.off.run(block, 1), 'z'), on: models.on.output(models.on.run(block, 1), 'z') };
  const calls = B >= 16 ? 2 : 20;
  const r = ab((side) => {
    for (let i = 0; i < calls; i++) models[side].run(block, 1);
  }, calls);
  row(`IDM batch ${B}, ${threads} threads`, r, `${plans.off.ops.length} → ${plans.on.ops.length} instructions; max |z diff| ${maxDiff(z.off, z.on).toExponential(1)}`);
  breakdowns.push({ B, off: opBreakdown(plans.off, backend, block, 1, 10), on: opBreakdown(plans.on, backend, block, 1, 10) });
  for (const side of ['off', 'on']) models[side].dispose();
}

if (trainBatch > 0) {
  backend.addon.setThreads(trainThreads);
  const build = (fuse) => {
    const before = process.env.LAMKIT_FUSE;
    process.env.LAMKIT_FUSE = fuse;
    try {
      return planPreset(values.preset, { batch: trainBatch, seed: 1 });
    } finally {
      if (before === undefined) delete process.env.LAMKIT_FUSE;
      else process.env.LAMKIT_FUSE = before;
    }
  };
  const runs = { off: build('0'), on: build('1') };
  const models = { off: compileOn(runs.off.plan, backend), on: compileOn(runs.on.plan, backend) };
  const src = defaultSource(runs.off.lam.preset, trainBatch, 2);
  // steps batches, step-major per feed (what packFeeds takes)
  const all = Object.fromEntries(runs.off.plan.feeds.map((f) => [f.name, new Float32Array(steps * f.size)]));
  for (let i = 0; i < steps; i++)
    src.next(Object.fromEntries(runs.off.plan.feeds.map((f) => [f.name, all[f.name].subarray(i * f.size, (i + 1) * f.size)])));
  const packed = models.off.packFeeds(all, steps);
  const loss = { off: models.off.output(models.off.run(packed, steps), 'loss'), on: models.on.output(models.on.run(packed, steps), 'loss') };
  const r = ab((side) => models[side].run(packed, steps), steps);
  const pk = (p) => `${(p.memory.peakBytes / 2 ** 20).toFixed(2)} MiB`;
  row(`train batch ${trainBatch}, ${trainThreads} thread(s)`, r, `peak ${pk(runs.off.plan)} → ${pk(runs.on.plan)}; ${runs.off.plan.ops.length} → ${runs.on.plan.ops.length} instructions; max |loss diff| ${maxDiff(loss.off, loss.on).toExponential(1)}`);
  console.log(`\nfused training plan: ${memorySummary(runs.on.plan)}`);
  for (const side of ['off', 'on']) models[side].dispose();
}

for (const { B, off, on } of breakdowns) {
  console.log(`\nper-op time, IDM batch ${B} (ms; each op kind's instructions alone)`);
  console.log('| op | unfused ms (count) | fused ms (count) |');
  console.log('|---|---:|---:|');
  const ops = [...new Set([...off, ...on].map((o) => o.op))].filter((o) => o !== 'FEED' && o !== 'OUTPUT');
  const cell = (list, op) => {
    const o = list.find((x) => x.op === op);
    return o ? `${o.ms.toFixed(3)} (${o.count})` : '—';
  };
  for (const op of ops) console.log(`| ${op} | ${cell(off, op)} | ${cell(on, op)} |`);
}

