import { describe, expect, it } from 'vitest';
import { ParamSet, Tape, Tensor } from '../../src/lam/conv-eager.js';
import { ConvLam, CONV_PRESETS } from '../../src/lam/conv-lam.js';
import { Rng, testSeed } from '../../src/data/rng.js';

const seed = testSeed();

/** Loss of a small U-Net-like chain touching every op: conv, convT, relu, concat, flatten, linear, add, mse. */
function lossOf(ps: ParamSet, x: Tensor, target: Float32Array, tape = new Tape()): number {
  const h1 = tape.relu(tape.conv(x, ps.get('c.w'), ps.get('c.b'), 4, 2, 1)); // [3, 2, 4, 4]
  const f = tape.flatten(h1); // [2, 48]
  const z = tape.linear(f, ps.get('l.w'), ps.get('l.b')); // [2, 5]
  const back = tape.unflatten(tape.linear(z, ps.get('u.w'), ps.get('u.b')), 3, 4, 4);
  const h2 = tape.add(h1, back);
  const y = tape.convT(tape.concatC(h2, h1), ps.get('t.w'), ps.get('t.b'), 4, 2, 1); // [2, 2, 8, 8]
  return tape.mse('l', y, target, { denom: 2 });
}

describe(`eager conv autodiff (seed ${seed})`, () => {
  it('matches central finite differences for every parameter', () => {
    const rng = new Rng(seed);
    const ps = new ParamSet();
    ps.add('c.w', [3, 2 * 16], 8, rng);
    ps.add('c.b', [3], 8, rng);
    ps.add('l.w', [5, 48], 6, rng);
    ps.add('l.b', [5], 6, rng);
    ps.add('u.w', [48, 5], 3, rng);
    ps.add('u.b', [48], 3, rng);
    ps.add('t.w', [6, 2 * 16], 3, rng);
    ps.add('t.b', [2], 3, rng);
    const x = new Tensor(rng.fillNormal(new Float32Array(2 * 2 * 8 * 8)), [2, 2, 8, 8], true);
    const target = rng.fillNormal(new Float32Array(2 * 2 * 8 * 8));
    const tape = new Tape();
    lossOf(ps, x, target, tape);
    tape.backward();
    let worst = 0;
    for (const [name, p] of [...ps.params, ['x', x] as const]) {
      for (let trial = 0; trial < 6; trial++) {
        const i = rng.int(p.size);
        const old = p.data[i], h = 1e-2;
        p.data[i] = old + h;
        const up = lossOf(ps, x, target);
        p.data[i] = old - h;
        const dn = lossOf(ps, x, target);
        p.data[i] = old;
        const fd = (up - dn) / (2 * h), an = p.grad![i];
        const err = Math.abs(fd - an) / (Math.abs(fd) + Math.abs(an) + 1e-2);
        worst = Math.max(worst, err);
        expect(err, `${name}[${i}] fd ${fd} vs autodiff ${an}`).toBeLessThan(5e-2);
      }
    }
    console.log(`eager autodiff: worst relative error vs finite differences ${worst.toExponential(2)}`);
  });

  it('grid32 forward shapes follow PRESETS.md', () => {
    const lam = new ConvLam(CONV_PRESETS.grid32, new Rng(seed));
    const t = new Tape();
    const N = 2;
    const o = new Tensor(new Float32Array(N * 32 * 32), [1, N, 32, 32]);
    const z = lam.idm(t, o, o);
    expect(z.shape).toEqual([N, 8]);
    const e = lam.encode(t, o);
    expect(e.e1.shape).toEqual([8, N, 16, 16]);
    expect(e.e4.shape).toEqual([32, N, 2, 2]);
    expect(lam.decode(t, e, z).shape).toEqual([1, N, 32, 32]);
  });
});
