/**
 * Parameter names of gridworld runs (`lamkit train --data gridworld`, the eager conv LAM in
 * src/lam/conv-lam.ts) → the names of the Graph presets (src/lam/presets.ts), so those runs
 * export through the same IDM/FDM graphs as engine runs.
 *
 * Both models are the PRESETS.md U-Net with the same weight layouts: conv [OC, C·4·4] is
 * [OC, C, 4, 4] row-major, ConvTranspose [IC, OC·4·4] is [IC, OC, 4, 4], Linear [out, in];
 * flatten/unflatten use PyTorch's (c, h, w) order in both. Only the names differ:
 *
 *   idm.c{i}.w/b  → idm.conv{i}.weight/bias     enc.c{i}.*   → fdm.enc{i}.*
 *   idm.fc.w/b    → idm.fc.weight/bias          fdm.inject.* → fdm.inject.*
 *   dec.t4 / t3 / t2 / t1 → fdm.dec1 / dec2 / dec3 / dec4
 *
 * Heads that are not part of the IDM/FDM (action head, latent FDM) are dropped. The parity
 * test (test/onnx/gridworld.test.ts) runs the eager model and the exported ONNX on the same
 * frames, so a layout change on either side fails there.
 */

const DEC: Record<string, string> = { t4: 'dec1', t3: 'dec2', t2: 'dec3', t1: 'dec4' };

/** The preset name of one gridworld parameter, or null for parameters outside IDM/FDM. */
export function gridworldParamName(name: string): string | null {
  const m = /^(idm|enc|dec|fdm)\.([a-z0-9]+)\.(w|b)$/.exec(name);
  if (!m) return null;
  const [, scope, layer, wb] = m;
  const suffix = wb === 'w' ? 'weight' : 'bias';
  if (scope === 'idm' && /^c[1-4]$/.test(layer)) return `idm.conv${layer.slice(1)}.${suffix}`;
  if (scope === 'idm' && layer === 'fc') return `idm.fc.${suffix}`;
  if (scope === 'enc' && /^c[1-4]$/.test(layer)) return `fdm.enc${layer.slice(1)}.${suffix}`;
  if (scope === 'fdm' && layer === 'inject') return `fdm.inject.${suffix}`;
  if (scope === 'dec' && DEC[layer]) return `fdm.${DEC[layer]}.${suffix}`;
  return null;
}

/** Renames a gridworld parameter set; unknown names are dropped. */
export function gridworldToPreset(params: Readonly<Record<string, Float32Array>>): Record<string, Float32Array> {
  const out: Record<string, Float32Array> = {};
  for (const [k, v] of Object.entries(params)) {
    const n = gridworldParamName(k);
    if (n) out[n] = v;
  }
  return out;
}
