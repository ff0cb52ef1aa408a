/**
 * The gridworld conv LAM (PRESETS.md `grid32`, `conv64`) as graphs on the engine (src/graph):
 * one training graph per (objective, bottleneck) — forward, loss terms, backward, Adam and the
 * non-gradient state updates, all in one tape — and the inference graph the probes run.
 *
 * Objectives (SCIENCE.md §6), all on z = IDM(o_t, o_{t+1}) (quantised with VQ):
 *   recon          FDM(o_t, z) → o_{t+1}
 *   oracle         FDM(φ(o_t), z) → φ(o_{t+1}), φ = the generator's agent-only view (feeds oracle_t/_t1)
 *   latent-ema     ĥ = F([h_t, z]) → sg(E_ema(o_{t+1})), h_t = E_θ(o_t); E_ema ← τE_ema + (1−τ)E_θ
 *                  (ema_update on state copies of the encoder, after the optimiser); the loss
 *                  compares l2_normalize'd rows (2 − 2cos); latent-ema-mse: MSE to the raw target;
 *                  latent-ema-ctr: cosine after subtracting the batch means (conv-objectives.ts)
 *                  (:τ:μ adds μ·mean_d (Var_batch(h_t,d) − 1)² on the online embedding; :L picks
 *                  the encoder stage whose map is h)
 *   latent-nosg    the same against E_θ(o_{t+1}) with its gradient: collapses
 *   sup:λ:p        recon + λ·masked MSE(head(z), onehot(a)); feeds a [B,5], mask [B]; denom p·B
 *                  (the expected number of labelled rows: λ is per labelled sample on average);
 *                  sup:λ:p:m: m rows from a labelled pool, denom m
 *   cross          FDM(pair_t, z) → pair_{t+1}: z from copy A of a counterfactual pair, the
 *                  frames from copy B (same s_t, a_t; independent exogenous draws)
 * VQ: idx = vq_nearest(z_e, C); q = gather_rows(C, idx); z = z_e + sg(q − z_e) (straight-through);
 * commitment β‖z_e − sg(q)‖²; per-step code counts and sums (scatter_add_rows) fold into the
 * EMA statistics (ema_update). C = sums / counts and the dead-code reset run between chunks in
 * TypeScript (vq.ts): the op set has no division.
 *
 * Parameter names are the presets' (idm.conv{i}.*, idm.fc.*, fdm.enc{i}.*, fdm.inject.*,
 * fdm.dec{i}.*) so runs export through the preset IDM/FDM graphs; extra heads: head.action.*,
 * lfdm.*.
 */
import { Rng } from '../data/rng.js';
import type { LossTerm } from '../graph/autodiff.js';
import { GraphBuilder } from '../graph/builder.js';
import type { Value } from '../graph/ir.js';
import { biasUniform, kaimingUniform } from '../nn/init.js';
import * as nn from '../nn/layers.js';
import type { ConvObjective } from './conv-objectives.js';
import { addTrainingStep } from './objective.js';
import { convFdm, convIdm, type ConvSpec } from './presets.js';

export type Bottleneck = { kind: 'continuous' } | { kind: 'vq'; codes: number };

/** Number of discrete gridworld actions (stay, up, down, left, right). */
export const N_ACTIONS = 5;
/** Hidden width of the latent FDM. */
const LFDM_HIDDEN = 128;
const K4S2P1 = { stride: 2, padding: 1 } as const;

export interface VqSettings {
  /** EMA decay γ of the codebook statistics. */
  decay: number;
  /** Commitment weight β. */
  beta: number;
}
export const VQ_DEFAULTS: VqSettings = { decay: 0.99, beta: 0.25 };

export interface ConvTrainGraphOptions {
  spec: ConvSpec;
  batch: number;
  seed: number;
  objective: ConvObjective;
  bottleneck: Bottleneck;
  lr: number;
  vq?: Partial<VqSettings>;
}

