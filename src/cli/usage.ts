import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A command-line mistake: printed without a stack trace, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/**
 * Parses a command's flags with node:util parseArgs, turning its errors (unknown flag, missing
 * value) into a UsageError that names the command and the flag.
 */
export function parseFlags<T extends NonNullable<ParseArgsConfig['options']>>(
  command: string,
  argv: string[],
  options: T,
  allowPositionals = false,
): ReturnType<typeof parseArgs<{ args: string[]; options: T; allowPositionals: boolean; strict: true }>> {
  try {
    return parseArgs({ args: argv, options, allowPositionals, strict: true });
  } catch (e) {
    throw new UsageError(`${command}: ${(e as Error).message}`);
  }
}

/** Parses a numeric flag, naming the flag, the value seen and the allowed range on error. */
export function numberFlag(
  name: string,
  value: string | undefined,
  fallback: number,
  opts: { min?: number; max?: number; integer?: boolean; minExclusive?: boolean } = {},
): number {
  if (value === undefined) return fallback;
  const v = Number(value);
  const range = `${opts.minExclusive ? '(' : '['}${opts.min ?? '-∞'}, ${opts.max ?? '∞'}]`;
  if (value.trim() === '' || !Number.isFinite(v)) throw new UsageError(`--${name}: expected a number in ${range}, got '${value}'`);
  if (opts.integer && !Number.isInteger(v)) throw new UsageError(`--${name}: expected an integer in ${range}, got ${value}`);
  if (opts.min !== undefined && (opts.minExclusive ? v <= opts.min : v < opts.min))
    throw new UsageError(`--${name}: expected a value in ${range}, got ${value}`);
  if (opts.max !== undefined && v > opts.max) throw new UsageError(`--${name}: expected a value in ${range}, got ${value}`);
  return v;
}
