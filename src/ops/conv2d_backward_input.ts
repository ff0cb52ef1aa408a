/**
 * conv2d_backward_input — dx[N,C,H,W] (= | +=) conv2dᵀ(dy, w): the gradient of conv2d w.r.t. x.
 * dy [N,OC,OH,OW], w [OC,C,KH,KW]; attrs: stride/padding/dilation of the forward conv and
 * `inputSize` [H,W] (several H map to the same OH when stride > 1). FLOPs 2·N·OC·OH·OW·C·KH·KW.
 * Kernel: lam_f32_conv2d_backward_input(dy, w, dx, N, C, H, W, OC, KH, KW, sh, sw, ph, pw, dh, dw, OH, OW, acc).
 */
import { type OpContract, type Shape, accOp, checkInputs, checkRank, ext, fmtShape, inp, out, pairAttr } from './contract.js';
import { type ConvAttrs, type ConvGeom, GEOM_SIG, geomArgsProblem, convOut, convParams, geomFromArgs, geomOperands } from './conv-geometry.js';
import { OP_OPCODES } from './opcodes.js';

export interface ConvBackwardInputAttrs extends ConvAttrs {
  /** [H, W] of the forward input x. */
  inputSize?: readonly number[];
}

function geom(inputs: readonly Shape[], attrs: ConvBackwardInputAttrs): ConvGeom {
  const op = 'conv2d_backward_input';
  checkInputs(op, ['dy', 'w'], inputs);
  const [dy, w] = inputs;
  checkRank(op, 'dy', dy, 4, '[N,OC,OH,OW]');
  checkRank(op, 'w', w, 4, '[OC,C,KH,KW]');
  if (attrs?.inputSize === undefined) throw new RangeError(`${op}: attribute inputSize [H,W] is required`);
  const [H, W] = pairAttr(op, attrs, 'inputSize', 1, 1);
  const [N, OCy, OH, OW] = dy;
  const [OC, C, KH, KW] = w;
  if (OCy !== OC) throw new RangeError(`${op}: dy has shape ${fmtShape(dy)}, expected [N,${OC},OH,OW] (OC=${OC} from w ${fmtShape(w)})`);
  const p = convParams(op, attrs);
  const eh = convOut(op, 'H', H, KH, p.sh, p.ph, p.dh);
  const ew = convOut(op, 'W', W, KW, p.sw, p.pw, p.dw);
  if (eh !== OH || ew !== OW)
    throw new RangeError(`${op}: dy has shape ${fmtShape(dy)}, expected [${N},${OC},${eh},${ew}] for inputSize [${H},${W}]`);
  return { N, C, H, W, OC, KH, KW, ...p, OH, OW };
}

export const conv2d_backward_input: OpContract<ConvBackwardInputAttrs> = {
  id: 'conv2d_backward_input',
  opcode: OP_OPCODES.conv2d_backward_input,
  inputs: ['dy', 'w'],
  outputs: ['dx'],
  accumulates: true,
  mode: 'either',
  signature: ['f32*', 'f32*', 'f32*', ...GEOM_SIG],
  extents(a) {
    const g = geomFromArgs(a);
    return ext(19, { 0: g.N * g.OC * g.OH * g.OW, 1: g.OC * g.C * g.KH * g.KW, 2: g.N * g.C * g.H * g.W });
  },
  checkArgs: (a) => geomArgsProblem(a),
  shape(inputs, attrs) {
    const g = geom(inputs, attrs);
    return [[g.N, g.C, g.H, g.W]];
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