export interface ConvTrainGraph {
  builder: GraphBuilder;
  /** Output names of the loss terms (the 'loss' output is their weighted sum). */
  terms: string[];
  weights: Record<string, number>;
  vq: VqSettings | null;
  /** Per-step outputs besides the terms: 'z_e' [B,k]; 'vq.count' [K] (VQ); 'embed' [B,E] (latent). */
  extraOutputs: string[];
}

/** A conv stage's parameters, created like nn.conv2d would (same names, same init). */
interface ConvLayer {
  w: Value;
  b: Value;
}

/** Parameters of the FDM encoder fdm.enc1..4. */
function encoderParams(b: GraphBuilder, s: ConvSpec, rng: Rng): ConvLayer[] {
  let cin = s.c;
  return s.ch.map((c, i) => {
    const shape = [c, cin, 4, 4];
    const layer = { w: b.param(`fdm.enc${i + 1}.weight`, shape, kaimingUniform(rng, shape)), b: b.param(`fdm.enc${i + 1}.bias`, [c], biasUniform(rng, c, cin * 16)) };
    cin = c;
    return layer;
  });
}

/** The encoder's bottom map e4 [B, C4, H/16, W/16] of x with the given weights. */
function encode(b: GraphBuilder, x: Value, layers: readonly ConvLayer[], name: string): Value {
  let h = x;
  layers.forEach((l, i) => {
    h = b.relu(b.conv2d(h, l.w, l.b, K4S2P1, `${name}${i + 1}`), `${name}_relu${i + 1}`, true);
  });
  return h;
}

/**
 * The VQ bottleneck on z_e [B, k] with K codes (see the file comment): returns the
 * straight-through latent, the commitment loss [1] (unweighted) and this step's code counts [K].
 * State: 'vq.codebook' [K,k] (written between chunks), 'vq.ema_count' [K,1], 'vq.ema_sum' [K,k].
 */
export function addVqBottleneck(b: GraphBuilder, ze: Value, K: number, vq: VqSettings): { z: Value; commit: Value; count: Value; idx: Value } {
  if (!Number.isInteger(K) || K < 2) throw new RangeError(`--bottleneck vq:<codes>: codes must be an integer ≥ 2, got ${K}`);
  const [B, k] = ze.shape;
  const cb = b.state('vq.codebook', [K, k]);
  const emaCount = b.state('vq.ema_count', [K, 1]);
  const emaSum = b.state('vq.ema_sum', [K, k]);
  const idx = b.op('vq_nearest', [ze, cb], {}, { name: 'vq.idx' })[0];
  const q = b.op('gather_rows', [cb, idx], {}, { name: 'vq.q' })[0];
  const zeSg = b.stopGradient(ze, 'vq.z_e_sg');
  // Straight-through: the forward value is q, the gradient reaches z_e unchanged.
  const z = b.add(ze, b.sub(q, zeSg, 'vq.q_minus_z'), 'vq.z');
  const commit = b.mseLoss(ze, q, { name: 'commit' });
  const count = b.op('fill', [], { value: 0, shape: [K, 1] }, { name: 'vq.count', phase: 'update' })[0];
  b.op('scatter_add_rows', [b.constant('vq.ones', [B, 1], new Float32Array(B).fill(1)), idx], { rows: K }, { into: count, acc: true, name: 'vq.count_add', phase: 'update' });
  const sum = b.op('fill', [], { value: 0, shape: [K, k] }, { name: 'vq.sum', phase: 'update' })[0];
  b.op('scatter_add_rows', [zeSg, idx], { rows: K }, { into: sum, acc: true, name: 'vq.sum_add', phase: 'update' });
  b.op('ema_update', [emaCount, count], { decay: vq.decay }, { name: 'vq.ema_count_update', phase: 'update' });
  b.op('ema_update', [emaSum, sum], { decay: vq.decay }, { name: 'vq.ema_sum_update', phase: 'update' });
  return { z, commit, count: b.reshape(count, [K]), idx };
}

