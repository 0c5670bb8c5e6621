// The health dashboard against a running relay: the page and its figures for the
// addresses allowed, a refusal with a sentence for the others, and settings checked
// when the relay starts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mergeConfig } from '../../relay/config.js';
import type { DashboardStatus } from '../../relay/dashboard/dashboard-status.js';
import { quantileFromBuckets } from '../../relay/dashboard/dashboard-status.js';
import { runCli } from './cli-process.js';
import { TestRelay, eventually, text } from './harness.js';

describe('the health dashboard', () => {
  let relay: TestRelay;
  const status = async () =>
    (await (await fetch(`${relay.url}/dashboard/status.json`)).json()) as DashboardStatus;

  beforeAll(async () => {
    relay = await TestRelay.start();
  });
  afterAll(() => relay.close());

  it('serves its page with a strict policy, from this machine', async () => {
    const page = await fetch(`${relay.url}/dashboard`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await page.text()).toContain('<script type="module" src="/dashboard/dashboard.js">');
    for (const [file, type] of [
      ['dashboard.js', 'text/javascript; charset=utf-8'],
      ['dashboard.css', 'text/css; charset=utf-8'],
    ]) {
      const asset = await fetch(`${relay.url}/dashboard/${file}`);
      expect(asset.status).toBe(200);
      expect(asset.headers.get('content-type')).toBe(type);
    }
  });

  it('shows what is connected, waiting, delivered, revoked and wiped, and nothing else', async () => {
    const before = await status();
    const alice = await relay.newDevice('alice');
    const bob = await relay.newDevice('bob');
    const lost = await relay.newDevice('carole');
    const socket = await alice.connect();
    // Bob is offline: his envelope waits.
    const ok = await socket.submitTo([bob.address], () => text('chiffré'));
    expect(ok.body.case).toBe('submitOk');
    const receiver = await lost.connect();
    const live = await socket.submitTo([lost.address], () => text('chiffré aussi'));
    expect(live.body.case).toBe('submitOk');
    const [pushed] = await receiver.envelopes(1);
    receiver.ack([pushed!.body.value.serverId]);
    await receiver.close();
    await runCli(['revoke', '--data', relay.dataDir, '--user', 'carole', '--wipe']);

    const now = await eventually(async () => {
      const s = await status();
      const settled =
        s.connections.devices === 1 &&
        s.directory.wipesPending === 1 &&
        s.queue.envelopes === before.queue.envelopes + 1;
      return settled ? s : undefined;
    }, 'the dashboard to see the changes');
    expect(now.queue.envelopes).toBe(before.queue.envelopes + 1);
    expect(now.queue.oldestQueuedAt).toEqual(expect.any(Number));
    expect(now.traffic.envelopesIn - before.traffic.envelopesIn).toBe(2);
    expect(now.delivery.count - before.delivery.count).toBe(1);
    expect(now.delivery.p50Ms).toBeGreaterThan(0);
    expect(now.directory).toMatchObject({
      users: before.directory.users + 3,
      revokedUsers: before.directory.revokedUsers + 1,
      devices: before.directory.devices + 3,
      wipesPending: 1,
      wipesDelivered: 0,
    });
    expect(now.storage.diskFreeBytes).toBeGreaterThan(0);
    expect(now.storage.diskTotalBytes).toBeGreaterThanOrEqual(now.storage.diskFreeBytes!);
    expect(now.tlsExpiresAt).toBeNull();
    expect(now.adminLog.entries).toBeGreaterThanOrEqual(7);
    expect(now.adminLog.lastChangeAt).toEqual(expect.any(Number));
    // Content-free: no user id, name or key anywhere in it.
    const raw = JSON.stringify(now);
    for (const secret of ['alice', 'bob', 'carole', 'chiffré']) expect(raw).not.toContain(secret);
    await socket.close();
  });
});

describe('who may open the dashboard', () => {
  let relay: TestRelay;
  beforeAll(async () => {
    relay = await TestRelay.start({}, { dashboardAllow: ['10.20.0.0/16', 'fd00::/8'] });
  });
  afterAll(() => relay.close());

  it('refuses other addresses with a sentence, and leaves the rest of the relay alone', async () => {
    for (const url of ['/dashboard', '/dashboard/status.json', '/dashboard/dashboard.js']) {
      const refused = await fetch(relay.url + url);
      expect(refused.status).toBe(403);
      expect(await refused.json()).toMatchObject({
        code: 'DASHBOARD_FORBIDDEN',
        message: expect.stringContaining('dashboardAllow'),
      });
    }
    expect((await fetch(`${relay.url}/healthz`)).status).toBe(200);
  });

  it('takes addresses and networks, and refuses anything else when the relay starts', () => {
    expect(
      mergeConfig({ dashboardAllow: ['192.168.1.7', '10.0.0.0/8', '::1'] }).dashboardAllow,
    ).toHaveLength(3);
    expect(mergeConfig({}).dashboardAllow).toEqual(['127.0.0.1', '::1']);
    for (const bad of [['10.0.0.0/33'], ['intranet.gov'], ['10.0.0.1/8/9'], [42], 'all']) {
      expect(() => mergeConfig({ dashboardAllow: bad })).toThrow(/dashboardAllow/);
    }
  });
});

describe('quantileFromBuckets', () => {
  it('gives the bound of the bucket holding the quantile, in ms', () => {
    const buckets = [
      { le: 0.001, count: 10 },
      { le: 0.01, count: 90 },
      { le: 0.1, count: 99 },
      { le: Infinity, count: 100 },
    ];
    expect(quantileFromBuckets(buckets, 0.5)).toBe(10);
    expect(quantileFromBuckets(buckets, 0.99)).toBe(100);
    expect(quantileFromBuckets(buckets, 1)).toBeNull(); // beyond the last finite bound
    expect(quantileFromBuckets([{ le: Infinity, count: 0 }], 0.5)).toBeNull();
  });
});
