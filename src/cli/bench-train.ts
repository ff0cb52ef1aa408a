/**
 * `lamkit bench train --preset NAME[,NAME…] [--backend B[,B…]] [--threads N[,N…]] [--batch B]
 *  [--steps N] [--samples N] [--no-torch] [--no-breakdown] [--profile] [--rounds R] [--json]`
 *
 * Steps/s of the compiled training step (forward + backward + Adam) per backend, with a per-op
 * breakdown, beside the same step in PyTorch eager (benchmarks/train/torch_step.py via
 * /usr/bin/python3; skipped with a message when torch is absent).
 *
 * Method: feeds for `steps` steps are generated once (data generation is not timed, on either
 * side); one warm-up call, then `samples` calls of `steps` steps each; median and p90 of the
 * per-step time. The breakdown runs, for each op kind, a tape holding only that kind's
 * instructions of the plan (same arena layout) for the same number of steps: the sum of the
 * kinds vs the whole step shows what the executor itself costs.
 * --json prints JSON Lines: {"kind":"train","name":"<preset>","backend":…,"threads":…,
 * "steps_per_s":…,"median_ms":…,"p90_ms":…,"batch":…,"peak_bytes":…} (backend "pytorch" for the
 * PyTorch twin, with "vs_pytorch" on lamkit lines) and {"kind":"train_op",…} breakdown lines;
 * --profile adds {"kind":"train_ins","index":…,"op":…,"layer":…,"phase":…,"ms_per_step":…} lines
 * (each instruction timed inside the whole step, native-cpu); --rounds R adds
 * {"kind":"train_rounds","ratios":[…],"median_vs_pytorch":…} per backend and thread count.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpus } from 'node:os';
import { resolveBackend } from '../backends/registry.js';
import type { Backend, InstructionProfiler, TapeProgram } from '../backends/types.js';
import type { Plan } from '../graph/plan.js';
import { memorySummary } from '../graph/plan.js';
import { compileOn } from '../graph/runner.js';
import { defaultSource } from '../lam/batches.js';
import { PRESETS, getPreset } from '../lam/presets.js';
import { planPreset } from '../lam/training.js';
import { UsageError, numberFlag, parseFlags } from './usage.js';

const HELP = `usage: lamkit bench train [--preset NAME[,NAME…]] [options]

Training-step throughput (forward + backward + Adam) per backend vs PyTorch eager.
  --preset LIST     presets (default linear-exo; known: ${Object.keys(PRESETS).join(', ')})
  --backend LIST    backends (default native-cpu, plus reference for linear presets)
  --threads LIST    kernel threads for native-cpu and PyTorch (default 1,2)
  --batch B         batch size (default: the preset's)
  --steps N         steps per timed call (default by preset)
  --samples N       timed calls (default 10)
  --no-torch        skip the PyTorch comparison
  --no-breakdown    skip the per-op breakdown
  --profile         per-instruction wall time inside the whole step (native-cpu): the
                    slowest instructions with their layer name, ms/step and GFLOP/s
  --rounds R        after the table, R rounds alternating PyTorch and lamkit (same
                    settings): the ratio of each round and their median, robust to a
                    shared machine's slow phases (default 1 = off)
  --json            JSON Lines on stdout`;

const DEFAULT_STEPS: Record<string, number> = { 'linear-exo': 200, 'linear-1k': 5, conv64: 3, grid32: 20 };
const TORCH_ENV = { GLIBC_TUNABLES: 'glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=1073741824' };

interface Timing {
  median_ms: number;
  p90_ms: number;
  steps_per_s: number;
}

function percentile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * (s.length - 1)))];
}

/** Times `fn` (which runs `steps` steps): warm-up once, then `samples` calls. */
function timeIt(fn: () => void, steps: number, samples: number): Timing {
  fn();
  const per: number[] = [];
  for (let i = 0; i < samples; i++) {
    const t0 = performance.now();
    fn();
    per.push((performance.now() - t0) / steps);
  }
  const med = percentile(per, 0.5);
  return { median_ms: med, p90_ms: percentile(per, 0.9), steps_per_s: 1000 / med };
}

