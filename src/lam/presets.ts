/**
 * The canonical LAM workloads of PRESETS.md, built with the graph builder: `linear-exo`,
 * `linear-1k`, `conv64`, `grid32`, plus the IDM/FDM pieces on their own for inference graphs.
 *
 * Parameter names are stable (they key checkpoints, setParams and ONNX export):
 *   linear: idm.W1 [k,d_o], idm.W2 [k,d_o], fdm.C [d_o,d_o], fdm.D [d_o,k]
 *   conv:   idm.conv{1..4}.{weight,bias}, idm.fc.*, fdm.enc{1..4}.*, fdm.inject.*, fdm.dec{1..4}.*
 *
 * Adding an objective (see src/lam/objective.ts): build the forward model with `buildLam`,
 * then add graph ops for the extra term and pass it in the loss terms, e.g.
 *   - representation space: feed φ(o) instead of o (a fixed E applied by `b.matmul`) or take
 *     the target through `b.stopGradient(...)` of an EMA encoder (ema_update on state);
 *   - action supervision: `const a = b.input('a', [B, d_a]); const mask = b.input('mask', [B]);`
 *     `const h = nn.linear(b, lam.z, d_a, {name: 'head', rng, bias: false});`
 *     `terms.push({value: b.mseLoss(h, a, {mask, denom: nLabelled}), weight: λ})`;
 *   - cross-exogenous pairs: feed both copies and wire the IDM on copy 1 into the FDM on copy 2:
 *     `const z = linearIdm(b, o1, o1next, spec, rng); const pred = linearFdm(b, o2, z, spec, rng);`
 *     `terms.push({value: b.mseLoss(pred, o2next)})` (each module is built once: no sharing needed).
 * then `addTrainingStep(b, terms, {optimizer})` appends backward + optimiser, `plan(b.graph)`
 * lays it out and `compile(plan)` runs it; feed the extra inputs through a BatchSource.
 */
import { Rng } from '../data/rng.js';
import { GraphBuilder } from '../graph/builder.js';
import type { Value } from '../graph/ir.js';
import { biasUniform, kaimingUniform } from '../nn/init.js';
import * as nn from '../nn/layers.js';

export type PresetName = 'linear-exo' | 'linear-1k' | 'conv64' | 'grid32';

export interface LinearSpec {
  kind: 'linear';
  dObs: number;
  /** latent k */
  k: number;
  /** generator dims (SCIENCE.md §1) */
  dState: number;
  dAction: number;
  dExo: number;
}

export interface ConvSpec {
  kind: 'conv';
  /** frame channels, height, width */
  c: number;
  h: number;
  w: number;
  /** channels of the four stride-2 stages */
  ch: [number, number, number, number];
  k: number;
}

export interface Preset {
  name: PresetName;
  spec: LinearSpec | ConvSpec;
  batch: number;
  lr: number;
  summary: string;
}

/** PRESETS.md, verbatim in numbers. */
export const PRESETS: Readonly<Record<PresetName, Preset>> = {
  'linear-exo': {
    name: 'linear-exo',
    spec: { kind: 'linear', dObs: 64, k: 8, dState: 8, dAction: 4, dExo: 8 },
    batch: 512,
    lr: 1e-3,
    summary: 'linear LAM, d_o=64, k=8, batch 512',
  },
  'linear-1k': {
    name: 'linear-1k',
    spec: { kind: 'linear', dObs: 1024, k: 32, dState: 64, dAction: 16, dExo: 64 },
    batch: 1024,
    lr: 1e-3,
    summary: 'linear LAM, d_o=1024, k=32, batch 1024',
  },
  conv64: {
    name: 'conv64',
    spec: { kind: 'conv', c: 3, h: 64, w: 64, ch: [32, 64, 128, 128], k: 16 },
    batch: 32,
    lr: 1e-3,
    summary: 'conv U-Net LAM on 3×64×64, k=16, batch 32',
  },
  grid32: {
    name: 'grid32',
    spec: { kind: 'conv', c: 1, h: 32, w: 32, ch: [8, 16, 32, 32], k: 8 },
    batch: 16,
    lr: 1e-3,
    summary: 'small conv U-Net LAM on 1×32×32, k=8, batch 16',
  },
};

