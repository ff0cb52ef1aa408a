/** Runs `lamkit diagnose` in process for the diagnose tests, console output captured or muted. */
import { expect, vi } from 'vitest';
import type { Diagnosis } from '../../src/analysis/diagnose.js';
import { run } from '../../src/cli/diagnose.js';

export type DiagnoseJson = Diagnosis & { r2_a: number | null; floor: number; non_action_dims: number | null };

/** Runs the CLI with --json and returns the parsed object. */
export async function runJson(args: string[]): Promise<DiagnoseJson> {
  const out: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((s: unknown) => void out.push(String(s)));
  const err = vi.spyOn(console, 'error').mockImplementation(() => {});
  try {
    expect(await run([...args, '--json'])).toBe(0);
  } finally {
    log.mockRestore();
    err.mockRestore();
  }
  return JSON.parse(out.join('\n'));
}

/** Runs the CLI with its output muted; resolves to the exit code or rejects with its error. */
export async function quiet(args: string[]): Promise<number> {
  const log = vi.spyOn(console, 'log').mockImplementation(() => {});
  const err = vi.spyOn(console, 'error').mockImplementation(() => {});
  try {
    return await run(args);
  } finally {
    log.mockRestore();
    err.mockRestore();
  }
}
