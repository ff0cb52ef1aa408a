// `lamkit serve`: bound to 127.0.0.1 only, serves only regular files under its root (no
// traversal by .., encoded .., backslashes, NUL or symlinks), refuses foreign Host headers and
// non-GET methods, and sends COOP/COEP so the playground is cross-origin isolated.
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, resolveRequestPath, startServer } from '../../src/cli/serve.js';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A raw request: the path goes on the wire exactly as given (fetch would normalise `..`). */
function raw(port: number, path: string, opts: { method?: string; host?: string } = {}): Promise<Reply> {
  return new Promise((ok, fail) => {
    const req = request({ host: '127.0.0.1', port, path, method: opts.method ?? 'GET', headers: { host: opts.host ?? `127.0.0.1:${port}` } }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => ok({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', fail);
    req.end();
  });
}

describe('lamkit serve', () => {
  let s: RunningServer;
  let base: string;
  beforeAll(async () => {
    base = mkdtempSync(join(tmpdir(), 'lamkit-serve-'));
    const root = join(base, 'web');
    mkdirSync(join(root, 'sub'), { recursive: true });
    writeFileSync(join(root, 'index.html'), '<!doctype html><title>ok</title>');
    writeFileSync(join(root, 'main.js'), 'export {}');
    writeFileSync(join(root, 'sub', 'a.wasm'), 'WASM');
    writeFileSync(join(base, 'secret.txt'), 'TOP SECRET');
    symlinkSync(join(base, 'secret.txt'), join(root, 'link.txt'));
    s = await startServer({ port: 0, root });
  });
  afterAll(async () => {
    await s?.close();
  });

  it('listens on 127.0.0.1 only', () => {
    const a = s.server.address();
    expect(typeof a === 'object' && a?.address).toBe('127.0.0.1');
    expect(s.url).toBe(`http://127.0.0.1:${s.port}/`);
  });

  it('serves built files with types and COOP/COEP headers', async () => {
    const r = await raw(s.port, '/');
    expect(r.status).toBe(200);
    expect(r.body).toContain('<title>ok</title>');
    expect(r.headers['cross-origin-opener-policy']).toBe('same-origin');
    expect(r.headers['cross-origin-embedder-policy']).toBe('require-corp');
    expect((await raw(s.port, '/main.js')).headers['content-type']).toMatch(/text\/javascript/);
    expect((await raw(s.port, '/sub/a.wasm')).headers['content-type']).toBe('application/wasm');
  });

  for (const p of ['/../secret.txt', '/%2e%2e/secret.txt', '/..%2fsecret.txt', '/%2e%2e%2fsecret.txt', '/sub/../../secret.txt', '/..\\secret.txt', '/%5c..%5csecret.txt', '/link.txt', '/index.html%00.js', '/sub', '/nope.js'])
    it(`refuses ${p}`, async () => {
      const r = await raw(s.port, p);
      expect(r.status, `${p} → ${r.status} ${r.body}`).toBeGreaterThanOrEqual(400);
      expect(r.body).not.toContain('TOP SECRET');
    });

  it('refuses foreign Host headers and non-GET methods', async () => {
    expect((await raw(s.port, '/', { host: 'evil.example:80' })).status).toBe(421);
    expect((await raw(s.port, '/', { method: 'POST' })).status).toBe(405);
    expect((await raw(s.port, '/', { method: 'HEAD' })).status).toBe(200);
  });

  it('resolveRequestPath keeps every answer inside the root', () => {
    const root = join(base, 'web');
    expect('file' in resolveRequestPath(root, '/../secret.txt')).toBe(false);
    expect(resolveRequestPath(root, '/%2e%2e%2fsecret.txt')).toEqual({ status: 403 });
    expect(resolveRequestPath(root, '/link.txt')).toEqual({ status: 403 });
    expect('file' in resolveRequestPath(root, '/sub/a.wasm')).toBe(true);
  });

  it('bad port → RangeError naming it; a missing build → an error saying how to build', async () => {
    await expect(startServer({ port: 70000, root: join(base, 'web') })).rejects.toThrow(/port must be an integer in \[0, 65535\], got 70000/);
    await expect(startServer({ port: 0, root: join(base, 'sub-missing') })).rejects.toThrow(/build-web\.mjs/);
  });
});

describe('lamkit serve CLI flags', () => {
  it('--port must be an integer in [0, 65535]; --help prints usage', async () => {
    const { run } = await import('../../src/cli/serve.js');
    await expect(run(['--port', 'abc'])).rejects.toThrow(/--port: expected a number in \[0, 65535\], got 'abc'/);
    await expect(run(['--port', '70000'])).rejects.toThrow(/--port: expected a value in \[0, 65535\], got 70000/);
    await expect(run(['--bogus'])).rejects.toThrow(/serve: /);
    expect(await run(['--help'])).toBe(0);
  });

  it('serves the package\'s dist/web by default', async () => {
    const { defaultWebRoot } = await import('../../src/cli/serve.js');
    expect(defaultWebRoot()).toBe(join(process.cwd(), 'dist', 'web'));
  });
});
