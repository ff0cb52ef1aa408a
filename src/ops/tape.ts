/**
 * Tape words: turning a contract's operands into int32 words, the special instructions, and a
 * validator every TypeScript-side executor (reference interpreter, wasm/gpujs hosts) runs before
 * it trusts a tape. The C++ executor (native/runtime/executor.cpp) checks the same rules.
 *
 * Instruction layout: [opcode, nwords, operand_0 … operand_{nwords−1}].
 */
import type { ArgKind, Operand } from './contract.js';
import { opByOpcode } from './index.js';
import { SPECIAL_OPCODES, SPECIAL_WORDS, opcodeName } from './opcodes.js';

const f32 = new Float32Array(1);
const i32 = new Int32Array(f32.buffer);

/** IEEE-754 bits of a float32 as an int32 word. */
export function floatBits(v: number): number {
  f32[0] = v;
  return i32[0];
}

/** The float32 whose bits are the int32 word w. */
export function bitsFloat(w: number): number {
  i32[0] = w;
  return f32[0];
}

/**
 * One kernel instruction: resolves `in`/`out` operands to arena offsets and floats to bits.
 * `inOffsets[i]` / `outOffsets[i]` are the arena float offsets of input / output i.
 */
export function encodeInstruction(opcode: number, operands: readonly Operand[], inOffsets: readonly number[], outOffsets: readonly number[]): number[] {
  const words = [opcode, operands.length];
  for (const o of operands) {
    switch (o.kind) {
      case 'in':
        if (inOffsets[o.index] === undefined) throw new RangeError(`tape: opcode ${opcodeName(opcode)} needs input ${o.index}, got ${inOffsets.length} input offsets`);
        words.push(inOffsets[o.index]);
        break;
      case 'out':
        if (outOffsets[o.index] === undefined) throw new RangeError(`tape: opcode ${opcodeName(opcode)} needs output ${o.index}, got ${outOffsets.length} output offsets`);
        words.push(outOffsets[o.index]);
        break;
      case 'int':
        words.push(o.value | 0);
        break;
      case 'float':
        words.push(floatBits(o.value));
        break;
      case 'null':
        words.push(-1);
        break;
    }
  }
  return words;
}

/** FEED: arena[dst..+n) = feeds[step·feedStride + feedOffset ..+n). */
export const feedInstr = (dst: number, feedOffset: number, n: number): number[] => [SPECIAL_OPCODES.FEED, 3, dst, feedOffset, n];
/** OUTPUT: outputs[step·outStride + outOffset ..+n) = arena[src..+n). */
export const outputInstr = (src: number, outOffset: number, n: number): number[] => [SPECIAL_OPCODES.OUTPUT, 3, src, outOffset, n];
/** STEP_INCREMENT: ++(int32 at counter). */
export const stepIncrementInstr = (counter: number): number[] => [SPECIAL_OPCODES.STEP_INCREMENT, 1, counter];
/** CHECK_FINITE: fail the run on NaN/Inf in arena[src..+n); `tag` names the tensor in the error. */
export const checkFiniteInstr = (src: number, n: number, tag: number): number[] => [SPECIAL_OPCODES.CHECK_FINITE, 3, src, n, tag];

/** A decoded instruction. */
export interface Instruction {
  /** Word index of the opcode. */
  at: number;
  opcode: number;
  /** Op id or special name. */
  name: string;
  /** Operand words, floats still as bits. */
  words: Int32Array;
  /** Operand values: floats decoded, everything else as the word. */
  args: number[];
  /** Argument kinds (special opcodes: pointers first). */
  kinds: readonly ArgKind[];
}

const SPECIAL_KINDS: Record<number, readonly ArgKind[]> = {
  [SPECIAL_OPCODES.FEED]: ['f32*', 'int', 'int'],
  [SPECIAL_OPCODES.OUTPUT]: ['f32*', 'int', 'int'],
  [SPECIAL_OPCODES.STEP_INCREMENT]: ['i32*'],
  [SPECIAL_OPCODES.CHECK_FINITE]: ['f32*', 'int', 'int'],
};

