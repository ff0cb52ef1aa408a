/**
 * `mkdir -p` that always terminates. Node 20's `mkdirSync(dir, { recursive: true })` (and the
 * promise form) spins forever when a parent exists but cannot hold children — any path under
 * /proc, for one: mkdir('/proc/x') is ENOENT, mkdir('/proc') is EEXIST, and it retries both
 * for ever. Here each missing component is created once, top-down, and the first failure is
 * thrown as is (ENOENT, ENOTDIR, EACCES, EROFS …) for the caller to name its flag.
 */
import { mkdirSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export function makeDir(dir: string): void {
  const missing: string[] = [];
  let p = resolve(dir);
  // statSync throws ENOTDIR (a regular file on the way) and EACCES as they are.
  while (!statSync(p, { throwIfNoEntry: false })) {
    missing.push(p);
    const up = dirname(p);
    if (up === p) break;
    p = up;
  }
  if (!missing.length && !statSync(p).isDirectory()) mkdirSync(p); // EEXIST names the file
  for (const m of missing.reverse()) {
    try {
      mkdirSync(m);
    } catch (e) {
      // Created meanwhile by someone else: fine if it is a directory now.
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || !statSync(m).isDirectory()) throw e;
    }
  }
}

/**
 * Creates `dir` and checks a file can be written in it, before a long command starts work, so
 * a bad output path fails in a second instead of after the training. Throws a RangeError
 * naming `flag`, the path and the system error (the CLI prints it without a stack, exit 2).
 */
export function ensureWritableDir(dir: string, flag: string): void {
  const probe = join(resolve(dir), `.lamkit-write-probe-${process.pid}`);
  try {
    makeDir(dir);
    writeFileSync(probe, '');
    unlinkSync(probe);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new RangeError(`${flag} ${dir}: cannot write the output directory (${err.code ?? err.message}); expected a writable directory`);
  }
}
