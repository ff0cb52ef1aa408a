/**
 * The lamkit playground page: linear-exo with sliders for σ_ξ, k, γ, λ (validated as in
 * `lamkit analyze`), training in a worker on the wasm backend with a live loss curve, probes
 * R²(a|z̃), R²(ξ|z̃) and S_exo beside the closed form, the trained IDM exported to ONNX and run
 * here with onnxruntime-web, and a gpu.js check (WebGL or its fallback).
 *
 * State for tests and curious users is mirrored on `window.lamkit`.
 */
import * as ort from 'onnxruntime-web/wasm';
import { detectFeatures } from './features.js';
import { checkGpujs, type GpujsCheck } from './gpujs-check.js';
import type { Metrics, TrainRequest, WorkerMessage } from './protocol.js';
import { type PlaygroundInputs, validateInputs } from './validate.js';

interface PageState {
  features: ReturnType<typeof detectFeatures>;
  status: 'idle' | 'training' | 'done' | 'error';
  backend?: { name: string; detail: string; skipped: string[] };
  losses: { step: number; loss: number }[];
  result?: { steps: number; seconds: number; stepsPerSec: number; trained: Metrics; closedForm: Metrics; floor: number; request: TrainRequest };
  onnx?: { ok: boolean; maxAbsErr: number; bytes: number; outputs: string[]; error?: string };
  gpujs?: GpujsCheck | { error: string };
  errors: string[];
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const features = detectFeatures();
const state: PageState = { features, status: 'idle', losses: [], errors: [] };
(window as unknown as { lamkit: PageState }).lamkit = state;

// ---- features ---------------------------------------------------------------------------
{
  const ul = $('features');
  const row = (ok: boolean, text: string) => {
    const li = document.createElement('li');
    li.className = ok ? 'ok' : 'missing';
    li.textContent = `${ok ? '✓' : '✗'} ${text}`;
    ul.appendChild(li);
  };
  row(features.webAssembly, 'WebAssembly');
  row(features.simd, 'WebAssembly SIMD128');
  row(features.threads, `wasm threads (cross-origin isolated: ${features.crossOriginIsolated})`);
  row(features.webgl, `WebGL${features.webgl2 ? '2' : ''}`);
  $('missing').textContent = features.missing.length ? `Fallbacks: ${features.missing.join('; ')}` : 'Every feature is available.';
}

// ---- inputs ------------------------------------------------------------------------------
const inputs = (): PlaygroundInputs => ({
  sigmaXi: $<HTMLInputElement>('sigma-xi-text').value,
  k: $<HTMLInputElement>('k-text').value,
  gamma: $<HTMLInputElement>('gamma-text').value,
  lambda: $<HTMLInputElement>('lambda-text').value,
  objective: $<HTMLSelectElement>('objective').value,
  steps: $<HTMLInputElement>('steps').value,
});

function validate(): ReturnType<typeof validateInputs> {
  const v = validateInputs(inputs());
  $('errors').textContent = v.ok ? '' : v.errors.join('\n');
  $<HTMLButtonElement>('train').disabled = !v.ok || state.status === 'training';
  const obj = $<HTMLSelectElement>('objective').value;
  $('gamma-row').style.opacity = obj === 'repr' ? '1' : '0.4';
  $('lambda-row').style.opacity = obj === 'sup' ? '1' : '0.4';
  return v;
}

// Each slider mirrors a text box (the text box allows exact values; both are validated).
for (const id of ['sigma-xi', 'k', 'gamma', 'lambda']) {
  const slider = $<HTMLInputElement>(id);
  const text = $<HTMLInputElement>(`${id}-text`);
  slider.addEventListener('input', () => {
    text.value = slider.value;
    validate();
  });
  text.addEventListener('input', () => {
    if (Number.isFinite(Number(text.value))) slider.value = text.value;
    validate();
  });
}
for (const id of ['objective', 'steps']) $(id).addEventListener('input', validate);
validate();

// ---- loss curve --------------------------------------------------------------------------
function drawLoss(floor?: number): void {
  const c = $<HTMLCanvasElement>('loss');
  const g = c.getContext('2d');
  if (!g) return;
  g.clearRect(0, 0, c.width, c.height);
  const pts = state.losses;
  if (pts.length === 0) return;
  const total = state.result?.steps ?? Number($<HTMLInputElement>('steps').value);
  const ys = pts.map((p) => Math.log10(Math.max(p.loss, 1e-12)));
  if (floor !== undefined && floor > 0) ys.push(Math.log10(floor));
  const lo = Math.min(...ys);
  const hi = Math.max(...ys);
  const X = (s: number) => 40 + ((c.width - 50) * s) / Math.max(total, 1);
  const Y = (v: number) => 10 + (c.height - 30) * (1 - (v - lo) / Math.max(hi - lo, 1e-9));
  g.strokeStyle = '#999';
  g.strokeRect(40, 10, c.width - 50, c.height - 30);
  g.fillStyle = '#333';
  g.font = '11px sans-serif';
  g.fillText(`10^${hi.toFixed(1)}`, 2, 14);
  g.fillText(`10^${lo.toFixed(1)}`, 2, c.height - 20);
  g.fillText(`step ${total}`, c.width - 60, c.height - 5);
  if (floor !== undefined && floor > 0) {
    g.strokeStyle = '#c33';
    g.setLineDash([4, 3]);
    g.beginPath();
    g.moveTo(40, Y(Math.log10(floor)));
    g.lineTo(c.width - 10, Y(Math.log10(floor)));
    g.stroke();
    g.setLineDash([]);
  }
  g.strokeStyle = '#2662c9';
  g.beginPath();
  pts.forEach((p, i) => (i === 0 ? g.moveTo(X(p.step), Y(ys[i])) : g.lineTo(X(p.step), Y(ys[i]))));
  g.stroke();
}

// ---- results -----------------------------------------------------------------------------
const f3 = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : '—');

