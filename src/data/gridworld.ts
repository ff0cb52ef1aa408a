/**
 * The distracting gridworld (SCIENCE.md §6): procedurally rendered video with full ground truth
 * and no downloads. An agent sprite (the endogenous state s) is moved by actions; distractor
 * squares, a drifting background texture, a brightness flicker and an optional camera roll (the
 * exogenous state x) follow their own dynamics x_{t+1} = f(x_t) + ξ_t.
 *
 * Batches are independent transitions drawn from the stationary distribution (what LAM training
 * consumes); `rollout` gives a trajectory for videos. Separate random streams drive the agent and
 * the exogenous process, so `counterfactualBatch` renders one (s_t, a_t) under two independent
 * exogenous draws.
 */
import { Rng } from './rng.js';
import { GRID_ACTION_DELTAS, resolveGridworldConfig, type GridworldConfig } from './gridworld-config.js';
import { GridworldCanvas, exoLayout, type ExoLayout } from './gridworld-render.js';

export * from './gridworld-config.js';
export { exoLayout, type ExoLayout } from './gridworld-render.js';

/** One batch of n transitions with ground truth. Frames are [n, C, H, W] float32 in [0, 1]. */
export interface GridworldBatch {
  n: number;
  /** [C, H, W]. */
  frameShape: [number, number, number];
  /** o_t and o_{t+1}, n·C·H·W each. */
  obs: Float32Array;
  next: Float32Array;
  /** Agent-only views of o_t and o_{t+1} (the oracle endogenous representation). */
  oracleObs: Float32Array;
  oracleNext: Float32Array;
  /** Discrete action label in 0…4 (stay, up, down, left, right); -1 in continuous mode. */
  action: Int32Array;
  /** Commanded displacement (dx, dy) in pixels, [n, 2] (before walls/borders clamp it). */
  actionVec: Float32Array;
  /** Agent top-left (x, y) at t and t+1, [n, 2]: the endogenous state s. */
  agent: Float32Array;
  agentNext: Float32Array;
  /** Exogenous state x_t, x_{t+1} and innovation ξ_t, [n, exoDim]; x_{t+1} = f(x_t) + ξ_t. */
  exo: Float32Array;
  exoNext: Float32Array;
  innovation: Float32Array;
  exoDim: number;
}

/** A trajectory of T transitions: frames [T+1, C, H, W] and the per-step truth. */
export interface GridworldRollout {
  T: number;
  frames: Float32Array;
  oracleFrames: Float32Array;
  action: Int32Array;
  actionVec: Float32Array;
  /** [T+1, 2] */
  agent: Float32Array;
  /** [T+1, exoDim] */
  exo: Float32Array;
  /** [T, exoDim] */
  innovation: Float32Array;
}

/** A pair of batches sharing (s_t, a_t) with independent exogenous (x_t, ξ_t). */
export interface CounterfactualPair {
  a: GridworldBatch;
  b: GridworldBatch;
}

export class Gridworld {
  readonly cfg: GridworldConfig;
  readonly layout: ExoLayout;
  readonly canvas: GridworldCanvas;
  readonly frameShape: [number, number, number];
  readonly frameSize: number;
  private readonly agentRng: Rng;
  private readonly exoRng: Rng;

  /**
   * @param cfg knobs (validated; see `resolveGridworldConfig`)
   * @param sampleSeed seed of the per-sample streams (agent and exogenous), independent of the
   *   world seed so train and test sets can share a world but not samples.
   */
  constructor(cfg: Partial<GridworldConfig> = {}, sampleSeed = 1) {
    const preset = cfg.height !== undefined && cfg.height >= 64 ? 'conv64' : 'grid32';
    this.cfg = resolveGridworldConfig(cfg, preset);
    this.layout = exoLayout(this.cfg);
    this.canvas = new GridworldCanvas(this.cfg);
    this.frameShape = [this.cfg.channels, this.cfg.height, this.cfg.width];
    this.frameSize = this.cfg.channels * this.cfg.height * this.cfg.width;
    const root = new Rng(sampleSeed);
    this.agentRng = root.fork();
    this.exoRng = root.fork();
  }

  get exoDim(): number {
    return this.layout.dim;
  }

  /** n independent transitions from the stationary distribution. */
  sampleBatch(n: number): GridworldBatch {
    checkN(n);
    const b = this.alloc(n);
    this.drawAgent(b);
    this.drawExo(b, this.exoRng);
    this.renderAll(b);
    return b;
  }

  /**
   * Counterfactual pairs: both batches share s_t, a_t (hence s_{t+1} and the oracle views) and
   * have independent exogenous draws (x_t, ξ_t). Used for S_exo and cross-exogenous training.
   */
  counterfactualBatch(n: number): CounterfactualPair {
    checkN(n);
    const a = this.alloc(n);
    this.drawAgent(a);
    const b = this.alloc(n);
    b.action.set(a.action);
    b.actionVec.set(a.actionVec);
    b.agent.set(a.agent);
    b.agentNext.set(a.agentNext);
    this.drawExo(a, this.exoRng);
    this.drawExo(b, this.exoRng);
    this.renderAll(a);
    this.renderAll(b);
    return { a, b };
  }

