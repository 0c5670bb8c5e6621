// The browser harness (development and tests only): serves the built renderer on
// 127.0.0.1 and carries the engine API over a loopback WebSocket. Whoever opens
// the page needs the random token given in the address (`#token=…`); the server
// also refuses other origins and other Host headers (DNS rebinding), and sends
// the same Content-Security-Policy as the desktop app.
import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { createReadStream, existsSync, rmSync, statSync } from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { MAX_FRAME_BYTES } from '../../shared/api/host.js';
import type { EngineHost } from './engine-host.js';

export const API_PATH = '/api';
export const UPLOAD_PATH = '/upload';
export const DOWNLOAD_PATH = '/download/';
/** The header that carries the token on uploads. */
export const TOKEN_HEADER = 'x-comgov-token';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
};

/** The policy of the desktop app, plus this origin's WebSocket. */
export function contentSecurityPolicy(origin: string): string {
  const ws = origin.replace(/^http/, 'ws');
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' blob: data:",
    "font-src 'self'",
    `connect-src 'self' ${ws}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
    "object-src 'none'",
  ].join('; ');
}

export interface HarnessOptions {
  readonly host: EngineHost;
  /** The built renderer (dist/renderer). */
  readonly rendererDir: string;
  /** 0 for any free port. */
  readonly port?: number;
}

export interface RunningHarness {
  /** Address to open, with the token in its fragment (never sent to the server in a request). */
  readonly url: string;
  readonly origin: string;
  readonly token: string;
  close(): Promise<void>;
}

function sameToken(given: unknown, token: string): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

export async function startHarness(options: HarnessOptions): Promise<RunningHarness> {
  const rendererDir = path.resolve(options.rendererDir);
  if (!existsSync(path.join(rendererDir, 'index.html'))) {
    throw new Error(
      `The renderer is not built (${rendererDir}/index.html is missing). Run "npm run build" first.`,
    );
  }
  const token = randomBytes(24).toString('base64url');
  const downloads = new Map<string, { file: string; name: string }>();
  let origin = '';

  const securityHeaders = (response: ServerResponse) => {
    response.setHeader('content-security-policy', contentSecurityPolicy(origin));
    response.setHeader('x-content-type-options', 'nosniff');
    response.setHeader('referrer-policy', 'no-referrer');
    response.setHeader('cross-origin-opener-policy', 'same-origin');
    response.setHeader('cross-origin-resource-policy', 'same-origin');
    response.setHeader('x-frame-options', 'DENY');
  };

  const deny = (response: ServerResponse, status: number) => {
    response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end();
  };

  const hostAllowed = (request: IncomingMessage) => request.headers.host === new URL(origin).host;

  const server = http.createServer((request, response) => {
    securityHeaders(response);
    if (!hostAllowed(request)) return deny(response, 421);
    const url = new URL(request.url ?? '/', origin);
    if (request.method === 'POST' && url.pathname === UPLOAD_PATH) {
      if (!sameToken(request.headers[TOKEN_HEADER], token) || request.headers.origin !== origin) {
        return deny(response, 403);
      }
      const name = url.searchParams.get('name') ?? 'fichier';
      void options.host.stageStream(name, request).then((result) => {
        response.writeHead(result.ok ? 200 : 400, { 'content-type': 'application/json' });
        response.end(JSON.stringify(result));
      });
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') return deny(response, 405);
    if (url.pathname.startsWith(DOWNLOAD_PATH)) {
      const offer = downloads.get(url.pathname.slice(DOWNLOAD_PATH.length));
      if (!offer) return deny(response, 404);
      downloads.delete(url.pathname.slice(DOWNLOAD_PATH.length));
      response.writeHead(200, {
        'content-type': 'application/octet-stream',
        'content-length': statSync(offer.file).size,
        'content-disposition': `attachment; filename*=UTF-8''${encodeURIComponent(offer.name)}`,
        'cache-control': 'no-store',
      });
      const stream = createReadStream(offer.file);
      stream.pipe(response);
      stream.on('close', () => rmSync(offer.file, { force: true }));
      return;
    }
    const relative =
      url.pathname === '/' ? 'index.html' : decodeURIComponent(url.pathname.slice(1));
    const file = path.resolve(rendererDir, relative);
    if (!file.startsWith(rendererDir + path.sep) || !existsSync(file) || !statSync(file).isFile()) {
      return deny(response, 404);
    }
    response.writeHead(200, {
      'content-type': CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream',
      'cache-control': relative === 'index.html' ? 'no-store' : 'max-age=3600',
    });
    if (request.method === 'HEAD') return response.end();
    createReadStream(file).pipe(response);
  });

  const sockets = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });
  server.on('upgrade', (request, socket, head) => {
    const url = new URL(request.url ?? '/', origin);
    if (url.pathname !== API_PATH || !hostAllowed(request) || request.headers.origin !== origin) {
      socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      return;
    }
    sockets.handleUpgrade(request, socket, head, (ws) => serveSocket(ws));
  });

  const serveSocket = (ws: WebSocket) => {
    let connection: ReturnType<EngineHost['connect']> | null = null;
    // The token must arrive first, and soon.
    const helloTimer = setTimeout(() => ws.close(4401, 'token required'), 5000);
    ws.on('message', (data, isBinary) => {
      if (isBinary) return ws.close(4400, 'text frames only');
      let frame: unknown;
      try {
        frame = JSON.parse(data.toString());
      } catch {
        return ws.close(4400, 'bad frame');
      }
      if (!connection) {
        const hello = frame as { type?: unknown; token?: unknown };
        if (hello.type !== 'hello' || !sameToken(hello.token, token)) {
          return ws.close(4401, 'bad token');
        }
        clearTimeout(helloTimer);
        connection = options.host.connect((out) => {
          if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(out));
        });
        return;
      }
      connection.receive(frame);
    });
    ws.on('close', () => {
      clearTimeout(helloTimer);
      connection?.close();
    });
    ws.on('error', () => undefined);
  };

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  options.host.offerDownload = (file, name) => {
    const id = randomUUID();
    downloads.set(id, { file, name });
    return `${DOWNLOAD_PATH}${id}`;
  };
  return {
    url: `${origin}/#token=${token}`,
    origin,
    token,
    async close() {
      options.host.offerDownload = null;
      for (const client of sockets.clients) client.terminate();
      sockets.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
