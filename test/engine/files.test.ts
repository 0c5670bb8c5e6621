// Files through the engine API: what a person is told when a file cannot be had.
import { randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { eventually, freshRelayPerTest, received, unwrap } from './support.js';

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
      () => (alice.messages.message(sent.id)?.status !== 'waiting' ? true : undefined),
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

describe('forwarding a file whose blob left the relay (its 30-day TTL)', () => {
  const env = freshRelayPerTest();

  /** Alice sends Bob a file; Bob has it; then the relay drops its blob. */
  async function sentThenDropped(bobDownloads: boolean) {
    const { relay, ws } = env;
    const alice = await ws.enrol('alice');
    const bob = await ws.enrol('bob');
    const carol = await ws.enrol('carol');
    for (const engine of [alice, bob, carol]) engine.start();
    const folder = ws.dataDir('files');
    mkdirSync(folder, { recursive: true });
    const bytes = randomBytes(300 * 1024);
    const file = path.join(folder, 'compte rendu.pdf');
    writeFileSync(file, bytes);
    const sent = unwrap(await alice.sendFile('bob', file));
    await eventually(
      () => (alice.messages.message(sent.id)?.status !== 'waiting' ? true : undefined),
      'the file message sent',
    );
    const blobId = alice.attachments.descriptor(sent.attachments![0]!.id).blobId;
    if (bobDownloads) {
      await eventually(
        () =>
          bob.messages.message(sent.id)?.attachments?.[0]?.state === 'available' ? true : undefined,
        'the file at Bob',
      );
    }
    await relay.relay.context.store.deleteBlob(blobId);
    return { alice, bob, carol, sent, bytes, blobId };
  }

  async function receivedBytes(
    engine: Awaited<ReturnType<typeof sentThenDropped>>['carol'],
    id: string,
  ) {
    const attachment = await eventually(() => {
      const view = engine.messages.message(id)?.attachments?.[0];
      if (view?.state === 'failed') throw new Error(`failed: ${view.failure}`);
      return view?.state === 'available' ? view : undefined;
    }, 'the forwarded file available');
    const out = path.join(env.ws.dataDir('out'), `${id}.pdf`);
    mkdirSync(path.dirname(out), { recursive: true });
    unwrap(await engine.saveAttachment(attachment.id, out));
    return readFileSync(out);
  }

  it('a file received: put on the relay again from the copy kept here, once for two forwards', async () => {
    const { alice, bob, carol, sent, bytes, blobId } = await sentThenDropped(true);
    const [toCarol, toAlice] = await Promise.all([
      bob.forwardMessage(sent.id, 'carol'),
      bob.forwardMessage(sent.id, 'alice'),
    ]);
    const copy = unwrap(toCarol);
    expect((await receivedBytes(carol, copy.id)).equals(bytes)).toBe(true);
    expect((await receivedBytes(alice, unwrap(toAlice).id)).equals(bytes)).toBe(true);
    const again = bob.attachments.descriptor(copy.attachments![0]!.id).blobId;
    expect(again).not.toBe(blobId);
    const store = env.relay.relay.context.store;
    expect((await store.getBlob(again))?.ownerUser).toBe('bob');
    // One upload: Bob holds one blob of the file's size on the relay.
    expect(await store.blobUsage('bob')).toBe((await store.getBlob(again))!.length);
  });

  it('a file sent: the same, from the sender’s copy', async () => {
    const { alice, carol, sent, bytes } = await sentThenDropped(false);
    const copy = unwrap(await alice.forwardMessage(sent.id, 'carol'));
    expect((await receivedBytes(carol, copy.id)).equals(bytes)).toBe(true);
  });

  it('a file gone from the relay whose copy here is damaged: the forward says why', async () => {
    const { bob, sent } = await sentThenDropped(true);
    const id = bob.messages.message(sent.id)!.attachments![0]!.id;
    const copyFile = (folder: string) =>
      path.join(env.ws.dataDir(folder), 'attachments', `${id}.bin`);
    const bobFolder = readdirSync(env.ws.dataDir('')).find((name) => name.startsWith('bob-'))!;
    truncateSync(copyFile(bobFolder), 1000);
    const copy = unwrap(await bob.forwardMessage(sent.id, 'carol'));
    const refused = await eventually(() => {
      const message = bob.messages.message(copy.id);
      return message?.status === 'refused' ? message : undefined;
    }, 'the forward refused');
    expect(refused.refusalReason).toMatch(/^Ce fichier n’est plus sur le relais/);
  });
});

describe('previews of files', () => {
  const env = freshRelayPerTest();
  // A tiny JPEG (the app makes real ones with Chromium, test/e2e/files.e2e.ts).
  const jpeg = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(2000, 1)]);
  const preview = `data:image/jpeg;base64,${jpeg.toString('base64')}`;

  const sendPhoto = async (name: string) => {
    const alice = await env.ws.enrol('alice');
    const bob = await env.ws.enrol('bob');
    alice.start();
    bob.start();
    const file = path.join(env.ws.dataDir('files'), name);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, Buffer.alloc(300 * 1024, 9));
    return { alice, bob, file };
  };

  it('travel in the message: the recipient sees the picture before the file is fetched', async () => {
    const { alice, bob, file } = await sendPhoto('photo.jpg');
    const sent = unwrap(await alice.sendFile('bob', file, { preview }));
    expect(sent.attachments?.[0]?.preview).toBe(preview);
    const received = await eventually(
      () => bob.messages.message(sent.id)?.attachments?.[0],
      'the file message at Bob',
    );
    expect(received.preview).toBe(preview);
    expect(received.name).toBe('photo.jpg');
    // The conversation list names the file but leaves its picture out (a small list).
    const [conversation] = unwrap(await bob.listConversations());
    expect(conversation!.lastMessage?.attachments?.[0]).toMatchObject({ name: 'photo.jpg' });
    expect(conversation!.lastMessage?.attachments?.[0]?.preview).toBeUndefined();
  });

  it('a received picture is shown in the app, decrypted in memory; anything else is not', async () => {
    const { alice, bob, file } = await sendPhoto('tableau.png');
    const png = Buffer.concat([
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      randomBytes(200_000),
    ]);
    writeFileSync(file, png);
    const sent = unwrap(await alice.sendFile('bob', file));
    const atBob = await eventually(
      () => bob.messages.message(sent.id)?.attachments?.[0],
      'the picture at Bob',
    );
    const shown = unwrap(await bob.viewAttachment(atBob.id));
    expect(shown.dataUrl).toBe(`data:image/png;base64,${png.toString('base64')}`);
    // The sender sees it too, from the copy it keeps.
    await eventually(
      () => (alice.messages.message(sent.id)?.status !== 'waiting' ? true : undefined),
      'the picture sent',
    );
    expect(unwrap(await alice.viewAttachment(sent.attachments![0]!.id)).dataUrl).toBe(
      shown.dataUrl,
    );
    // Named like a picture, but not one: the bytes decide.
    const fake = path.join(path.dirname(file), 'faux.png');
    writeFileSync(fake, '<svg onload="alert(1)"/>');
    const fakeSent = unwrap(await alice.sendFile('bob', fake));
    const fakeAtBob = await eventually(
      () => bob.messages.message(fakeSent.id)?.attachments?.[0],
      'the fake picture at Bob',
    );
    for (const [id, code] of [
      [fakeAtBob.id, 'ATTACHMENT_NOT_VIEWABLE'],
      ['0'.repeat(32), 'UNKNOWN_ATTACHMENT'],
    ] as const) {
      expect(await bob.viewAttachment(id)).toMatchObject({ ok: false, error: { code } });
    }
  });

  it('a preview that is not a small JPEG, PNG or WebP is refused at the API', async () => {
    const { alice, file } = await sendPhoto('photo.jpg');
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>x()</script></svg>');
    for (const bad of [
      `data:image/svg+xml;base64,${svg.toString('base64')}`,
      `data:image/jpeg;base64,${svg.toString('base64')}`,
      `data:image/jpeg;base64,${Buffer.concat([jpeg, Buffer.alloc(40 * 1024)]).toString('base64')}`,
      'file:///C:/Windows/win.ini',
      42 as unknown as string,
    ]) {
      const result = await alice.sendFile('bob', file, { preview: bad });
      expect(result).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    }
    expect(await alice.sendFile('bob', file, null as never)).toMatchObject({
      ok: false,
      error: { code: 'BAD_REQUEST' },
    });
  });

  it('a received preview that fails the checks is dropped; the file is kept', async () => {
    const { alice, bob, file } = await sendPhoto('scan.png');
    const sent = unwrap(await alice.sendFile('bob', file, { preview }));
    // What a modified client would send: script in place of the picture. The upload
    // has not finished yet (it needs the network; this runs first), so the message
    // goes out with these bytes.
    const [attachment] = sent.attachments!;
    alice.db
      .prepare('UPDATE attachment_previews SET image = ? WHERE attachment_id = ?')
      .run(Buffer.from('<svg onload="alert(1)"/>'), attachment!.id);
    const received = await eventually(
      () => bob.messages.message(sent.id)?.attachments?.[0],
      'the file message at Bob',
    );
    expect(received.preview).toBeUndefined();
    expect(received.name).toBe('scan.png');
    const available = await eventually(() => {
      const view = bob.messages.message(sent.id)?.attachments?.[0];
      return view?.state === 'available' ? view : undefined;
    }, 'the file fetched at Bob');
    expect(available.size).toBe(300 * 1024);
  });
});