  /** A trajectory of T steps under a uniformly random policy, from a stationary start. */
  rollout(T: number): GridworldRollout {
    checkN(T);
    const { frameSize: F, layout } = this;
    const D = layout.dim;
    const r: GridworldRollout = {
      T,
      frames: new Float32Array((T + 1) * F),
      oracleFrames: new Float32Array((T + 1) * F),
      action: new Int32Array(T),
      actionVec: new Float32Array(T * 2),
      agent: new Float32Array((T + 1) * 2),
      exo: new Float32Array((T + 1) * D),
      innovation: new Float32Array(T * D),
    };
    const [x0, y0] = this.startAgent();
    r.agent[0] = x0;
    r.agent[1] = y0;
    this.stationaryExo(r.exo, 0, this.exoRng);
    for (let t = 0; t < T; t++) {
      const [lab, dx, dy] = this.drawAction();
      r.action[t] = lab;
      r.actionVec[2 * t] = dx;
      r.actionVec[2 * t + 1] = dy;
      const [nx, ny] = this.moveAgent(r.agent[2 * t], r.agent[2 * t + 1], dx, dy);
      r.agent[2 * t + 2] = nx;
      r.agent[2 * t + 3] = ny;
      this.stepExo(r.exo, t * D, r.exo, (t + 1) * D, r.innovation, t * D, this.exoRng);
    }
    for (let t = 0; t <= T; t++) {
      this.canvas.render(r.frames, t * F, r.agent[2 * t], r.agent[2 * t + 1], r.exo, t * D, layout);
      this.canvas.render(r.oracleFrames, t * F, r.agent[2 * t], r.agent[2 * t + 1], r.exo, t * D, layout, true);
    }
    return r;
  }

  /** The agent's next position after commanding (dx, dy) pixels: borders clamp, walls block. */
  moveAgent(x: number, y: number, dx: number, dy: number): [number, number] {
    const { width: W, height: H, sprite } = this.cfg;
    const nx = clamp(x + dx, 0, W - sprite), ny = clamp(y + dy, 0, H - sprite);
    if (this.canvas.hitsWall(nx, ny, sprite)) return [x, y];
    return [nx, ny];
  }

  // ---- internals -------------------------------------------------------------------------

  private alloc(n: number): GridworldBatch {
    const F = this.frameSize, D = this.layout.dim;
    return {
      n,
      frameShape: [...this.frameShape],
      obs: new Float32Array(n * F),
      next: new Float32Array(n * F),
      oracleObs: new Float32Array(n * F),
      oracleNext: new Float32Array(n * F),
      action: new Int32Array(n),
      actionVec: new Float32Array(n * 2),
      agent: new Float32Array(n * 2),
      agentNext: new Float32Array(n * 2),
      exo: new Float32Array(n * D),
      exoNext: new Float32Array(n * D),
      innovation: new Float32Array(n * D),
      exoDim: D,
    };
  }

  private startAgent(): [number, number] {
    const { width: W, height: H, sprite, actionMode } = this.cfg;
    const rng = this.agentRng;
    for (;;) {
      const x = actionMode === 'discrete' ? rng.int(W - sprite + 1) : rng.uniform() * (W - sprite);
      const y = actionMode === 'discrete' ? rng.int(H - sprite + 1) : rng.uniform() * (H - sprite);
      if (!this.canvas.hitsWall(x, y, sprite)) return [x, y];
    }
  }

  private drawAction(): [number, number, number] {
    const { step, actionMode } = this.cfg;
    const rng = this.agentRng;
    if (actionMode === 'discrete') {
      const a = rng.int(GRID_ACTION_DELTAS.length);
      return [a, GRID_ACTION_DELTAS[a][0] * step, GRID_ACTION_DELTAS[a][1] * step];
    }
    return [-1, (2 * rng.uniform() - 1) * step, (2 * rng.uniform() - 1) * step];
  }

  private drawAgent(b: GridworldBatch): void {
    for (let i = 0; i < b.n; i++) {
      const [x, y] = this.startAgent();
      const [lab, dx, dy] = this.drawAction();
      const [nx, ny] = this.moveAgent(x, y, dx, dy);
      b.agent[2 * i] = x;
      b.agent[2 * i + 1] = y;
      b.action[i] = lab;
      b.actionVec[2 * i] = dx;
      b.actionVec[2 * i + 1] = dy;
      b.agentNext[2 * i] = nx;
      b.agentNext[2 * i + 1] = ny;
    }
  }

