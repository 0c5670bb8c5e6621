// « Vérifier un document » at the host's edge: the renderer names a copy staged by
// this host, never a path; a staged copy serves once and is gone afterwards,
// whatever the engine answered.
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineHost } from '../../main/harness/engine-host.js';
import type { DocumentCheck, Result } from '../../shared/api/index.js';
import { toHex } from '../../shared/util/bytes.js';
import { TestRelay } from '../relay/harness.js';

let root: string;
let relay: TestRelay;
let host: EngineHost;

beforeAll(async () => {
  root = mkdtempSync(path.join(tmpdir(), 'comgov-host-documents-'));
  relay = await TestRelay.start();
  host = new EngineHost({ profile: 'amina', dataDir: path.join(root, 'amina') });
  await host.start();
  const code = await relay.invite('amina', { name: 'Amina K.' });
  const enrolled = await host.call('enrol', [
    { relayUrl: relay.url, relayKey: toHex(relay.publicKey), code, passphrase: 'phrase de test' },
  ]);
  expect(enrolled.ok).toBe(true);
});

afterAll(async () => {
  await host.close();
  await relay.close();
  rmSync(root, { recursive: true, force: true });
});

async function stage(name: string, bytes: string) {
  const staged = await host.stageStream(name, Readable.from([Buffer.from(bytes)]));
  if (!staged.ok) throw new Error(staged.error.message);
  return staged.value;
}

const stagedCopies = () =>
  existsSync(host.stagingDir) ? readdirSync(host.stagingDir, { recursive: true }) : [];

describe('verifyDocument at the host', () => {
  it('checks a staged copy, then removes it: the same id serves once', async () => {
    const staged = await stage('note.pdf', 'pas un document signe');
    expect(stagedCopies()).not.toEqual([]);
    const checked = (await host.call('verifyDocument', [staged.id])) as Result<DocumentCheck>;
    expect(checked).toMatchObject({ ok: true, value: { size: 21, matches: [] } });
    if (checked.ok) expect(checked.value.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(stagedCopies()).toEqual([]);
    const again = await host.call('verifyDocument', [staged.id]);
    expect(again).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
  });

  it('refuses a path or anything not staged by this host, with a sentence', async () => {
    for (const arg of [path.join(root, 'amina', 'store.db'), 'staged:nope', 42, null]) {
      const refused = await host.call('verifyDocument', [arg]);
      expect(refused).toMatchObject({
        ok: false,
        error: { code: 'BAD_REQUEST', message: 'Check a file staged by this app.' },
      });
    }
  });

  it('removes the staged copy when the engine fails too', async () => {
    const staged = await stage('rapport.pdf', 'contenu');
    const engine = host.current!;
    const original = engine.verifyDocument;
    engine.verifyDocument = () => Promise.reject(new Error('disk error'));
    try {
      const failed = await host.call('verifyDocument', [staged.id]);
      expect(failed).toMatchObject({ ok: false, error: { code: 'INTERNAL' } });
    } finally {
      engine.verifyDocument = original;
    }
    expect(stagedCopies()).toEqual([]);
  });
});
