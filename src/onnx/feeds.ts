/**
 * Turns `NAME=FILE.npy` pairs into checked feeds for a model: every input given exactly once,
 * each .npy of the input's dtype and shape, and each symbolic dimension ('batch') the same size
 * across inputs. Every error names the file, the input, the expected and the found dtype/shape.
 */
import { NpyDtypeError, checkNpy, readNpy, type NpyArray, type NpyDtype } from '../data/npy.js';
import type { ModelInfo, TensorInfo } from './model-info.js';
import { fmtTensorInfo } from './model-info.js';
import type { OnnxTensor } from './runtime.js';

/** One `--input NAME=FILE` argument. */
export interface InputSpec {
  name: string;
  path: string;
}

/** Parses `NAME=FILE.npy`; a RangeError names the argument when there is no `=`. */
export function parseInputSpec(arg: string): InputSpec {
  const eq = arg.indexOf('=');
  if (eq <= 0 || eq === arg.length - 1) throw new RangeError(`--input: expected NAME=FILE.npy, got '${arg}'`);
  return { name: arg.slice(0, eq), path: arg.slice(eq + 1) };
}

const NPY_DTYPES = new Set<string>(['float32', 'int32', 'uint8']);

/** Reads and checks the .npy files for `info`'s inputs; returns feeds by input name. */
export function loadFeeds(info: ModelInfo, specs: readonly InputSpec[], model = 'the model'): Record<string, OnnxTensor> {
  const byName = new Map<string, TensorInfo>(info.inputs.map((t) => [t.name, t]));
  const expected = info.inputs.map(fmtTensorInfo).join('; ');
  const seen = new Map<string, string>();
  for (const s of specs) {
    if (!byName.has(s.name)) throw new RangeError(`--input ${s.name}=${s.path}: ${model} has no input '${s.name}' (inputs: ${expected})`);
    if (seen.has(s.name)) throw new RangeError(`--input ${s.name}: given twice (${seen.get(s.name)} and ${s.path})`);
    seen.set(s.name, s.path);
  }
  const missing = info.inputs.filter((t) => !seen.has(t.name));
  if (missing.length) throw new RangeError(`missing --input for ${missing.map(fmtTensorInfo).join('; ')} (${model} inputs: ${expected})`);

  const feeds: Record<string, OnnxTensor> = {};
  const symbols = new Map<string, { size: number; where: string }>();
  for (const s of specs) {
    const t = byName.get(s.name)!;
    if (!NPY_DTYPES.has(t.dtype)) throw new TypeError(`input '${t.name}' of ${model} has element type ${t.dtype}, which cannot be fed from .npy (float32, int32, uint8)`);
    const where = `${s.path} (input '${t.name}')`;
    let arr: NpyArray;
    try {
      arr = readNpy(s.path);
    } catch (e) {
      // Say what the model wants, not only what the reader supports.
      if (e instanceof NpyDtypeError) throw new TypeError(`${where}: expected dtype ${t.dtype} [${t.dims.join(',')}], found ${e.found}`);
      throw e;
    }
    checkNpy(arr, where, { dtype: t.dtype as NpyDtype, shape: t.dims });
    t.dims.forEach((d, i) => {
      if (typeof d !== 'string' || d === '?') return;
      const prev = symbols.get(d);
      if (prev && prev.size !== arr.shape[i])
        throw new RangeError(`${where}: dimension '${d}' is ${arr.shape[i]}, but ${prev.where} has ${d} = ${prev.size}`);
      if (!prev) symbols.set(d, { size: arr.shape[i], where });
    });
    feeds[t.name] = { data: arr.data, dims: arr.shape };
  }
  return feeds;
}