function showResults(): void {
  const r = state.result;
  if (!r) return;
  const rows: [string, number, number][] = [
    ['R²(a | z̃)', r.trained.r2.action, r.closedForm.r2.action],
    ['R²(ξ | z̃)', r.trained.r2.xi, r.closedForm.r2.xi],
    ['S_exo', r.trained.s_exo, r.closedForm.s_exo],
  ];
  $('results').innerHTML =
    '<tr><th></th><th>trained (in browser)</th><th>closed form</th><th>Δ</th></tr>' +
    rows.map(([n, a, b]) => `<tr><td>${n}</td><td class="num">${f3(a)}</td><td class="num">${f3(b)}</td><td class="num">${f3(a - b)}</td></tr>`).join('');
  $('speed').textContent = `${r.steps} steps in ${r.seconds.toFixed(2)} s → ${r.stepsPerSec.toFixed(0)} steps/s on ${state.backend?.name ?? '?'} (${state.backend?.detail ?? ''})`;
}

// ---- ONNX in the page --------------------------------------------------------------------
async function runOnnx(bytes: Uint8Array, probe: Extract<WorkerMessage, { type: 'done' }>['probe']): Promise<void> {
  try {
    ort.env.wasm.wasmPaths = new URL('./ort/', location.href).href;
    ort.env.wasm.numThreads = 1;
    const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
    const feeds = {
      o_t: new ort.Tensor('float32', probe.oT, [probe.n, probe.dObs]),
      o_t1: new ort.Tensor('float32', probe.oT1, [probe.n, probe.dObs]),
    };
    const out = await session.run(feeds);
    const z = out[session.outputNames[0]].data as Float32Array;
    let err = 0;
    for (let i = 0; i < probe.z.length; i++) err = Math.max(err, Math.abs(z[i] - probe.z[i]));
    if (z.length !== probe.z.length) err = Infinity;
    state.onnx = { ok: err < 1e-3, maxAbsErr: err, bytes: bytes.length, outputs: [...session.outputNames] };
    $('onnx').textContent = `IDM exported to ONNX (${bytes.length} bytes) and run with onnxruntime-web: z for ${probe.n} transitions matches the JS latent to ${err.toExponential(2)} (max |Δ|).`;
    const blob = new Blob([bytes.slice()], { type: 'application/octet-stream' });
    const a = $<HTMLAnchorElement>('onnx-download');
    a.href = URL.createObjectURL(blob);
    a.style.display = 'inline';
  } catch (e) {
    state.onnx = { ok: false, maxAbsErr: Infinity, bytes: bytes.length, outputs: [], error: (e as Error).message };
    $('onnx').textContent = `ONNX run failed: ${(e as Error).message}`;
  }
}

