/**
 * Parameters of gridworld runs (`lamkit train --data gridworld`, trained on the graph engine by
 * src/lam/conv-trainer.ts) → the parameters of the preset IDM/FDM graphs (src/lam/presets.ts).
 *
 * The training graph builds the IDM and FDM with the presets' own builders, so the names and
 * layouts are already the presets' (idm.conv{i}.*, idm.fc.*, fdm.enc{i}.*, fdm.inject.*,
 * fdm.dec{i}.*). What is dropped: heads that are not part of the IDM/FDM (head.action.* of
 * action supervision, lfdm.* of the latent-space FDM). The parity test
 * (test/onnx/gridworld.test.ts) runs the engine and the exported ONNX on the same frames.
 */

const KEEP = /^(idm\.(conv[1-4]|fc)|fdm\.(enc[1-4]|inject|dec[1-4]))\.(weight|bias)$/;

/** The preset name of one gridworld parameter, or null for parameters outside IDM/FDM. */
export function gridworldParamName(name: string): string | null {
  return KEEP.test(name) ? name : null;
}

/** Keeps the IDM/FDM parameters of a gridworld run; heads are dropped. */
export function gridworldToPreset(params: Readonly<Record<string, Float32Array>>): Record<string, Float32Array> {
  const out: Record<string, Float32Array> = {};
  for (const [k, v] of Object.entries(params)) {
    const n = gridworldParamName(k);
    if (n) out[n] = v;
  }
  return out;
}
