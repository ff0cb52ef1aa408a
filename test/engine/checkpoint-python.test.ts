/**
 * A checkpoint written by `lamkit train` loads in PyTorch through scripts/load_checkpoint.py
 * (struct + json + torch.frombuffer, no safetensors package): same tensors, bit for bit, and its
 * --verify mode recomputes lamkit's header and tensor checksums. Runs when /usr/bin/python3 has
 * torch; otherwise the skip and its reason are printed.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { run } from '../../src/cli/train.js';
import { CHECKPOINT_FILE, loadCheckpoint } from '../../src/lam/checkpoint.js';

const PY = '/usr/bin/python3';
const SCRIPT = join(import.meta.dirname, '../../scripts/load_checkpoint.py');
const probe = spawnSync(PY, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
const torchVersion = probe.status === 0 ? probe.stdout.trim() : null;
if (!torchVersion) console.log(`checkpoint-python: skipped: ${PY} with torch is not available (${probe.error?.message ?? probe.stderr.trim().split('\n').pop()})`);

const root = mkdtempSync(join(tmpdir(), 'lamkit-ckpt-py-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const py = (args: string[]) => spawnSync(PY, [SCRIPT, ...args], { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1' } });
const f32bits = (xs: ArrayLike<number>): number[] => Array.from(new Uint32Array(Float32Array.from(xs).buffer));

describe.skipIf(!torchVersion)(`scripts/load_checkpoint.py (torch ${torchVersion})`, () => {
  it('reads the tensors lamkit wrote and verifies their checksums', async () => {
    const out = join(root, 'run');
    const quiet = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      expect(await run(['--preset', 'linear-exo', '--steps', '7', '--batch', '16', '--backend', 'reference', '--out', out, '--json'])).toBe(0);
    } finally {
      quiet.mockRestore();
    }
    const ck = loadCheckpoint(out);
    const summary = JSON.parse(execFileSync(PY, [SCRIPT, out, '--verify'], { encoding: 'utf8' }));
    expect(summary.verified).toBe(true);
    expect(summary.metadata).toMatchObject({ format: 'lamkit-checkpoint', preset: 'linear-exo', step: '7' });
    expect(summary.tensors['param/fdm.D']).toEqual({ dtype: 'float32', shape: [64, 8] });
    expect(summary.tensors['optim/step']).toEqual({ dtype: 'int32', shape: [1] });

    const r = py([out, '--tensor', 'param/idm.W1', '--tensor', 'optim/adam.v/fdm.C', '--tensor', 'optim/step']);
    expect(r.status, r.stderr).toBe(0);
    const [w1, v, step] = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { name: string; dtype: string; shape: number[]; data: number[] });
    expect(w1).toMatchObject({ name: 'param/idm.W1', dtype: 'F32', shape: [8, 64] });
    expect(f32bits(w1.data)).toEqual(f32bits(ck.params['idm.W1']));
    expect(v.shape).toEqual([64, 64]);
    expect(f32bits(v.data)).toEqual(f32bits(ck.state['adam.v'].subarray(1024, 1024 + 4096)));
    expect(step).toMatchObject({ dtype: 'I32', data: [7] });
    const none = py([out, '--tensor', 'param/nope']);
    expect(none.status).toBe(1);
    expect(none.stderr).toMatch(/no tensor 'param\/nope'; have param\/idm\.W1, /);
  });

  it('--verify refuses a corrupted file; a truncated one fails even without it', () => {
    const good = readFileSync(join(root, 'run', CHECKPOINT_FILE));
    const bad = join(root, 'bad.safetensors');
    const flipped = Buffer.from(good);
    flipped[good.length - 50] ^= 2;
    writeFileSync(bad, flipped);
    let r = py([bad, '--verify']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/tensor 'optim\/adam\.v\/fdm\.D' fails its sha256 checksum/);
    writeFileSync(bad, good.subarray(0, good.length - 8));
    r = py([bad]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/truncated/);
  });
});