/** Builds the whole training step of one gridworld run (see the file comment). */
export function buildConvTrainGraph(o: ConvTrainGraphOptions): ConvTrainGraph {
  const { spec: s, batch: B, objective: obj } = o;
  const b = new GraphBuilder();
  const rng = new Rng(o.seed);
  const frame = [B, s.c, s.h, s.w];
  const oT = b.input('o_t', frame);
  const oT1 = b.input('o_t1', frame);
  const ze = convIdm(b, oT, oT1, s, rng);
  b.output('z_e', ze);
  const extraOutputs = ['z_e'];
  const terms: LossTerm[] = [];
  const names: string[] = [];
  const weights: Record<string, number> = {};
  const term = (name: string, value: Value, weight = 1) => {
    terms.push({ value, weight });
    names.push(name);
    weights[name] = weight;
  };

  let z = ze;
  let vq: VqSettings | null = null;
  if (o.bottleneck.kind === 'vq') {
    vq = { ...VQ_DEFAULTS, ...o.vq };
    const r = addVqBottleneck(b, ze, o.bottleneck.codes, vq);
    z = r.z;
    term('commit', r.commit, vq.beta);
    b.output('vq.count', r.count);
    extraOutputs.push('vq.count');
  }

  let emaPairs: [Value, Value][] = [];
  let emaTau = 0;
  switch (obj.kind) {
    case 'recon':
    case 'sup': {
      term('rec', b.mseLoss(convFdm(b, oT, z, s, rng), oT1, { name: 'rec' }));
      if (obj.kind === 'sup') {
        const a = b.input('a', [B, N_ACTIONS]);
        const mask = b.input('mask', [B]);
        const head = nn.linear(b, z, N_ACTIONS, { name: 'head.action', rng });
        // Per labelled row: m exactly with a labelled pool, p·B on average with Bernoulli labels.
        const denom = obj.perBatch ?? Math.max(obj.p * B, 1e-3);
        term('sup', b.mseLoss(head, a, { mask, denom, name: 'sup' }), obj.lambda);
      }
      break;
    }
    case 'oracle': {
      const pT = b.input('oracle_t', frame);
      const pT1 = b.input('oracle_t1', frame);
      term('rec', b.mseLoss(convFdm(b, pT, z, s, rng), pT1, { name: 'rec' }));
      break;
    }
    case 'cross': {
      const pT = b.input('pair_t', frame);
      const pT1 = b.input('pair_t1', frame);
      term('rec', b.mseLoss(convFdm(b, pT, z, s, rng), pT1, { name: 'rec' }));
      break;
    }
    case 'latent': {
      const enc = encoderParams(b, s, rng);
      // The embedding is the map after encoder stage `level` (4 = the bottom map e4); the online
      // stages after it get no gradient (zero-filled) and the probes still read e4.
      const lv = obj.ema ? obj.level : 4;
      const h = b.flatten(encode(b, oT, enc.slice(0, lv), 'fdm.enc'), 'embed');
      b.output('embed', h);
      extraOutputs.push('embed');
      const u = b.relu(nn.linearSum(b, [h, z], LFDM_HIDDEN, { name: 'lfdm.in', rng }), 'lfdm.relu', true);
      const pred = nn.linear(b, u, h.shape[1], { name: 'lfdm.out', rng });
      let target: Value;
      if (obj.ema) {
        // The target encoder: state copies of the online encoder, never differentiated.
        const tgt = enc.map((l, i) => ({
          w: b.state(`ema.fdm.enc${i + 1}.weight`, l.w.shape, Float32Array.from(l.w.buf.init!)),
          b: b.state(`ema.fdm.enc${i + 1}.bias`, l.b.shape, Float32Array.from(l.b.buf.init!)),
        }));
        target = b.stopGradient(b.flatten(encode(b, oT1, tgt.slice(0, lv), 'ema.enc')), 'latent_target');
        emaPairs = enc.flatMap((l, i) => [[tgt[i].w, l.w] as [Value, Value], [tgt[i].b, l.b] as [Value, Value]]);
        emaTau = obj.tau;
      } else {
        target = b.flatten(encode(b, oT1, enc, 'fdm.enc_next')); // gradient flows into the target
      }
      if (obj.ema && obj.loss !== 'mse') {
        // BYOL: compare unit rows, ‖p̂ − t̂‖² = 2 − 2cos(p, t) per sample (mean over the batch).
        // 'centered' first subtracts each side's batch mean (DINO-style centering).
        const c = obj.loss === 'centered';
        const pn = unitRows(b, c ? centerRows(b, pred, 'latent_pred') : pred, 'latent_pred');
        const tn = unitRows(b, c ? centerRows(b, target, 'latent_target') : target, 'latent_target');
        term('latent', b.mseLoss(pn, tn, { name: 'latent' }));
      } else term('latent', b.mseLoss(pred, target, { name: 'latent' }));
      if (obj.ema && obj.variance > 0) term('variance', varianceTerm(b, h), obj.variance);
      break;
    }
  }
  addTrainingStep(b, terms, { optimizer: 'adam', lr: o.lr, termNames: names });
  if (names.length === 1) weights[names[0]] = 1;
  // After the optimiser: the target encoder follows the updated online encoder.
  for (const [t, p] of emaPairs) b.op('ema_update', [t, p], { decay: emaTau }, { name: `${t.name}_ema`, phase: 'update' });
  return { builder: b, terms: names, weights, vq, extraOutputs };
}