/** Per-op-kind time of one step: each kind's instructions alone, same arena layout. */
export function opBreakdown(plan: Plan, backend: Backend, feeds: Float32Array, steps: number, samples: number): { op: string; count: number; ms: number; gflop: number }[] {
  const p = plan.program;
  const kinds = new Map<string, number[]>();
  const stepInc: number[] = [];
  for (const o of plan.ops) {
    const words = Array.from(p.tape.subarray(o.at, o.at + o.words));
    if (o.op === 'STEP_INCREMENT') stepInc.push(...words);
    const list = kinds.get(o.op) ?? [];
    list.push(...words);
    kinds.set(o.op, list);
  }
  const out: { op: string; count: number; ms: number; gflop: number }[] = [];
  for (const [op, words] of kinds) {
    if (op === 'STEP_INCREMENT') continue;
    // adam reads the step counter: keep its increment in front (it costs nothing).
    const tape = Int32Array.from(op === 'adam_update' || op === 'sgd_update' ? [...stepInc, ...words] : words);
    const prog: TapeProgram = { tape, arenaFloats: p.arenaFloats, feedFloatsPerStep: op === 'FEED' ? p.feedFloatsPerStep : 0, outFloatsPerStep: op === 'OUTPUT' ? p.outFloatsPerStep : 0 };
    const exe = backend.compile(prog);
    const f = op === 'FEED' ? feeds : null;
    const t = timeIt(() => exe.run(f, { steps }), steps, Math.max(3, Math.ceil(samples / 2)));
    exe.dispose();
    const ops = plan.ops.filter((o) => o.op === op);
    out.push({ op, count: ops.length, ms: t.median_ms, gflop: ops.reduce((s, o) => s + o.flops, 0) / 1e9 });
  }
  return out.sort((a, b) => b.ms - a.ms);
}

/**
 * Times every instruction inside the whole step (Executable.profiler: two clock reads around each
 * kernel, same arena, caches and pool as training) and prints the slowest ones, then the total by
 * phase: unlike opBreakdown, each kernel runs where the step runs it, after the ops before it.
 */
function printProfile(plan: Plan, prof: InstructionProfiler, runAll: () => void, steps: number, calls: number, o: { name: string; backend: string; threads: number; json: boolean; log: (s: string) => void }): void {
  prof.start();
  for (let i = 0; i < calls; i++) runAll();
  prof.stop();
  const sec = prof.read();
  const rows = plan.ops.map((op, i) => ({ i, op: op.op, layer: op.name, phase: op.phase, ms: (1000 * sec[i]!) / steps, gflop: op.flops / 1e9 }));
  const total = rows.reduce((s, r) => s + r.ms, 0);
  o.log(`  per-instruction profile (${o.backend}, ${o.threads} thread${o.threads > 1 ? 's' : ''}; in-step ms/step, Σ ${total.toFixed(3)} ms; slowest first):`);
  for (const r of [...rows].sort((a, b) => b.ms - a.ms).slice(0, 40)) {
    o.log(`    #${String(r.i).padStart(3)} ${r.op.padEnd(24)} ${r.layer.slice(0, 40).padEnd(40)} ${r.ms.toFixed(4).padStart(9)} ms  ${((100 * r.ms) / total).toFixed(1).padStart(5)}%${r.ms === 0 ? (r.op === 'FEED' ? '  (no copy: its readers read the feeds in place)' : '  (ran inside an earlier instruction: fused by the executor)') : r.gflop > 0 ? `  ${(r.gflop / (r.ms / 1000)).toFixed(1)} GFLOP/s` : ''}`);
    if (o.json) console.log(JSON.stringify({ kind: 'train_ins', name: o.name, backend: o.backend, threads: o.threads, index: r.i, op: r.op, layer: r.layer, phase: r.phase, ms_per_step: r.ms }));
  }
  const byPhase = new Map<string, number>();
  for (const r of rows) byPhase.set(r.phase, (byPhase.get(r.phase) ?? 0) + r.ms);
  o.log(`    by phase: ${[...byPhase].map(([p, ms]) => `${p} ${ms.toFixed(2)} ms`).join(', ')}`);
}

/** `rounds` × (PyTorch samples, then lamkit samples); prints each round's ratio and their median. */
function interleavedRounds(rounds: number, torch: () => ReturnType<typeof torchStep>, lamkit: () => Timing, o: { name: string; backend: string; threads: number; json: boolean; log: (s: string) => void }): void {
  const ratios: number[] = [];
  const pairs: string[] = [];
  for (let r = 0; r < rounds; r++) {
    const pt = torch();
    if ('skipped' in pt) {
      o.log(`  interleaved rounds: stopped (${pt.skipped})`);
      return;
    }
    const lk = lamkit();
    ratios.push(lk.steps_per_s / pt.steps_per_s);
    pairs.push(`${lk.median_ms.toPrecision(3)}/${pt.median_ms.toPrecision(3)}`);
  }
  const med = percentile(ratios, 0.5);
  o.log(`  interleaved, ${rounds} rounds (${o.backend} / pytorch ms per step: ${pairs.join(' · ')}): ratio per round ${ratios.map((x) => x.toFixed(2) + '×').join(' · ')}; median ${med.toFixed(2)}×, min ${Math.min(...ratios).toFixed(2)}×`);
  if (o.json) console.log(JSON.stringify({ kind: 'train_rounds', name: o.name, backend: o.backend, threads: o.threads, rounds, ratios, median_vs_pytorch: med }));
}

