/**
 * CompiledModel: a planned graph running on a backend. One `run()` executes N whole training
 * (or inference) steps inside the backend — no JavaScript between ops or between steps.
 * Parameters and optimiser state stay resident in the backend's arena; they are read and
 * written explicitly, by name.
 */
import type { InstructionProfiler } from '../backends/types.js';
import { fmtShape } from '../ops/contract.js';
import type { Plan, Slot, TapeProgram } from './plan.js';

/**
 * What a backend gives back for a compiled tape (the engine's view of an Executable; see
 * src/graph/runner.ts for the adapters over src/backends).
 */
export interface StepRunner {
  /** Backend id ('reference', 'native-cpu', …). */
  readonly backend: string;
  /** Runs `steps` steps; feeds holds steps·feedFloatsPerStep floats; returns steps·outFloatsPerStep. */
  run(feeds: Float32Array | null, steps: number): Float32Array;
  readArena(offset: number, n: number): Float32Array;
  writeArena(offset: number, data: Float32Array): void;
  dispose(): void;
  /** Per-instruction timers inside run(), where the backend has them (Executable.profiler). */
  readonly profiler?: InstructionProfiler;
}

/** A run stopped at a step (CHECK_FINITE found NaN/Inf, a bad index…). */
export class StepError extends Error {
  override name = 'StepError';
  constructor(
    message: string,
    /** 0-based step within the run that failed. */
    readonly step: number,
  ) {
    super(message);
  }
}

/** Everything needed to resume training: parameters, optimiser state and the step count. */
export interface ModelState {
  params: Record<string, Float32Array>;
  state: Record<string, Float32Array>;
  /** Steps taken so far (the Adam step counter). */
  step: number;
}

export class CompiledModel {
  private disposed = false;
  /** Better backends that compile() skipped, with the reason (set by compile()). */
  skipped: { name: string; reason: string }[] = [];
  private readonly byName = new Map<string, Slot>();

  /** Writes the plan's initial values (params, consts, state) into the runner's arena. */
  constructor(
    readonly plan: Plan,
    readonly runner: StepRunner,
  ) {
    for (const init of plan.inits) runner.writeArena(init.offset, init.data);
    for (const s of plan.params) this.byName.set(s.name, s);
  }

  get program(): TapeProgram {
    return this.plan.program;
  }
  get backend(): string {
    return this.runner.backend;
  }
  /** Floats of one step's feed block (feeds back to back in `plan.feeds` order). */
  get feedFloatsPerStep(): number {
    return this.plan.program.feedFloatsPerStep;
  }
  get outFloatsPerStep(): number {
    return this.plan.program.outFloatsPerStep;
  }

  /**
   * Runs `steps` steps. `feeds` is either one step-major block (steps × feedFloatsPerStep floats,
   * each step's feeds back to back in `plan.feeds` order — the zero-copy path the trainer uses)
   * or a record of named arrays, each steps × numel(shape) floats.
   * Returns the outputs, steps × outFloatsPerStep (see `output()` to pick one by name).
   */
  run(feeds: Float32Array | Record<string, Float32Array> | null, steps = 1): Float32Array {
    if (this.disposed) throw new Error('CompiledModel: run() after dispose()');
    if (typeof steps !== 'number' || !Number.isInteger(steps) || steps < 1)
      throw new RangeError(`run: steps must be a positive integer, got ${String(steps)}`);
    const per = this.feedFloatsPerStep;
    let block: Float32Array | null;
    if (per === 0) block = null;
    else if (feeds instanceof Float32Array) {
      if (feeds.length !== steps * per)
        throw new RangeError(`run: feed block has ${feeds.length} floats, expected ${steps} steps × ${per} = ${steps * per}`);
      block = feeds;
    } else if (feeds && typeof feeds === 'object' && !ArrayBuffer.isView(feeds) && !Array.isArray(feeds)) {
      block = this.packFeeds(feeds, steps);
    } else {
      throw new TypeError(`run: feeds must be a Float32Array or a record of Float32Array, got ${describe(feeds)}`);
    }
    try {
      return this.runner.run(block, steps);
    } catch (e) {
      const step = (e as { step?: unknown }).step;
      if (typeof step === 'number') {
        const msg = (e as Error).message.replace(/tensor tag (\d+)/, (_m, t: string) => this.plan.checkTags[Number(t)] ?? `tag ${t}`);
        throw new StepError(`step ${step + 1} of ${steps} in this run: ${msg}`, step);
      }
      throw e;
    }
  }

  /** Packs named per-step arrays into one step-major block, checking names, types and lengths. */
  packFeeds(feeds: Record<string, Float32Array>, steps: number): Float32Array {
    const per = this.feedFloatsPerStep;
    const block = new Float32Array(steps * per);
    const known = new Set(this.plan.feeds.map((f) => f.name));
    for (const k of Object.keys(feeds))
      if (!known.has(k)) throw new RangeError(`run: unknown feed '${k}'; this model takes ${[...known].join(', ')}`);
    for (const f of this.plan.feeds) {
      const a = feeds[f.name];
      if (a === undefined) throw new RangeError(`run: missing feed '${f.name}' ${fmtShape(f.shape)}`);
      if (!(a instanceof Float32Array)) throw new TypeError(`run: feed '${f.name}' must be a Float32Array, got ${describe(a)}`);
      if (a.length !== steps * f.size)
        throw new RangeError(`run: feed '${f.name}' has ${a.length} floats, expected ${steps} steps × ${fmtShape(f.shape)} = ${steps * f.size}`);
      for (let s = 0; s < steps; s++) block.set(a.subarray(s * f.size, (s + 1) * f.size), s * per + f.offset);
    }
    return block;
  }