// ---- training ----------------------------------------------------------------------------
let worker: Worker | undefined;

function train(): void {
  const v = validate();
  if (!v.ok) return;
  state.status = 'training';
  state.losses = [];
  state.result = undefined;
  state.onnx = undefined;
  $('status').textContent = 'training…';
  $<HTMLButtonElement>('train').disabled = true;
  worker?.terminate();
  worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
  const threads = features.threads ? Math.max(1, Math.min(4, navigator.hardwareConcurrency || 1)) : 1;
  const req: TrainRequest = {
    type: 'train',
    sigmaXi: v.value.sigmaXi,
    k: v.value.k,
    objective: v.value.objective,
    steps: v.value.steps,
    backend: features.webAssembly ? 'wasm' : 'reference',
    threads,
    seed: 0,
  };
  let lastDraw = 0;
  worker.onmessage = (e: MessageEvent<WorkerMessage>) => {
    const m = e.data;
    if (m.type === 'backend') {
      state.backend = { name: m.name, detail: m.detail, skipped: m.skipped };
      $('backend').textContent = `backend: ${m.name} (${m.detail})${m.skipped.length ? `; skipped ${m.skipped.join('; ')}` : ''}`;
    } else if (m.type === 'progress') {
      state.losses.push({ step: m.step, loss: m.loss });
      $('status').textContent = `training… step ${m.step}/${req.steps}, loss ${m.loss.toFixed(4)}, ${(m.step / Math.max(m.elapsed, 1e-9)).toFixed(0)} steps/s`;
      if (performance.now() - lastDraw > 50) {
        lastDraw = performance.now();
        drawLoss();
      }
    } else if (m.type === 'done') {
      state.result = { steps: m.steps, seconds: m.seconds, stepsPerSec: m.stepsPerSec, trained: m.trained, closedForm: m.closedForm, floor: m.floor, request: req };
      drawLoss(m.floor);
      showResults();
      $('status').textContent = `done: final loss ${state.losses[state.losses.length - 1]?.loss.toFixed(4)} (closed-form floor ${m.floor.toFixed(4)})`;
      void runOnnx(m.onnx, m.probe).then(() => {
        state.status = 'done';
        validate();
      });
    } else if (m.type === 'error') {
      state.status = 'error';
      state.errors.push(m.message);
      $('status').textContent = `training failed: ${m.message.split('\n')[0]}`;
      validate();
    }
  };
  worker.onerror = (e) => {
    state.status = 'error';
    state.errors.push(e.message);
    $('status').textContent = `worker failed: ${e.message}`;
    validate();
  };
  worker.postMessage(req);
}

$('train').addEventListener('click', train);

// ---- gpu.js ------------------------------------------------------------------------------
$('gpujs-run').addEventListener('click', async () => {
  $('gpujs').textContent = 'running gpu.js kernels…';
  try {
    const r = await checkGpujs();
    state.gpujs = r;
    $('gpujs').textContent =
      `gpu.js mode ${r.mode}${r.fallback ? ` (fallback: ${r.fallback})` : ''}: ` +
      r.ops.map((o) => `${o.op} max|Δ| ${o.maxAbsErr.toExponential(2)} vs reference, ${o.msPerRun.toFixed(2)} ms/run`).join('; ') +
      (r.train ? `; linear LAM tape ${r.train.steps} steps at ${r.train.stepsPerSec.toFixed(1)} steps/s, final loss ${r.train.finalLoss.toFixed(4)} (reference ${r.train.referenceLoss.toFixed(4)})` : '');
  } catch (e) {
    state.gpujs = { error: (e as Error).message };
    $('gpujs').textContent = `gpu.js unavailable: ${(e as Error).message}`;
  }
});
