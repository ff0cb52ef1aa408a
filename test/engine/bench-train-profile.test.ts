/**
 * `lamkit bench train --profile` (in process): one train_ins JSON line per timed instruction with
 * the plan's layer names, and times that add up to about the measured step.
 */
import { describe, expect, it, vi } from 'vitest';
import { run } from '../../src/cli/bench-train.js';
import { loadNativeAddon } from '../../src/backends/native.js';

const native = loadNativeAddon();

describe('lamkit bench train --profile', () => {
  if (native.reason) {
    it.skip(`native-cpu unavailable (${native.reason}): the in-step profiler is native-only`, () => {});
    return;
  }
  it('prints per-instruction rows for linear-exo on native-cpu', async () => {
    const lines: string[] = [];
    const spy = vi.spyOn(console, 'log').mockImplementation((s: string) => void lines.push(s));
    const rc = await run(['--preset', 'linear-exo', '--backend', 'native-cpu', '--threads', '1', '--steps', '20', '--samples', '3', '--no-torch', '--no-breakdown', '--profile', '--json']);
    spy.mockRestore();
    expect(rc).toBe(0);
    const rows = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const ins = rows.filter((r) => r.kind === 'train_ins');
    const step = rows.find((r) => r.kind === 'train' && r.backend === 'native-cpu') as { median_ms: number };
    expect(ins.length).toBeGreaterThan(5);
    expect(ins.map((r) => r.op)).toContain('matmul');
    expect(ins.map((r) => r.op)).toContain('adam_update');
    for (const r of ins) {
      expect(typeof r.layer).toBe('string');
      expect(r.ms_per_step as number).toBeGreaterThanOrEqual(0);
    }
    // The slowest rows are printed (up to 40): their sum cannot exceed a generous multiple of the step.
    const sum = ins.reduce((s, r) => s + (r.ms_per_step as number), 0);
    expect(sum).toBeGreaterThan(0);
    expect(sum).toBeLessThan(5 * step.median_ms + 1);
  });
});
