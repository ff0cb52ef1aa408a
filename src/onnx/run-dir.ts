/**
 * Reads what `lamkit train --out DIR` leaves behind, for export: the preset, the training
 * configuration (it goes into the ONNX metadata) and the final parameters by name (and a VQ
 * codebook when the run used one).
 *
 * Layouts read here:
 *  - engine runs: DIR/checkpoint.safetensors (src/lam/checkpoint.ts, docs/CHECKPOINTS.md) with
 *    the preset and config in its metadata, parameters as param/<name>; a VQ codebook is
 *    `vq.codebook` among the parameters or the resident state;
 *  - own-data runs (`lamkit train --data FILE`, src/cli/train-own-data.ts): the same checkpoint
 *    with config.run_kind 'own-data' and no preset; the model is rebuilt from config.model (the
 *    LinearSpec/ConvSpec trained) through ownDataPreset, so the graph is the trained one;
 *  - gridworld runs (src/lam/gridworld-run.ts): DIR/run.json with kind 'gridworld',
 *    options.preset, `params` [{name, shape, offset}] and `codebook` (VQ) + DIR/params.bin;
 *    names are mapped to the preset graph's (gridworld-params.ts);
 *  - hand-made: DIR/run.json with `preset` and DIR/params/<name>.npy (float32), optionally
 *    DIR/codebook.npy ([K, k]).
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readNpy } from '../data/npy.js';
import { CHECKPOINT_FILE, loadCheckpoint } from '../lam/checkpoint.js';
import { ownDataPreset } from '../lam/own-data.js';
import { getPreset, type ConvSpec, type LinearSpec, type Preset } from '../lam/presets.js';
import { gridworldToPreset } from './gridworld-params.js';

export interface RunForExport {
  dir: string;
  /** The preset's name, or 'own-data' for a run trained on the user's data. */
  preset: string;
  /** The model to build instead of the named preset's (own-data runs), else null. */
  model: Preset | null;
  /** The run's configuration as written by train (JSON), for metadata. */
  config: Record<string, unknown>;
  params: Record<string, Float32Array>;
  codebook: Float32Array | null;
}

function readJson(path: string): Record<string, unknown> {
  try {
    const v = JSON.parse(readFileSync(path, 'utf8')) as unknown;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not a JSON object');
    return v as Record<string, unknown>;
  } catch (e) {
    throw new RangeError(`${path}: cannot read the run configuration (${(e as Error).message})`);
  }
}

/** Loads a run directory; every error names the directory and what is missing. */
export function loadRun(dir: string): RunForExport {
  if (!existsSync(dir)) throw new RangeError(`--run ${dir}: no such run directory`);
  if (!statSync(dir).isDirectory()) throw new RangeError(`--run ${dir}: not a directory`);
  if (existsSync(join(dir, CHECKPOINT_FILE))) return loadCheckpointRun(dir);
  const cfgPath = ['run.json', 'config.json'].map((f) => join(dir, f)).find((p) => existsSync(p));
  if (!cfgPath) throw new RangeError(`--run ${dir}: no ${CHECKPOINT_FILE}, run.json or config.json (is this a directory written by \`lamkit train --out\`?)`);
  const config = readJson(cfgPath);
  if (config.kind === 'gridworld') return loadGridworldRun(dir, cfgPath, config);
  const preset = config.preset;
  if (typeof preset !== 'string') throw new RangeError(`${cfgPath}: expected a string "preset", found ${JSON.stringify(preset)}`);

  const params: Record<string, Float32Array> = {};
  const npyDir = join(dir, 'params');
  if (existsSync(npyDir) && statSync(npyDir).isDirectory())
    for (const f of readdirSync(npyDir).filter((f) => f.endsWith('.npy')).sort())
      params[f.slice(0, -4)] = readNpy(join(npyDir, f), { dtype: 'float32' }).data as Float32Array;
  if (Object.keys(params).length === 0)
    throw new RangeError(`--run ${dir}: the run has no parameters (expected ${CHECKPOINT_FILE} or params/<name>.npy; did training finish?)`);
  let codebook: Float32Array | null = params['vq.codebook'] ?? null;
  delete params['vq.codebook'];
  const cbPath = join(dir, 'codebook.npy');
  if (!codebook && existsSync(cbPath)) codebook = readNpy(cbPath, { dtype: 'float32' }).data as Float32Array;
  return { dir, preset, config, params, codebook, model: null };
}

/** An engine run: everything is in the checkpoint (a corrupted one is refused by its checks). */
function loadCheckpointRun(dir: string): RunForExport {
  const ck = loadCheckpoint(dir);
  let model = ck.config.run_kind === 'own-data' ? ownDataModel(ck.file, ck.config.model) : null;
  const preset = model ? 'own-data' : (ck.preset ?? ck.config.preset);
  if (typeof preset !== 'string') throw new RangeError(`${ck.file}: the checkpoint names no preset (metadata 'preset' or config.preset), so the graph to export is unknown`);
  // A gridworld run may change the preset's frame size or latent size (--frame, --latent-dim): build its spec.
  if (!model && ck.config.kind === 'gridworld') model = gridworldModel(ck.file, preset, ck.config.spec);
  const params = { ...ck.params };
  // A codebook trained by gradient is a parameter; one kept as resident state (k-means/EMA) is state.
  const codebook = params['vq.codebook'] ?? ck.state['vq.codebook'] ?? null;
  delete params['vq.codebook'];
  if (Object.keys(params).length === 0) throw new RangeError(`--run ${dir}: ${ck.file} holds no parameters`);
  return { dir, preset, config: ck.config, params, codebook, model };
}

const posInt = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v > 0;

