/**
 * conv2d_bias_act — y[N,OC,OH,OW] = act(conv2d(x, w)[n,oc,oh,ow] + b[oc]), `=` only.
 * The fused form of conv2d → bias_add → relu / leaky_relu that src/graph/fuse.ts emits when
 * planning: one pass over y instead of three. Inputs x [N,C,H,W], w [OC,C,KH,KW], b [OC];
 * attrs = conv2d's geometry (stride, padding, dilation) + act (CONV_ACT: 0 none, 1 relu,
 * 2 leaky_relu) + slope (leaky_relu's negative slope, default 0.01). Results equal the three
 * ops run in sequence (conv2d rounded to float32, + b, then the activation, NaN kept).
 * It has no gradient rule: autodiff runs on the unfused graph and the pass rewrites forward
 * instructions only.
 * FLOPs 2·N·OC·OH·OW·C·KH·KW + N·OC·OH·OW (bias) + act's (relu 1, leaky 2 per element).
 * Kernel: lam_f32_conv2d_bias_act(x, w, b, y, N, C, H, W, OC, KH, KW, sh, sw, ph, pw, dh, dw,
 * OH, OW, act, slope) with act 0 = none, 1 = relu, 2 = leaky_relu.
 */
import { type OpContract, type Shape, checkInputs, checkRank, checkSame, ext, flt, fmtShape, inp, int, numAttr, out } from './contract.js';
import { type ConvAttrs, type ConvGeom, convOut, convParams, geomArgsProblem, geomOperands } from './conv-geometry.js';
import { OP_OPCODES } from './opcodes.js';

/**
 * Activation codes (attribute `act` and the tape word): attributes are numbers only (they go on
 * the tape), so the activation is named through this table.
 */
export const CONV_ACT = { none: 0, relu: 1, leaky_relu: 2 } as const;
export type ConvActName = keyof typeof CONV_ACT;
const ACT_NAMES = Object.keys(CONV_ACT) as ConvActName[];

export interface Conv2dBiasActAttrs extends ConvAttrs {
  /** CONV_ACT code (default none). */
  act?: number;
  /** leaky_relu's negative slope (default 0.01, PyTorch's). */
  slope?: number;
}

const OP = 'conv2d_bias_act';

/** The activation code of the attributes; throws naming the value seen and the codes expected. */
export function actCode(attrs: Conv2dBiasActAttrs): number {
  const a = attrs?.act ?? CONV_ACT.none;
  if (typeof a !== 'number' || !Number.isInteger(a) || a < 0 || a >= ACT_NAMES.length)
    throw new RangeError(`${OP}: attribute act is ${JSON.stringify(a)}; expected ${ACT_NAMES.map((n, i) => `${i} (${n})`).join(', ')}`);
  return a;
}

function geom(inputs: readonly Shape[], attrs: Conv2dBiasActAttrs): ConvGeom {
  checkInputs(OP, ['x', 'w', 'b'], inputs);
  const [x, w, b] = inputs;
  checkRank(OP, 'x', x, 4, '[N,C,H,W]');
  checkRank(OP, 'w', w, 4, '[OC,C,KH,KW]');
  const [N, C, H, W] = x;
  const [OC, Cw, KH, KW] = w;
  if (Cw !== C) throw new RangeError(`${OP}: w has shape ${fmtShape(w)}, expected [OC,${C},KH,KW] (C=${C} from x ${fmtShape(x)})`);
  checkSame(OP, 'b', b, [OC]);
  actCode(attrs);
  numAttr(OP, attrs, 'slope', 0.01);
  const p = convParams(OP, attrs);
  const OH = convOut(OP, 'H', H, KH, p.sh, p.ph, p.dh);
  const OW = convOut(OP, 'W', W, KW, p.sw, p.pw, p.dw);
  return { N, C, H, W, OC, KH, KW, ...p, OH, OW };
}

/** Per-element FLOPs of the epilogue: bias add plus the activation. */
const epilogueFlops = (act: number): number => 1 + (act === 0 ? 0 : act === 1 ? 1 : 2);

export const conv2d_bias_act: OpContract<Conv2dBiasActAttrs> = {
  id: OP,
  opcode: OP_OPCODES.conv2d_bias_act,
  inputs: ['x', 'w', 'b'],
  outputs: ['y'],
  accumulates: false,
  mode: 'overwrite',
  signature: ['f32*', 'f32*', 'f32*', 'f32*', ...Array<'int'>(16).fill('int'), 'float'],
  extents(a) {
    const [N, C, H, W, OC, KH, KW] = a.slice(4, 11);
    const [OH, OW] = a.slice(17, 19);
    return ext(21, { 0: N * C * H * W, 1: OC * C * KH * KW, 2: OC, 3: N * OC * OH * OW });
  },
  checkArgs(a) {
    // Strides and dilations divide indices in the kernels; act selects the epilogue.
    const geomBad = geomArgsProblem(a, 4);
    if (geomBad) return geomBad;
    if (a[19] >= ACT_NAMES.length) return `operand 19 (act) is ${a[19]}, expected 0 (none), 1 (relu) or 2 (leaky_relu)`;
    return null;
  },
  shape(inputs, attrs) {
    const g = geom(inputs, attrs);
    return [[g.N, g.OC, g.OH, g.OW]];
  },
  encode(inputs, attrs) {
    const g = geom(inputs, attrs);
    const act = actCode(attrs);
    return [inp(0), inp(1), inp(2), out(0), ...geomOperands(g), int(act), flt(act === 2 ? numAttr(OP, attrs, 'slope', 0.01) : 0)];
  },
  flops(inputs, attrs) {
    const g = geom(inputs, attrs);
    const ny = g.N * g.OC * g.OH * g.OW;
    return 2 * ny * g.C * g.KH * g.KW + epilogueFlops(actCode(attrs)) * ny;
  },
  bytes(inputs, attrs) {
    const g = geom(inputs, attrs);
    return 4 * (g.N * g.C * g.H * g.W + g.OC * g.C * g.KH * g.KW + g.OC + g.N * g.OC * g.OH * g.OW);
  },
};
