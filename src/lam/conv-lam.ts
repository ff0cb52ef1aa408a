/**
 * The conv U-Net LAM of PRESETS.md (`grid32`, `conv64`) on the eager engine (conv-eager.ts),
 * plus the small extra heads the nonlinear objectives need (latent FDM, action head).
 *
 *   IDM:  concat(o_t, o_{t+1}) 2C×H×W → 4 × [Conv k4 s2 p1, ReLU] → flatten → Linear → z [N, k]
 *   FDM encoder on o_t: e1..e4 (4 × [Conv k4 s2 p1, ReLU])
 *   injection: z → Linear(k → c4·(H/16)²) reshaped, added to e4
 *   decoder: ConvT ReLU → ⊕e3 → ConvT ReLU → ⊕e2 → ConvT ReLU → ⊕e1 → ConvT → ô [C, N, H, W]
 * Tensors are CNHW (see conv-kernels.ts); z and heads are [N, D].
 */
import { Rng } from '../data/rng.js';
import { ParamSet, Tape, Tensor } from './conv-eager.js';

/** Shapes of one conv LAM preset. */
export interface ConvLamSpec {
  name: 'grid32' | 'conv64';
  channels: number;
  size: number;
  /** Conv channel widths c1..c4. */
  widths: [number, number, number, number];
  /** Latent dim k. */
  k: number;
  batch: number;
  lr: number;
}

/** PRESETS.md: conv64 (3×64×64, 32/64/128/128, k 16, batch 32) and grid32 (1×32×32, 8/16/32/32, k 8, batch 16). */
export const CONV_PRESETS: Record<'grid32' | 'conv64', ConvLamSpec> = {
  grid32: { name: 'grid32', channels: 1, size: 32, widths: [8, 16, 32, 32], k: 8, batch: 16, lr: 1e-3 },
  conv64: { name: 'conv64', channels: 3, size: 64, widths: [32, 64, 128, 128], k: 16, batch: 32, lr: 1e-3 },
};

/** Output of the FDM encoder: the four skip levels. */
export interface Encoded {
  e1: Tensor;
  e2: Tensor;
  e3: Tensor;
  e4: Tensor;
}

export class ConvLam {
  readonly params = new ParamSet();
  /** Flattened e4 size c4·(H/16)², the latent-FDM embedding dim. */
  readonly embedDim: number;
  readonly bottom: number;

  /**
   * @param spec preset shapes
   * @param rng initialiser stream
   * @param extras which optional heads to create: `actions` (action head on z, n classes),
   *   `latent` (latent-space FDM over the encoder embedding)
   */
  constructor(readonly spec: ConvLamSpec, rng: Rng, extras: { actions?: number; latent?: boolean } = {}) {
    const { channels: C, widths: [c1, c2, c3, c4], k, size } = spec;
    if (size % 16 !== 0) throw new RangeError(`ConvLam: frame size ${size} must be divisible by 16 (four stride-2 convs)`);
    this.bottom = size / 16;
    this.embedDim = c4 * this.bottom * this.bottom;
    const P = this.params;
    const conv = (name: string, ic: number, oc: number) => {
      P.add(`${name}.w`, [oc, ic * 16], ic * 16, rng);
      P.add(`${name}.b`, [oc], ic * 16, rng);
    };
    // ConvT weight [IC, OC·K·K]; PyTorch's fan-in for ConvTranspose2d is OC·K·K.
    const convT = (name: string, ic: number, oc: number) => {
      P.add(`${name}.w`, [ic, oc * 16], oc * 16, rng);
      P.add(`${name}.b`, [oc], oc * 16, rng);
    };
    const lin = (name: string, i: number, o: number) => {
      P.add(`${name}.w`, [o, i], i, rng);
      P.add(`${name}.b`, [o], i, rng);
    };
    conv('idm.c1', 2 * C, c1);
    conv('idm.c2', c1, c2);
    conv('idm.c3', c2, c3);
    conv('idm.c4', c3, c4);
    lin('idm.fc', this.embedDim, k);
    conv('enc.c1', C, c1);
    conv('enc.c2', c1, c2);
    conv('enc.c3', c2, c3);
    conv('enc.c4', c3, c4);
    lin('fdm.inject', k, this.embedDim);
    convT('dec.t4', c4, c3);
    convT('dec.t3', 2 * c3, c2);
    convT('dec.t2', 2 * c2, c1);
    convT('dec.t1', 2 * c1, C);
    if (extras.actions) lin('head.action', k, extras.actions);
    if (extras.latent) {
      lin('lfdm.h', this.embedDim, 128);
      lin('lfdm.z', k, 128);
      lin('lfdm.out', 128, this.embedDim);
    }
  }

