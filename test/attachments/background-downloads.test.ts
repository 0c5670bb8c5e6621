// Received files fetched in the background (what the engine does for every file that
// arrives): in order, three at a time, so that on a poor link each arrives sooner and
// the relay's per-device download limit is never hit; a file a person asks for
// meanwhile starts at once.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AttachmentDescriptor } from '../../main/engine/attachments/descriptor.js';
import { TestRelay, eventually } from '../relay/harness.js';
import { CutLink } from './cut-link.js';
import { type Device, fileDigest, openDevice, storeKey, writeTestFile } from './support.js';

const MiB = 1024 * 1024;
const FILES = 7;

describe('background downloads', () => {
  let relay: TestRelay;
  let root: string;
  let link: CutLink;
  let bob: Device;
  const devices: Device[] = [];
  const descriptors: AttachmentDescriptor[] = [];
  const digests: string[] = [];

  beforeAll(async () => {
    relay = await TestRelay.start();
    root = mkdtempSync(path.join(tmpdir(), 'comgov-background-'));
    const alice = await openDevice(
      path.join(root, 'alice'),
      storeKey(),
      await relay.newDevice('alice'),
      relay.url,
    );
    devices.push(alice);
    for (let i = 0; i < FILES; i++) {
      const file = path.join(root, `piece-${i}.bin`);
      await writeTestFile(file, MiB, 20 + i);
      digests.push(await fileDigest(file));
      descriptors.push((await alice.attachments.upload(file)).descriptor);
    }
    link = await CutLink.open(relay.url, { bytesPerSecond: 8 * MiB });
    bob = await openDevice(
      path.join(root, 'bob'),
      storeKey(),
      await relay.newDevice('bob'),
      link.url,
    );
    devices.push(bob);
  });

  afterAll(async () => {
    for (const d of devices) d.close();
    await link.close();
    await relay.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('fetches three at a time, in order, and lets a requested file go first', async () => {
    // Background downloads in flight on Bob's side (the file asked for apart): from
    // the signing of a download's request to the file's arrival.
    const wantedBlob = descriptors[FILES - 1]!.blobId;
    const inFlight = new Set<string>();
    let most = 0;
    const rangeRequest = bob.client.rangeRequest.bind(bob.client);
    bob.client.rangeRequest = (...args: Parameters<typeof rangeRequest>) => {
      if (args[0] !== wantedBlob) {
        inFlight.add(args[0]);
        most = Math.max(most, inFlight.size);
      }
      return rangeRequest(...args);
    };
    bob.attachments.on('state', (info) => {
      const blob = descriptors[ids.indexOf(info.id)]?.blobId;
      if (info.state === 'done' && blob) inFlight.delete(blob);
    });
    const started: string[] = [];
    bob.attachments.on('progress', (event) => {
      if (!started.includes(event.id)) started.push(event.id);
    });
    const ids = descriptors.map((d) => bob.attachments.register(d));
    bob.attachments.fetchInBackground(ids);
    bob.attachments.fetchInBackground(ids.slice(0, 2)); // asked twice: fetched once
    // The last file is wanted now: it does not wait for the six before it.
    const wanted = path.join(root, 'wanted.bin');
    await bob.attachments.fetchAndSave(ids[FILES - 1]!, wanted);
    expect(await fileDigest(wanted)).toBe(digests[FILES - 1]);
    expect(bob.attachments.info(ids[FILES - 2]!).state).not.toBe('done');

    await eventually(
      () => (ids.every((id) => bob.attachments.info(id).state === 'done') ? true : undefined),
      'every file to arrive',
      30_000,
    );
    expect(most).toBeLessThanOrEqual(3);
    expect(most).toBeGreaterThanOrEqual(2);
    // Background order, the requested one apart: the first three, then the next.
    const background = started.filter((id) => id !== ids[FILES - 1]);
    expect(new Set(background.slice(0, 3))).toEqual(new Set(ids.slice(0, 3)));
    expect(new Set(background.slice(3))).toEqual(new Set(ids.slice(3, FILES - 1)));
    for (let i = 0; i < FILES; i++) {
      const out = path.join(root, `out-${i}.bin`);
      await bob.attachments.save(ids[i]!, out);
      expect(await fileDigest(out)).toBe(digests[i]);
    }
  });
});
