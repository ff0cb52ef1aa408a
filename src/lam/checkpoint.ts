/**
 * Checkpoints: one safetensors file, DIR/checkpoint.safetensors (src/lam/safetensors.ts), holding
 * everything needed to resume a run exactly and to load the model in PyTorch. Format and tensor
 * names are documented in docs/CHECKPOINTS.md:
 *
 *   param/<name>            float32 parameter, its graph shape (e.g. param/idm.W1 [8,64])
 *   optim/<state>/<param>   packed optimiser state split per parameter (optim/adam.m/idm.W1)
 *   optim/step              int32 [1], optimiser steps taken
 *   state/<name>            other resident state, whole (EMA targets, VQ codebooks…)
 *   __metadata__            format, lamkit_version, preset, config (JSON), step, rng (JSON),
 *                           optim_layout (JSON) and the sha256 entries
 *
 * Files are written atomically: temp file in the same directory, fsync, rename, fsync of the
 * directory, so a crash or Ctrl-C leaves either the old checkpoint or the new one.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, openSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { CompiledModel, type ModelState } from '../graph/compiled.js';
import { makeDir } from '../util/make-dir.js';
import { LAMKIT_VERSION } from '../version.js';
import { encodeSafetensors, readSafetensors, SafetensorsError, type SafetensorsTensor } from './safetensors.js';

export const CHECKPOINT_FILE = 'checkpoint.safetensors';
export const CHECKPOINT_FORMAT = 'lamkit-checkpoint';
export const CHECKPOINT_FORMAT_VERSION = '1';

/** What a checkpoint stores (the general API; `checkpointOf(model)` builds one from a compiled model). */
export interface CheckpointInput {
  params: Record<string, Float32Array>;
  /** Resident non-parameter state, float32 (an int32 'step' entry is ignored: `step` is authoritative). */
  state?: Record<string, Float32Array>;
  step: number;
  /** Shapes by parameter/state name (default: [length]). */
  shapes?: Record<string, readonly number[]>;
  /**
   * Packed state to split per parameter: state name → [param, float offset] in packing order
   * (each part has its parameter's size). Saved as optim/<state>/<param>.
   */
  layout?: Record<string, [string, number][]>;
  /** The run's configuration (JSON); compared with the flags on resume. */
  config: Record<string, unknown>;
  /** Preset name (default: config.preset when it is a string). */
  preset?: string;
  /** JSON states of the random streams (data sources, …) to continue on resume. */
  rng?: Record<string, unknown>;
}

/** A loaded checkpoint: the model state (as CompiledModel.setState takes it) and the metadata. */
export interface Checkpoint extends ModelState {
  file: string;
  config: Record<string, unknown>;
  preset: string | null;
  rng: Record<string, unknown>;
  /** lamkit version that wrote it. */
  version: string;
  /** Saved shape of every parameter and (whole) state entry. */
  shapes: Record<string, number[]>;
}

/**
 * Writes `data` to `path` atomically: a temp file in the same directory, fsync, rename over
 * `path`, then fsync of the directory so the rename itself survives a power cut.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  let fd = -1;
  try {
    fd = openSync(tmp, 'wx', 0o644);
    for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
    closeSync(fd);
    fd = -1;
    renameSync(tmp, path);
  } catch (e) {
    if (fd >= 0) closeSync(fd);
    if (existsSync(tmp)) unlinkSync(tmp);
    throw new Error(`cannot write ${path}: ${(e as Error).message}`);
  }
  try {
    const dfd = openSync(dir, 'r');
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
  } catch {
    // Some platforms (Windows) cannot fsync a directory; the rename is still atomic there.
  }
}

/**
 * For each float32 state of `model` that packs all parameters (Adam's m and v, SGD momentum),
 * where each parameter's part lies: packing follows the parameters' arena order, so a part's
 * offset is the parameter's offset from the first parameter.
 */
function packedLayout(model: CompiledModel): Record<string, [string, number][]> {
  const ps = [...model.plan.params].sort((a, b) => a.offset - b.offset);
  if (ps.length === 0) return {};
  const base = ps[0].offset;
  let total = 0;
  for (const p of ps) {
    if (p.offset !== base + total) return {}; // not one packed block: keep state whole
    total += p.size;
  }
  const parts = ps.map((p): [string, number] => [p.name, p.offset - base]);
  const out: Record<string, [string, number][]> = {};
  for (const s of model.plan.state) if (s.dtype !== 'i32' && s.size === total && s.shape.length === 1) out[s.name] = parts;
  return out;
}

/** A checkpoint of a compiled model's current parameters, optimiser state and step. */
export function checkpointOf(model: CompiledModel, config: Record<string, unknown>, rng?: Record<string, unknown>): CheckpointInput {
  const st = model.getState();
  const shapes: Record<string, readonly number[]> = { ...model.paramShapes() };
  for (const s of model.plan.state) shapes[s.name] = s.shape;
  const i32 = new Set(model.plan.state.filter((s) => s.dtype === 'i32').map((s) => s.name));
  const state = Object.fromEntries(Object.entries(st.state).filter(([k]) => !i32.has(k)));
  return { params: st.params, state, step: st.step, shapes, layout: packedLayout(model), config, rng };
}

