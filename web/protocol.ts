/** Messages between the playground page (web/main.ts) and its training worker (web/worker.ts). */
import type { TargetR2 } from '../src/analysis/population.js';

export interface TrainRequest {
  type: 'train';
  /** σ_ξ, k, objective text ('recon' | 'repr:<γ>' | 'sup:<λ>'), steps — already validated. */
  sigmaXi: number;
  k: number;
  objective: string;
  steps: number;
  /** Backend id to train on ('wasm', falling back to 'gpujs' / 'reference'). */
  backend: string;
  /** wasm threads (1 unless the page is cross-origin isolated). */
  threads: number;
  seed: number;
}

export interface Metrics {
  r2: TargetR2;
  s_exo: number;
  r2_exact: TargetR2;
  s_exo_exact: number;
}

export type WorkerMessage =
  | { type: 'backend'; name: string; detail: string; skipped: string[] }
  | { type: 'progress'; step: number; loss: number; elapsed: number }
  | {
      type: 'done';
      steps: number;
      seconds: number;
      stepsPerSec: number;
      trained: Metrics;
      closedForm: Metrics;
      floor: number;
      /** The trained IDM as ONNX, (o_t, o_t1) → z, plus a probe batch and the JS reference z. */
      onnx: Uint8Array;
      probe: { n: number; dObs: number; k: number; oT: Float32Array; oT1: Float32Array; z: Float32Array };
    }
  | { type: 'error'; message: string };
