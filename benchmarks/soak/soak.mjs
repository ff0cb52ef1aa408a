#!/usr/bin/env node
/**
 * Soak test: runs `lamkit train --preset linear-exo --steps 20000 --json` as a child process with
 * a memory probe preloaded (probe.mjs), then prints a JSON summary of RSS and live heap at start,
 * after warm-up and at the end, and exits 1 if memory grew by more than the bounds after warm-up
 * (or the training did not finish). See README.md in this folder.
 *
 *   node benchmarks/soak/soak.mjs [--steps 20000] [--preset linear-exo] [--threads 1]
 *     [--backend NAME] [--interval-ms 1000] [--warmup 0.1] [--max-rss-growth-mib 16]
 *     [--max-heap-growth-mib 4] [--out FILE.json] [-- extra train flags]
 *
 * Needs `npm run build:ts` first (it runs dist/src/cli/main.js).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const cli = join(root, 'dist', 'src', 'cli', 'main.js');
const MiB = 1024 * 1024;

function fail(msg) {
  console.error(`soak: ${msg}`);
  process.exit(2);
}

const dash = process.argv.indexOf('--');
const own = dash < 0 ? process.argv.slice(2) : process.argv.slice(2, dash);
const extra = dash < 0 ? [] : process.argv.slice(dash + 1);
let values;
try {
  ({ values } = parseArgs({
    args: own,
    strict: true,
    options: {
      steps: { type: 'string', default: '20000' },
      preset: { type: 'string', default: 'linear-exo' },
      threads: { type: 'string', default: '1' },
      backend: { type: 'string' },
      'interval-ms': { type: 'string', default: '1000' },
      warmup: { type: 'string', default: '0.1' },
      'max-rss-growth-mib': { type: 'string', default: '16' },
      'max-heap-growth-mib': { type: 'string', default: '4' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  }));
} catch (e) {
  fail(e.message);
}
if (values.help) {
  console.log(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').slice(2, 12).map((l) => l.replace(/^ \*\/?/, '')).join('\n'));
  process.exit(0);
}
const num = (name, lo, hi, integer = false) => {
  const v = Number(values[name]);
  if (!Number.isFinite(v) || v < lo || v > hi || (integer && !Number.isInteger(v))) fail(`--${name}: expected ${integer ? 'an integer' : 'a number'} in [${lo}, ${hi}], got '${values[name]}'`);
  return v;
};
const steps = num('steps', 1, 1e9, true);
const intervalMs = num('interval-ms', 50, 60000, true);
const warmup = num('warmup', 0, 0.9);
const maxRss = num('max-rss-growth-mib', 0, 1e6);
const maxHeap = num('max-heap-growth-mib', 0, 1e6);
if (!existsSync(cli)) fail(`${cli} not found; run \`npm run build:ts\` first`);

const work = mkdtempSync(join(tmpdir(), 'lamkit-soak-'));
const samplesFile = join(work, 'samples.jsonl');
const args = ['--expose-gc', '--import', join(here, 'probe.mjs'), cli, 'train', '--preset', values.preset, '--steps', String(steps), '--json', '--log-every', String(Math.max(1, Math.round(steps / 200)))];
if (values.threads !== 'auto') args.push('--threads', values.threads);
if (values.backend) args.push('--backend', values.backend);
args.push(...extra);
console.error(`soak: node ${args.slice(3).join(' ')} (probe every ${intervalMs} ms)`);

const child = spawn(process.execPath, args, {
  cwd: root,
  env: { ...process.env, LAMKIT_SOAK_SAMPLES: samplesFile, LAMKIT_SOAK_INTERVAL_MS: String(intervalMs) },
  stdio: ['ignore', 'pipe', 'inherit'],
});
let buf = '';
let done = null;
let start = null;
let lastStep = 0;
child.stdout.setEncoding('utf8');
child.stdout.on('data', (d) => {
  buf += d;
  let nl;
  while ((nl = buf.indexOf('\n')) >= 0) {
    const line = buf.slice(0, nl);
    buf = buf.slice(nl + 1);
    let ev;
    try {
      ev = JSON.parse(line);
    } catch {
      continue;
    }
    if (ev.kind === 'start') start = ev;
    if (ev.kind === 'done') done = ev;
    if (ev.kind === 'step') {
      lastStep = ev.step;
      if (ev.step % Math.max(1, Math.round(steps / 10)) === 0) console.error(`soak: step ${ev.step}/${steps}, loss ${Number(ev.loss).toPrecision(5)}`);
    }
  }
});
const code = await new Promise((res) => child.on('close', (c, sig) => res(c ?? (sig ? 128 : 1))));

const samples = existsSync(samplesFile) ? readFileSync(samplesFile, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)) : [];
rmSync(work, { recursive: true, force: true });
if (samples.length < 3) fail(`only ${samples.length} memory samples were taken (child exit code ${code}); the run was too short or the probe did not load`);

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)] : NaN;
};
// Warm-up = the first `warmup` fraction of the run time (module loading, compile, JIT, first
// arena allocations). Of the samples after it, the first 10 % are the baseline and the last
// 10 % (exit sample included) the end; medians of each so one GC-timing outlier cannot decide.
const T = samples[samples.length - 1].t_ms;
const post = samples.filter((s) => s.t_ms >= warmup * T);
if (post.length < 2) fail(`only ${post.length} samples after warm-up (${samples.length} over ${T} ms); lower --interval-ms or raise --steps`);
const w = Math.max(1, Math.floor(post.length / 10));
const base = post.slice(0, w);
const tail = post.slice(-w);
// Least-squares slope of RSS over the post-warm-up samples, MiB per minute.
const slope = (key) => {
  const n = post.length;
  const mx = post.reduce((a, s) => a + s.t_ms, 0) / n;
  const my = post.reduce((a, s) => a + s[key], 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (const s of post) {
    sxy += (s.t_ms - mx) * (s[key] - my);
    sxx += (s.t_ms - mx) ** 2;
  }
  return sxx > 0 ? (sxy / sxx) * 60000 / MiB : 0;
};
const mib = (b) => +(b / MiB).toFixed(2);
const stat = (key) => {
  const b = median(base.map((s) => s[key]));
  const e = median(tail.map((s) => s[key]));
  return {
    start_mib: mib(samples[0][key]),
    after_warmup_mib: mib(b),
    end_mib: mib(e),
    exit_mib: mib(samples[samples.length - 1][key]),
    peak_mib: mib(Math.max(...samples.map((s) => s[key]))),
    growth_after_warmup_mib: mib(e - b),
    slope_mib_per_min: +slope(key).toFixed(3),
  };
};
const rss = stat('rss');
const heap = stat('heap_used');
const problems = [];
if (code !== 0) problems.push(`lamkit train exited with code ${code}`);
if (!done) problems.push(`no 'done' line (last step seen ${lastStep} of ${steps})`);
else if (done.steps !== steps) problems.push(`trained ${done.steps} of ${steps} steps`);
if (!(rss.growth_after_warmup_mib <= maxRss)) problems.push(`RSS grew ${rss.growth_after_warmup_mib} MiB after warm-up, bound ${maxRss} MiB`);
if (!(heap.growth_after_warmup_mib <= maxHeap)) problems.push(`live heap grew ${heap.growth_after_warmup_mib} MiB after warm-up, bound ${maxHeap} MiB`);
const summary = {
  kind: 'soak',
  preset: values.preset,
  steps,
  backend: done?.backend ?? start?.backend ?? null,
  threads: values.threads,
  seconds: done?.seconds ?? +(T / 1000).toFixed(1),
  steps_per_s: done?.steps_per_s ?? null,
  first_loss: done?.first_loss ?? null,
  final_loss: done?.final_loss ?? null,
  samples: samples.length,
  interval_ms: intervalMs,
  warmup_fraction: warmup,
  rss,
  heap_used: heap,
  bounds: { max_rss_growth_mib: maxRss, max_heap_growth_mib: maxHeap },
  node: process.version,
  ok: problems.length === 0,
  problems,
};
const text = JSON.stringify(summary, null, 2);
console.log(text);
if (values.out) writeFileSync(values.out, text + '\n');
process.exit(problems.length ? 1 : 0);
