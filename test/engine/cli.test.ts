// The `comgov` CLI as a person (or the acceptance checks) runs it: separate
// processes, the forms of the issue, against a real relay. Includes a SIGKILL
// of a CLI process in the middle of receiving.
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { toHex } from '../../shared/util/bytes.js';
import { PASSPHRASE, TestRelay, Workspace, eventually, unwrap } from './support.js';

const CLI = path.resolve('main/cli/bin/comgov.js');

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function start(
  args: string[],
  env: Record<string, string> = {},
): { child: ChildProcess; done: Promise<Run> } {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { ...process.env, COMGOV_PASSPHRASE: PASSPHRASE, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<Run>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { child, done };
}

const cli = (args: string[], env?: Record<string, string>) => start(args, env).done;

let relay: TestRelay;
let ws: Workspace;

beforeEach(async () => {
  relay = await TestRelay.start();
  ws = new Workspace(relay);
});

afterEach(async () => {
  await ws.close();
  await relay.close();
});

/** Invites each user on the relay and enrols them with `comgov enroll`; returns their data folders. */
async function enrolWithCli(
  users: readonly string[],
  prefix: string,
): Promise<Record<string, string>> {
  const dirs: Record<string, string> = {};
  for (const user of users) {
    dirs[user] = ws.dataDir(`${prefix}-${user}`);
    const code = await relay.invite(user, { name: `${user[0]!.toUpperCase()}${user.slice(1)} N.` });
    const run = await cli([
      'enroll',
      '--data',
      dirs[user]!,
      '--relay',
      relay.url,
      '--relay-key',
      toHex(relay.publicKey),
      '--code',
      code,
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('Enrolled');
  }
  return dirs;
}

describe('comgov CLI', () => {
  it('enroll, send, sync --json, contacts, safety-number, devices', async () => {
    const { alice: a, bob: b } = (await enrolWithCli(['alice', 'bob'], 'cli')) as {
      alice: string;
      bob: string;
    };
    const sent = await cli(['send', '--data', a, '--to', 'bob', 'Bonjour', 'Bob']);
    expect(sent.code, sent.stderr).toBe(0);
    const queued = await cli(['send', '--data', a, '--to', 'bob', '--no-wait', 'Deuxième']);
    expect(queued.code, queued.stderr).toBe(0);
    expect((await cli(['sync', '--data', a])).code).toBe(0); // the queued one leaves
    const synced = await cli(['sync', '--data', b, '--json']);
    expect(synced.code, synced.stderr).toBe(0);
    const lines = synced.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => l.text)).toEqual(['Bonjour Bob', 'Deuxième']);
    expect(lines[0]).toMatchObject({ from: 'alice', conversation: 'direct:alice', kind: 'text' });
    expect(typeof lines[0]!.sentAt).toBe('number');
    expect(typeof lines[0]!.id).toBe('string');

    const contacts = await cli(['contacts', '--data', b, '--json']);
    expect(contacts.stdout).toContain('"userId":"alice"');
    const na = await cli(['safety-number', '--data', a, '--with', 'bob']);
    const nb = await cli(['safety-number', '--data', b, '--with', 'alice']);
    expect(na.stdout.split('\n').slice(0, 3).join(' ')).toMatch(/^(\d{5} ){11}\d{5}$/);
    expect(na.stdout.split('\n').slice(0, 3)).toEqual(nb.stdout.split('\n').slice(0, 3));
    const devices = await cli(['devices', '--data', a]);
    expect(devices.stdout).toContain('(this device)');
  });

  it('disappearing sets a timer the other side sees, on its notice and its messages', async () => {
    const { alice: a, bob: b } = (await enrolWithCli(['alice', 'bob'], 'dis')) as {
      alice: string;
      bob: string;
    };
    expect((await cli(['send', '--data', a, '--to', 'bob', 'Bonjour'])).code).toBe(0);
    const set = await cli(['disappearing', '--data', a, '--to', 'bob', '1d']);
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toContain('now disappear 86400 s after they are read');
    const bad = await cli(['disappearing', '--data', a, '--to', 'bob', 'bientôt']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('is not a duration');
    const tooLong = await cli(['disappearing', '--data', a, '--to', 'bob', '60w']);
    expect(tooLong.stderr).toContain('BAD_REQUEST');
    expect((await cli(['send', '--data', a, '--to', 'bob', 'Éphémère'])).code).toBe(0);
    const synced = await cli(['sync', '--data', b, '--json']);
    const lines = synced.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => [l.kind, l.text, l.expireSeconds])).toEqual([
      ['text', 'Bonjour', undefined],
      ['timer', null, 86_400],
      ['text', 'Éphémère', 86_400],
    ]);
  });

  it('send --label: a classification label travels; above a clearance it is refused', async () => {
    const { alice: a, bob: b } = (await enrolWithCli(['alice', 'bob'], 'label')) as {
      alice: string;
      bob: string;
    };
    await relay.setClearance('alice', 'confidential');
    await relay.setClearance('bob', 'confidential');
    const sent = await cli(['send', '--data', a, '--to', 'bob', '--label', 'Confidentiel', 'Note']);
    expect(sent.code, sent.stderr).toBe(0);
    const synced = await cli(['sync', '--data', b, '--json']);
    expect(JSON.parse(synced.stdout.trim().split('\n').at(-1)!)).toMatchObject({
      text: 'Note',
      classification: 'confidential',
    });
    const contacts = await cli(['contacts', '--data', b]);
    expect(contacts.stdout).toMatch(/alice\t.*cleared: confidential/);
    const secret = await cli(['send', '--data', a, '--to', 'bob', '--label', 'secret', 'Non']);
    expect(secret.code).not.toBe(0);
    expect(secret.stderr).toContain('CLASSIFICATION_NOT_CLEARED');
    const unknown = await cli(['send', '--data', a, '--to', 'bob', '--label', 'ultra', 'Non']);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toMatch(/"ultra" is not a classification label/);
  });

  it('send --ack, acknowledge, and acknowledgements with evidence that checks out', async () => {
    const { alice: a, bob: b } = (await enrolWithCli(['alice', 'bob'], 'ack')) as {
      alice: string;
      bob: string;
    };
    const sent = await cli(['send', '--data', a, '--to', 'bob', '--ack', 'Note', 'de', 'service']);
    expect(sent.code, sent.stderr).toBe(0);
    const id = /Sent ([0-9a-f]{32})\./.exec(sent.stdout)![1]!;
    const synced = await cli(['sync', '--data', b, '--json']);
    expect(JSON.parse(synced.stdout.trim().split('\n').at(-1)!)).toMatchObject({
      id,
      text: 'Note de service',
      acknowledgement: { requested: true, by: [] },
    });
    const none = await cli(['acknowledgements', '--data', a, '--id', id]);
    expect(none.stdout).toContain(`Nobody has acknowledged ${id} yet.`);
    const acked = await cli(['acknowledge', '--data', b, '--id', id]);
    expect(acked.code, acked.stderr).toBe(0);
    expect(acked.stdout).toContain(`Acknowledged ${id}.`);
    expect((await cli(['sync', '--data', a])).code).toBe(0);
    const evidence = await cli(['acknowledgements', '--data', a, '--id', id, '--json']);
    expect(evidence.code, evidence.stderr).toBe(0);
    const line = JSON.parse(evidence.stdout.trim()) as Record<string, unknown>;
    expect(line).toMatchObject({ messageId: id, author: 'alice', userId: 'bob', valid: true });
    expect(line.signature).toMatch(/^[0-9a-f]{128}$/);
    expect(line.relayPublicKey).toBe(toHex(relay.publicKey));
    const record = path.join(ws.dataDir('ack-files'), 'releve.html');
    mkdirSync(path.dirname(record), { recursive: true });
    const printed = await cli(['acknowledgements', '--data', a, '--id', id, '--html', record]);
    expect(printed.code, printed.stderr).toBe(0);
    const html = readFileSync(record, 'utf8');
    expect(html).toContain('Relevé des prises de connaissance');
    expect(html).toContain('Bob N.');
    expect(html).toContain('>valide<');
    const again = await cli(['acknowledgements', '--data', a, '--id', id, '--html', record]);
    expect(again.stderr).toContain('already exists');
    const twice = await cli(['acknowledge', '--data', a, '--id', id]);
    expect(twice.code).not.toBe(0);
    expect(twice.stderr).toContain('NOT_ALLOWED');
  });

  it('group create/add/remove, send to group:<id>, and French search with --json', async () => {
    const dirs = await enrolWithCli(['alice', 'bob', 'carol'], 'g');
    const created = await cli([
      'group',
      'create',
      '--data',
      dirs.alice!,
      '--name',
      'Cabinet',
      '--members',
      'bob',
    ]);
    expect(created.code, created.stderr).toBe(0);
    const groupId = created.stdout.trim().split('\n').at(-1)!;
    expect(groupId).toMatch(/^[0-9a-f]{32}$/);
    const added = await cli([
      'group',
      'add',
      '--data',
      dirs.alice!,
      '--group',
      groupId,
      '--member',
      'carol',
    ]);
    expect(added.code, added.stderr).toBe(0);
    const sent = await cli([
      'send',
      '--data',
      dirs.alice!,
      '--to',
      `group:${groupId}`,
      'La sécurité de l’école est assurée',
    ]);
    expect(sent.code, sent.stderr).toBe(0);
    for (const user of ['bob', 'carol']) {
      const synced = await cli(['sync', '--data', dirs[user]!, '--json']);
      expect(synced.code, synced.stderr).toBe(0);
      const line = JSON.parse(synced.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
      expect(line).toMatchObject({
        from: 'alice',
        conversation: `group:${groupId}`,
        text: 'La sécurité de l’école est assurée',
      });
    }
    const found = await cli(['search', '--data', dirs.carol!, '--json', 'securite ecole']);
    expect(found.code, found.stderr).toBe(0);
    const hit = JSON.parse(found.stdout.trim()) as Record<string, unknown>;
    expect(hit).toMatchObject({ conversation: `group:${groupId}`, from: 'alice' });
    expect(String(hit.snippet)).toContain('[sécurité]');
    const removed = await cli([
      'group',
      'remove',
      '--data',
      dirs.alice!,
      '--group',
      groupId,
      '--member',
      'bob',
    ]);
    expect(removed.code, removed.stderr).toBe(0);
    // Bob (never an admin) cannot change the membership.
    const notAdmin = await cli([
      'group',
      'remove',
      '--data',
      dirs.bob!,
      '--group',
      groupId,
      '--member',
      'carol',
    ]);
    expect(notAdmin.code).toBe(1);
    expect(notAdmin.stderr).toContain('not an admin');
  });

  it('absence --until --delegate, shown to contacts, then --end', async () => {
    const dirs = await enrolWithCli(['alice', 'bob', 'carol'], 'away');
    const day = new Date(Date.now() + 5 * 86_400_000);
    const date = `${day.getFullYear()}-${String(day.getMonth() + 1).padStart(2, '0')}-${String(day.getDate()).padStart(2, '0')}`;
    const declared = await cli([
      'absence',
      '--data',
      dirs.alice!,
      '--until',
      date,
      '--delegate',
      'carol',
    ]);
    expect(declared.code, declared.stderr).toBe(0);
    expect(declared.stdout).toMatch(/Away until .*; Carol N\. \(carol\) answers for you\./);
    const contacts = await cli(['contacts', '--data', dirs.bob!]);
    expect(contacts.stdout).toMatch(new RegExp(`alice\t.*away until ${date}, carol answers`));
    const bad = await cli([
      'absence',
      '--data',
      dirs.alice!,
      '--until',
      '5 décembre',
      '--delegate',
      'carol',
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--until takes a date as YYYY-MM-DD');
    const ended = await cli(['absence', '--data', dirs.alice!, '--end']);
    expect(ended.stdout).toContain('No absence declared.');
    expect((await cli(['contacts', '--data', dirs.bob!])).stdout).not.toContain('away until');
  });

  it('send-file --sign, verify-document and a printable attestation', async () => {
    const dirs = await enrolWithCli(['alice', 'bob'], 'doc');
    const original = path.join(ws.dataDir('docs'), 'arrêté n° 12.pdf');
    mkdirSync(path.dirname(original), { recursive: true });
    const bytes = Buffer.from('%PDF-1.7 arrêté portant organisation des services\n'.repeat(500));
    writeFileSync(original, bytes);
    const sha = createHash('sha256').update(bytes).digest('hex');
    const sent = await cli(['send-file', '--data', dirs.alice!, '--to', 'bob', '--sign', original]);
    expect(sent.code, sent.stderr).toBe(0);
    const synced = await cli(['sync', '--data', dirs.bob!, '--json']);
    const line = JSON.parse(synced.stdout.trim().split('\n').at(-1)!) as {
      attachments: { id: string; document?: { signerId: string; sha256: string } }[];
    };
    expect(line.attachments[0]!.document).toMatchObject({ signerId: 'alice', sha256: sha });

    const copy = path.join(ws.dataDir('docs'), 'reçu par courriel.pdf');
    writeFileSync(copy, bytes);
    const same = await cli(['verify-document', '--data', dirs.bob!, copy]);
    expect(same.code, same.stderr).toBe(0);
    expect(same.stdout).toContain(`Identical to "arrêté n° 12.pdf", signed by Alice N.`);
    writeFileSync(copy, Buffer.concat([bytes, Buffer.from(' ')]));
    const other = await cli(['verify-document', '--data', dirs.bob!, copy]);
    expect(other.code).toBe(3);
    expect(other.stdout).toContain('No signed document of this store has this content');

    const evidence = await cli([
      'attestation',
      '--data',
      dirs.bob!,
      '--id',
      line.attachments[0]!.id,
      '--json',
    ]);
    expect(JSON.parse(evidence.stdout.trim())).toMatchObject({
      signerId: 'alice',
      sha256: sha,
      valid: true,
      relayPublicKey: toHex(relay.publicKey),
    });
    const html = path.join(ws.dataDir('docs'), 'attestation.html');
    const printed = await cli([
      'attestation',
      '--data',
      dirs.bob!,
      '--id',
      line.attachments[0]!.id,
      '--html',
      html,
    ]);
    expect(printed.code, printed.stderr).toBe(0);
    const page = readFileSync(html, 'utf8');
    expect(page).toContain('Attestation d’intégrité');
    expect(page).toContain(sha.slice(0, 8));
    expect(page).toContain('Get-FileHash -Algorithm SHA256 "arrêté n° 12.pdf"');
    const unknown = await cli(['attestation', '--data', dirs.bob!, '--id', 'f'.repeat(32)]);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain('is not a signed document here');
  });

  it('send-file, sync --json lists it, attachment save writes identical bytes', async () => {
    const dirs = await enrolWithCli(['alice', 'bob'], 'f');
    const original = path.join(ws.dataDir('files'), 'rapport-été.pdf');
    mkdirSync(path.dirname(original), { recursive: true });
    const bytes = Buffer.alloc(300_000);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7919) & 0xff;
    writeFileSync(original, bytes);
    const blobDir = path.join(relay.dataDir, 'blobs');
    const before = new Set(readdirSync(blobDir));
    const sent = await cli(['send-file', '--data', dirs.alice!, '--to', 'bob', original]);
    expect(sent.code, sent.stderr).toBe(0);
    // The submission named its blob: the relay keeps it past the unreferenced-blob delay.
    const uploaded = readdirSync(blobDir).filter((id) => !before.has(id));
    expect(uploaded).toHaveLength(1);
    expect((await relay.relay.context.store.getBlob(uploaded[0]!))?.referencedAt).not.toBeNull();
    const synced = await cli(['sync', '--data', dirs.bob!, '--json']);
    expect(synced.code, synced.stderr).toBe(0);
    const line = JSON.parse(synced.stdout.trim().split('\n').at(-1)!) as {
      attachments: { id: string; name: string; size: number; type: string }[];
    };
    expect(line.attachments).toHaveLength(1);
    expect(line.attachments[0]).toMatchObject({
      name: 'rapport-été.pdf',
      size: 300_000,
      type: 'application/pdf',
    });
    const out = path.join(ws.dataDir('files'), 'copie.pdf');
    const saved = await cli([
      'attachment',
      'save',
      '--data',
      dirs.bob!,
      '--id',
      line.attachments[0]!.id,
      '--out',
      out,
    ]);
    expect(saved.code, saved.stderr).toBe(0);
    expect(readFileSync(out).equals(bytes)).toBe(true);

    // Bob forwards it back to Alice: no second upload.
    const message = (JSON.parse(synced.stdout.trim().split('\n').at(-1)!) as { id: string }).id;
    const forwarded = await cli(['forward', '--data', dirs.bob!, '--id', message, '--to', 'alice']);
    expect(forwarded.code, forwarded.stderr).toBe(0);
    expect(forwarded.stdout).toMatch(new RegExp(`^Forwarded ${message} as [0-9a-f]{32}\\.`, 'm'));
    expect(readdirSync(blobDir).filter((id) => !before.has(id))).toEqual(uploaded);
    const atAlice = await cli(['sync', '--data', dirs.alice!, '--json']);
    expect(atAlice.stdout).toContain('rapport-été.pdf');
    const unknown = await cli([
      'forward',
      '--data',
      dirs.bob!,
      '--id',
      'f'.repeat(32),
      '--to',
      'alice',
    ]);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toMatch(/UNKNOWN_MESSAGE|message/i);
    // Nothing of the file is readable in the data folders.
    const needle = bytes.subarray(1000, 1064);
    for (const dir of [dirs.alice!, dirs.bob!, relay.dataDir]) {
      for (const file of listFiles(dir))
        expect(readFileSync(file).includes(needle), file).toBe(false);
    }
  });

  it('errors: wrong passphrase, missing passphrase, unknown user, bad relay key — clear sentences, non-zero exits', async () => {
    const alice = await ws.enrol('alice', 'err-alice');
    await alice.close();
    const dir = ws.dataDir('err-alice');
    const wrong = await cli(['sync', '--data', dir], { COMGOV_PASSPHRASE: 'not the passphrase' });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('BAD_PASSPHRASE');
    const missing = await cli(['sync', '--data', dir], { COMGOV_PASSPHRASE: '' });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('COMGOV_PASSPHRASE');
    const unknown = await cli(['send', '--data', dir, '--to', 'nobody', 'x']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('UNKNOWN_USER');
    const badKey = await cli([
      'enroll',
      '--data',
      ws.dataDir('err-new'),
      '--relay',
      relay.url,
      '--relay-key',
      'abc',
      '--code',
      'x',
    ]);
    expect(badKey.code).toBe(2);
    expect(badKey.stderr).toContain('relay key');
  });

  it('a CLI killed with SIGKILL while receiving loses nothing and shows nothing twice', async () => {
    const alice = await ws.enrol('alice');
    const bob = await ws.enrol('bob', 'kill-bob');
    await bob.close();
    alice.start();
    const total = 400;
    for (let i = 0; i < total; i++) unwrap(await alice.sendText('bob', `lot ${i}`));
    await alice.whenOutboxEmpty();
    const dir = ws.dataDir('kill-bob');
    // Kill the receiving process as soon as it has acknowledged part of the queue.
    const { child, done } = start(['sync', '--data', dir, '--json']);
    await eventually(
      async () => {
        const depth = await queueDepth(relay, 'bob');
        return depth < total ? true : undefined;
      },
      'the relay to see the first acknowledgements',
      20_000,
    );
    child.kill('SIGKILL');
    const killed = await done;
    expect(killed.signal).toBe('SIGKILL');
    // Run it again to completion; together the two runs stored every message once.
    const rerun = await cli(['sync', '--data', dir, '--json']);
    expect(rerun.code, rerun.stderr).toBe(0);
    const reopened = await ws.open('kill-bob');
    const texts = reopened.messages.messages('direct:alice', undefined, 1000).map((m) => m.text);
    expect(texts).toHaveLength(total);
    expect(new Set(texts).size).toBe(total);
    expect(await queueDepth(relay, 'bob')).toBe(0);
  });
});

async function queueDepth(relay: TestRelay, userId: string): Promise<number> {
  const usage = await relay.relay.context.store.queueUsage();
  return usage.find((u) => u.userId === userId && u.deviceId === 1)?.count ?? 0;
}

function listFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    return statSync(file).isDirectory() ? listFiles(file) : [file];
  });
}
