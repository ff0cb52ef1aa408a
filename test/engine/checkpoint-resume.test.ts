/**
 * Resume: a run split into pieces by --checkpoint-every / Ctrl-C / a crash, resumed with
 * --resume, has the loss sequence of the uninterrupted run, bit for bit, on the reference and
 * native-cpu backends (same thread count); metrics.jsonl is continued; incompatible, missing and
 * corrupted checkpoints are refused with a message.
 */
import { appendFileSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { probeBackends } from '../../src/backends/registry.js';
import { run } from '../../src/cli/train.js';
import { readResume, trainLoop } from '../../src/cli/train-loop.js';
import { compileReference } from '../../src/graph/runner.js';
import { defaultSource, type ResumableSource } from '../../src/lam/batches.js';
import { CHECKPOINT_FILE, loadCheckpoint } from '../../src/lam/checkpoint.js';
import { planPreset } from '../../src/lam/training.js';

const root = mkdtempSync(join(tmpdir(), 'lamkit-resume-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const dir = (): string => join(root, `r${n++}`);

/** Runs `lamkit train … --json --log-every 1` in process; returns the exit code and loss by step. */
async function train(args: string[]): Promise<{ rc: number; losses: Map<number, number> }> {
  const lines: string[] = [];
  const spy = vi.spyOn(console, 'log').mockImplementation((s: string) => void lines.push(s));
  const err = vi.spyOn(console, 'error').mockImplementation(() => {});
  try {
    const rc = await run([...args, '--json', '--log-every', '1']);
    const losses = new Map<number, number>();
    for (const l of lines.map((x) => JSON.parse(x))) if (l.kind === 'step') losses.set(l.step, l.loss);
    return { rc, losses };
  } finally {
    spy.mockRestore();
    err.mockRestore();
  }
}

/** Float32 bit patterns, so the comparison is bitwise (and NaN-safe). */
const bits = (xs: number[]): number[] => Array.from(new Uint32Array(Float32Array.from(xs).buffer));
const range = (m: Map<number, number>, a: number, b: number): number[] => {
  const r: number[] = [];
  for (let s = a; s <= b; s++) {
    if (!m.has(s)) throw new Error(`no loss logged for step ${s}`);
    r.push(m.get(s)!);
  }
  return r;
};
const metricSteps = (d: string): number[] => readFileSync(join(d, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).step);

const native = (await probeBackends()).find((s) => s.name === 'native-cpu');
if (!native?.backend) console.log(`checkpoint-resume: native-cpu cases skipped: ${native?.reason ?? 'not registered'}`);

describe.each([
  { backend: 'reference', extra: [] as string[], skip: false },
  { backend: 'native-cpu', extra: ['--threads', '2'], skip: !native?.backend },
])('resume on $backend', ({ backend, extra, skip }) => {
  it.skipIf(skip)('40 steps uninterrupted = 20 with --checkpoint-every 10, then --resume to 40 (bit-identical losses)', async () => {
    const common = ['--preset', 'linear-exo', '--batch', '64', '--backend', backend, ...extra];
    const full = await train([...common, '--steps', '40', '--chunk', '7', '--out', dir()]);
    expect(full.rc).toBe(0);
    const d = dir();
    const first = await train([...common, '--steps', '20', '--chunk', '7', '--checkpoint-every', '10', '--out', d]);
    expect(first.rc).toBe(0);
    expect(loadCheckpoint(d).step).toBe(20);
    // Settings come from the checkpoint; only the backend/threads (not part of it) are repeated.
    const rest = await train(['--resume', d, '--steps', '40', '--backend', backend, ...extra, '--chunk', '9']);
    expect(rest.rc).toBe(0);
    expect([...rest.losses.keys()]).toEqual(Array.from({ length: 20 }, (_, i) => 21 + i));
    expect(bits(range(first.losses, 1, 20))).toEqual(bits(range(full.losses, 1, 20)));
    expect(bits(range(rest.losses, 21, 40))).toEqual(bits(range(full.losses, 21, 40)));
    expect(metricSteps(d)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    const ck = loadCheckpoint(d);
    expect(ck.step).toBe(40);
    expect(ck.config).toMatchObject({ preset: 'linear-exo', batch: 64, steps: 40, backend });
  });
});

describe('resume', () => {
  it('Ctrl-C, then --resume: the losses continue as if never stopped', async () => {
    const d = dir();
    const common = ['--preset', 'linear-exo', '--batch', '32', '--backend', 'reference', '--seed', '3'];
    const p = train([...common, '--steps', '100000', '--chunk', '4', '--out', d]);
    setTimeout(() => process.emit('SIGINT' as never), 400);
    const stopped = await p;
    expect(stopped.rc).toBe(130);
    const at = loadCheckpoint(d).step;
    expect(at).toBeGreaterThan(0);
    expect(at).toBe(stopped.losses.size);
    const rest = await train(['--resume', d, '--steps', String(at + 12), '--backend', 'reference']);
    expect(rest.rc).toBe(0);
    const full = await train([...common, '--steps', String(at + 12), '--out', dir()]);
    expect(bits(range(stopped.losses, 1, at))).toEqual(bits(range(full.losses, 1, at)));
    expect(bits(range(rest.losses, at + 1, at + 12))).toEqual(bits(range(full.losses, at + 1, at + 12)));
  });

  it('after a crash mid-chunk, resumes from the last periodic checkpoint (metrics past it are dropped)', async () => {
    const build = () => {
      const { lam, plan } = planPreset('linear-exo', { batch: 16, seed: 1 });
      return { model: compileReference(plan), source: defaultSource(lam.preset, 16, 2) };
    };
    const config = { preset: 'linear-exo', batch: 16, seed: 1 };
    const quiet = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const ref = build();
      const full = await trainLoop({ ...ref, config, steps: 30, out: dir() });
      const d = dir();
      const a = build();
      let calls = 0;
      // A source that dies while drawing step 23 (like a killed process or a failing disk).
      const dying: ResumableSource = {
        feeds: a.source.feeds,
        next: (v) => {
          if (++calls === 23) throw new Error('simulated crash');
          a.source.next(v);
        },
        getState: () => a.source.getState(),
        setState: (s) => a.source.setState(s),
      };
      await expect(trainLoop({ ...a, source: dying, config, steps: 30, out: d, checkpointEvery: 10, logEvery: 1 })).rejects.toThrow('simulated crash');
      expect(loadCheckpoint(d).step).toBe(20);
      expect(metricSteps(d)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      appendFileSync(join(d, 'metrics.jsonl'), JSON.stringify({ kind: 'step', step: 21, loss: 0 }) + '\n'); // logged, then killed before the next checkpoint
      const b = build();
      const rest = await trainLoop({ ...b, config, steps: 30, out: d, logEvery: 1, resume: readResume(d) });
      expect(rest.result.steps).toBe(10);
      expect(bits(Array.from(rest.result.losses))).toEqual(bits(Array.from(full.result.losses.subarray(20))));
      expect(metricSteps(d)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    } finally {
      quiet.mockRestore();
    }
  });

  it('refuses incompatible settings, a finished run, a missing and a corrupted checkpoint', async () => {
    const d = dir();
    expect((await train(['--preset', 'linear-exo', '--batch', '16', '--steps', '5', '--backend', 'reference', '--lr', '0.002', '--out', d])).rc).toBe(0);
    const file = join(d, CHECKPOINT_FILE);
    await expect(run(['--resume', d, '--steps', '10', '--lr', '0.01'])).rejects.toThrow(`--resume: ${file} was trained with --lr 0.002, got --lr 0.01; leave --lr out to continue with the checkpoint's`);
    await expect(run(['--resume', d, '--steps', '10', '--preset', 'linear-1k'])).rejects.toThrow(`--resume: ${file} was trained with --preset "linear-exo", got --preset "linear-1k"`);
    await expect(run(['--resume', d, '--steps', '10', '--batch', '32'])).rejects.toThrow(/was trained with --batch 16, got --batch 32/);
    await expect(run(['--resume', d, '--steps', '5'])).rejects.toThrow(`--resume: ${file} is already at step 5 of --steps 5; pass a larger --steps to train further`);
    const missing = join(root, 'nope');
    await expect(run(['--resume', missing])).rejects.toThrow(`--resume: ${missing}: no such run directory or checkpoint file`);
    const empty = mkdtempSync(join(root, 'empty-'));
    await expect(run(['--resume', empty])).rejects.toThrow(`--resume: ${empty}: no ${CHECKPOINT_FILE} (expected a directory written by \`lamkit train --out DIR\`)`);
    const c = dir();
    cpSync(d, c, { recursive: true });
    const bytes = readFileSync(join(c, CHECKPOINT_FILE));
    bytes[bytes.length - 100] ^= 4;
    writeFileSync(join(c, CHECKPOINT_FILE), bytes);
    await expect(run(['--resume', c, '--steps', '10'])).rejects.toThrow(/--resume: .*checkpoint\.safetensors: tensor 'optim\/adam\.v\/fdm\.D' fails its sha256 checksum/);
    await expect(run(['--preset', 'linear-exo', '--checkpoint-every', '5'])).rejects.toThrow('train: --checkpoint-every needs --out DIR');
    await expect(run(['--preset', 'linear-exo', '--checkpoint-every', '0', '--out', dir()])).rejects.toThrow(/--checkpoint-every: expected a value in \[1, ∞\], got 0/);
  });
});
