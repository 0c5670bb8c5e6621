import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../cli.js';

let dir: string;
const run = (...args: string[]) => main(['node', 'comgov-relay', ...args]);

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'comgov-release-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function installer(version: string, content = `MZ ${version}`): string {
  const file = path.join(dir, `COMGOV-Messenger-Setup-${version}.exe`);
  writeFileSync(file, content);
  return file;
}

describe('comgov-relay release', () => {
  it('keygen writes a private key only its owner can read, and refuses to overwrite it', async () => {
    expect(await run('release', 'keygen', '--out', path.join(dir, 'keys'))).toBe(0);
    expect(statSync(path.join(dir, 'keys/comgov-update.key')).mode & 0o077).toBe(0);
    expect(readFileSync(path.join(dir, 'keys/comgov-update.pub'), 'utf8')).toMatch(/^[0-9a-f]{64}\n$/);
    expect(await run('release', 'keygen', '--out', path.join(dir, 'keys'))).toBe(1);
  });

  it('publishes latest.yml, refuses an older version or another file under the same version unless forced', async () => {
    await run('release', 'keygen', '--out', path.join(dir, 'keys'));
    const key = path.join(dir, 'keys/comgov-update.key');
    const data = path.join(dir, 'data');
    const publish = (file: string, version: string, ...extra: string[]) =>
      run('release', 'publish', '--data', data, '--file', file, '--version', version, '--key', key, ...extra);
    expect(await publish(installer('1.2.0'), '1.2.0', '--channel', 'pilot', '--staging', '20')).toBe(0);
    const yml = readFileSync(path.join(data, 'updates/pilot/latest.yml'), 'utf8');
    expect(yml).toMatch(/^version: '1\.2\.0'$/m);
    expect(yml).toMatch(/^stagingPercentage: 20$/m);
    expect(yml).toMatch(/^comgovSignature: '[0-9a-f]{128}'$/m);
    expect(await publish(installer('1.1.0'), '1.1.0', '--channel', 'pilot')).toBe(1);
    expect(await publish(installer('1.2.0', 'MZ other build'), '1.2.0', '--channel', 'pilot')).toBe(1);
    expect(await publish(installer('1.2.0'), '1.2.0', '--channel', 'pilot', '--staging', '100')).toBe(0);
    expect(await publish(installer('1.1.0'), '1.1.0', '--channel', 'pilot', '--force')).toBe(0);
    expect(await publish(installer('1.3.0'), '1.3.1', '--channel', 'pilot')).toBe(1);
    expect(await publish(installer('1.3.0'), '1.3.0', '--channel', 'Pilot')).toBe(1);
    expect(await publish(installer('1.3.0'), '1.3.0', '--staging', '101')).toBe(1);
  });
});
