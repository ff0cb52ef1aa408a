/**
 * Checks shared by every backend's compile()/run(): the TapeProgram's types and sizes, the tape
 * itself (decodeTape: opcodes, word counts, pointer ranges), the ops the backend supports, and
 * run() arguments. Errors name the argument, the value seen and the one expected.
 */
import { opByOpcode } from '../ops/index.js';
import { type Instruction, decodeTape } from '../ops/tape.js';
import type { Backend, TapeProgram } from './types.js';

function nonNegInt(name: string, v: unknown, min = 0): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min)
    throw new RangeError(`${name} must be an integer ≥ ${min}, got ${String(v)}`);
  return v;
}

/** Validates a program for `backend` and returns its decoded instructions. */
export function checkProgram(program: TapeProgram, backend: Pick<Backend, 'name' | 'supports'>): Instruction[] {
  if (typeof program !== 'object' || program === null) throw new TypeError(`${backend.name}.compile: program must be a TapeProgram object, got ${String(program)}`);
  if (!(program.tape instanceof Int32Array))
    throw new TypeError(`${backend.name}.compile: program.tape must be an Int32Array, got ${Object.prototype.toString.call(program.tape)}`);
  nonNegInt(`${backend.name}.compile: program.arenaFloats`, program.arenaFloats, 1);
  nonNegInt(`${backend.name}.compile: program.feedFloatsPerStep`, program.feedFloatsPerStep);
  nonNegInt(`${backend.name}.compile: program.outFloatsPerStep`, program.outFloatsPerStep);
  let list: Instruction[];
  try {
    list = decodeTape(program.tape, program.arenaFloats, program.feedFloatsPerStep, program.outFloatsPerStep);
  } catch (e) {
    throw new RangeError(`${backend.name}.compile: ${(e as Error).message}`);
  }
  for (const ins of list) {
    const c = opByOpcode(ins.opcode);
    if (c && !backend.supports(c.id)) throw new RangeError(`${backend.name}.compile: op '${c.id}' (tape word ${ins.at}) is not supported by this backend`);
  }
  return list;
}

/** Validates run() arguments; returns the step count. */
export function checkRun(name: string, program: TapeProgram, feeds: Float32Array | null, steps: number | undefined): number {
  const n = steps === undefined ? 1 : nonNegInt(`${name}.run: steps`, steps);
  const need = n * program.feedFloatsPerStep;
  if (need > 0) {
    if (!(feeds instanceof Float32Array))
      throw new TypeError(`${name}.run: feeds must be a Float32Array of ${need} floats (${n} steps × ${program.feedFloatsPerStep}), got ${feeds === null ? 'null' : Object.prototype.toString.call(feeds)}`);
    if (feeds.length !== need) throw new RangeError(`${name}.run: feeds has ${feeds.length} floats, expected ${need} (${n} steps × ${program.feedFloatsPerStep})`);
  } else if (feeds !== null && feeds !== undefined && !(feeds instanceof Float32Array)) {
    throw new TypeError(`${name}.run: feeds must be a Float32Array or null, got ${Object.prototype.toString.call(feeds)}`);
  }
  return n;
}

/** Validates readArena/writeArena ranges. */
export function checkArenaRange(name: string, arenaFloats: number, offset: number, length: number): void {
  nonNegInt(`${name}: offset`, offset);
  nonNegInt(`${name}: length`, length);
  if (offset + length > arenaFloats) throw new RangeError(`${name}: range [${offset}, ${offset + length}) is outside the arena of ${arenaFloats} floats`);
}

/** Validates writeArena data. */
export function checkArenaData(name: string, data: unknown): Float32Array {
  if (!(data instanceof Float32Array)) throw new TypeError(`${name}: data must be a Float32Array, got ${Object.prototype.toString.call(data)}`);
  return data;
}
