/**
 * `lamkit train --preset NAME [--steps N] [--batch B] [--lr LR] [--optimizer adam|adamw|sgd]
 *  [--backend NAME] [--threads N] [--seed S] [--out DIR] [--checkpoint-every N] [--resume DIR]
 *  [--chunk N] [--log-every N] [--json] [--no-check-finite]`
 *
 * Builds the preset's training step, compiles it on a backend and trains it with the shared
 * loop (src/cli/train-loop.ts: progress, metrics.jsonl, checkpoints, Ctrl-C, resume).
 * `--data gridworld` goes to the gridworld conv LAM, any other `--data` to own-data training.
 */
import { memorySummary } from '../graph/plan.js';
import { compile } from '../graph/compile.js';
import { defaultSource } from '../lam/batches.js';
import { CHECKPOINT_FILE, loadCheckpoint } from '../lam/checkpoint.js';
import type { OptimizerName } from '../lam/objective.js';
import { PRESETS, getPreset } from '../lam/presets.js';
import { planPreset } from '../lam/training.js';
import { TRAIN_LOOP_FLAGS, applyThreads, loopSettings, readResume, resumeSetting, trainLoop } from './train-loop.js';
import { UsageError, numberFlag, parseFlags } from './usage.js';

const HELP = `usage: lamkit train --preset NAME [options]
       lamkit train --resume DIR [--steps N] [options]

Trains a preset (${Object.keys(PRESETS).join(', ')}) with a compiled step.
  --preset NAME        ${Object.values(PRESETS).map((p) => `${p.name}: ${p.summary}`).join('\n                       ')}
  --steps N            total training steps (default 1000; with --resume: the checkpoint's)
  --batch B            batch size (default: the preset's)
  --lr LR              learning rate (default 1e-3)
  --optimizer O        adam | adamw | sgd (default adam)
  --backend NAME       native-cuda | native-cpu | wasm | gpujs | reference (default: best available)
  --threads N          kernel threads for native-cpu (default: LAMKIT_THREADS or all cores)
  --seed S             initialisation and data seed (default 0)
  --out DIR            write DIR/metrics.jsonl and DIR/${CHECKPOINT_FILE} (at the end and on Ctrl-C)
  --checkpoint-every N also write the checkpoint every N steps (atomic replace; needs --out)
  --resume DIR         continue the run in DIR from its checkpoint up to --steps: same preset and
                       settings (flags may be left out), metrics.jsonl appended; --out defaults to DIR.
                       On the same backend and threads the losses equal an uninterrupted run's.
  --chunk N            steps per backend call (default 50)
  --log-every N        metrics/JSON line every N steps (default 10; the last step is always logged)
  --json               JSON Lines on stdout instead of a progress bar
  --no-check-finite    skip the per-step NaN/Inf checks on feeds and loss (on by default)
  --data gridworld     train on the distracting gridworld (see --data gridworld --help)
  --data FILE|DIR      train on your own .npy/.npz data (see --data FILE --help)`;

/** `--resume DIR` of an own-data run (its config says so): that command resumes it. */
function ownDataResume(argv: string[]): boolean {
  const at = argv.findIndex((a) => a === '--resume' || a.startsWith('--resume='));
  if (at < 0) return false;
  const dir = argv[at].startsWith('--resume=') ? argv[at].slice(9) : argv[at + 1];
  if (dir === undefined) return false;
  try {
    return loadCheckpoint(dir).config.run_kind === 'own-data';
  } catch {
    return false; // a missing or corrupted checkpoint is reported by the normal path (readResume)
  }
}

export async function run(argv: string[]): Promise<number> {
  // Gridworld video trains the conv LAM with its own objectives and bottlenecks (issue 5).
  const dataAt = argv.findIndex((a) => a === '--data' || a.startsWith('--data='));
  const data = dataAt < 0 ? undefined : argv[dataAt].startsWith('--data=') ? argv[dataAt].slice(7) : argv[dataAt + 1];
  if (data === 'gridworld') {
    const { gridworldTrainCommand } = await import('../lam/gridworld-run.js');
    return gridworldTrainCommand(argv);
  }
  if (data !== undefined || ownDataResume(argv)) {
    const { ownDataTrainCommand } = await import('./train-own-data.js');
    return ownDataTrainCommand(argv);
  }
  const { values } = parseFlags('train', argv, { preset: { type: 'string' }, ...TRAIN_LOOP_FLAGS });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const ck = values.resume !== undefined ? readResume(values.resume) : undefined;
  // With --resume every model/data setting comes from the checkpoint; a flag given must agree.
  const given = <T>(key: string, flag: string, v: T | undefined): T | undefined => (ck ? resumeSetting(ck, key, flag, v) : v);
  const presetName = given('preset', '--preset', values.preset);
  if (!presetName) throw new UsageError(`train: --preset is required (one of ${Object.keys(PRESETS).join(', ')})`);
  let preset;
  try {
    preset = getPreset(presetName);
  } catch (e) {
    throw new UsageError(`train: --preset: ${(e as Error).message}`);
  }
  const num = (v: string | undefined, name: string, fallback: number, o: Parameters<typeof numberFlag>[3]) =>
    v === undefined ? undefined : numberFlag(name, v, fallback, o);
  const batch = given('batch', '--batch', num(values.batch, 'batch', 0, { min: 1, integer: true })) ?? preset.batch;
  const lr = given('lr', '--lr', num(values.lr, 'lr', 0, { min: 0, minExclusive: true })) ?? preset.lr;
  const seed = given('seed', '--seed', num(values.seed, 'seed', 0, { min: 0, integer: true })) ?? 0;
  const optimizer = (given('optimizer', '--optimizer', values.optimizer) ?? 'adam') as OptimizerName;
  if (!['adam', 'adamw', 'sgd'].includes(optimizer)) throw new UsageError(`train: --optimizer must be adam, adamw or sgd, got '${optimizer}'`);
  const loop = loopSettings(values, ck);
  const { steps, chunk, threads, checkFinite } = loop;

  let planned;
  try {
    planned = planPreset(preset, { batch, lr, seed, optimizer, checkFinite });
  } catch (e) {
    // Size limits (int32 dims, tape offsets) hit at a user-chosen batch are a flag mistake, not a bug.
    if (e instanceof RangeError && batch !== preset.batch) throw new UsageError(`train: --batch ${batch}: ${e.message}`);
    throw e;
  }
  const { lam, plan } = planned;
  const model = await compile(plan, { backend: values.backend });
  const usedThreads = await applyThreads(model, threads);
  const config = { preset: preset.name, steps, batch, lr, optimizer, seed, backend: model.backend, threads: usedThreads, chunk, checkFinite };
  try {
    const { exitCode } = await trainLoop({
      model,
      source: defaultSource(lam.preset, batch, seed + 1),
      config,
      ...loop,
      resume: ck,
      startInfo: { peak_bytes: plan.memory.peakBytes, tape_ops: plan.ops.length },
      header: [
        `${preset.name}: batch ${batch}, ${steps} steps, ${optimizer} lr ${lr}, seed ${seed} on ${model.backend}` +
          (model.skipped.length ? ` (skipped ${model.skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')})` : ''),
        `plan: ${plan.ops.length} tape instructions, ${memorySummary(plan)}`,
      ],
    });
    return exitCode;
  } finally {
    model.dispose();
  }
}
