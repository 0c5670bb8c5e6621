// The browser harness lets in only its own page with the token: other origins,
// other Host headers, a missing or wrong token are refused; files outside the
// renderer cannot be read; the engine API answers with Results, and methods the
// renderer must not use are refused at the edge.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { EngineHost } from '../../main/harness/engine-host.js';
import { type RunningHarness, startHarness } from '../../main/harness/harness.js';

let root: string;
let host: EngineHost;
let harness: RunningHarness;

beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'comgov-harness-'));
  const rendererDir = path.join(root, 'renderer');
  mkdirSync(rendererDir);
  writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><title>t</title>');
  writeFileSync(path.join(root, 'secret.txt'), 'secret');
  host = new EngineHost({ profile: 'test', dataDir: path.join(root, 'data') });
  await host.start();
  harness = await startHarness({ host, rendererDir });
});

afterAll(async () => {
  await harness.close();
  await host.close();
  rmSync(root, { recursive: true, force: true });
});

function get(pathname: string, headers: Record<string, string> = {}) {
  const url = new URL(pathname, harness.origin);
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>(
    (resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port: url.port, path: pathname, headers }, (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
        })
        .on('error', reject);
    },
  );
}

function socket(
  origin = harness.origin,
): Promise<{ ws: WebSocket; frames: unknown[]; closed: Promise<number> }> {
  const ws = new WebSocket(`${harness.origin.replace('http', 'ws')}/api`, { origin });
  const frames: unknown[] = [];
  ws.on('message', (d) => frames.push(JSON.parse(d.toString())));
  const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ ws, frames, closed }));
    ws.once('error', reject);
  });
}

async function until<T>(check: () => T | undefined): Promise<T> {
  for (let i = 0; i < 500; i++) {
    const value = check();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('timed out');
}

describe('browser harness', () => {
  it('serves the page with the strict CSP, and nothing outside the renderer', async () => {
    const page = await get('/');
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toContain("default-src 'none'");
    expect(page.headers['content-security-policy']).not.toMatch(/https?:\/\/(?!127\.0\.0\.1)/);
    expect((await get('/../secret.txt')).status).toBe(404);
    expect((await get('/%2e%2e/secret.txt')).status).toBe(404);
  });

  it('refuses another Host header (DNS rebinding)', async () => {
    expect((await get('/', { host: 'attacker.example' })).status).toBe(421);
  });

  it('refuses a WebSocket from another origin', async () => {
    await expect(socket('http://evil.example')).rejects.toThrow(/403/);
  });

  it('closes a WebSocket whose first frame lacks the right token', async () => {
    const { ws, closed } = await socket();
    ws.send(JSON.stringify({ type: 'hello', token: 'guess' }));
    expect(await closed).toBe(4401);
  });

  it('answers calls with Results once the token is given', async () => {
    const { ws, frames } = await socket();
    ws.send(JSON.stringify({ type: 'hello', token: harness.token }));
    await until(() => frames.find((f) => (f as { type: string }).type === 'welcome'));
    const call = (id: number, method: string, args: unknown[] = []) => {
      ws.send(JSON.stringify({ type: 'call', id, method, args }));
      return until(() => frames.find((f) => (f as { id?: number }).id === id)) as Promise<{
        result: { ok: boolean; value?: { phase: string }; error?: { code: string } };
      }>;
    };
    expect((await call(1, 'hostStatus')).result).toMatchObject({
      ok: true,
      value: { phase: 'enrol' },
    });
    expect((await call(2, 'listConversations')).result.error?.code).toBe('NOT_ENROLLED');
    expect((await call(3, 'readFile', ['/etc/passwd'])).result.error?.code).toBe('BAD_REQUEST');
    expect(
      (
        await call(4, 'enrol', [
          { relayUrl: 'ftp://x', relayKey: 'zz', code: 'x', passphrase: 'y' },
        ])
      ).result.error?.code,
    ).toBe('BAD_REQUEST');
    ws.close();
  });

  it('refuses uploads without the token', async () => {
    const response = await fetch(`${harness.origin}/upload?name=a.txt`, {
      method: 'POST',
      body: 'x',
      headers: { origin: harness.origin },
    });
    expect(response.status).toBe(403);
  });
});
