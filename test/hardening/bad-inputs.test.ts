// Bad input through the real CLI: every row spawns `node dist/src/cli/main.js …` and requires a
// clean failure — exit code 2, a `lamkit: …` message that names the flag or file, the value
// seen and what was expected, no stack trace, no crash (signal) and no hang. In-process checks
// of the same messages live beside each command's tests (test/engine/bad-input.test.ts,
// test/data/cli-own-data.test.ts, test/science/diagnose.test.ts, test/onnx/cli.test.ts,
// test/engine/checkpoint*.test.ts); this table is about what a user at a shell sees.
// Needs `npm run build:ts` (npm test builds first).
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testSeed } from '../harness/data.js';
import { ROOT, cleanFailureProblems, requireBuild, runCli } from './cli-runner.js';
import { corruptCheckpoints, writeDataFixtures } from './fixtures.js';

interface Ctx {
  /** Data fixtures by name (see fixtures.ts). */
  f: Record<string, string>;
  /** Corrupted checkpoint run dirs by name. */
  ck: Record<string, string>;
  /** A good run dir (linear-exo, 4 steps, batch 16) and its exported IDM. */
  run: string;
  model: string;
  /** A /proc path that does not exist: mkdir there fails for every user, root included. */
  proc: string;
}

interface Row {
  name: string;
  argv: (c: Ctx) => string[];
  stderr: RegExp[];
  /** Skip with this reason when it returns one (a backend that is not built here). */
  skip?: () => string | undefined;
}

const wasmMissing = () => (existsSync(join(ROOT, 'wasm', 'dist', 'manifest.json')) ? undefined : 'wasm/dist is not built (npm run build:wasm)');
const train = (...a: string[]) => ['train', '--preset', 'linear-exo', ...a];
// Own data through the reference backend: the smallest start-up.
const own = (file: string, ...a: string[]) => ['train', '--data', file, '--backend', 'reference', '--batch', '4', ...a];