/**
 * Decodes and validates a tape against an arena size and per-step feed/output sizes: every
 * opcode known, word counts right, sizes positive, every pointer range inside the arena, every
 * FEED/OUTPUT range inside its block. Throws a RangeError naming the instruction on the first fault.
 */
export function decodeTape(tape: Int32Array, arenaFloats: number, feedFloatsPerStep: number, outFloatsPerStep: number): Instruction[] {
  if (!(tape instanceof Int32Array)) throw new TypeError(`tape must be an Int32Array, got ${Object.prototype.toString.call(tape)}`);
  const list: Instruction[] = [];
  let pc = 0;
  while (pc < tape.length) {
    const at = pc;
    if (pc + 2 > tape.length) throw new RangeError(`tape: truncated instruction header at word ${at}`);
    const opcode = tape[pc];
    const nwords = tape[pc + 1];
    const name = opcodeName(opcode);
    const where = `tape word ${at} (${name ?? `opcode ${opcode}`})`;
    if (name === undefined) throw new RangeError(`${where}: unknown opcode ${opcode}`);
    const contract = opByOpcode(opcode);
    const kinds = contract ? contract.signature : SPECIAL_KINDS[opcode];
    const expected = contract ? contract.signature.length : SPECIAL_WORDS[name as keyof typeof SPECIAL_WORDS];
    if (nwords !== expected) throw new RangeError(`${where}: expected ${expected} operand words, got ${nwords}`);
    if (pc + 2 + nwords > tape.length) throw new RangeError(`${where}: operands run past the end of the tape (${tape.length} words)`);
    const words = tape.slice(pc + 2, pc + 2 + nwords);
    const args = Array.from(words, (w, i) => (kinds[i] === 'float' ? bitsFloat(w) : w));
    for (let i = 0; i < nwords; i++) {
      if (kinds[i] === 'int' && args[i] < 0) throw new RangeError(`${where}: operand ${i} is ${args[i]}, expected a non-negative integer`);
      if (kinds[i] === 'float' && !Number.isFinite(args[i]) && !(contract?.id === 'fill')) throw new RangeError(`${where}: operand ${i} is ${args[i]}, expected a finite float`);
    }
    const bad = contract?.checkArgs?.(args);
    if (bad) throw new RangeError(`${where}: ${bad}`);
    const extents = contract ? contract.extents(args) : specialExtents(opcode, args);
    for (let i = 0; i < nwords; i++) {
      const k = kinds[i];
      if (k !== 'f32*' && k !== 'f32*?' && k !== 'i32*') continue;
      const off = args[i];
      if (k === 'f32*?' && off === -1) continue;
      const n = extents[i];
      if (off < 0 || off + n > arenaFloats)
        throw new RangeError(`${where}: pointer operand ${i} covers [${off}, ${off + n}), outside the arena of ${arenaFloats} floats`);
    }
    if (opcode === SPECIAL_OPCODES.FEED && args[1] + args[2] > feedFloatsPerStep)
      throw new RangeError(`${where}: reads feed floats [${args[1]}, ${args[1] + args[2]}), but a step feeds ${feedFloatsPerStep}`);
    if (opcode === SPECIAL_OPCODES.OUTPUT && args[1] + args[2] > outFloatsPerStep)
      throw new RangeError(`${where}: writes output floats [${args[1]}, ${args[1] + args[2]}), but a step outputs ${outFloatsPerStep}`);
    list.push({ at, opcode, name, words, args, kinds });
    pc += 2 + nwords;
  }
  return list;
}

function specialExtents(opcode: number, a: readonly number[]): number[] {
  if (opcode === SPECIAL_OPCODES.STEP_INCREMENT) return [1];
  if (opcode === SPECIAL_OPCODES.CHECK_FINITE) return [a[1], 0, 0]; // [ptr, n, tag]
  return [a[2], 0, 0]; // FEED / OUTPUT: [ptr, offset, n]
}
