/**
 * Checkpoint format: safetensors encode/decode, the lamkit checkpoint names and round trip,
 * refusal of corrupted / truncated / malformed files (every single-bit flip and every
 * truncation of a small file), atomic writes, and the RNG / batch-source state capture that
 * resume depends on.
 */
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Rng, testSeed } from '../../src/data/rng.js';
import { compileReference } from '../../src/graph/runner.js';
import { defaultSource, linearExoSource } from '../../src/lam/batches.js';
import { CHECKPOINT_FILE, loadCheckpoint, restoreCheckpoint, saveCheckpoint, writeFileAtomic, type CheckpointInput } from '../../src/lam/checkpoint.js';
import { getPreset } from '../../src/lam/presets.js';
import { decodeSafetensors, encodeSafetensors, SafetensorsError } from '../../src/lam/safetensors.js';
import { Trainer } from '../../src/lam/trainer.js';
import { planPreset } from '../../src/lam/training.js';

const SEED = testSeed();
const root = mkdtempSync(join(tmpdir(), 'lamkit-ckpt-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const tmp = (): string => {
  const d = join(root, `d${n++}`);
  mkdirSync(d);
  return d;
};

/** A header + data file built by hand (no checksums), for structural-error cases. */
function rawFile(header: Record<string, unknown>, dataBytes: number, hlenOverride?: number): Buffer {
  const text = Buffer.from(JSON.stringify(header));
  const b = Buffer.alloc(8 + text.length + dataBytes);
  b.writeBigUInt64LE(BigInt(hlenOverride ?? text.length), 0);
  text.copy(b, 8);
  return b;
}

describe('safetensors', () => {
  it('round-trips every dtype with metadata; header padded so data is 8-byte aligned', () => {
    const rng = new Rng(SEED);
    const f32 = rng.fillNormal(new Float32Array(6));
    const f64 = rng.fillNormal(new Float64Array(3));
    const tensors = {
      a: { dtype: 'F32' as const, shape: [2, 3], data: f32 },
      b: { dtype: 'F64' as const, shape: [3], data: f64 },
      c: { dtype: 'I32' as const, shape: [2], data: Int32Array.of(-7, 2 ** 31 - 1) },
      d: { dtype: 'U8' as const, shape: [1, 3], data: Uint8Array.of(0, 128, 255) },
      e: { dtype: 'I64' as const, shape: [1], data: BigInt64Array.of(-(2n ** 40n)) },
      empty: { dtype: 'F32' as const, shape: [0, 4], data: new Float32Array(0) },
    };
    const bytes = encodeSafetensors(tensors, { note: 'x', ünïcode: 'é' });
    const hlen = Number(bytes.readBigUInt64LE(0));
    expect((8 + hlen) % 8).toBe(0);
    // A plain reader's view: contiguous data_offsets in insertion order, no holes.
    const header = JSON.parse(bytes.subarray(8, 8 + hlen).toString('utf8'));
    expect(header.a).toEqual({ dtype: 'F32', shape: [2, 3], data_offsets: [0, 24] });
    expect(header.b.data_offsets).toEqual([24, 48]);
    const f = decodeSafetensors(bytes, 'mem');
    expect(f.checksummed).toBe(true);
    expect(f.metadata.note).toBe('x');
    expect(f.metadata['ünïcode']).toBe('é');
    for (const [k, t] of Object.entries(tensors)) {
      const got = f.tensors.get(k)!;
      expect(got.dtype).toBe(t.dtype);
      expect(got.shape).toEqual(t.shape);
      expect(Array.from(got.data as unknown as ArrayLike<number | bigint>)).toEqual(Array.from(t.data as unknown as ArrayLike<number | bigint>));
    }
  });

  it('files without checksums decode, but are refused when checksums are required', () => {
    const bytes = encodeSafetensors({ a: { dtype: 'F32', shape: [1], data: Float32Array.of(1) } }, {}, { checksums: false });
    expect(decodeSafetensors(bytes, 'plain').checksummed).toBe(false);
    expect(() => decodeSafetensors(bytes, 'plain', { requireChecksums: true })).toThrow(/^plain: no lamkit\.tensor_sha256/);
  });

  it('refuses bad tensors on encode, naming the tensor', () => {
    expect(() => encodeSafetensors({ w: { dtype: 'F32', shape: [2, 2], data: new Float32Array(3) } })).toThrow("tensor 'w' has 12 bytes, expected F32 [2,2] = 16");
    expect(() => encodeSafetensors({ w: { dtype: 'F32', shape: [1], data: new Float64Array(1) } })).toThrow("tensor 'w' of dtype F32 needs a Float32Array, got Float64Array");
    expect(() => encodeSafetensors({ w: { dtype: 'Q4' as 'F32', shape: [1], data: new Float32Array(1) } })).toThrow(/unknown dtype 'Q4'/);
  });

  it('structural errors name the source and the problem', () => {
    const e = (b: Uint8Array) => () => decodeSafetensors(b, 'f.st');
    expect(e(new Uint8Array(3))).toThrow('f.st: 3 bytes is shorter than the 8-byte header length');
    expect(e(rawFile({}, 0, 1000))).toThrow(/f\.st: header length 1000 runs past the end of the file/);
    const notJson = Buffer.alloc(12);
    notJson.writeBigUInt64LE(4n, 0);
    notJson.write('{{{{', 8);
    expect(e(notJson)).toThrow(/f\.st: the 4-byte header is not valid UTF-8 JSON/);
    expect(e(rawFile({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 4] } }, 4))).toThrow("f.st: tensor 'a': data_offsets [0, 4] hold 4 bytes, but F32 [2] needs 8");
    expect(e(rawFile({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, 4))).toThrow("f.st: tensor 'a' ends at byte 8 of the data block, which has only 4 bytes: the file is truncated");
    expect(e(rawFile({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, 8))).toThrow(/f\.st: tensors 'a' \[0, 8\) and 'b' \[4, 8\) overlap/);
    expect(e(rawFile({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, 8))).toThrow("f.st: bytes [0, 4) of the data block belong to no tensor (a hole before 'a')");
    expect(e(rawFile({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, 8))).toThrow('f.st: the data block has 8 bytes but the tensors cover 4: trailing bytes after the last tensor');
    expect(e(rawFile({ a: { dtype: 'X9', shape: [1], data_offsets: [0, 4] } }, 4))).toThrow(/f\.st: tensor 'a': unknown dtype "X9"/);
    expect(e(rawFile({ a: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, 4))).toThrow(/f\.st: tensor 'a': shape must be an array of non-negative integers/);
    expect(e(rawFile({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 0] } }, 4))).toThrow(/f\.st: tensor 'a': data_offsets must be \[begin, end\]/);
    expect(e(rawFile({ __metadata__: { n: 3 } }, 0))).toThrow(`f.st: __metadata__ 'n' must be a string, found 3`);
  });
});

/** A few steps of linear-exo on the reference backend, and its checkpoint input. */
async function trainedModel(steps = 5) {
  const { lam, plan } = planPreset('linear-exo', { batch: 8, seed: SEED });
  const model = compileReference(plan);
  const src = defaultSource(lam.preset, 8, SEED + 1);
  await new Trainer(model, src).train({ steps, chunk: 2 });
  return { model, src };
}

describe('lamkit checkpoints', () => {
  it('round-trip parameters, optimiser state and step under the documented names', async () => {
    const { model, src } = await trainedModel(5);
    const dir = tmp();
    const file = saveCheckpoint(dir, model, { preset: 'linear-exo', lr: 1e-3 }, { data: src.getState() });
    expect(file).toBe(join(dir, CHECKPOINT_FILE));
    const raw = decodeSafetensors(readFileSync(file), file, { requireChecksums: true });
    expect([...raw.tensors.keys()]).toEqual([
      'param/idm.W1', 'param/idm.W2', 'param/fdm.C', 'param/fdm.D',
      'optim/adam.m/idm.W1', 'optim/adam.m/idm.W2', 'optim/adam.m/fdm.C', 'optim/adam.m/fdm.D',
      'optim/adam.v/idm.W1', 'optim/adam.v/idm.W2', 'optim/adam.v/fdm.C', 'optim/adam.v/fdm.D',
      'optim/step',
    ]);
    expect(raw.tensors.get('optim/adam.m/fdm.C')!.shape).toEqual([64, 64]);
    const st = model.getState();
    // The per-parameter moment is the parameter's slice of the packed buffer (packing order = arena order).
    expect(Array.from(raw.tensors.get('optim/adam.v/fdm.D')!.data as Float32Array)).toEqual(Array.from(st.state['adam.v'].subarray(1024 + 4096, 1024 + 4096 + 512)));
    expect(raw.metadata).toMatchObject({ format: 'lamkit-checkpoint', format_version: '1', lamkit_version: '0.1.0', preset: 'linear-exo', step: '5' });

    const ck = loadCheckpoint(dir);
    expect(ck.step).toBe(5);
    expect(ck.config).toEqual({ preset: 'linear-exo', lr: 1e-3 });
    expect(ck.rng.data).toEqual(src.getState());
    for (const k of Object.keys(st.params)) expect(ck.params[k]).toEqual(st.params[k]);
    for (const k of ['adam.m', 'adam.v']) expect(ck.state[k]).toEqual(st.state[k]);
    // Restoring into a model initialised from another seed gives back the same state.
    const other = compileReference(planPreset('linear-exo', { batch: 8, seed: SEED + 5 }).plan);
    restoreCheckpoint(other, ck);
    const got = other.getState();
    expect(got.step).toBe(5);
    for (const k of Object.keys(st.params)) expect(got.params[k]).toEqual(st.params[k]);
    expect(got.state['adam.m']).toEqual(st.state['adam.m']);
  });

  it('the general API stores whole state under state/ and refuses a model it does not fit', () => {
    const dir = tmp();
    const input: CheckpointInput = {
      params: { w: Float32Array.of(1, 2, 3, 4) },
      state: { 'vq.codebook': Float32Array.of(5, 6) },
      step: 3,
      shapes: { w: [2, 2], 'vq.codebook': [1, 2] },
      config: { preset: 'linear-exo', note: 'gridworld' },
      rng: { data: { kind: 'x' } },
    };
    saveCheckpoint(dir, input);
    const ck = loadCheckpoint(join(dir, CHECKPOINT_FILE));
    expect(ck.shapes).toEqual({ w: [2, 2], 'vq.codebook': [1, 2] });
    expect(Array.from(ck.state['vq.codebook'])).toEqual([5, 6]);
    const { plan } = planPreset('linear-exo', { batch: 4 });
    expect(() => restoreCheckpoint(compileReference(plan), ck)).toThrow(`${ck.file}: has no parameter 'idm.W1' [8,64] that this model needs`);
  });

  it('refuses a missing checkpoint, naming the directory', () => {
    const dir = tmp();
    expect(() => loadCheckpoint(dir)).toThrow(`${dir}: no ${CHECKPOINT_FILE} (expected a directory written by \`lamkit train --out DIR\`)`);
    expect(() => loadCheckpoint(join(dir, 'x.safetensors'))).toThrow(`${join(dir, 'x.safetensors')}: no such run directory or checkpoint file`);
  });

  it('refuses every single-bit flip and every truncation of a checkpoint, naming the file', () => {
    const dir = tmp();
    saveCheckpoint(dir, {
      params: { a: Float32Array.of(0.5, -1.25, 3), b: Float32Array.of(7) },
      state: { m: Float32Array.of(1e-3, 2e-3, 3e-3, 4e-3) },
      layout: { m: [['a', 0], ['b', 3]] },
      step: 12,
      config: { preset: 'linear-exo', lr: 0.01 },
      rng: { data: { kind: 'linear-exo', rng: { s: [1, 2, 3, 4], spare: null } } },
    });
    const file = join(dir, CHECKPOINT_FILE);
    const good = readFileSync(file);
    expect(loadCheckpoint(file).step).toBe(12);
    const bad = join(dir, 'bad.safetensors');
    let refused = 0;
    for (let i = 0; i < good.length; i++) {
      const b = Buffer.from(good);
      b[i] ^= 1 << i % 8;
      writeFileSync(bad, b);
      try {
        loadCheckpoint(bad);
      } catch (e) {
        expect((e as Error).message.startsWith(`${bad}: `), (e as Error).message).toBe(true);
        refused++;
        continue;
      }
      throw new Error(`flipping bit ${i % 8} of byte ${i} (of ${good.length}) was not detected`);
    }
    expect(refused).toBe(good.length);
    for (let len = 0; len < good.length; len += 1) {
      writeFileSync(bad, good.subarray(0, len));
      expect(() => loadCheckpoint(bad), `truncated to ${len} bytes`).toThrow(SafetensorsError);
    }
    // Named causes for the common cases.
    const flipData = Buffer.from(good);
    flipData[good.length - 5] ^= 0x10; // inside the last data tensor before optim/step
    writeFileSync(bad, flipData);
    expect(() => loadCheckpoint(bad)).toThrow(/tensor 'optim\/m\/b' fails its sha256 checksum .*: its data is corrupted/);
    writeFileSync(bad, good.subarray(0, good.length - 2));
    expect(() => loadCheckpoint(bad)).toThrow(/the file is truncated/);
    const hlen = Number(good.readBigUInt64LE(0));
    const header = good.subarray(8, 8 + hlen).toString('utf8');
    const edited = Buffer.from(good);
    edited.write(header.replace('"lr\\":0.01', '"lr\\":0.02'), 8, 'utf8');
    writeFileSync(bad, edited);
    expect(() => loadCheckpoint(bad)).toThrow(`${bad}: the header fails its sha256 checksum: a shape, offset or metadata value was modified or corrupted`);
  });

  it('refuses a safetensors file that is not a lamkit checkpoint', () => {
    const dir = tmp();
    const file = join(dir, 'other.safetensors');
    writeFileSync(file, encodeSafetensors({ w: { dtype: 'F32', shape: [1], data: Float32Array.of(1) } }, { format: 'pt' }));
    expect(() => loadCheckpoint(file)).toThrow(`${file}: __metadata__ format is "pt", expected 'lamkit-checkpoint'`);
    writeFileSync(file, encodeSafetensors({ w: { dtype: 'F32', shape: [1], data: Float32Array.of(1) } }, {}, { checksums: false }));
    expect(() => loadCheckpoint(file)).toThrow(/no lamkit\.tensor_sha256\/lamkit\.header_sha256 metadata/);
  });
});

describe('atomic writes', () => {
  it('repeated saves leave exactly one file, no temp files', async () => {
    const { model } = await trainedModel(2);
    const dir = tmp();
    for (let i = 0; i < 5; i++) saveCheckpoint(dir, model, { preset: 'linear-exo', i });
    expect(readdirSync(dir)).toEqual([CHECKPOINT_FILE]);
    expect(loadCheckpoint(dir).config.i).toBe(4);
  });

  it('a failed write throws naming the path, removes its temp file and keeps the old file', () => {
    const dir = tmp();
    const target = join(dir, 'x.bin');
    writeFileAtomic(target, 'old');
    // Rename onto a non-empty directory fails after the temp file was written and synced.
    const asDir = join(dir, 'sub');
    mkdirSync(asDir);
    writeFileSync(join(asDir, 'keep'), '');
    expect(() => writeFileAtomic(asDir, 'new')).toThrow(new RegExp(`^cannot write ${asDir}: `));
    expect(readdirSync(dir).sort()).toEqual(['sub', 'x.bin']);
    expect(readFileSync(target, 'utf8')).toBe('old');
    // A directory that cannot exist (under a regular file).
    expect(() => saveCheckpoint(join(target, 'run'), { params: {}, step: 0, config: {} })).toThrow(`cannot create checkpoint directory ${join(target, 'run')}`);
  });
});

describe('random state capture', () => {
  it('Rng.getState/setState continue the sequence exactly, pending Box–Muller normal included', () => {
    const a = new Rng(SEED);
    a.normal(); // leaves the second normal of the pair pending
    const st = a.getState();
    expect(st.spare).not.toBeNull();
    const b = new Rng(0);
    b.setState(JSON.parse(JSON.stringify(st)));
    const xs = Array.from({ length: 9 }, () => a.normal());
    expect(Array.from({ length: 9 }, () => b.normal())).toEqual(xs);
    expect(() => b.setState({ s: [1, 2, 3], spare: null } as never)).toThrow('Rng.setState: expected s = 4 uint32 words, got [1,2,3]');
    expect(() => b.setState({ s: [0, 0, 0, 0], spare: null })).toThrow(/all-zero state/);
    expect(() => b.setState({ s: [1, 2, 3, 4], spare: 'x' } as never)).toThrow('Rng.setState: expected spare = null or a finite number, got "x"');
  });

  it('a linear-exo source restored from its state draws the same batches; another kind is refused', () => {
    const p = getPreset('linear-exo');
    const a = linearExoSource(p, 4, SEED);
    const draw = (s: typeof a) => {
      const v = { o_t: new Float32Array(4 * 64), o_t1: new Float32Array(4 * 64) };
      s.next(v);
      return [...v.o_t, ...v.o_t1];
    };
    const first = draw(a);
    const st = JSON.parse(JSON.stringify(a.getState()));
    // The generator's parameters follow from the seed; the state carries the data stream on.
    const b = linearExoSource(p, 4, SEED);
    b.setState(st);
    const second = draw(a);
    expect(second).not.toEqual(first);
    expect(draw(b)).toEqual(second);
    expect(() => b.setState({ kind: 'random-frames', rng: st.rng })).toThrow("batch source state: expected kind 'linear-exo', got \"random-frames\"");
  });
});
