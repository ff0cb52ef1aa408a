/**
 * `lamkit export --run DIR --graph idm|fdm [--out FILE]` — writes the IDM or FDM of a trained
 * run as an ONNX model (opset 17, dynamic batch, parameters as initializers, metadata: preset,
 * graph, lamkit version, training config). Default output: DIR/<graph>.onnx.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { INFERENCE_GRAPHS, exportPreset } from '../onnx/export-preset.js';
import { loadRun } from '../onnx/run-dir.js';
import { ONNX_OPSET } from '../onnx/proto.js';
import { UsageError, parseFlags } from './usage.js';

const HELP = `usage: lamkit export --run DIR --graph idm|fdm [--out FILE]

Exports a trained model's inference graph to ONNX (opset ${ONNX_OPSET}, dynamic batch
dimension 'batch', parameters as initializers, metadata: preset, graph, lamkit_version,
training_config). A VQ run's IDM also outputs code (int32, the nearest-code index) and its z
is the code vector. Run it with \`lamkit infer\`, onnxruntime or any ONNX runtime.
  --run DIR      a directory written by \`lamkit train --out DIR\` (engine or gridworld run)
  --graph G      idm: (o_t, o_t1) → z   |   fdm: (o_t, z) → pred
  --out FILE     the .onnx file to write (default DIR/<graph>.onnx)
  --json         print a JSON summary instead of text`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseFlags('export', argv, {
    run: { type: 'string' },
    graph: { type: 'string' },
    out: { type: 'string' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (!values.run) throw new UsageError(`export: --run DIR is required\n${HELP}`);
  if (!values.graph) throw new UsageError(`export: --graph is required (one of ${INFERENCE_GRAPHS.join(', ')})`);
  if (!(INFERENCE_GRAPHS as readonly string[]).includes(values.graph))
    throw new UsageError(`export: unknown --graph '${values.graph}'; expected one of ${INFERENCE_GRAPHS.join(', ')}`);
  const r = loadRun(values.run);
  const res = exportPreset({
    preset: r.preset,
    model: r.model,
    graph: values.graph,
    params: r.params,
    codebook: r.codebook,
    source: `--run ${values.run}`,
    metadata: { training_config: JSON.stringify(r.config) },
  });
  const out = values.out ?? join(values.run, `${values.graph}.onnx`);
  try {
    writeFileSync(out, res.bytes);
  } catch (e) {
    throw new UsageError(`--out ${out}: cannot write the model (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); expected a writable file path`);
  }
  const io = (xs: typeof res.inputs) => xs.map((t) => `${t.name} ${t.dtype} [${t.dims.join(',')}]`).join(', ');
  if (values.json) {
    console.log(JSON.stringify({ out, preset: r.preset, graph: values.graph, opset: ONNX_OPSET, bytes: res.bytes.length, nodes: res.model.graph?.node?.length ?? 0, inputs: res.inputs, outputs: res.outputs }));
  } else {
    console.log(`wrote ${out} (${(res.bytes.length / 1024).toFixed(1)} KiB, opset ${ONNX_OPSET}, ${res.model.graph?.node?.length ?? 0} nodes)`);
    console.log(`  ${r.preset} ${values.graph}: ${io(res.inputs)} → ${io(res.outputs)}`);
  }
  return 0;
}
