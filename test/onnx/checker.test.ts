/**
 * The exported files pass the official ONNX checker (onnx.checker.check_model with
 * full_check = strict shape inference) when /usr/bin/python3 has the `onnx` package (Debian:
 * python3-onnx); skipped with the reason otherwise. Covers every preset graph and the VQ IDM.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildFdmGraph, buildIdmGraph, getPreset } from '../../src/lam/presets.js';
import { exportPreset } from '../../src/onnx/export-preset.js';
import { Rng, testSeed } from '../../src/data/rng.js';

function onnxChecker(): string | null {
  try {
    execFileSync('/usr/bin/python3', ['-c', 'import onnx.checker'], { stdio: 'pipe' });
    return null;
  } catch {
    return 'python3-onnx is not installed for /usr/bin/python3';
  }
}

const why = onnxChecker();

describe('onnx checker', () => {
  it.skipIf(why !== null)(`accepts every exported preset graph${why ? ` (skipped: ${why})` : ''}`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'lamkit-onnx-check-'));
    const rng = new Rng(testSeed());
    const files: string[] = [];
    for (const preset of ['linear-exo', 'grid32', 'conv64'])
      for (const graph of ['idm', 'fdm'] as const) {
        const params: Record<string, Float32Array> = {};
        for (const g of [buildIdmGraph(preset, 1), buildFdmGraph(preset, 1)])
          for (const [n, v] of g.graph.params) params[n] = rng.fillNormal(new Float32Array(v.size), 0, 0.1);
        const vq = preset === 'grid32' && graph === 'idm' ? rng.fillNormal(new Float32Array(16 * getPreset(preset).spec.k)) : null;
        const { bytes } = exportPreset({ preset, graph, params, codebook: vq });
        const f = join(dir, `${preset}-${graph}${vq ? '-vq' : ''}.onnx`);
        writeFileSync(f, bytes);
        files.push(f);
      }
    const out = execFileSync('/usr/bin/python3', [
      '-c',
      `import sys, onnx
for f in sys.argv[1:]:
    m = onnx.load(f)
    onnx.checker.check_model(m, full_check=True)
    inf = onnx.shape_inference.infer_shapes(m, strict_mode=True)
    outs = [(o.name, [d.dim_param or d.dim_value for d in o.type.tensor_type.shape.dim]) for o in inf.graph.output]
    print(f.split('/')[-1], m.opset_import[0].version, outs)`,
      ...files,
    ]).toString();
    const lines = out.trim().split('\n');
    expect(lines).toHaveLength(files.length);
    expect(out).toContain("grid32-idm-vq.onnx 17 [('z', ['batch', 8]), ('code', ['batch'])]");
    expect(out).toContain("conv64-fdm.onnx 17 [('pred', ['batch', 3, 64, 64])]");
  });
});
