/**
 * `lamkit bench kernels` — validate, then time kernels on every backend, beside anchors.
 *
 * Every measurement goes through the backend layer (src/backends/single-op.ts): the op is a
 * one-instruction tape compiled by the backend and run `steps` times inside its executor, so
 * no JavaScript runs per call. Each backend is first checked against the reference backend
 * (float64 oracle) on the same inputs — on the benchmarked shape when that is cheap for the
 * reference, else on a smaller shape of the same op and attributes (said in the output).
 *
 * Cases: GEMM (matmul) 256/512/1024/2048 and the conv64 layer shapes of PRESETS.md at batch 32:
 * conv2d, conv2d_backward_input, conv2d_backward_filter on the encoder convolutions and
 * conv_transpose2d on the decoder. Anchors measured in the same run:
 *   - OpenBLAS SGEMM (benchmarks/kernels/openblas_gemm.c, compiled here with `cc -lopenblas`,
 *     OPENBLAS_NUM_THREADS = threads),
 *   - the CPU's fp32 FMA peak (benchmarks/kernels/fma_peak.c, register-only FMA chains),
 *   - PyTorch CPU convolutions (benchmarks/kernels/torch_conv.py via /usr/bin/python3).
 * An anchor that cannot run is skipped with the reason. Timing: warm-up, ≥ 20 samples (one
 * step per sample unless a step is < 0.25 ms), median and p90 of wall time, and the median process
 * CPU time per call (all threads) — on a shared machine CPU time is the steadier efficiency
 * measure, wall time the one a user sees. Output: a markdown table (GFLOP/s,
 * ×reference = speed-up over the reference backend, ×best = fraction of the fastest in the row
 * group, % of FMA peak) or, with --json, JSON Lines:
 *   {"kind":"kernel","name":"gemm","shape":[1024,1024,1024],"backend":"native-cpu","threads":2,
 *    "median_ms":…,"p90_ms":…,"gflops":…}
 * plus {"kind":"env"}, {"kind":"peak"} and {"kind":"summary"} lines. Compare ratios within one
 * run: the machine may be shared.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { cpus, tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

import { packageRoot } from '../backends/native.js';
import { backendFactories } from '../backends/registry.js';
import { type PreparedOp, type TensorData, prepareSingleOp } from '../backends/single-op.js';
import type { Backend } from '../backends/types.js';
import { Rng } from '../data/rng.js';
import { type Attrs, type Shape, getOp, numel } from '../ops/index.js';
import { UsageError, numberFlag, parseFlags } from './usage.js';

const HELP = `usage: lamkit bench kernels [options]

Validates every backend against the reference, then times each kernel (median/p90 of ≥ 20
samples) beside OpenBLAS, PyTorch CPU and the CPU's FMA peak.

options:
  --op LIST        gemm, conv2d, conv2d_backward_input, conv2d_backward_filter,
                   conv_transpose2d, conv (all four), relu, add, or all (default: gemm,conv)
  --size LIST      GEMM sizes M=N=K (default 256,512,1024,2048)
  --batch N        batch of the conv64 layer shapes (default 32)
  --backend LIST   backends to time (default: every available one; reference is timed only
                   where a run takes < ~1 s: up to 1e8 FLOPs)
  --threads N      kernel threads for native backends and anchors (default: backend default)
  --samples N      timed samples per case (default 20)
  --no-anchors     skip OpenBLAS, PyTorch and the FMA peak
  --json           JSON Lines on stdout (one result per line) instead of the table
`;

/** One benchmark case: an op on fixed shapes, plus a cheaper twin for validation. */
interface Case {
  /** Reported name: "gemm" for matmul, else the op id. */
  name: string;
  op: string;
  group: 'gemm' | 'conv' | 'elementwise';
  /** conv64 layer label ("enc2", "dec1"…), empty for others. */
  layer: string;
  shape: number[];
  inputShapes: Shape[];
  attrs: Attrs;
  flops: number;
  validate: { inputShapes: Shape[]; attrs: Attrs; note: string };
  /** PyTorch anchor spec (conv cases). */
  torch?: { op: string; x: number[]; w: number[]; stride: number[]; padding: number[]; dilation: number[]; out: number[] };
}

interface Row {
  c: Case;
  backend: string;
  threads: number;
  median_ms: number;
  p90_ms: number;
  /** Median process CPU time per call (all threads), ms. */
  cpu_ms?: number;
  samples: number;
  gflops: number;
  validated?: string;
}

