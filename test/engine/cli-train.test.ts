/**
 * `lamkit train` end to end (in process): files written, JSON lines, Ctrl-C stops after the
 * current chunk and still writes what it has, bad flags are usage errors.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { run } from '../../src/cli/train.js';
import { loadRun } from '../../src/onnx/run-dir.js';
import { loadCheckpoint } from '../../src/lam/checkpoint.js';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'lamkit-train-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('lamkit train', () => {
  it('trains, logs metrics.jsonl and writes parameters atomically', async () => {
    const out = tmp();
    const logs: string[] = [];
    const spy = vi.spyOn(console, 'log').mockImplementation((s: string) => void logs.push(s));
    const rc = await run(['--preset', 'linear-exo', '--steps', '40', '--batch', '32', '--backend', 'reference', '--out', out, '--json', '--log-every', '10', '--chunk', '15']);
    spy.mockRestore();
    expect(rc).toBe(0);
    const lines = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.step)).toEqual([10, 20, 30, 40]);
    expect(lines[3].loss).toBeLessThan(lines[0].loss);
    const done = JSON.parse(logs[logs.length - 1]);
    expect(done).toMatchObject({ kind: 'done', steps: 40, stopped: false, backend: 'reference' });
    const r = loadRun(out);
    expect(r.preset).toBe('linear-exo');
    expect(Object.keys(r.params)).toEqual(['idm.W1', 'idm.W2', 'fdm.C', 'fdm.D']);
    expect(loadCheckpoint(out).step).toBe(40);
    expect(readdirSync(out).sort()).toEqual(['checkpoint.safetensors', 'metrics.jsonl']);
  });

  it('Ctrl-C stops after the current chunk and still writes the run', async () => {
    const out = tmp();
    const spy = vi.spyOn(console, 'log').mockImplementation(() => {});
    const p = run(['--preset', 'linear-exo', '--steps', '100000', '--batch', '16', '--backend', 'reference', '--out', out, '--json', '--chunk', '5']);
    setTimeout(() => process.emit('SIGINT' as never), 300);
    const rc = await p;
    spy.mockRestore();
    expect(rc).toBe(130);
    const st = loadCheckpoint(out);
    expect(st.step).toBeGreaterThan(0);
    expect(st.step % 5).toBe(0);
    expect(st.step).toBeLessThan(100000);
    expect(existsSync(join(out, 'checkpoint.safetensors'))).toBe(true);
  });

  it('bad flags are usage errors naming the flag', async () => {
    await expect(run(['--preset', 'nope'])).rejects.toThrow(/--preset: unknown preset 'nope'/);
    await expect(run(['--preset', 'linear-exo', '--steps', '0'])).rejects.toThrow(/--steps/);
    await expect(run(['--preset', 'linear-exo', '--steps', '-3'])).rejects.toThrow(/--steps/);
    await expect(run(['--steps', '5'])).rejects.toThrow(/--preset is required/);
    await expect(run(['--preset', 'linear-exo', '--optimizer', 'lbfgs'])).rejects.toThrow(/--optimizer/);
  });
});
