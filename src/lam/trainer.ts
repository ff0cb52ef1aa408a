/**
 * Trainer: runs a compiled training step in chunks of many steps per backend call (feeds for the
 * whole chunk in one buffer), and reports progress through events.
 *
 * Between chunks it yields to the event loop, so `stop()` (e.g. from a SIGINT handler) takes
 * effect after the current chunk and `train()` resolves with what was done.
 *
 * Determinism: the same seed, backend and thread count give a bit-identical loss sequence (the
 * tape is fixed, data sources are seeded, and the native kernels split work by thread id, never
 * by timing). The chunk size does not matter either. Changing the *thread count* on native-cpu
 * changes the summation order, hence the last bits, of: conv2d_backward_filter and the dw of
 * conv_transpose2d (per-thread partial dW over images, reduced in thread order), mse_loss
 * (per-thread partial sums), and conv2d/conv_transpose2d when the batch is smaller than the
 * thread count (threaded GEMM inside one image). matmul (each thread owns whole C blocks over the
 * full K), bias_grad (one thread per channel) and the elementwise ops are thread-count
 * independent. The reference backend is single-threaded and float64-accumulating.
 */
import type { CompiledModel } from '../graph/compiled.js';
import type { BatchSource } from './batches.js';

export interface StepEvent {
  kind: 'step';
  /** 1-based step number (over the whole training). */
  step: number;
  totalSteps: number;
  loss: number;
  /** Throughput so far (steps / wall second, data generation included). */
  stepsPerSec: number;
  /** Estimated seconds left. */
  etaSec: number;
  elapsedSec: number;
}

export interface TrainResult {
  steps: number;
  /** Loss of every step run. */
  losses: Float32Array;
  seconds: number;
  /** Seconds inside backend run() calls only. */
  computeSeconds: number;
  stopped: boolean;
}

export interface TrainOptions {
  /** Steps to run in this call. */
  steps: number;
  /** Steps per backend call (default 50). */
  chunk?: number;
  /**
   * Steps already taken before this call (a resumed run): events number steps from
   * firstStep + 1 and report totalSteps = firstStep + steps. Default 0.
   */
  firstStep?: number;
  /** End chunks at multiples of this global step (checkpoint boundaries); the losses do not depend on it. */
  alignChunksTo?: number;
  /** Called for every step, in order, after the chunk holding it ran. */
  onStep?: (e: StepEvent) => void;
  /** Called after each chunk with the global number of steps taken (e.g. to write a checkpoint). */
  afterChunk?: (stepsDone: number) => void | Promise<void>;
}

export class Trainer {
  private stopRequested = false;

  constructor(
    readonly model: CompiledModel,
    readonly source: BatchSource,
  ) {
    const names = new Set(source.feeds);
    for (const f of model.plan.feeds)
      if (!names.has(f.name)) throw new RangeError(`Trainer: the batch source does not provide feed '${f.name}' (it provides ${source.feeds.join(', ')})`);
    if (!model.plan.outputs.some((o) => o.name === 'loss')) throw new RangeError("Trainer: the model has no 'loss' output (build it with addTrainingStep)");
  }

  /** Stop after the chunk in flight. */
  stop(): void {
    this.stopRequested = true;
  }

  async train(opts: TrainOptions): Promise<TrainResult> {
    const total = opts.steps;
    if (!Number.isInteger(total) || total < 1) throw new RangeError(`train: steps must be a positive integer, got ${String(total)}`);
    const chunk = opts.chunk ?? 50;
    if (!Number.isInteger(chunk) || chunk < 1) throw new RangeError(`train: chunk must be a positive integer, got ${String(chunk)}`);
    const first = opts.firstStep ?? 0;
    if (!Number.isInteger(first) || first < 0) throw new RangeError(`train: firstStep must be an integer ≥ 0, got ${String(first)}`);
    const align = opts.alignChunksTo;
    if (align !== undefined && (!Number.isInteger(align) || align < 1)) throw new RangeError(`train: alignChunksTo must be a positive integer, got ${String(align)}`);
    const m = this.model;
    const per = m.feedFloatsPerStep;
    const block = new Float32Array(chunk * per);
    // Views of each feed for each step of a chunk, made once.
    const views: Record<string, Float32Array>[] = [];
    for (let s = 0; s < chunk; s++) {
      const v: Record<string, Float32Array> = {};
      for (const f of m.plan.feeds) v[f.name] = block.subarray(s * per + f.offset, s * per + f.offset + f.size);
      views.push(v);
    }
    const lossSlot = m.plan.outputs.find((o) => o.name === 'loss')!;
    const losses = new Float32Array(total);
    const t0 = performance.now();
    let compute = 0;
    let done = 0;
    while (done < total && !this.stopRequested) {
      let n = Math.min(chunk, total - done);
      if (align !== undefined) n = Math.min(n, align - ((first + done) % align));
      for (let s = 0; s < n; s++) this.source.next(views[s]);
      const feeds = n === chunk ? block : block.subarray(0, n * per);
      const c0 = performance.now();
      const out = m.run(feeds, n);
      compute += performance.now() - c0;
      const outPer = m.outFloatsPerStep;
      for (let s = 0; s < n; s++) losses[done + s] = out[s * outPer + lossSlot.offset];
      const elapsed = (performance.now() - t0) / 1000;
      const rate = (done + n) / elapsed;
      if (opts.onStep)
        for (let s = 0; s < n; s++) {
          const i = done + s + 1;
          opts.onStep({ kind: 'step', step: first + i, totalSteps: first + total, loss: losses[i - 1], stepsPerSec: rate, etaSec: (total - i) / rate, elapsedSec: elapsed });
        }
      done += n;
      if (opts.afterChunk) await opts.afterChunk(first + done);
      // Let signal handlers (Ctrl-C → stop()) run between chunks.
      await new Promise((r) => setImmediate(r));
    }
    return { steps: done, losses: losses.slice(0, done), seconds: (performance.now() - t0) / 1000, computeSeconds: compute / 1000, stopped: done < total };
  }
}
