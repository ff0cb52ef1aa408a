/**
 * `lamkit analyze --run DIR [--json]` for a gridworld run (written by gridworld-run.ts): rebuilds
 * the conv LAM from run.json + params.bin and runs the nonlinear probes (conv-probes.ts) on fresh
 * held-out samples of the same world. src/cli/analyze.ts owns the command and delegates here when
 * run.json says `"kind": "gridworld"` (see `isGridworldRun`).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Gridworld, type GridworldConfig } from '../data/gridworld.js';
import { Rng } from '../data/rng.js';
import { CONV_PRESETS, ConvLam, type ConvLamSpec } from './conv-lam.js';
import { probeConvLam, type ConvProbeResult } from './conv-probes.js';
import { VqCodebook } from './vq.js';

interface RunJson {
  kind: string;
  world: GridworldConfig;
  spec: ConvLamSpec;
  objective: string;
  bottleneck: { kind: 'continuous' } | { kind: 'vq'; codes: number };
  codebook: number[] | null;
  params: { name: string; shape: number[]; offset: number }[];
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

/** Loads a saved gridworld run: the model, its codebook and its world. */
export function loadGridworldRun(dir: string): { model: ConvLam; vq: VqCodebook | null; world: Gridworld; run: RunJson } {
  const f = join(dir, 'run.json');
  if (!existsSync(f)) throw new RangeError(`--run: no run.json in '${dir}' (expected a directory written by \`lamkit train --data gridworld\`)`);
  const run = JSON.parse(readFileSync(f, 'utf8')) as RunJson;
  if (run.kind !== 'gridworld') throw new RangeError(`--run: '${dir}' is a '${run.kind}' run, expected a gridworld run`);
  const spec = { ...CONV_PRESETS[run.spec.name], ...run.spec };
  const names = new Set(run.params.map((p) => p.name));
  const model = new ConvLam(spec, new Rng(0), { actions: names.has('head.action.w') ? 5 : undefined, latent: names.has('lfdm.h.w') });
  const bin = readFileSync(join(dir, 'params.bin'));
  const all = new Float32Array(bin.buffer, bin.byteOffset, bin.byteLength / 4);
  for (const p of run.params) {
    const t = model.params.get(p.name);
    if (t.size !== p.shape.reduce((a, b) => a * b, 1)) throw new RangeError(`--run: parameter ${p.name} has shape [${p.shape}] in run.json, the model expects [${t.shape}]`);
    t.data.set(all.subarray(p.offset, p.offset + t.size));
  }
  let vq: VqCodebook | null = null;
  if (run.bottleneck.kind === 'vq') {
    vq = new VqCodebook({ codes: run.bottleneck.codes, dim: spec.k }, new Rng(0));
    if (!run.codebook) throw new RangeError(`--run: '${dir}' has a VQ bottleneck but no codebook in run.json`);
    vq.load(run.codebook);
  }
  return { model, vq, world: new Gridworld(run.world, 1), run };
}

/** Probes a saved run; the result is what `lamkit analyze --run DIR --json` prints. */
export function analyzeGridworldRun(dir: string, opts: { n?: number; pairs?: number; seed?: number } = {}): { run: string; objective: string; bottleneck: string; distractors: number; probes: ConvProbeResult } {
  const { model, vq, world, run } = loadGridworldRun(dir);
  const probes = probeConvLam(model, vq, world, opts);
  return { run: dir, objective: run.objective, bottleneck: run.bottleneck.kind === 'vq' ? `vq:${run.bottleneck.codes}` : 'continuous', distractors: world.cfg.strength, probes };
}

/** Human-readable lines for the analyze command without --json. */
export function formatGridworldAnalysis(a: ReturnType<typeof analyzeGridworldRun>): string {
  const p = a.probes;
  const f = (v: number) => v.toFixed(3);
  return [
    `run ${a.run}: objective ${a.objective}, bottleneck ${a.bottleneck}, distractors ${a.distractors}`,
    `  residualised latent z̃ (held-out, n=${p.n}):  R²(a|z̃) ${f(p.r2Action)}  acc(a|z̃) ${f(p.accAction)} (chance ${f(p.chance)})  R²(ξ|z̃) ${f(p.r2Xi)}  R²(x|z̃) ${f(p.r2X)}`,
    `  raw latent z:                             R²(a|z) ${f(p.r2ActionRaw)}  acc(a|z) ${f(p.accActionRaw)}  R²(ξ|z) ${f(p.r2XiRaw)}`,
    `  S_exo (counterfactual pairs, n=${p.pairs}): ${f(p.sExo)}   (0 = consistent across exogenous draws, 1 = purely exogenous)`,
  ].join('\n');
}