/** Encodes a checkpoint as safetensors bytes (see the file comment for names). */
export function encodeCheckpoint(c: CheckpointInput): Buffer {
  if (!Number.isSafeInteger(c.step) || c.step < 0) throw new RangeError(`checkpoint: step must be an integer ≥ 0, got ${c.step}`);
  const preset = c.preset ?? (typeof c.config.preset === 'string' ? c.config.preset : undefined);
  const shapeOf = (name: string, a: Float32Array): number[] => {
    const s = c.shapes?.[name] ?? [a.length];
    if (s.reduce((x, y) => x * y, 1) !== a.length) throw new RangeError(`checkpoint: '${name}' has ${a.length} floats, but its shape is [${s.join(',')}]`);
    return [...s];
  };
  const tensors: Record<string, SafetensorsTensor> = {};
  for (const [k, a] of Object.entries(c.params)) tensors[`param/${k}`] = { dtype: 'F32', shape: shapeOf(k, a), data: a };
  const layout: Record<string, { size: number; parts: [string, number][] }> = {};
  for (const [k, a] of Object.entries(c.state ?? {})) {
    if (k === 'step') continue;
    const parts = c.layout?.[k];
    if (!parts) {
      tensors[`state/${k}`] = { dtype: 'F32', shape: shapeOf(k, a), data: a };
      continue;
    }
    for (const [p, off] of parts) {
      const pa = c.params[p];
      if (!pa) throw new RangeError(`checkpoint: layout of '${k}' names parameter '${p}', which is not among the parameters`);
      if (off < 0 || off + pa.length > a.length) throw new RangeError(`checkpoint: part '${p}' of '${k}' at ${off} (+${pa.length}) exceeds its ${a.length} floats`);
      tensors[`optim/${k}/${p}`] = { dtype: 'F32', shape: shapeOf(p, pa), data: a.subarray(off, off + pa.length) };
    }
    layout[k] = { size: a.length, parts };
  }
  tensors['optim/step'] = { dtype: 'I32', shape: [1], data: Int32Array.of(c.step) };
  const meta: Record<string, string> = {
    format: CHECKPOINT_FORMAT,
    format_version: CHECKPOINT_FORMAT_VERSION,
    lamkit_version: LAMKIT_VERSION,
    config: JSON.stringify(c.config),
    step: String(c.step),
    rng: JSON.stringify(c.rng ?? {}),
    optim_layout: JSON.stringify(layout),
  };
  if (preset !== undefined) meta.preset = preset;
  return encodeSafetensors(tensors, meta);
}

/**
 * Saves a checkpoint into `dir` (created if needed) as DIR/checkpoint.safetensors, atomically;
 * returns the file path. Either a CheckpointInput, or a compiled model and its run config.
 */
export function saveCheckpoint(dir: string, data: CheckpointInput): string;
export function saveCheckpoint(dir: string, model: CompiledModel, config: Record<string, unknown>, rng?: Record<string, unknown>): string;
export function saveCheckpoint(dir: string, data: CheckpointInput | CompiledModel, config?: Record<string, unknown>, rng?: Record<string, unknown>): string {
  const input = data instanceof CompiledModel ? checkpointOf(data, config ?? {}, rng) : data;
  const bytes = encodeCheckpoint(input);
  try {
    makeDir(dir);
  } catch (e) {
    throw new Error(`cannot create checkpoint directory ${dir}: ${(e as Error).message}`);
  }
  const file = join(dir, CHECKPOINT_FILE);
  writeFileAtomic(file, bytes);
  return file;
}

function parseJsonMeta(file: string, meta: Record<string, string>, key: string): unknown {
  try {
    return JSON.parse(meta[key] ?? 'null');
  } catch (e) {
    throw new SafetensorsError(`${file}: __metadata__ '${key}' is not valid JSON (${(e as Error).message})`);
  }
}

/**
 * Loads DIR/checkpoint.safetensors (or a .safetensors path). Refuses, naming the file and the
 * problem, a missing file, a corrupted one (structure or sha256) and a non-lamkit file.
 */
