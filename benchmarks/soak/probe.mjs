/**
 * Memory probe preloaded into the `lamkit train` process by soak.mjs (`node --import`):
 * appends one JSON line {t_ms, rss, heap_used, heap_total, external, array_buffers} to the file
 * named by LAMKIT_SOAK_SAMPLES at start, every LAMKIT_SOAK_INTERVAL_MS and at exit. Appends are
 * synchronous so the exit sample is never lost. With --expose-gc it collects garbage first,
 * so heap_used is the live heap rather than wherever the last GC left it.
 */
import { appendFileSync } from 'node:fs';

const file = process.env.LAMKIT_SOAK_SAMPLES;
if (file) {
  const t0 = performance.now();
  const sample = (phase) => {
    if (typeof globalThis.gc === 'function') globalThis.gc();
    const m = process.memoryUsage();
    const line = { phase, t_ms: Math.round(performance.now() - t0), rss: m.rss, heap_used: m.heapUsed, heap_total: m.heapTotal, external: m.external, array_buffers: m.arrayBuffers };
    appendFileSync(file, JSON.stringify(line) + '\n');
  };
  sample('start');
  const every = Number(process.env.LAMKIT_SOAK_INTERVAL_MS) || 1000;
  // unref: the probe must never keep a finished training alive.
  setInterval(() => sample('run'), every).unref();
  process.on('exit', () => sample('exit'));
}
