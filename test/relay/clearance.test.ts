// `comgov-relay clearance` and `invite --clearance` as an ICT cell types them: each
// person's clearance for classification labels, shown by `users`, served in the
// directory, and every change in the tamper-evident admin log.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './cli-process.js';

describe('comgov-relay clearance', () => {
  let root: string;
  let data: string;
  beforeAll(async () => {
    root = mkdtempSync(path.join(tmpdir(), 'comgov-relay-clearance-'));
    data = path.join(root, 'data');
    expect((await runCli(['init', '--data', data])).code).toBe(0);
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  const users = async () =>
    JSON.parse((await runCli(['users', '--data', data, '--json'])).lastLine) as {
      userId: string;
      clearance: string;
    }[];

  it('invites at the default or at a clearance given; shows and changes it', async () => {
    const base = ['invite', '--data', data, '--name'];
    expect((await runCli([...base, 'Amina', '--user', 'amina'])).code).toBe(0);
    const benoit = await runCli([
      ...base,
      'Benoît',
      '--user',
      'benoit',
      '--clearance',
      'Confidentiel',
    ]);
    expect(benoit.code).toBe(0);
    expect(await users()).toEqual([
      expect.objectContaining({ userId: 'amina', clearance: 'restricted' }),
      expect.objectContaining({ userId: 'benoit', clearance: 'confidential' }),
    ]);

    const shown = await runCli(['clearance', '--data', data, '--user', 'amina']);
    expect(shown.lastLine).toBe('amina: cleared for restricted (Diffusion restreinte).');
    const set = await runCli(['clearance', '--data', data, '--user', 'amina', '--level', 'secret']);
    expect(set.code).toBe(0);
    expect(set.stdout).toMatch(/cleared for secret \(Secret\) \(was restricted/);
    expect(set.lastLine).toBe('secret');
    const again = await runCli([
      'clearance',
      '--data',
      data,
      '--user',
      'amina',
      '--level',
      'SECRET',
    ]);
    expect(again.stdout).toMatch(/already cleared for secret/);
    expect((await users())[0]!.clearance).toBe('secret');
    const table = await runCli(['users', '--data', data]);
    expect(table.stdout).toMatch(/amina\s+Amina.*\[secret\]/);

    // Each change is in the admin log, which still verifies.
    const audit = JSON.parse((await runCli(['audit', '--data', data, '--json'])).lastLine) as {
      intact: boolean;
      entries: { action: string; subject: string; details: unknown }[];
    };
    expect(audit.intact).toBe(true);
    const changes = audit.entries.filter((e) => e.action === 'clearance');
    expect(changes.map((e) => [e.subject, e.details])).toEqual([
      ['benoit', { clearance: 'confidential', before: 'restricted' }],
      ['amina', { clearance: 'secret', before: 'restricted' }],
      ['amina', { clearance: 'secret', before: 'secret' }],
    ]);
  });

  it('refuses an unknown label or user with a sentence, changing nothing', async () => {
    const before = await users();
    const badLevel = await runCli([
      'clearance',
      '--data',
      data,
      '--user',
      'amina',
      '--level',
      'top',
    ]);
    expect(badLevel.code).toBe(1);
    expect(badLevel.stderr).toMatch(/"top" is not a classification label; use one of: none/);
    const nobody = await runCli(['clearance', '--data', data, '--user', 'nobody', '--level', 'dr']);
    expect(nobody.code).toBe(1);
    expect(nobody.stderr).toMatch(/no user "nobody"/);
    const badInvite = await runCli([
      'invite',
      '--data',
      data,
      '--user',
      'chantal',
      '--name',
      'Chantal',
      '--clearance',
      'ultra',
    ]);
    expect(badInvite.code).toBe(1);
    expect(badInvite.stderr).toMatch(/"ultra" is not a clearance/);
    expect(await users()).toEqual(before);
  });
});
