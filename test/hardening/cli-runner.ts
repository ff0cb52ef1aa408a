/**
 * Runs the built CLI (dist/src/cli/main.js) as a child process, at most two at a time (the test
 * machine is small and shared), and checks that a failure is a clean one: the expected non-zero
 * exit code, no signal (crash / OOM kill), no hang, every expected message on stderr, and no
 * stack trace or Node internals in the output.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI = join(ROOT, 'dist', 'src', 'cli', 'main.js');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  ms: number;
}

const MAX_PARALLEL = 2;
let running = 0;
const waiting: (() => void)[] = [];
async function slot<T>(f: () => Promise<T>): Promise<T> {
  if (running >= MAX_PARALLEL) await new Promise<void>((r) => waiting.push(r));
  running++;
  try {
    return await f();
  } finally {
    running--;
    waiting.shift()?.();
  }
}

export function requireBuild(): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build:ts\` before the hardening tests`);
}

/** Runs `lamkit ...argv` in `cwd`; kills it after `timeoutMs` (a hang is a failure too). */
export function runCli(argv: string[], opts: { cwd: string; timeoutMs?: number; env?: Record<string, string> }): Promise<CliResult> {
  return slot(
    () =>
      new Promise<CliResult>((resolve, reject) => {
        const t0 = Date.now();
        const child = spawn(process.execPath, [CLI, ...argv], {
          cwd: opts.cwd,
          // LAMKIT_DEBUG would print stacks on purpose; one thread keeps the machine usable.
          env: { ...process.env, LAMKIT_DEBUG: '', LAMKIT_THREADS: '1', NO_COLOR: '1', ...opts.env },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let stdout = '';
        let stderr = '';
        child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
        child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
        let timedOut = false;
        const timer = setTimeout(() => {
          timedOut = true;
          child.kill('SIGKILL');
        }, opts.timeoutMs ?? 60_000);
        child.on('error', (e) => {
          clearTimeout(timer);
          reject(e);
        });
        child.on('close', (code, signal) => {
          clearTimeout(timer);
          resolve({ code, signal, timedOut, stdout, stderr, ms: Date.now() - t0 });
        });
      }),
  );
}

/** Lines that betray an unhandled error: stack frames, Node internals, a raw Error dump. */
const STACK = [/^\s+at .+(:\d+:\d+\)?|\(native\)|<anonymous>)$/m, /node:internal\//, /^\w*Error: /m, /Uncaught|UnhandledPromiseRejection|Segmentation fault|core dumped|Aborted/];

/** Problems with a run that should have failed cleanly (empty = fine). */
export function cleanFailureProblems(r: CliResult, expect: { code: number; stderr: RegExp[] }): string[] {
  const p: string[] = [];
  if (r.timedOut) p.push(`hung: killed after ${r.ms} ms`);
  else if (r.signal) p.push(`crashed: killed by ${r.signal}`);
  else if (r.code !== expect.code) p.push(`exit code ${r.code}, expected ${expect.code}`);
  for (const re of expect.stderr) if (!re.test(r.stderr)) p.push(`stderr does not match ${re}`);
  const all = `${r.stdout}\n${r.stderr}`;
  for (const re of STACK) if (re.test(all)) p.push(`output has a stack trace / internal error (${re})`);
  const last = r.stderr.trim().split('\n').at(-1) ?? '';
  if (!last.startsWith('lamkit: ')) p.push(`last stderr line is not a 'lamkit: …' message: ${JSON.stringify(last.slice(0, 200))}`);
  return p;
}
