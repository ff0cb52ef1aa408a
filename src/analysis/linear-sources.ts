/**
 * linear-exo as an exact linear-Gaussian model. Every quantity of a transition (o_t, o_{t+1},
 * a_t, s_t, x_t, ξ_t, a counterfactual copy, augmentation noise) is a linear map M (dim × n_w)
 * of one standard-normal source vector w ~ N(0, I), so Cov(M₁w, M₂w) = M₁M₂ᵀ exactly. The
 * closed form (§3) and the population metrics (§4) are then plain matrix algebra, with no
 * sampling error, for any configuration (mixing, anisotropic σ, policy gain, noise).
 *
 * Source blocks: endogenous [s | ε_u | η_u] shared by the two copies of a counterfactual pair;
 * exogenous [x_u | ξ_u | n0 | n1] for copy 1 and again for copy 2; optional κ noise [n_κ].
 */
import { Matrix } from 'ml-matrix';
import type { LinearExo } from '../data/linear-exo.js';

interface Block {
  offset: number;
  size: number;
}

/** The source-space maps of a generator. All maps are `dim × nSources` float64 matrices. */
export class LinearSources {
  readonly nSources: number;
  readonly dObs: number;
  /** o_t, o_{t+1} (copy 1). */
  readonly Ot: Matrix;
  readonly Ot1: Matrix;
  /** o_t, o_{t+1} of the counterfactual copy (same s, a, η; independent x, ξ, sensor noise). */
  readonly OtB: Matrix;
  readonly Ot1B: Matrix;
  /** Ground truth: a_t, ε_t (unpredictable part of a_t), s_t, x_t, ξ_t of copy 1. */
  readonly A: Matrix;
  readonly Eps: Matrix;
  readonly S: Matrix;
  readonly X: Matrix;
  readonly Xi: Matrix;
  /** Shared κ-augmentation noise n ~ N(0, I) (d_o), scaled by the caller; zero columns unless built with {aug: true}. */
  readonly Naug: Matrix;
  readonly hasAug: boolean;
  private endo: Block;
  private exoA: Block;
  private exoB: Block;

  constructor(gen: LinearExo, opts: { aug?: boolean } = {}) {
    const { Gs, Gx, As, Ax, B, K, sigmaA, sigmaXi, Lx, processNoise, sensorNoise } = gen.truth;
    const ds = gen.dState;
    const da = gen.dAction;
    const dx = gen.dExo;
    const d = gen.dObs;
    this.dObs = d;
    const nEta = processNoise > 0 ? ds : 0;
    const nN = sensorNoise > 0 ? d : 0;
    const endoSize = ds + da + nEta;
    const exoSize = 2 * dx + 2 * nN;
    this.endo = { offset: 0, size: endoSize };
    this.exoA = { offset: endoSize, size: exoSize };
    this.exoB = { offset: endoSize + exoSize, size: exoSize };
    const augOff = endoSize + 2 * exoSize;
    // The κ block is only needed by aug objectives; leaving it out keeps every matrix small.
    this.hasAug = opts.aug ?? false;
    const n = augOff + (this.hasAug ? d : 0);
    this.nSources = n;

    const oS = 0;
    const oEps = ds;
    const oEta = ds + da;
    const exoOffsets = (base: number) => ({ xu: base, xi: base + dx, n0: base + 2 * dx, n1: base + 2 * dx + nN });

    const Dsa = Matrix.diag(Array.from(sigmaA));
    const Dxi = Matrix.diag(Array.from(sigmaXi));
    const MS = B.mmul(K).add(As); // A_s + BK (new matrix: mmul allocates)
    const build = (rows: number, parts: [Matrix, number][]) => {
      const M = new Matrix(rows, n);
      for (const [P, off] of parts) M.setSubMatrix(P, 0, off);
      return M;
    };
    const eyeD = Matrix.eye(d, d).mul(sensorNoise);
    const etaPart = (G: Matrix): [Matrix, number][] => (nEta ? [[G.mmul(Matrix.eye(ds, ds).mul(processNoise)), oEta]] : []);
    const obs = (base: number) => {
      const e = exoOffsets(base);
      const ot = build(d, [[Gs, oS], [Gx.mmul(Lx), e.xu], ...(nN ? ([[eyeD, e.n0]] as [Matrix, number][]) : [])]);
      const ot1 = build(d, [
        [Gs.mmul(MS), oS],
        [Gs.mmul(B).mmul(Dsa), oEps],
        ...etaPart(Gs),
        [Gx.mmul(Ax).mmul(Lx), e.xu],
        [Gx.mmul(Dxi), e.xi],
        ...(nN ? ([[eyeD, e.n1]] as [Matrix, number][]) : []),
      ]);
      return [ot, ot1];
    };
    [this.Ot, this.Ot1] = obs(this.exoA.offset);
    [this.OtB, this.Ot1B] = obs(this.exoB.offset);
    this.A = build(da, [[K, oS], [Dsa, oEps]]);
    this.Eps = build(da, [[Dsa, oEps]]);
    this.S = build(ds, [[Matrix.eye(ds, ds), oS]]);
    const eA = exoOffsets(this.exoA.offset);
    this.X = build(dx, [[Lx, eA.xu]]);
    this.Xi = build(dx, [[Dxi, eA.xi]]);
    this.Naug = this.hasAug ? build(d, [[Matrix.eye(d, d), augOff]]) : new Matrix(d, n);
  }

  /** Cov(M₁w, M₂w) = M₁M₂ᵀ. */
  cov(M1: Matrix, M2: Matrix = M1): Matrix {
    return M1.mmul(M2.transpose());
  }

  /**
   * The counterfactual twin of a map: copy-1 exogenous columns moved to copy 2. For a latent map
   * Z, Cov(Zw, swapExo(Z)w) keeps only what (s_t, a_t) explain — the basis of S_exo.
   */
  swapExo(M: Matrix): Matrix {
    const out = M.clone();
    const { offset: a, size } = this.exoA;
    const b = this.exoB.offset;
    for (let i = 0; i < M.rows; i++)
      for (let j = 0; j < size; j++) {
        out.set(i, b + j, M.get(i, a + j));
        out.set(i, a + j, M.get(i, b + j));
      }
    return out;
  }

  /** The columns of M on the shared endogenous sources only (others zeroed). */
  endogenousPart(M: Matrix): Matrix {
    const out = new Matrix(M.rows, M.columns);
    for (let i = 0; i < M.rows; i++) for (let j = 0; j < this.endo.size; j++) out.set(i, j, M.get(i, j));
    return out;
  }
}
