/**
 * conv2d — y[N,OC,OH,OW] (= | +=) Σ_{c,kh,kw} x[n,c,oh·sh−ph+kh·dh, ow·sw−pw+kw·dw] · w[oc,c,kh,kw]
 * (cross-correlation, zero padding, groups = 1, no bias: bias_add follows).
 * x [N,C,H,W], w [OC,C,KH,KW]; OH = (H + 2ph − dh(KH−1) − 1)/sh + 1.  FLOPs 2·N·OC·OH·OW·C·KH·KW.
 * Kernel: lam_f32_conv2d(x, w, y, N, C, H, W, OC, KH, KW, sh, sw, ph, pw, dh, dw, OH, OW, acc).
 */
import { type OpContract, type Shape, accOp, checkInputs, checkRank, ext, fmtShape, inp, out } from './contract.js';
import { type ConvAttrs, type ConvGeom, GEOM_SIG, geomArgsProblem, convOut, convParams, geomFromArgs, geomOperands } from './conv-geometry.js';
import { OP_OPCODES } from './opcodes.js';

function geom(inputs: readonly Shape[], attrs: ConvAttrs): ConvGeom {
  const op = 'conv2d';
  checkInputs(op, ['x', 'w'], inputs);
  const [x, w] = inputs;
  checkRank(op, 'x', x, 4, '[N,C,H,W]');
  checkRank(op, 'w', w, 4, '[OC,C,KH,KW]');
  const [N, C, H, W] = x;
  const [OC, Cw, KH, KW] = w;
  if (Cw !== C) throw new RangeError(`${op}: w has shape ${fmtShape(w)}, expected [OC,${C},KH,KW] (C=${C} from x ${fmtShape(x)})`);
  const p = convParams(op, attrs);
  const OH = convOut(op, 'H', H, KH, p.sh, p.ph, p.dh);
  const OW = convOut(op, 'W', W, KW, p.sw, p.pw, p.dw);
  return { N, C, H, W, OC, KH, KW, ...p, OH, OW };
}

export const conv2d: OpContract<ConvAttrs> = {
  id: 'conv2d',
  opcode: OP_OPCODES.conv2d,
  inputs: ['x', 'w'],
  outputs: ['y'],
  accumulates: true,
  mode: 'either',
  signature: ['f32*', 'f32*', 'f32*', ...GEOM_SIG],
  extents(a) {
    const g = geomFromArgs(a);
    return ext(19, { 0: g.N * g.C * g.H * g.W, 1: g.OC * g.C * g.KH * g.KW, 2: g.N * g.OC * g.OH * g.OW });
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
    return 2 * g.N * g.OC * g.OH * g.OW * g.C * g.KH * g.KW;
  },
  bytes(inputs, attrs) {
    const g = geom(inputs, attrs);
    return 4 * (g.N * g.C * g.H * g.W + g.OC * g.C * g.KH * g.KW + g.N * g.OC * g.OH * g.OW);
  },
};
