/**
 * `lamkit train --preset grid32|conv64 --data gridworld …` — the nonlinear-testbed training run,
 * as a function the train command delegates to (src/cli/train.ts owns the command; it calls
 * `gridworldTrainCommand(argv)` when the data is the gridworld). Writes a run directory that
 * `lamkit analyze --run DIR` reads back through `analyzeGridworldRun` (gridworld-analyze.ts):
 *
 *   DIR/checkpoint.safetensors  parameters (preset names, plus heads), the VQ codebook as state
 *                               'vq.codebook', config {kind: 'gridworld', preset, options, world,
 *                               spec (its k is --latent-dim), objective, bottleneck} (src/lam/checkpoint.ts)
 *   DIR/run.json      summary: the same config, timings, final losses, codebook usage, backend
 *   DIR/log.jsonl     one line per log point (loss parts, usage, perplexity, z / embedding variance)
 * `lamkit export --run DIR` reads the checkpoint (src/onnx/run-dir.ts).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseFlags, numberFlag, UsageError } from '../cli/usage.js';
import type { GridworldConfig } from '../data/gridworld.js';
import { resolveGridworldConfig } from '../data/gridworld-config.js';
import { ensureWritableDir, makeDir } from '../util/make-dir.js';
import { saveCheckpoint } from './checkpoint.js';
import { convObjectiveLabel, parseConvObjective } from './conv-objectives.js';
import { describeRun, MAX_LATENT_DIM, trainConvLam, type Bottleneck, type ConvTrainResult } from './conv-trainer.js';
import { parseBottleneck } from './vq.js';

/** Flags of a gridworld training run (shared by train and sweep). */
export const GRIDWORLD_TRAIN_FLAGS = {
  preset: { type: 'string' },
  data: { type: 'string' },
  distractors: { type: 'string' },
  bottleneck: { type: 'string' },
  objective: { type: 'string' },
  steps: { type: 'string' },
  seed: { type: 'string' },
  batch: { type: 'string' },
  lr: { type: 'string' },
  'latent-dim': { type: 'string' },
  frame: { type: 'string' },
  objects: { type: 'string' },
  sprite: { type: 'string' },
  texture: { type: 'string' },
  flicker: { type: 'string' },
  camera: { type: 'string' },
  walls: { type: 'boolean' },
  'action-mode': { type: 'string' },
  out: { type: 'string' },
  backend: { type: 'string' },
  json: { type: 'boolean' },
  quiet: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export const GRIDWORLD_TRAIN_USAGE = `usage: lamkit train --preset grid32|conv64 --data gridworld [options]
  --distractors S        exogenous strength in [0, 1] (default 0.5)
  --bottleneck B         continuous | vq:<codes ≥ 2> (default continuous)
  --objective O          recon | oracle | latent-ema[:τ[:μ[:L]]] | latent-ema-mse[:τ[:μ[:L]]] | latent-nosg |
                         sup:<λ>[:<p>[:<m>]] | cross (default recon); sup:λ:p:m takes m rows of every batch
                         from a labelled pool of p·steps·batch transitions
  --steps N              training steps (default 600)
  --seed N               seed of the world, init and samples (default 0)
  --batch N, --lr X      override the preset's batch size / learning rate
  --latent-dim K         latent size k in [1, ${MAX_LATENT_DIM}] (default the preset's: 8 grid32, 16 conv64); k at the
                         action's size (2) is where supervision can push distractors out of z
  --frame N              frame size (a multiple of 16; default 32 for grid32, 64 for conv64)
  --sprite N             agent sprite side in pixels (smaller than the frame)
  --objects N, --texture A, --flicker A, --camera σ, --walls, --action-mode discrete|continuous
                         fine controls of the gridworld (SCIENCE.md §6)
  --backend NAME         engine backend (default: LAMKIT_BACKEND or the best available)
  --out DIR              run directory (default runs/<preset>-<objective>-<bottleneck>-s<S>-seed<N>)
  --json                 print the run summary as JSON`;

/** Parsed options of one gridworld training run. */
export interface GridworldRunOptions {
  preset: 'grid32' | 'conv64';
  world: Partial<GridworldConfig>;
  objectiveText: string;
  bottleneckText: string;
  steps: number;
  seed: number;
  batch?: number;
  lr?: number;
  /** Latent size k (default: the preset's). */
  latentDim?: number;
  /** Backend name (default: LAMKIT_BACKEND or the best available). */
  backend?: string;
}

/** Validates the flags (errors name the flag and the allowed values). */
export function gridworldRunOptions(values: Record<string, string | boolean | undefined>): GridworldRunOptions {
  const preset = (values.preset as string | undefined) ?? 'grid32';
  if (preset !== 'grid32' && preset !== 'conv64') throw new UsageError(`--preset: expected grid32 or conv64 with --data gridworld, got '${preset}'`);
  if (values.data !== undefined && values.data !== 'gridworld') throw new UsageError(`--data: expected 'gridworld' for the conv presets, got '${String(values.data)}'`);
  const frame = numberFlag('frame', values.frame as string | undefined, preset === 'grid32' ? 32 : 64, { min: 16, integer: true });
  if (frame % 16 !== 0) throw new UsageError(`--frame: expected a multiple of 16 (the conv stack halves the frame 4 times): 16, 32, 48, 64, …; got ${frame}`);
  const world: Partial<GridworldConfig> = {
    strength: numberFlag('distractors', values.distractors as string | undefined, 0.5, { min: 0, max: 1 }),
    height: frame,
    width: frame,
    sprite: values.sprite !== undefined ? numberFlag('sprite', values.sprite as string, 6, { min: 1, integer: true }) : undefined,
    objects: values.objects !== undefined ? numberFlag('objects', values.objects as string, 3, { min: 0, max: 32, integer: true }) : undefined,
    texture: values.texture !== undefined ? numberFlag('texture', values.texture as string, 0, { min: 0, max: 1 }) : undefined,
    flicker: values.flicker !== undefined ? numberFlag('flicker', values.flicker as string, 0, { min: 0, max: 1 }) : undefined,
    camera: values.camera !== undefined ? numberFlag('camera', values.camera as string, 0, { min: 0 }) : undefined,
    walls: values.walls === true ? true : undefined,
  };
  const mode = values['action-mode'] as string | undefined;
  if (mode !== undefined) {
    if (mode !== 'discrete' && mode !== 'continuous') throw new UsageError(`--action-mode: expected discrete or continuous, got '${mode}'`);
    world.actionMode = mode;
  }
  const objectiveText = (values.objective as string | undefined) ?? 'recon';
  const bottleneckText = (values.bottleneck as string | undefined) ?? 'continuous';
  const objective = parseConvObjective(objectiveText);
  if (objective.kind === 'sup' && world.actionMode === 'continuous') throw new UsageError(`--objective ${objectiveText}: action supervision needs discrete actions; got --action-mode continuous (expected discrete)`);
  try {
    parseBottleneck(bottleneckText);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const batch = values.batch !== undefined ? numberFlag('batch', values.batch as string, 16, { min: 1, integer: true }) : undefined;
  const batchSize = batch ?? (preset === 'grid32' ? 16 : 32);
  if (objective.kind === 'sup' && objective.perBatch !== undefined && objective.perBatch > batchSize)
    throw new UsageError(`--objective ${objectiveText}: m (labelled rows per batch) must be ≤ the batch size ${batchSize}, got ${objective.perBatch}`);
  const seed = numberFlag('seed', values.seed as string | undefined, 0, { min: 0, integer: true });
  // Validate the world now so a bad knob fails before any training.
  try {
    resolveGridworldConfig({ ...world, channels: preset === 'grid32' ? 1 : 3, seed }, preset);
  } catch (e) {
    throw new UsageError((e as Error).message.replace(/^gridworld: /, ''));
  }
  return {
    preset,
    world,
    objectiveText,
    bottleneckText,
    steps: numberFlag('steps', values.steps as string | undefined, 600, { min: 1, integer: true }),
    seed,
    batch,
    lr: values.lr !== undefined ? numberFlag('lr', values.lr as string, 1e-3, { min: 0, minExclusive: true }) : undefined,
    latentDim: values['latent-dim'] !== undefined ? numberFlag('latent-dim', values['latent-dim'] as string, 8, { min: 1, max: MAX_LATENT_DIM, integer: true }) : undefined,
    backend: values.backend as string | undefined,
  };
}

/** Trains one run from parsed options (on the graph engine; `backend` as compile() takes it). */
export function trainGridworld(o: GridworldRunOptions, onLog?: Parameters<typeof trainConvLam>[0]['onLog']): Promise<ConvTrainResult> {
  return trainConvLam({
    preset: o.preset,
    world: o.world,
    objective: parseConvObjective(o.objectiveText),
    bottleneck: parseBottleneck(o.bottleneckText) as Bottleneck,
    steps: o.steps,
    seed: o.seed,
    batch: o.batch,
    lr: o.lr,
    latentDim: o.latentDim,
    backend: o.backend,
    onLog,
  });
}

/** Writes checkpoint.safetensors (parameters, VQ codebook as state), log.jsonl and a run.json summary into `dir`. */
export function saveGridworldRun(dir: string, o: GridworldRunOptions, r: ConvTrainResult): void {
  makeDir(dir);
  const config = {
    kind: 'gridworld',
    preset: r.preset,
    options: o,
    world: r.world.cfg,
    spec: r.spec,
    batch: r.batch,
    lr: r.lr,
    objective: convObjectiveLabel(r.objective),
    bottleneck: r.bottleneck,
  };
  const shapes: Record<string, readonly number[]> = { ...r.paramShapes };
  const state: Record<string, Float32Array> = {};
  if (r.codebook) {
    state['vq.codebook'] = r.codebook;
    shapes['vq.codebook'] = [r.codebook.length / r.spec.k, r.spec.k];
  }
  saveCheckpoint(dir, { params: r.params, state, step: r.steps, shapes, config, preset: r.preset });
  writeFileSync(join(dir, 'log.jsonl'), r.log.map((e) => JSON.stringify(e)).join('\n') + '\n');
  const summary = { ...config, final: r.log[r.log.length - 1], msPerStep: r.msPerStep, renderMsPerStep: r.renderMsPerStep, steps: r.steps, backend: r.backend };
  writeFileSync(join(dir, 'run.json'), JSON.stringify(summary, null, 1));
}

/** Default run directory name. */
export function defaultRunDir(o: GridworldRunOptions): string {
  const b = o.bottleneckText.replace(':', '');
  const k = o.latentDim !== undefined ? `-k${o.latentDim}` : '';
  return join('runs', `${o.preset}-${o.objectiveText.replace(/:/g, '_')}-${b}${k}-s${o.world.strength}-seed${o.seed}`);
}

/**
 * The whole `lamkit train … --data gridworld` command: parse, train with progress lines, save.
 * Returns the exit code.
 */
export async function gridworldTrainCommand(argv: string[]): Promise<number> {
  const { values } = parseFlags('train', argv, GRIDWORLD_TRAIN_FLAGS);
  if (values.help) {
    console.log(GRIDWORLD_TRAIN_USAGE);
    return 0;
  }
  const o = gridworldRunOptions(values);
  const dir = (values.out as string | undefined) ?? defaultRunDir(o);
  ensureWritableDir(dir, '--out'); // before training, not after it
  const quiet = values.quiet === true || values.json === true;
  const r = await trainGridworld(o, (e) => {
    if (quiet) return;
    const parts = Object.entries(e.parts).map(([k, v]) => `${k} ${v.toFixed(3)}`).join(', ');
    const vq = e.usage !== undefined ? `, codebook usage ${(100 * e.usage).toFixed(0)}% perplexity ${e.perplexity!.toFixed(2)}` : '';
    console.log(`step ${e.step}/${o.steps}: loss ${e.loss.toFixed(4)} (${parts})${vq}`);
  });
  saveGridworldRun(dir, o, r);
  const summary = { run: dir, description: describeRun(r), msPerStep: r.msPerStep, renderMsPerStep: r.renderMsPerStep, final: r.log[r.log.length - 1] };
  if (values.json) console.log(JSON.stringify(summary, null, 2));
  else console.log(`${summary.description}: ${r.msPerStep.toFixed(1)} ms/step (rendering ${r.renderMsPerStep.toFixed(2)} ms/step); saved ${dir}`);
  return 0;
}
