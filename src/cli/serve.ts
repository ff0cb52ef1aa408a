/**
 * `lamkit serve [--port N]`: serves the built playground (dist/web, from scripts/build-web.mjs)
 * on 127.0.0.1 only. It serves regular files under that directory and nothing else: the path is
 * decoded, normalised and resolved (symlinks included) and must stay inside the root, so
 * `..`, encoded `%2e%2e`, backslashes and NUL bytes get 403/404, never a file outside. Requests
 * whose Host header is not this loopback address are refused (DNS-rebinding guard). Every
 * response carries COOP/COEP so the page is cross-origin isolated and the wasm backend can use
 * threads.
 */
import { createReadStream, existsSync, realpathSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError, numberFlag, parseFlags } from './usage.js';

const HELP = `usage: lamkit serve [--port N]

Serves the browser playground (dist/web; build it with \`node scripts/build-web.mjs\`) on
http://127.0.0.1:N/ (default 8321; 0 picks a free port). Bound to 127.0.0.1 only.
`;

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.map': 'application/json; charset=utf-8',
  '.onnx': 'application/octet-stream',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

/** The only address the server listens on. */
export const SERVE_HOST = '127.0.0.1';
export const DEFAULT_PORT = 8321;

/** dist/web of the lamkit package this file belongs to (found via package.json upwards). */
export function defaultWebRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    if (existsSync(join(dir, 'package.json'))) return join(dir, 'dist', 'web');
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  throw new Error('lamkit serve: cannot find the package root (package.json) above serve.js');
}

export interface RunningServer {
  url: string;
  port: number;
  root: string;
  server: Server;
  close(): Promise<void>;
}

/**
 * Maps a request path to a file inside `root`, or returns the HTTP status to answer.
 * Exported for tests: it is the whole traversal defence.
 */
export function resolveRequestPath(root: string, rawUrl: string): { file: string } | { status: number } {
  let pathname: string;
  try {
    pathname = decodeURIComponent(new URL(rawUrl, 'http://x').pathname);
  } catch {
    return { status: 400 };
  }
  if (pathname.includes('\0') || pathname.includes('\\')) return { status: 400 };
  if (pathname.split('/').some((s) => s === '..' || s === '.')) return { status: 403 };
  if (pathname.endsWith('/')) pathname += 'index.html';
  const realRoot = realpathSync(root);
  const candidate = resolve(realRoot, `.${pathname}`);
  if (candidate !== realRoot && !candidate.startsWith(realRoot + sep)) return { status: 403 };
  let real: string;
  try {
    real = realpathSync(candidate);
  } catch {
    return { status: 404 };
  }
  // A symlink inside the root must not lead outside it.
  if (!real.startsWith(realRoot + sep)) return { status: 403 };
  try {
    if (!statSync(real).isFile()) return { status: 404 };
  } catch {
    return { status: 404 };
  }
  return { file: real };
}

function send(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' });
  res.end(`${status} ${text}\n`);
}

/** Starts the server on 127.0.0.1:`port` (0 = a free port) serving `root` (default dist/web). */
export async function startServer(opts: { port?: number; root?: string; quiet?: boolean } = {}): Promise<RunningServer> {
  const port = opts.port ?? DEFAULT_PORT;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`serve: port must be an integer in [0, 65535], got ${String(port)}`);
  const root = resolve(opts.root ?? defaultWebRoot());
  if (!existsSync(join(root, 'index.html')))
    throw new Error(`serve: ${root} has no index.html; build the playground first: node scripts/build-web.mjs`);
  let actualPort = port;
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const host = (req.headers.host ?? '').toLowerCase();
    if (host !== `${SERVE_HOST}:${actualPort}` && host !== `localhost:${actualPort}`) return send(res, 421, 'unexpected Host header');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return send(res, 405, 'method not allowed');
    }
    const r = resolveRequestPath(root, req.url ?? '/');
    if ('status' in r) return send(res, r.status, r.status === 404 ? 'not found' : r.status === 403 ? 'forbidden' : 'bad request');
    res.writeHead(200, {
      'Content-Type': TYPES[extname(r.file).toLowerCase()] ?? 'application/octet-stream',
      'Content-Length': statSync(r.file).size,
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
      'Cross-Origin-Resource-Policy': 'same-origin',
      'X-Content-Type-Options': 'nosniff',
      'Cache-Control': 'no-cache',
    });
    if (req.method === 'HEAD') return res.end();
    createReadStream(r.file).pipe(res);
  };
  const server = createServer(handler);
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(port, SERVE_HOST, () => ok());
  });
  const addr = server.address();
  actualPort = typeof addr === 'object' && addr ? addr.port : port;
  const url = `http://${SERVE_HOST}:${actualPort}/`;
  return {
    url,
    port: actualPort,
    root,
    server,
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseFlags('serve', argv, { port: { type: 'string' }, help: { type: 'boolean', short: 'h' } });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const port = numberFlag('port', values.port as string | undefined, DEFAULT_PORT, { integer: true, min: 0, max: 65535 });
  let s: RunningServer;
  try {
    s = await startServer({ port });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'EADDRINUSE') throw new UsageError(`--port: ${port} is in use on ${SERVE_HOST}; pick another (0 = any free port)`);
    throw e;
  }
  console.log(`lamkit playground on ${s.url} (serving ${s.root}; Ctrl-C to stop)`);
  await new Promise<void>((done) => {
    const stop = () => {
      void s.close().then(done);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  return 0;
}
