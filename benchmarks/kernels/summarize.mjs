#!/usr/bin/env node
// Turns `lamkit bench kernels --json` output (JSON Lines files) into the kernel section of
// benchmarks/RESULTS.md: environment header, GEMM vs OpenBLAS and FMA peak, conv family vs
// PyTorch CPU. Usage: node benchmarks/kernels/summarize.mjs run-2threads.jsonl [run-1thread.jsonl …]
import { readFileSync } from 'node:fs';

const f = (v, d = 2) => (v === undefined || v === null || !Number.isFinite(v) ? '—' : v.toFixed(d));
const out = [];
for (const file of process.argv.slice(2)) {
  const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
  const env = lines.find((l) => l.kind === 'env');
  const peak = lines.find((l) => l.kind === 'peak');
  const k = lines.filter((l) => l.kind === 'kernel');
  out.push(`### ${env.threads} thread(s) — commit ${env.commit}, ${env.cpu} (${env.cores} cores), SIMD ${env.simd}, node ${env.node}, ${env.date}`);
  out.push('');
  if (peak) out.push(`FMA peak (register-only loop, ${peak.lanes} fp32 lanes, ${peak.threads} threads, best run): ${f(peak.gflops, 1)} GFLOP/s`, '');
  const gemm = k.filter((r) => r.name === 'gemm');
  if (gemm.length) {
    out.push('| GEMM M=N=K | backend | median ms | p90 ms | CPU ms | GFLOP/s | × OpenBLAS (wall) | × OpenBLAS (CPU time) | % FMA peak |', '|---:|---|---:|---:|---:|---:|---:|---:|---:|');
    for (const r of gemm) {
      const ob = gemm.find((o) => o.backend === 'openblas' && o.shape[0] === r.shape[0]);
      const rc = ob && ob.cpu_ms && r.cpu_ms ? ob.cpu_ms / r.cpu_ms : undefined;
      out.push(`| ${r.shape[0]} | ${r.backend} | ${f(r.median_ms, 3)} | ${f(r.p90_ms, 3)} | ${f(r.cpu_ms, 3)} | ${f(r.gflops, 1)} | ${ob ? f(r.gflops / ob.gflops) : '—'} | ${f(rc)} | ${f(r.pct_peak, 0)} |`);
    }
    out.push('');
  }
  const conv = k.filter((r) => r.name.startsWith('conv'));
  if (conv.length) {
    const backends = [...new Set(conv.map((r) => r.backend))];
    out.push(`| conv64 op (batch ${conv[0].shape[0]}) | ${backends.map((b) => `${b} ms`).join(' | ')} |`, `|---|${backends.map(() => '---:').join('|')}|`);
    const ops = [...new Set(conv.map((r) => r.name))];
    const tot = Object.fromEntries(backends.map((b) => [b, 0]));
    for (const op of ops) {
      const cells = backends.map((b) => {
        const rs = conv.filter((r) => r.name === op && r.backend === b);
        const s = rs.reduce((a, r) => a + r.median_ms, 0);
        tot[b] += s;
        return f(s, 1);
      });
      out.push(`| ${op} (${conv.filter((r) => r.name === op && r.backend === backends[0]).length} layers) | ${cells.join(' | ')} |`);
    }
    out.push(`| **total** | ${backends.map((b) => `**${f(tot[b], 1)}**`).join(' | ')} |`, '');
    const cpuTot = (b) => conv.filter((r) => r.backend === b).reduce((a, r) => (a === undefined || r.cpu_ms === undefined ? undefined : a + r.cpu_ms), 0);
    if (tot['native-cpu'] && tot['pytorch-cpu']) {
      const cl = cpuTot('native-cpu'), cp = cpuTot('pytorch-cpu');
      out.push(`native-cpu total = ${f(tot['native-cpu'] / tot['pytorch-cpu'])}× PyTorch CPU's wall time (${f(tot['pytorch-cpu'] / tot['native-cpu'], 1)}× faster)${cl && cp ? `; by process CPU time ${f(cl / cp)}× (${f(cl, 1)} vs ${f(cp, 1)} ms)` : ''}.`, '');
    }
  }
}
console.log(out.join('\n'));
