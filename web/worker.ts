/**
 * The playground's training worker: builds the linear-exo generator, trains the linear LAM on
 * the wasm backend (threads when the page is cross-origin isolated), posts the loss after every
 * chunk (so the page draws a live curve while training runs here), then evaluates the probes
 * against the closed form and exports the trained IDM to ONNX for the page to run.
 */
import { closedForm } from '../src/analysis/closed-form.js';
import { evaluateLinearLatent, linearLatent } from '../src/analysis/evaluate.js';
import { LinearSources } from '../src/analysis/linear-sources.js';
import { parseObjective } from '../src/analysis/objective.js';
import { registerBackend, resolveBackend } from '../src/backends/registry.js';
import { createWasmBackend } from '../src/backends/wasm.js';
import { backendFactory as gpujsFactory } from '../src/backends/gpujs/index.js';
import { LinearExo } from '../src/data/linear-exo.js';
import { Rng } from '../src/data/rng.js';
import { trainLinearLam } from '../src/lam/linear-objectives.js';
import { buildIdmGraph, getPreset, type Preset } from '../src/lam/presets.js';
import { exportGraph } from '../src/onnx/export.js';
import type { Metrics, TrainRequest, WorkerMessage } from './protocol.js';

const post = (m: WorkerMessage, transfer: Transferable[] = []) => (self as unknown as Worker).postMessage(m, transfer);

let wasmThreads = 1;
registerBackend({
  name: 'wasm',
  priority: 30,
  create: () => createWasmBackend({ location: new URL('./wasm/', self.location.href), threads: wasmThreads }),
});

// The registry imports optional backends by a computed path a bundle cannot follow: register
// the fallback one here.
registerBackend(gpujsFactory);

async function train(req: TrainRequest): Promise<void> {
  wasmThreads = req.threads;
  // Pick the backend once (and say why better ones were skipped) before training on it.
  let backend = req.backend;
  const skipped: string[] = [];
  for (const name of [req.backend, 'gpujs', 'reference']) {
    try {
      const r = await resolveBackend({ name });
      backend = name;
      const info = r.backend.info();
      post({ type: 'backend', name, detail: `${info.isa ?? ''}${info.threads ? `, ${info.threads} thread(s)` : ''}`, skipped });
      break;
    } catch (e) {
      skipped.push(`${name}: ${(e as Error).message}`);
    }
  }
  const gen = new LinearExo({ sigmaXi: req.sigmaXi, seed: req.seed });
  const objective = parseObjective(req.objective);
  const src = new LinearSources(gen);
  const cf = closedForm(gen, objective, req.k, src);
  const t0 = performance.now();
  const t = await trainLinearLam(gen, objective, {
    k: req.k,
    steps: req.steps,
    backend,
    chunk: 20,
    onProgress: (step, loss) => post({ type: 'progress', step, loss, elapsed: (performance.now() - t0) / 1000 }),
  });
  const seconds = (performance.now() - t0) / 1000;
  const pick = (ev: ReturnType<typeof evaluateLinearLatent>): Metrics => ({ r2: ev.r2, s_exo: ev.s_exo, r2_exact: ev.r2_exact, s_exo_exact: ev.s_exo_exact });
  const trained = pick(evaluateLinearLatent(gen, t, { src }));
  const closed = pick(evaluateLinearLatent(gen, cf, { src }));
  // ONNX: the same IDM graph lamkit exports for presets, sized to this generator and k.
  const preset: Preset = {
    ...getPreset('linear-exo'),
    spec: { kind: 'linear', dObs: gen.dObs, k: req.k, dState: gen.config.dState, dAction: gen.dAction, dExo: gen.config.dExo },
  };
  const b = buildIdmGraph(preset, 1);
  const f32 = (m: { to1DArray(): number[] }) => Float32Array.from(m.to1DArray());
  const res = exportGraph(b.graph, {
    outputs: Object.fromEntries(b.graph.outputs),
    params: { 'idm.W1': f32(t.W1), 'idm.W2': f32(t.W2) },
    metadata: { source: 'lamkit playground', objective: req.objective, sigma_xi: String(req.sigmaXi) },
    graphName: 'linear_exo_idm',
  });
  const n = 8;
  const batch = gen.sample(n, new Rng(req.seed + 17));
  const z = linearLatent(t, batch.oT, batch.oT1, n);
  post({
    type: 'done',
    steps: t.steps,
    seconds,
    stepsPerSec: t.steps / seconds,
    trained,
    closedForm: closed,
    floor: cf.floor,
    onnx: res.bytes,
    probe: { n, dObs: gen.dObs, k: req.k, oT: Float32Array.from(batch.oT), oT1: Float32Array.from(batch.oT1), z: Float32Array.from(z) },
  });
}

self.onmessage = (e: MessageEvent<TrainRequest>) => {
  if (e.data?.type !== 'train') return;
  train(e.data).catch((err: unknown) => post({ type: 'error', message: (err as Error)?.stack ?? String(err) }));
};
