/**
 * A missing onnxruntime package is a clear error when a session is opened (naming the package
 * and pointing at --runtime), not a crash when lamkit starts: the runtimes are imported lazily.
 */
import { describe, expect, it, vi } from 'vitest';

describe('onnx runtime unavailable', () => {
  it('names the missing package and the way out', async () => {
    vi.resetModules();
    vi.doMock('onnxruntime-node', () => {
      throw new Error("Cannot find module 'onnxruntime-node'");
    });
    // Importing the exporter and the runtime switch must not touch onnxruntime at all.
    const { openSession, OnnxRuntimeUnavailable } = await import('../../src/onnx/runtime.js');
    await import('../../src/onnx/export.js');
    const err = await openSession(new Uint8Array(4), 'node').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OnnxRuntimeUnavailable);
    expect((err as Error).message).toMatch(/^onnxruntime-node is not available here \(.+\); install it or choose the other runtime with --runtime$/);
    vi.doUnmock('onnxruntime-node');
  });
});
