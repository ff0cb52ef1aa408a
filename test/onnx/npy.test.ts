/**
 * .npy reader/writer: round trips for each dtype, interop with NumPy when /usr/bin/python3 has
 * it (skipped with the reason otherwise), and every rejection names the file, expected, found.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { numpyMissing } from '../data/helpers.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeNpy, encodeNpy, readNpy, writeNpy, checkNpy } from '../../src/data/npy.js';
import { Rng, testSeed } from '../../src/data/rng.js';

const dir = mkdtempSync(join(tmpdir(), 'lamkit-npy-'));
const seed = testSeed();


describe(`npy (seed ${seed})`, () => {
  const rng = new Rng(seed);
  it('round-trips float32, uint8 and int32 of several ranks', () => {
    for (const shape of [[], [1], [7], [2, 3], [2, 1, 5, 3]]) {
      const n = shape.reduce((a, b) => a * b, 1);
      const f = rng.fillNormal(new Float32Array(n));
      const u = Uint8Array.from({ length: n }, () => rng.int(256));
      const i = Int32Array.from({ length: n }, () => rng.int(2 ** 31) - 2 ** 30);
      for (const data of [f, u, i]) {
        const bytes = encodeNpy({ data, shape });
        // The data block starts on a 64-byte boundary (NumPy's own alignment).
        expect((bytes.length - data.byteLength) % 64).toBe(0);
        const back = decodeNpy(bytes, 'mem.npy');
        expect(back.shape).toEqual(shape);
        expect(back.data.constructor).toBe(data.constructor);
        expect(Array.from(back.data)).toEqual(Array.from(data));
      }
    }
  });

  it('reads from an unaligned Buffer offset', () => {
    const data = new Float32Array([1.5, -2, 3.25]);
    const bytes = encodeNpy({ data, shape: [3] });
    const padded = new Uint8Array(bytes.length + 1);
    padded.set(bytes, 1);
    expect(Array.from(decodeNpy(padded.subarray(1), 'x.npy').data)).toEqual([1.5, -2, 3.25]);
  });

  const why = numpyMissing();
  it.skipIf(why !== null)(`interoperates with NumPy${why ? ` (skipped: ${why})` : ''}`, () => {
    const a = rng.fillNormal(new Float32Array(24));
    const p = join(dir, 'a.npy');
    writeNpy(p, { data: a, shape: [2, 3, 4] });
    const out = join(dir, 'b.npy');
    const s = execFileSync('/usr/bin/python3', [
      '-c',
      `import numpy as np, sys
a = np.load(sys.argv[1]); assert a.dtype == np.float32 and a.shape == (2,3,4), (a.dtype, a.shape)
print(repr(float(a.sum())))
np.save(sys.argv[2], (np.arange(12, dtype=np.int32).reshape(3, 4) * 7 - 5))
np.save(sys.argv[3], np.arange(10, dtype=np.uint8))
np.save(sys.argv[4], np.ones((2,2), dtype=np.float64))
np.save(sys.argv[5], np.asfortranarray(np.ones((2,3), dtype=np.float32)))`,
      p, out, join(dir, 'c.npy'), join(dir, 'd.npy'), join(dir, 'e.npy'),
    ]).toString();
    expect(Number(s)).toBeCloseTo(a.reduce((x, y) => x + y, 0), 3);
    const b = readNpy(out, { dtype: 'int32', shape: [3, 4] });
    expect(Array.from(b.data)).toEqual(Array.from({ length: 12 }, (_, i) => i * 7 - 5));
    expect(readNpy(join(dir, 'c.npy')).dtype).toBe('uint8');
    expect(() => readNpy(join(dir, 'd.npy'))).toThrow(/d\.npy: unsupported dtype float64/);
    expect(() => readNpy(join(dir, 'e.npy'))).toThrow(/e\.npy: Fortran-order/);
  });

  it('names the file, the expected and the found dtype/shape', () => {
    const p = join(dir, 'obs.npy');
    writeNpy(p, { data: new Uint8Array(6), shape: [2, 3] });
    expect(() => readNpy(p, { dtype: 'float32' })).toThrow(TypeError);
    expect(() => readNpy(p, { dtype: 'float32' })).toThrow(`${p}: expected dtype float32, found uint8`);
    expect(() => readNpy(p, { shape: ['batch', 4] })).toThrow(RangeError);
    expect(() => readNpy(p, { shape: ['batch', 4] })).toThrow(`${p}: expected shape [batch,4], found [2,3]`);
    expect(() => checkNpy(decodeNpy(encodeNpy({ data: new Float32Array(2), shape: [2] })), 'z.npy', { shape: [2, 1] })).toThrow(
      'z.npy: expected shape [2,1], found [2]',
    );
    expect(() => readNpy(join(dir, 'missing.npy'))).toThrow(/missing\.npy: cannot read .npy file \(ENOENT\)/);
    const bad = join(dir, 'bad.npy');
    writeFileSync(bad, 'hello world, not numpy');
    expect(() => readNpy(bad)).toThrow(/bad\.npy: not a \.npy file/);
    const trunc = join(dir, 'trunc.npy');
    writeFileSync(trunc, encodeNpy({ data: new Float32Array(8), shape: [8] }).subarray(0, 140));
    expect(() => readNpy(trunc)).toThrow("trunc.npy: truncated data: shape [8] float32 needs 32 bytes, found 12");
    expect(() => encodeNpy({ data: new Float32Array(5), shape: [2, 3] })).toThrow('shape [2,3] holds 6 elements but data has 5');
  });
});
