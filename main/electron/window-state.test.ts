import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadWindowState, saveWindowState } from './window-state.js';

describe('window state', () => {
  it('restores the place when it is still on a screen, else only the size', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'comgov-window-'));
    try {
      const screens = [{ x: 0, y: 0, width: 1920, height: 1040 }];
      expect(loadWindowState(dir, screens)).toMatchObject({ width: 1200, height: 780 });
      saveWindowState(dir, { x: 2500, y: 100, width: 1000, height: 700, maximized: true });
      expect(
        loadWindowState(dir, [...screens, { x: 1920, y: 0, width: 1920, height: 1040 }]),
      ).toEqual({ x: 2500, y: 100, width: 1000, height: 700, maximized: true });
      // The second monitor is gone.
      expect(loadWindowState(dir, screens)).toEqual({ width: 1000, height: 700, maximized: true });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
