import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { randomBytes, ready } from '../../../shared/crypto/index.js';
import { type Store, openStore } from '../store/open-store.js';
import { PendingSaves } from './pending-saves.js';

describe('PendingSaves', () => {
  let dir: string;
  let db: Store;
  beforeAll(() => ready());
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'comgov-pending-saves-'));
    db = openStore(path.join(dir, 'store.db'), randomBytes(32));
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('deletes at the next start the temporary file of a save cut short, and only that', async () => {
    const cut = path.join(dir, '.rapport.pdf.0a1b2c.partial');
    const done = path.join(dir, '.note.pdf.3d4e5f.partial');
    const saves = new PendingSaves(db);
    saves.begin(cut);
    writeFileSync(cut, 'moitié du fichier');
    saves.begin(done);
    writeFileSync(done, 'fichier complet');
    saves.end(done); // renamed into place
    // The app stops here. At the next start (another process):
    expect(await new PendingSaves(db).sweep(() => false)).toBe(1);
    expect(existsSync(cut)).toBe(false);
    expect(existsSync(done)).toBe(true);
    expect(db.prepare('SELECT count(*) FROM pending_saves').pluck().get()).toBe(0);
  });

  it('leaves alone the save of a process still running', async () => {
    const file = path.join(dir, '.x.partial');
    const saves = new PendingSaves(db);
    saves.begin(file);
    writeFileSync(file, 'en cours');
    expect(await saves.sweep()).toBe(0); // this very process
    expect(existsSync(file)).toBe(true);
    saves.end(file);
  });
});
