/**
 * The VQ nearest-code lookup appended to an IDM for inference: idx = vq_nearest(z, codebook),
 * z_q = gather_rows(codebook, idx). At inference the straight-through estimator
 * z + sg(c_idx − z) is exactly c_idx, so the lookup is the whole bottleneck. Built from lamkit
 * graph ops (the ones the VQ trainer uses), so lamkit runs it and the exporter lowers it like
 * any other node (ReduceSum/ArgMin/Gather in ONNX).
 */
import type { GraphBuilder } from '../graph/builder.js';
import type { Value } from '../graph/ir.js';
import { fmtShape } from '../ops/contract.js';

/**
 * Adds the codebook (resident state `vq.codebook` [K, D]) and the lookup after `z` [B, D].
 * Returns the outputs an exported VQ IDM has: `z` (quantised, [B, D]) and `code` ([B], int32).
 */
export function addVqLookup(b: GraphBuilder, z: Value, codebook: Float32Array, name = 'vq.codebook'): { z: Value; code: Value } {
  if (z.shape.length !== 2) throw new RangeError(`addVqLookup: z must be [B, D], got ${z}`);
  const D = z.shape[1];
  if (codebook.length === 0 || codebook.length % D !== 0)
    throw new RangeError(`addVqLookup: codebook has ${codebook.length} floats, expected K·${D} for codes of dim ${D} (z ${fmtShape(z.shape)})`);
  const K = codebook.length / D;
  const cb = b.state(name, [K, D], codebook);
  const code = b.op('vq_nearest', [z, cb], {}, { name: 'vq.code' })[0];
  const zq = b.op('gather_rows', [cb, code], {}, { name: 'vq.z_q' })[0];
  return { z: zq, code };
}
