// What the UI benchmarks share: a real relay in this process, real engines enrolled
// through it (EngineHost, as in the desktop app's engine process), the renderer built
// and served by the browser harness, and Debian's Chromium to drive it (with the
// end-to-end tests' flags).
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from '@playwright/test';
import { pino } from 'pino';
import { buildRenderer } from '../main/electron/bundle.js';
import { EngineHost } from '../main/harness/engine-host.js';
import { CHROMIUM_ARGS } from '../playwright.config.js';
import { startHarness } from '../main/harness/harness.js';
import { mergeConfig } from '../relay/config.js';
import { initDataDir, openStore } from '../relay/data-dir.js';
import { hashEnrolmentCode } from '../relay/http/directory-routes.js';
import { type RunningRelay, startRelay } from '../relay/server.js';
import { ready } from '../shared/crypto/index.js';
import { toHex } from '../shared/util/bytes.js';
import { generateEnrolmentCode, normaliseEnrolmentCode } from '../shared/wire/index.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PASSPHRASE = 'phrase secrète du banc';

/**
 * Helpers defined in every page: `__until(check, t0)` waits until `check` holds on a
 * painted frame and gives the ms since `t0`; `__inView(el)` says whether an element
 * is inside its list's visible area.
 * (tsx compiles the functions handed to page.evaluate with esbuild's `__name` helper: define it.)
 */
const PAGE_HELPERS = `
window.__name = (f) => f;
window.__until = (check, t0) => new Promise((resolve) => {
  const step = () => (check() ? requestAnimationFrame(() => resolve(performance.now() - t0)) : requestAnimationFrame(step));
  step();
});
window.__inView = (el) => {
  const list = el.closest('[data-virtuoso-scroller]') || el.parentElement;
  const a = el.getBoundingClientRect(), b = list.getBoundingClientRect();
  return a.bottom > b.top && a.top < b.bottom;
};`;

export interface UiWorld {
  readonly relay: RunningRelay;
  readonly browser: Browser;
  /** Invites and enrols a person; returns their engine host, online. */
  person(userId: string, name: string): Promise<EngineHost>;
  /** The app of a person in a Chromium page (French, 1280×800), through the harness. */
  openApp(host: EngineHost): Promise<Page>;
  close(): Promise<void>;
}

export async function startUiWorld(): Promise<UiWorld> {
  await ready();
  await buildRenderer();
  const root = mkdtempSync(path.join(tmpdir(), 'comgov-bench-ui-'));
  const relayDir = path.join(root, 'relay');
  await initDataDir(relayDir);
  const relay = await startRelay({
    dataDir: relayDir,
    config: mergeConfig({}),
    host: '127.0.0.1',
    port: 0,
    logger: pino({ level: 'silent' }),
    processMetrics: false,
  });
  const hosts: EngineHost[] = [];
  const harnesses: { close(): Promise<void> }[] = [];
  let browser: Browser;
  try {
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: CHROMIUM_ARGS,
    });
  } catch (error) {
    await relay.close();
    rmSync(root, { recursive: true, force: true });
    throw error;
  }
  return {
    relay,
    browser,
    async person(userId, name) {
      const store = openStore(relayDir);
      const code = generateEnrolmentCode();
      const now = Date.now();
      await store.inviteUser(
        { userId, displayName: name, institution: 'Ministère du banc', title: 'Agent' },
        hashEnrolmentCode(normaliseEnrolmentCode(code)!),
        now,
        now + 3_600_000,
      );
      store.close();
      const dataDir = path.join(root, userId);
      mkdirSync(dataDir);
      const host = new EngineHost({ profile: userId, dataDir });
      await host.start();
      hosts.push(host);
      const enrolled = await host.call('enrol', [
        { relayUrl: relay.url, relayKey: toHex(relay.publicKey), code, passphrase: PASSPHRASE },
      ]);
      if (!enrolled.ok) throw new Error(enrolled.error.message);
      await host.current!.whenOnline();
      return host;
    },
    async openApp(host) {
      const harness = await startHarness({
        host,
        rendererDir: path.join(ROOT, 'dist', 'renderer'),
      });
      harnesses.push(harness);
      const page = await browser.newPage({
        viewport: { width: 1280, height: 800 },
        locale: 'fr-FR',
      });
      await page.addInitScript(PAGE_HELPERS);
      await page.goto(harness.url);
      return page;
    },
    async close() {
      await browser.close();
      for (const harness of harnesses) await harness.close();
      for (const host of hosts) await host.close();
      await relay.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;
