// The harness must be able to fail: a sabotaged backend (wrong element, untouched NaN poison,
// a write into a guard zone, a modified input) is caught by the same checks the kernel tests use.
import { describe, expect, it } from 'vitest';
import { ReferenceBackend } from '../../src/backends/reference-backend.js';
import { runSingleOp } from '../../src/backends/single-op.js';
import type { Backend, Executable, TapeProgram } from '../../src/backends/types.js';
import { bitEqual, compare } from '../harness/compare.js';
import { Rng, normal } from '../harness/data.js';

type Sabotage = (exe: Executable, program: TapeProgram) => void;

function sabotaged(after: Sabotage): Backend {
  const ref = new ReferenceBackend();
  return {
    name: 'sabotaged',
    info: () => ref.info(),
    supports: (op) => ref.supports(op),
    compile(program) {
      const exe = ref.compile(program);
      return { ...exe, run: (f, o) => { const r = exe.run(f, o); after(exe, program); return r; } };
    },
  };
}

const rng = new Rng(5);
const A = normal(rng, 6 * 7);
const B = normal(rng, 7 * 5);
const spec = { op: 'matmul', inputShapes: [[6, 7], [7, 5]] };
const good = runSingleOp(new ReferenceBackend(), spec, [A, B]);

describe('harness self-test', () => {
  it('a one-ulp-scale error within tolerance passes; a real error fails', () => {
    const off = sabotaged((exe) => {
      const o = good.layout.outputOffsets[0];
      exe.writeArena(o + 3, Float32Array.of(exe.readArena(o + 3, 1)[0] + 1e-3));
    });
    const r = runSingleOp(off, spec, [A, B]);
    const c = compare(r.outputs[0], good.outputs[0], { a0: 2e-6, rtol: 1e-5, K: 7 });
    expect(c.ok).toBe(false);
    expect(c.worst?.i).toBe(3);
    expect(compare(good.outputs[0], good.outputs[0], { a0: 0, rtol: 0 }).ok).toBe(true);
  });
  it('an output left NaN-poisoned fails', () => {
    const r = runSingleOp(sabotaged((exe) => exe.writeArena(good.layout.outputOffsets[0], Float32Array.of(NaN))), spec, [A, B]);
    expect(compare(r.outputs[0], good.outputs[0], { a0: 1, rtol: 1 }).ok).toBe(false);
  });
  it('a write into a guard zone is reported', () => {
    const r = runSingleOp(sabotaged((exe) => exe.writeArena(good.layout.outputOffsets[0] + 30, Float32Array.of(0))), spec, [A, B]);
    expect(r.guardErrors.length).toBe(1);
    expect(r.guardErrors[0]).toMatch(/guard \[\d+,\d+\) word 0: 0x0 ≠ 0x4b5a5a5a/);
  });
  it('a modified input is reported', () => {
    const r = runSingleOp(sabotaged((exe) => exe.writeArena(good.layout.inputOffsets[1] + 2, Float32Array.of(9))), spec, [A, B]);
    expect(bitEqual(r.inputsAfter[1], B)).toBe(2);
    expect(bitEqual(good.inputsAfter[1], B)).toBe(-1);
  });
  it('NMSE bound fails on a small error spread everywhere', () => {
    const g = new Float32Array(good.outputs[0]);
    for (let i = 0; i < g.length; i++) g[i] *= 1 + 1e-4;
    expect(compare(g, good.outputs[0], { a0: 1, rtol: 1, nmse: 1e-10 }).ok).toBe(false);
  });
});