const CONV_ENC = [
  { layer: 'enc1-idm', C: 6, OC: 32, H: 64 },
  { layer: 'enc1-fdm', C: 3, OC: 32, H: 64 },
  { layer: 'enc2', C: 32, OC: 64, H: 32 },
  { layer: 'enc3', C: 64, OC: 128, H: 16 },
  { layer: 'enc4', C: 128, OC: 128, H: 8 },
];
const CONV_DEC = [
  { layer: 'dec1', IC: 128, OC: 128, H: 4 },
  { layer: 'dec2', IC: 256, OC: 64, H: 8 },
  { layer: 'dec3', IC: 128, OC: 32, H: 16 },
  { layer: 'dec4', IC: 64, OC: 3, H: 32 },
];
const CONV_OPS = ['conv2d', 'conv2d_backward_input', 'conv2d_backward_filter', 'conv_transpose2d'];

function gemmCase(n: number): Case {
  const v = Math.min(n, 256);
  return {
    name: 'gemm', op: 'matmul', group: 'gemm', layer: '', shape: [n, n, n],
    inputShapes: [[n, n], [n, n]], attrs: {}, flops: 2 * n * n * n,
    validate: { inputShapes: [[v, v], [v, v]], attrs: {}, note: v === n ? '' : `${v}³` },
  };
}

function convCases(op: string, batch: number): Case[] {
  const k = 4, s = 2, p = 1;
  const geo = { stride: s, padding: p };
  const vb = Math.min(batch, 2);
  const out: Case[] = [];
  if (op === 'conv_transpose2d') {
    for (const L of CONV_DEC) {
      const mk = (b: number): Shape[] => [[b, L.IC, L.H, L.H], [L.IC, L.OC, k, k]];
      const OH = 2 * L.H;
      out.push({
        name: op, op, group: 'conv', layer: L.layer, shape: [batch, L.IC, L.H, L.H, L.OC, k, k],
        inputShapes: mk(batch), attrs: geo, flops: 2 * batch * L.IC * L.OC * k * k * L.H * L.H,
        validate: { inputShapes: mk(vb), attrs: geo, note: vb === batch ? '' : `batch ${vb}` },
        torch: { op, x: [batch, L.IC, L.H, L.H], w: [L.IC, L.OC, k, k], stride: [s, s], padding: [p, p], dilation: [1, 1], out: [batch, L.OC, OH, OH] },
      });
    }
    return out;
  }
  for (const L of CONV_ENC) {
    const OH = L.H / 2;
    const x = (b: number): Shape => [b, L.C, L.H, L.H];
    const w: Shape = [L.OC, L.C, k, k];
    const dy = (b: number): Shape => [b, L.OC, OH, OH];
    let mk: (b: number) => Shape[];
    let attrs: Attrs = geo;
    if (op === 'conv2d') mk = (b) => [x(b), w];
    else if (op === 'conv2d_backward_input') {
      mk = (b) => [dy(b), w];
      attrs = { ...geo, inputSize: [L.H, L.H] };
    } else {
      mk = (b) => [x(b), dy(b)];
      attrs = { ...geo, kernelSize: [k, k] };
    }
    out.push({
      name: op, op, group: 'conv', layer: L.layer, shape: [batch, L.C, L.H, L.H, L.OC, k, k],
      inputShapes: mk(batch), attrs, flops: 2 * batch * L.OC * L.C * k * k * OH * OH,
      validate: { inputShapes: mk(vb), attrs, note: vb === batch ? '' : `batch ${vb}` },
      torch: { op, x: [...x(batch)], w: [...w], stride: [s, s], padding: [p, p], dilation: [1, 1], out: [...dy(batch)] },
    });
  }
  return out;
}

function elementwiseCase(op: string): Case {
  const n = 1 << 20;
  const shapes: Shape[] = op === 'add' ? [[n], [n]] : [[n]];
  return { name: op, op, group: 'elementwise', layer: '', shape: [n], inputShapes: shapes, attrs: {}, flops: n, validate: { inputShapes: shapes, attrs: {}, note: '' } };
}

function buildCases(ops: string[], sizes: number[], batch: number): Case[] {
  const cases: Case[] = [];
  for (const op of ops) {
    if (op === 'gemm' || op === 'matmul') cases.push(...sizes.map(gemmCase));
    else if (CONV_OPS.includes(op)) cases.push(...convCases(op, batch));
    else cases.push(elementwiseCase(op));
  }
  return cases;
}

