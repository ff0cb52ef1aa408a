/**
 * `lamkit sweep` end to end on a tiny configuration (a few steps per run: this checks the
 * plumbing — runs, probes, summary, checks, report files — not the findings) and its bad input.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run as sweep } from '../../src/cli/sweep.js';

describe('lamkit sweep', () => {
  it('writes results.json with every run, mean ± sd per cell and the checks', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'lamkit-sweep-')), 'rep');
    const log = console.log;
    const lines: string[] = [];
    console.log = (...a: unknown[]) => void lines.push(a.join(' '));
    let code: number;
    try {
      code = await sweep(['--groups', 'leakage,matched,vq-remedies,collapse', '--remedies', 'sup', '--codes', '4', '--strengths', '0,1', '--steps', '4', '--probe-n', '60', '--probe-pairs', '40', '--out', out]);
    } finally {
      console.log = log;
    }
    expect(code).toBe(0);
    expect(existsSync(join(out, 'index.html'))).toBe(true);
    const res = JSON.parse(readFileSync(join(out, 'sweep-runs.json'), 'utf8'));
    // recon at 0 and 1, recon and sup at k = 2 and with vq:4 at strength 1, latent-nosg at 1; 3 seeds each
    expect(res.runs).toHaveLength(7 * 3);
    const matched = res.runs.filter((r: { group: string }) => r.group === 'matched');
    expect(matched.map((r: { config: string; latentDim: number }) => `${r.config} ${r.latentDim}`)).toEqual(expect.arrayContaining(['recon / continuous k=2 2', 'sup:50:0.05:4 / continuous k=2 2']));
    expect(res.runs.find((r: { group: string }) => r.group === 'leakage').latentDim).toBe(8);
    const cell = res.summary.find((s: { objective: string; strength: number }) => s.objective === 'recon' && s.strength === 1);
    expect(cell.n).toBe(3);
    expect(Number.isFinite(cell.mean.sExo) && Number.isFinite(cell.std.sExo)).toBe(true);
    expect(res.checks.map((c: { claim: string }) => c.claim)).toEqual(
      expect.arrayContaining([expect.stringMatching(/recon: S_exo rises from distractors 0 to 1/), 'sup:50:0.05:4 lowers S_exo vs recon at distractors 1 (continuous k=2)', 'sup:50:0.05:4 raises action accuracy vs recon at distractors 1 (continuous k=2)', 'sup:50:0.05:4 lowers R²(ξ|z̃) vs recon at distractors 1 (vq:4 k=8)']),
    );
    expect(lines.some((l) => /^(PASS|FAIL) /.test(l))).toBe(true);
  }, 120_000);

  it('rejects bad flags naming the flag and the allowed values', async () => {
    await expect(sweep(['--strengths', '0,1.5'])).rejects.toThrow(/--strengths: expected a value in \[0, 1\], got 1.5/);
    await expect(sweep(['--strengths', '0.5'])).rejects.toThrow(/--strengths: expected at least two strengths/);
    await expect(sweep(['--seeds', '2'])).rejects.toThrow(/--seeds: expected a value in \[3, ∞\], got 2/);
    await expect(sweep(['--groups', 'leakage,foo'])).rejects.toThrow(/--groups: unknown group 'foo'; expected leakage, remedies, matched, vq, vq-remedies, collapse/);
    await expect(sweep(['--matched-dim', '0'])).rejects.toThrow(/--matched-dim: expected a value in \[1, 256\], got 0/);
    await expect(sweep(['--matched-dim', '1.5'])).rejects.toThrow(/--matched-dim: expected an integer in \[1, 256\], got 1.5/);
    await expect(sweep(['--sup-rows', '0'])).rejects.toThrow(/--sup-rows: expected a value in \[1, ∞\], got 0/);
    await expect(sweep(['--sup-rows', '17'])).rejects.toThrow(/--sup-rows: expected at most the grid32 batch size 16, got 17/);
    await expect(sweep(['--codes', '1'])).rejects.toThrow(/--codes: expected a value in \[2, ∞\], got 1/);
    await expect(sweep(['--suite', 'other'])).rejects.toThrow(/--suite: unknown suite 'other'; expected findings/);
    await expect(sweep(['--preset', 'linear-exo'])).rejects.toThrow(/--preset: expected grid32 or conv64, got 'linear-exo'/);
  });
});