  private drawExo(b: GridworldBatch, rng: Rng): void {
    const D = this.layout.dim;
    for (let i = 0; i < b.n; i++) {
      this.stationaryExo(b.exo, i * D, rng);
      this.stepExo(b.exo, i * D, b.exoNext, i * D, b.innovation, i * D, rng);
    }
  }

  /** x_t from the stationary law: uniform positions/offsets, flicker ~ N(0, 1). */
  private stationaryExo(x: Float32Array, off: number, rng: Rng): void {
    const { cfg, layout: L } = this;
    for (let i = 0; i < cfg.objects; i++) {
      x[off + L.objects + 2 * i] = rng.uniform() * (cfg.width - cfg.objectSize);
      x[off + L.objects + 2 * i + 1] = rng.uniform() * (cfg.height - cfg.objectSize);
    }
    if (L.texture >= 0) {
      x[off + L.texture] = rng.uniform() * cfg.width;
      x[off + L.texture + 1] = rng.uniform() * cfg.height;
    }
    if (L.flicker >= 0) x[off + L.flicker] = rng.normal();
    if (L.camera >= 0) {
      x[off + L.camera] = rng.uniform() * cfg.width;
      x[off + L.camera + 1] = rng.uniform() * cfg.height;
    }
  }

  /**
   * x_{t+1} = f(x_t) + ξ_t. Objects: reflecting random walk (ξ is the pre-reflection step);
   * texture and camera: random walk on the torus; flicker: AR(1) with stationary variance 1.
   */
  private stepExo(x: Float32Array, xo: number, xn: Float32Array, no: number, xi: Float32Array, io: number, rng: Rng): void {
    const { cfg, layout: L } = this;
    for (let i = 0; i < cfg.objects; i++)
      for (let d = 0; d < 2; d++) {
        const j = L.objects + 2 * i + d;
        const e = cfg.objectSpeed * rng.normal();
        xi[io + j] = e;
        xn[no + j] = reflect(x[xo + j] + e, (d === 0 ? cfg.width : cfg.height) - cfg.objectSize);
      }
    if (L.texture >= 0)
      for (let d = 0; d < 2; d++) {
        const j = L.texture + d;
        const e = cfg.textureDrift * rng.normal();
        xi[io + j] = e;
        xn[no + j] = wrap(x[xo + j] + e, d === 0 ? cfg.width : cfg.height);
      }
    if (L.flicker >= 0) {
      const j = L.flicker;
      const e = Math.sqrt(1 - cfg.flickerRho * cfg.flickerRho) * rng.normal();
      xi[io + j] = e;
      xn[no + j] = cfg.flickerRho * x[xo + j] + e;
    }
    if (L.camera >= 0)
      for (let d = 0; d < 2; d++) {
        const j = L.camera + d;
        const e = cfg.camera * rng.normal();
        xi[io + j] = e;
        xn[no + j] = wrap(x[xo + j] + e, d === 0 ? cfg.width : cfg.height);
      }
  }

  private renderAll(b: GridworldBatch): void {
    const F = this.frameSize, D = this.layout.dim, cv = this.canvas, L = this.layout;
    for (let i = 0; i < b.n; i++) {
      const ax = b.agent[2 * i], ay = b.agent[2 * i + 1], nx = b.agentNext[2 * i], ny = b.agentNext[2 * i + 1];
      cv.render(b.obs, i * F, ax, ay, b.exo, i * D, L);
      cv.render(b.next, i * F, nx, ny, b.exoNext, i * D, L);
      cv.render(b.oracleObs, i * F, ax, ay, b.exo, i * D, L, true);
      cv.render(b.oracleNext, i * F, nx, ny, b.exoNext, i * D, L, true);
    }
  }
}

/**
 * Rendering throughput: transitions per second (each = 4 frames: o_t, o_{t+1} and their oracle
 * views) over `n` samples, best of `reps`.
 */
export function measureGridworldRender(cfg: Partial<GridworldConfig>, n = 256, reps = 3): { transitionsPerSec: number; framesPerSec: number; msPerBatch: (b: number) => number } {
  const g = new Gridworld(cfg, 7);
  g.sampleBatch(8); // warm the JIT
  let best = Infinity;
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    g.sampleBatch(n);
    best = Math.min(best, performance.now() - t0);
  }
  const tps = (n / best) * 1000;
  return { transitionsPerSec: tps, framesPerSec: tps * 4, msPerBatch: (b: number) => (b / tps) * 1000 };
}

function checkN(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`gridworld: batch size n must be an integer ≥ 1, got ${n}`);
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

function wrap(v: number, n: number): number {
  const r = v % n;
  return r < 0 ? r + n : r;
}

/** Reflects v into [0, hi] (mirror at both ends, repeated for large steps). */
function reflect(v: number, hi: number): number {
  if (hi <= 0) return 0;
  const p = 2 * hi;
  let r = v % p;
  if (r < 0) r += p;
  return r > hi ? p - r : r;
}
