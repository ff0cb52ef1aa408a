/**
 * `lamkit analyze` and `lamkit demo` end to end through their run(argv) entry points (closed-form
 * mode and --no-train, so the file stays fast), plus the report writer.
 */
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { run as analyze } from '../../src/cli/analyze.js';
import { run as demo } from '../../src/cli/demo.js';
import { UsageError } from '../../src/cli/usage.js';
import { loadReport, upsertSection, writeReport } from '../../src/report/report.js';
import { seriesChart } from '../../src/report/vega.js';

async function capture(f: () => Promise<number>): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const spy = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void lines.push(a.join(' ')));
  try {
    const code = await f();
    return { code, out: lines.join('\n') };
  } finally {
    spy.mockRestore();
  }
}

describe('lamkit analyze', () => {
  it('--json prints one object with r2, r2_raw, s_exo, floor, loss, angles_deg (σ_ξ = 2σ_a, k = d_a)', async () => {
    const { code, out } = await capture(() => analyze(['--sigma-xi', '2', '--json']));
    expect(code).toBe(0);
    const r = JSON.parse(out);
    for (const key of ['action', 'xi', 'x', 's']) {
      expect(typeof r.r2[key]).toBe('number');
      expect(typeof r.r2_raw[key]).toBe('number');
    }
    expect(Math.abs(r.r2.action)).toBeLessThan(0.01);
    expect(Math.abs(r.r2.xi - 0.5)).toBeLessThan(0.01);
    expect(r.s_exo).toBeGreaterThan(0.95);
    expect(r.floor).toBeCloseTo(20, 6);
    expect(r.loss).toBeCloseTo(20, 6);
    expect(r.angles_deg).toHaveLength(4);
  });

  it('odd dims, mixing, anisotropic σ and supervision with p: human table states the normalisation', async () => {
    const { code, out } = await capture(() =>
      analyze(['--d-obs', '23', '--d-state', '5', '--d-action', '3', '--d-exo', '7', '--mixing', '0.3', '--sigma-xi', '2,1,1,1,1,1,3', '--objective', 'sup:4:0.5', '--sup-norm', 'batch', '--k', '3']),
    );
    expect(code).toBe(0);
    expect(out).toMatch(/λ_eff = pλ = 2/);
    expect(out).toMatch(/residualised z̃/);
  });

  it('bad input names the flag, the value and the allowed range', async () => {
    const bad: [string[], RegExp][] = [
      [['--d-obs', '10'], /--d-obs.*≥ d_s \+ d_x = 8 \+ 8 = 16, got 10/],
      [['--k', '0'], /--k.*got 0/],
      [['--k', '65'], /--k.*\[1, d_o = 64\], got 65/],
      [['--sigma-a=-1'], /--sigma-a.*got '-1'/],
      [['--sigma-xi', '1,2'], /--sigma-xi.*8 entries.*got 2/],
      [['--rho-s', '1'], /--rho-s.*\|ρ\| < 1.*got 1/],
      [['--objective', 'sup:1:0'], /--objective: p \(labelled fraction\) must be a number in \(0, 1\], got '0'/],
      [['--objective', 'sup:1:1.5'], /--objective: p.*got '1.5'/],
      [['--objective', 'magic'], /--objective: unknown objective 'magic'/],
      [['--mode', 'fast'], /--mode: expected closed-form or trained, got 'fast'/],
    ];
    for (const [argv, re] of bad) {
      const p = capture(() => analyze(argv));
      await expect(p, argv.join(' ')).rejects.toThrow(re);
      await p.catch((e) => expect(e, argv.join(' ')).toBeInstanceOf(UsageError));
    }
  });
});

describe('lamkit demo --no-train', () => {
  let out = '';
  afterEach(async () => {
    if (out) await rm(out, { recursive: true, force: true });
  });
  it('prints the findings tables and writes the report (closed form only)', async () => {
    out = await mkdtemp(join(tmpdir(), 'lamkit-demo-'));
    const { code, out: text } = await capture(() => demo(['--no-train', '--out', out]));
    expect(code).toBe(0);
    expect(text).toMatch(/Finding 1/);
    expect(text).toMatch(/reconstruction\s+0(\.000)?\s/);
    const files = await readdir(out);
    for (const f of ['index.html', 'results.json', 'linear-sigma-xi.svg', 'linear-gamma.svg', 'linear-lambda.svg', 'linear-cross.svg', 'linear-k.svg']) expect(files).toContain(f);
    const r = JSON.parse(await readFile(join(out, 'results.json'), 'utf8'));
    expect(r.sections.map((x: { id: string }) => x.id).slice(0, 4)).toEqual(['linear-summary', 'linear-finding1', 'linear-finding2', 'linear-finding3']);
  }, 120_000);
});

describe('report', () => {
  let dir = '';
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('writes a self-contained HTML page, SVG plots and results.json; sections can be appended', async () => {
    dir = await mkdtemp(join(tmpdir(), 'lamkit-report-'));
    const spec = seriesChart({ title: 't', values: [{ x: 1, v: 0.5, s: 'a', kind: 'closed form' }, { x: 2, v: 0.7, s: 'a', kind: 'trained' }], x: 'x', y: 'v', series: 's', kind: 'kind' });
    await writeReport(dir, { title: 'T', sections: [{ id: 'one', title: 'One', paragraphs: ['p <b>'], table: { columns: ['a', 'b'], rows: [[1, 0.25]] }, plots: [{ id: 'p1', spec }] }] });
    const files = await readdir(dir);
    expect(files.sort()).toEqual(['index.html', 'p1.svg', 'p1.vl.json', 'results.json']);
    const html = await readFile(join(dir, 'index.html'), 'utf8');
    expect(html).toContain('<svg');
    expect(html).toContain('p &lt;b&gt;');
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
    const r = (await loadReport(dir))!;
    upsertSection(r, { id: 'two', title: 'Two (nonlinear)' });
    await writeReport(dir, r);
    const again = (await loadReport(dir))!;
    expect(again.sections.map((s) => s.id)).toEqual(['one', 'two']);
  });
});
