/**
 * Float64 linear-algebra helpers for the analysis code, over ml-matrix. ml-matrix's add/sub/mul
 * mutate their receiver, so every helper here returns a fresh matrix and never touches inputs.
 */
import { EigenvalueDecomposition, Matrix, SingularValueDecomposition } from 'ml-matrix';

/** Relative eigenvalue cut-off for pseudo-inverses: float32 data leaves ~1e-14 relative noise in Gram matrices. */
export const PINV_RTOL = 1e-10;

/** Symmetric eigendecomposition, eigenvalues descending. Symmetrises first (round-off). */
export function symEig(S: Matrix): { values: number[]; vectors: Matrix } {
  const n = S.rows;
  if (n !== S.columns) throw new RangeError(`symEig: expected a square matrix, got ${S.rows}×${S.columns}`);
  if (n === 0) return { values: [], vectors: new Matrix(0, 0) };
  const sym = S.transpose().add(S).mul(0.5);
  const evd = new EigenvalueDecomposition(sym, { assumeSymmetric: true });
  const vals = evd.realEigenvalues;
  const order = vals.map((_, i) => i).sort((a, b) => vals[b] - vals[a]);
  const V = evd.eigenvectorMatrix;
  const out = new Matrix(n, n);
  order.forEach((src, j) => {
    for (let i = 0; i < n; i++) out.set(i, j, V.get(i, src));
  });
  return { values: order.map((i) => vals[i]), vectors: out };
}

/** f(S) for symmetric PSD S, applied to eigenvalues above rtol·λ_max (others map to 0). */
export function symFunc(S: Matrix, f: (lambda: number) => number, rtol = PINV_RTOL): Matrix {
  const { values, vectors } = symEig(S);
  const cut = Math.max(values[0] ?? 0, 0) * rtol;
  const n = S.rows;
  const keep = values.map((v, j) => (v > cut && v > 0 ? j : -1)).filter((j) => j >= 0);
  if (keep.length === 0) return new Matrix(n, n);
  const V = new Matrix(n, keep.length);
  const Vf = new Matrix(n, keep.length);
  keep.forEach((src, j) => {
    const fv = f(values[src]);
    for (let a = 0; a < n; a++) {
      V.set(a, j, vectors.get(a, src));
      Vf.set(a, j, vectors.get(a, src) * fv);
    }
  });
  return Vf.mmul(V.transpose());
}

/** Moore–Penrose pseudo-inverse of a symmetric PSD matrix. */
export function pinvSym(S: Matrix, rtol = PINV_RTOL): Matrix {
  return symFunc(S, (l) => 1 / l, rtol);
}

/** Pseudo-inverse square root S^{+1/2} of a symmetric PSD matrix. */
export function pinvSqrtSym(S: Matrix, rtol = PINV_RTOL): Matrix {
  return symFunc(S, (l) => 1 / Math.sqrt(l), rtol);
}

/** Numerical rank of a symmetric PSD matrix. */
export function rankSym(S: Matrix, rtol = PINV_RTOL): number {
  const { values } = symEig(S);
  const cut = Math.max(values[0] ?? 0, 0) * rtol;
  return values.filter((v) => v > cut && v > 0).length;
}

/** An orthonormal basis (as columns) of the column space of M. */
export function orthBasis(M: Matrix, rtol = 1e-9): Matrix {
  if (M.columns === 0 || M.rows === 0) return new Matrix(M.rows, 0);
  const svd = new SingularValueDecomposition(M, { autoTranspose: true, computeRightSingularVectors: false });
  const s = svd.diagonal;
  const U = svd.leftSingularVectors;
  const cut = (s[0] ?? 0) * rtol;
  const keep = s.map((v, i) => (v > cut && v > 0 ? i : -1)).filter((i) => i >= 0);
  const out = new Matrix(M.rows, keep.length);
  keep.forEach((src, j) => {
    for (let i = 0; i < M.rows; i++) out.set(i, j, U.get(i, src));
  });
  return out;
}

