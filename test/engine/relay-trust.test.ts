// A relay whose TLS certificate comes from the ministry's own authority (not one of
// Node's public roots): the engine refuses it with a sentence until it is told to
// trust that authority (the RelayCaFile policy, relay-trust.ts), then every connection
// works through it: the API, the WebSocket, uploads, and both download paths (a small
// file over a kept-alive connection, a large one over a socket of its own).
import { X509Certificate, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIRECT_MIN_BYTES } from '../../main/engine/attachments/blob-fetch.js';
import { Engine } from '../../main/engine/engine.js';
import {
  RelayCaFileError,
  desktopRelayCa,
  parseCaFile,
  readCaFile,
  systemCaCertificates,
} from '../../main/engine/relay/relay-trust.js';
import { makeCertificate } from '../relay/certificate.js';
import { PASSPHRASE, TestRelay, Workspace, eventually, received, unwrap } from './support.js';

const root = mkdtempSync(path.join(tmpdir(), 'comgov-relay-trust-'));
const authority = makeCertificate(path.join(root, 'authority'), 'IGC du ministère');
const other = makeCertificate(path.join(root, 'other'), 'Une autre autorité');
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('the file of authorities (RelayCaFile)', () => {
  const pem = readFileSync(authority.cert);
  const otherPem = readFileSync(other.cert);

  it('takes a PEM certificate, a bundle of them, or a DER certificate', async () => {
    expect(await readCaFile(authority.cert)).toEqual([new X509Certificate(pem).toString()]);
    const bundle = Buffer.concat([pem, Buffer.from('\r\n'), otherPem]);
    expect(parseCaFile(bundle, 'bundle.pem')).toHaveLength(2);
    const der = new X509Certificate(pem).raw;
    expect(parseCaFile(der, 'relay-ca.cer')).toEqual([new X509Certificate(pem).toString()]);
  });

  it('refuses with a sentence what is not a certificate', async () => {
    const refusal = (bytes: Uint8Array) => {
      try {
        parseCaFile(bytes, 'relay-ca.pem');
      } catch (error) {
        expect(error).toBeInstanceOf(RelayCaFileError);
        return (error as Error).message;
      }
      throw new Error('accepted');
    };
    expect(refusal(new Uint8Array())).toBe('relay-ca.pem is empty.');
    expect(refusal(Buffer.from('ceci n’est pas un certificat'))).toMatch(
      /neither PEM nor a DER certificate: export/,
    );
    expect(refusal(readFileSync(authority.key))).toMatch(
      /holds a "PRIVATE KEY" block: give the authority's certificate only \(never a private key\)/,
    );
    const damaged = pem.toString().replace(/\n[A-Za-z0-9+/]{20}/, '\nAAAAAAAAAAAAAAAAAAAA');
    expect(refusal(Buffer.from(damaged))).toMatch(/Certificate 1 of relay-ca.pem cannot be read/);
    await expect(readCaFile(path.join(root, 'absent.pem'))).rejects.toThrow(
      /absent\.pem cannot be read \(ENOENT\)/,
    );
  });

  it('leaves an expired authority out, and refuses a file that holds nothing else', () => {
    const inThreeDays = new Date(Date.now() + 3 * 86_400_000);
    expect(() => parseCaFile(pem, 'relay-ca.pem', inThreeDays)).toThrow(
      /The certificate "CN=IGC du ministère" in relay-ca\.pem expired on \d{4}-\d\d-\d\d/,
    );
    expect(parseCaFile(pem, 'relay-ca.pem', new Date())).toHaveLength(1);
  });

  it('the desktop app: the machine store when the runtime reads it, and the file; a bad file is reported', async () => {
    const machine = ['-----BEGIN CERTIFICATE-----\nmachine\n-----END CERTIFICATE-----\n'];
    const runtime = { getCACertificates: (store: string) => (store === 'system' ? machine : []) };
    expect(systemCaCertificates({})).toEqual([]);
    expect(systemCaCertificates(runtime)).toEqual(machine);
    const both = await desktopRelayCa(authority.cert, runtime);
    expect(both).toEqual({ ca: [...machine, new X509Certificate(pem).toString()], problem: null });
    const bad = await desktopRelayCa(authority.key, runtime);
    expect(bad.ca).toEqual(machine);
    expect(bad.problem).toMatch(/^RelayCaFile: .*key\.pem holds a "PRIVATE KEY" block/);
  });
});

