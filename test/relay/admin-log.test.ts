// The tamper-evident admin log through `comgov-relay audit`, against a running relay:
// invitations, enrolments and revocations are recorded as they happen; an entry
// altered or removed afterwards is found; a log rewritten whole is caught by the head
// an ICT cell keeps in its register.
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asEd25519PublicKey, verify } from '../../shared/crypto/index.js';
import { fromHex } from '../../shared/util/bytes.js';
import { DATABASE_FILE } from '../../relay/data-dir.js';
import { adminLogHash, adminLogHeadBytes } from '../../relay/store/admin-log.js';
import { runCli } from './cli-process.js';
import { TestRelay } from './harness.js';

interface Audit {
  intact: boolean;
  alteredAt?: number;
  head: { seq: number; hash: string; signature: string } | null;
  entries: { seq: number; actor: string; action: string; subject: string; details: unknown }[];
}

describe('comgov-relay audit', () => {
  let relay: TestRelay;
  let db: Database.Database;
  const audit = (...args: string[]) => runCli(['audit', '--data', relay.dataDir, ...args]);
  const auditJson = async () => JSON.parse((await audit('--json')).lastLine) as Audit;

  beforeAll(async () => {
    relay = await TestRelay.start();
    db = new Database(path.join(relay.dataDir, DATABASE_FILE));
  });
  afterAll(async () => {
    db.close();
    await relay.close();
  });

  it('records invitations, enrolments and revocations as they happen', async () => {
    const invite = await runCli([
      ...['invite', '--data', relay.dataDir, '--user', 'amina.k', '--name', 'Amina K.'],
    ]);
    expect(invite.stderr).toBe('');
    expect(invite.code).toBe(0);
    const bob = await relay.newDevice('bob');
    const revoke = await runCli(['revoke', '--data', relay.dataDir, '--user', 'bob']);
    expect(revoke.stderr).toBe('');
    expect(revoke.code).toBe(0);

    const log = await auditJson();
    expect(log.intact).toBe(true);
    expect(log.entries.map((e) => [e.action, e.subject])).toEqual([
      ['invite', 'amina.k'],
      ['invite', 'bob'],
      ['enrol', `bob/${bob.deviceId}`],
      ['revoke', 'bob'],
    ]);
    expect(log.entries[0]!.actor).toMatch(/^cli:/);
    expect(log.entries[0]!.details).toMatchObject({ displayName: 'Amina K.' });
    expect(log.entries[2]).toMatchObject({ actor: 'enrolment' });
    expect(log.entries[3]!.details).toEqual({ devices: [bob.deviceId] });
    // The head is signed by the relay key that clients pin.
    const head = log.head!;
    expect(
      verify(
        asEd25519PublicKey(relay.publicKey),
        adminLogHeadBytes(head.seq, fromHex(head.hash)),
        fromHex(head.signature),
      ),
    ).toBe(true);
    const text = await audit('--head', `${head.seq}:${head.hash}`);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('Intact: 4 entries. Entry 4 matches your register.');
    expect(text.stdout).toContain(`Head (copy it into your register): 4:${head.hash}`);
  });

  it('finds an entry altered or removed, and a log rewritten whole', async () => {
    const kept = (await auditJson()).head!;
    const original = db.prepare('SELECT details FROM admin_log WHERE seq = 1').pluck().get();
    db.prepare(
      `UPDATE admin_log SET details = '{"displayName":"Quelqu’un d’autre"}' WHERE seq = 1`,
    ).run();
    const altered = await audit();
    expect(altered.code).toBe(1);
    expect(altered.stderr).toMatch(/altered at entry 1: its content does not match its hash/);
    expect(altered.stderr).toMatch(/tell your security officer/);
    db.prepare('UPDATE admin_log SET details = ? WHERE seq = 1').run(original);
    expect((await auditJson()).intact).toBe(true);

    db.prepare('DELETE FROM admin_log WHERE seq = 2').run();
    expect(await auditJson()).toMatchObject({ intact: false, alteredAt: 2 });

    // Someone who controls the server renumbers and rehashes what is left: the chain
    // holds again, but not the head in the register.
    const rows = db.prepare('SELECT * FROM admin_log ORDER BY seq').all() as {
      seq: number;
      at: number;
      actor: string;
      action: string;
      subject: string;
      details: string;
    }[];
    db.prepare('DELETE FROM admin_log').run();
    let prev: Uint8Array = new Uint8Array(32);
    rows.forEach((row, i) => {
      const entry = { ...row, seq: i + 1, action: row.action as 'invite' };
      const hash = adminLogHash(prev, entry);
      db.prepare(
        'INSERT INTO admin_log (seq, at, actor, action, subject, details, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      ).run(entry.seq, row.at, row.actor, row.action, row.subject, row.details, prev, hash);
      prev = hash;
    });
    expect((await auditJson()).intact).toBe(true);
    const checked = await audit('--head', `${kept.seq}:${kept.hash}`);
    expect(checked.code).toBe(1);
    expect(checked.stderr).toMatch(/no entry 4 any more \(it ends at 3\): entries were removed/);
    const earlier = await audit('--head', `3:${kept.hash}`);
    expect(earlier.stderr).toMatch(/not the one in your register: the log was rewritten/);
    expect((await audit('--head', 'quatre')).stderr).toMatch(/--head takes the head/);
  });
});
