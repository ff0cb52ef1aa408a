/**
 * Streaming first and second moments of row vectors: one pass, float64 sums of shifted rows and
 * of their outer products, so covariances of data larger than memory cost O(p²) memory. Rows are
 * shifted by a fixed vector (e.g. the first row) before summing: the covariance does not change,
 * and the raw-moment subtraction S/n − m̄m̄ᵀ no longer cancels large means catastrophically.
 */
import { Matrix } from 'ml-matrix';

export class MomentAccumulator {
  /** Rows added. */
  count = 0;
  /** Σ (x − shift). */
  readonly sum: Float64Array;
  /** Upper triangle (row-major, p×p) of Σ (x − shift)(x − shift)ᵀ. */
  readonly outer: Float64Array;
  private readonly x: Float64Array;

  constructor(
    readonly dim: number,
    readonly shift: Float64Array = new Float64Array(dim),
  ) {
    if (!Number.isInteger(dim) || dim < 1) throw new RangeError(`MomentAccumulator: dim must be a positive integer, got ${dim}`);
    if (shift.length !== dim) throw new RangeError(`MomentAccumulator: shift has ${shift.length} values, expected ${dim}`);
    this.sum = new Float64Array(dim);
    this.outer = new Float64Array(dim * dim);
    this.x = new Float64Array(dim);
  }

  /** Adds one row of `dim` values. */
  add(row: ArrayLike<number>): void {
    const p = this.dim;
    const x = this.x;
    for (let j = 0; j < p; j++) {
      x[j] = row[j] - this.shift[j];
      this.sum[j] += x[j];
    }
    const S = this.outer;
    for (let j = 0; j < p; j++) {
      const xj = x[j];
      if (xj === 0) continue;
      const off = j * p;
      for (let l = j; l < p; l++) S[off + l] += xj * x[l];
    }
    this.count++;
  }

  /**
   * Adds another accumulator's sums over its leading `this.dim` coordinates (a sub-vector of the
   * same rows), which must use the same shift there.
   */
  merge(other: MomentAccumulator): void {
    const p = this.dim;
    if (other.dim < p) throw new RangeError(`MomentAccumulator.merge: other has dim ${other.dim} < ${p}`);
    for (let j = 0; j < p; j++)
      if (other.shift[j] !== this.shift[j]) throw new RangeError(`MomentAccumulator.merge: shifts differ at coordinate ${j}`);
    const q = other.dim;
    for (let j = 0; j < p; j++) {
      this.sum[j] += other.sum[j];
      for (let l = j; l < p; l++) this.outer[j * p + l] += other.outer[j * q + l];
    }
    this.count += other.count;
  }

  /** Mean row. */
  mean(): Float64Array {
    if (this.count < 1) throw new RangeError('MomentAccumulator.mean: no rows added');
    return this.sum.map((s, j) => this.shift[j] + s / this.count);
  }

  /** Population covariance (divided by the row count), p×p. */
  covariance(): Matrix {
    const n = this.count;
    if (n < 1) throw new RangeError('MomentAccumulator.covariance: no rows added');
    const p = this.dim;
    const C = new Matrix(p, p);
    for (let j = 0; j < p; j++) {
      const mj = this.sum[j] / n;
      for (let l = j; l < p; l++) {
        const v = this.outer[j * p + l] / n - mj * (this.sum[l] / n);
        C.set(j, l, v);
        C.set(l, j, v);
      }
    }
    return C;
  }
}
