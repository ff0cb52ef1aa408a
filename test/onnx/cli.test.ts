/**
 * `lamkit export` / `lamkit infer` end to end on a run directory: export the IDM and FDM,
 * run them on .npy inputs in both runtimes, compare with lamkit's forward pass, and check that
 * every bad input (missing run, run without parameters, unknown graph, .npy of the wrong
 * dtype/shape, missing/unknown input) is an error naming the file, the expected and the found.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run as exportCmd } from '../../src/cli/export.js';
import { run as inferCmd } from '../../src/cli/infer.js';
import { encodeNpy, readNpy, writeNpy } from '../../src/data/npy.js';
import { buildFdmGraph, buildIdmGraph, buildLam } from '../../src/lam/presets.js';
import { saveCheckpoint } from '../../src/lam/checkpoint.js';
import { compileReference } from '../../src/graph/runner.js';
import { plan } from '../../src/graph/plan.js';
import { describeModel } from '../../src/onnx/model-info.js';
import { addVqLookup } from '../../src/onnx/vq-head.js';
import { Rng, testSeed } from '../../src/data/rng.js';
import { maxDiff, runReference } from './helpers.js';

const seed = testSeed();
const root = mkdtempSync(join(tmpdir(), 'lamkit-onnx-cli-'));

/**
 * A run directory written by the trainer's own checkpoint code (what `lamkit train --out`
 * calls), holding random parameters so biases are non-zero.
 */
function makeRun(preset: string, rng: Rng): { dir: string; params: Record<string, Float32Array> } {
  const dir = join(root, `${preset}-run`);
  const lam = buildLam(preset as 'grid32', { batch: 2 });
  lam.builder.output('recon', lam.recon);
  const model = compileReference(plan(lam.builder.graph));
  const params: Record<string, Float32Array> = {};
  for (const [name, shape] of Object.entries(model.paramShapes())) {
    const n = shape.reduce((a, b) => a * b, 1);
    params[name] = rng.fillNormal(new Float32Array(n), 0, 1 / Math.sqrt(n / shape[0]));
  }
  model.setParams(params);
  saveCheckpoint(dir, model, { preset, steps: 10, lr: 1e-3, seed: 7 });
  return { dir, params };
}

/** The same run as hand-written .npy parameters (DIR/params/<name>.npy + run.json). */
function makeNpyRun(preset: string, params: Record<string, Float32Array>): string {
  const dir = join(root, `${preset}-npy-run`);
  mkdirSync(join(dir, 'params'), { recursive: true });
  for (const [name, v] of [...buildIdmGraph(preset, 1).graph.params, ...buildFdmGraph(preset, 1).graph.params])
    writeNpy(join(dir, 'params', `${name}.npy`), { data: params[name], shape: [...v.shape] });
  writeFileSync(join(dir, 'run.json'), JSON.stringify({ preset }));
  return dir;
}

let logs: string[] = [];
afterEach(() => vi.restoreAllMocks());
function capture() {
  logs = [];
  vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void logs.push(a.join(' ')));
}

