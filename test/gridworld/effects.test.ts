/**
 * Direction of the nonlinear findings on a small, fast grid32 configuration (fixed seeds, means
 * over three runs): with reconstruction, distractors put the exogenous innovation into z (R²(ξ|z̃) and
 * S_exo rise from strength 0 to 1, the action probe falls); the latent FDM without stop-gradient
 * collapses its embedding while the EMA target keeps it.
 *
 * The leakage check runs at k = 2 (`latentDim`, the action's size; the sweep's `matched` group):
 * there reconstruction has no spare dims, so distractors take z from the action and the drop
 * of the action probe is large at 300 steps (≈ 0.40 → 0.26 at 1 and 2 threads). At the preset's
 * k = 8 the 300-step drop was ~0.01–0.04, the size of the summation-order noise between builds.
 *
 * The remedies (oracle, cross, latent-ema) are not checked at this size: their z carries
 * only the agent's motion, and for the first few hundred steps the IDM output sits near a
 * constant (z variance ~1e-5, logged as zVar) until it picks up the 6-pixel sprite — after 300
 * to 2500 steps depending on the seed (measured in the sweep's run logs). A 300-step remedy run
 * is mostly that plateau; their margins are the `lamkit sweep` report's (3000 steps, 3 seeds).
 * Supervision has its own direction test at the latent size where it works (supervision.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { ConvLamModel } from '../../src/lam/conv-lam.js';
import { parseConvObjective } from '../../src/lam/conv-objectives.js';
import { probeConvLam, type ConvProbeResult } from '../../src/lam/conv-probes.js';
import { trainConvLam } from '../../src/lam/conv-trainer.js';

async function trainAndProbe(objective: string, strength: number, steps: number, seed: number, latentDim: number): Promise<ConvProbeResult & { loss: number }> {
  const r = await trainConvLam({ preset: 'grid32', objective: parseConvObjective(objective), latentDim, steps, seed, lr: 3e-3, world: { strength } });
  const m = await ConvLamModel.load(r.spec, r.params, r.codebook);
  try {
    return { ...probeConvLam(m, r.world, { n: 800, pairs: 300, seed: 7 }), loss: r.log[r.log.length - 1].loss };
  } finally {
    m.dispose();
  }
}

describe('nonlinear findings, small configuration (grid32, 300 steps)', () => {
  // Means over three seeds: a single run's action accuracy moves by a few points with the
  // thread count (summation order).
  const SEEDS = [3, 4, 5];
  type Means = Pick<ConvProbeResult, 'r2Xi' | 'sExo' | 'condAccAction'>;
  async function meanOverSeeds(objective: string, strength: number): Promise<Means> {
    const runs: ConvProbeResult[] = [];
    for (const seed of SEEDS) runs.push(await trainAndProbe(objective, strength, 300, seed, 2));
    const mean = (f: (p: ConvProbeResult) => number) => runs.reduce((a, p) => a + f(p), 0) / runs.length;
    return { r2Xi: mean((p) => p.r2Xi), sExo: mean((p) => p.sExo), condAccAction: mean((p) => p.condAccAction) };
  }

  it('recon (k = 2): distractors raise R²(ξ|z̃) and S_exo and lower the action probe', async () => {
    const clean = await meanOverSeeds('recon', 0);
    const noisy = await meanOverSeeds('recon', 1);
    const line = (n: string, p: Means) => `${n} (mean of seeds ${SEEDS.join(',')}): R²(ξ|z̃) ${p.r2Xi.toFixed(3)} S_exo ${p.sExo.toFixed(3)} acc(a|z̃,s) ${p.condAccAction.toFixed(3)}`;
    const msg = [line('recon S=0', clean), line('recon S=1', noisy)].join('; ');
    // No distractors: nothing exogenous to leak (the two copies of a pair are the same frames).
    expect(clean.sExo, msg).toBeLessThan(0.01);
    expect(noisy.r2Xi, msg).toBeGreaterThan(clean.r2Xi + 0.03);
    expect(noisy.sExo, msg).toBeGreaterThan(0.1);
    // The action is in z without distractors (state-conditional probe above chance ≈ 0.2: 0.39–0.40
    // measured) and much less readable with them (0.26–0.27).
    expect(clean.condAccAction, msg).toBeGreaterThan(0.3);
    expect(noisy.condAccAction, msg).toBeLessThan(clean.condAccAction - 0.06);
  }, 240_000);

  it('latent FDM: without stop-gradient the embedding collapses, with the EMA target it does not', async () => {
    const run = (o: string) => trainConvLam({ preset: 'grid32', objective: parseConvObjective(o), steps: 150, seed: 3, lr: 3e-3, world: { strength: 1 }, logEvery: 150 });
    const ema = (await run('latent-ema')).log.at(-1)!;
    const nosg = (await run('latent-nosg')).log.at(-1)!;
    const msg = `embedding variance: EMA ${ema.embedVar} vs no stop-gradient ${nosg.embedVar}; latent loss ${ema.parts.latent} vs ${nosg.parts.latent}`;
    expect(nosg.embedVar!, msg).toBeLessThan(0.1 * ema.embedVar!);
    expect(nosg.parts.latent, msg).toBeLessThan(ema.parts.latent);
  }, 90_000);
});
