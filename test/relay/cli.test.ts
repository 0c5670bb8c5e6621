// The admin CLI exactly as the acceptance checks use it.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './cli-process.js';

describe('comgov-relay CLI', () => {
  let root: string;
  let data: string;
  beforeAll(() => {
    root = mkdtempSync(path.join(tmpdir(), 'comgov-relay-cli-'));
    data = path.join(root, 'data');
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('init prints the relay public key last and keeps the private key private', async () => {
    const init = await runCli(['init', '--data', data]);
    expect(init.code).toBe(0);
    expect(init.lastLine).toMatch(/^[0-9a-f]{64}$/);
    expect(statSync(path.join(data, 'relay.key')).mode & 0o777).toBe(0o600);
    const again = await runCli(['init', '--data', data]);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toMatch(/already holds a relay/);
  });

  it('invite prints a code last; users and stats list without content', async () => {
    const invite = await runCli([
      'invite',
      '--data',
      data,
      '--user',
      'amina.k',
      '--name',
      'Amina K.',
      '--institution',
      'Ministère de la Santé',
      '--title',
      'Conseillère',
    ]);
    expect(invite.code).toBe(0);
    expect(invite.lastLine).toMatch(/^[A-Z2-7]{4}(-[A-Z2-7]{4}){5}$/);
    const users = await runCli(['users', '--data', data, '--json']);
    expect(users.code).toBe(0);
    expect(JSON.parse(users.lastLine)).toEqual([
      expect.objectContaining({
        userId: 'amina.k',
        displayName: 'Amina K.',
        institution: 'Ministère de la Santé',
        title: 'Conseillère',
        devices: [],
      }),
    ]);
    const stats = await runCli(['stats', '--data', data, '--json']);
    expect(JSON.parse(stats.lastLine)).toMatchObject({ users: 1, pendingCodes: 1, devices: 0 });
    const table = await runCli(['users', '--data', data]);
    expect(table.stdout).toMatch(/amina\.k\s+Amina K\./);
  });

  it('refuses bad input on stderr with a non-zero exit and a sentence', async () => {
    const badUser = await runCli(['invite', '--data', data, '--user', 'Bad User', '--name', 'x']);
    expect(badUser.code).not.toBe(0);
    expect(badUser.stderr).toMatch(/not a valid user id/);
    const missing = await runCli(['users', '--data', path.join(root, 'nowhere')]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/comgov-relay init --data/);
    const unknown = await runCli(['revoke', '--data', data, '--user', 'nobody']);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toMatch(/no user "nobody"/);
    const noDevice = await runCli(['revoke', '--data', data, '--user', 'amina.k', '--device', '3']);
    expect(noDevice.stderr).toMatch(/has no device 3/);
    const noName = await runCli(['invite', '--data', data, '--user', 'x']);
    expect(noName.code).not.toBe(0);
    expect(noName.stderr).toMatch(/--name/);
  });

  it('revoke marks the user revoked and refuses new invitations for it', async () => {
    const revoke = await runCli(['revoke', '--data', data, '--user', 'amina.k']);
    expect(revoke.code).toBe(0);
    expect(revoke.lastLine).toMatch(/Revoked user amina\.k/);
    const users = await runCli(['users', '--data', data, '--json']);
    expect(JSON.parse(users.lastLine)[0].revokedAt).toEqual(expect.any(Number));
    const invite = await runCli(['invite', '--data', data, '--user', 'amina.k', '--name', 'A']);
    expect(invite.code).not.toBe(0);
    expect(invite.stderr).toMatch(/revoked/);
  });
});
