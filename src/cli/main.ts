#!/usr/bin/env node
/**
 * `lamkit` entry point. Each command lives in its own file under src/cli and exports
 * `run(argv: string[]): Promise<number>` (the exit code); it is loaded only when called so a
 * broken optional part (say, onnxruntime) never stops the others.
 */
import { UsageError } from './usage.js';

const COMMANDS: Record<string, { file: string; summary: string }> = {
  demo: { file: './demo.js', summary: 'reproduce the paper findings on built-in data and write lamkit-report/' },
  train: { file: './train.js', summary: 'train a preset (linear-exo, linear-1k, conv64, grid32)' },
  analyze: { file: './analyze.js', summary: 'closed-form or trained analysis of exogenous leakage' },
  sweep: { file: './sweep.js', summary: 'nonlinear sweep: distractor strength × objective × bottleneck' },
  diagnose: { file: './diagnose.js', summary: 'leakage-risk diagnostic for your own data' },
  export: { file: './export.js', summary: 'export a trained IDM/FDM to ONNX' },
  infer: { file: './infer.js', summary: 'run an exported ONNX model with onnxruntime' },
  bench: { file: './bench.js', summary: 'benchmarks: `bench kernels` and `bench train`' },
  doctor: { file: './doctor.js', summary: 'which backends are available here, and why not' },
  serve: { file: './serve.js', summary: 'serve the browser playground on 127.0.0.1' },
};

function usage(): string {
  const lines = ['usage: lamkit <command> [options]', '', 'commands:'];
  for (const [name, c] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(10)} ${c.summary}`);
  lines.push('', 'Run `lamkit <command> --help` for the options of one command.');
  return lines.join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === undefined || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    console.log(usage());
    return cmd === undefined ? 1 : 0;
  }
  if (cmd === '--version' || cmd === '-v') {
    const { LAMKIT_VERSION } = await import('../version.js');
    console.log(LAMKIT_VERSION);
    return 0;
  }
  const entry = COMMANDS[cmd];
  if (!entry) throw new UsageError(`unknown command '${cmd}'; expected one of ${Object.keys(COMMANDS).join(', ')}`);
  const mod = (await import(entry.file)) as { run(argv: string[]): Promise<number> };
  return mod.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof UsageError) {
      console.error(`lamkit: ${err.message}`);
      process.exitCode = 2;
    } else if (err instanceof TypeError || err instanceof RangeError) {
      console.error(`lamkit: ${err.message}`);
      if (process.env.LAMKIT_DEBUG) console.error(err.stack);
      process.exitCode = 2;
    } else {
      console.error(err instanceof Error ? (process.env.LAMKIT_DEBUG ? err.stack : `lamkit: ${err.message}`) : err);
      process.exitCode = 1;
    }
  },
);