/** Rows of v [B, E] scaled to unit L2 norm. */
function unitRows(b: GraphBuilder, v: Value, tag: string): Value {
  return b.op('l2_normalize', [v], {}, { name: `${tag}_unit` })[0];
}

/** v [B, E] minus its batch mean (the mean broadcast back over the rows by a ones matmul). */
function centerRows(b: GraphBuilder, v: Value, tag: string): Value {
  const [B, E] = v.shape;
  const m = b.reshape(b.mean(v, 0, `${tag}_mean`), [1, E]);
  const ones = b.constant(`${tag}_ones`, [B, 1], new Float32Array(B).fill(1));
  return b.sub(v, b.matmul(ones, m, { name: `${tag}_mean_rows` }), `${tag}_centered`);
}

/** mean_d (Var_batch(h[:, d]) − 1)² for h [B, E], with Var = E[h²] − E[h]² (ops with gradient rules). */
export function varianceTerm(b: GraphBuilder, h: Value): Value {
  const E = h.shape[1];
  const m = b.mean(h, 0, 'var.mean');
  const m2 = b.mean(b.mul(h, h, 'var.sq'), 0, 'var.mean_sq');
  const v = b.sub(m2, b.mul(m, m, 'var.mean2'), 'var.var');
  return b.mseLoss(b.reshape(v, [1, E]), b.constant('var.one', [1, E], new Float32Array(E).fill(1)), { denom: E, name: 'variance' });
}

/**
 * Inference graph of a trained run for the probes: feeds o_t, o_t1 → outputs 'z' (before
 * quantisation) and 'e4' (the FDM encoder's bottom map of o_t). Parameter names as in training.
 */
export function buildConvProbeGraph(s: ConvSpec, batch: number): GraphBuilder {
  const b = new GraphBuilder();
  const rng = new Rng(0);
  const frame = [batch, s.c, s.h, s.w];
  const oT = b.input('o_t', frame);
  const oT1 = b.input('o_t1', frame);
  b.output('z', convIdm(b, oT, oT1, s, rng));
  b.output('e4', encode(b, oT, encoderParams(b, s, rng), 'fdm.enc'));
  return b;
}
