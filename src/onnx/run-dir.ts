/**
 * Reads what `lamkit train --out DIR` leaves behind, for export: the preset, the training
 * configuration (it goes into the ONNX metadata) and the final parameters by name (and a VQ
 * codebook when the run used one).
 *
 * Layouts read here:
 *  - engine runs: DIR/checkpoint.safetensors (src/lam/checkpoint.ts, docs/CHECKPOINTS.md) with
 *    the preset and config in its metadata, parameters as param/<name>; a VQ codebook is
 *    `vq.codebook` among the parameters or the resident state;
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
import { gridworldToPreset } from './gridworld-params.js';

export interface RunForExport {
  dir: string;
  preset: string;
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
  return { dir, preset, config, params, codebook };
}

/** An engine run: everything is in the checkpoint (a corrupted one is refused by its checks). */
function loadCheckpointRun(dir: string): RunForExport {
  const ck = loadCheckpoint(dir);
  const preset = ck.preset ?? ck.config.preset;
  if (typeof preset !== 'string') throw new RangeError(`${ck.file}: the checkpoint names no preset (metadata 'preset' or config.preset), so the graph to export is unknown`);
  const params = { ...ck.params };
  // A codebook trained by gradient is a parameter; one kept as resident state (k-means/EMA) is state.
  const codebook = params['vq.codebook'] ?? ck.state['vq.codebook'] ?? null;
  delete params['vq.codebook'];
  if (Object.keys(params).length === 0) throw new RangeError(`--run ${dir}: ${ck.file} holds no parameters`);
  return { dir, preset, config: ck.config, params, codebook };
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
  return { dir, preset, config: meta, params, codebook };
}
