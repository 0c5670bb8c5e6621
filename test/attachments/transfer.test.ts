// Resumable encrypted attachments through a real relay (in this process) and real
// encrypted stores: cuts of the network (CutLink) and restarts (a device reopened on
// its data folder) in the middle of uploads and downloads.
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { stat, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProgressEvent } from '../../main/engine/attachments/attachments.js';
import { ciphertextSize, DEFAULT_CHUNK_SIZE } from '../../main/engine/attachments/secretstream.js';
import { isAttachmentError } from '../../main/engine/attachments/errors.js';
import { TestRelay, type TestDevice } from '../relay/harness.js';
import { CutLink } from './cut-link.js';
import { type Device, fileDigest, openDevice, storeKey, writeTestFile } from './support.js';

const MiB = 1024 * 1024;
const FILE_SIZE = 20 * MiB;
const CIPHER_CHUNK = DEFAULT_CHUNK_SIZE + 17;
/** The link's rate: slower than the relay's disk, fast enough for a quick test. */
const LINK_RATE = 48 * MiB;

async function blobBytesIn(relay: TestRelay): Promise<number> {
  const metric = await relay.relay.context.metrics.blobBytes.get();
  return metric.values.find((v) => v.labels.direction === 'in')?.value ?? 0;
}

describe('attachments through the relay', () => {
  let relay: TestRelay;
  let root: string;
  let aliceCredentials: TestDevice;
  let bobCredentials: TestDevice;
  let source: string;
  let sourceDigest: string;
  const open: Device[] = [];
  let folders = 0;

  const device = async (
    credentials: TestDevice,
    url: string,
    dataDir?: string,
    key?: Uint8Array,
  ) => {
    const d = await openDevice(
      dataDir ?? path.join(root, `device-${++folders}`),
      key ?? storeKey(),
      credentials,
      url,
    );
    open.push(d);
    return d;
  };

  beforeAll(async () => {
    relay = await TestRelay.start({ blobMaxBytes: 64 * MiB });
    aliceCredentials = await relay.newDevice('alice');
    bobCredentials = await relay.newDevice('bob');
    root = mkdtempSync(path.join(tmpdir(), 'comgov-attachments-'));
    source = path.join(root, 'rapport annuel.pdf');
    await writeTestFile(source, FILE_SIZE);
    sourceDigest = await fileDigest(source);
  });

  afterAll(async () => {
    for (const d of open) d.close();
    await relay.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('sends 20 MiB across a cut at half: resumed, identical, under two chunks received twice', async () => {
    const cipherSize = ciphertextSize(FILE_SIZE, DEFAULT_CHUNK_SIZE);
    const link = await CutLink.open(relay.url, {
      bytesPerSecond: LINK_RATE,
      cutAfterPatchBytes: Math.floor(cipherSize / 2),
    });
    const alice = await device(aliceCredentials, link.url);
    const progress: ProgressEvent[] = [];
    alice.attachments.on('progress', (event) => progress.push(event));
    const inBefore = await blobBytesIn(relay);

    const sent = await alice.attachments.upload(source, { type: 'application/pdf' });
    await link.close();

    expect(link.cuts).toBe(1);
    // What reached the relay, every attempt counted, against what it needed.
    const resent = link.patchBodyBytes - cipherSize;
    expect(resent).toBeGreaterThanOrEqual(0);
    expect(resent).toBeLessThan(2 * CIPHER_CHUNK);
    // The relay wrote each byte once.
    expect((await blobBytesIn(relay)) - inBefore).toBe(cipherSize);
    expect(sent.descriptor).toMatchObject({
      name: 'rapport annuel.pdf',
      type: 'application/pdf',
      size: FILE_SIZE,
      chunkSize: DEFAULT_CHUNK_SIZE,
    });
    expect(alice.attachments.info(sent.id)).toMatchObject({ state: 'done', offset: cipherSize });
    expect(progress.at(-1)).toMatchObject({ id: sent.id, done: cipherSize, total: cipherSize });
    expect(progress.length).toBeGreaterThan(2);

    const bob = await device(bobCredentials, relay.url);
    const id = await bob.attachments.download(sent.descriptor);
    // Stored encrypted: the same bytes as the blob, not the plaintext.
    const stored = path.join(bob.dataDir, 'attachments', `${id}.bin`);
    expect((await stat(stored)).size).toBe(cipherSize);
    expect(await fileDigest(stored)).not.toBe(sourceDigest);
    const out = path.join(root, 'received.pdf');
    await bob.attachments.save(id, out);
    expect(await fileDigest(out)).toBe(sourceDigest);
    // The sender's own copy opens too.
    const chunks: Buffer[] = [];
    let length = 0;
    for await (const piece of alice.attachments.open(sent.id)) {
      length += (piece as Buffer).length;
      if (chunks.length < 1) chunks.push(Buffer.from(piece as Buffer));
    }
    expect(length).toBe(FILE_SIZE);
  });

  it('resumes an upload after a restart during encryption, sending no byte twice', async () => {
    const cipherSize = ciphertextSize(FILE_SIZE, DEFAULT_CHUNK_SIZE);
    const link = await CutLink.open(relay.url, { bytesPerSecond: LINK_RATE });
    const dataDir = path.join(root, 'alice-restart');
    const key = storeKey();
    const first = await device(aliceCredentials, link.url, dataDir, key);
    const stop = new AbortController();
    first.attachments.on('progress', (event) => {
      if (event.done >= cipherSize / 2) stop.abort();
    });
    const stopped = await first.attachments
      .upload(source, {}, { signal: stop.signal })
      .catch((e: unknown) => e);
    expect(isAttachmentError(stopped, 'ATTACHMENT_STOPPED')).toBe(true);
    const [row] = first.attachments.list();
    first.close();
    // Put the store and the folder back as a crash during encryption leaves them: the
    // copy written up to some point, no hash yet.
    const copy = path.join(dataDir, 'attachments', `${row!.id}.bin`);
    await truncate(copy, Math.floor(cipherSize / 3));
    const restarted = await device(aliceCredentials, link.url, dataDir, key);
    restarted.db.prepare(`UPDATE attachments SET state = 'encrypting', hash = NULL`).run();

    const [resumed] = await restarted.attachments.resumePending();
    await link.close();
    expect(resumed).toMatchObject({ id: row!.id, state: 'done' });
    expect(link.patchBodyBytes - cipherSize).toBeLessThan(2 * CIPHER_CHUNK);

    const bob = await device(bobCredentials, relay.url);
    const id = await bob.attachments.download(restarted.attachments.descriptor(row!.id));
    const out = path.join(root, 'after-restart.pdf');
    await bob.attachments.save(id, out);
    expect(await fileDigest(out)).toBe(sourceDigest);
  });

  it('resumes a download after a cut and after a restart, from what it has', async () => {
    const alice = await device(aliceCredentials, relay.url);
    const { descriptor } = await alice.attachments.upload(source);
    const cipherSize = ciphertextSize(FILE_SIZE, DEFAULT_CHUNK_SIZE);

    const link = await CutLink.open(relay.url, {
      bytesPerSecond: LINK_RATE,
      cutAfterResponseBytes: Math.floor(cipherSize / 2),
    });
    const bob = await device(bobCredentials, link.url);
    const id = await bob.attachments.download(descriptor);
    await link.close();
    expect(link.cuts).toBe(1);
    // Fetched again after the cut: what was in flight, not the first half.
    expect(link.responseBytes - cipherSize).toBeLessThan(2 * CIPHER_CHUNK);
    await bob.attachments.save(id, path.join(root, 'after-cut.pdf'));
    expect(await fileDigest(path.join(root, 'after-cut.pdf'))).toBe(sourceDigest);

    // A restart: stopped at about half, reopened on the same folder and store.
    const slow = await CutLink.open(relay.url, { bytesPerSecond: LINK_RATE });
    const dataDir = path.join(root, 'bob-restart');
    const key = storeKey();
    const first = await device(bobCredentials, slow.url, dataDir, key);
    const stop = new AbortController();
    first.attachments.on('progress', (event) => {
      if (event.done >= cipherSize / 2) stop.abort();
    });
    const stopped = await first.attachments
      .download(descriptor, { signal: stop.signal })
      .catch((e: unknown) => e);
    expect(isAttachmentError(stopped, 'ATTACHMENT_STOPPED')).toBe(true);
    const [row] = first.attachments.list();
    expect(row).toMatchObject({ state: 'downloading' });
    first.close();
    const partial = (await stat(path.join(dataDir, 'attachments', `${row!.id}.part`))).size;
    expect(partial).toBeGreaterThanOrEqual(cipherSize / 2);
    const before = slow.responseBytes;
    const again = await device(bobCredentials, slow.url, dataDir, key);
    const [resumed] = await again.attachments.resumePending();
    await slow.close();
    expect(resumed).toMatchObject({ id: row!.id, state: 'done' });
    expect(slow.responseBytes - before).toBeLessThan(cipherSize - partial + 2 * CIPHER_CHUNK);
    await again.attachments.save(row!.id, path.join(root, 'after-restart-down.pdf'));
    expect(await fileDigest(path.join(root, 'after-restart-down.pdf'))).toBe(sourceDigest);
  });

  it('uploads once for many recipients and many messages', async () => {
    const small = path.join(root, 'note.txt');
    await writeTestFile(small, 300 * 1024, 7);
    const alice = await device(aliceCredentials, relay.url);
    const inBefore = await blobBytesIn(relay);
    const { descriptor } = await alice.attachments.upload(small, { type: 'text/plain' });
    const bob = await device(bobCredentials, relay.url);
    const carol = await device(await relay.newDevice('carol'), relay.url);
    const first = await bob.attachments.download(descriptor);
    // The same file in a second message (or forwarded) is the same attachment.
    expect(await bob.attachments.download(descriptor)).toBe(first);
    expect(bob.attachments.register(bob.attachments.descriptor(first))).toBe(first);
    const forCarol = await carol.attachments.download(bob.attachments.descriptor(first));
    await carol.attachments.save(forCarol, path.join(root, 'carol.txt'));
    expect(await fileDigest(path.join(root, 'carol.txt'))).toBe(await fileDigest(small));
    expect((await blobBytesIn(relay)) - inBefore).toBe(
      ciphertextSize(300 * 1024, DEFAULT_CHUNK_SIZE),
    );
  });
});

describe('relay limits', () => {
  let relay: TestRelay;
  let root: string;
  let alice: Device;

  beforeAll(async () => {
    relay = await TestRelay.start({ blobMaxBytes: 1 * MiB, blobQuotaBytes: 1.5 * MiB });
    root = mkdtempSync(path.join(tmpdir(), 'comgov-attachment-limits-'));
    alice = await openDevice(
      path.join(root, 'alice'),
      storeKey(),
      await relay.newDevice('alice'),
      relay.url,
    );
  });

  afterAll(async () => {
    alice.close();
    await relay.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('refuses a file over the size limit or the quota before sending a byte, with a sentence', async () => {
    const big = path.join(root, 'big.bin');
    await writeTestFile(big, 2 * MiB);
    const tooLarge = await alice.attachments.upload(big).catch((e: unknown) => e);
    expect(isAttachmentError(tooLarge, 'ATTACHMENT_TOO_LARGE')).toBe(true);
    expect((tooLarge as Error).message).toMatch(/1048576 bytes/);
    const [failed] = alice.attachments.list();
    expect(failed).toMatchObject({ state: 'failed', error: { code: 'ATTACHMENT_TOO_LARGE' } });
    expect(readdirSync(path.join(root, 'alice', 'attachments'))).toEqual([]);

    const part = path.join(root, 'part.bin');
    await writeTestFile(part, 900 * 1024);
    await alice.attachments.upload(part);
    const overQuota = await alice.attachments.upload(part).catch((e: unknown) => e);
    expect(isAttachmentError(overQuota, 'ATTACHMENT_QUOTA_EXCEEDED')).toBe(true);
    expect((overQuota as Error).message).toMatch(/quota/);
    // Only the one accepted upload reached the relay.
    expect(await blobBytesIn(relay)).toBe(ciphertextSize(900 * 1024, DEFAULT_CHUNK_SIZE));
  });
});

describe('refused files', () => {
  let relay: TestRelay;
  let root: string;
  let alice: Device;
  let bob: Device;
  let source: string;

  beforeAll(async () => {
    relay = await TestRelay.start();
    root = mkdtempSync(path.join(tmpdir(), 'comgov-attachment-refused-'));
    alice = await openDevice(
      path.join(root, 'alice'),
      storeKey(),
      await relay.newDevice('alice'),
      relay.url,
    );
    bob = await openDevice(
      path.join(root, 'bob'),
      storeKey(),
      await relay.newDevice('bob'),
      relay.url,
    );
    source = path.join(root, 'source.bin');
    await writeTestFile(source, 5 * DEFAULT_CHUNK_SIZE + 1000, 3);
  });

  afterAll(async () => {
    alice.close();
    bob.close();
    await relay.close();
    rmSync(root, { recursive: true, force: true });
  });

  /** Expects `run` to be refused as corrupt, with nothing at `out` nor beside it. */
  async function expectRefused(run: () => Promise<unknown>, out: string): Promise<void> {
    const error = await run().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isAttachmentError(error, 'ATTACHMENT_CORRUPT'), String(error)).toBe(true);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(path.dirname(out)).filter((f) => f.includes('partial'))).toEqual([]);
  }

  /** Uploads raw bytes as a blob, as a misbehaving sender could. */
  async function rawBlob(bytes: Uint8Array): Promise<string> {
    const { Readable } = await import('node:stream');
    const blobId = await alice.client.create(bytes.length);
    await alice.client.append(blobId, 0, Readable.from([Buffer.from(bytes)]), bytes.length);
    const { blake2b } = await import('../../shared/crypto/index.js');
    await alice.client.finalise(blobId, blake2b(bytes, 32));
    return blobId;
  }

  it('refuses a wrong hash and a blob altered on the relay, before decrypting anything', async () => {
    const { descriptor } = await alice.attachments.upload(source);
    const outDir = mkdtempSync(path.join(root, 'out-'));
    const out = path.join(outDir, 'file.bin');
    const wrongHash = { ...descriptor, hash: descriptor.hash.map((b, i) => (i === 0 ? b ^ 1 : b)) };
    await expectRefused(() => bob.attachments.download(wrongHash), out);
    const failed = bob.attachments.list().find((a) => a.state === 'failed')!;
    expect(failed.error?.code).toBe('ATTACHMENT_CORRUPT');
    await expect(bob.attachments.save(failed.id, out)).rejects.toMatchObject({
      code: 'ATTACHMENT_NOT_READY',
    });
    expect(
      readdirSync(path.join(bob.dataDir, 'attachments')).filter((f) => f.startsWith(failed.id)),
    ).toEqual([]);

    // One byte changed in the relay's copy.
    const { readFileSync, writeFileSync } = await import('node:fs');
    const blobFile = path.join(relay.dataDir, 'blobs', descriptor.blobId);
    const bytes = readFileSync(blobFile);
    bytes[bytes.length >> 1]! ^= 0x01;
    writeFileSync(blobFile, bytes);
    await expectRefused(() => bob.attachments.download(descriptor), out);
  });

  it('refuses a blob shorter than described, and a truncated or altered stream at save', async () => {
    const { encryptFile } = await import('../../main/engine/attachments/file-crypto.js');
    const { readFileSync } = await import('node:fs');
    const { randomBytes } = await import('../../shared/crypto/index.js');
    const size = 5 * DEFAULT_CHUNK_SIZE + 1000;
    const key = randomBytes(32);
    const encrypted = path.join(root, 'crafted.bin');
    await encryptFile(source, encrypted, { key, chunkSize: DEFAULT_CHUNK_SIZE, size });
    const cipher = readFileSync(encrypted);
    const base = {
      key,
      name: 'crafted.bin',
      type: 'application/octet-stream',
      chunkSize: DEFAULT_CHUNK_SIZE,
    };
    const { blake2b } = await import('../../shared/crypto/index.js');
    const outDir = mkdtempSync(path.join(root, 'out-'));
    const out = path.join(outDir, 'file.bin');

    // The blob lacks its last chunk, but the message describes the whole file.
    const withoutLast = cipher.subarray(0, 24 + 5 * CIPHER_CHUNK);
    const shortBlob = await rawBlob(withoutLast);
    await expectRefused(
      () =>
        bob.attachments.download({
          ...base,
          blobId: shortBlob,
          hash: blake2b(withoutLast, 32),
          size,
        }),
      out,
    );

    // A sender that drops the final chunk and describes what is left: the hash matches,
    // the stream has no final tag, and the file is refused when it is saved.
    const truncatedId = await bob.attachments.download({
      ...base,
      blobId: shortBlob,
      hash: blake2b(withoutLast, 32),
      size: 5 * DEFAULT_CHUNK_SIZE,
    });
    await expectRefused(() => bob.attachments.save(truncatedId, out), out);

    // A sender that alters a chunk and hashes the result: refused at save, too.
    const altered = Buffer.from(cipher);
    altered[24 + 2 * CIPHER_CHUNK + 100]! ^= 0x40;
    const alteredId = await bob.attachments.download({
      ...base,
      blobId: await rawBlob(altered),
      hash: blake2b(altered, 32),
      size,
    });
    await expectRefused(() => bob.attachments.save(alteredId, out), out);
    // And the intact stream saves.
    const intactId = await bob.attachments.download({
      ...base,
      blobId: await rawBlob(cipher),
      hash: blake2b(cipher, 32),
      size,
    });
    await bob.attachments.save(intactId, out);
    expect(await fileDigest(out)).toBe(await fileDigest(source));
  });
});