function inputsFor(shapes: readonly Shape[], seed: number): TensorData[] {
  const rng = new Rng(seed);
  return shapes.map((s) => {
    const a = new Float32Array(numel(s));
    for (let i = 0; i < a.length; i++) a[i] = rng.uniform() * 2 - 1;
    return a;
  });
}

/**
 * Per-step times of `samples` samples (after a warm-up). A sample is one step unless a step is
 * shorter than 0.25 ms (then enough steps to reach it): on a shared machine a long sample is
 * more likely to be preempted, so samples are kept as short as the anchors' (one call each).
 */
function timeOp(p: PreparedOp, samples: number): { wall: number[]; cpu: number[] } {
  p.run(1);
  const t0 = performance.now();
  p.run(1);
  const one = Math.max(performance.now() - t0, 1e-3);
  const steps = Math.min(1000, Math.max(1, Math.ceil(0.25 / one)));
  const wall: number[] = [], cpu: number[] = [];
  for (let i = 0; i < samples; i++) {
    const c0 = process.cpuUsage();
    const a = performance.now();
    p.run(steps);
    const w = (performance.now() - a) / steps;
    const c = process.cpuUsage(c0);
    wall.push(w);
    cpu.push((c.user + c.system) / 1000 / steps);
  }
  return { wall, cpu };
}

/** NMSE and max |Δ| of `got` against the reference outputs; guard zones must be intact. */
function compare(got: TensorData[], ref: TensorData[]): { ok: boolean; maxAbs: number; nmse: number } {
  let maxAbs = 0, num = 0, den = 0, finite = true;
  got.forEach((g, k) => {
    const r = ref[k];
    for (let i = 0; i < r.length; i++) {
      const d = g[i] - r[i];
      if (!Number.isFinite(g[i]) && Number.isFinite(r[i])) finite = false;
      maxAbs = Math.max(maxAbs, Math.abs(d));
      num += d * d;
      den += r[i] * r[i];
    }
  });
  const nmse = den > 0 ? num / den : num;
  return { ok: finite && nmse <= 1e-9, maxAbs, nmse };
}

function sh(cmd: string, args: string[], env?: NodeJS.ProcessEnv, input?: string) {
  return spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, ...env }, input, maxBuffer: 1 << 24 });
}

/** Compiles an anchor C program once per source version into a per-user temp dir. */
function compileAnchor(src: string, name: string, flags: string[]): { bin?: string; reason?: string } {
  if (!existsSync(src)) return { reason: `${src} is missing` };
  const dir = join(tmpdir(), `lamkit-bench-${userInfo().uid}`);
  mkdirSync(dir, { recursive: true });
  const bin = join(dir, name);
  if (existsSync(bin) && statSync(bin).mtimeMs >= statSync(src).mtimeMs) return { bin };
  const cc = process.env.CC || 'cc';
  const r = sh(cc, ['-O3', ...flags.filter((f) => !f.startsWith('-l')), '-o', bin, src, ...flags.filter((f) => f.startsWith('-l'))]);
  if (r.error) return { reason: `${cc} could not run (${r.error.message})` };
  if (r.status !== 0) return { reason: `${cc} failed: ${(r.stderr || '').trim().split('\n').slice(-2).join(' | ')}` };
  return { bin };
}

function gitCommit(root: string): string {
  const r = sh('git', ['-C', root, 'rev-parse', '--short', 'HEAD']);
  return r.status === 0 ? r.stdout.trim() : 'unknown';
}

function cpuModel(): string {
  try {
    const m = /model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) return m[1].trim();
  } catch {
    /* not Linux */
  }
  return cpus()[0]?.model ?? 'unknown';
}

interface Probed {
  name: string;
  available: boolean;
  reason?: string;
  backend?: Backend;
}

/**
 * Creates each backend (only the wanted ones, plus the reference oracle), with a time limit:
 * a backend whose start-up never settles must not hang the benchmark.
 */
