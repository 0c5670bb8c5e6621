// `comgov-relay org`, `invite --unit --manager` and the CSV columns as an ICT cell uses
// them: the org chart on the relay, shown by `users`, every change in the admin log;
// a manager must exist (on the relay, or further down the same file).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './cli-process.js';

describe('comgov-relay org', () => {
  let root: string;
  let data: string;
  beforeAll(async () => {
    root = mkdtempSync(path.join(tmpdir(), 'comgov-relay-org-'));
    data = path.join(root, 'data');
    expect((await runCli(['init', '--data', data])).code).toBe(0);
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  const users = async () =>
    JSON.parse((await runCli(['users', '--data', data, '--json'])).lastLine) as {
      userId: string;
      unit: string;
      manager: string | null;
    }[];

  it('reads units and managers from a CSV file, a manager further down included', async () => {
    const csv = path.join(root, 'cabinet.csv');
    writeFileSync(
      csv,
      'user;name;unit;manager\namina;Amina;Direction des ressources humaines;benoit\nbenoit;Benoît;Cabinet;\n',
    );
    const run = await runCli([
      'invite-batch',
      '--data',
      data,
      '--csv',
      csv,
      '--slips',
      path.join(root, 'fiches.html'),
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(await users()).toEqual([
      expect.objectContaining({
        userId: 'amina',
        unit: 'Direction des ressources humaines',
        manager: 'benoit',
      }),
      expect.objectContaining({ userId: 'benoit', unit: 'Cabinet', manager: null }),
    ]);
    const table = await runCli(['users', '--data', data]);
    expect(table.stdout).toMatch(
      /amina\s+Amina.*unit: Direction des ressources humaines, reports to benoit/,
    );
  });

  it('shows and changes one person; refuses an unknown manager or user, changing nothing', async () => {
    const invite = await runCli([
      'invite',
      '--data',
      data,
      '--user',
      'chantal',
      '--name',
      'Chantal',
      '--unit',
      'Courrier',
      '--manager',
      'amina',
    ]);
    expect(invite.code, invite.stderr).toBe(0);
    const shown = await runCli(['org', '--data', data, '--user', 'chantal']);
    expect(shown.lastLine).toBe('chantal: unit "Courrier", reports to amina.');
    const moved = await runCli([
      'org',
      '--data',
      data,
      '--user',
      'chantal',
      '--manager',
      'none',
      '--unit',
      'Archives',
    ]);
    expect(moved.lastLine).toBe('chantal: unit "Archives", reports to nobody.');

    const before = await users();
    const unknownManager = await runCli([
      'org',
      '--data',
      data,
      '--user',
      'chantal',
      '--manager',
      'personne',
    ]);
    expect(unknownManager.code).toBe(1);
    expect(unknownManager.stderr).toMatch(/no user "personne" to report to/);
    const self = await runCli(['org', '--data', data, '--user', 'chantal', '--manager', 'chantal']);
    expect(self.stderr).toMatch(/cannot be the manager/);
    const nobody = await runCli(['org', '--data', data, '--user', 'nobody', '--unit', 'X']);
    expect(nobody.stderr).toMatch(/no user "nobody"/);
    const csv = path.join(root, 'faux.csv');
    writeFileSync(csv, 'user;name;manager\ndenise;Denise;inconnu\n');
    const badFile = await runCli([
      'invite-batch',
      '--data',
      data,
      '--csv',
      csv,
      '--slips',
      path.join(root, 'f2.html'),
    ]);
    expect(badFile.code).not.toBe(0);
    expect(badFile.stderr).toMatch(/neither on the relay nor in the file/);
    expect(await users()).toEqual(before);

    const audit = JSON.parse((await runCli(['audit', '--data', data, '--json'])).lastLine) as {
      intact: boolean;
      entries: { action: string; subject: string; details: unknown }[];
    };
    expect(audit.intact).toBe(true);
    expect(
      audit.entries.filter((e) => e.action === 'org').map((e) => [e.subject, e.details]),
    ).toEqual([
      ['amina', { unit: 'Direction des ressources humaines', manager: 'benoit' }],
      ['benoit', { unit: 'Cabinet', manager: null }],
      ['chantal', { unit: 'Courrier', manager: 'amina' }],
      ['chantal', { unit: 'Archives', manager: null }],
    ]);
  });
});
