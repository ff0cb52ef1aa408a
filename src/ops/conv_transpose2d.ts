/**
 * conv_transpose2d — y[N,OC,OH,OW] (= | +=) the transposed convolution of x [N,IC,H,W] with
 * w [IC,OC,KH,KW] (PyTorch layout, groups = 1, no bias). OH = (H−1)sh − 2ph + dh(KH−1) + oph + 1.
 * It equals conv2d_backward_input with (C, OC) swapped; its gradients are conv2d (dx) and
 * conv2d_backward_filter (dw). FLOPs 2·N·IC·H·W·OC·KH·KW.
 * Kernel: lam_f32_conv_transpose2d(x, w, y, N, IC, H, W, OC, KH, KW, sh, sw, ph, pw, dh, dw, OH, OW, acc).
 */
import { type OpContract, type Shape, accOp, checkInputs, checkRank, ext, fmtShape, inp, out, pairAttr } from './contract.js';
import { type ConvAttrs, type ConvGeom, GEOM_SIG, geomArgsProblem, convParams, geomFromArgs, geomOperands } from './conv-geometry.js';
import { OP_OPCODES } from './opcodes.js';

export interface ConvTransposeAttrs extends ConvAttrs {
  /** Extra rows/cols added at the bottom/right (< stride or dilation), default 0. */
  outputPadding?: number | readonly number[];
}

/** Geometry with C = IC (input channels). */
function geom(inputs: readonly Shape[], attrs: ConvTransposeAttrs): ConvGeom {
  const op = 'conv_transpose2d';
  checkInputs(op, ['x', 'w'], inputs);
  const [x, w] = inputs;
  checkRank(op, 'x', x, 4, '[N,IC,H,W]');
  checkRank(op, 'w', w, 4, '[IC,OC,KH,KW]');
  const [N, IC, H, W] = x;
  const [ICw, OC, KH, KW] = w;
  if (ICw !== IC) throw new RangeError(`${op}: w has shape ${fmtShape(w)}, expected [${IC},OC,KH,KW] (IC=${IC} from x ${fmtShape(x)})`);
  const p = convParams(op, attrs);
  const [oph, opw] = pairAttr(op, attrs, 'outputPadding', 0, 0);
  if (oph >= Math.max(p.sh, p.dh) || opw >= Math.max(p.sw, p.dw))
    throw new RangeError(`${op}: outputPadding [${oph},${opw}] must be smaller than stride or dilation`);
  const OH = (H - 1) * p.sh - 2 * p.ph + p.dh * (KH - 1) + oph + 1;
  const OW = (W - 1) * p.sw - 2 * p.pw + p.dw * (KW - 1) + opw + 1;
  if (OH < 1 || OW < 1) throw new RangeError(`${op}: output size [${OH},${OW}] is not positive for x ${fmtShape(x)} and padding [${p.ph},${p.pw}]`);
  return { N, C: IC, H, W, OC, KH, KW, ...p, OH, OW };
}

export const conv_transpose2d: OpContract<ConvTransposeAttrs> = {
  id: 'conv_transpose2d',
  opcode: OP_OPCODES.conv_transpose2d,
  inputs: ['x', 'w'],
  outputs: ['y'],
  accumulates: true,
  mode: 'either',
  signature: ['f32*', 'f32*', 'f32*', ...GEOM_SIG],
  extents(a) {
    const g = geomFromArgs(a);
    return ext(19, { 0: g.N * g.C * g.H * g.W, 1: g.C * g.OC * g.KH * g.KW, 2: g.N * g.OC * g.OH * g.OW });
  },
  checkArgs: (a) => geomArgsProblem(a),
  shape(inputs, attrs) {
    const g = geom(inputs, attrs);
    return [[g.N, g.OC, g.OH, g.OW]];
  },
  encode(inputs, attrs, acc) {
    return [inp(0), inp(1), out(0), ...geomOperands(geom(inputs, attrs)), accOp(acc)];
  },
  flops(inputs, attrs) {
    const g = geom(inputs, attrs);
    return 2 * g.N * g.C * g.H * g.W * g.OC * g.KH * g.KW;
  },
  bytes(inputs, attrs) {
    const g = geom(inputs, attrs);
    return 4 * (g.N * g.C * g.H * g.W + g.OC * g.C * g.KH * g.KW + g.N * g.OC * g.OH * g.OW);
  },
};
