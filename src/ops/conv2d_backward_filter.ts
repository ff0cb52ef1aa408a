/**
 * conv2d_backward_filter — dw[OC,C,KH,KW] (= | +=) Σ_{n,oh,ow} dy[n,oc,oh,ow] · x[n,c,oh·sh−ph+kh·dh, ow·sw−pw+kw·dw].
 * x [N,C,H,W], dy [N,OC,OH,OW]; attrs: stride/padding/dilation of the forward conv and
 * `kernelSize` [KH,KW]. FLOPs 2·N·OC·OH·OW·C·KH·KW.
 * Kernel: lam_f32_conv2d_backward_filter(x, dy, dw, N, C, H, W, OC, KH, KW, sh, sw, ph, pw, dh, dw, OH, OW, acc).
 */
import { type OpContract, type Shape, accOp, checkInputs, checkRank, ext, fmtShape, inp, out, pairAttr } from './contract.js';
import { type ConvAttrs, type ConvGeom, GEOM_SIG, geomArgsProblem, convOut, convParams, geomFromArgs, geomOperands } from './conv-geometry.js';
import { OP_OPCODES } from './opcodes.js';

export interface ConvBackwardFilterAttrs extends ConvAttrs {
  /** [KH, KW] of the filter. */
  kernelSize?: readonly number[];
}

function geom(inputs: readonly Shape[], attrs: ConvBackwardFilterAttrs): ConvGeom {
  const op = 'conv2d_backward_filter';
  checkInputs(op, ['x', 'dy'], inputs);
  const [x, dy] = inputs;
  checkRank(op, 'x', x, 4, '[N,C,H,W]');
  checkRank(op, 'dy', dy, 4, '[N,OC,OH,OW]');
  if (attrs?.kernelSize === undefined) throw new RangeError(`${op}: attribute kernelSize [KH,KW] is required`);
  const [KH, KW] = pairAttr(op, attrs, 'kernelSize', 1, 1);
  const [N, C, H, W] = x;
  const [Ny, OC, OH, OW] = dy;
  const p = convParams(op, attrs);
  const eh = convOut(op, 'H', H, KH, p.sh, p.ph, p.dh);
  const ew = convOut(op, 'W', W, KW, p.sw, p.pw, p.dw);
  if (Ny !== N || eh !== OH || ew !== OW)
    throw new RangeError(`${op}: dy has shape ${fmtShape(dy)}, expected [${N},OC,${eh},${ew}] for x ${fmtShape(x)}`);
  return { N, C, H, W, OC, KH, KW, ...p, OH, OW };
}

export const conv2d_backward_filter: OpContract<ConvBackwardFilterAttrs> = {
  id: 'conv2d_backward_filter',
  opcode: OP_OPCODES.conv2d_backward_filter,
  inputs: ['x', 'dy'],
  outputs: ['dw'],
  accumulates: true,
  mode: 'either',
  signature: ['f32*', 'f32*', 'f32*', ...GEOM_SIG],
  extents(a) {
    const g = geomFromArgs(a);
    return ext(19, { 0: g.N * g.C * g.H * g.W, 1: g.N * g.OC * g.OH * g.OW, 2: g.OC * g.C * g.KH * g.KW });
  },
  checkArgs: (a) => geomArgsProblem(a),
  shape(inputs, attrs) {
    const g = geom(inputs, attrs);
    return [[g.OC, g.C, g.KH, g.KW]];
  },
  encode(inputs, attrs, acc) {
    return [inp(0), inp(1), out(0), ...geomOperands(geom(inputs, attrs)), accOp(acc)];
  },
  flops(inputs, attrs) {
    const g = geom(inputs, attrs);
    return 2 * g.N * g.OC * g.OH * g.OW * g.C * g.KH * g.KW;
  },
  bytes(inputs, attrs) {
    const g = geom(inputs, attrs);
    return 4 * (g.N * g.C * g.H * g.W + g.OC * g.C * g.KH * g.KW + g.N * g.OC * g.OH * g.OW);
  },
};
