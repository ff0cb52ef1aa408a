/**
 * Rasteriser of the distracting gridworld: background texture (periodic, drifts with the
 * exogenous state) + brightness flicker + static walls + alpha-blended distractor squares +
 * the opaque agent sprite on top, then an optional whole-frame camera roll.
 *
 * Everything the frame depends on is an argument (agent position, exogenous state vector), so
 * the sampler can render the same (s_t, a_t) under two exogenous draws (counterfactual pairs).
 * Squares at sub-pixel positions are drawn with exact area coverage so small innovations ξ change
 * pixels smoothly (a linear probe can see them). The agent is drawn last and opaque: with integer
 * positions its pixels do not depend on the exogenous state at all.
 *
 * Cost: ~10 flops per pixel per channel for the background plus the squares' areas; a 1×32×32
 * frame is ~10 µs, a 3×64×64 frame ~100 µs in V8 (see `measureGridworldRender`).
 */
import { Rng } from './rng.js';
import type { GridworldConfig } from './gridworld-config.js';

/** Layout of the exogenous state vector x (and of its innovation ξ). */
export interface ExoLayout {
  /** Total dims. */
  dim: number;
  /** Offset of object i's (x, y) is objects + 2i. */
  objects: number;
  /** Offset of the texture offset (u, v), or -1 when the texture is off. */
  texture: number;
  /** Offset of the flicker level, or -1. */
  flicker: number;
  /** Offset of the camera (cx, cy), or -1. */
  camera: number;
  /** A name per dim, e.g. `obj0.x`, `tex.u`, `flicker`, `cam.x`. */
  names: string[];
}

export function exoLayout(c: GridworldConfig): ExoLayout {
  const names: string[] = [];
  for (let i = 0; i < c.objects; i++) names.push(`obj${i}.x`, `obj${i}.y`);
  const texture = c.texture > 0 ? names.length : -1;
  if (texture >= 0) names.push('tex.u', 'tex.v');
  const flicker = c.flicker > 0 ? names.length : -1;
  if (flicker >= 0) names.push('flicker');
  const camera = c.camera > 0 ? names.length : -1;
  if (camera >= 0) names.push('cam.x', 'cam.y');
  return { dim: names.length, objects: 0, texture, flicker, camera, names };
}

/** Per-world constant parts of the picture (texture, colours, wall mask). */
export class GridworldCanvas {
  readonly C: number;
  readonly H: number;
  readonly W: number;
  /** Periodic texture in [0,1], H×W. */
  readonly tex: Float32Array;
  /** Per-channel tint of the background texture. */
  readonly tint: Float32Array;
  /** Per-object colour, objects×C. */
  readonly objColour: Float32Array;
  /** Agent colour, C. */
  readonly agentColour: Float32Array;
  /** 1 where a wall is, H×W. */
  readonly wall: Uint8Array;
  /** Walls as rectangles [x0, y0, x1, y1) for collision tests. */
  readonly wallRects: [number, number, number, number][];
  private readonly scratch: Float32Array;
  private readonly covX: Float32Array;
  private readonly covY: Float32Array;

