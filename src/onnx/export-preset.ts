/**
 * Export of a preset's inference graph (PRESETS.md: `idm` (o_t, o_t1) → z, `fdm` (o_t, z) →
 * pred) with given (trained) parameters. The graph is the one src/lam builds for training, so
 * parameter names and shapes are the checkpoint's; a VQ model appends the nearest-code lookup
 * to the IDM (outputs `z` = the code vector and `code` = its index). A run on the user's own
 * data passes its model (`model`, rebuilt from the checkpoint's config.model) instead of a name.
 */
import { buildFdmGraph, buildIdmGraph, getPreset, type Preset } from '../lam/presets.js';
import { fmtShape } from '../ops/contract.js';
import type { Value } from '../graph/ir.js';
import { exportGraph, type ExportResult } from './export.js';
import { addVqLookup } from './vq-head.js';

/** The inference graphs lamkit exports. */
export const INFERENCE_GRAPHS = ['idm', 'fdm'] as const;
export type InferenceGraph = (typeof INFERENCE_GRAPHS)[number];

export interface PresetExportOptions {
  /** The preset's name; with `model`, only the name in metadata and messages (e.g. 'own-data'). */
  preset: string;
  /** The model to build instead of the named preset (own-data runs: run-dir.ts RunForExport.model). */
  model?: Preset | null;
  graph: string;
  /** Parameters by name (every parameter of the graph must be present). */
  params: Readonly<Record<string, Float32Array>>;
  /** VQ codebook [K·k] (row-major [K, k]) for a VQ model; IDM only uses it. */
  codebook?: Float32Array | null;
  /** Extra metadata_props (training config, run id…). */
  metadata?: Record<string, string>;
  /** Where the parameters came from, for error messages (e.g. the run directory). */
  source?: string;
}

/** Builds, checks and exports one inference graph of a preset. */
export function exportPreset(o: PresetExportOptions): ExportResult {
  const p = o.model ?? getPreset(o.preset);
  const label = o.model ? o.preset : p.name;
  if (!(INFERENCE_GRAPHS as readonly string[]).includes(o.graph))
    throw new RangeError(`unknown graph '${o.graph}'; expected one of ${INFERENCE_GRAPHS.join(', ')} (idm: (o_t, o_t1) → z, fdm: (o_t, z) → pred)`);
  const graph = o.graph as InferenceGraph;
  const b = graph === 'idm' ? buildIdmGraph(p, 1) : buildFdmGraph(p, 1);
  const src = o.source ?? 'params';
  for (const [name, v] of b.graph.params) {
    const d = o.params[name];
    if (d === undefined) throw new RangeError(`${src}: parameter '${name}' ${fmtShape(v.shape)} of the ${label} ${graph.toUpperCase()} is missing (found: ${Object.keys(o.params).join(', ') || 'none'})`);
    if (d.length !== v.size) throw new RangeError(`${src}: parameter '${name}' has ${d.length} floats, expected ${v.size} for ${fmtShape(v.shape)} (preset ${label})`);
  }
  let outputs: Record<string, Value> = Object.fromEntries(b.graph.outputs);
  const meta: Record<string, string> = { preset: label, graph, ...(o.model ? { model: JSON.stringify(p.spec) } : {}), ...(o.metadata ?? {}) };
  if (o.codebook && graph === 'idm') {
    outputs = addVqLookup(b, b.graph.outputs.get('z')!, o.codebook);
    meta.bottleneck = `vq:${o.codebook.length / p.spec.k}`;
  } else if (o.codebook) {
    meta.bottleneck = `vq:${o.codebook.length / p.spec.k}`;
  }
  const doc =
    graph === 'idm'
      ? `lamkit ${label} inverse dynamics model: (o_t, o_t1) → z${o.codebook ? ' (VQ: z is the nearest code, code its index)' : ''}`
      : `lamkit ${label} forward dynamics model: (o_t, z) → pred (ô_{t+1})`;
  return exportGraph(b.graph, { outputs, params: o.params, metadata: meta, graphName: `${label}_${graph}`, docString: doc });
}
