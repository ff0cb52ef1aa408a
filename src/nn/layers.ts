/**
 * Layers that own parameters: each call creates `<name>.weight` (and `<name>.bias`) with
 * PyTorch-default initialisation from `rng`, and returns the layer's output value.
 * Layouts are PyTorch's: Linear [out, in], Conv2d [OC, C, KH, KW], ConvTranspose2d [IC, OC, KH, KW].
 */
import type { Rng } from '../data/rng.js';
import type { ConvOpts, GraphBuilder } from '../graph/builder.js';
import type { Value } from '../graph/ir.js';
import { biasUniform, kaimingUniform } from './init.js';

export interface LayerOptions {
  /** Parameter name prefix (unique in the graph). */
  name: string;
  rng: Rng;
  /** Add a bias (default true). */
  bias?: boolean;
}

/** y [B, out] = x [B, in] · Wᵀ + b. */
export function linear(b: GraphBuilder, x: Value, out: number, o: LayerOptions): Value {
  return linearSum(b, [x], out, o);
}

/**
 * y [B, out] = Σᵢ xᵢ · Wᵢᵀ (+ b): one linear layer over several inputs without materialising
 * their concatenation (weights `<name>.weight` for one input, `<name>.weight<i>` for several).
 * fan_in for the initialiser is each input's own width.
 */
export function linearSum(b: GraphBuilder, xs: readonly Value[], out: number, o: LayerOptions): Value {
  if (xs.length === 0) throw new RangeError(`linear ${o.name}: needs at least one input`);
  const pairs: [Value, Value][] = xs.map((x, i) => {
    if (x.shape.length !== 2) throw new RangeError(`linear ${o.name}: input ${x} must be [B, in]; flatten it first`);
    const shape = [out, x.shape[1]];
    const w = b.param(xs.length === 1 ? `${o.name}.weight` : `${o.name}.weight${i}`, shape, kaimingUniform(o.rng, shape));
    return [x, w];
  });
  const bias = o.bias ?? true ? b.param(`${o.name}.bias`, [out], biasUniform(o.rng, out, xs[0].shape[1])) : null;
  return b.linear(pairs, undefined, bias, o.name);
}

export interface ConvLayerOptions extends LayerOptions, ConvOpts {
  kernel: number | [number, number];
}

const pair = (k: number | [number, number]): [number, number] => (typeof k === 'number' ? [k, k] : k);

/** y = conv2d(x [N,C,H,W]) with weight [OC, C, KH, KW] and bias [OC]. */
export function conv2d(b: GraphBuilder, x: Value, outChannels: number, o: ConvLayerOptions): Value {
  const [kh, kw] = pair(o.kernel);
  const shape = [outChannels, x.shape[1], kh, kw];
  const w = b.param(`${o.name}.weight`, shape, kaimingUniform(o.rng, shape));
  const bias = o.bias ?? true ? b.param(`${o.name}.bias`, [outChannels], biasUniform(o.rng, outChannels, x.shape[1] * kh * kw)) : null;
  return b.conv2d(x, w, bias, { stride: o.stride, padding: o.padding, dilation: o.dilation }, o.name);
}

/** y = conv_transpose2d(x [N,IC,H,W]) with weight [IC, OC, KH, KW] and bias [OC]. */
export function convTranspose2d(b: GraphBuilder, x: Value, outChannels: number, o: ConvLayerOptions & { outputPadding?: number | [number, number] }): Value {
  const [kh, kw] = pair(o.kernel);
  const shape = [x.shape[1], outChannels, kh, kw];
  const w = b.param(`${o.name}.weight`, shape, kaimingUniform(o.rng, shape));
  // PyTorch: fan_in of a ConvTranspose2d weight is size(1)·KH·KW = OC·KH·KW.
  const bias = o.bias ?? true ? b.param(`${o.name}.bias`, [outChannels], biasUniform(o.rng, outChannels, outChannels * kh * kw)) : null;
  return b.convTranspose2d(x, w, bias, { stride: o.stride, padding: o.padding, dilation: o.dilation, outputPadding: o.outputPadding }, o.name);
}
