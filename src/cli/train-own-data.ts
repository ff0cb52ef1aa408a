/**
 * `lamkit train --data FILE.npy|FILE.npz|DIR [--actions FILE.npy] …` — trains a LAM on the
 * user's own sequences (src/data/dataset.ts), streamed from disk in a seeded order, through the
 * shared training loop (src/cli/train-loop.ts: progress, metrics.jsonl, checkpoints, --resume).
 * The model follows the data's shape (src/lam/own-data.ts). With actions, a held-out part of
 * the transitions is kept out of training and DIR/probes.json reports R²(a|z) on it
 * (src/lam/own-data-probes.ts). src/cli/train.ts dispatches here for any --data but gridworld.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Dataset, DEFAULT_BUFFER_BYTES } from '../data/dataset.js';
import { splitTransitions } from '../data/dataset-sampler.js';
import { compile } from '../graph/compile.js';
import { memorySummary } from '../graph/plan.js';
import { CHECKPOINT_FILE } from '../lam/checkpoint.js';
import type { OptimizerName } from '../lam/objective.js';
import { blockCache, chooseShuffle, ownDataPreset, ownDataSource, planOwnData, type OwnObjective } from '../lam/own-data.js';
import { probeOwnData } from '../lam/own-data-probes.js';
import { TRAIN_LOOP_FLAGS, applyThreads, loopSettings, readResume, resumeSetting, trainLoop } from './train-loop.js';
import { makeDir } from '../util/make-dir.js';
import { UsageError, numberFlag, parseFlags } from './usage.js';

export const OWN_DATA_HELP = `usage: lamkit train --data FILE.npy|FILE.npz|DIR [--actions FILE.npy] [options]
       lamkit train --data FILE --resume DIR [--steps N]

Trains a LAM on your own sequences, streamed from disk (never loaded whole) in a seeded order.
  --data PATH          observations: N×T×D feature vectors or N×T×C×H×W frames (T ≥ 2; pairs are
                       T = 2), float32 or uint8 (scaled by 1/255), C order, little-endian:
                       a .npy; a .npz (array obs/observations/frames/features, or its only array,
                       plus optional 'actions'); or a directory of .npy/.npz shards with the same
                       T and frame shape, read in file-name order (NAME.actions.npy beside NAME.npy)
  --actions FILE.npy   actions per transition: float32 N×(T−1)×d_a, or integer labels (int32/uint8)
                       N×(T−1), used one-hot. Enables --objective sup and the probes
  --k K                latent size (default: features min(D, 8); frames 8 up to 32×32 pixels, else 16)
  --channels A,B,C,D   conv channels of the 4 stages (frames; default 8,16,32,32 up to 32×32
                       pixels, else 32,64,128,128). Frame H and W must be multiples of 16
  --objective O        recon (default) | sup: + λ·masked MSE of a linear head on z to the action
  --labelled P         sup: fraction of transitions whose action is used (fixed seeded subset; default 1)
  --sup-weight λ       sup: weight of the supervision term (default 1)
  --holdout F          fraction held out of training for the probes (whole sequences when N ≥ 4,
                       else the last steps of each; default 0.1 with actions, 0 without)
  --shuffle S          auto (default) | full | block: full = a uniform permutation per epoch (random
                       reads; right when the data fits in memory); block = ~1 MiB blocks of
                       consecutive transitions, permuted, pooled --shuffle-buffer at a time and
                       shuffled within the pool (sequential reads; for data larger than memory).
                       auto: full when the observations fit in --shuffle-buffer, else block
  --shuffle-buffer MB  pool size of the block shuffle, and its cache (~2× this in memory; default 256)
  --read-buffer MB     largest single read of the full shuffle (default ${DEFAULT_BUFFER_BYTES >> 20})
  --steps N            total training steps (default 1000)
  --batch B            batch size (default 256 for features, the conv preset's for frames)
  --lr LR              learning rate (default 1e-3)
  --optimizer O        adam | adamw | sgd (default adam)
  --backend NAME       native-cuda | native-cpu | wasm | gpujs | reference (default: best available)
  --threads N          kernel threads for native-cpu
  --seed S             initialisation seed; the batch order uses S + 1 (default 0)
  --out DIR            DIR/metrics.jsonl, DIR/${CHECKPOINT_FILE}, DIR/probes.json (with actions)
  --checkpoint-every N also write the checkpoint every N steps (needs --out)
  --resume DIR         continue the run in DIR (same data and settings; flags may be left out)
  --chunk N            steps per backend call (default 50)
  --log-every N        metrics/JSON line every N steps (default 10)
  --json               JSON Lines on stdout instead of a progress bar
  --no-check-finite    skip the per-step NaN/Inf checks on feeds and loss (the data is always checked)`;

const FLAGS = {
  ...TRAIN_LOOP_FLAGS,
  data: { type: 'string' },
  actions: { type: 'string' },
  k: { type: 'string' },
  channels: { type: 'string' },
  objective: { type: 'string' },
  labelled: { type: 'string' },
  'sup-weight': { type: 'string' },
  holdout: { type: 'string' },
  'read-buffer': { type: 'string' },
  shuffle: { type: 'string' },
  'shuffle-buffer': { type: 'string' },
} as const;

function parseChannels(v: string | undefined): [number, number, number, number] | undefined {
  if (v === undefined) return undefined;
  const parts = v.split(',').map((s) => Number(s.trim()));
  if (parts.length !== 4 || parts.some((c) => !Number.isInteger(c) || c < 1))
    throw new UsageError(`--channels: expected 4 positive integers like 8,16,32,32, got '${v}'`);
  return parts as [number, number, number, number];
}

/** The own-data train command; returns the exit code (130 when stopped by Ctrl-C). */
export async function ownDataTrainCommand(argv: string[]): Promise<number> {
  const { values } = parseFlags('train', argv, FLAGS);
  if (values.help) {
    console.log(OWN_DATA_HELP);
    return 0;
  }
  const ck = values.resume !== undefined ? readResume(values.resume) : undefined;
  if (ck && ck.config.run_kind !== 'own-data')
    throw new UsageError(`--resume: ${ck.file} is not an own-data run (its config has no run_kind 'own-data'); resume it without --data`);
  const given = <T>(key: string, flag: string, v: T | undefined): T | undefined => (ck ? resumeSetting(ck, key, flag, v) : v);
  const num = (v: string | undefined, name: string, o: Parameters<typeof numberFlag>[3]) => (v === undefined ? undefined : numberFlag(name, v, 0, o));

  const dataPath = given('data', '--data', values.data);
  if (!dataPath) throw new UsageError('train: --data FILE.npy|FILE.npz|DIR is required');
  // The config stores "no actions" as null.
  const actionsPath = given<string | null>('actions', '--actions', values.actions) ?? undefined;
  const readBuffer = numberFlag('read-buffer', values['read-buffer'], DEFAULT_BUFFER_BYTES / (1 << 20), { min: 0, minExclusive: true });
  let ds: Dataset;
  try {
    ds = await Dataset.open(dataPath, { actions: actionsPath, bufferBytes: readBuffer * (1 << 20) });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  try {
    const objective = (given('objective', '--objective', values.objective) ?? 'recon') as OwnObjective;
    if (objective !== 'recon' && objective !== 'sup') throw new UsageError(`--objective: expected recon or sup, got '${objective}'`);
    if (objective === 'sup' && !ds.action) throw new UsageError(`--objective sup needs actions: --actions FILE.npy, or an 'actions' array in the .npz (--data ${dataPath} has none)`);
    const labelled = given('labelled', '--labelled', num(values.labelled, 'labelled', { min: 0, minExclusive: true, max: 1 })) ?? 1;
    const supWeight = given('sup_weight', '--sup-weight', num(values['sup-weight'], 'sup-weight', { min: 0 })) ?? 1;
    if (objective !== 'sup' && (values.labelled !== undefined || values['sup-weight'] !== undefined))
      throw new UsageError('--labelled and --sup-weight apply to --objective sup');
    const holdout = given('holdout', '--holdout', num(values.holdout, 'holdout', { min: 0, max: 0.9 })) ?? (ds.action ? 0.1 : 0);
    const seed = given('seed', '--seed', num(values.seed, 'seed', { min: 0, integer: true })) ?? 0;
    const k = given('k', '--k', num(values.k, 'k', { min: 1, integer: true }));
    const channels = given('channels', '--channels', parseChannels(values.channels));
    if (channels && ds.kind !== 'frames') throw new UsageError(`--channels applies to frame data; --data ${dataPath} holds ${ds.kind}`);
    let preset;
    try {
      preset = ownDataPreset(ds, { k, channels });
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    const batch = given('batch', '--batch', num(values.batch, 'batch', { min: 1, integer: true })) ?? preset.batch;
    const lr = given('lr', '--lr', num(values.lr, 'lr', { min: 0, minExclusive: true })) ?? preset.lr;
    const optimizer = (given('optimizer', '--optimizer', values.optimizer) ?? 'adam') as OptimizerName;
    if (!['adam', 'adamw', 'sgd'].includes(optimizer)) throw new UsageError(`--optimizer: expected adam, adamw or sgd, got '${optimizer}'`);
    const loop = loopSettings(values, ck);
    const { steps, chunk, out, threads, checkFinite, json } = loop;

    let split;
    try {
      split = splitTransitions(ds.n, ds.t, holdout, seed);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    if (ds.action && split.test.length > 0 && split.test.length < 8)
      throw new UsageError(`--holdout ${holdout}: ${split.test.length} held-out transitions; the probes need at least 8 (raise --holdout, or --holdout 0 for no probes)`);
    const shuffleFlag = values.shuffle ?? 'auto';
    if (shuffleFlag !== 'auto' && shuffleFlag !== 'full' && shuffleFlag !== 'block') throw new UsageError(`--shuffle: expected auto, full or block, got '${shuffleFlag}'`);
    const shuffleMb = numberFlag('shuffle-buffer', values['shuffle-buffer'], 256, { min: 0, minExclusive: true });
    // The order is part of the run: on resume the checkpoint's wins (a flag must agree with it).
    const shuffle = given('shuffle', '--shuffle', values.shuffle === undefined && values['shuffle-buffer'] === undefined ? undefined : chooseShuffle(ds, shuffleMb * (1 << 20), shuffleFlag)) ?? chooseShuffle(ds, shuffleMb * (1 << 20), shuffleFlag);
    ds.useCache(blockCache(ds, shuffle));
    const spec = preset.spec;
    let planned;
    try {
      planned = planOwnData(preset, { batch, lr, optimizer, seed, objective, actionDim: ds.actionDim, labelled, supWeight, checkFinite });
    } catch (e) {
      // Size limits (int32 dims, tape offsets) hit at a user-chosen batch are a flag mistake.
      if (e instanceof RangeError && values.batch !== undefined) throw new UsageError(`train: --batch ${batch}: ${e.message}`);
      throw e;
    }
    const { plan } = planned;
    const model = await compile(plan, { backend: values.backend });
    try {
      const usedThreads = await applyThreads(model, threads);
      const source = ownDataSource(ds, split.train, { batch, seed: seed + 1, supervised: objective === 'sup', labelled, shuffle });
      // Every key but steps/chunk/backend/threads/checkFinite must match on --resume.
      const config = {
        run_kind: 'own-data',
        data: dataPath,
        actions: actionsPath ?? null,
        shape: [ds.n, ds.t, ...ds.frameShape],
        model: spec,
        k: spec.k,
        channels: spec.kind === 'conv' ? spec.ch : null,
        objective,
        labelled,
        sup_weight: supWeight,
        holdout,
        shuffle,
        steps,
        batch,
        lr,
        optimizer,
        seed,
        backend: model.backend,
        threads: usedThreads,
        chunk,
        checkFinite,
      };
      const header = [
        `data: ${ds.describe()}; ${split.train.length} for training` + (split.test.length ? `, ${split.test.length} held out (by ${split.by})` : '') +
          (shuffle.mode === 'block' ? `; block shuffle: ${shuffle.blockLen} transitions per block, ${shuffle.window} blocks per pool` : '; full shuffle'),
        `model: ${preset.summary}; ${objective === 'sup' ? `sup λ=${supWeight}, labelled ${labelled}, ` : ''}batch ${batch}, ${steps} steps, ${optimizer} lr ${lr}, seed ${seed} on ${model.backend}` +
          (model.skipped.length ? ` (skipped ${model.skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')})` : ''),
        `plan: ${plan.ops.length} tape instructions, ${memorySummary(plan)}`,
      ];
      const { exitCode } = await trainLoop({
        model,
        source,
        config,
        ...loop,
        resume: ck,
        header,
        startInfo: { data_description: ds.describe(), train_transitions: split.train.length, heldout_transitions: split.test.length, peak_bytes: plan.memory.peakBytes },
      });
      if (ds.action && split.test.length > 0 && exitCode === 0) {
        // Held-out rows are read once, in file order: direct reads, no pool cache.
        ds.useCache(null);
        const probes = { kind: 'probes', heldout_by: split.by, ...(await probeOwnData(ds, preset, model.getParams(), split.test, { backend: model.backend, seed })) };
        if (json) console.log(JSON.stringify(probes));
        else
          console.error(
            `probes (held out, ${probes.n_scored} scored): R²(a|z̃) ${probes.r2.toFixed(3)}, R²(a|z) ${probes.r2_raw.toFixed(3)}` +
              (probes.accuracy !== undefined ? `, accuracy ${probes.accuracy.toFixed(3)} (majority class ${probes.chance_accuracy!.toFixed(3)})` : ''),
          );
        if (probes.warning && !json) console.error(`note: ${probes.warning}`);
        if (out) {
          makeDir(out);
          writeFileSync(join(out, 'probes.json'), JSON.stringify(probes, null, 2) + '\n');
          if (!json) console.error(`wrote ${join(out, 'probes.json')}`);
        }
      }
      return exitCode;
    } finally {
      model.dispose();
    }
  } finally {
    ds.close();
  }
}
