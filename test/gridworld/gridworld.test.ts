import { describe, expect, it } from 'vitest';
import { Gridworld, GRID_ACTION_DELTAS, resolveGridworldConfig, measureGridworldRender } from '../../src/data/gridworld.js';
import { testSeed } from '../../src/data/rng.js';

const seed = testSeed();
const small = { seed, strength: 1 } as const;

function frameAt(buf: Float32Array, i: number, F: number): Float32Array {
  return buf.subarray(i * F, (i + 1) * F);
}

/** Pixels covered by the agent sprite at integer (x, y), all channels. */
function agentPixels(g: Gridworld, frame: Float32Array, x: number, y: number): number[] {
  const [C, H, W] = g.frameShape;
  const out: number[] = [];
  for (let c = 0; c < C; c++)
    for (let yy = y; yy < y + g.cfg.sprite; yy++) for (let xx = x; xx < x + g.cfg.sprite; xx++) out.push(frame[c * H * W + yy * W + xx]);
  return out;
}

describe(`gridworld generator (seed ${seed})`, () => {
  it('renders C×H×W frames in [0,1] for both presets', () => {
    for (const cfg of [{ ...small }, { ...small, channels: 3 as const, height: 64, width: 64 }]) {
      const g = new Gridworld(cfg, seed);
      const b = g.sampleBatch(4);
      expect(b.obs.length).toBe(4 * g.frameSize);
      expect(g.frameSize).toBe(cfg.channels === 3 ? 3 * 64 * 64 : 32 * 32);
      for (const arr of [b.obs, b.next, b.oracleObs, b.oracleNext]) {
        let lo = Infinity, hi = -Infinity;
        for (const v of arr) {
          lo = Math.min(lo, v);
          hi = Math.max(hi, v);
        }
        expect(lo).toBeGreaterThanOrEqual(0);
        expect(hi).toBeLessThanOrEqual(1);
      }
    }
  });

  it('moves the agent exactly by the action unless a border clamps it', () => {
    const g = new Gridworld({ ...small }, seed);
    const b = g.sampleBatch(400);
    const { width: W, height: H, sprite, step } = g.cfg;
    let moved = 0;
    for (let i = 0; i < b.n; i++) {
      const [dx, dy] = GRID_ACTION_DELTAS[b.action[i]];
      expect(b.actionVec[2 * i]).toBe(dx * step);
      expect(b.actionVec[2 * i + 1]).toBe(dy * step);
      const tx = b.agent[2 * i] + dx * step, ty = b.agent[2 * i + 1] + dy * step;
      const inside = tx >= 0 && ty >= 0 && tx <= W - sprite && ty <= H - sprite;
      if (inside) {
        expect(b.agentNext[2 * i]).toBe(tx);
        expect(b.agentNext[2 * i + 1]).toBe(ty);
        if (dx || dy) moved++;
      } else {
        expect(b.agentNext[2 * i]).toBe(Math.min(Math.max(tx, 0), W - sprite));
        expect(b.agentNext[2 * i + 1]).toBe(Math.min(Math.max(ty, 0), H - sprite));
      }
      // The sprite is where the state says, in both frames (agent colour 1 on grey).
      for (const v of agentPixels(g, frameAt(b.next, i, g.frameSize), b.agentNext[2 * i], b.agentNext[2 * i + 1])) expect(v).toBe(1);
      for (const v of agentPixels(g, frameAt(b.obs, i, g.frameSize), b.agent[2 * i], b.agent[2 * i + 1])) expect(v).toBe(1);
    }
    expect(moved).toBeGreaterThan(200);
  });

  it('walls block the agent and never overlap it', () => {
    const g = new Gridworld({ ...small, walls: true }, seed);
    const r = g.rollout(500);
    for (let t = 0; t <= r.T; t++) expect(g.canvas.hitsWall(r.agent[2 * t], r.agent[2 * t + 1], g.cfg.sprite)).toBe(false);
  });

  it('counterfactual pairs share the agent state, action and agent pixels but not the distractors', () => {
    const g = new Gridworld({ ...small }, seed);
    const { a, b } = g.counterfactualBatch(64);
    expect(Array.from(a.action)).toEqual(Array.from(b.action));
    expect(Array.from(a.agent)).toEqual(Array.from(b.agent));
    expect(Array.from(a.agentNext)).toEqual(Array.from(b.agentNext));
    expect(Array.from(a.oracleNext)).toEqual(Array.from(b.oracleNext));
    let diffExo = 0;
    for (let i = 0; i < a.exo.length; i++) if (a.exo[i] !== b.exo[i]) diffExo++;
    expect(diffExo).toBe(a.exo.length);
    const F = g.frameSize;
    let framesDiffer = 0;
    for (let i = 0; i < a.n; i++) {
      const pa = agentPixels(g, frameAt(a.next, i, F), a.agentNext[2 * i], a.agentNext[2 * i + 1]);
      const pb = agentPixels(g, frameAt(b.next, i, F), b.agentNext[2 * i], b.agentNext[2 * i + 1]);
      expect(pa).toEqual(pb);
      const fa = frameAt(a.next, i, F), fb = frameAt(b.next, i, F);
      if (fa.some((v, j) => v !== fb[j])) framesDiffer++;
    }
    expect(framesDiffer).toBe(a.n);
  });

  it('is deterministic by seed and differs across seeds', () => {
    const b1 = new Gridworld({ ...small }, 11).sampleBatch(8);
    const b2 = new Gridworld({ ...small }, 11).sampleBatch(8);
    const b3 = new Gridworld({ ...small }, 12).sampleBatch(8);
    expect(Array.from(b1.next)).toEqual(Array.from(b2.next));
    expect(Array.from(b1.innovation)).toEqual(Array.from(b2.innovation));
    expect(Array.from(b1.next)).not.toEqual(Array.from(b3.next));
  });

  it('ground truth is consistent: x_{t+1} = f(x_t) + ξ_t, rollouts chain, frames follow the state', () => {
    const g = new Gridworld({ ...small, camera: 0 }, seed);
    const b = g.sampleBatch(200);
    const L = g.layout, D = L.dim, cfg = g.cfg;
    for (let i = 0; i < b.n; i++) {
      const f = L.flicker;
      expect(b.exoNext[i * D + f]).toBeCloseTo(cfg.flickerRho * b.exo[i * D + f] + b.innovation[i * D + f], 5);
      for (let d = 0; d < 2; d++) {
        const j = L.texture + d, n = d === 0 ? cfg.width : cfg.height;
        const want = (((b.exo[i * D + j] + b.innovation[i * D + j]) % n) + n) % n;
        expect(b.exoNext[i * D + j]).toBeCloseTo(want, 3);
        for (let o = 0; o < cfg.objects; o++) {
          const k = 2 * o + d, v = b.exo[i * D + k] + b.innovation[i * D + k], hi = n - cfg.objectSize;
          if (v >= 0 && v <= hi) expect(b.exoNext[i * D + k]).toBeCloseTo(v, 4);
          expect(b.exoNext[i * D + k] >= 0 && b.exoNext[i * D + k] <= hi).toBe(true);
        }
      }
    }
    // Re-rendering the stated truth reproduces the batch's frames.
    const F = g.frameSize, out = new Float32Array(F);
    g.canvas.render(out, 0, b.agentNext[0], b.agentNext[1], b.exoNext, 0, L);
    expect(Array.from(out)).toEqual(Array.from(frameAt(b.next, 0, F)));
    // Rollout: each step's truth chains into the next one.
    const r = g.rollout(50);
    for (let t = 0; t < r.T; t++) {
      const [nx, ny] = g.moveAgent(r.agent[2 * t], r.agent[2 * t + 1], r.actionVec[2 * t], r.actionVec[2 * t + 1]);
      expect([r.agent[2 * t + 2], r.agent[2 * t + 3]]).toEqual([nx, ny]);
    }
  });

  it('strength 0 hides every distractor: the frame is the agent on a flat background', () => {
    const g = new Gridworld({ ...small, strength: 0 }, seed);
    const { a, b } = g.counterfactualBatch(16);
    expect(Array.from(a.next)).toEqual(Array.from(b.next));
  });

  it('oracle view contains only the agent', () => {
    const g = new Gridworld({ ...small }, seed);
    const b = g.sampleBatch(8);
    const F = g.frameSize;
    for (let i = 0; i < b.n; i++) {
      const sum = frameAt(b.oracleNext, i, F).reduce((s, v) => s + v, 0);
      expect(sum).toBe(g.cfg.sprite * g.cfg.sprite);
    }
  });

  it('continuous mode moves by the commanded velocity', () => {
    const g = new Gridworld({ ...small, actionMode: 'continuous' }, seed);
    const b = g.sampleBatch(100);
    for (let i = 0; i < b.n; i++) {
      expect(b.action[i]).toBe(-1);
      const tx = b.agent[2 * i] + b.actionVec[2 * i];
      if (tx >= 0 && tx <= g.cfg.width - g.cfg.sprite) expect(b.agentNext[2 * i]).toBeCloseTo(tx, 5);
      expect(Math.abs(b.actionVec[2 * i])).toBeLessThanOrEqual(g.cfg.step);
    }
  });

  it('rejects bad configurations naming the flag and the allowed values', () => {
    expect(() => resolveGridworldConfig({ height: 30, width: 30 })).toThrow(/--frame.*multiple of 16.*got 30/);
    expect(() => resolveGridworldConfig({ sprite: 40 })).toThrow(/sprite \(--sprite\).*got 40/);
    expect(() => resolveGridworldConfig({ sprite: 32 })).toThrow(/smaller than the frame/);
    expect(() => resolveGridworldConfig({ strength: 1.5 })).toThrow(/--distractors.*\[0, 1\].*got 1\.5/);
    expect(() => resolveGridworldConfig({ strength: -0.1 })).toThrow(RangeError);
    expect(() => resolveGridworldConfig({ channels: 2 as 1 })).toThrow(/--channels.*1 or 3/);
    expect(() => new Gridworld({}).sampleBatch(0)).toThrow(/n must be an integer ≥ 1/);
  });

  it('renders fast: a grid32 batch of 16 transitions in well under 10 ms', () => {
    const m = measureGridworldRender({ seed }, 256);
    console.log(`gridworld 1×32×32: ${m.transitionsPerSec.toFixed(0)} transitions/s (${m.framesPerSec.toFixed(0)} frames/s)`);
    expect(m.msPerBatch(16)).toBeLessThan(10);
  });
});
