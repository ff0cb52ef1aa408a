/**
 * Plain TypeScript kernels of the eager conv LAM (src/lam/conv-eager.ts): GEMM in the three
 * transpositions backprop needs, and im2col/col2im for convolutions.
 *
 * Layout: activations are CNHW ([C, N, H, W], channels outermost) so a convolution is ONE GEMM
 * over the whole batch, W[OC, C·KH·KW] · cols[C·KH·KW, N·OH·OW] → y[OC, N·OH·OW], with no
 * transposes, and a channel concat (U-Net skips) is a buffer concat.
 *
 * gemm math (row-major, `acc` false = `=`, true = `+=`), 2·M·N·K flops each:
 *   gemmNN: C[M,N] = A[M,K] · B[K,N]      (rank-4 updates of rows of C)
 *   gemmNT: C[M,N] = A[M,K] · B[N,K]ᵀ     (dot products along K, both contiguous)
 *   gemmTN: C[M,N] = A[K,M]ᵀ · B[K,N]     (the same kernel reading A transposed)
 * Tested through the finite-difference checks of test/gridworld/conv-eager.test.ts.
 */

/**
 * An optional faster GEMM (e.g. the native kernel, conv-native-gemm.ts): C (=|+=) op(A)·op(B)
 * with A [M,K] or [K,M] (ta), B [K,N] or [N,K] (tb). Returns false to decline (small sizes).
 */
export type GemmProvider = (ta: boolean, tb: boolean, M: number, N: number, K: number, A: Float32Array, B: Float32Array, C: Float32Array, acc: boolean) => boolean;

let provider: GemmProvider | null = null;

/** Installs (or with null removes) the GEMM provider used before the TypeScript loops. */
export function setGemmProvider(p: GemmProvider | null): void {
  provider = p;
}

export function gemmNN(M: number, N: number, K: number, A: Float32Array, B: Float32Array, C: Float32Array, acc: boolean): void {
  if (provider?.(false, false, M, N, K, A, B, C, acc)) return;
  gemmRank4(M, N, K, A, K, 1, B, C, acc);
}

export function gemmTN(M: number, N: number, K: number, A: Float32Array, B: Float32Array, C: Float32Array, acc: boolean): void {
  if (provider?.(true, false, M, N, K, A, B, C, acc)) return;
  gemmRank4(M, N, K, A, 1, M, B, C, acc);
}

/**
 * C[M,N] (=|+=) Σ_k A(i,k)·B[k,:] with A(i,k) = A[i·ars + k·acs] (covers A and Aᵀ). Four k at a
 * time: each C element is loaded/stored once per 4 multiply-adds instead of once per one, which
 * is what bounds a scalar JS GEMM (V8 does not vectorise).
 */
function gemmRank4(M: number, N: number, K: number, A: Float32Array, ars: number, acs: number, B: Float32Array, C: Float32Array, acc: boolean): void {
  if (!acc) C.fill(0, 0, M * N);
  const K4 = K - (K % 4);
  for (let i = 0; i < M; i++) {
    const ci = i * N, ai = i * ars;
    for (let k = 0; k < K4; k += 4) {
      const a0 = A[ai + k * acs], a1 = A[ai + (k + 1) * acs], a2 = A[ai + (k + 2) * acs], a3 = A[ai + (k + 3) * acs];
      if (a0 === 0 && a1 === 0 && a2 === 0 && a3 === 0) continue;
      const b0 = k * N, b1 = b0 + N, b2 = b1 + N, b3 = b2 + N;
      for (let j = 0; j < N; j++) C[ci + j] += a0 * B[b0 + j] + a1 * B[b1 + j] + a2 * B[b2 + j] + a3 * B[b3 + j];
    }
    for (let k = K4; k < K; k++) {
      const a = A[ai + k * acs];
      if (a === 0) continue;
      const bk = k * N;
      for (let j = 0; j < N; j++) C[ci + j] += a * B[bk + j];
    }
  }
}

