/**
 * A trained gridworld conv LAM for inference: the probe graph of conv-graph.ts (IDM → z, FDM
 * encoder → e4) compiled on a backend with the run's parameters, plus the VQ codebook applied
 * to z (nearest code, the vq_nearest contract). Frames are NCHW float32, any number of rows
 * (run in blocks of the graph's batch; the last block is zero-padded).
 */
import { compile } from '../graph/compile.js';
import type { CompiledModel } from '../graph/compiled.js';
import { plan } from '../graph/plan.js';
import { buildConvProbeGraph } from './conv-graph.js';
import type { ConvSpec } from './presets.js';
import { nearestCodes } from './vq.js';

export class ConvLamModel {
  private constructor(
    readonly spec: ConvSpec,
    private readonly model: CompiledModel,
    private readonly block: number,
    readonly codebook: Float32Array | null,
  ) {}

  /**
   * Compiles the probe graph and loads `params` (the IDM and FDM-encoder entries are required;
   * others — decoder, heads — are ignored).
   */
  static async load(spec: ConvSpec, params: Readonly<Record<string, Float32Array>>, codebook: Float32Array | null, opts: { block?: number; backend?: string } = {}): Promise<ConvLamModel> {
    const block = opts.block ?? 250;
    const g = buildConvProbeGraph(spec, block);
    const model = await compile(plan(g.graph), { backend: opts.backend });
    const need = Object.keys(model.paramShapes());
    const missing = need.filter((n) => !(n in params));
    if (missing.length) {
      model.dispose();
      throw new RangeError(`conv LAM: the run lacks parameter(s) ${missing.join(', ')} (have ${Object.keys(params).join(', ')})`);
    }
    model.setParams(Object.fromEntries(need.map((n) => [n, params[n]])));
    if (codebook && codebook.length % spec.k !== 0) throw new RangeError(`conv LAM: codebook has ${codebook.length} floats, expected K·k with k = ${spec.k}`);
    return new ConvLamModel(spec, model, block, codebook);
  }

  get frameSize(): number {
    return this.spec.c * this.spec.h * this.spec.w;
  }

  /**
   * z (quantised when there is a codebook; `zRaw` before), the code index (VQ) and the FDM
   * encoder's bottom map e4 [n, C4, H/16, W/16] of o_t, for n transitions.
   */
  run(obs: Float32Array, next: Float32Array): { z: Float32Array; zRaw: Float32Array; idx: Int32Array | null; e4: Float32Array } {
    const F = this.frameSize, k = this.spec.k;
    if (obs.length !== next.length || obs.length % F !== 0 || obs.length === 0)
      throw new RangeError(`conv LAM: o_t (${obs.length} floats) and o_t1 (${next.length}) must be the same whole number of ${this.spec.c}×${this.spec.h}×${this.spec.w} frames`);
    const n = obs.length / F;
    const E = this.spec.ch[3] * (this.spec.h / 16) * (this.spec.w / 16);
    const zRaw = new Float32Array(n * k), e4 = new Float32Array(n * E);
    const B = this.block;
    const a = new Float32Array(B * F), b = new Float32Array(B * F);
    for (let r0 = 0; r0 < n; r0 += B) {
      const m = Math.min(B, n - r0);
      a.fill(0).set(obs.subarray(r0 * F, (r0 + m) * F));
      b.fill(0).set(next.subarray(r0 * F, (r0 + m) * F));
      const out = this.model.run({ o_t: a, o_t1: b });
      zRaw.set(this.model.output(out, 'z').subarray(0, m * k), r0 * k);
      e4.set(this.model.output(out, 'e4').subarray(0, m * E), r0 * E);
    }
    if (!this.codebook) return { z: zRaw, zRaw, idx: null, e4 };
    const { idx, q } = nearestCodes(zRaw, this.codebook, k);
    return { z: q, zRaw, idx, e4 };
  }

  dispose(): void {
    this.model.dispose();
  }
}