/** The preset with a gridworld run's trained conv spec, or null when the spec is the preset's. */
function gridworldModel(file: string, preset: string, spec: unknown): Preset | null {
  const p = getPreset(preset);
  if (JSON.stringify(spec) === JSON.stringify(p.spec)) return null;
  const s = spec as Partial<ConvSpec> | undefined;
  if (p.spec.kind !== 'conv' || !s || s.kind !== 'conv' || ![s.c, s.h, s.w, s.k].every(posInt) || !Array.isArray(s.ch) || s.ch.length !== 4 || !s.ch.every(posInt))
    throw new RangeError(`${file}: a gridworld run needs config.spec = the trained ConvSpec {kind:'conv', c, h, w, ch:[4], k} of preset ${preset}; found ${JSON.stringify(spec)}`);
  return { ...p, spec: { kind: 'conv', c: s.c!, h: s.h!, w: s.w!, ch: [...s.ch] as ConvSpec['ch'], k: s.k! } };
}

/**
 * The own-data model of a checkpoint's config.model, rebuilt the way training built it
 * (ownDataPreset from the observation shape, k and channels) and checked to be that spec.
 */
function ownDataModel(file: string, m: unknown): Preset {
  const bad = (why: string) => new RangeError(`${file}: an own-data run needs config.model = the trained LinearSpec {kind:'linear', dObs, k} or ConvSpec {kind:'conv', c, h, w, ch:[4], k}; ${why}`);
  if (typeof m !== 'object' || m === null || Array.isArray(m)) throw bad(`found ${JSON.stringify(m)}`);
  const spec = m as Partial<LinearSpec> & Partial<Omit<ConvSpec, 'kind'>> & { kind?: unknown };
  let preset: Preset;
  if (spec.kind === 'linear') {
    if (!posInt(spec.dObs) || !posInt(spec.k)) throw bad(`found dObs ${JSON.stringify(spec.dObs)}, k ${JSON.stringify(spec.k)} (positive integers expected)`);
    preset = ownDataPreset({ kind: 'features', frameShape: [spec.dObs!], source: file }, { k: spec.k });
  } else if (spec.kind === 'conv') {
    const dims = [spec.c, spec.h, spec.w, spec.k];
    if (!dims.every(posInt) || !Array.isArray(spec.ch) || spec.ch.length !== 4 || !spec.ch.every(posInt))
      throw bad(`found c ${spec.c}, h ${spec.h}, w ${spec.w}, k ${spec.k}, ch ${JSON.stringify(spec.ch)} (positive integers, 4 channels expected)`);
    preset = ownDataPreset({ kind: 'frames', frameShape: [spec.c!, spec.h!, spec.w!], source: file }, { k: spec.k, channels: spec.ch as ConvSpec['ch'] });
  } else {
    throw bad(`found kind ${JSON.stringify(spec.kind)}`);
  }
  // Generator dims of a linear spec are 0 for own data; compare what the graph is built from.
  const built = preset.spec as unknown as Record<string, unknown>;
  for (const key of Object.keys(built))
    if (JSON.stringify(built[key]) !== JSON.stringify((spec as Record<string, unknown>)[key]) && !(spec.kind === 'linear' && ['dState', 'dAction', 'dExo'].includes(key)))
      throw bad(`its ${key} is ${JSON.stringify((spec as Record<string, unknown>)[key])} but the model rebuilt from it has ${JSON.stringify(built[key])}`);
  return preset;
}

type PackedEntry = { name: string; shape?: number[]; offset?: number };

/** Slices DIR/params.bin (or another .bin) by an index of {name, shape, offset} (offsets in floats). */
function readPacked(dir: string, indexPath: string, entries: PackedEntry[], bin_ = 'params.bin'): Record<string, Float32Array> {
  const binPath = join(dir, bin_);
  if (!existsSync(binPath)) throw new RangeError(`--run ${dir}: the run has no parameters (${binPath} is missing; did training finish?)`);
  const bin = readFileSync(binPath);
  const all = new Float32Array(bin.buffer.slice(bin.byteOffset, bin.byteOffset + (bin.byteLength & ~3)));
  const out: Record<string, Float32Array> = {};
  for (const e of entries) {
    const n = (e.shape ?? []).reduce((a, b) => a * b, 1);
    const off = e.offset ?? -1;
    if (!Number.isInteger(off) || off < 0 || off + n > all.length)
      throw new RangeError(`${indexPath}: parameter '${e.name}' at offset ${off} with shape [${(e.shape ?? []).join(',')}] does not fit ${binPath} (${all.length} floats)`);
    out[e.name] = all.slice(off, off + n);
  }
  return out;
}

/** A gridworld run: eager conv LAM parameters renamed to the preset graph's, VQ codebook. */
function loadGridworldRun(dir: string, cfgPath: string, config: Record<string, unknown>): RunForExport {
  const options = (config.options ?? {}) as { preset?: unknown };
  const preset = options.preset;
  if (typeof preset !== 'string') throw new RangeError(`${cfgPath}: expected a string options.preset in a gridworld run, found ${JSON.stringify(preset)}`);
  const entries = config.params;
  if (!Array.isArray(entries) || entries.length === 0) throw new RangeError(`--run ${dir}: the run has no parameters (run.json lists none)`);
  const params = gridworldToPreset(readPacked(dir, cfgPath, entries as PackedEntry[]));
  const cb = config.codebook;
  let codebook: Float32Array | null = null;
  if (Array.isArray(cb)) {
    if (!cb.every((x) => typeof x === 'number' && Number.isFinite(x))) throw new RangeError(`${cfgPath}: codebook must be an array of finite numbers`);
    codebook = Float32Array.from(cb as number[]);
  }
  // The metadata keeps the training description, not the (large) parameter index and codebook.
  const { params: _p, codebook: _c, ...meta } = config;
  return { dir, preset, config: meta, params, codebook, model: null };
}
