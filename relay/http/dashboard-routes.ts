// The health dashboard for ICT cells, read-only and content-free:
//   GET /dashboard                 the page (HTML, CSS and script of relay/dashboard/static/)
//   GET /dashboard/status.json     the figures it shows (relay/dashboard/dashboard-status.ts)
// Only from the addresses of `dashboardAllow` (default: this machine only, reached
// through an SSH tunnel), checked with node:net's BlockList. The page loads nothing
// from anywhere else: a strict Content-Security-Policy says so to the browser.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { RelayContext } from '../context.js';
import { dashboardAllowList, isAllowed } from '../dashboard/allow-list.js';
import { dashboardStatus } from '../dashboard/dashboard-status.js';
import { RelayError } from '../relay-error.js';

const STATIC_DIR = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  'dashboard',
  'static',
);

const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const FILES = {
  '/dashboard': { file: 'dashboard.html', type: 'text/html; charset=utf-8' },
  '/dashboard/dashboard.css': { file: 'dashboard.css', type: 'text/css; charset=utf-8' },
  '/dashboard/dashboard.js': { file: 'dashboard.js', type: 'text/javascript; charset=utf-8' },
} as const;

export function registerDashboardRoutes(
  app: FastifyInstance,
  ctx: RelayContext,
  dataDir: string,
  startedAt: number,
): void {
  const list = dashboardAllowList(ctx.config.dashboardAllow);
  const pages = Object.entries(FILES).map(([url, { file, type }]) => ({
    url,
    type,
    body: readFileSync(path.join(STATIC_DIR, file)),
  }));
  const guard = async (request: FastifyRequest) => {
    if (!isAllowed(list, request.ip)) {
      throw new RelayError(
        'DASHBOARD_FORBIDDEN',
        'The dashboard is not open to this address; add it to "dashboardAllow" in relay.json, or reach it through an SSH tunnel.',
      );
    }
  };
  for (const page of pages) {
    app.get(page.url, { onRequest: guard }, async (_request, reply) =>
      reply
        .header('content-type', page.type)
        .header('content-security-policy', CONTENT_SECURITY_POLICY)
        .header('x-content-type-options', 'nosniff')
        .header('referrer-policy', 'no-referrer')
        .header('cache-control', 'no-store')
        .send(page.body),
    );
  }
  app.get('/dashboard/status.json', { onRequest: guard }, async (_request, reply) =>
    reply
      .header('cache-control', 'no-store')
      .header('x-content-type-options', 'nosniff')
      .send(await dashboardStatus(ctx, dataDir, startedAt)),
  );
}
