// When each device was last connected, as the ICT cell sees it: `comgov-relay users`
// and the dashboard's count of devices idle for 30 days. Written a minute at a time
// (flushed here by hand) and at shutdown.
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASE_FILE } from '../../relay/data-dir.js';
import type { DashboardStatus } from '../../relay/dashboard/dashboard-status.js';
import { runCli } from './cli-process.js';
import { TestRelay } from './harness.js';

interface UsersJson {
  userId: string;
  devices: { deviceId: number; lastSeenAt: number | null }[];
}

describe('last connections', () => {
  let relay: TestRelay;
  const users = async () =>
    JSON.parse(
      (await runCli(['users', '--data', relay.dataDir, '--json'])).lastLine,
    ) as UsersJson[];
  const device = async (userId: string) =>
    (await users()).find((u) => u.userId === userId)!.devices[0]!;

  beforeAll(async () => {
    relay = await TestRelay.start();
  });
  afterAll(() => relay.close());

  it('records when a device connected and when it left', async () => {
    const alice = await relay.newDevice('alice');
    await relay.newDevice('bruno');
    expect((await device('alice')).lastSeenAt).toBeNull();
    const before = Date.now();
    const socket = await alice.connect();
    await relay.relay.context.lastSeen.flush();
    const connected = (await device('alice')).lastSeenAt!;
    expect(connected).toBeGreaterThanOrEqual(before);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await socket.close();
    await relay.relay.context.lastSeen.flush();
    expect((await device('alice')).lastSeenAt!).toBeGreaterThan(connected);
    const text = await runCli(['users', '--data', relay.dataDir]);
    expect(text.stdout).toMatch(/alice[\s\S]*device 1 {2}active .*last seen /);
    expect(text.stdout).toMatch(/bruno[\s\S]*device 1 {2}active .*never connected/);
  });

  it('counts the active devices not seen for 30 days on the dashboard', async () => {
    const old = await relay.newDevice('chloe');
    const recent = await relay.newDevice('david');
    await (await recent.connect()).close();
    await relay.relay.context.lastSeen.flush();
    const status = async () =>
      (await (await fetch(`${relay.url}/dashboard/status.json`)).json()) as DashboardStatus;
    const before = (await status()).directory.idleDevices;
    // Chloé enrolled 40 days ago and has not been seen for 31.
    const db = new Database(path.join(relay.dataDir, DATABASE_FILE));
    const day = 86_400_000;
    db.prepare('UPDATE devices SET created_at = ?, last_seen_at = ? WHERE user_id = ?').run(
      Date.now() - 40 * day,
      Date.now() - 31 * day,
      old.userId,
    );
    db.close();
    expect((await status()).directory.idleDevices).toBe(before + 1);
    await relay.revoke('chloe');
    expect((await status()).directory.idleDevices).toBe(before);
  });
});