export function gemmNT(M: number, N: number, K: number, A: Float32Array, B: Float32Array, C: Float32Array, acc: boolean): void {
  if (provider?.(false, true, M, N, K, A, B, C, acc)) return;
  // 2×2 blocks of C: each loaded A/B element feeds two multiply-adds.
  const M2 = M - (M % 2), N2 = N - (N % 2);
  for (let i = 0; i < M2; i += 2) {
    const a0 = i * K, a1 = a0 + K;
    for (let j = 0; j < N2; j += 2) {
      const b0 = j * K, b1 = b0 + K;
      let s00 = 0, s01 = 0, s10 = 0, s11 = 0;
      for (let k = 0; k < K; k++) {
        const x0 = A[a0 + k], x1 = A[a1 + k], y0 = B[b0 + k], y1 = B[b1 + k];
        s00 += x0 * y0;
        s01 += x0 * y1;
        s10 += x1 * y0;
        s11 += x1 * y1;
      }
      put(C, i * N + j, s00, acc);
      put(C, i * N + j + 1, s01, acc);
      put(C, (i + 1) * N + j, s10, acc);
      put(C, (i + 1) * N + j + 1, s11, acc);
    }
    for (let j = N2; j < N; j++) {
      put(C, i * N + j, dot(A, a0, B, j * K, K), acc);
      put(C, (i + 1) * N + j, dot(A, a1, B, j * K, K), acc);
    }
  }
  for (let i = M2; i < M; i++) for (let j = 0; j < N; j++) put(C, i * N + j, dot(A, i * K, B, j * K, K), acc);
}

function dot(A: Float32Array, a: number, B: Float32Array, b: number, K: number): number {
  let s = 0;
  for (let k = 0; k < K; k++) s += A[a + k] * B[b + k];
  return s;
}

function put(C: Float32Array, i: number, v: number, acc: boolean): void {
  C[i] = acc ? C[i] + v : v;
}

/** Geometry of a 2-D convolution in CNHW layout (square kernel, same stride/pad both axes). */
export interface ConvGeom {
  C: number;
  N: number;
  H: number;
  W: number;
  K: number;
  s: number;
  p: number;
  OH: number;
  OW: number;
}

export function convGeom(C: number, N: number, H: number, W: number, K: number, s: number, p: number): ConvGeom {
  const OH = Math.floor((H + 2 * p - K) / s) + 1, OW = Math.floor((W + 2 * p - K) / s) + 1;
  if (OH < 1 || OW < 1) throw new RangeError(`conv: input ${H}×${W} too small for kernel ${K}, stride ${s}, pad ${p}`);
  return { C, N, H, W, K, s, p, OH, OW };
}

/** cols[C·K·K, N·OH·OW] = patches of x[C, N, H, W] (zero padding). */
export function im2col(x: Float32Array, g: ConvGeom, cols: Float32Array): void {
  const { C, N, H, W, K, s, p, OH, OW } = g;
  const P = N * OH * OW;
  for (let c = 0; c < C; c++)
    for (let ky = 0; ky < K; ky++)
      for (let kx = 0; kx < K; kx++) {
        const row = ((c * K + ky) * K + kx) * P;
        for (let n = 0; n < N; n++) {
          const xb = (c * N + n) * H * W;
          for (let oy = 0; oy < OH; oy++) {
            const iy = oy * s - p + ky;
            const o = row + (n * OH + oy) * OW;
            if (iy < 0 || iy >= H) {
              cols.fill(0, o, o + OW);
              continue;
            }
            const xr = xb + iy * W;
            for (let ox = 0; ox < OW; ox++) {
              const ix = ox * s - p + kx;
              cols[o + ox] = ix >= 0 && ix < W ? x[xr + ix] : 0;
            }
          }
        }
      }
}

/** dx[C, N, H, W] += scatter of cols[C·K·K, N·OH·OW] (the adjoint of im2col). */
export function col2im(cols: Float32Array, g: ConvGeom, dx: Float32Array): void {
  const { C, N, H, W, K, s, p, OH, OW } = g;
  const P = N * OH * OW;
  for (let c = 0; c < C; c++)
    for (let ky = 0; ky < K; ky++)
      for (let kx = 0; kx < K; kx++) {
        const row = ((c * K + ky) * K + kx) * P;
        for (let n = 0; n < N; n++) {
          const xb = (c * N + n) * H * W;
          for (let oy = 0; oy < OH; oy++) {
            const iy = oy * s - p + ky;
            if (iy < 0 || iy >= H) continue;
            const o = row + (n * OH + oy) * OW;
            const xr = xb + iy * W;
            for (let ox = 0; ox < OW; ox++) {
              const ix = ox * s - p + kx;
              if (ix >= 0 && ix < W) dx[xr + ix] += cols[o + ox];
            }
          }
        }
      }
}
