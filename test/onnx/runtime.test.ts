/**
 * Both onnxruntime runners on a hand-built model (MatMul + bias Add + Relu, dynamic batch),
 * checked against a float64 JS forward pass, at two batch sizes through one session.
 */
import { describe, expect, it } from 'vitest';
import { OnnxBuilder, encodeModel, decodeModel } from '../../src/onnx/builder.js';
import { DT, ONNX_OPSET, toNum } from '../../src/onnx/proto.js';
import { openSession, ONNX_RUNTIMES } from '../../src/onnx/runtime.js';
import { Rng, testSeed } from '../../src/data/rng.js';

const seed = testSeed();

function tinyModel(w: Float32Array, b: Float32Array, din: number, dout: number): Uint8Array {
  const g = new OnnxBuilder('tiny');
  const x = g.input('x', DT.FLOAT, ['batch', din]);
  const W = g.initializer('W', w, [din, dout]);
  const B = g.initializer('b', b, [dout]);
  const y = g.op('Relu', [g.op('Add', [g.op('MatMul', [x, W]), B])]);
  g.output(y, 'y', DT.FLOAT, ['batch', dout]);
  return encodeModel(g.model({ preset: 'tiny' }));
}

describe(`onnx runtimes (seed ${seed})`, () => {
  const rng = new Rng(seed);
  const din = 5, dout = 3;
  const w = rng.fillNormal(new Float32Array(din * dout));
  const b = rng.fillNormal(new Float32Array(dout));
  const bytes = tinyModel(w, b, din, dout);

  it('writes opset, producer, metadata and a symbolic batch dimension', () => {
    const m = decodeModel(bytes);
    expect(toNum(m.opsetImport[0].version)).toBe(ONNX_OPSET);
    expect(m.producerName).toBe('lamkit');
    expect(m.metadataProps.map((p) => [p.key, p.value])).toEqual([['preset', 'tiny']]);
    expect(m.graph?.input?.[0].type?.tensorType?.shape?.dim?.[0].dimParam).toBe('batch');
  });

  for (const rt of ONNX_RUNTIMES) {
    it(`runs in onnxruntime-${rt} at batch 1 and 7`, async () => {
      const s = await openSession(bytes, rt);
      expect(s.inputNames).toEqual(['x']);
      expect(s.outputNames).toEqual(['y']);
      for (const n of [1, 7]) {
        const x = rng.fillNormal(new Float32Array(n * din));
        const out = (await s.run({ x: { data: x, dims: [n, din] } })).y;
        expect(out.dims).toEqual([n, dout]);
        let maxErr = 0;
        for (let i = 0; i < n; i++)
          for (let j = 0; j < dout; j++) {
            let acc = b[j];
            for (let k = 0; k < din; k++) acc += x[i * din + k] * w[k * dout + j];
            maxErr = Math.max(maxErr, Math.abs(Math.max(acc, 0) - (out.data as Float32Array)[i * dout + j]));
          }
        expect(maxErr, `max |diff| ${maxErr} (seed ${seed})`).toBeLessThan(1e-5);
      }
      await s.release();
    });
  }

  it('rejects an unknown runtime by name', async () => {
    await expect(openSession(bytes, 'gpu' as never)).rejects.toThrow("runtime must be one of node, web, got 'gpu'");
  });
});