  /** The values of output `name` for every step of a run's result: steps × numel(shape). */
  output(result: Float32Array, name: string): Float32Array {
    const o = this.plan.outputs.find((x) => x.name === name);
    if (!o) throw new RangeError(`output: no output named '${name}'; have ${this.plan.outputs.map((x) => x.name).join(', ')}`);
    const per = this.outFloatsPerStep;
    const steps = result.length / per;
    const r = new Float32Array(steps * o.size);
    for (let s = 0; s < steps; s++) r.set(result.subarray(s * per + o.offset, s * per + o.offset + o.size), s * o.size);
    return r;
  }

  /** Names and shapes of the parameters. */
  paramShapes(): Record<string, readonly number[]> {
    return Object.fromEntries(this.plan.params.map((s) => [s.name, s.shape]));
  }

  /** Copies of all parameters by name (row-major, PyTorch layouts). */
  getParams(): Record<string, Float32Array> {
    const r: Record<string, Float32Array> = {};
    for (const s of this.plan.params) r[s.name] = this.runner.readArena(s.offset, s.size).slice();
    return r;
  }

  /** One parameter by name. */
  getParam(name: string): Float32Array {
    const s = this.byName.get(name);
    if (!s) throw new RangeError(`getParam: no parameter named '${name}'; have ${[...this.byName.keys()].join(', ')}`);
    return this.runner.readArena(s.offset, s.size).slice();
  }

  /**
   * Overwrites the named parameters (a subset is fine). Checks names, types, lengths and
   * finiteness before writing anything.
   */
  setParams(values: Record<string, Float32Array>): void {
    for (const [k, a] of Object.entries(values)) {
      const s = this.byName.get(k);
      if (!s) throw new RangeError(`setParams: no parameter named '${k}'; have ${[...this.byName.keys()].join(', ')}`);
      checkArray('setParams', k, a, s);
    }
    for (const [k, a] of Object.entries(values)) this.runner.writeArena(this.byName.get(k)!.offset, a);
  }

  /** Parameters, optimiser state and step count (for checkpoints). */
  getState(): ModelState {
    const state: Record<string, Float32Array> = {};
    let step = 0;
    for (const s of this.plan.state) {
      const a = this.runner.readArena(s.offset, s.size).slice();
      if (s.dtype === 'i32') {
        const iv = new Int32Array(a.buffer, a.byteOffset, a.length);
        if (s.name === 'step') step = iv[0];
        state[s.name] = Float32Array.from(iv);
      } else state[s.name] = a;
    }
    return { params: this.getParams(), state, step };
  }

  /** Restores what getState() returned (every param and state entry must match by name and size). */
  setState(st: ModelState): void {
    if (!st || typeof st !== 'object') throw new TypeError(`setState: expected {params, state, step}, got ${describe(st)}`);
    this.setParams(st.params);
    for (const s of this.plan.state) {
      if (s.dtype === 'i32') continue;
      const a = st.state?.[s.name];
      if (a === undefined) throw new RangeError(`setState: missing state '${s.name}'`);
      checkArray('setState', s.name, a, s);
    }
    for (const s of this.plan.state) {
      if (s.dtype === 'i32') {
        const v = s.name === 'step' ? st.step : Number(st.state?.[s.name]?.[0] ?? 0);
        if (!Number.isInteger(v) || v < 0) throw new RangeError(`setState: step must be an integer ≥ 0, got ${v}`);
        const f = new Float32Array(1);
        new Int32Array(f.buffer)[0] = v;
        this.runner.writeArena(s.offset, f);
      } else this.runner.writeArena(s.offset, st.state[s.name]);
    }
  }

  /** Steps taken so far (the step counter), or 0 for a graph without an optimiser. */
  get step(): number {
    const s = this.plan.state.find((x) => x.name === 'step');
    if (!s) return 0;
    const a = this.runner.readArena(s.offset, 1);
    return new Int32Array(a.buffer, a.byteOffset, 1)[0];
  }

  dispose(): void {
    if (!this.disposed) this.runner.dispose();
    this.disposed = true;
  }
}

function checkArray(what: string, name: string, a: unknown, s: Slot): void {
  if (!(a instanceof Float32Array)) throw new TypeError(`${what}: '${name}' must be a Float32Array, got ${describe(a)}`);
  if (a.length !== s.size) throw new RangeError(`${what}: '${name}' has ${a.length} floats, expected ${fmtShape(s.shape)} = ${s.size}`);
  for (let i = 0; i < a.length; i++)
    if (!Number.isFinite(a[i])) throw new RangeError(`${what}: '${name}' holds a non-finite value ${a[i]} at element ${i}`);
}

function describe(x: unknown): string {
  if (x === null) return 'null';
  if (Array.isArray(x)) return 'Array';
  if (ArrayBuffer.isView(x)) return x.constructor.name;
  return typeof x;
}