  private p(name: string): Tensor {
    return this.params.get(name);
  }

  private convRelu(t: Tape, x: Tensor, name: string): Tensor {
    return t.relu(t.conv(x, this.p(`${name}.w`), this.p(`${name}.b`), 4, 2, 1));
  }

  /** z [N, k] from o_t, o_{t+1} (CNHW tensors [C, N, H, W]). */
  idm(t: Tape, ot: Tensor, ot1: Tensor): Tensor {
    let h = t.concatC(ot, ot1);
    for (const l of ['c1', 'c2', 'c3', 'c4']) h = this.convRelu(t, h, `idm.${l}`);
    return t.linear(t.flatten(h), this.p('idm.fc.w'), this.p('idm.fc.b'));
  }

  /** FDM encoder; `prefix` selects a parameter copy (the EMA target encoder uses its own set). */
  encode(t: Tape, o: Tensor, params: ParamSet = this.params): Encoded {
    const cr = (x: Tensor, n: string) => t.relu(t.conv(x, params.get(`enc.${n}.w`), params.get(`enc.${n}.b`), 4, 2, 1));
    const e1 = cr(o, 'c1');
    const e2 = cr(e1, 'c2');
    const e3 = cr(e2, 'c3');
    const e4 = cr(e3, 'c4');
    return { e1, e2, e3, e4 };
  }

  /** ô_{t+1} [C, N, H, W] from the encoded o_t and z [N, k]. */
  decode(t: Tape, e: Encoded, z: Tensor): Tensor {
    const { widths } = this.spec;
    const inj = t.unflatten(t.linear(z, this.p('fdm.inject.w'), this.p('fdm.inject.b')), widths[3], this.bottom, this.bottom);
    const ct = (x: Tensor, n: string) => t.convT(x, this.p(`dec.${n}.w`), this.p(`dec.${n}.b`), 4, 2, 1);
    let h = t.relu(ct(t.add(e.e4, inj), 't4'));
    h = t.relu(ct(t.concatC(h, e.e3), 't3'));
    h = t.relu(ct(t.concatC(h, e.e2), 't2'));
    return ct(t.concatC(h, e.e1), 't1');
  }

  /** The flattened bottom feature map as the embedding of a frame, [N, embedDim]. */
  embed(t: Tape, e: Encoded): Tensor {
    return t.flatten(e.e4);
  }

  /** Latent FDM: ĥ_{t+1} [N, embedDim] = out(ReLU(W_h h_t + W_z z)). */
  latentFdm(t: Tape, h: Tensor, z: Tensor): Tensor {
    const a = t.linear(h, this.p('lfdm.h.w'), this.p('lfdm.h.b'));
    const b = t.linear(z, this.p('lfdm.z.w'), this.p('lfdm.z.b'));
    return t.linear(t.relu(t.add(a, b)), this.p('lfdm.out.w'), this.p('lfdm.out.b'));
  }

  /** Action logits-as-regression [N, classes] from z. */
  actionHead(t: Tape, z: Tensor): Tensor {
    return t.linear(z, this.p('head.action.w'), this.p('head.action.b'));
  }

  /** A frozen copy of the encoder parameters (the EMA target encoder's initial value). */
  cloneEncoder(): ParamSet {
    const ps = new ParamSet();
    for (const [name, p] of this.params.params) if (name.startsWith('enc.')) ps.params.set(name, new Tensor(new Float32Array(p.data), [...p.shape], false));
    return ps;
  }
}

/** target = τ·target + (1 − τ)·source for every parameter of `target` (EMA, the ema_update op). */
export function emaUpdate(target: ParamSet, source: ParamSet, tau: number): void {
  for (const [name, t] of target.params) {
    const s = source.get(name).data, d = t.data;
    for (let i = 0; i < d.length; i++) d[i] = tau * d[i] + (1 - tau) * s[i];
  }
}
