/**
 * Reading own data by offset: .npy headers (streamed), .npz stored and deflated entries, and
 * every refusal (dtype, byte order, Fortran order, truncated data, a header that lies about the
 * size, a broken zip) naming the file, what was found and what was expected.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileReader, MemoryReader, openNpyAt, openNpyFile, readAsFloat32 } from '../../src/data/dataset-io.js';
import { Dataset } from '../../src/data/dataset.js';
import { encodeNpy, writeNpy } from '../../src/data/npy.js';
import { openNpz } from '../../src/data/npz.js';
import { testSeed } from '../../src/data/rng.js';
import { numpyMissing, randomSequences, rawNpy, writeNpz, writeZip } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'lamkit-owndata-'));
const seed = testSeed();


describe(`npy by offset (seed ${seed})`, () => {
  it('reads float32 and uint8 (scaled by 1/255) windows equal to the array', () => {
    const f = randomSequences(3, 4, [5], seed);
    const p = join(dir, 'f.npy');
    writeNpy(p, { data: f, shape: [3, 4, 5] });
    const a = openNpyFile(p);
    expect(a.dtype).toBe('float32');
    expect(a.shape).toEqual([3, 4, 5]);
    const out = new Float32Array(7);
    readAsFloat32(a, 13, 7, out, 0);
    expect(Array.from(out)).toEqual(Array.from(f.subarray(13, 20)));
    a.reader.close();

    const u = Uint8Array.from({ length: 2 * 3 * 4 }, (_, i) => (i * 37 + seed) % 256);
    const q = join(dir, 'u.npy');
    writeNpy(q, { data: u, shape: [2, 3, 4] });
    const b = openNpyFile(q);
    const outU = new Float32Array(u.length);
    readAsFloat32(b, 0, u.length, outU, 0);
    for (let i = 0; i < u.length; i++) expect(outU[i]).toBeCloseTo(u[i] / 255, 7);
    b.reader.close();
  });

  it('a MemoryReader and a FileReader see the same array', () => {
    const f = randomSequences(2, 3, [4], seed + 1);
    const bytes = encodeNpy({ data: f, shape: [2, 3, 4] });
    const p = join(dir, 'm.npy');
    writeFileSync(p, bytes);
    const fromFile = openNpyFile(p);
    const fromMem = openNpyAt(new MemoryReader(bytes, 'mem'), 0, bytes.length, 'mem');
    expect(fromMem.offset).toBe(fromFile.offset);
    const x = new Float32Array(24);
    const y = new Float32Array(24);
    readAsFloat32(fromFile, 0, 24, x, 0);
    readAsFloat32(fromMem, 0, 24, y, 0);
    expect(Array.from(x)).toEqual(Array.from(y));
    fromFile.reader.close();
  });

  it('refuses float64, big-endian, Fortran order, naming the file, found and expected', () => {
    const cases: [string, string, RegExp][] = [
      ['f8.npy', "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2, 3), }", /f8\.npy: unsupported dtype float64 \('<f8'\); expected float32/],
      ['be.npy', "{'descr': '>f4', 'fortran_order': False, 'shape': (2, 2, 3), }", /be\.npy: unsupported dtype big-endian float32 \('>f4'\)/],
      ['fo.npy', "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2, 3), }", /fo\.npy: Fortran-order arrays are not supported; expected C order/],
    ];
    for (const [name, header, re] of cases) {
      const p = join(dir, name);
      writeFileSync(p, rawNpy(header, 2 * 2 * 3 * 8));
      expect(() => openNpyFile(p)).toThrow(re);
    }
  });

  it('refuses truncated data and a header that claims more or less than the file holds', () => {
    const good = encodeNpy({ data: new Float32Array(24), shape: [2, 3, 4] });
    const p = join(dir, 'trunc.npy');
    writeFileSync(p, good.subarray(0, good.length - 5));
    expect(() => openNpyFile(p)).toThrow(/trunc\.npy: truncated data: shape \[2,3,4\] float32 needs 96 bytes, found 91/);
    const q = join(dir, 'lies-big.npy');
    writeFileSync(q, rawNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (1000, 3, 4), }", 96));
    expect(() => openNpyFile(q)).toThrow(/lies-big\.npy: truncated data: shape \[1000,3,4\] float32 needs 48000 bytes, found 96/);
    const r = join(dir, 'lies-small.npy');
    writeFileSync(r, rawNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 3, 4), }", 96));
    expect(() => openNpyFile(r)).toThrow(/lies-small\.npy: 96 bytes of data follow the header but shape \[1,3,4\] float32 holds 48; header and data disagree/);
    const h = join(dir, 'header-cut.npy');
    writeFileSync(h, good.subarray(0, 40));
    expect(() => openNpyFile(h)).toThrow(/header-cut\.npy: truncated \.npy header \(needs \d+ bytes, file has 40\)/);
    const nf = join(dir, 'not-npy.npy');
    writeFileSync(nf, 'hello world, not numpy');
    expect(() => openNpyFile(nf)).toThrow(/not-npy\.npy: not a \.npy file/);
    expect(() => openNpyFile(join(dir, 'missing.npy'))).toThrow(/missing\.npy: cannot open \(ENOENT\)/);
  });

  it('FileReader refuses reads past the end, naming the file and sizes', () => {
    const p = join(dir, 'small.bin');
    writeFileSync(p, new Uint8Array(10));
    const r = new FileReader(p);
    expect(() => r.read(8, new Uint8Array(4))).toThrow(/small\.bin: read of 4 bytes at 8 is past the end of the file \(10 bytes\)/);
    r.close();
  });
});

describe('npz', () => {
  for (const compressed of [false, true]) {
    it(`reads ${compressed ? 'deflated (savez_compressed)' : 'stored (savez)'} entries by offset`, async () => {
      const obs = randomSequences(3, 4, [6], seed + 2);
      const actions = Int32Array.from({ length: 9 }, (_, i) => i % 3);
      const p = join(dir, compressed ? 'c.npz' : 's.npz');
      writeNpz(p, { obs: { data: obs, shape: [3, 4, 6] }, actions: { data: actions, shape: [3, 3] } }, compressed);
      const z = await openNpz(p);
      expect([...z.arrays.keys()].sort()).toEqual(['actions', 'obs']);
      const o = z.arrays.get('obs')!;
      expect(o.shape).toEqual([3, 4, 6]);
      expect(o.source).toBe(`${p}:obs.npy`);
      const out = new Float32Array(obs.length);
      readAsFloat32(o, 0, obs.length, out, 0);
      expect(Array.from(out)).toEqual(Array.from(obs));
      if (!compressed) expect(o.reader.source).toBe(p); // read in place, not copied out
      z.close();
    });
  }

  it('names the entry when an array inside is bad, and refuses a broken zip', async () => {
    const p = join(dir, 'bad-entry.npz');
    writeZip(p, { 'obs.npy': rawNpy("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2, 2), }", 64) });
    await expect(openNpz(p)).rejects.toThrow(/bad-entry\.npz:obs\.npy: unsupported dtype float64/);
    const q = join(dir, 'broken.npz');
    writeFileSync(q, readFileSync(p).subarray(0, 50));
    await expect(openNpz(q)).rejects.toThrow(/broken\.npz: not a readable \.npz \(zip\) archive/);
    const r = join(dir, 'other.npz');
    writeZip(r, { 'readme.txt': new Uint8Array([65, 66]) });
    await expect(openNpz(r)).rejects.toThrow(/other\.npz: entry 'readme\.txt' is not a \.npy/);
  });

  it('Dataset picks the observation array of an npz and says so when it cannot', async () => {
    const p = join(dir, 'two.npz');
    const x = randomSequences(2, 3, [4], seed);
    writeNpz(p, { a: { data: x, shape: [2, 3, 4] }, b: { data: x, shape: [2, 3, 4] } });
    await expect(Dataset.open(p)).rejects.toThrow(/two\.npz: cannot tell which array holds the observations \(found a, b\); name it one of obs, observations, frames, features/);
    const q = join(dir, 'one.npz');
    writeNpz(q, { x: { data: x, shape: [2, 3, 4] } });
    const ds = await Dataset.open(q);
    expect(ds.kind).toBe('features');
    expect(ds.transitions).toBe(4);
    ds.close();
  });

  const missing = numpyMissing();
  it.skipIf(missing !== null)(`reads np.savez and np.savez_compressed output${missing ? ` (skipped: ${missing})` : ''}`, async () => {
    for (const fn of ['savez', 'savez_compressed']) {
      const p = join(dir, `np-${fn}.npz`);
      execFileSync('/usr/bin/python3', ['-c', `import numpy as np; o=(np.arange(2*3*4*8*8)%251).astype(np.uint8).reshape(2,3,4,8,8); a=np.arange(4,dtype=np.float32).reshape(2,2,1); np.${fn}('${p}', frames=o, actions=a)`]);
      const ds = await Dataset.open(p);
      expect(ds.kind).toBe('frames');
      expect(ds.frameShape).toEqual([4, 8, 8]);
      expect(ds.action).toMatchObject({ kind: 'continuous', dim: 1 });
      const F = 4 * 64;
      const oT = new Float32Array(F);
      const oT1 = new Float32Array(F);
      const a = new Float32Array(1);
      ds.readBatch([3], 1, oT, oT1, a); // sequence 1, step 1
      const base = (1 * 3 + 1) * F;
      for (let i = 0; i < F; i++) {
        expect(oT[i]).toBeCloseTo(((base + i) % 251) / 255, 6);
        expect(oT1[i]).toBeCloseTo(((base + F + i) % 251) / 255, 6);
      }
      expect(a[0]).toBe(3);
      ds.close();
    }
  });
});
