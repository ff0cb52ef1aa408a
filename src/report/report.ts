/**
 * The lamkit report: sections of text, tables and Vega-Lite plots, written as a directory
 *   index.html    self-contained page (inline SVG, inline CSS, no network)
 *   <plot>.svg    each plot rendered headless with vega
 *   <plot>.vl.json  its Vega-Lite spec (re-render or edit elsewhere)
 *   results.json  every section with its data, so other commands can load the report, append
 *                 their own sections (e.g. the nonlinear sweep) and write it again.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeDir } from '../util/make-dir.js';
import { renderSvg, type VegaLiteSpec } from './vega.js';

export interface ReportTable {
  columns: string[];
  rows: (string | number | null)[][];
}

export interface ReportPlot {
  /** File stem: `<id>.svg` / `<id>.vl.json` (letters, digits, - and _). */
  id: string;
  spec: VegaLiteSpec;
}

export interface ReportSection {
  /** Stable id: a section with the same id replaces the old one when appended. */
  id: string;
  title: string;
  /** Paragraphs (plain text; rendered escaped). */
  paragraphs?: string[];
  table?: ReportTable;
  plots?: ReportPlot[];
  /** Any machine-readable results of the section (kept in results.json only). */
  data?: unknown;
}

export interface Report {
  title: string;
  /** ISO time of the last write. */
  created?: string;
  /** Free-form environment header (version, commit, backend, seconds…). */
  meta?: Record<string, string | number>;
  sections: ReportSection[];
}

/** Adds or replaces (by id) a section. */
export function upsertSection(r: Report, s: ReportSection): void {
  const i = r.sections.findIndex((x) => x.id === s.id);
  if (i >= 0) r.sections[i] = s;
  else r.sections.push(s);
}

/** Loads a report written by writeReport, or undefined when the directory has none. */
export async function loadReport(dir: string): Promise<Report | undefined> {
  try {
    const txt = await readFile(join(dir, 'results.json'), 'utf8');
    const r = JSON.parse(txt) as Report;
    if (!r || !Array.isArray(r.sections)) throw new TypeError(`${join(dir, 'results.json')}: not a lamkit report (no sections array)`);
    return r;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function fmtCell(v: string | number | null): string {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return '—';
    if (Number.isInteger(v)) return String(v);
    if (Math.abs(v) >= 1e4) return v.toExponential(2);
    const t = v.toFixed(3);
    return t === '-0.000' ? '0.000' : t; // round-off residue (1e-31) reads as 0, not as a number
  }
  return v;
}

/** The table as aligned plain text (for terminals). */
export function tableToText(t: ReportTable): string {
  const cells = [t.columns, ...t.rows.map((r) => r.map(fmtCell))];
  const widths = t.columns.map((_, j) => Math.max(...cells.map((r) => String(r[j] ?? '').length)));
  const line = (r: (string | number)[]) => r.map((c, j) => String(c).padStart(widths[j])).join('  ');
  return [line(cells[0]), widths.map((w) => '─'.repeat(w)).join('  '), ...cells.slice(1).map((r) => line(r as string[]))].join('\n');
}

/** Renders the page (plots must already be rendered to SVG strings, keyed by plot id). */
export function reportHtml(r: Report, svgs: Map<string, string>): string {
  const parts: string[] = [];
  parts.push(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(r.title)}</title>`);
  parts.push(`<meta name="viewport" content="width=device-width, initial-scale=1">`);
  parts.push(
    `<style>body{font:15px/1.5 system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}` +
      `h1{font-size:1.6em}h2{margin-top:2em;border-bottom:1px solid #ddd}table{border-collapse:collapse;font:13px ui-monospace,monospace;margin:1em 0}` +
      `td,th{border:1px solid #ddd;padding:3px 8px;text-align:right}th{background:#f4f4f4}td:first-child,th:first-child{text-align:left}` +
      `.plots{display:flex;flex-wrap:wrap;gap:1em}.meta{color:#666;font-size:13px}nav a{margin-right:1em}</style></head><body>`,
  );
  parts.push(`<h1>${esc(r.title)}</h1>`);
  if (r.meta) parts.push(`<p class="meta">${Object.entries(r.meta).map(([k, v]) => `${esc(k)}: ${esc(String(v))}`).join(' · ')}</p>`);
  parts.push(`<nav>${r.sections.map((s) => `<a href="#${esc(s.id)}">${esc(s.title)}</a>`).join('')}</nav>`);
  for (const s of r.sections) {
    parts.push(`<section id="${esc(s.id)}"><h2>${esc(s.title)}</h2>`);
    for (const p of s.paragraphs ?? []) parts.push(`<p>${esc(p)}</p>`);
    if (s.table) {
      parts.push('<table><thead><tr>' + s.table.columns.map((c) => `<th>${esc(c)}</th>`).join('') + '</tr></thead><tbody>');
      for (const row of s.table.rows) parts.push('<tr>' + row.map((c) => `<td>${esc(fmtCell(c))}</td>`).join('') + '</tr>');
      parts.push('</tbody></table>');
    }
    if (s.plots?.length) {
      parts.push('<div class="plots">');
      for (const p of s.plots) parts.push(`<figure>${svgs.get(p.id) ?? ''}<figcaption><a href="${esc(p.id)}.vl.json">${esc(p.id)}.vl.json</a></figcaption></figure>`);
      parts.push('</div>');
    }
    parts.push('</section>');
  }
  parts.push('</body></html>');
  return parts.join('\n');
}

/** Writes index.html, every plot (.svg + .vl.json) and results.json into `dir`. Returns the files written. */
export async function writeReport(dir: string, r: Report): Promise<string[]> {
  makeDir(dir); // not mkdir({recursive}): that spins forever on paths like /proc/x
  r.created = new Date().toISOString();
  const svgs = new Map<string, string>();
  const files: string[] = [];
  for (const s of r.sections)
    for (const p of s.plots ?? []) {
      if (!/^[A-Za-z0-9_-]+$/.test(p.id)) throw new RangeError(`report: plot id '${p.id}' must use letters, digits, - and _ only`);
      const svg = await renderSvg(p.spec);
      svgs.set(p.id, svg);
      await writeFile(join(dir, `${p.id}.svg`), svg);
      await writeFile(join(dir, `${p.id}.vl.json`), JSON.stringify(p.spec, null, 1));
      files.push(`${p.id}.svg`, `${p.id}.vl.json`);
    }
  await writeFile(join(dir, 'index.html'), reportHtml(r, svgs));
  await writeFile(join(dir, 'results.json'), JSON.stringify(r, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 1));
  files.push('index.html', 'results.json');
  return files;
}