const ROWS: Row[] = [
  // ---- unknown command / flags / values ----
  { name: 'unknown command', argv: () => ['frobnicate'], stderr: [/unknown command 'frobnicate'; expected one of demo, train, analyze/] },
  { name: 'unknown flag', argv: () => train('--bogus'), stderr: [/train: Unknown option '--bogus'/] },
  { name: 'flag without its value', argv: () => train('--steps'), stderr: [/train: Option '--steps <value>' argument missing/] },
  { name: '--steps not a number', argv: () => train('--steps', 'abc'), stderr: [/--steps: expected a number in \[1, ∞\], got 'abc'/] },
  { name: '--steps fractional', argv: () => train('--steps', '1.5'), stderr: [/--steps: expected an integer in \[1, ∞\], got 1\.5/] },
  { name: '--lr NaN', argv: () => train('--lr', 'NaN'), stderr: [/--lr: expected a number in \(0, ∞\], got 'NaN'/] },
  { name: '--chunk 0', argv: () => train('--chunk', '0'), stderr: [/--chunk: expected a value in \[1, ∞\], got 0/] },
  { name: '--threads 0', argv: () => train('--steps', '1', '--threads', '0'), stderr: [/--threads: expected a value in \[1, ∞\], got 0/] },
  { name: '--threads on a backend without threads', argv: () => train('--steps', '1', '--backend', 'reference', '--threads', '2'), stderr: [/--threads applies to native-cpu, not reference/] },
  { name: 'unknown preset', argv: () => ['train', '--preset', 'conv128'], stderr: [/--preset: unknown preset 'conv128'; expected one of linear-exo, linear-1k, conv64, grid32/] },
  { name: 'unknown backend', argv: () => train('--steps', '1', '--backend', 'tpu'), stderr: [/unknown backend 'tpu'; expected one of .*native-cpu.*reference/] },
  { name: 'unknown optimizer', argv: () => train('--optimizer', 'lbfgs'), stderr: [/--optimizer must be adam, adamw or sgd, got 'lbfgs'/] },
  { name: 'unknown objective (analyze)', argv: () => ['analyze', '--objective', 'contrastive'], stderr: [/--objective: unknown objective 'contrastive'; expected one of recon/] },
  { name: 'bad objective parameter (analyze)', argv: () => ['analyze', '--objective', 'sup:-1'], stderr: [/--objective: λ .* must be a number in \[0, ∞\), got '-1' in 'sup:-1'/] },
  { name: 'unknown objective (own data)', argv: (c) => own(c.f.good, '--objective', 'contrastive'), stderr: [/--objective: expected recon or sup, got 'contrastive'/] },
  { name: '--checkpoint-every without --out', argv: () => train('--steps', '10', '--checkpoint-every', '5'), stderr: [/--checkpoint-every needs --out DIR/] },
  { name: 'unknown benchmark', argv: () => ['bench', 'disk'], stderr: [/bench: unknown benchmark 'disk'; expected one of kernels, train/] },
  { name: 'unknown kernel to benchmark', argv: () => ['bench', 'kernels', '--op', 'softmax'], stderr: [/--op: unknown op 'softmax'; expected a list of gemm/] },
  { name: 'zero interleaved benchmark rounds', argv: () => ['bench', 'train', '--rounds', '0'], stderr: [/--rounds: expected a value in \[1, ∞\], got 0/] },
  { name: 'port out of range', argv: () => ['serve', '--port', '99999'], stderr: [/--port: expected a value in \[0, 65535\], got 99999/] },
  { name: 'unknown flag (sweep)', argv: () => ['sweep', '--bogus'], stderr: [/sweep: Unknown option '--bogus'/] },
  { name: '--latent-dim 0 (gridworld)', argv: () => ['train', '--data', 'gridworld', '--latent-dim', '0'], stderr: [/--latent-dim: expected a value in \[1, 256\], got 0/] },
  { name: '--latent-dim fractional (gridworld)', argv: () => ['train', '--data', 'gridworld', '--latent-dim', '2.5'], stderr: [/--latent-dim: expected an integer in \[1, 256\], got 2\.5/] },
  { name: '--latent-dim too large (gridworld)', argv: () => ['train', '--data', 'gridworld', '--latent-dim', '1000'], stderr: [/--latent-dim: expected a value in \[1, 256\], got 1000/] },
  { name: 'sup rows per batch above the batch (gridworld)', argv: () => ['train', '--data', 'gridworld', '--objective', 'sup:5:0.05:20'], stderr: [/--objective sup:5:0\.05:20: m \(labelled rows per batch\) must be ≤ the batch size 16, got 20/] },
  { name: '--matched-dim 0 (sweep)', argv: () => ['sweep', '--matched-dim', '0'], stderr: [/--matched-dim: expected a value in \[1, 256\], got 0/] },
  { name: '--sup-rows above the batch (sweep)', argv: () => ['sweep', '--sup-rows', '17'], stderr: [/--sup-rows: expected at most the grid32 batch size 16, got 17/] },
  { name: 'unknown flag (doctor)', argv: () => ['doctor', '--bogus'], stderr: [/doctor: Unknown option '--bogus'/] },
  { name: 'unknown graph (export)', argv: (c) => ['export', '--run', c.run, '--graph', 'policy'], stderr: [/unknown --graph 'policy'; expected one of idm, fdm/] },
  { name: 'malformed --input (infer)', argv: (c) => ['infer', '--model', c.model, '--input', 'o_t'], stderr: [/--input: expected NAME=FILE\.npy, got 'o_t'/] },

  // ---- huge sizes ----
  { name: '--batch 1e12 (dimension past int32)', argv: () => train('--steps', '1', '--batch', '1e12'), stderr: [/--batch 1000000000000: .*\[1000000000000,64\] has a bad dimension 1000000000000; expected positive integers ≤ 2\^31−1/] },
  { name: '--batch 1e8 (tensor past 2^31 elements)', argv: () => train('--steps', '1', '--batch', '100000000'), stderr: [/--batch 100000000: .*\[100000000,64\] has 6400000000 elements; expected at most 2\^31−1/] },
  { name: '--batch 3e7 (feed block past int32 tape offsets)', argv: () => train('--steps', '1', '--batch', '30000000'), stderr: [/--batch 30000000: plan: one step's feeds need 3840000000 floats .*int32 limit of 2147483647 floats; lower the batch size/] },
  { name: '--batch 1e7 (arena past int32 tape offsets)', argv: () => train('--steps', '1', '--batch', '10000000'), stderr: [/--batch 10000000: plan: tensor '[^']+' .* ends past the tape's int32 limit of 2147483647 floats .*; lower the batch size/] },
  { name: '--batch 1e12 (own data)', argv: (c) => ['train', '--data', c.f.good, '--steps', '1', '--batch', '1e12'], stderr: [/--batch 1000000000000: .*has a bad dimension 1000000000000; expected positive integers ≤ 2\^31−1/] },
  {
    name: 'plan larger than the wasm heap',
    argv: () => train('--steps', '1', '--backend', 'wasm', '--batch', '5000000'),
    stderr: [/wasm: out of memory allocating \d+ bytes for a plan .*the wasm heap limit is \d+ bytes.*use a smaller plan/],
    skip: wasmMissing,
  },
  { name: '--read-buffer 0', argv: (c) => own(c.f.good, '--read-buffer', '0'), stderr: [/--read-buffer: expected a value in \(0, ∞\], got 0/] },

  // ---- missing files ----
  { name: 'missing --data file', argv: (c) => own(c.f.missing), stderr: [/--data .*does-not-exist\.npy: cannot read \(ENOENT\)/] },
  { name: 'missing --actions file', argv: (c) => own(c.f.good, '--actions', c.f.missing), stderr: [/--actions .*does-not-exist\.npy: cannot open \(ENOENT\)/] },
  { name: 'missing --data file (diagnose)', argv: (c) => ['diagnose', '--data', c.f.missing], stderr: [/--data: .*does-not-exist\.npy: cannot read \.npy file \(ENOENT\)/] },
  { name: 'missing --resume directory', argv: (c) => ['train', '--resume', join(c.f.emptyDir, 'nope'), '--steps', '9'], stderr: [/--resume: .*nope: no such run directory or checkpoint file/] },
  { name: 'missing --run directory (export)', argv: (c) => ['export', '--run', join(c.f.emptyDir, 'nope'), '--graph', 'idm'], stderr: [/--run .*nope: no such run directory/] },
  { name: 'missing --model (infer)', argv: (c) => ['infer', '--model', join(c.f.emptyDir, 'none.onnx'), '--input', `o_t=${c.f.feed}`], stderr: [/--model .*none\.onnx: cannot read \(ENOENT\)/] },
  { name: 'not an ONNX model (infer)', argv: (c) => ['infer', '--model', c.f.garbage, '--input', `o_t=${c.f.feed}`], stderr: [/garbage\.npy: not a valid ONNX model/] },

  // ---- unwritable output ----
  { name: '--out under a regular file (train)', argv: (c) => train('--steps', '2', '--backend', 'reference', '--batch', '4', '--out', join(c.f.aFile, 'run')), stderr: [/--out .*a-regular-file\/run: cannot write the run directory \(ENOTDIR/] },
  { name: '--out under /proc (train)', argv: (c) => train('--steps', '2', '--backend', 'reference', '--batch', '4', '--out', c.proc), stderr: [/--out \/proc\/\S+: cannot write the run directory \(ENOENT/] },
  { name: '--out under /proc (own data)', argv: (c) => own(c.f.good, '--steps', '2', '--out', c.proc), stderr: [/--out \/proc\/\S+: cannot write the run directory \(ENOENT/] },
  // Long commands check --out before any work (a hang or a late failure here means minutes lost).
  { name: '--out under /proc (gridworld)', argv: (c) => ['train', '--data', 'gridworld', '--steps', '2', '--out', c.proc], stderr: [/--out \/proc\/\S+: cannot write the output directory \(ENOENT\); expected a writable directory/] },
  { name: '--out under a regular file (gridworld)', argv: (c) => ['train', '--data', 'gridworld', '--steps', '2', '--out', join(c.f.aFile, 'g')], stderr: [/--out .*a-regular-file\/g: cannot write the output directory \(ENOTDIR\)/] },
  { name: '--out under /proc (sweep)', argv: (c) => ['sweep', '--quick', '--out', c.proc], stderr: [/--out \/proc\/\S+: cannot write the output directory \(ENOENT\)/] },
  { name: '--out under a regular file (demo)', argv: (c) => ['demo', '--out', join(c.f.aFile, 'report')], stderr: [/--out .*a-regular-file\/report: cannot write the output directory \(ENOTDIR\)/] },
  { name: '--out under /proc (diagnose)', argv: (c) => ['diagnose', '--data', c.f.good, '--out', c.proc], stderr: [/--out: cannot write the report to \/proc\/\S+ \(ENOENT\)/] },
  { name: '--out under a regular file (export)', argv: (c) => ['export', '--run', c.run, '--graph', 'idm', '--out', join(c.f.aFile, 'idm.onnx')], stderr: [/--out .*a-regular-file\/idm\.onnx: cannot write the model \(ENOTDIR\)/] },
  { name: '--out under /proc (infer)', argv: (c) => ['infer', '--model', c.model, '--input', `o_t=${c.f.feed}`, '--input', `o_t1=${c.f.feed}`, '--out', c.proc], stderr: [/--out \/proc\/\S+: cannot write the outputs \(ENOENT\)/] },

  // ---- data: NaN/Inf, dtype, order, rank, zero-length, truncated, corrupted ----
  { name: 'NaN in --data (found when its sequence is read)', argv: (c) => own(c.f.nan, '--steps', '100'), stderr: [/nan\.npy: non-finite value NaN in sequence 3 .*step 2/] },
  { name: '-Inf in --data, even with --no-check-finite', argv: (c) => own(c.f.inf, '--steps', '100', '--no-check-finite'), stderr: [/inf\.npy: non-finite value -Infinity in sequence 5 .*step 0/] },
  { name: 'float64 --data', argv: (c) => own(c.f.f64), stderr: [/f64\.npy: unsupported dtype float64 \('<f8'\); expected float32 \('<f4'\)/] },
  { name: 'int32 --data', argv: (c) => own(c.f.i32), stderr: [/--data .*i32\.npy: observations must be float32 or uint8, found int32 \[20,4,6\]/] },
  { name: 'big-endian --data', argv: (c) => own(c.f.bigEndian), stderr: [/be\.npy: unsupported dtype big-endian float32 \('>f4'\); expected float32 \('<f4'\)/] },
  { name: 'Fortran-order --data', argv: (c) => own(c.f.fortran), stderr: [/fortran\.npy: Fortran-order arrays are not supported; expected C order/] },
  { name: 'zero sequences (N = 0)', argv: (c) => own(c.f.zeroN), stderr: [/--data .*zero-n\.npy: no sequences \(N = 0 in shape \[0,4,6\]\)/] },
  { name: 'zero-sized observations (D = 0)', argv: (c) => own(c.f.zeroD), stderr: [/--data .*zero-d\.npy: zero-sized observation in shape \[20,4,0\]/] },
  { name: 'T = 1 (no transitions)', argv: (c) => own(c.f.t1), stderr: [/--data .*t1\.npy: expected N×T×D with T ≥ 2 .*found shape \[20,1,6\]/] },
  { name: 'rank-1 --data', argv: (c) => own(c.f.flat), stderr: [/--data .*flat\.npy: expected N×T×D .*found shape \[480\]/] },
  { name: 'truncated .npy', argv: (c) => own(c.f.truncated), stderr: [/truncated\.npy: truncated data: shape \[20,4,6\] float32 needs 1920 bytes, found 920/] },
  { name: '.npy cut inside its header', argv: (c) => own(c.f.headerOnly), stderr: [/header-only\.npy: truncated \.npy header \(needs 128 bytes, file has 40\)/] },
  { name: 'random bytes as .npy', argv: (c) => own(c.f.garbage), stderr: [/garbage\.npy: not a \.npy file \(expected the magic bytes \\x93NUMPY/] },
  { name: 'empty .npy file', argv: (c) => own(c.f.empty), stderr: [/empty\.npy: not a \.npy file .*found ""/] },
  { name: 'truncated .npz', argv: (c) => own(c.f.npzTruncated), stderr: [/--data .*truncated\.npz: not a readable \.npz \(zip\) archive/] },
  { name: '.npz without an observations array', argv: (c) => own(c.f.npzAmbiguous), stderr: [/--data .*ambiguous\.npz: cannot tell which array holds the observations \(found a, b\); name it one of obs/] },
  { name: 'directory without shards', argv: (c) => own(c.f.emptyDir), stderr: [/--data .*empty-dir: the directory holds no \.npy or \.npz shards/] },
  { name: '--actions of the wrong shape', argv: (c) => own(c.f.good, '--actions', c.f.actionsShape), stderr: [/--actions .*actions-shape\.npy: expected N×\(T−1\)×d_a .*\[20,3,d_a\] or \[20,3\].*found \[20,2,2\] float32/] },
  { name: 'NaN in --actions', argv: (c) => own(c.f.good, '--actions', c.f.actionsNan), stderr: [/--actions .*actions-nan\.npy: non-finite action NaN at sequence 0, step 0/] },
  { name: 'zero sequences (diagnose)', argv: (c) => ['diagnose', '--data', c.f.zeroN], stderr: [/--data: .*zero-n\.npy: expected N ≥ 1 sequences, found shape \[0×4×6\]/] },
  { name: 'truncated .npy (diagnose)', argv: (c) => ['diagnose', '--data', c.f.truncated], stderr: [/--data: .*truncated\.npy: truncated data: shape \[20,4,6\] float32 needs 1920 bytes, found 920/] },

  // ---- checkpoints ----
  { name: 'truncated checkpoint', argv: (c) => ['train', '--resume', c.ck.truncated, '--steps', '9'], stderr: [/--resume: .*checkpoint\.safetensors: tensor '[^']+' ends at byte \d+ of the data block, which has only \d+ bytes: the file is truncated/] },
  { name: 'empty checkpoint', argv: (c) => ['train', '--resume', c.ck.empty, '--steps', '9'], stderr: [/--resume: .*checkpoint\.safetensors: 0 bytes is shorter than the 8-byte header length/] },
  { name: 'bit flip in a checkpoint tensor', argv: (c) => ['train', '--resume', c.ck.bitflip, '--steps', '9'], stderr: [/--resume: .*checkpoint\.safetensors: tensor '[^']+' fails its sha256 checksum \(stored [0-9a-f]+…, computed [0-9a-f]+…\)/] },
  { name: 'checkpoint header length past the end', argv: (c) => ['train', '--resume', c.ck['header-length'], '--steps', '9'], stderr: [/header length 1000000000000 runs past the end of the file \(\d+ bytes\)/] },
  { name: 'random bytes as checkpoint', argv: (c) => ['train', '--resume', c.ck.garbage, '--steps', '9'], stderr: [/--resume: .*checkpoint\.safetensors: header length \d+ runs past the end of the file \(5000 bytes\)/] },
  { name: 'run directory without a checkpoint', argv: (c) => ['train', '--resume', c.ck['no-checkpoint'], '--steps', '9'], stderr: [/--resume: .*no-checkpoint: no checkpoint\.safetensors/] },
  { name: 'resume with a different preset', argv: (c) => ['train', '--resume', c.run, '--preset', 'linear-1k', '--steps', '9'], stderr: [/was trained with --preset "linear-exo", got --preset "linear-1k"/] },
  { name: 'resume past --steps', argv: (c) => ['train', '--resume', c.run, '--steps', '2'], stderr: [/is already at step 4 of --steps 2; pass a larger --steps/] },
  { name: 'export from a corrupted checkpoint', argv: (c) => ['export', '--run', c.ck.bitflip, '--graph', 'idm', '--out', join(c.f.emptyDir, '..', 'x.onnx')], stderr: [/checkpoint\.safetensors: tensor '[^']+' fails its sha256 checksum/] },
];

let ctx: Ctx;
let dir: string;

describe('bad input through the CLI: clean error, exit 2, no stack trace, no crash, no hang', () => {
  beforeAll(async () => {
    requireBuild();
    dir = mkdtempSync(join(tmpdir(), 'lamkit-hardening-'));
    const f = writeDataFixtures(dir, testSeed());
    const run = join(dir, 'run');
    const model = join(dir, 'idm.onnx');
    const good = await runCli(['train', '--preset', 'linear-exo', '--steps', '4', '--batch', '16', '--backend', 'reference', '--out', run], { cwd: dir });
    expect(good.code, `fixture run failed:\n${good.stderr}`).toBe(0);
    const exp = await runCli(['export', '--run', run, '--graph', 'idm', '--out', model], { cwd: dir });
    expect(exp.code, `fixture export failed:\n${exp.stderr}`).toBe(0);
    const ckDir = join(dir, 'checkpoints');
    mkdirSync(ckDir);
    ctx = { f, ck: corruptCheckpoints(run, ckDir), run, model, proc: `/proc/lamkit-hardening-${process.pid}/out` };
  }, 120_000);
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const row of ROWS) {
    const why = row.skip?.();
    if (why) {
      it.skip(`${row.name} (${why})`, () => {});
      continue;
    }
    it.concurrent(row.name, async () => {
      const argv = row.argv(ctx);
      const r = await runCli(argv, { cwd: dir });
      const problems = cleanFailureProblems(r, { code: 2, stderr: row.stderr });
      expect(problems, `lamkit ${argv.join(' ')}\n--- stderr ---\n${r.stderr.slice(-2000)}\n--- problems`).toEqual([]);
    }, 120_000);
  }
});