describe(`lamkit export / infer (seed ${seed})`, () => {
  const rng = new Rng(seed);
  const { dir, params } = makeRun('grid32', rng);

  it('exports idm and fdm with metadata and runs them in both runtimes', async () => {
    capture();
    expect(await exportCmd(['--run', dir, '--graph', 'idm'])).toBe(0);
    expect(await exportCmd(['--run', dir, '--graph', 'fdm', '--out', join(dir, 'my-fdm.onnx')])).toBe(0);
    expect(logs.join('\n')).toMatch(/wrote .*idm\.onnx .*opset 17/);
    const info = describeModel(readFileSync(join(dir, 'idm.onnx')));
    expect(info.metadata.preset).toBe('grid32');
    expect(info.metadata.graph).toBe('idm');
    expect(info.metadata.lamkit_version).toMatch(/^\d+\.\d+\.\d+/);
    expect(JSON.parse(info.metadata.training_config)).toMatchObject({ preset: 'grid32', steps: 10 });
    expect(info.inputs.map((t) => `${t.name}[${t.dims.join(',')}]`)).toEqual(['o_t[batch,1,32,32]', 'o_t1[batch,1,32,32]']);

    const B = 4;
    const oT = rng.fillNormal(new Float32Array(B * 32 * 32));
    const oT1 = rng.fillNormal(new Float32Array(B * 32 * 32));
    writeNpy(join(dir, 'ot.npy'), { data: oT, shape: [B, 1, 32, 32] });
    writeNpy(join(dir, 'ot1.npy'), { data: oT1, shape: [B, 1, 32, 32] });
    const ref = runReference(buildIdmGraph('grid32', B).graph, { o_t: oT, o_t1: oT1 }, params);
    for (const rt of ['node', 'web']) {
      const out = join(dir, `out-${rt}`);
      capture();
      expect(await inferCmd(['--model', join(dir, 'idm.onnx'), '--input', `o_t=${join(dir, 'ot.npy')}`, '--input', `o_t1=${join(dir, 'ot1.npy')}`, '--runtime', rt, '--out', out, '--json'])).toBe(0);
      const js = JSON.parse(logs[0]) as { runtime: string; outputs: Record<string, { shape: number[]; data: number[] }> };
      expect(js.runtime).toBe(rt);
      expect(js.outputs.z.shape).toEqual([B, 8]);
      const z = readNpy(join(out, 'z.npy'), { dtype: 'float32', shape: [B, 8] }).data as Float32Array;
      const d = maxDiff(z, ref.z);
      expect(d.max, `${rt}: max |diff| ${d.max}`).toBeLessThanOrEqual(1e-4 * d.scale);
      expect(maxDiff(js.outputs.z.data, ref.z).max).toBeLessThanOrEqual(1e-4 * d.scale);
    }
    // The same parameters as .npy files export to the same model.
    const npyDir = makeNpyRun('grid32', params);
    capture();
    expect(await exportCmd(['--run', npyDir, '--graph', 'idm'])).toBe(0);
    const a = describeModel(readFileSync(join(npyDir, 'idm.onnx')));
    expect(a.inputs).toEqual(info.inputs);
    capture();
    expect(await inferCmd(['--model', join(npyDir, 'idm.onnx'), '--input', `o_t=${join(dir, 'ot.npy')}`, '--input', `o_t1=${join(dir, 'ot1.npy')}`, '--json'])).toBe(0);
    expect(maxDiff((JSON.parse(logs[0]) as { outputs: { z: { data: number[] } } }).outputs.z.data, ref.z).max).toBeLessThanOrEqual(1e-4 * 10);
    // FDM through the text path.
    writeNpy(join(dir, 'z.npy'), { data: ref.z as Float32Array, shape: [B, 8] });
    capture();
    expect(await inferCmd(['--model', join(dir, 'my-fdm.onnx'), '--input', `o_t=${join(dir, 'ot.npy')}`, '--input', `z=${join(dir, 'z.npy')}`])).toBe(0);
    expect(logs.join('\n')).toMatch(/pred float32 \[4,1,32,32\]/);
  });

  it('exports a VQ codebook saved as resident state with the IDM (z = code vector, code = index)', async () => {
    const g = buildIdmGraph('grid32', 3);
    const codebook = rng.fillNormal(new Float32Array(16 * 8));
    const vq = addVqLookup(g, g.graph.outputs.get('z')!, codebook);
    g.output('z_q', vq.z);
    g.output('code', vq.code);
    const model = compileReference(plan(g.graph));
    const p: Record<string, Float32Array> = {};
    for (const name of Object.keys(model.paramShapes())) p[name] = params[name];
    model.setParams(p);
    const vdir = join(root, 'vq-run');
    saveCheckpoint(vdir, model, { preset: 'grid32', bottleneck: 'vq:16' });
    capture();
    expect(await exportCmd(['--run', vdir, '--graph', 'idm', '--json'])).toBe(0);
    const js = JSON.parse(logs[0]) as { outputs: { name: string; dtype: string }[] };
    expect(js.outputs.map((o) => `${o.name}:${o.dtype}`)).toEqual(['z:float32', 'code:int32']);
    const oT = rng.fillNormal(new Float32Array(3 * 32 * 32));
    const oT1 = rng.fillNormal(new Float32Array(3 * 32 * 32));
    writeNpy(join(vdir, 'a.npy'), { data: oT, shape: [3, 1, 32, 32] });
    writeNpy(join(vdir, 'b.npy'), { data: oT1, shape: [3, 1, 32, 32] });
    const ref = runReference(g.graph, { o_t: oT, o_t1: oT1 }, p);
    capture();
    expect(await inferCmd(['--model', join(vdir, 'idm.onnx'), '--input', `o_t=${join(vdir, 'a.npy')}`, '--input', `o_t1=${join(vdir, 'b.npy')}`, '--json'])).toBe(0);
    const out = (JSON.parse(logs[0]) as { outputs: Record<string, { dtype: string; data: number[] }> }).outputs;
    expect(out.code.dtype).toBe('int32');
    expect(out.code.data).toEqual(Array.from(ref.code));
    expect(maxDiff(out.z.data, ref.z_q).max).toBeLessThanOrEqual(1e-5);
  });

  it('rejects a missing run, a run without parameters and an unknown graph', async () => {
    await expect(exportCmd(['--run', join(root, 'nope'), '--graph', 'idm'])).rejects.toThrow(`--run ${join(root, 'nope')}: no such run directory`);
    const empty = join(root, 'empty-run');
    mkdirSync(empty, { recursive: true });
    writeFileSync(join(empty, 'run.json'), JSON.stringify({ preset: 'grid32' }));
    await expect(exportCmd(['--run', empty, '--graph', 'idm'])).rejects.toThrow(/the run has no parameters/);
    await expect(exportCmd(['--run', dir, '--graph', 'policy'])).rejects.toThrow("unknown --graph 'policy'; expected one of idm, fdm");
    const partial = join(root, 'partial-run');
    mkdirSync(join(partial, 'params'), { recursive: true });
    writeFileSync(join(partial, 'run.json'), JSON.stringify({ preset: 'grid32' }));
    writeNpy(join(partial, 'params', 'idm.fc.weight.npy'), { data: new Float32Array(3), shape: [3] });
    await expect(exportCmd(['--run', partial, '--graph', 'idm'])).rejects.toThrow(/parameter 'idm\.conv1\.weight' \[8,2,4,4\] of the grid32 IDM is missing/);
  });

  it('rejects .npy inputs of the wrong dtype or shape, naming file, expected and found', async () => {
    const model = join(dir, 'idm.onnx');
    const good = join(dir, 'ot.npy');
    const u8 = join(dir, 'u8.npy');
    writeNpy(u8, { data: new Uint8Array(4 * 32 * 32), shape: [4, 1, 32, 32] });
    await expect(inferCmd(['--model', model, '--input', `o_t=${u8}`, '--input', `o_t1=${good}`])).rejects.toThrow(
      `${u8} (input 'o_t'): expected dtype float32, found uint8`,
    );
    const f64 = join(dir, 'f64.npy');
    // float64 '<f8' written by hand: the reader refuses it, the message says what the model wants.
    const raw = encodeNpy({ data: new Float32Array(8 * 32 * 32), shape: [8192] });
    const hdr = new TextDecoder('latin1')
      .decode(raw.subarray(0, 128))
      .replace("'<f4'", "'<f8'")
      .replace('(8192,)', '(4, 1, 32, 32)')
      .replace(/ *\n$/, '')
      .padEnd(127, ' ') + '\n';
    writeFileSync(f64, Buffer.concat([Buffer.from(hdr, 'latin1'), Buffer.from(raw.subarray(128))]));
    await expect(inferCmd(['--model', model, '--input', `o_t=${f64}`, '--input', `o_t1=${good}`])).rejects.toThrow(
      `${f64} (input 'o_t'): expected dtype float32 [batch,1,32,32], found float64`,
    );
    const bad = join(dir, 'bad.npy');
    writeNpy(bad, { data: new Float32Array(4 * 3 * 32 * 32), shape: [4, 3, 32, 32] });
    await expect(inferCmd(['--model', model, '--input', `o_t=${good}`, '--input', `o_t1=${bad}`])).rejects.toThrow(
      `${bad} (input 'o_t1'): expected shape [batch,1,32,32], found [4,3,32,32]`,
    );
    const b2 = join(dir, 'b2.npy');
    writeNpy(b2, { data: new Float32Array(2 * 32 * 32), shape: [2, 1, 32, 32] });
    await expect(inferCmd(['--model', model, '--input', `o_t=${good}`, '--input', `o_t1=${b2}`])).rejects.toThrow(/dimension 'batch' is 2, but .*ot\.npy \(input 'o_t'\) has batch = 4/);
    await expect(inferCmd(['--model', model, '--input', `o_t=${good}`])).rejects.toThrow(/missing --input for o_t1 float32 \[batch,1,32,32\]/);
    await expect(inferCmd(['--model', model, '--input', `x=${good}`, '--input', `o_t=${good}`])).rejects.toThrow(/has no input 'x' \(inputs: o_t float32 \[batch,1,32,32\]; o_t1/);
    await expect(inferCmd(['--model', model, '--input', 'o_t'])).rejects.toThrow("--input: expected NAME=FILE.npy, got 'o_t'");
    await expect(inferCmd(['--model', join(dir, 'none.onnx'), '--input', `o_t=${good}`])).rejects.toThrow(/none\.onnx: cannot read \(ENOENT\)/);
    await expect(inferCmd(['--model', model, '--input', `o_t=${good}`, '--input', `o_t1=${good}`, '--runtime', 'gpu'])).rejects.toThrow("--runtime must be one of node, web, got 'gpu'");
  });
});