/** The preset by name; throws naming the known ones. */
export function getPreset(name: string): Preset {
  const p = (PRESETS as Record<string, Preset | undefined>)[name];
  if (!p) throw new RangeError(`unknown preset '${name}'; expected one of ${Object.keys(PRESETS).join(', ')}`);
  return p;
}

/** A LAM forward graph: feeds, latent, prediction and reconstruction loss. */
export interface LamGraph {
  builder: GraphBuilder;
  preset: Preset;
  batch: number;
  /** feed 'o_t' */
  oT: Value;
  /** feed 'o_t1' */
  oT1: Value;
  /** latent z [B, k] */
  z: Value;
  /** prediction ô_{t+1}, same shape as o_t */
  pred: Value;
  /** reconstruction loss [1]: Σ_dims (ô − o_{t+1})² averaged over the batch */
  recon: Value;
}

export interface BuildOptions {
  /** Batch size (default: the preset's). */
  batch?: number;
  /** Seed of the parameter initialisation (default 0). */
  seed?: number;
  /** Build into this builder (to compose with other graphs); default a fresh one. */
  builder?: GraphBuilder;
}

/** Frame / observation shape of one sample. */
export function sampleShape(p: Preset): number[] {
  return p.spec.kind === 'linear' ? [p.spec.dObs] : [p.spec.c, p.spec.h, p.spec.w];
}

/** Builds the preset's forward graph (IDM → z → FDM → ô, MSE reconstruction). */
export function buildLam(preset: Preset | PresetName, opts: BuildOptions = {}): LamGraph {
  const p = typeof preset === 'string' ? getPreset(preset) : preset;
  const batch = opts.batch ?? p.batch;
  if (!Number.isInteger(batch) || batch < 1) throw new RangeError(`buildLam: batch must be a positive integer, got ${batch}`);
  const b = opts.builder ?? new GraphBuilder();
  const rng = new Rng(opts.seed ?? 0);
  const shape = [batch, ...sampleShape(p)];
  const oT = b.input('o_t', shape);
  const oT1 = b.input('o_t1', shape);
  let z: Value;
  let pred: Value;
  if (p.spec.kind === 'linear') {
    z = linearIdm(b, oT, oT1, p.spec, rng);
    pred = linearFdm(b, oT, z, p.spec, rng);
  } else {
    z = convIdm(b, oT, oT1, p.spec, rng);
    pred = convFdm(b, oT, z, p.spec, rng);
  }
  const recon = b.mseLoss(pred, oT1, { name: 'recon' });
  return { builder: b, preset: p, batch, oT, oT1, z, pred, recon };
}

// ---- linear LAM ------------------------------------------------------------------------------

/** z [B,k] = o_t W1ᵀ + o_{t+1} W2ᵀ (no bias): one matmul, one accumulating matmul. */
export function linearIdm(b: GraphBuilder, oT: Value, oT1: Value, s: LinearSpec, rng: Rng): Value {
  const W1 = b.param('idm.W1', [s.k, s.dObs], kaimingUniform(rng, [s.k, s.dObs]));
  const W2 = b.param('idm.W2', [s.k, s.dObs], kaimingUniform(rng, [s.k, s.dObs]));
  return b.linear([[oT, W1], [oT1, W2]], undefined, null, 'z');
}

/** ô [B,d_o] = o_t Cᵀ + z Dᵀ (no bias). */
export function linearFdm(b: GraphBuilder, oT: Value, z: Value, s: LinearSpec, rng: Rng): Value {
  const C = b.param('fdm.C', [s.dObs, s.dObs], kaimingUniform(rng, [s.dObs, s.dObs]));
  const D = b.param('fdm.D', [s.dObs, s.k], kaimingUniform(rng, [s.dObs, s.k]));
  return b.linear([[oT, C], [z, D]], undefined, null, 'pred');
}