  constructor(readonly cfg: GridworldConfig) {
    const { channels: C, height: H, width: W } = cfg;
    this.C = C;
    this.H = H;
    this.W = W;
    const rng = new Rng(cfg.seed ^ 0x5eed);
    // A few integer-frequency plane waves: periodic on the H×W torus, so a drift wraps seamlessly.
    this.tex = new Float32Array(H * W);
    const waves = 6;
    const fx: number[] = [], fy: number[] = [], ph: number[] = [], amp: number[] = [];
    for (let k = 0; k < waves; k++) {
      let a = 0, b = 0;
      while (a === 0 && b === 0) {
        a = rng.int(7) - 3;
        b = rng.int(7) - 3;
      }
      fx.push(a);
      fy.push(b);
      ph.push(rng.uniform() * 2 * Math.PI);
      amp.push(0.5 + rng.uniform());
    }
    let lo = Infinity, hi = -Infinity;
    for (let y = 0; y < H; y++)
      for (let x = 0; x < W; x++) {
        let v = 0;
        for (let k = 0; k < waves; k++) v += amp[k] * Math.sin(2 * Math.PI * (fx[k] * x / W + fy[k] * y / H) + ph[k]);
        this.tex[y * W + x] = v;
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
    for (let i = 0; i < H * W; i++) this.tex[i] = (this.tex[i] - lo) / (hi - lo);

    this.tint = new Float32Array(C);
    for (let c = 0; c < C; c++) this.tint[c] = C === 1 ? 1 : 0.6 + 0.4 * rng.uniform();
    this.agentColour = new Float32Array(C);
    if (C === 1) this.agentColour[0] = 1;
    else this.agentColour.set([1, 0.15, 0.15]);
    this.objColour = new Float32Array(Math.max(1, cfg.objects) * C);
    for (let i = 0; i < cfg.objects; i++)
      for (let c = 0; c < C; c++)
        // Grey distractors are mid-bright (0.55–0.85): visible, but never the agent's pure white.
        this.objColour[i * C + c] = C === 1 ? 0.55 + 0.3 * rng.uniform() : 0.2 + 0.8 * rng.uniform();

    this.wall = new Uint8Array(H * W);
    this.wallRects = [];
    if (cfg.walls) {
      // Two bars with gaps, placed away from the borders so the agent can go around them.
      const t = Math.max(1, Math.round(W / 32));
      const x0 = Math.floor(W / 3), y0 = Math.floor(H / 4);
      const gap = cfg.sprite + 2 * cfg.step;
      this.wallRects.push([x0, y0, x0 + t, H - y0 - gap]);
      const y1 = Math.floor((2 * H) / 3);
      this.wallRects.push([x0 + gap + t, y1, W - Math.floor(W / 6), y1 + t]);
      for (const [a, b, cc, d] of this.wallRects) for (let y = b; y < d; y++) for (let x = a; x < cc; x++) this.wall[y * W + x] = 1;
    }
    this.scratch = new Float32Array(C * H * W);
    this.covX = new Float32Array(W);
    this.covY = new Float32Array(H);
  }

  /** True when a sprite of side `size` at (x, y) overlaps a wall. */
  hitsWall(x: number, y: number, size: number): boolean {
    for (const [a, b, c, d] of this.wallRects) if (x < c && x + size > a && y < d && y + size > b) return true;
    return false;
  }

  /**
   * Renders one frame into `out[offset … offset + C·H·W)`.
   * @param ax, ay agent top-left corner (pixels, world coordinates)
   * @param exo exogenous state (layout `exoLayout(cfg)`), read at `exo[exoOff …]`
   * @param oracle agent-only view: black background + walls + agent, no distractors, no camera
   */
  render(out: Float32Array, offset: number, ax: number, ay: number, exo: Float32Array, exoOff: number, layout: ExoLayout, oracle = false): void {
    const { C, H, W, cfg } = this;
    const S = oracle ? 0 : cfg.strength;
    const cam = !oracle && layout.camera >= 0;
    // Draw into scratch when the camera rolls the frame afterwards, else straight into out.
    const dst = cam ? this.scratch : out;
    const base = cam ? 0 : offset;
    const HW = H * W;

    // Background: base level + drifting texture + flicker (all scaled by the strength knob).
    const level0 = oracle ? 0 : 0.25;
    const fl = layout.flicker >= 0 && !oracle ? 0.5 * S * cfg.flicker * exo[exoOff + layout.flicker] : 0;
    const texAmp = layout.texture >= 0 ? S * cfg.texture : 0;
    if (texAmp > 0) {
      const u = exo[exoOff + layout.texture], v = exo[exoOff + layout.texture + 1];
      // Bilinear sample of the periodic texture at (x + u, y + v).
      const ui = Math.floor(u), vi = Math.floor(v);
      const fu = u - ui, fv = v - vi;
      const w00 = (1 - fu) * (1 - fv), w01 = fu * (1 - fv), w10 = (1 - fu) * fv, w11 = fu * fv;
      const tex = this.tex;
      for (let y = 0; y < H; y++) {
        const r0 = mod(y + vi, H) * W, r1 = mod(y + vi + 1, H) * W;
        for (let x = 0; x < W; x++) {
          const c0 = mod(x + ui, W), c1 = c0 + 1 === W ? 0 : c0 + 1;
          const t = w00 * tex[r0 + c0] + w01 * tex[r0 + c1] + w10 * tex[r1 + c0] + w11 * tex[r1 + c1];
          const g = level0 + fl + texAmp * (t - 0.5);
          for (let c = 0; c < C; c++) dst[base + c * HW + y * W + x] = g * this.tint[c];
        }
      }
    } else {
      for (let c = 0; c < C; c++) dst.fill((level0 + fl) * this.tint[c], base + c * HW, base + (c + 1) * HW);
    }

    if (this.wallRects.length) {
      for (let i = 0; i < HW; i++) if (this.wall[i]) for (let c = 0; c < C; c++) dst[base + c * HW + i] = 0.5;
    }

    const alpha = S * cfg.objectOpacity;
    if (alpha > 0) {
      for (let i = 0; i < cfg.objects; i++) {
        const ox = exo[exoOff + layout.objects + 2 * i], oy = exo[exoOff + layout.objects + 2 * i + 1];
        this.square(dst, base, ox, oy, cfg.objectSize, this.objColour, i * C, alpha);
      }
    }
    this.square(dst, base, ax, ay, cfg.sprite, this.agentColour, 0, 1);

    if (cam) {
      const cx = Math.round(exo[exoOff + layout.camera]), cy = Math.round(exo[exoOff + layout.camera + 1]);
      for (let c = 0; c < C; c++)
        for (let y = 0; y < H; y++) {
          const sy = mod(y + cy, H);
          for (let x = 0; x < W; x++) out[offset + c * HW + y * W + x] = dst[c * HW + sy * W + mod(x + cx, W)];
        }
    }
    // Keep the [0,1] contract whatever the knobs (flicker can push the background out).
    for (let i = offset, e = offset + C * HW; i < e; i++) {
      const v = out[i];
      out[i] = v < 0 ? 0 : v > 1 ? 1 : v;
    }
  }

  /** Alpha-blends a square of side `size` at sub-pixel (x, y) with exact area coverage. */
  private square(dst: Float32Array, base: number, x: number, y: number, size: number, colour: Float32Array, colOff: number, alpha: number): void {
    const { C, H, W } = this;
    const x0 = Math.max(0, Math.floor(x)), x1 = Math.min(W, Math.ceil(x + size));
    const y0 = Math.max(0, Math.floor(y)), y1 = Math.min(H, Math.ceil(y + size));
    for (let px = x0; px < x1; px++) this.covX[px] = Math.max(0, Math.min(px + 1, x + size) - Math.max(px, x));
    for (let py = y0; py < y1; py++) this.covY[py] = Math.max(0, Math.min(py + 1, y + size) - Math.max(py, y));
    const HW = H * W;
    for (let py = y0; py < y1; py++)
      for (let px = x0; px < x1; px++) {
        const a = alpha * this.covX[px] * this.covY[py];
        if (a <= 0) continue;
        for (let c = 0; c < C; c++) {
          const i = base + c * HW + py * W + px;
          dst[i] = (1 - a) * dst[i] + a * colour[colOff + c];
        }
      }
  }
}

function mod(a: number, n: number): number {
  const r = a % n;
  return r < 0 ? r + n : r;
}
