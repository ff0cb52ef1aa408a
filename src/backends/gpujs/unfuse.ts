/**
 * gpu.js has no fused conv kernel: before the tape reaches the interpreter, every
 * conv2d_bias_act instruction is rewritten into the conv2d, bias_add (in place on y) and
 * relu / leaky_relu (in place) instructions it stands for, so each runs on its existing gpu.js
 * kernel. The rewrite keeps every arena offset, so the result equals the unfused plan's.
 * The input tape must already be validated (decodeTape): this only re-frames its words.
 */
import { OP_OPCODES } from '../../ops/opcodes.js';

const FUSED = OP_OPCODES.conv2d_bias_act;

/** The tape with each conv2d_bias_act expanded; the same array when there is none. */
export function unfuseConvBiasAct(tape: Int32Array): Int32Array {
  let any = false;
  for (let pc = 0; pc < tape.length; pc += 2 + tape[pc + 1]) if (tape[pc] === FUSED) any = true;
  if (!any) return tape;
  const out: number[] = [];
  for (let pc = 0; pc < tape.length; pc += 2 + tape[pc + 1]) {
    const n = tape[pc + 1];
    const w = tape.subarray(pc + 2, pc + 2 + n);
    if (tape[pc] !== FUSED) {
      out.push(tape[pc], n, ...w);
      continue;
    }
    // w: x, w, b, y, N, C, H, W, OC, KH, KW, sh, sw, ph, pw, dh, dw, OH, OW, act, slope bits
    const [x, wt, b, y] = w;
    const geom = Array.from(w.subarray(4, 19));
    const [N, , , , OC] = geom;
    const S = w[17] * w[18];
    out.push(OP_OPCODES.conv2d, 19, x, wt, y, ...geom, 0);
    out.push(OP_OPCODES.bias_add, 6, y, b, y, N, OC, S);
    if (w[19] === 1) out.push(OP_OPCODES.relu, 3, y, y, N * OC * S);
    else if (w[19] === 2) out.push(OP_OPCODES.leaky_relu, 4, y, y, N * OC * S, w[20]);
  }
  return Int32Array.from(out);
}