describe('forwarding', () => {
  const env = freshRelayPerTest();

  it('sends the same file on without uploading it again, text and preview included', async () => {
    const { relay, ws } = env;
    const alice = await ws.enrol('alice');
    const bob = await ws.enrol('bob');
    const carol = await ws.enrol('carol');
    for (const e of [alice, bob, carol]) e.start();
    const file = path.join(ws.dataDir('files'), 'note de cadrage.pdf');
    mkdirSync(path.dirname(file), { recursive: true });
    const bytes = randomBytes(2 * 1024 * 1024 + 5);
    writeFileSync(file, bytes);
    const jpeg = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(500, 2)]);
    const preview = `data:image/jpeg;base64,${jpeg.toString('base64')}`;
    const sent = unwrap(await alice.sendFile('bob', file, { preview }));
    const blobDir = path.join(relay.dataDir, 'blobs');
    await eventually(
      () => (alice.messages.message(sent.id)?.status !== 'waiting' ? true : undefined),
      'the file sent',
    );
    const blobs = readdirSync(blobDir).length;
    // Bob forwards it as soon as it reaches him, fetched or not.
    const atBob = await eventually(
      () => bob.messages.message(sent.id) ?? undefined,
      'the file at Bob',
    );
    const forwarded = unwrap(await bob.forwardMessage(atBob.id, 'carol'));
    expect(forwarded.attachments?.[0]).toMatchObject({ name: 'note de cadrage.pdf', preview });
    expect(forwarded.forwarded).toBe(true);
    expect(atBob.forwarded).toBeUndefined();
    const atCarol = await eventually(() => {
      const view = carol.messages.message(forwarded.id)?.attachments?.[0];
      return view?.state === 'available' ? view : undefined;
    }, 'the forwarded file at Carol');
    expect(atCarol.preview).toBe(preview);
    // Carol is told it was forwarded.
    expect(carol.messages.message(forwarded.id)?.forwarded).toBe(true);
    mkdirSync(ws.dataDir('out'));
    const out = path.join(ws.dataDir('out'), 'note.pdf');
    unwrap(await carol.saveAttachment(atCarol.id, out));
    expect(readFileSync(out).equals(bytes)).toBe(true);
    // Upload once, send to many: still one blob on the relay.
    expect(readdirSync(blobDir).length).toBe(blobs);
    expect(bob.messages.message(forwarded.id)?.status).not.toBe('waiting');

    // A text is forwarded as a text; to a group as well.
    unwrap(await alice.sendText('bob', 'Réunion reportée à 15 h.'));
    const text = await received(bob, 'Réunion reportée à 15 h.');
    unwrap(await bob.forwardMessage(text.id, 'carol'));
    expect(await received(carol, 'Réunion reportée à 15 h.')).toMatchObject({
      senderId: 'bob',
      forwarded: true,
    });
    expect(text.forwarded).toBeUndefined();
    const group = unwrap(await bob.createGroup('Cellule de crise', ['carol']));
    const inGroup = unwrap(await bob.forwardMessage(atBob.id, group.id));
    const groupCopy = await eventually(() => {
      const view = carol.messages.message(inGroup.id)?.attachments?.[0];
      return view?.state === 'available' ? view : undefined;
    }, 'the file in the group at Carol');
    expect(groupCopy.size).toBe(bytes.length);
    expect(readdirSync(blobDir).length).toBe(blobs);
  });

  it('refuses what cannot be forwarded, with a reason', async () => {
    const { relay, ws } = env;
    const alice = await ws.enrol('alice');
    const bob = await ws.enrol('bob');
    await ws.enrol('carol');
    alice.start();
    expect(await bob.forwardMessage('0'.repeat(32), 'carol')).toMatchObject({
      ok: false,
      error: { code: 'UNKNOWN_MESSAGE' },
    });
    // A file gone from the relay before Bob could fetch it: nothing to forward.
    const file = path.join(ws.dataDir('files'), 'annexe.txt');
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, 'annexe');
    const blobDir = path.join(relay.dataDir, 'blobs');
    const before = new Set(readdirSync(blobDir));
    const sent = unwrap(await alice.sendFile('bob', file));
    await eventually(
      () => (alice.messages.message(sent.id)?.status !== 'waiting' ? true : undefined),
      'the file sent',
    );
    const [blobId] = readdirSync(blobDir).filter((id) => !before.has(id));
    await relay.relay.context.store.deleteBlob(blobId!);
    bob.start();
    await eventually(
      () =>
        bob.messages.message(sent.id)?.attachments?.[0]?.state === 'failed' ? true : undefined,
      'the fetch failed at Bob',
    );
    expect(await bob.forwardMessage(sent.id, 'carol')).toMatchObject({
      ok: false,
      error: { code: 'ATTACHMENT_NOT_READY' },
    });
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
