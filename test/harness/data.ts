/**
 * Seeded test data. Every generator takes an Rng from testSeed() (LAMKIT_TEST_SEED overrides),
 * so a failure is reproducible from the seed the test prints.
 */
import { Rng, testSeed } from '../../src/data/rng.js';

export { Rng, testSeed };

export function normal(rng: Rng, n: number, std = 1): Float32Array {
  return rng.fillNormal(new Float32Array(n), 0, std);
}

export function uniform(rng: Rng, n: number, lo: number, hi: number): Float32Array {
  return rng.fillUniform(new Float32Array(n), lo, hi);
}

/** Normal values pushed away from 0 (|x| ≥ gap): for kinked functions and finite differences. */
export function awayFromZero(rng: Rng, n: number, gap = 0.05): Float32Array {
  const a = normal(rng, n);
  for (let i = 0; i < n; i++) if (Math.abs(a[i]) < gap) a[i] = a[i] < 0 ? a[i] - gap : a[i] + gap;
  return a;
}

export function ints(rng: Rng, n: number, hi: number): Int32Array {
  const a = new Int32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.int(hi);
  return a;
}

/** 0/1 mask with at least one 1. */
export function mask(rng: Rng, n: number): Float32Array {
  const m = new Float32Array(n);
  for (let i = 0; i < n; i++) m[i] = rng.uniform() < 0.6 ? 1 : 0;
  m[rng.int(n)] = 1;
  return m;
}

/** The size sweep for tiled kernels: 1, primes, GEMM tile sizes (6×16) ± 1. */
export const SIZES = [1, 2, 5, 7, 15, 16, 17, 31, 33, 64, 97];

/** Element counts for elementwise ops: the sweep plus sizes past SIMD tails and the threading threshold. */
export const COUNTS = [...SIZES, 255, 1000, 70001];
