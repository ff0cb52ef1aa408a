/**
 * Direction of the action-supervision remedy where SCIENCE.md §5 says it works: a latent at the
 * action's size (k = 2; the agent's move is 2-D). At strong distractors plain reconstruction
 * spends those 2 dims on the distractors (S_exo ≈ 0.4, action probe near chance), and a
 * supervised head on z pulls them onto the action when λ is past the threshold λ > σ_ξ²/σ_a² − 1
 * (λ = 50 here; at λ = 5 the 3000-step sweep cell barely moved). With the preset's k = 8 the
 * spare dims keep the distractors whatever λ (the sweep's remedies group shows it).
 *
 * Small and fast: grid32, one seed per objective, a labelled pool with 8 of the 16 rows of every
 * batch labelled (the sweep's p = 0.05, 4 rows per batch needs ~1500+ steps to leave the IDM's
 * near-constant start; this is the same mechanism with a stronger label signal).
 */
import { describe, expect, it } from 'vitest';
import { ConvLamModel } from '../../src/lam/conv-lam.js';
import { parseConvObjective } from '../../src/lam/conv-objectives.js';
import { probeConvLam, type ConvProbeResult } from '../../src/lam/conv-probes.js';
import { trainConvLam } from '../../src/lam/conv-trainer.js';

const STEPS = 700;
const SEED = 11;

async function trainAndProbe(objective: string): Promise<ConvProbeResult & { zVar: number }> {
  const r = await trainConvLam({ preset: 'grid32', objective: parseConvObjective(objective), latentDim: 2, steps: STEPS, seed: SEED, world: { strength: 1 }, logEvery: STEPS });
  const m = await ConvLamModel.load(r.spec, r.params, r.codebook);
  try {
    return { ...probeConvLam(m, r.world, { n: 800, pairs: 300, seed: 7 }), zVar: r.log[r.log.length - 1].zVar };
  } finally {
    m.dispose();
  }
}

describe(`action supervision at k = 2 (grid32, distractors 1, ${STEPS} steps)`, () => {
  it('lowers S_exo and R²(ξ|z̃) and raises action accuracy versus reconstruction at the same k', async () => {
    const recon = await trainAndProbe('recon');
    const sup = await trainAndProbe('sup:50:0.5:8');
    const line = (n: string, p: ConvProbeResult & { zVar: number }) =>
      `${n}: S_exo ${p.sExo.toFixed(3)} R²(ξ|z̃) ${p.r2Xi.toFixed(3)} acc(a|z̃,s) ${p.condAccAction.toFixed(3)} z variance ${p.zVar.toExponential(1)}`;
    const msg = [line('recon', recon), line('sup:50:0.5:8', sup)].join('; ');
    // recon at k = 2 codes the distractors (the premise: otherwise there is nothing to remove).
    expect(recon.sExo, msg).toBeGreaterThan(0.2);
    expect(sup.sExo, msg).toBeLessThan(recon.sExo - 0.1);
    expect(sup.r2Xi, msg).toBeLessThan(recon.r2Xi - 0.03);
    expect(sup.condAccAction, msg).toBeGreaterThan(recon.condAccAction + 0.1);
  }, 150_000);
});