async function probe(wanted: string[] | undefined, limitMs = 30000): Promise<Probed[]> {
  const out: Probed[] = [];
  for (const f of backendFactories()) {
    if (wanted && !wanted.includes(f.name) && f.name !== 'reference') {
      out.push({ name: f.name, available: false, reason: 'not requested' });
      continue;
    }
    let timer: NodeJS.Timeout | undefined;
    try {
      const limit = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`did not start within ${limitMs / 1000} s`)), limitMs);
      });
      const backend = await Promise.race([Promise.resolve().then(() => f.create()), limit]);
      out.push({ name: f.name, available: true, backend });
    } catch (e) {
      out.push({ name: f.name, available: false, reason: (e as Error).message ?? String(e) });
    } finally {
      clearTimeout(timer);
    }
  }
  return out;
}

const fmt = (v: number | undefined, d = 2): string => (v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(d));

export async function run(argv: string[]): Promise<number> {
  const { values } = parseFlags('bench kernels', argv, {
    op: { type: 'string' },
    size: { type: 'string' },
    batch: { type: 'string' },
    backend: { type: 'string' },
    threads: { type: 'string' },
    samples: { type: 'string' },
    'no-anchors': { type: 'boolean' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const json = values.json === true;
  const say = (s: string) => (json ? console.error(s) : console.log(s));
  const emit = (o: Record<string, unknown>) => json && console.log(JSON.stringify(o));

  const known = ['gemm', ...CONV_OPS, 'relu', 'add'];
  let ops = (values.op ?? 'gemm,conv').split(',').map((s) => s.trim()).filter(Boolean);
  ops = ops.flatMap((o) => (o === 'conv' ? CONV_OPS : o === 'all' ? known : [o === 'matmul' ? 'gemm' : o]));
  for (const o of ops) if (!known.includes(o)) throw new UsageError(`--op: unknown op '${o}'; expected a list of ${known.join(', ')}, conv or all`);
  ops = [...new Set(ops)];
  const sizes = (values.size ?? '256,512,1024,2048').split(',').map((s) => numberFlag('size', s.trim(), 0, { min: 1, max: 16384, integer: true }));
  const batch = numberFlag('batch', values.batch, 32, { min: 1, max: 4096, integer: true });
  const samples = numberFlag('samples', values.samples, 20, { min: 1, max: 10000, integer: true });
  const threadsFlag = values.threads === undefined ? undefined : numberFlag('threads', values.threads, 0, { min: 1, max: 256, integer: true });

  // Backends: every available one (or the requested ones, which must be available).
  const wanted = values.backend?.split(',').map((s) => s.trim()).filter(Boolean);
  const status = await probe(wanted);
  if (wanted) for (const w of wanted) if (!status.some((s) => s.name === w)) throw new UsageError(`--backend: unknown backend '${w}'; expected one of ${status.map((s) => s.name).join(', ')}`);
  const reference = status.find((s) => s.name === 'reference')?.backend;
  if (!reference) throw new Error('bench kernels: the reference backend is unavailable');
  const backends: Backend[] = [];
  const skippedMsgs: string[] = [];
  for (const s of status) {
    if (wanted && !wanted.includes(s.name)) continue;
    if (!s.available || !s.backend) {
      skippedMsgs.push(`backend ${s.name}: skipped (${s.reason})`);
      continue;
    }
    backends.push(s.backend);
  }
  if (backends.length === 0) throw new Error(`bench kernels: none of the requested backends is available (${wanted?.join(', ')})`);
  for (const b of backends) {
    const setter = (b as unknown as { setThreads?: (n: number) => void }).setThreads;
    if (threadsFlag !== undefined && typeof setter === 'function') setter.call(b, threadsFlag);
  }
  const native = backends.find((b) => b.name === 'native-cpu');
  const threads = threadsFlag ?? native?.info().threads ?? cpus().length;

  const root = packageRoot();
  const env = {
    kind: 'env', commit: gitCommit(root), cpu: cpuModel(), cores: cpus().length, threads,
    simd: native?.info().isa ?? 'n/a', node: process.version, backends: backends.map((b) => b.name), date: new Date().toISOString(),
  };
  emit(env);
  say(`# lamkit bench kernels\n\ncommit ${env.commit} · ${env.cpu} (${env.cores} cores) · threads ${threads} · SIMD ${env.simd} · node ${env.node} · ${env.date}\n`);
  for (const m of skippedMsgs) say(m);

  // ---- anchors: FMA peak first (used for % of peak) -----------------------------------------
  const anchors = values['no-anchors'] !== true;
  // FMA peak: measured once now and again in every timing round; the best run counts (the
  // loop is register-only, so a slower run can only mean the machine was busy).
  let peak: number | undefined;
  let peakBin: string | undefined;
  let peakLanes = 0;
  const measurePeak = () => {
    if (!peakBin) return;
    const r = sh(peakBin, [String(threads)]);
    try {
      const o = JSON.parse(r.stdout.trim()) as { gflops: number; lanes: number };
      peak = Math.max(peak ?? 0, o.gflops);
      peakLanes = o.lanes;
    } catch {
      say(`FMA peak: run failed (${JSON.stringify((r.stdout + r.stderr).slice(0, 200))})`);
    }
  };
  if (anchors) {
    const c = compileAnchor(join(root, 'benchmarks/kernels/fma_peak.c'), 'fma_peak', ['-march=native', '-ffp-contract=fast', '-pthread']);
    if (c.bin) {
      peakBin = c.bin;
      measurePeak();
    } else say(`FMA peak: skipped (${c.reason})`);
  }
  // PyTorch anchor: present when /usr/bin/python3 can import torch.
  const torchPy = process.env.LAMKIT_TORCH_PYTHON || '/usr/bin/python3';
  let torchOk = false;
  if (anchors && ops.some((o) => CONV_OPS.includes(o))) {
    if (!existsSync(torchPy)) say(`PyTorch anchor: skipped (${torchPy} not found; install with \`apt-get install -y python3-torch\`)`);
    else {
      const r = sh(torchPy, ['-c', 'import torch; print(torch.__version__)']);
      if (r.status === 0) torchOk = true;
      else say(`PyTorch anchor: skipped (${torchPy} cannot import torch: ${(r.stderr || '').trim().split('\n').slice(-1)[0]}; \`apt-get install -y python3-torch\`)`);
    }
  }
  let openblas: string | undefined;
  if (anchors && ops.includes('gemm')) {
    const c = compileAnchor(join(root, 'benchmarks/kernels/openblas_gemm.c'), 'openblas_gemm', ['-lopenblas']);
    if (c.bin) openblas = c.bin;
    else say(`OpenBLAS anchor: skipped (${c.reason}; install it with \`apt-get install -y libopenblas-dev\`)`);
  }

  const cases = buildCases(ops, sizes, batch);
  const refTimeLimit = 1e8; // flops; the float64 JS reference runs ~0.1 GFLOP/s
  let failures = 0;

  // ---- validate every (case, backend) and keep the prepared programs for timing -----------
  // times: wall ms per step; cpu: process CPU ms per step (all threads; robust to other load).
  interface Slot { c: Case; backend: string; threads: number; p?: PreparedOp; times: number[]; cpu: number[]; samples: number; validated?: string }
  const slots: Slot[] = [];
  for (const c of cases) {
    const spec = { op: c.op, inputShapes: c.inputShapes, attrs: c.attrs, acc: false };
    const inputs = inputsFor(c.inputShapes, 1234);
    // Validation against the reference on the (possibly smaller) validation shape.
    const vspec = { op: c.op, inputShapes: c.validate.inputShapes, attrs: c.validate.attrs, acc: false };
    const vin = inputsFor(c.validate.inputShapes, 99);
    const rp = prepareSingleOp(reference, vspec, vin);
    rp.run(1);
    const refOut = rp.outputs();
    rp.dispose();
    for (const b of backends) {
      let validated = 'reference';
      if (b !== reference) {
        const vp = prepareSingleOp(b, vspec, vin);
        vp.run(1);
        const cmp = compare(vp.outputs(), refOut);
        const guards = vp.guardErrors();
        vp.dispose();
        if (!cmp.ok || guards.length) {
          failures++;
          say(`✗ ${c.name} ${c.layer} ${b.name}: does not match the reference (max |Δ| ${cmp.maxAbs.toExponential(2)}, NMSE ${cmp.nmse.toExponential(2)}${guards.length ? `, ${guards[0]}` : ''}); not timed`);
          emit({ kind: 'error', name: c.name, layer: c.layer || undefined, shape: c.shape, backend: b.name, maxAbs: cmp.maxAbs, nmse: cmp.nmse, guards });
          continue;
        }
        validated = `max|Δ| ${cmp.maxAbs.toExponential(1)} NMSE ${cmp.nmse.toExponential(1)}${c.validate.note ? ` at ${c.validate.note}` : ''}`;
      } else if (c.flops > refTimeLimit) {
        continue; // the reference is not timed on big shapes (it would take minutes)
      }
      const bt = b.name === 'native-cpu' ? threads : (b.info().threads ?? 1);
      slots.push({ c, backend: b.name, threads: bt, p: prepareSingleOp(b, spec, inputs), times: [], cpu: [], samples: b === reference ? Math.min(samples, 3) : samples, validated });
    }
    if (openblas && c.group === 'gemm') slots.push({ c, backend: 'openblas', threads, times: [], cpu: [], samples });
    if (torchOk && c.torch) slots.push({ c, backend: 'pytorch-cpu', threads, times: [], cpu: [], samples });
  }
  say(`validated ${slots.filter((s) => s.p && s.backend !== 'reference').length} backend/case combinations against the reference${failures ? `, ${failures} FAILED` : ''}`);

  // ---- time in interleaved rounds: each round gives every slot a share of its samples, so
  // load changes on a shared machine hit lamkit and the anchors alike --------------------------
  const rounds = Math.min(4, samples);
  for (let r = 0; r < rounds; r++) {
    measurePeak();
    const share = (s: Slot) => Math.floor((s.samples * (r + 1)) / rounds) - Math.floor((s.samples * r) / rounds);
    for (const s of slots) {
      const n = share(s);
      if (n <= 0) continue;
      if (s.p) {
        const t = timeOp(s.p, n);
        s.times.push(...t.wall);
        s.cpu.push(...t.cpu);
      }
      else if (s.backend === 'openblas' && openblas) {
        const k = s.c.shape[0];
        const o = sh(openblas, [String(k), String(k), String(k), String(n)], { OPENBLAS_NUM_THREADS: String(threads) });
        try {
          const j = JSON.parse(o.stdout.trim()) as { times: number[]; cpu_times?: number[] };
          s.times.push(...j.times);
          s.cpu.push(...(j.cpu_times ?? []));
        } catch {
          say(`OpenBLAS anchor failed for ${k}³: ${(o.stderr || o.stdout || String(o.error)).trim().split('\n')[0]}`);
        }
      }
    }
    // PyTorch: one python process per round for every conv case (import torch costs seconds).
    const tslots = slots.filter((s) => s.backend === 'pytorch-cpu' && share(s) > 0);
    if (tslots.length) {
      const o = sh(torchPy, [join(root, 'benchmarks/kernels/torch_conv.py')], { OMP_NUM_THREADS: String(threads), MKL_NUM_THREADS: String(threads) },
        JSON.stringify({ threads, samples: share(tslots[0]), cases: tslots.map((s) => s.c.torch) }));
      const lines = (o.stdout || '').trim().split('\n').filter(Boolean);
      if (o.status !== 0 || lines.length < tslots.length) {
        say(`PyTorch anchor failed: ${(o.stderr || String(o.error)).trim().split('\n').slice(-1)[0]}`);
      } else {
        tslots.forEach((s, i) => {
          const j = JSON.parse(lines[i]) as { times: number[]; cpu_times?: number[] };
          s.times.push(...j.times);
          s.cpu.push(...(j.cpu_times ?? []));
        });
        if (r === 0 && lines[tslots.length]) say(`PyTorch: ${lines[tslots.length]}`);
      }
    }
  }
  if (peak !== undefined) {
    emit({ kind: 'peak', name: 'fma_f32', threads, gflops: peak, lanes: peakLanes });
    say(`FMA peak (register-only fp32 FMA loop, ${peakLanes} lanes, ${threads} threads, best of ${rounds + 1} runs): ${peak.toFixed(1)} GFLOP/s`);
  }
  const rows: Row[] = [];
  for (const s of slots) {
    s.p?.dispose();
    if (!s.times.length) continue;
    const ts = [...s.times].sort((x, y) => x - y);
    const median = ts[Math.floor(ts.length / 2)], p90 = ts[Math.min(ts.length - 1, Math.floor(ts.length * 0.9))];
    const cs = [...s.cpu].sort((x, y) => x - y);
    const cpu_ms = cs.length ? cs[Math.floor(cs.length / 2)] : undefined;
    rows.push({ c: s.c, backend: s.backend, threads: s.threads, median_ms: median, p90_ms: p90, cpu_ms, samples: ts.length, gflops: s.c.flops / (median * 1e6), validated: s.validated });
  }

  // ---- report -----------------------------------------------------------------------------
  const key = (c: Case) => `${c.name}|${c.layer}|${c.shape.join('x')}`;
  const best = new Map<string, number>();
  const refMs = new Map<string, number>();
  for (const r of rows) {
    best.set(key(r.c), Math.max(best.get(key(r.c)) ?? 0, r.gflops));
    if (r.backend === 'reference') refMs.set(key(r.c), r.median_ms);
  }
  if (!json) {
    say('\n| kernel | layer | shape | backend | thr | median ms | p90 ms | CPU ms | GFLOP/s | ×reference | ×best | % peak |');
    say('|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  }
  for (const r of rows) {
    const k = key(r.c);
    const xref = refMs.has(k) ? refMs.get(k)! / r.median_ms : undefined;
    const xbest = r.gflops / (best.get(k) ?? r.gflops);
    const pct = peak ? (100 * r.gflops) / peak : undefined;
    emit({
      kind: 'kernel', name: r.c.name, layer: r.c.layer || undefined, shape: r.c.shape, backend: r.backend, threads: r.threads,
      median_ms: r.median_ms, p90_ms: r.p90_ms, cpu_ms: r.cpu_ms, gflops: r.gflops, samples: r.samples,
      x_reference: xref, x_best: xbest, pct_peak: pct, validated: r.validated,
    });
    if (!json)
      say(`| ${r.c.name} | ${r.c.layer || '—'} | ${r.c.shape.join('×')} | ${r.backend} | ${r.threads} | ${fmt(r.median_ms, 3)} | ${fmt(r.p90_ms, 3)} | ${fmt(r.cpu_ms, 3)} | ${fmt(r.gflops, 1)} | ${fmt(xref, 1)} | ${fmt(xbest)} | ${fmt(pct, 1)} |`);
  }

  // Summaries: native GEMM vs OpenBLAS, conv totals vs PyTorch.
  say('');
  const lam = native?.name ?? backends[0].name;
  for (const c of cases.filter((x) => x.group === 'gemm')) {
    const a = rows.find((r) => r.c === c && r.backend === lam);
    const o = rows.find((r) => r.c === c && r.backend === 'openblas');
    if (a && o) {
      const ratio = a.gflops / o.gflops;
      const ratio_cpu = a.cpu_ms && o.cpu_ms ? o.cpu_ms / a.cpu_ms : undefined;
      emit({ kind: 'summary', name: 'gemm_vs_openblas', shape: c.shape, backend: lam, threads, ratio, ratio_cpu, pct_peak: peak ? (100 * a.gflops) / peak : undefined, openblas_pct_peak: peak ? (100 * o.gflops) / peak : undefined });
      say(`GEMM ${c.shape[0]}³: ${lam} ${a.gflops.toFixed(1)} GFLOP/s = ${ratio.toFixed(2)}× OpenBLAS (${o.gflops.toFixed(1)}; by CPU time ${fmt(ratio_cpu)}×)${peak ? `, ${((100 * a.gflops) / peak).toFixed(0)}% of FMA peak (OpenBLAS ${((100 * o.gflops) / peak).toFixed(0)}%)` : ''}`);
    }
  }
  const conv = cases.filter((x) => x.group === 'conv');
  if (conv.length) {
    const total = (backend: string, cpu = false) => {
      let s = 0;
      for (const c of conv) {
        const r = rows.find((x) => x.c === c && x.backend === backend);
        const v = r && (cpu ? r.cpu_ms : r.median_ms);
        if (v === undefined) return undefined;
        s += v;
      }
      return s;
    };
    const tl = total(lam), tp = total('pytorch-cpu');
    const cl = total(lam, true), cp = total('pytorch-cpu', true);
    if (tl !== undefined) {
      emit({ kind: 'summary', name: 'conv_total', backend: lam, threads, batch, cases: conv.length, lamkit_ms: tl, pytorch_ms: tp, ratio: tp !== undefined ? tl / tp : undefined,
        lamkit_cpu_ms: cl, pytorch_cpu_ms: cp, ratio_cpu: cl !== undefined && cp !== undefined ? cl / cp : undefined });
      say(`conv64 conv family (${conv.length} cases, batch ${batch}): ${lam} total ${tl.toFixed(1)} ms${tp !== undefined ? ` vs PyTorch CPU ${tp.toFixed(1)} ms → ${(tl / tp).toFixed(2)}× PyTorch's time${cl !== undefined && cp !== undefined ? ` (CPU time ${(cl / cp).toFixed(2)}×)` : ''}` : ''}`);
    }
  }
  if (failures) say(`${failures} backend/case combination(s) failed validation`);
  return failures ? 1 : 0;
}
