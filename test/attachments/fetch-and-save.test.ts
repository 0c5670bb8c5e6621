// Saving a received file while it arrives (Attachments.fetchAndSave): the plaintext is
// decrypted behind the download, through a real relay and a throttled, cuttable link,
// and reaches its place only once the download has checked the sender's hash.
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AttachmentDescriptor } from '../../main/engine/attachments/descriptor.js';
import { isAttachmentError } from '../../main/engine/attachments/errors.js';
import { encryptFile } from '../../main/engine/attachments/file-crypto.js';
import {
  DEFAULT_CHUNK_SIZE,
  STREAM_HEADER_BYTES,
  ciphertextSize,
} from '../../main/engine/attachments/secretstream.js';
import { TestRelay, type TestDevice, eventually } from '../relay/harness.js';
import { CutLink } from './cut-link.js';
import { type Device, fileDigest, openDevice, storeKey, writeTestFile } from './support.js';

const MiB = 1024 * 1024;

/** Temporary files a device has recorded as saves under way. */
const pendingSaves = (device: Device) =>
  device.db.prepare('SELECT count(*) FROM pending_saves').pluck().get() as number;
const FILE_SIZE = 12 * MiB;
/** Slow enough for the save to be seen working before the last byte arrives. */
const LINK_RATE = 24 * MiB;

