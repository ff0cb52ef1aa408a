/**
 * Bad input files for the hardening tests, written into one temp directory: .npy/.npz data
 * with NaN/Inf, wrong dtype/order/rank, zero-length axes, truncation and garbage; corrupted
 * copies of a real checkpoint; a regular file to put output paths under (root ignores chmod,
 * so "unwritable" means ENOTDIR or a /proc path, which fail for every user).
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeNpy } from '../../src/data/npy.js';
import { rawNpy, writeNpz } from '../data/helpers.js';
import { Rng } from '../harness/data.js';

export const N = 20;
export const T = 4;
export const D = 6;

/** Writes the data fixtures into `dir`; returns the path of each by name. */
export function writeDataFixtures(dir: string, seed: number): Record<string, string> {
  const rng = new Rng(seed);
  const p = (name: string) => join(dir, name);
  const put = (name: string, bytes: Uint8Array) => (writeFileSync(p(name), bytes), p(name));
  const good = rng.fillNormal(new Float32Array(N * T * D), 0, 1);
  const goodBytes = encodeNpy({ data: good, shape: [N, T, D] });
  const withValue = (i: number, v: number) => {
    const a = good.slice();
    a[i] = v;
    return encodeNpy({ data: a, shape: [N, T, D] });
  };
  const garbage = new Uint8Array(300);
  for (let i = 0; i < garbage.length; i++) garbage[i] = rng.int(256);
  const f: Record<string, string> = {
    good: put('good.npy', goodBytes),
    nan: put('nan.npy', withValue((3 * T + 2) * D + 1, NaN)), // sequence 3, step 2
    inf: put('inf.npy', withValue(5 * T * D, -Infinity)), // sequence 5, step 0
    f64: put('f64.npy', rawNpy(`{'descr': '<f8', 'fortran_order': False, 'shape': (${N}, ${T}, ${D}), }`, 8 * N * T * D)),
    i32: put('i32.npy', encodeNpy({ data: new Int32Array(N * T * D), shape: [N, T, D] })),
    bigEndian: put('be.npy', rawNpy(`{'descr': '>f4', 'fortran_order': False, 'shape': (${N}, ${T}, ${D}), }`, 4 * N * T * D)),
    fortran: put('fortran.npy', rawNpy(`{'descr': '<f4', 'fortran_order': True, 'shape': (${N}, ${T}, ${D}), }`, 4 * N * T * D)),
    zeroN: put('zero-n.npy', encodeNpy({ data: new Float32Array(0), shape: [0, T, D] })),
    zeroD: put('zero-d.npy', encodeNpy({ data: new Float32Array(0), shape: [N, T, 0] })),
    t1: put('t1.npy', encodeNpy({ data: good.slice(0, N * D), shape: [N, 1, D] })),
    flat: put('flat.npy', encodeNpy({ data: good, shape: [N * T * D] })),
    truncated: put('truncated.npy', goodBytes.slice(0, goodBytes.length - 1000)),
    headerOnly: put('header-only.npy', goodBytes.slice(0, 40)),
    garbage: put('garbage.npy', garbage),
    empty: put('empty.npy', new Uint8Array(0)),
    actionsShape: put('actions-shape.npy', encodeNpy({ data: new Float32Array(N * 2 * 2), shape: [N, 2, 2] })),
    actionsNan: put('actions-nan.npy', encodeNpy({ data: new Float32Array(N * (T - 1) * 2).fill(NaN), shape: [N, T - 1, 2] })),
    // Inference feeds of the linear-exo IDM ([batch, 64]).
    feed: put('feed.npy', encodeNpy({ data: rng.fillNormal(new Float32Array(4 * 64), 0, 1), shape: [4, 64] })),
    aFile: put('a-regular-file', new TextEncoder().encode('not a directory\n')),
  };
  writeNpz(p('good.npz'), { obs: { data: good, shape: [N, T, D] } });
  f.npz = p('good.npz');
  const npz = readFileSync(f.npz);
  f.npzTruncated = put('truncated.npz', npz.subarray(0, npz.length >> 1));
  writeNpz(p('ambiguous.npz'), { a: { data: good, shape: [N, T, D] }, b: { data: good, shape: [N, T, D] } });
  f.npzAmbiguous = p('ambiguous.npz');
  mkdirSync(p('empty-dir'));
  f.emptyDir = p('empty-dir');
  f.missing = p('does-not-exist.npy');
  return f;
}

/**
 * Copies the run directory `run` (with checkpoint.safetensors) into damaged variants; returns
 * the directory of each by name.
 */
export function corruptCheckpoints(run: string, dir: string): Record<string, string> {
  const bytes = readFileSync(join(run, 'checkpoint.safetensors'));
  const out: Record<string, string> = {};
  const make = (name: string, data: Uint8Array | null) => {
    const d = join(dir, name);
    mkdirSync(d);
    copyFileSync(join(run, 'metrics.jsonl'), join(d, 'metrics.jsonl'));
    if (data) writeFileSync(join(d, 'checkpoint.safetensors'), data);
    out[name] = d;
  };
  make('truncated', bytes.subarray(0, bytes.length >> 1));
  make('empty', new Uint8Array(0));
  const flipped = Uint8Array.from(bytes);
  flipped[flipped.length - 100] ^= 0x10; // inside the last tensor's data
  make('bitflip', flipped);
  const hugeHeader = Uint8Array.from(bytes);
  new DataView(hugeHeader.buffer).setBigUint64(0, 10n ** 12n, true);
  make('header-length', hugeHeader);
  const garbage = new Uint8Array(5000);
  for (let i = 0; i < garbage.length; i++) garbage[i] = (i * 2654435761) >>> 24;
  make('garbage', garbage);
  make('no-checkpoint', null);
  return out;
}
