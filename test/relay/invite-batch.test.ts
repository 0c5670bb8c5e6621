// Enrolling a whole service: `comgov-relay invite-batch` reads a CSV file, issues one
// code per person and writes their printable slips; an official then enrols with the
// code printed on their slip, against the running relay. A bad file, a revoked user or
// a slips file that exists already change nothing.
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Engine } from '../../main/engine/engine.js';
import { runCli } from './cli-process.js';
import { TestRelay } from './harness.js';

let relay: TestRelay;
const engines: Engine[] = [];

beforeEach(async () => {
  relay = await TestRelay.start();
});
afterEach(async () => {
  for (const engine of engines.splice(0)) await engine.close();
  await relay.close();
});

const codesIn = (html: string) => [...html.matchAll(/data-code>([A-Z2-7-]+)</g)].map((m) => m[1]!);
const usersJson = async () =>
  (
    JSON.parse((await runCli(['users', '--data', relay.dataDir, '--json'])).stdout) as {
      userId: string;
    }[]
  ).map((u) => u.userId);

describe('comgov-relay invite-batch', () => {
  it('invites everyone in the file and writes slips whose codes enrol', async () => {
    const dir = path.dirname(relay.dataDir);
    const csv = path.join(dir, 'cabinet.csv');
    writeFileSync(
      csv,
      'user;name;institution;title\n' +
        'amina;Amina Ndayishimiye;Ministère de la Santé;Directrice de cabinet\n' +
        'bernard;Bernard Niyonzima;Ministère de la Santé;Conseiller\n',
    );
    const slips = path.join(dir, 'fiches.html');
    const run = await runCli([
      'invite-batch',
      '--data',
      relay.dataDir,
      '--csv',
      csv,
      '--slips',
      slips,
      '--relay-url',
      relay.url,
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('invited amina (Amina Ndayishimiye)');
    expect(run.lastLine).toMatch(/^2 enrolment slip\(s\) written to .*fiches\.html/);
    // The codes are on the slips only, and the file is its owner's alone.
    expect(run.stdout).not.toMatch(/[A-Z2-7]{4}-[A-Z2-7]{4}-/);
    expect(statSync(slips).mode & 0o777).toBe(0o600);
    const html = readFileSync(slips, 'utf8');
    expect(html).toContain('Amina Ndayishimiye');
    expect(html).toContain(relay.url);
    const [aminaCode, bernardCode] = codesIn(html);
    expect(aminaCode).not.toBe(bernardCode);

    // Amina types her code as printed, in lower case: she is enrolled with her particulars.
    const amina = await Engine.enrol(
      { dataDir: path.join(dir, 'amina'), passphrase: 'phrase secrète de test' },
      { relayUrl: relay.url, relayPublicKey: relay.publicKey, code: aminaCode!.toLowerCase() },
    );
    engines.push(amina);
    const account = await amina.account();
    expect(account.ok && account.value).toMatchObject({
      userId: 'amina',
      displayName: 'Amina Ndayishimiye',
      institution: 'Ministère de la Santé',
      title: 'Directrice de cabinet',
    });

    // Run again into the same file: refused before any code is made.
    const again = await runCli([
      'invite-batch',
      '--data',
      relay.dataDir,
      '--csv',
      csv,
      '--slips',
      slips,
    ]);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain('already exists; choose another file name');
    expect(readFileSync(slips, 'utf8')).toBe(html);
    const audit = await runCli(['audit', '--data', relay.dataDir]);
    expect(audit.stdout.match(/invite/g)).toHaveLength(2);
  });

  it('changes nothing for a bad line or a revoked user, and says which', async () => {
    const dir = path.dirname(relay.dataDir);
    const bad = path.join(dir, 'bad.csv');
    writeFileSync(bad, 'user;name\nclaire;Claire\nPas Bon;X\n');
    const refused = await runCli([
      'invite-batch',
      '--data',
      relay.dataDir,
      '--csv',
      bad,
      '--slips',
      path.join(dir, 'a.html'),
    ]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('Line 3: "Pas Bon" is not a valid user id');
    expect(await usersJson()).toEqual([]);

    await relay.invite('denis');
    expect((await runCli(['revoke', '--data', relay.dataDir, '--user', 'denis'])).code).toBe(0);
    const withRevoked = path.join(dir, 'revoked.csv');
    writeFileSync(withRevoked, 'user;name\nclaire;Claire\ndenis;Denis\n');
    const slips = path.join(dir, 'b.html');
    const revoked = await runCli([
      'invite-batch',
      '--data',
      relay.dataDir,
      '--csv',
      withRevoked,
      '--slips',
      slips,
    ]);
    expect(revoked.code).toBe(1);
    expect(revoked.stderr).toContain('denis was revoked');
    expect(await usersJson()).toEqual(['denis']);
    // No slips file is left behind.
    expect(() => statSync(slips)).toThrow();
  });

  it('invite --slip writes one slip and still prints the code last', async () => {
    const slip = path.join(path.dirname(relay.dataDir), 'fiche-claire.html');
    const run = await runCli([
      'invite',
      '--data',
      relay.dataDir,
      '--user',
      'claire',
      '--name',
      'Claire Uwimana',
      '--slip',
      slip,
      '--lang',
      'en',
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.lastLine).toMatch(/^[A-Z2-7]{4}(-[A-Z2-7]{4}){5}$/);
    const html = readFileSync(slip, 'utf8');
    expect(codesIn(html)).toEqual([run.lastLine]);
    expect(html).toContain('Enrolment slip');
    expect(html).toContain('set by your ICT cell');
  });
});
