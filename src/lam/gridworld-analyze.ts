/**
 * `lamkit analyze --run DIR [--json]` for a gridworld run (written by gridworld-run.ts): rebuilds
 * the conv LAM's inference graph from checkpoint.safetensors (or, for older runs, run.json + params.bin) and runs the nonlinear probes (conv-probes.ts) on fresh
 * held-out samples of the same world. src/cli/analyze.ts owns the command and delegates here when
 * run.json says `"kind": "gridworld"` (see `isGridworldRun`).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Gridworld, type GridworldConfig } from '../data/gridworld.js';
import { CHECKPOINT_FILE, loadCheckpoint } from './checkpoint.js';
import { ConvLamModel } from './conv-lam.js';
import { probeConvLam, type ConvProbeResult } from './conv-probes.js';
import type { ConvSpec } from './presets.js';

interface RunJson {
  kind: string;
  world: GridworldConfig;
  spec: ConvSpec;
  objective: string;
  bottleneck: { kind: 'continuous' } | { kind: 'vq'; codes: number };
  /** Runs written before checkpoints (params.bin + this index, codebook inline). */
  codebook?: number[] | null;
  params?: { name: string; shape: number[]; offset: number }[];
  final?: unknown;
  msPerStep?: number;
}

/** True when DIR holds a gridworld run (so analyze should delegate here). */
export function isGridworldRun(dir: string): boolean {
  const f = join(dir, 'run.json');
  if (!existsSync(f)) return false;
  try {
    return (JSON.parse(readFileSync(f, 'utf8')) as { kind?: string }).kind === 'gridworld';
  } catch {
    return false;
  }
}

/** Loads a saved gridworld run: the compiled inference model (with its codebook) and its world. */
export async function loadGridworldRun(dir: string, opts: { backend?: string } = {}): Promise<{ model: ConvLamModel; world: Gridworld; run: RunJson }> {
  const f = join(dir, 'run.json');
  if (!existsSync(f)) throw new RangeError(`--run: no run.json in '${dir}' (expected a directory written by \`lamkit train --data gridworld\`)`);
  const run = JSON.parse(readFileSync(f, 'utf8')) as RunJson;
  if (run.kind !== 'gridworld') throw new RangeError(`--run: '${dir}' is a '${run.kind}' run, expected a gridworld run`);
  if (!run.spec || !Array.isArray(run.spec.ch)) throw new RangeError(`--run: ${f} has no conv spec {c,h,w,ch,k} (written by an older lamkit? retrain it)`);
  let params: Record<string, Float32Array>;
  let codebook: Float32Array | null = null;
  if (existsSync(join(dir, CHECKPOINT_FILE))) {
    const ck = loadCheckpoint(dir);
    params = ck.params;
    codebook = ck.state['vq.codebook'] ?? null;
  } else {
    ({ params, codebook } = readPackedRun(dir, run));
  }
  if (run.bottleneck.kind === 'vq') {
    if (!codebook) throw new RangeError(`--run: '${dir}' has a VQ bottleneck but no codebook (state 'vq.codebook')`);
    if (codebook.length !== run.bottleneck.codes * run.spec.k) throw new RangeError(`--run: the codebook of '${dir}' has ${codebook.length} values, expected ${run.bottleneck.codes}·${run.spec.k}`);
  } else codebook = null;
  const model = await ConvLamModel.load(run.spec, params, codebook, { backend: opts.backend });
  return { model, world: new Gridworld(run.world, 1), run };
}

/** params.bin + the run.json index (runs saved before checkpoint.safetensors). */
function readPackedRun(dir: string, run: RunJson): { params: Record<string, Float32Array>; codebook: Float32Array | null } {
  const binPath = join(dir, 'params.bin');
  if (!existsSync(binPath) || !Array.isArray(run.params)) throw new RangeError(`--run: '${dir}' has neither ${CHECKPOINT_FILE} nor params.bin with a parameter index`);
  const bin = readFileSync(binPath);
  const all = new Float32Array(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength));
  const params: Record<string, Float32Array> = {};
  for (const p of run.params) {
    const n = p.shape.reduce((a, b) => a * b, 1);
    if (p.offset + n > all.length) throw new RangeError(`--run: parameter ${p.name} [${p.shape}] at offset ${p.offset} does not fit ${binPath} (${all.length} floats)`);
    params[p.name] = all.slice(p.offset, p.offset + n);
  }
  return { params, codebook: run.codebook ? Float32Array.from(run.codebook) : null };
}

/** Probes a saved run; the result is what `lamkit analyze --run DIR --json` prints. */
export async function analyzeGridworldRun(dir: string, opts: { n?: number; pairs?: number; seed?: number; backend?: string } = {}): Promise<{ run: string; objective: string; bottleneck: string; distractors: number; probes: ConvProbeResult }> {
  const { model, world, run } = await loadGridworldRun(dir, opts);
  try {
    const probes = probeConvLam(model, world, opts);
    return { run: dir, objective: run.objective, bottleneck: run.bottleneck.kind === 'vq' ? `vq:${run.bottleneck.codes}` : 'continuous', distractors: world.cfg.strength, probes };
  } finally {
    model.dispose();
  }
}

/** Human-readable lines for the analyze command without --json. */
export function formatGridworldAnalysis(a: Awaited<ReturnType<typeof analyzeGridworldRun>>): string {
  const p = a.probes;
  const f = (v: number) => v.toFixed(3);
  return [
    `run ${a.run}: objective ${a.objective}, bottleneck ${a.bottleneck}, distractors ${a.distractors}`,
    `  residualised latent z̃ (held-out, n=${p.n}):  R²(a|z̃) ${f(p.r2Action)}  acc(a|z̃) ${f(p.accAction)} (chance ${f(p.chance)})  R²(ξ|z̃) ${f(p.r2Xi)}  R²(x|z̃) ${f(p.r2X)}`,
    `  raw latent z:                             R²(a|z) ${f(p.r2ActionRaw)}  acc(a|z) ${f(p.accActionRaw)}  R²(ξ|z) ${f(p.r2XiRaw)}`,
    `  S_exo (counterfactual pairs, n=${p.pairs}): ${f(p.sExo)}   (0 = consistent across exogenous draws, 1 = purely exogenous)`,
  ].join('\n');
}
