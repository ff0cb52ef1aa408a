/**
 * Seeded random numbers for everything in lamkit (data, initialisers, tests): never time-seeded.
 * xoshiro128** for uniform 32-bit draws, Box–Muller for normals. The state is four uint32 words
 * plus the cached second Box–Muller normal, so it can be saved in a checkpoint (getState) and
 * restored exactly (setState).
 */

/** A generator's complete state as JSON: the xoshiro words and the pending Box–Muller normal. */
export interface RngState {
  s: [number, number, number, number];
  spare: number | null;
}

export class Rng {
  private s: Uint32Array;
  private spare: number | null = null;

  constructor(seed: number | Uint32Array = 0) {
    if (typeof seed === 'number') {
      if (!Number.isFinite(seed)) throw new RangeError(`Rng: seed must be a finite number, got ${seed}`);
      this.s = new Uint32Array(4);
      // splitmix32 expands one seed into a well-mixed state.
      let x = (Math.trunc(seed) >>> 0) ^ 0x9e3779b9;
      for (let i = 0; i < 4; i++) {
        x = (x + 0x9e3779b9) >>> 0;
        let z = x;
        z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
        z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
        this.s[i] = (z ^ (z >>> 16)) >>> 0;
      }
      if (this.s.every((w) => w === 0)) this.s[0] = 1;
    } else {
      if (seed.length !== 4) throw new RangeError(`Rng: state must have 4 words, got ${seed.length}`);
      this.s = new Uint32Array(seed);
    }
  }

  /** The full state (for checkpoints); `new Rng(state)` resumes the same sequence. */
  state(): Uint32Array {
    return new Uint32Array(this.s);
  }

  /** The complete state (words and pending normal) as plain JSON, for checkpoints. */
  getState(): RngState {
    return { s: [this.s[0], this.s[1], this.s[2], this.s[3]], spare: this.spare };
  }

  /** Restores what getState() returned; the next draws continue that sequence exactly. */
  setState(st: RngState, what = 'Rng.setState'): void {
    const words = (st as { s?: unknown } | null)?.s;
    if (!Array.isArray(words) || words.length !== 4 || !words.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffffffff))
      throw new RangeError(`${what}: expected s = 4 uint32 words, got ${JSON.stringify(words)}`);
    if (words.every((w) => w === 0)) throw new RangeError(`${what}: the all-zero state is not a valid xoshiro128** state`);
    const spare = (st as { spare?: unknown }).spare;
    if (spare !== null && !(typeof spare === 'number' && Number.isFinite(spare)))
      throw new RangeError(`${what}: expected spare = null or a finite number, got ${JSON.stringify(spare)}`);
    this.s = Uint32Array.from(words as number[]);
    this.spare = spare as number | null;
  }

  /** Uniform uint32. */
  nextU32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1] << 9) >>> 0;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** Uniform in [0, 1) with 53 random bits. */
  uniform(): number {
    const hi = this.nextU32() >>> 5;
    const lo = this.nextU32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    if (!(n >= 1)) throw new RangeError(`Rng.int: n must be ≥ 1, got ${n}`);
    return Math.floor(this.uniform() * n);
  }

  /** Standard normal (Box–Muller; the second value of each pair is kept for the next call). */
  normal(): number {
    if (this.spare !== null) {
      const v = this.spare;
      this.spare = null;
      return v;
    }
    let u = 0;
    while (u <= 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Fill an array with N(mean, std²) draws. */
  fillNormal<T extends Float32Array | Float64Array>(out: T, mean = 0, std = 1): T {
    for (let i = 0; i < out.length; i++) out[i] = mean + std * this.normal();
    return out;
  }

  /** Fill an array with U(lo, hi) draws. */
  fillUniform<T extends Float32Array | Float64Array>(out: T, lo = 0, hi = 1): T {
    for (let i = 0; i < out.length; i++) out[i] = lo + (hi - lo) * this.uniform();
    return out;
  }

  /** An in-place Fisher–Yates shuffle. */
  shuffle<T>(a: T[] | Int32Array | Uint32Array): typeof a {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = a[i];
      a[i] = a[j];
      a[j] = t as never;
    }
    return a;
  }

  /** An independent generator derived from this one (for per-component streams). */
  fork(): Rng {
    return new Rng(new Uint32Array([this.nextU32(), this.nextU32(), this.nextU32(), this.nextU32() | 1]));
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** The seed tests use: LAMKIT_TEST_SEED when set, else the given default. */
export function testSeed(fallback = 1234): number {
  const env = typeof process !== 'undefined' ? process.env.LAMKIT_TEST_SEED : undefined;
  return env !== undefined && env !== '' ? Number(env) : fallback;
}
