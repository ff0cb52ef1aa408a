/**
 * Writing a trained model to a run directory (read back by src/onnx/run-dir.ts and by
 * `loadCheckpoint`): run.json (config), params.json + params.bin (named float32 parameters),
 * state.json + state.bin (optimiser state and step, for resuming). Every file is written to a
 * temporary name and renamed, so a crash or Ctrl-C never leaves a half-written file.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CompiledModel, ModelState } from '../graph/compiled.js';

/** Writes `data` to `path` atomically (temp file in the same directory + rename). */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

function packNamed(arrays: Record<string, Float32Array>, shapes: Record<string, readonly number[]>): { index: Record<string, { shape: readonly number[]; offset: number }>; bin: Uint8Array } {
  let total = 0;
  for (const a of Object.values(arrays)) total += a.length;
  const all = new Float32Array(total);
  const index: Record<string, { shape: readonly number[]; offset: number }> = {};
  let off = 0;
  for (const [name, a] of Object.entries(arrays)) {
    all.set(a, off);
    index[name] = { shape: shapes[name] ?? [a.length], offset: off };
    off += a.length;
  }
  return { index, bin: new Uint8Array(all.buffer) };
}

/** Saves config, parameters and optimiser state of `model` into `dir` (created if needed). */
export function saveCheckpoint(dir: string, model: CompiledModel, config: Record<string, unknown>): void {
  mkdirSync(dir, { recursive: true });
  const st = model.getState();
  const p = packNamed(st.params, model.paramShapes());
  const stateShapes = Object.fromEntries(model.plan.state.map((s) => [s.name, s.shape]));
  const s = packNamed(st.state, stateShapes);
  writeFileAtomic(join(dir, 'params.bin'), p.bin);
  writeFileAtomic(join(dir, 'params.json'), JSON.stringify(p.index, null, 1));
  writeFileAtomic(join(dir, 'state.bin'), s.bin);
  writeFileAtomic(join(dir, 'state.json'), JSON.stringify({ step: st.step, state: s.index }, null, 1));
  writeFileAtomic(join(dir, 'run.json'), JSON.stringify({ ...config, step: st.step }, null, 2));
}

/** Reads a checkpoint written by saveCheckpoint (params, state and step). */
export function loadCheckpoint(dir: string): ModelState & { config: Record<string, unknown> } {
  const need = ['run.json', 'params.json', 'params.bin', 'state.json', 'state.bin'];
  for (const f of need) if (!existsSync(join(dir, f))) throw new RangeError(`loadCheckpoint: ${join(dir, f)} is missing`);
  const read = (bin: string, idx: Record<string, { shape: number[]; offset: number }>): Record<string, Float32Array> => {
    const b = readFileSync(join(dir, bin));
    const all = new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
    const r: Record<string, Float32Array> = {};
    for (const [k, e] of Object.entries(idx)) {
      const n = e.shape.reduce((x, y) => x * y, 1);
      if (e.offset + n > all.length) throw new RangeError(`loadCheckpoint: '${k}' does not fit ${bin}`);
      r[k] = all.slice(e.offset, e.offset + n);
    }
    return r;
  };
  const config = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as Record<string, unknown>;
  const params = read('params.bin', JSON.parse(readFileSync(join(dir, 'params.json'), 'utf8')));
  const sj = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as { step: number; state: Record<string, { shape: number[]; offset: number }> };
  return { config, params, state: read('state.bin', sj.state), step: sj.step };
}
