/**
 * Test helper: runs a planned tape in float64 (the reference kernels are plain loops, so they
 * accept Float64Array views) to compare analytic gradients with central finite differences
 * without float32 rounding in the way.
 */
import { REFERENCE_KERNELS } from '../../src/backends/reference/index.js';
import { opByOpcode } from '../../src/ops/index.js';
import { SPECIAL_OPCODES } from '../../src/ops/opcodes.js';
import { decodeTape } from '../../src/ops/tape.js';
import type { Plan } from '../../src/graph/plan.js';

export class F64Runner {
  readonly arena: Float64Array;
  private readonly steps: (() => void)[] = [];
  private readonly forwardOnly: (() => void)[] = [];
  readonly out: Float64Array;

  constructor(readonly plan: Plan, readonly feeds: Float64Array) {
    const p = plan.program;
    this.arena = new Float64Array(p.arenaFloats);
    for (const init of plan.inits) this.arena.set(init.data, init.offset);
    this.out = new Float64Array(p.outFloatsPerStep);
    const arena = this.arena;
    const decoded = decodeTape(p.tape, p.arenaFloats, p.feedFloatsPerStep, p.outFloatsPerStep);
    decoded.forEach((ins, j) => {
      const n = this.steps.length;
      this.addInstr(ins, feeds);
      const phase = plan.ops[j].phase;
      if (this.steps.length > n && (phase === 'forward' || phase === 'io')) this.forwardOnly.push(this.steps[n]);
    });
  }

  private addInstr(ins: ReturnType<typeof decodeTape>[number], feeds: Float64Array): void {
    const arena = this.arena;
    {
      const a = ins.args;
      if (ins.opcode === SPECIAL_OPCODES.FEED) this.steps.push(() => arena.set(feeds.subarray(a[1], a[1] + a[2]), a[0]));
      else if (ins.opcode === SPECIAL_OPCODES.OUTPUT) this.steps.push(() => this.out.set(arena.subarray(a[0], a[0] + a[2]), a[1]));
      else if (ins.opcode === SPECIAL_OPCODES.CHECK_FINITE) return;
      else if (ins.opcode === SPECIAL_OPCODES.STEP_INCREMENT) throw new Error('F64Runner: no optimiser steps in gradient checks');
      else {
        const c = opByOpcode(ins.opcode)!;
        const ext = c.extents(a);
        const k = REFERENCE_KERNELS[c.id as keyof typeof REFERENCE_KERNELS] as (...x: unknown[]) => void;
        const args = a.map((v, i) => (ins.kinds[i] === 'f32*' || ins.kinds[i] === 'f32*?' || ins.kinds[i] === 'i32*' ? (v === -1 ? null : arena.subarray(v, v + ext[i])) : v));
        this.steps.push(() => k(...args));
      }
    }
  }

  /** Runs only the forward part (and FEED/OUTPUT): enough for the loss. */
  runForward(): Float64Array {
    for (const s of this.forwardOnly) s();
    return this.out;
  }

  /** Runs the tape once; returns the outputs block. */
  run(): Float64Array {
    for (const s of this.steps) s();
    return this.out;
  }

  output(name: string): Float64Array {
    const o = this.plan.outputs.find((x) => x.name === name)!;
    return this.out.slice(o.offset, o.offset + o.size);
  }
}
