/**
 * Reads what `lamkit train --out DIR` leaves behind, for export: the preset, the training
 * configuration (it goes into the ONNX metadata) and the final parameters by name (and a VQ
 * codebook when the run used one).
 *
 * Layouts read here:
 *  - engine runs (src/lam/checkpoint.ts): DIR/run.json with `preset`, DIR/params.json
 *    ({name: {shape, offset}}, offsets in floats) + DIR/params.bin (little-endian float32); a
 *    VQ codebook is `vq.codebook` among the parameters or the state (state.json + state.bin);
 *  - gridworld runs (src/lam/gridworld-run.ts): DIR/run.json with kind 'gridworld',
 *    options.preset, `params` [{name, shape, offset}] and `codebook` (VQ) + DIR/params.bin;
 *    names are mapped to the preset graph's (gridworld-params.ts);
 *  - hand-made: DIR/run.json with `preset` and DIR/params/<name>.npy (float32), optionally
 *    DIR/codebook.npy ([K, k]).
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readNpy } from '../data/npy.js';
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
  const cfgPath = ['run.json', 'config.json'].map((f) => join(dir, f)).find((p) => existsSync(p));
  if (!cfgPath) throw new RangeError(`--run ${dir}: no run.json or config.json (is this a directory written by \`lamkit train --out\`?)`);
  const config = readJson(cfgPath);
  if (config.kind === 'gridworld') return loadGridworldRun(dir, cfgPath, config);
  const preset = config.preset;
  if (typeof preset !== 'string') throw new RangeError(`${cfgPath}: expected a string "preset", found ${JSON.stringify(preset)}`);

  const params: Record<string, Float32Array> = {};
  const npyDir = join(dir, 'params');
  if (existsSync(npyDir) && statSync(npyDir).isDirectory()) {
    for (const f of readdirSync(npyDir).filter((f) => f.endsWith('.npy')).sort())
      params[f.slice(0, -4)] = readNpy(join(npyDir, f), { dtype: 'float32' }).data as Float32Array;
  } else if (existsSync(join(dir, 'params.json')) && existsSync(join(dir, 'params.bin'))) {
    const index = readJson(join(dir, 'params.json')) as Record<string, { shape?: number[]; offset?: number }>;
    Object.assign(params, readPacked(dir, join(dir, 'params.json'), Object.entries(index).map(([name, e]) => ({ name, ...e }))));
  }
  if (Object.keys(params).length === 0)
    throw new RangeError(`--run ${dir}: the run has no parameters (expected params/<name>.npy or params.json + params.bin; did training finish?)`);

  let codebook: Float32Array | null = params['vq.codebook'] ?? null;
  delete params['vq.codebook'];
  // A codebook kept as resident state (not trained by gradient) is saved with the optimiser state.
  const statePath = join(dir, 'state.json');
  if (!codebook && existsSync(statePath) && existsSync(join(dir, 'state.bin'))) {
    const st = readJson(statePath) as { state?: Record<string, { shape?: number[]; offset?: number }> };
    const e = st.state?.['vq.codebook'];
    if (e) codebook = readPacked(dir, statePath, [{ name: 'vq.codebook', ...e }], 'state.bin')['vq.codebook'];
  }
  const cbPath = join(dir, 'codebook.npy');
  if (!codebook && existsSync(cbPath)) codebook = readNpy(cbPath, { dtype: 'float32' }).data as Float32Array;
  return { dir, preset, config, params, codebook };
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
