// Files through the engine API: what a person is told when a file cannot be had.
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { eventually, freshRelayPerTest, unwrap } from './support.js';

describe('files through the engine API', () => {
  const env = freshRelayPerTest();

  it('a file gone from the relay says why, on the message and when saved', async () => {
    const { relay, ws } = env;
    const alice = await ws.enrol('alice');
    const bob = await ws.enrol('bob');
    alice.start();
    const file = path.join(ws.dataDir('files'), 'note de service.txt');
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, 'Réunion reportée à jeudi.');
    const blobDir = path.join(relay.dataDir, 'blobs');
    const before = new Set(readdirSync(blobDir));
    const sent = unwrap(await alice.sendFile('bob', file));
    await eventually(
      () => (alice.messages.message(sent.id)?.status === 'sent' ? true : undefined),
      'the file message sent',
    );
    // The blob expires on the relay before Bob comes online.
    const [blobId] = readdirSync(blobDir).filter((id) => !before.has(id));
    await relay.relay.context.store.deleteBlob(blobId!);

    bob.start();
    const attachment = await eventually(() => {
      const view = bob.messages.message(sent.id)?.attachments?.[0];
      return view?.state === 'failed' ? view : undefined;
    }, 'the attachment failed at Bob');
    expect(attachment.failure).toBe('ATTACHMENT_UNAVAILABLE');
    mkdirSync(ws.dataDir('out'));
    const saved = await bob.saveAttachment(attachment.id, path.join(ws.dataDir('out'), 'note.txt'));
    expect(saved).toMatchObject({ ok: false, error: { code: 'ATTACHMENT_UNAVAILABLE' } });
  });

  it('at start, deletes the temporary file of a save that a previous run left', async () => {
    const { ws } = env;
    const bob = await ws.enrol('bob');
    const folder = ws.dataDir('Téléchargements');
    mkdirSync(folder);
    const left = path.join(folder, '.rapport.pdf.0a1b2c.partial');
    writeFileSync(left, 'la moitié du rapport');
    // As recorded by a run that stopped mid-save (a process that no longer exists).
    bob.db
      .prepare('INSERT INTO pending_saves (path, pid, created_at) VALUES (?, ?, ?)')
      .run(left, 2_147_483_646, Date.now());
    bob.start();
    await eventually(() => (existsSync(left) ? undefined : true), 'the leftover deleted');
    expect(readdirSync(folder)).toEqual([]);
  });
});

describe('a file the relay will never take', () => {
  const small = freshRelayPerTest({ blobMaxBytes: 64 * 1024 });

  it('refuses its message with the reason, instead of leaving it waiting', async () => {
    const alice = await small.ws.enrol('alice');
    await small.ws.enrol('bob');
    alice.start();
    const file = path.join(small.ws.dataDir('files'), 'annexes.zip');
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, Buffer.alloc(200 * 1024, 7));
    const sent = unwrap(await alice.sendFile('bob', file));
    const refused = await eventually(() => {
      const message = alice.messages.message(sent.id);
      return message?.status === 'refused' ? message : undefined;
    }, 'the message refused');
    expect(refused.refusalReason).toMatch(/^Ce fichier dépasse la taille acceptée par le relais/);
    expect(refused.attachments?.[0]).toMatchObject({
      state: 'failed',
      failure: 'ATTACHMENT_TOO_LARGE',
    });
  });
});
