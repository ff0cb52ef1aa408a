/**
 * `lamkit infer --model FILE --input NAME=FILE.npy … [--runtime node|web] [--threads N]
 *  [--json] [--out DIR]` — runs an exported ONNX model with onnxruntime-node (native CPU) or
 * onnxruntime-web (WASM), on inputs from .npy files checked against the model's declared
 * inputs. Prints a summary of each output, the full outputs as JSON with --json, and writes
 * NAME.npy per output with --out.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeNpy } from '../data/npy.js';
import { makeDir } from '../util/make-dir.js';
import { loadFeeds, parseInputSpec } from '../onnx/feeds.js';
import { describeModel } from '../onnx/model-info.js';
import { ONNX_RUNTIMES, openSession, type OnnxRuntimeKind, type OnnxTensor } from '../onnx/runtime.js';
import { UsageError, numberFlag, parseFlags } from './usage.js';

const HELP = `usage: lamkit infer --model FILE --input NAME=FILE.npy [--input …] [options]

Runs an ONNX model (e.g. from \`lamkit export\`) on .npy inputs.

  --model FILE        the .onnx file
  --input NAME=FILE   one per model input; dtype and shape are checked against the model
  --runtime R         node (onnxruntime-node, default) or web (onnxruntime-web, WASM)
  --threads N         intra-op threads (default 2 for node, 1 for web)
  --json              print outputs (shape, dtype, data) as JSON
  --out DIR           write each output as DIR/NAME.npy`;

/** An output as plain numbers (int64 narrowed to int32 when every value fits). */
function toPlain(name: string, t: OnnxTensor): { dtype: string; shape: number[]; data: Float32Array | Int32Array | Uint8Array } {
  if (t.data instanceof BigInt64Array) {
    const out = new Int32Array(t.data.length);
    for (let i = 0; i < out.length; i++) {
      const v = t.data[i];
      if (v > 2147483647n || v < -2147483648n) throw new RangeError(`output '${name}': int64 value ${v} does not fit int32`);
      out[i] = Number(v);
    }
    return { dtype: 'int32', shape: t.dims, data: out };
  }
  const dtype = t.data instanceof Float32Array ? 'float32' : t.data instanceof Int32Array ? 'int32' : 'uint8';
  return { dtype, shape: t.dims, data: t.data };
}

function summary(data: ArrayLike<number>): string {
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (let i = 0; i < data.length; i++) {
    min = Math.min(min, data[i]);
    max = Math.max(max, data[i]);
    sum += data[i];
  }
  const head = Array.from({ length: Math.min(6, data.length) }, (_, i) => Number(data[i].toPrecision(5))).join(', ');
  return `min ${min.toPrecision(5)}  mean ${(sum / Math.max(1, data.length)).toPrecision(5)}  max ${max.toPrecision(5)}  [${head}${data.length > 6 ? ', …' : ''}]`;
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseFlags('infer', argv, {
    model: { type: 'string' },
    input: { type: 'string', multiple: true },
    runtime: { type: 'string' },
    threads: { type: 'string' },
    json: { type: 'boolean' },
    out: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (!values.model) throw new UsageError(`infer: --model FILE is required\n${HELP}`);
  const runtime = (values.runtime ?? 'node') as OnnxRuntimeKind;
  if (!ONNX_RUNTIMES.includes(runtime)) throw new UsageError(`infer: --runtime must be one of ${ONNX_RUNTIMES.join(', ')}, got '${values.runtime}'`);
  const threads = values.threads === undefined ? undefined : numberFlag('threads', values.threads, 1, { min: 1, max: 256, integer: true });

  let bytes: Uint8Array;
  try {
    bytes = readFileSync(values.model);
  } catch (e) {
    throw new UsageError(`infer: --model ${values.model}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const info = describeModel(bytes, values.model);
  let specs;
  try {
    specs = (values.input ?? []).map(parseInputSpec);
  } catch (e) {
    throw new UsageError(`infer: ${(e as Error).message}`);
  }
  const feeds = loadFeeds(info, specs, values.model);

  const session = await openSession(bytes, runtime, { threads });
  const t0 = performance.now();
  const outs = await session.run(feeds);
  const ms = performance.now() - t0;
  await session.release();

  const plain = Object.fromEntries(info.outputs.map((o) => [o.name, toPlain(o.name, outs[o.name])]));
  if (values.out) {
    try {
      makeDir(values.out);
      for (const [name, o] of Object.entries(plain)) writeNpy(join(values.out, `${name.replace(/[^A-Za-z0-9_.-]/g, '_')}.npy`), { data: o.data, shape: o.shape });
    } catch (e) {
      throw new UsageError(`--out ${values.out}: cannot write the outputs (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); expected a writable directory`);
    }
  }
  if (values.json) {
    const outputs = Object.fromEntries(Object.entries(plain).map(([k, o]) => [k, { dtype: o.dtype, shape: o.shape, data: Array.from(o.data) }]));
    console.log(JSON.stringify({ model: values.model, runtime, metadata: info.metadata, ms: Number(ms.toFixed(3)), outputs }));
    return 0;
  }
  const meta = ['preset', 'graph'].filter((k) => info.metadata[k]).map((k) => `${k} ${info.metadata[k]}`).join(', ');
  console.log(`${values.model} (${info.producer || 'unknown producer'}, opset ${info.opset}${meta ? `, ${meta}` : ''}) on onnxruntime-${runtime}: ${ms.toFixed(2)} ms`);
  for (const o of info.outputs) {
    const p = plain[o.name];
    console.log(`  ${o.name} ${p.dtype} [${p.shape.join(',')}]  ${summary(p.data)}`);
  }
  if (values.out) console.log(`  wrote ${Object.keys(plain).length} output(s) to ${values.out}/`);
  return 0;
}