export function loadCheckpoint(dirOrFile: string): Checkpoint {
  const isDir = existsSync(dirOrFile) && statSync(dirOrFile).isDirectory();
  const file = isDir ? join(dirOrFile, CHECKPOINT_FILE) : dirOrFile;
  if (!existsSync(file))
    throw new RangeError(isDir ? `${dirOrFile}: no ${CHECKPOINT_FILE} (expected a directory written by \`lamkit train --out DIR\`)` : `${file}: no such run directory or checkpoint file`);
  const f = readSafetensors(file, { requireChecksums: true });
  const m = f.metadata;
  const fail = (msg: string): never => {
    throw new SafetensorsError(`${file}: ${msg}`);
  };
  if (m.format !== CHECKPOINT_FORMAT) fail(`__metadata__ format is ${JSON.stringify(m.format)}, expected '${CHECKPOINT_FORMAT}'`);
  if (m.format_version !== CHECKPOINT_FORMAT_VERSION)
    fail(`checkpoint format version ${JSON.stringify(m.format_version)} is not supported (this lamkit ${LAMKIT_VERSION} reads version ${CHECKPOINT_FORMAT_VERSION})`);
  const step = Number(m.step);
  if (!Number.isSafeInteger(step) || step < 0) fail(`__metadata__ step is ${JSON.stringify(m.step)}, expected an integer ≥ 0`);
  const config = parseJsonMeta(file, m, 'config');
  if (!config || typeof config !== 'object' || Array.isArray(config)) fail('__metadata__ config is not a JSON object');
  const rng = (parseJsonMeta(file, m, 'rng') ?? {}) as Record<string, unknown>;
  const layout = (parseJsonMeta(file, m, 'optim_layout') ?? {}) as Record<string, { size: number; parts: [string, number][] }>;

  const params: Record<string, Float32Array> = {};
  const state: Record<string, Float32Array> = {};
  const shapes: Record<string, number[]> = {};
  const split = new Map<string, Float32Array>();
  for (const [name, t] of f.tensors) {
    if (name === 'optim/step') {
      if (t.dtype !== 'I32' || t.shape.length !== 1 || t.shape[0] !== 1) fail(`'optim/step' must be I32 [1], found ${t.dtype} [${t.shape.join(',')}]`);
      if ((t.data as Int32Array)[0] !== step) fail(`'optim/step' holds ${(t.data as Int32Array)[0]} but __metadata__ step is ${step}`);
      continue;
    }
    if (t.dtype !== 'F32') fail(`tensor '${name}' has dtype ${t.dtype}, expected F32`);
    const data = t.data as Float32Array;
    if (name.startsWith('param/')) {
      params[name.slice(6)] = data;
      shapes[name.slice(6)] = t.shape;
    } else if (name.startsWith('state/')) {
      state[name.slice(6)] = data;
      shapes[name.slice(6)] = t.shape;
    } else if (name.startsWith('optim/')) split.set(name, data);
    else fail(`unexpected tensor '${name}' (expected param/…, optim/… or state/…)`);
  }
  for (const [k, l] of Object.entries(layout)) {
    if (!Number.isSafeInteger(l?.size) || !Array.isArray(l.parts)) fail(`optim_layout of '${k}' is malformed`);
    const whole = new Float32Array(l.size);
    for (const [p, off] of l.parts) {
      const part = split.get(`optim/${k}/${p}`);
      if (!part) fail(`tensor 'optim/${k}/${p}' listed in optim_layout is missing`);
      if (!Number.isSafeInteger(off) || off < 0 || off + part!.length > l.size) fail(`optim_layout puts '${p}' of '${k}' at ${off}, outside its ${l.size} floats`);
      whole.set(part!, off);
      split.delete(`optim/${k}/${p}`);
    }
    state[k] = whole;
    shapes[k] = [l.size];
  }
  if (split.size) fail(`tensor '${[...split.keys()][0]}' is not listed in optim_layout`);
  state.step = Float32Array.of(step);
  return { file, params, state, step, config: config as Record<string, unknown>, preset: m.preset ?? null, rng, version: m.lamkit_version ?? 'unknown', shapes };
}

/**
 * Loads a checkpoint's parameters, optimiser state and step into `model`, after checking that
 * every parameter and state entry exists with the same shape (errors name the file).
 */
export function restoreCheckpoint(model: CompiledModel, ck: Checkpoint): void {
  const want: [string, readonly number[], 'parameter' | 'state'][] = [
    ...model.plan.params.map((s): [string, readonly number[], 'parameter'] => [s.name, s.shape, 'parameter']),
    ...model.plan.state.filter((s) => s.dtype !== 'i32').map((s): [string, readonly number[], 'state'] => [s.name, s.shape, 'state']),
  ];
  for (const [name, shape, kind] of want) {
    const got = ck.shapes[name];
    if (!got) throw new RangeError(`${ck.file}: has no ${kind} '${name}' [${shape.join(',')}] that this model needs (have ${Object.keys(ck.shapes).join(', ')})`);
    const n = shape.reduce((a, b) => a * b, 1);
    const sameShape = got.length === shape.length && got.every((x, i) => x === shape[i]);
    // Packed state is saved flat; only its length has to match.
    if (!(sameShape || (kind === 'state' && got.reduce((a, b) => a * b, 1) === n)))
      throw new RangeError(`${ck.file}: ${kind} '${name}' has shape [${got.join(',')}], this model needs [${shape.join(',')}]`);
  }
  const extra = Object.keys(ck.params).filter((k) => !model.plan.params.some((s) => s.name === k));
  if (extra.length) throw new RangeError(`${ck.file}: parameter '${extra[0]}' is not in this model (it has ${model.plan.params.map((s) => s.name).join(', ')})`);
  model.setState(ck);
}