describe('a relay with a certificate of the ministry’s authority', () => {
  let relay: TestRelay;
  let trusting: Workspace;
  const ca = [readFileSync(authority.cert, 'utf8')];

  beforeAll(async () => {
    relay = await TestRelay.start({}, { tlsCertFile: authority.cert, tlsKeyFile: authority.key });
    trusting = new Workspace(relay, { relayCa: ca });
  });
  afterAll(async () => {
    await trusting.close();
    await relay.close();
  });

  it('is refused without its authority, or with another, and the person is told why', async () => {
    expect(relay.url).toMatch(/^https:\/\/127\.0\.0\.1:/);
    for (const relayCa of [undefined, [readFileSync(other.cert, 'utf8')]]) {
      const code = await relay.invite('carole');
      const dataDir = path.join(root, `carole-${relayCa ? 'other' : 'none'}`);
      const enrolling = Engine.enrol(
        { dataDir, passphrase: PASSPHRASE, ...(relayCa ? { relayCa } : {}) },
        { relayUrl: relay.url, relayPublicKey: relay.publicKey, code },
      );
      await expect(enrolling).rejects.toMatchObject({
        code: 'RELAY_CERTIFICATE_UNTRUSTED',
        message: expect.stringMatching(
          /^The certificate of the relay at https:\/\/127\.0\.0\.1:\d+ is not trusted on this computer \(.*certificate.*\)\.$/,
        ),
      });
    }
  });

  it('carries messages and files both ways once its authority is trusted', async () => {
    const alice = await trusting.enrol('alice');
    const bob = await trusting.enrol('bob');
    alice.start();
    bob.start();
    await eventually(() => (bob.connection === 'online' ? true : undefined), 'Bob online');
    unwrap(await alice.sendText('bob', 'Note de service : réunion jeudi.'));
    await received(bob, 'Note de service : réunion jeudi.');

    const folder = trusting.dataDir('files');
    mkdirSync(folder, { recursive: true });
    const files = {
      'note.txt': randomBytes(100 * 1024),
      'rapport.pdf': randomBytes(DIRECT_MIN_BYTES + 3 * 1024 * 1024),
    };
    for (const [name, bytes] of Object.entries(files)) {
      const source = path.join(folder, name);
      writeFileSync(source, bytes);
      const sent = unwrap(await alice.sendFile('bob', source));
      const attachment = await eventually(() => {
        const view = bob.messages.message(sent.id)?.attachments?.[0];
        if (view?.state === 'failed') throw new Error(`${name}: ${view.failure}`);
        return view?.state === 'available' ? view : undefined;
      }, `${name} downloaded by Bob`);
      const out = path.join(folder, `reçu-${name}`);
      unwrap(await bob.saveAttachment(attachment.id, out));
      expect(readFileSync(out).equals(bytes), name).toBe(true);
    }
  });

  it('says so while connected devices are refused its certificate (renewed by another authority)', async () => {
    const dora = await trusting.enrol('dora', 'dora');
    await dora.close();
    const wrongCa = [readFileSync(other.cert, 'utf8')];
    const refused = await Engine.open({
      dataDir: trusting.dataDir('dora'),
      passphrase: PASSPHRASE,
      minRetryMs: 20,
      maxRetryMs: 100,
      relayCa: wrongCa,
    });
    const states: unknown[] = [];
    refused.on('event', (event) => {
      if (event.type === 'connection') states.push(event);
    });
    refused.start();
    try {
      await eventually(
        () => (states.length >= 3 ? true : undefined),
        'three failed connection attempts',
      );
      expect(states.slice(1)).toContainEqual({
        type: 'connection',
        state: 'offline',
        problem: 'RELAY_CERTIFICATE_UNTRUSTED',
      });
      expect(states.slice(1)).toContainEqual({
        type: 'connection',
        state: 'connecting',
        problem: 'RELAY_CERTIFICATE_UNTRUSTED',
      });
      expect(refused.connection).not.toBe('online');
    } finally {
      await refused.close();
    }
    // The authority deployed: online, and nothing more to say.
    const trusted = await trusting.open('dora');
    const online = await new Promise((resolve) => {
      trusted.on('event', (event) => {
        if (event.type === 'connection' && event.state === 'online') resolve(event);
      });
      trusted.start();
    });
    expect(online).toEqual({ type: 'connection', state: 'online' });
  });
});