describe('fetchAndSave: a file saved while it arrives', () => {
  let relay: TestRelay;
  let root: string;
  let bobCredentials: TestDevice;
  let source: string;
  let sourceDigest: string;
  let descriptor: AttachmentDescriptor;
  /** The sender's encrypted copy (the blob's bytes). */
  let senderCopy: string;
  const devices: Device[] = [];
  const links: CutLink[] = [];
  let count = 0;

  const bob = async (url = relay.url) => {
    const device = await openDevice(
      path.join(root, `bob-${++count}`),
      storeKey(),
      bobCredentials,
      url,
    );
    devices.push(device);
    return device;
  };
  const link = async (options: { cutAfterResponseBytes?: number } = {}) => {
    const opened = await CutLink.open(relay.url, { bytesPerSecond: LINK_RATE, ...options });
    links.push(opened);
    return opened;
  };
  const outDir = () => {
    const dir = path.join(root, `out-${++count}`);
    mkdirSync(dir);
    return dir;
  };

  beforeAll(async () => {
    relay = await TestRelay.start({ blobMaxBytes: 64 * MiB });
    bobCredentials = await relay.newDevice('bob');
    root = mkdtempSync(path.join(tmpdir(), 'comgov-fetch-and-save-'));
    source = path.join(root, 'note de service.pdf');
    await writeTestFile(source, FILE_SIZE, 5);
    sourceDigest = await fileDigest(source);
    const alice = await openDevice(
      path.join(root, 'alice'),
      storeKey(),
      await relay.newDevice('alice'),
      relay.url,
    );
    devices.push(alice);
    const sent = await alice.attachments.upload(source);
    descriptor = sent.descriptor;
    senderCopy = path.join(alice.dataDir, 'attachments', `${sent.id}.bin`);
  });

  afterAll(async () => {
    for (const d of devices) d.close();
    for (const l of links) await l.close();
    await relay.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('decrypts behind the download, across a cut, and renames only once the hash is checked', async () => {
    const cipherSize = ciphertextSize(FILE_SIZE, DEFAULT_CHUNK_SIZE);
    const slow = await link({ cutAfterResponseBytes: Math.floor(cipherSize / 2) });
    const device = await bob(slow.url);
    const dir = outDir();
    const out = path.join(dir, 'note.pdf');
    const id = device.attachments.register(descriptor);
    // What the output folder holds while bytes are still arriving.
    const seen: { done: number; partial: number; final: boolean }[] = [];
    device.attachments.on('progress', (event) => {
      if (event.id !== id || event.done >= cipherSize) return;
      const partial = readdirSync(dir).find((f) => f.endsWith('.partial'));
      seen.push({
        done: event.done,
        partial: partial ? statSync(path.join(dir, partial)).size : 0,
        final: existsSync(out),
      });
    });

    await device.attachments.fetchAndSave(id, out);

    expect(slow.cuts).toBe(1);
    expect(await fileDigest(out)).toBe(sourceDigest);
    expect(readdirSync(dir)).toEqual(['note.pdf']);
    expect(device.attachments.info(id)).toMatchObject({ state: 'done', offset: cipherSize });
    // Plaintext was being written before the download ended, never to the final name.
    expect(seen.some((s) => s.partial > 0)).toBe(true);
    expect(seen.every((s) => !s.final)).toBe(true);
    // The temporary file was recorded while it existed, and is forgotten now.
    expect(pendingSaves(device)).toBe(0);
    // The encrypted copy is kept, as after download().
    expect(existsSync(path.join(device.dataDir, 'attachments', `${id}.bin`))).toBe(true);
  });

  it('refuses a wrong hash: the download fails and nothing is left in the folder', async () => {
    const device = await bob((await link()).url);
    const dir = outDir();
    const wrong = { ...descriptor, hash: descriptor.hash.map((b, i) => (i === 3 ? b ^ 1 : b)) };
    const id = device.attachments.register(wrong);
    const error = await device.attachments.fetchAndSave(id, path.join(dir, 'x.pdf')).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isAttachmentError(error, 'ATTACHMENT_CORRUPT'), String(error)).toBe(true);
    expect(readdirSync(dir)).toEqual([]);
    expect(pendingSaves(device)).toBe(0);
    expect(device.attachments.info(id)).toMatchObject({
      state: 'failed',
      error: { code: 'ATTACHMENT_CORRUPT' },
    });
  });

  it('gives the right bytes when a damaged part is fetched again from the start', async () => {
    const device = await bob();
    const id = device.attachments.register(descriptor);
    // A part left by an earlier run, damaged on disk (a power cut): 3 MiB of garbage.
    mkdirSync(path.join(device.dataDir, 'attachments'), { recursive: true });
    await writeFile(
      path.join(device.dataDir, 'attachments', `${id}.part`),
      Buffer.alloc(3 * MiB, 0x5a),
    );
    const dir = outDir();
    const out = path.join(dir, 'note.pdf');
    await device.attachments.fetchAndSave(id, out);
    expect(await fileDigest(out)).toBe(sourceDigest);
    expect(readdirSync(dir)).toEqual(['note.pdf']);
  });

  it('keeps nothing decrypted from bytes the hash refused, when the part is fetched again', async () => {
    // The worst case: a stream with the same key and header over other plaintext (as
    // only the sender could make) is on the relay for a first pass, then the true one.
    // The forged stream decrypts; the hash refuses it; the part is fetched again from
    // the start: what was decrypted from the refused bytes must not be kept.
    const cipherSize = ciphertextSize(FILE_SIZE, DEFAULT_CHUNK_SIZE);
    const other = path.join(root, 'other.bin');
    await writeTestFile(other, FILE_SIZE, 9);
    const header = (await readFile(senderCopy)).subarray(0, STREAM_HEADER_BYTES);
    const forged = path.join(root, 'forged.bin');
    await encryptFile(other, forged, {
      key: descriptor.key,
      header,
      chunkSize: DEFAULT_CHUNK_SIZE,
      size: FILE_SIZE,
    });
    const blobFile = path.join(relay.dataDir, 'blobs', descriptor.blobId);
    const trueCopy = path.join(root, 'true-blob.bin');
    copyFileSync(blobFile, trueCopy);
    copyFileSync(forged, blobFile);
    const device = await bob((await link()).url);
    const id = device.attachments.register(descriptor);
    // A part from an earlier run (a refused part is fetched again only when resumed).
    mkdirSync(path.join(device.dataDir, 'attachments'), { recursive: true });
    await writeFile(
      path.join(device.dataDir, 'attachments', `${id}.part`),
      (await readFile(forged)).subarray(0, MiB),
    );
    // Once the relay streams the forged bytes, the true ones take their place for the
    // next request (the stream under way keeps reading the file it opened).
    let swapped = false;
    device.attachments.on('progress', (event) => {
      if (!swapped && event.done > 2 * MiB && event.done < cipherSize / 2) {
        swapped = true;
        renameSync(trueCopy, blobFile);
      }
    });
    const dir = outDir();
    const out = path.join(dir, 'note.pdf');
    try {
      await device.attachments.fetchAndSave(id, out);
    } finally {
      if (!swapped) renameSync(trueCopy, blobFile); // the next tests need the true blob
    }
    expect(swapped).toBe(true);
    expect(await fileDigest(out)).toBe(sourceDigest);
    expect(readdirSync(dir)).toEqual(['note.pdf']);
  });

  it('stops when asked, leaving nothing at the target; a later call finishes the file', async () => {
    const cipherSize = ciphertextSize(FILE_SIZE, DEFAULT_CHUNK_SIZE);
    const device = await bob((await link()).url);
    const dir = outDir();
    const out = path.join(dir, 'note.pdf');
    const id = device.attachments.register(descriptor);
    const stop = new AbortController();
    device.attachments.on('progress', (event) => {
      if (event.done >= cipherSize / 3) stop.abort();
    });
    const error = await device.attachments
      .fetchAndSave(id, out, { signal: stop.signal })
      .catch((e: unknown) => e);
    expect(isAttachmentError(error, 'ATTACHMENT_STOPPED'), String(error)).toBe(true);
    expect(readdirSync(dir)).toEqual([]);
    expect(device.attachments.info(id).state).toBe('downloading');

    await device.attachments.fetchAndSave(id, out);
    expect(await fileDigest(out)).toBe(sourceDigest);
  });

  it('joins a download already running, and saves a completed file directly', async () => {
    const device = await bob((await link()).url);
    const id = device.attachments.register(descriptor);
    const running = device.attachments.run(id);
    await eventually(
      () => existsSync(path.join(device.dataDir, 'attachments', `${id}.part`)),
      'the download to begin',
    );
    const first = path.join(outDir(), 'first.pdf');
    await device.attachments.fetchAndSave(id, first);
    await running;
    expect(await fileDigest(first)).toBe(sourceDigest);

    const second = path.join(outDir(), 'second.pdf');
    await device.attachments.fetchAndSave(id, second);
    expect(await fileDigest(second)).toBe(sourceDigest);
  });

  it('reports a target that cannot be written, while the download goes on', async () => {
    const device = await bob();
    const id = device.attachments.register(descriptor);
    const error = await device.attachments
      .fetchAndSave(id, path.join(root, 'no such folder', 'note.pdf'))
      .catch((e: unknown) => e);
    expect(isAttachmentError(error, 'ATTACHMENT_WRITE_FAILED'), String(error)).toBe(true);
    await eventually(() => device.attachments.info(id).state === 'done', 'the download to end');
  });
});
