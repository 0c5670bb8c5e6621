import {
  linkSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { wipeDataDir } from './wipe.js';

describe('wipeDataDir', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(path.join(tmpdir(), 'comgov-wipe-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('overwrites the key files before deleting everything in the folder', async () => {
    const data = path.join(root, 'data');
    mkdirSync(path.join(data, 'attachments'), { recursive: true });
    const keys = { 'store-key.json': '{"wrapped":"secret-1"}', 'store-key.os': 'c2VjcmV0LTI=' };
    for (const [name, content] of Object.entries(keys))
      writeFileSync(path.join(data, name), content);
    writeFileSync(path.join(data, 'store.db'), 'encrypted store');
    writeFileSync(path.join(data, 'attachments', 'a.bin'), 'encrypted file');
    // Second names for the key files' contents: what a deletion alone leaves readable
    // (as blocks the file system keeps would be).
    for (const name of Object.keys(keys))
      linkSync(path.join(data, name), path.join(root, `${name}.link`));

    await wipeDataDir(data);

    expect(readdirSync(data)).toEqual([]);
    for (const [name, content] of Object.entries(keys)) {
      const left = readFileSync(path.join(root, `${name}.link`));
      expect(left.length).toBe(content.length);
      expect(left.every((byte) => byte === 0)).toBe(true);
    }
  });

  it('does nothing for a folder that is not there', async () => {
    await expect(wipeDataDir(path.join(root, 'absent'))).resolves.toBeUndefined();
  });
});
