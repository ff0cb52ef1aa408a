/**
 * `lamkit bench <kernels|train> …` — dispatches to the benchmark commands:
 *   bench kernels  per-kernel GFLOP/s on every backend vs OpenBLAS / PyTorch / FMA peak
 *                  (src/cli/bench-kernels.ts)
 *   bench train    training inner loop, steps/s vs PyTorch (src/cli/bench-train.ts)
 * Each sub-module is imported lazily, like the top-level commands.
 */
import { UsageError } from './usage.js';

const SUB: Record<string, { file: string; summary: string }> = {
  kernels: { file: './bench-kernels.js', summary: 'kernel GFLOP/s per backend (GEMM, conv64 convolutions) vs OpenBLAS, PyTorch, FMA peak' },
  train: { file: './bench-train.js', summary: 'training steps/s per backend and preset vs PyTorch' },
};

function usage(): string {
  return ['usage: lamkit bench <kernels|train> [options]', '', ...Object.entries(SUB).map(([k, v]) => `  ${k.padEnd(8)} ${v.summary}`), '', 'Run `lamkit bench <kind> --help` for its options.'].join('\n');
}

export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h') {
    console.log(usage());
    return sub === undefined ? 2 : 0;
  }
  const entry = SUB[sub];
  if (!entry) throw new UsageError(`bench: unknown benchmark '${sub}'; expected one of ${Object.keys(SUB).join(', ')}`);
  const spec = entry.file; // a variable: bench-train.ts belongs to another part and may be absent
  let mod: { run(argv: string[]): Promise<number> };
  try {
    mod = (await import(spec)) as { run(argv: string[]): Promise<number> };
  } catch (e) {
    const msg = (e as Error).message ?? String(e);
    if (/Cannot find module|ERR_MODULE_NOT_FOUND/.test(msg)) throw new Error(`bench ${sub}: ${entry.file} is not part of this build`);
    throw e;
  }
  return mod.run(rest);
}
