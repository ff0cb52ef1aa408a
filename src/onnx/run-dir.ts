/**
 * Reads what `lamkit train --out DIR` leaves behind, for export: the preset, the training
 * configuration (it goes into the ONNX metadata) and the final parameters by name (and a VQ
 * codebook when the run used one).
 *
 * Layout read here: DIR/run.json (or config.json) with at least `preset`; parameters either as
 * DIR/params/<name>.npy (float32) or as DIR/params.json ({name: {shape, offset}}, offsets in
 * floats) + DIR/params.bin (little-endian float32). A codebook is `vq.codebook` among the
 * parameters/state or DIR/codebook.npy.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readNpy } from '../data/npy.js';

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
  const preset = config.preset;
  if (typeof preset !== 'string') throw new RangeError(`${cfgPath}: expected a string "preset", found ${JSON.stringify(preset)}`);

  const params: Record<string, Float32Array> = {};
  const npyDir = join(dir, 'params');
  if (existsSync(npyDir) && statSync(npyDir).isDirectory()) {
    for (const f of readdirSync(npyDir).filter((f) => f.endsWith('.npy')).sort())
      params[f.slice(0, -4)] = readNpy(join(npyDir, f), { dtype: 'float32' }).data as Float32Array;
  } else if (existsSync(join(dir, 'params.json')) && existsSync(join(dir, 'params.bin'))) {
    const index = readJson(join(dir, 'params.json')) as Record<string, { shape?: number[]; offset?: number }>;
    const bin = readFileSync(join(dir, 'params.bin'));
    const all = new Float32Array(bin.buffer.slice(bin.byteOffset, bin.byteOffset + (bin.byteLength & ~3)));
    for (const [name, e] of Object.entries(index)) {
      const n = (e.shape ?? []).reduce((a, b) => a * b, 1);
      const off = e.offset ?? -1;
      if (!Number.isInteger(off) || off < 0 || off + n > all.length)
        throw new RangeError(`${join(dir, 'params.json')}: parameter '${name}' at offset ${off} with shape [${(e.shape ?? []).join(',')}] does not fit params.bin (${all.length} floats)`);
      params[name] = all.slice(off, off + n);
    }
  }
  if (Object.keys(params).length === 0)
    throw new RangeError(`--run ${dir}: the run has no parameters (expected params/<name>.npy or params.json + params.bin; did training finish?)`);

  let codebook: Float32Array | null = params['vq.codebook'] ?? null;
  delete params['vq.codebook'];
  const cbPath = join(dir, 'codebook.npy');
  if (!codebook && existsSync(cbPath)) codebook = readNpy(cbPath, { dtype: 'float32' }).data as Float32Array;
  return { dir, preset, config, params, codebook };
}