/** Singular values of M, descending. */
export function singularValues(M: Matrix): number[] {
  if (M.rows === 0 || M.columns === 0) return [];
  const svd = new SingularValueDecomposition(M, { autoTranspose: true, computeLeftSingularVectors: false, computeRightSingularVectors: false });
  return [...svd.diagonal].sort((a, b) => b - a);
}

/** Wraps a row-major Float32/Float64 array [rows, cols] as a float64 Matrix (copy). */
export function fromRowMajor(data: ArrayLike<number>, rows: number, cols: number, name = 'array'): Matrix {
  if (data.length !== rows * cols) throw new RangeError(`${name}: expected ${rows}×${cols} = ${rows * cols} values, got ${data.length}`);
  const m = new Matrix(rows, cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) m.set(i, j, data[i * cols + j]);
  return m;
}

/** Row-major Float32Array of a Matrix (for feeding graphs). */
export function toFloat32(m: Matrix): Float32Array {
  const out = new Float32Array(m.rows * m.columns);
  for (let i = 0; i < m.rows; i++) for (let j = 0; j < m.columns; j++) out[i * m.columns + j] = m.get(i, j);
  return out;
}

/** Column means of X [n, d]. */
export function colMeans(X: Matrix): number[] {
  const out = new Array<number>(X.columns).fill(0);
  for (let i = 0; i < X.rows; i++) for (let j = 0; j < X.columns; j++) out[j] += X.get(i, j);
  return out.map((v) => v / Math.max(X.rows, 1));
}

/** X with its column means (or the given means) subtracted (new matrix). */
export function center(X: Matrix, means = colMeans(X)): Matrix {
  const out = X.clone();
  for (let i = 0; i < X.rows; i++) for (let j = 0; j < X.columns; j++) out.set(i, j, X.get(i, j) - means[j]);
  return out;
}

/** Aᵀ B / n for centred data matrices with samples in rows. */
export function crossCov(A: Matrix, B: Matrix): Matrix {
  return A.transpose().mmul(B).div(Math.max(A.rows, 1));
}

/** Horizontal concatenation [A | B] (same rows). */
export function hcat(...ms: Matrix[]): Matrix {
  const rows = ms[0].rows;
  const cols = ms.reduce((s, m) => s + m.columns, 0);
  const out = new Matrix(rows, cols);
  let off = 0;
  for (const m of ms) {
    if (m.rows !== rows) throw new RangeError(`hcat: row mismatch ${m.rows} vs ${rows}`);
    out.setSubMatrix(m, 0, off);
    off += m.columns;
  }
  return out;
}

/** Vertical concatenation [A; B] (same columns). */
export function vcat(...ms: Matrix[]): Matrix {
  const cols = ms[0].columns;
  const rows = ms.reduce((s, m) => s + m.rows, 0);
  const out = new Matrix(rows, cols);
  let off = 0;
  for (const m of ms) {
    if (m.columns !== cols) throw new RangeError(`vcat: column mismatch ${m.columns} vs ${cols}`);
    if (m.rows > 0) out.setSubMatrix(m, off, 0);
    off += m.rows;
  }
  return out;
}

/** First k columns of M. */
export function leadingColumns(M: Matrix, k: number): Matrix {
  const out = new Matrix(M.rows, k);
  for (let i = 0; i < M.rows; i++) for (let j = 0; j < k; j++) out.set(i, j, M.get(i, j));
  return out;
}

/** A − B without mutating A. */
export function minus(A: Matrix, B: Matrix): Matrix {
  return A.clone().sub(B);
}

/** A + B without mutating A. */
export function plus(A: Matrix, B: Matrix): Matrix {
  return A.clone().add(B);
}

/** s·A without mutating A. */
export function scaled(A: Matrix, s: number): Matrix {
  return A.clone().mul(s);
}
