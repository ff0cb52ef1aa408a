#!/usr/bin/env node
/**
 * Exports the training-step tapes of lamkit presets so the CUDA benchmark can run them on a GPU
 * machine without Node (scripts/cuda-gpu-check.sh → benchmarks/cuda/cuda_bench.cu).
 *
 *   node scripts/cuda-export-tapes.mjs [--dist dist] [--out benchmarks/cuda/tapes]
 *                                      [preset:batch …]   (default conv64:256 linear-1k:1024)
 *
 * Uses the compiled engine (npm run build:ts → dist/): buildLam(preset) → addTrainingStep
 * (Adam, lr 1e-3, as PRESETS.md) → plan(). Per preset it writes <out>/<preset>-b<batch>/:
 *   tape.i32   the tape, little-endian int32 words
 *   init.f32   verbatim initial values of the small resident buffers (little-endian float32)
 *   meta.txt   `key value` lines: preset, batch, arena_floats, feed_floats, out_floats, then one
 *              `init <offset> <length> zero | verbatim <pos> | normal <mean> <std>` per resident
 *              buffer. Large parameter tensors are stored as their mean/std and redrawn by the
 *              benchmark (timing does not depend on the exact values; it keeps the repo small).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
let dist = join(root, 'dist');
let out = join(root, 'benchmarks', 'cuda', 'tapes');
const wanted = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--dist') dist = resolve(args[++i]);
  else if (args[i] === '--out') out = resolve(args[++i]);
  else if (/^[\w-]+:\d+$/.test(args[i])) wanted.push(args[i]);
  else {
    console.error(`cuda-export-tapes: unknown argument '${args[i]}'; expected --dist DIR, --out DIR or preset:batch`);
    process.exit(2);
  }
}
if (wanted.length === 0) wanted.push('conv64:256', 'linear-1k:1024');

const imp = (p) => import(pathToFileURL(join(dist, 'src', p)).href);
let presets, objective, planMod;
try {
  presets = await imp('lam/presets.js');
  objective = await imp('lam/objective.js');
  planMod = await imp('graph/plan.js');
} catch (e) {
  console.error(`cuda-export-tapes: cannot load the compiled engine from ${dist} (run \`npm run build:ts\` first): ${e.message}`);
  process.exit(1);
}

const VERBATIM_MAX = 65536; // floats; larger non-zero buffers are stored as mean/std

for (const spec of wanted) {
  const [preset, batchStr] = spec.split(':');
  const batch = Number(batchStr);
  const lam = presets.buildLam(preset, { batch, seed: 1 });
  objective.addTrainingStep(lam.builder, lam.recon, { optimizer: 'adam', lr: 1e-3 });
  const p = planMod.plan(lam.builder.graph);
  const prog = p.program;
  const dir = join(out, `${preset}-b${batch}`);
  mkdirSync(dir, { recursive: true });
  const lines = [
    `preset ${preset}`,
    `batch ${batch}`,
    `arena_floats ${prog.arenaFloats}`,
    `feed_floats ${prog.feedFloatsPerStep}`,
    `out_floats ${prog.outFloatsPerStep}`,
  ];
  const verbatim = [];
  let pos = 0;
  for (const init of p.inits) {
    const d = init.data;
    let mean = 0;
    let nz = false;
    for (let i = 0; i < d.length; i++) {
      mean += d[i];
      if (d[i] !== 0) nz = true;
    }
    if (!nz) {
      lines.push(`init ${init.offset} ${d.length} zero`);
    } else if (d.length <= VERBATIM_MAX) {
      lines.push(`init ${init.offset} ${d.length} verbatim ${pos}`);
      verbatim.push(d);
      pos += d.length;
    } else {
      mean /= d.length;
      let v = 0;
      for (let i = 0; i < d.length; i++) v += (d[i] - mean) ** 2;
      lines.push(`init ${init.offset} ${d.length} normal ${mean} ${Math.sqrt(v / d.length)}`);
    }
  }
  const all = new Float32Array(pos);
  let at = 0;
  for (const d of verbatim) {
    all.set(d, at);
    at += d.length;
  }
  writeFileSync(join(dir, 'tape.i32'), Buffer.from(prog.tape.buffer, prog.tape.byteOffset, prog.tape.byteLength));
  writeFileSync(join(dir, 'init.f32'), Buffer.from(all.buffer));
  writeFileSync(join(dir, 'meta.txt'), lines.join('\n') + '\n');
  const ops = new Map();
  for (const o of p.ops) ops.set(o.op, (ops.get(o.op) ?? 0) + 1);
  console.log(`${preset} batch ${batch}: ${prog.tape.length} tape words, ${p.ops.length} instructions, arena ${(prog.arenaFloats * 4 / 2 ** 20).toFixed(1)} MiB, feed ${prog.feedFloatsPerStep} floats/step → ${dir}`);
  console.log(`  ops: ${[...ops].map(([k, v]) => `${k}×${v}`).join(' ')}`);
}
