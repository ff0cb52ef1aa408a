/**
 * The latent-space FDM objectives (conv-objectives.ts): the `--objective` forms; what the
 * L2-normalised (BYOL cosine) loss changes — with the MSE to the raw EMA target the online
 * embedding shrinks to a near-constant and the IDM output stays flat (z variance ~3e-4 at 300
 * steps), the scale-free cosine loss on the same 8×8 encoder map keeps both alive (~0.8); and
 * the remedy's direction at the latent size where it works (k = 2, the action's size): z cannot
 * carry the distractors' innovation, the EMA target drops it, and z̃ codes less ξ, is less
 * sensitive to exogenous draws and reads the action better than with reconstruction.
 * At k = 8 the remedy does not hold (the sweep report), so it is not tested there.
 */
import { describe, expect, it } from 'vitest';
import { ConvLamModel } from '../../src/lam/conv-lam.js';
import { convObjectiveLabel, parseConvObjective } from '../../src/lam/conv-objectives.js';
import { probeConvLam, type ConvProbeResult } from '../../src/lam/conv-probes.js';
import { trainConvLam } from '../../src/lam/conv-trainer.js';

describe('latent objective forms', () => {
  it('parses latent-ema (cosine), latent-ema-mse and latent-ema-ctr with τ, μ and the embedding level', () => {
    expect(parseConvObjective('latent-ema')).toEqual({ kind: 'latent', ema: true, tau: 0.99, variance: 0, loss: 'cosine', level: 2 });
    expect(parseConvObjective('latent-ema-cos')).toEqual(parseConvObjective('latent-ema'));
    expect(parseConvObjective('latent-ema:0.999:0:3')).toEqual({ kind: 'latent', ema: true, tau: 0.999, variance: 0, loss: 'cosine', level: 3 });
    expect(parseConvObjective('latent-ema-mse')).toEqual({ kind: 'latent', ema: true, tau: 0.99, variance: 0, loss: 'mse', level: 4 });
    expect(parseConvObjective('latent-ema-mse:0.9:2')).toEqual({ kind: 'latent', ema: true, tau: 0.9, variance: 2, loss: 'mse', level: 4 });
    expect(parseConvObjective('latent-ema-ctr:0.99:0:1')).toEqual({ kind: 'latent', ema: true, tau: 0.99, variance: 0, loss: 'centered', level: 1 });
    expect(convObjectiveLabel(parseConvObjective('latent-ema'))).toBe('latent-ema');
    expect(convObjectiveLabel(parseConvObjective('latent-ema-mse'))).toBe('latent-ema-mse');
    expect(convObjectiveLabel(parseConvObjective('latent-ema-mse:0.99:1'))).toBe('latent-ema-var:1');
    expect(convObjectiveLabel(parseConvObjective('latent-ema:0.999:0:2'))).toBe('latent-ema:0.999:0:2');
    expect(convObjectiveLabel(parseConvObjective('latent-ema-mse:0.99:0:2'))).toBe('latent-ema-mse:0.99:0:2');
  });

  it('rejects bad levels and arities naming the flag', () => {
    expect(() => parseConvObjective('latent-ema:0.99:0:5')).toThrow(/--objective: level \(encoder stage of the embedding\) must be in \[1, 4\], got '5'/);
    expect(() => parseConvObjective('latent-ema:0.99:0:2.5')).toThrow(/--objective: level \(encoder stage of the embedding\) must be an integer in \[1, 4\], got '2.5'/);
    expect(() => parseConvObjective('latent-ema:1')).toThrow(/--objective: τ \(EMA decay\) must be in \[0, 1\), got '1'/);
    expect(() => parseConvObjective('latent-ema-ctr:0.9:0:2:1')).toThrow(/--objective: malformed objective 'latent-ema-ctr:0.9:0:2:1'/);
  });
});

describe('latent FDM against an EMA target, small configurations (grid32, strength 1)', () => {
  it('the cosine loss keeps the embedding and z alive where the MSE to the raw target flattens them (300 steps)', async () => {
    const run = async (o: string) =>
      (await trainConvLam({ preset: 'grid32', objective: parseConvObjective(o), steps: 300, seed: 1000, world: { strength: 1 }, logEvery: 300 })).log.at(-1)!;
    // Same encoder level (the 8×8 map) and τ: only the loss differs.
    const mse = await run('latent-ema-mse:0.99:0:2');
    const cos = await run('latent-ema');
    const msg = `z variance: mse ${mse.zVar.toExponential(2)} cos ${cos.zVar.toExponential(2)}; embedding variance: mse ${mse.embedVar!.toExponential(2)} cos ${cos.embedVar!.toExponential(2)}; latent loss mse ${mse.parts.latent} cos ${cos.parts.latent}`;
    console.log(msg);
    expect(cos.zVar, msg).toBeGreaterThan(100 * mse.zVar);
    expect(cos.zVar, msg).toBeGreaterThan(0.05);
    expect(cos.embedVar!, msg).toBeGreaterThan(10 * mse.embedVar!);
    // 2 − 2cos is in [0, 4]; a wrong normalisation (or none) leaves that range or sits at 0.
    expect(cos.parts.latent, msg).toBeGreaterThan(0.01);
    expect(cos.parts.latent, msg).toBeLessThan(4);
  }, 120_000);

  it('k = 2, 600 steps: latent-ema lowers R²(ξ|z̃) and S_exo and raises the action probe vs reconstruction', async () => {
    // Means over two seeds (measured: cos 0.36/0.31 acc, −0.00/−0.01 R²(ξ), 0.38/0.54 S_exo;
    // recon 0.23/0.24, 0.07/0.08, 0.60/0.65). latent-ema-mse fails them on the same runs (0.27,
    // 0.09, 0.66), so they test the normalised objective, not the small k alone.
    const SEEDS = [1000, 1001];
    type M = Pick<ConvProbeResult, 'r2Xi' | 'sExo' | 'condAccAction'>;
    const mean = async (objective: string): Promise<M> => {
      const ps: ConvProbeResult[] = [];
      for (const seed of SEEDS) {
        const r = await trainConvLam({ preset: 'grid32', objective: parseConvObjective(objective), latentDim: 2, steps: 600, seed, world: { strength: 1 }, logEvery: 600 });
        const m = await ConvLamModel.load(r.spec, r.params, r.codebook);
        try {
          ps.push(probeConvLam(m, r.world, { n: 800, pairs: 300, seed: 7 }));
        } finally {
          m.dispose();
        }
      }
      const avg = (f: (p: ConvProbeResult) => number) => ps.reduce((a, p) => a + f(p), 0) / ps.length;
      return { r2Xi: avg((p) => p.r2Xi), sExo: avg((p) => p.sExo), condAccAction: avg((p) => p.condAccAction) };
    };
    const cos = await mean('latent-ema');
    const rec = await mean('recon');
    const line = (n: string, p: M) => `${n}: R²(ξ|z̃) ${p.r2Xi.toFixed(3)} S_exo ${p.sExo.toFixed(3)} acc(a|z̃,s) ${p.condAccAction.toFixed(3)}`;
    const msg = `${line('latent-ema', cos)}; ${line('recon', rec)}`;
    console.log(msg);
    expect(cos.r2Xi, msg).toBeLessThan(rec.r2Xi - 0.03);
    expect(cos.sExo, msg).toBeLessThan(rec.sExo - 0.05);
    expect(cos.condAccAction, msg).toBeGreaterThan(rec.condAccAction + 0.03);
  }, 240_000);
});
