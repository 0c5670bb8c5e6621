// A renewed TLS certificate is served after SIGHUP (`systemctl reload`), without a
// restart; a bad pair is refused with a sentence and the relay keeps the one it had.
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeCertificate } from './certificate.js';
import { runCli, serve, type ServeProcess } from './cli-process.js';
import { TestRelay, eventually } from './harness.js';

/** GET /healthz over HTTPS trusting only `ca`: the status, or the TLS error's code. */
function healthz(url: string, ca: Buffer): Promise<number | string> {
  return new Promise((resolve) => {
    const request = https.get(`${url}/healthz`, { ca, agent: false }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

describe('TLS certificate reload', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'comgov-tls-'));
  let relay: ServeProcess | undefined;

  afterAll(async () => {
    relay?.child.kill('SIGTERM');
    await relay?.exited;
    rmSync(root, { recursive: true, force: true });
  });

  it('serves a renewed certificate after SIGHUP, and keeps it when the new pair is bad', async () => {
    const data = path.join(root, 'data');
    expect((await runCli(['init', '--data', data])).code).toBe(0);
    const first = makeCertificate(path.join(root, 'first'), 'first');
    const second = makeCertificate(path.join(root, 'second'), 'second');
    const cert = path.join(root, 'cert.pem');
    const key = path.join(root, 'key.pem');
    copyFileSync(first.cert, cert);
    copyFileSync(first.key, key);
    const firstCa = readFileSync(first.cert);
    const secondCa = readFileSync(second.cert);

    relay = await serve(data, ['--tls-cert', cert, '--tls-key', key]);
    expect(relay.url).toMatch(/^https:/);
    expect(await healthz(relay.url, firstCa)).toBe(200);
    expect(await healthz(relay.url, secondCa)).not.toBe(200);

    // Renewal: the files are replaced, then the relay is told.
    copyFileSync(second.cert, cert);
    copyFileSync(second.key, key);
    relay.child.kill('SIGHUP');
    await eventually(
      () =>
        /TLS certificate reloaded; valid until \d{4}-/.test(relay!.stdout()) ? true : undefined,
      'the reload to be reported',
    );
    expect(await healthz(relay.url, secondCa)).toBe(200);
    expect(await healthz(relay.url, firstCa)).not.toBe(200);
    const metrics = await new Promise<string>((resolve) => {
      https.get(`${relay!.url}/metrics`, { ca: secondCa, agent: false }, (response) => {
        let text = '';
        response.on('data', (chunk: Buffer) => (text += chunk.toString()));
        response.on('end', () => resolve(text));
      });
    });
    const expiry = /^relay_tls_certificate_expiry_timestamp_seconds (\d+)/m.exec(metrics);
    expect(Number(expiry?.[1])).toBeGreaterThan(Date.now() / 1000);

    // A key that does not go with the certificate: refused, the renewed pair stays.
    copyFileSync(first.key, key);
    relay.child.kill('SIGHUP');
    await eventually(
      () =>
        /not reloaded: The key in .* cannot serve .* goes on with the certificate it had/.test(
          relay!.stderr(),
        )
          ? true
          : undefined,
      'the refusal to be reported',
    );
    expect(await healthz(relay.url, secondCa)).toBe(200);

    // A file that is not a certificate: refused too.
    copyFileSync(second.key, key);
    writeFileSync(cert, 'not a certificate');
    relay.child.kill('SIGHUP');
    await eventually(
      () => (/does not hold a PEM certificate/.test(relay!.stderr()) ? true : undefined),
      'the second refusal to be reported',
    );
    expect(await healthz(relay.url, secondCa)).toBe(200);
    expect(relay.child.exitCode).toBeNull();
  });

  it('says there is nothing to reload on a relay without TLS', async () => {
    const plain = await TestRelay.start();
    try {
      expect(() => plain.relay.reloadTls()).toThrow(/plain HTTP/);
    } finally {
      await plain.close();
    }
  });
});
