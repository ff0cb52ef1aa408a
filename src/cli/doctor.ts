/**
 * `lamkit doctor [--json]`: which backends run here and, for each one that does not, why; the
 * CPU's SIMD level and kernel threads; the CUDA device (name, memory) or the reason there is
 * none. Never throws for a missing part: every probe failure is reported, not raised.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { loadNativeAddon } from '../backends/native.js';
import { probeBackends } from '../backends/registry.js';
import { parseFlags } from './usage.js';
import { LAMKIT_VERSION } from '../version.js';

export interface DoctorReport {
  lamkit: string;
  node: string;
  platform: string;
  cpu: { model: string; cores: number; simd: string[] };
  backends: { name: string; priority: number; available: boolean; reason?: string; isa?: string; threads?: number; details?: Record<string, unknown>; device?: unknown }[];
  selected: string | null;
  native: { addon: string; loaded: boolean; reason?: string; isa?: string; threads?: number; compiler?: string };
  cuda: { available: boolean; reason?: string; name?: string; memoryBytes?: number; [k: string]: unknown };
}

/** CPU SIMD flags that matter for the kernels (Linux /proc/cpuinfo; empty elsewhere). */
function simdFlags(): string[] {
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    const line = info.split('\n').find((l) => l.startsWith('flags')) ?? '';
    const flags = new Set(line.split(':')[1]?.trim().split(/\s+/) ?? []);
    return ['sse4_2', 'avx', 'avx2', 'fma', 'avx512f', 'avx512vl', 'avx512bw', 'avx512_bf16', 'amx_tile'].filter((f) => flags.has(f));
  } catch {
    return [];
  }
}

async function cudaStatus(): Promise<DoctorReport['cuda']> {
  try {
    const spec = '../backends/cuda.js'; // optional part: absent builds report a reason
    const m = (await import(spec)) as { cudaDeviceStatus?: () => { available: boolean; reason?: string; name?: string; totalBytes?: number; [k: string]: unknown } };
    if (typeof m.cudaDeviceStatus === 'function') {
      const s = m.cudaDeviceStatus();
      return { ...s, available: !!s.available, reason: s.reason, name: s.name, memoryBytes: s.totalBytes };
    }
  } catch {
    /* fall back to the addon directly */
  }
  const r = loadNativeAddon();
  if (!r.addon) return { available: false, reason: r.reason };
  if (typeof r.addon.cudaInfo !== 'function') return { available: false, reason: 'the native addon was built without CUDA (no cudaInfo binding)' };
  try {
    const s = r.addon.cudaInfo() as { available?: boolean; reason?: string; name?: string; totalBytes?: number };
    return { ...s, available: !!s.available, reason: s.reason, name: s.name, memoryBytes: s.totalBytes };
  } catch (e) {
    return { available: false, reason: `cudaInfo() failed: ${(e as Error).message}` };
  }
}

/** Collects the report (also used by benchmark headers). */
export async function doctorReport(): Promise<DoctorReport> {
  const statuses = await probeBackends();
  const backends = statuses.map((s) => {
    let info: ReturnType<NonNullable<typeof s.backend>['info']> | undefined;
    try {
      info = s.backend?.info();
    } catch (e) {
      return { name: s.name, priority: s.priority, available: false, reason: `info() failed: ${(e as Error).message}` };
    }
    return { name: s.name, priority: s.priority, available: s.available, reason: s.reason, isa: info?.isa, threads: info?.threads, details: info?.details, device: info?.device };
  });
  const want = process.env.LAMKIT_BACKEND;
  const selected = (want ? backends.find((b) => b.name === want && b.available) : backends.find((b) => b.available))?.name ?? null;
  const nat = loadNativeAddon();
  let native: DoctorReport['native'] = { addon: nat.path, loaded: !!nat.addon, reason: nat.reason };
  if (nat.addon) {
    try {
      const i = nat.addon.info();
      native = { ...native, isa: i.isa, threads: i.threads, compiler: i.compiler };
    } catch (e) {
      native = { ...native, reason: `info() failed: ${(e as Error).message}` };
    }
  }
  const cpus = os.cpus();
  return {
    lamkit: LAMKIT_VERSION,
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    cpu: { model: cpus[0]?.model ?? 'unknown', cores: cpus.length, simd: simdFlags() },
    backends,
    selected,
    native,
    cuda: await cudaStatus(),
  };
}

function fmtBytes(b: number | undefined): string {
  return b === undefined ? '?' : `${(b / 2 ** 30).toFixed(1)} GiB`;
}

export function formatDoctor(r: DoctorReport): string {
  const lines = [
    `lamkit ${r.lamkit} · node ${r.node} · ${r.platform}`,
    `CPU: ${r.cpu.model} · ${r.cpu.cores} cores · SIMD ${r.cpu.simd.join(' ') || 'unknown'}`,
    `native addon: ${r.native.loaded ? `loaded (ISA ${r.native.isa}, ${r.native.threads} threads, ${r.native.compiler})` : `not loaded — ${r.native.reason}`}`,
    `CUDA: ${r.cuda.available ? `${r.cuda.name} · ${fmtBytes(r.cuda.memoryBytes)}` : `none — ${r.cuda.reason ?? 'unknown reason'}`}`,
    '',
    'backends (highest priority first):',
  ];
  for (const b of r.backends) {
    const what = b.available ? `available${b.isa ? ` · ${b.isa}` : ''}${b.threads ? ` · ${b.threads} thread${b.threads === 1 ? '' : 's'}` : ''}` : `unavailable — ${b.reason}`;
    lines.push(`  ${b.available ? '✓' : '✗'} ${b.name.padEnd(12)} ${what}`);
  }
  lines.push('', `selected: ${r.selected ?? 'none'}${process.env.LAMKIT_BACKEND ? ` (LAMKIT_BACKEND=${process.env.LAMKIT_BACKEND})` : ''}`);
  return lines.join('\n');
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseFlags('doctor', argv, { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } });
  if (values.help) {
    console.log('usage: lamkit doctor [--json]\n\nShows each backend (available or why not), ISA level, threads and the CUDA device.');
    return 0;
  }
  const r = await doctorReport();
  console.log(values.json ? JSON.stringify({ ...r, backends: r.backends }, null, 2) : formatDoctor(r));
  return r.selected ? 0 : 1;
}