function torchScript(): string | null {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const up of ['../..', '../../..']) {
    const p = join(here, up, 'benchmarks/train/torch_step.py');
    if (existsSync(p)) return p;
  }
  return null;
}

/** PyTorch steps/s at `threads`, best of the allowed settings; or a reason it was skipped. */
function torchStep(preset: string, batch: number, threads: number, samples: number, only?: string): (Timing & { setting: string; version: string }) | { skipped: string } {
  const script = torchScript();
  if (!script) return { skipped: 'benchmarks/train/torch_step.py not found' };
  if (!existsSync('/usr/bin/python3')) return { skipped: '/usr/bin/python3 not found' };
  const settings: { name: string; env: Record<string, string> }[] = [{ name: 'default', env: {} }];
  if (threads >= 2) settings.push({ name: 'OMP_WAIT_POLICY=PASSIVE', env: { OMP_WAIT_POLICY: 'PASSIVE' } });
  let best: (Timing & { setting: string; version: string }) | null = null;
  for (const s of settings.filter((x) => !only || x.name === only)) {
    const r = spawnSync('/usr/bin/python3', [script, '--preset', preset, '--batch', String(batch), '--threads', String(threads), '--samples', String(samples)], {
      env: { ...process.env, ...TORCH_ENV, OPENBLAS_NUM_THREADS: String(threads), OMP_NUM_THREADS: String(threads), ...s.env },
      encoding: 'utf8',
      timeout: 600_000,
    });
    const line = (r.stdout ?? '').trim().split('\n').pop() ?? '';
    let j: { steps_per_s?: number; median_ms?: number; p90_ms?: number; torch?: string; error?: string };
    try {
      j = JSON.parse(line);
    } catch {
      return { skipped: `torch_step.py failed (exit ${r.status}): ${(r.stderr ?? '').trim().split('\n').pop() ?? ''}` };
    }
    if (j.error) return { skipped: j.error };
    const t = { median_ms: j.median_ms!, p90_ms: j.p90_ms!, steps_per_s: j.steps_per_s!, setting: s.name, version: j.torch ?? '?' };
    if (!best || t.steps_per_s > best.steps_per_s) best = t;
  }
  return best!;
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseFlags('bench train', argv, {
    preset: { type: 'string' },
    backend: { type: 'string' },
    threads: { type: 'string' },
    batch: { type: 'string' },
    steps: { type: 'string' },
    samples: { type: 'string' },
    'no-torch': { type: 'boolean' },
    'no-breakdown': { type: 'boolean' },
    profile: { type: 'boolean' },
    rounds: { type: 'string' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const presets = (values.preset ?? 'linear-exo').split(',').map((s) => s.trim());
  for (const p of presets) {
    try {
      getPreset(p);
    } catch (e) {
      throw new UsageError(`bench train: --preset: ${(e as Error).message}`);
    }
  }
  const threadList = (values.threads ?? '1,2').split(',').map((t) => numberFlag('threads', t, 1, { min: 1, integer: true }));
  const samples = numberFlag('samples', values.samples, 10, { min: 1, integer: true });
  const rounds = numberFlag('rounds', values.rounds, 1, { min: 1, integer: true });
  const json = values.json === true;
  const log = (s: string): void => {
    if (!json) console.log(s);
  };
  log(`# lamkit bench train — ${cpus()[0]?.model ?? 'cpu'}, ${cpus().length} hardware threads, node ${process.version}`);

  for (const name of presets) {
    const preset = getPreset(name);
    const batch = numberFlag('batch', values.batch, preset.batch, { min: 1, integer: true });
    const steps = numberFlag('steps', values.steps, DEFAULT_STEPS[name] ?? 5, { min: 1, integer: true });
    const backends = values.backend ? values.backend.split(',').map((s) => s.trim()) : preset.spec.kind === 'linear' ? ['native-cpu', 'reference'] : ['native-cpu'];
    const { lam, plan } = planPreset(preset, { batch, checkFinite: false });
    log(`\n## ${name} (batch ${batch}): ${plan.ops.length} tape instructions; ${memorySummary(plan)}`);
    log(`peak bytes ${plan.memory.peakBytes} (sum of all tensors ${plan.memory.sumOfTensorsBytes})`);
    // Data for `steps` steps, generated once.
    const src = defaultSource(lam.preset, batch, 1);
    const per = plan.program.feedFloatsPerStep;
    const feeds = new Float32Array(steps * per);
    for (let s = 0; s < steps; s++) {
      const v: Record<string, Float32Array> = {};
      for (const f of plan.feeds) v[f.name] = feeds.subarray(s * per + f.offset, s * per + f.offset + f.size);
      src.next(v);
    }
    const torchBy = new Map<number, number>();
    const torchSetting = new Map<number, string>();
    if (!values['no-torch'])
      for (const t of threadList) {
        const r = torchStep(name, batch, t, samples);
        if ('skipped' in r) {
          log(`pytorch: skipped (${r.skipped})`);
          if (json) console.log(JSON.stringify({ kind: 'train', name, backend: 'pytorch', threads: t, skipped: r.skipped }));
          break;
        }
        torchBy.set(t, r.steps_per_s);
        torchSetting.set(t, r.setting);
        log(`| pytorch ${r.version} | ${t} | ${r.steps_per_s.toFixed(1)} steps/s | median ${r.median_ms.toFixed(3)} ms | p90 ${r.p90_ms.toFixed(3)} ms | best setting: ${r.setting} |`);
        if (json) console.log(JSON.stringify({ kind: 'train', name, backend: 'pytorch', threads: t, batch, steps_per_s: r.steps_per_s, median_ms: r.median_ms, p90_ms: r.p90_ms, setting: r.setting, torch: r.version }));
      }
    for (const bname of backends) {
      let backend: Backend;
      try {
        backend = (await resolveBackend({ name: bname })).backend;
      } catch (e) {
        log(`${bname}: skipped (${(e as Error).message})`);
        if (json) console.log(JSON.stringify({ kind: 'train', name, backend: bname, skipped: (e as Error).message }));
        continue;
      }
      const setThreads = (backend as { setThreads?: (n: number) => void }).setThreads?.bind(backend);
      const tl = setThreads ? threadList : [1];
      for (const t of tl) {
        setThreads?.(t);
        const model = compileOn(plan, backend);
        // The reference interpreter is ~100× slower: one step per sample beyond linear-exo.
        const n = bname === 'reference' && name !== 'linear-exo' ? 1 : steps;
        const f = feeds.subarray(0, n * per);
        const tm = timeIt(() => model.run(f, n), n, bname === 'reference' ? Math.min(samples, name === 'linear-exo' ? 3 : 2) : samples);
        if (values.profile) {
          const prof = model.runner.profiler;
          if (!prof) log(`  per-instruction profile: skipped (${bname} has no in-place timers)`);
          else printProfile(plan, prof, () => model.run(f, n), n * samples, samples, { name, backend: bname, threads: t, json, log });
        }
        // Interleaved rounds: PyTorch and lamkit alternate, so a slow phase of a shared machine
        // (±15% here between minutes) hits both sides of each round's ratio alike.
        if (rounds > 1 && torchSetting.has(t) && bname !== 'reference')
          interleavedRounds(rounds, () => torchStep(name, batch, t, samples, torchSetting.get(t)), () => timeIt(() => model.run(f, n), n, samples), { name, backend: bname, threads: t, json, log });
        model.dispose();
        const torch = torchBy.get(t);
        const vs = torch ? tm.steps_per_s / torch : undefined;
        log(`| ${bname} | ${t} | ${tm.steps_per_s.toFixed(1)} steps/s | median ${tm.median_ms.toFixed(3)} ms | p90 ${tm.p90_ms.toFixed(3)} ms |${vs ? ` ${vs.toFixed(2)}× pytorch |` : ''}`);
        if (json)
          console.log(JSON.stringify({ kind: 'train', name, backend: bname, threads: setThreads ? t : null, batch, steps_per_s: tm.steps_per_s, median_ms: tm.median_ms, p90_ms: tm.p90_ms, peak_bytes: plan.memory.peakBytes, ...(vs ? { vs_pytorch: vs } : {}) }));
        if (!values['no-breakdown'] && bname !== 'reference') {
          const bd = opBreakdown(plan, backend, f, n, samples);
          const sum = bd.reduce((s, x) => s + x.ms, 0);
          log(`  per-op breakdown (${bname}, ${t} thread${t > 1 ? 's' : ''}; ms/step; Σ kinds ${sum.toFixed(3)} ms vs step ${tm.median_ms.toFixed(3)} ms):`);
          for (const x of bd) {
            log(`    ${x.op.padEnd(24)} ×${String(x.count).padStart(3)}  ${x.ms.toFixed(4).padStart(9)} ms  ${((100 * x.ms) / sum).toFixed(1).padStart(5)}%${x.gflop > 0 ? `  ${(x.gflop / (x.ms / 1000)).toFixed(1)} GFLOP/s` : ''}`);
            if (json) console.log(JSON.stringify({ kind: 'train_op', name, backend: bname, threads: t, op: x.op, count: x.count, ms_per_step: x.ms, gflops: x.gflop > 0 ? x.gflop / (x.ms / 1000) : null }));
          }
        }
      }
    }
  }
  return 0;
}
