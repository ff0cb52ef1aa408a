/**
 * Packing: places several buffers back to back inside one new buffer, so an optimiser updates
 * all parameters with a single kernel call (one adam_update per step instead of one per tensor:
 * fewer tape instructions, one long vectorised loop).
 */
import type { BufferKind, Graph, Value } from '../graph/ir.js';

/**
 * Packs the buffers of `values` (each must own its whole, unpacked buffer) into one buffer of
 * `kind` and returns a [total] value over it.
 */
export function pack(g: Graph, name: string, values: readonly Value[], kind: BufferKind): Value {
  let total = 0;
  for (const v of values) {
    if (v.buf.parent || v.offset !== 0 || v.buf.floats !== v.size)
      throw new RangeError(`pack ${name}: ${v} must own an unpacked buffer of its size to be packed`);
    total += v.size;
  }
  const whole = g.newBuffer(g.uniqueName(name), total, kind);
  let off = 0;
  for (const v of values) {
    v.buf.parent = whole;
    v.buf.offsetInParent = off;
    off += v.size;
  }
  return g.view(whole, whole.name, [total]);
}

/** Float offset of each value inside its packed buffer. */
export function packedOffsets(values: readonly Value[]): number[] {
  return values.map((v) => v.buf.offsetInParent + v.offset);
}