// ---- conv U-Net LAM --------------------------------------------------------------------------

// ReLUs run in place on the conv output (its only reader): one buffer less per layer.
const K4S2P1 = { kernel: 4, stride: 2, padding: 1 } as const;

/** IDM: concat(o_t, o_{t+1}) → 4 × (Conv k4 s2 p1, ReLU) → flatten → Linear → z [B,k]. */
export function convIdm(b: GraphBuilder, oT: Value, oT1: Value, s: ConvSpec, rng: Rng): Value {
  let h = b.concat([oT, oT1], 'idm.in');
  s.ch.forEach((c, i) => {
    h = b.relu(nn.conv2d(b, h, c, { name: `idm.conv${i + 1}`, rng, ...K4S2P1 }), `idm.relu${i + 1}`, true);
  });
  return nn.linear(b, b.flatten(h), s.k, { name: 'idm.fc', rng });
}

/**
 * FDM U-Net: encoder e1..e4 on o_t; z → Linear → [C4, H/16, W/16] added to e4; decoder of
 * ConvT (k4 s2 p1) + ReLU with skip concatenations of e3, e2, e1; last ConvT to the frame.
 */
export function convFdm(b: GraphBuilder, oT: Value, z: Value, s: ConvSpec, rng: Rng): Value {
  const enc: Value[] = [];
  let h = oT;
  s.ch.forEach((c, i) => {
    h = b.relu(nn.conv2d(b, h, c, { name: `fdm.enc${i + 1}`, rng, ...K4S2P1 }), `fdm.enc_relu${i + 1}`, true);
    enc.push(h);
  });
  const e4 = enc[3];
  const inj = nn.linear(b, z, e4.size / e4.shape[0], { name: 'fdm.inject', rng });
  let d = b.add(e4, b.reshape(inj, e4.shape), 'fdm.bottleneck');
  const outs = [s.ch[3], s.ch[1], s.ch[0], s.c]; // dec1: C4→C4 (ch[3]), dec2 → ch[1], dec3 → ch[0], dec4 → frame
  for (let i = 0; i < 4; i++) {
    d = nn.convTranspose2d(b, d, outs[i], { name: `fdm.dec${i + 1}`, rng, ...K4S2P1 });
    if (i < 3) {
      d = b.relu(d, `fdm.dec_relu${i + 1}`, true);
      d = b.concat([d, enc[2 - i]], `fdm.skip${i + 1}`);
    }
  }
  return d;
}

// ---- inference graphs (ONNX export) -----------------------------------------------------------

/** Inference graph of the IDM: feeds o_t, o_t1 → output 'z'. Parameters named as in training. */
export function buildIdmGraph(preset: Preset | PresetName, batch = 1): GraphBuilder {
  const p = typeof preset === 'string' ? getPreset(preset) : preset;
  const b = new GraphBuilder();
  const rng = new Rng(0);
  const shape = [batch, ...sampleShape(p)];
  const oT = b.input('o_t', shape);
  const oT1 = b.input('o_t1', shape);
  const z = p.spec.kind === 'linear' ? linearIdm(b, oT, oT1, p.spec, rng) : convIdm(b, oT, oT1, p.spec, rng);
  b.output('z', z);
  return b;
}

/** Inference graph of the FDM: feeds o_t, z → output 'pred'. Parameters named as in training. */
export function buildFdmGraph(preset: Preset | PresetName, batch = 1): GraphBuilder {
  const p = typeof preset === 'string' ? getPreset(preset) : preset;
  const b = new GraphBuilder();
  const rng = new Rng(0);
  const oT = b.input('o_t', [batch, ...sampleShape(p)]);
  const z = b.input('z', [batch, p.spec.k]);
  const pred = p.spec.kind === 'linear' ? linearFdm(b, oT, z, p.spec, rng) : convFdm(b, oT, z, p.spec, rng);
  b.output('pred', pred);
  return b;
}

export { biasUniform };
