/**
 * `lamkit train` end to end (in process): files written, JSON lines, Ctrl-C stops after the
 * current chunk and still writes what it has, bad flags are usage errors.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
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

/**
 * The built CLI in its own process: a real SIGINT stops it after the chunk in flight with exit
 * code 130 and a checkpoint; `--resume` then finishes the run with the uninterrupted run's losses.
 * Needs dist/ (npm test builds it first); skipped, with the reason printed, when dist is missing or
 * older than the sources it would test.
 */
const MAIN = join(import.meta.dirname, '../../dist/src/cli/main.js');
const SRC = ['src/cli/train.ts', 'src/cli/train-loop.ts', 'src/lam/checkpoint.ts', 'src/lam/trainer.ts'].map((f) => join(import.meta.dirname, '../..', f));
const distReason = !existsSync(MAIN)
  ? `${MAIN} is missing (npm run build:ts)`
  : SRC.some((f) => statSync(f).mtimeMs > statSync(MAIN.replace('main.js', 'train-loop.js')).mtimeMs)
    ? 'dist/ is older than src/ (npm run build:ts)'
    : null;
if (distReason) console.log(`cli-train: spawned-CLI test skipped: ${distReason}`);

function spawnTrain(args: string[], onLine?: (l: { kind: string; step?: number }, kill: () => void) => void): Promise<{ code: number | null; losses: Map<number, number> }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, 'train', ...args, '--json', '--log-every', '1'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LAMKIT_THREADS: '1' } });
    const losses = new Map<number, number>();
    let buf = '';
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.stdout.on('data', (d) => {
      buf += d;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const l = JSON.parse(buf.slice(0, i));
        buf = buf.slice(i + 1);
        if (l.kind === 'step') losses.set(l.step, l.loss);
        onLine?.(l, () => child.kill('SIGINT'));
      }
    });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 || code === 130 ? resolve({ code, losses }) : reject(new Error(`exit ${code}: ${err}`))));
  });
}

describe.skipIf(distReason !== null)('lamkit train (spawned CLI)', () => {
  it('a real SIGINT writes a checkpoint; --resume completes the run with identical losses', async () => {
    const out = tmp();
    const common = ['--preset', 'linear-exo', '--batch', '32', '--backend', 'reference', '--seed', '9', '--chunk', '3'];
    let sent = false;
    const a = await spawnTrain([...common, '--steps', '100000', '--out', out], (l, kill) => {
      if (l.kind === 'step' && (l.step ?? 0) >= 6 && !sent) {
        sent = true;
        kill();
      }
    });
    expect(a.code).toBe(130);
    const at = loadCheckpoint(out).step;
    expect(at % 3).toBe(0);
    expect(at).toBe(a.losses.size);
    const b = await spawnTrain(['--resume', out, '--steps', String(at + 7), '--backend', 'reference']);
    expect(b.code).toBe(0);
    const full = await spawnTrain([...common, '--steps', String(at + 7)]);
    const all = [...a.losses.entries(), ...b.losses.entries()].sort((x, y) => x[0] - y[0]);
    expect(all.map(([s]) => s)).toEqual(Array.from({ length: at + 7 }, (_, i) => i + 1));
    expect(all.map(([, l]) => l)).toEqual([...full.losses.values()]);
  });
});
