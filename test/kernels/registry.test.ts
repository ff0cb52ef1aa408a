// Backend registry: priority order, fall-through that collects every failure reason, explicit
// selection (name / LAMKIT_BACKEND), requiredOps, a missing addon reported as a reason, and
// `lamkit doctor` reporting every backend.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ReferenceBackend } from '../../src/backends/reference-backend.js';
import { backendFactories, describeResolution, registerBackend, resolveBackend } from '../../src/backends/registry.js';
import type { Backend } from '../../src/backends/types.js';
import { doctorReport, formatDoctor } from '../../src/cli/doctor.js';

afterEach(() => {
  delete process.env.LAMKIT_BACKEND;
});

describe('registry', () => {
  it('lists the built-in backends in priority order', () => {
    const names = backendFactories().map((f) => f.name);
    expect(names.filter((n) => ['native-cuda', 'native-cpu', 'wasm', 'gpujs', 'reference'].includes(n))).toEqual(['native-cuda', 'native-cpu', 'wasm', 'gpujs', 'reference']);
  });

  it('falls through a failing higher-priority backend and says why', async () => {
    registerBackend({ name: 'broken-test', priority: 1000, create: () => { throw new Error('device on fire'); } });
    const r = await resolveBackend();
    expect(r.skipped[0]).toEqual({ name: 'broken-test', reason: 'device on fire' });
    expect(r.backend.name).not.toBe('broken-test');
    expect(describeResolution(r)).toMatch(/skipped broken-test \(device on fire\)/);
  });

  it('an explicitly named backend that fails throws with its reason; unknown names list the known ones', async () => {
    await expect(resolveBackend({ name: 'broken-test' })).rejects.toThrow(/backend 'broken-test' is unavailable \(broken-test: device on fire\)/);
    await expect(resolveBackend({ name: 'nope' })).rejects.toThrow(/unknown backend 'nope'; expected one of .*reference/);
  });

  it('LAMKIT_BACKEND picks the backend', async () => {
    process.env.LAMKIT_BACKEND = 'reference';
    expect((await resolveBackend()).backend.name).toBe('reference');
  });

  it('requiredOps skips a backend without the op', async () => {
    const partial: Backend = Object.assign(new ReferenceBackend(), { name: 'partial-test', supports: (op: string) => op !== 'conv2d' });
    registerBackend({ name: 'partial-test', priority: 999, create: () => partial });
    const r = await resolveBackend({ requiredOps: ['matmul', 'conv2d'] });
    expect(r.skipped).toContainEqual({ name: 'partial-test', reason: 'does not support conv2d' });
    expect((await resolveBackend({ requiredOps: ['matmul'] })).backend.name).toBe('partial-test');
  });

  it('registerBackend rejects malformed factories', () => {
    expect(() => registerBackend({ name: 'x' } as never)).toThrow(TypeError);
  });
});

describe('native addon loader', () => {
  it('a missing addon is a reason, not a crash', async () => {
    vi.resetModules();
    process.env.LAMKIT_ADDON_PATH = '/nonexistent/lamkit.node';
    try {
      const { loadNativeAddon } = await import('../../src/backends/native.js');
      const r = loadNativeAddon();
      expect(r.addon).toBeUndefined();
      expect(r.reason).toMatch(/native addon not built \(\/nonexistent\/lamkit.node missing/);
      const { nativeCpuFactory } = await import('../../src/backends/native-cpu.js');
      expect(() => nativeCpuFactory.create()).toThrow(/native addon not built/);
    } finally {
      delete process.env.LAMKIT_ADDON_PATH;
      vi.resetModules();
    }
  });
});

describe('lamkit doctor', () => {
  it('reports every backend with availability or a reason, and the CUDA status', async () => {
    const r = await doctorReport();
    const names = r.backends.map((b) => b.name);
    expect(names).toContain('reference');
    expect(names).toContain('native-cpu');
    for (const b of r.backends) expect(b.available || (typeof b.reason === 'string' && b.reason.length > 0), `${b.name} has a reason`).toBe(true);
    expect(r.selected).not.toBeNull();
    expect(typeof r.cuda.available).toBe('boolean');
    if (!r.cuda.available) expect(r.cuda.reason).toBeTruthy();
    const text = formatDoctor(r);
    expect(text).toMatch(/backends \(highest priority first\)/);
    expect(text).toMatch(/✓ reference/);
    console.log(text);
  });
});
