// What every end-to-end test stands on: a real relay on 127.0.0.1 that can be
// stopped and restarted on the same port, and people — each an engine host with
// its own data folder, a harness, a browser context and a page. Pages are
// watched: a console error, an uncaught exception or a CSP violation fails the
// test. Waits are on what the page shows, never on sleeps.
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  type Browser,
  type BrowserContext,
  type Locator,
  type Page,
  type TestInfo,
  test as base,
  expect,
} from '@playwright/test';
import { pino } from 'pino';
import { EngineHost } from '../../main/harness/engine-host.js';
import { type RunningHarness, startHarness } from '../../main/harness/harness.js';
import { type RelayLimits, mergeConfig } from '../../relay/config.js';
import { initDataDir, openStore } from '../../relay/data-dir.js';
import { hashEnrolmentCode } from '../../relay/http/directory-routes.js';
import { type RunningRelay, startRelay } from '../../relay/server.js';
import type { Classification } from '../../shared/api/index.js';
import { ready } from '../../shared/crypto/index.js';
import { toHex } from '../../shared/util/bytes.js';
import { generateEnrolmentCode, normaliseEnrolmentCode } from '../../shared/wire/index.js';

export { expect };

export const ROOT = path.resolve(import.meta.dirname, '..', '..');
export const RENDERER_DIST = path.join(ROOT, 'dist', 'renderer');
export const SCREENSHOTS = path.join(ROOT, 'test-results', 'screenshots');
export const PASSPHRASE = 'phrase secrète de test';
export const INSTITUTION = 'Ministère de la Fonction publique';

/** A relay in this process; `stop` and `start` keep its data and its port. */
export class E2eRelay {
  private running: RunningRelay | null = null;
  private port = 0;
  readonly dataDir: string;

  private constructor(
    readonly root: string,
    /** Served over HTTPS with this certificate (PEM files) from the next start. */
    public tls?: { readonly cert: string; readonly key: string },
  ) {
    this.dataDir = path.join(root, 'relay');
  }

  static async create(
    options: { readonly tls?: { readonly cert: string; readonly key: string } } = {},
  ): Promise<E2eRelay> {
    await ready();
    const relay = new E2eRelay(mkdtempSync(path.join(tmpdir(), 'comgov-e2e-')), options.tls);
    await initDataDir(relay.dataDir);
    await relay.start();
    return relay;
  }

  /** Starts (again) on the same port; `limits` overrides the defaults until the next start. */
  async start(limits: Partial<RelayLimits> = {}): Promise<void> {
    this.running = await startRelay({
      dataDir: this.dataDir,
      config: mergeConfig({
        limits,
        ...(this.tls ? { tlsCertFile: this.tls.cert, tlsKeyFile: this.tls.key } : {}),
      }),
      host: '127.0.0.1',
      port: this.port,
      logger: pino({ level: process.env.RELAY_LOG ?? 'silent' }),
      processMetrics: false,
    });
    this.port = this.running.port;
  }

  async stop(): Promise<void> {
    await this.running?.close();
    this.running = null;
  }

  get url(): string {
    return `${this.tls ? 'https' : 'http'}://127.0.0.1:${this.port}`;
  }

  get keyHex(): string {
    return toHex(this.running!.publicKey);
  }

  /** Like `comgov-relay invite`; returns the code to type on the enrolment screen. */
  async invite(userId: string, name: string, title = 'Conseiller'): Promise<string> {
    const store = openStore(this.dataDir);
    try {
      const code = generateEnrolmentCode();
      const now = Date.now();
      await store.inviteUser(
        { userId, displayName: name, institution: INSTITUTION, title },
        hashEnrolmentCode(normaliseEnrolmentCode(code)!),
        now,
        now + 3_600_000,
      );
      return code;
    } finally {
      store.close();
    }
  }

  /** Like `comgov-relay clearance`: the highest label the ICT cell clears this person for. */
  async setClearance(userId: string, level: Classification): Promise<void> {
    const store = openStore(this.dataDir);
    try {
      await store.setClearance(userId, level, Date.now(), 'cli:e2e');
    } finally {
      store.close();
    }
  }

  /**
   * Like `comgov-relay org`: the ICT cell sets someone's unit (direction, service) and whom
   * they report to; a field left out stays as it is, `managerId: null` clears it.
   */
  async setOrg(
    userId: string,
    org: { readonly unit?: string; readonly managerId?: string | null },
  ): Promise<void> {
    const store = openStore(this.dataDir);
    try {
      await store.setOrg(
        userId,
        {
          ...(org.unit !== undefined ? { unit: org.unit } : {}),
          ...(org.managerId !== undefined ? { manager: org.managerId } : {}),
        },
        Date.now(),
        'cli:e2e',
      );
    } finally {
      store.close();
    }
  }

  /** Like `comgov-relay revoke [--device] [--wipe]`, as the ICT cell does while the relay runs. */
  async revoke(userId: string, deviceId?: number, options: { wipe?: boolean } = {}): Promise<void> {
    const store = openStore(this.dataDir);
    try {
      await store.revoke(userId, deviceId, Date.now(), 'cli:e2e', options);
    } finally {
      store.close();
    }
  }

  async close(): Promise<void> {
    await this.stop();
    rmSync(this.root, { recursive: true, force: true });
  }
}

export interface Person {
  readonly userId: string;
  readonly name: string;
  readonly page: Page;
  readonly context: BrowserContext;
  readonly host: EngineHost;
  harness: RunningHarness;
  /** Problems seen on the page (console errors, exceptions, CSP violations). */
  readonly problems: string[];
}

export class People {
  private readonly people: Person[] = [];

  constructor(
    private readonly browser: Browser,
    readonly relay: E2eRelay,
    /** The machine's trust for the relay's TLS (RelayCaFile, relay-trust.ts). */
    private readonly relayCa?: readonly string[],
  ) {}

  /**
   * Opens the app for someone with an empty data folder. `prefillRelay` plays the
   * machine policy that fills the relay address and key in; `policy`, the rest of it.
   */
  async open(
    userId: string,
    name: string,
    prefillRelay = true,
    policy: { readonly allowDisappearingMessages?: boolean } = {},
  ): Promise<Person> {
    const dataDir = path.join(this.relay.root, 'people', `${userId}-${this.people.length}`);
    mkdirSync(dataDir, { recursive: true });
    const host = new EngineHost({
      profile: userId,
      dataDir,
      ...(prefillRelay
        ? { relay: { url: this.relay.url, key: this.relay.keyHex, fixedByPolicy: false } }
        : {}),
      minRetryMs: 50,
      maxRetryMs: 400,
      ...(this.relayCa ? { relayCa: this.relayCa } : {}),
      ...policy,
    });
    await host.start();
    const harness = await startHarness({ host, rendererDir: RENDERER_DIST });
    const context = await this.browser.newContext({ acceptDownloads: true });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`exception: ${e.message}`));
    await page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) =>
        console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`),
      );
    });
    await page.goto(harness.url);
    const person: Person = { userId, name, page, context, host, harness, problems };
    this.people.push(person);
    return person;
  }

  /**
   * Opens the app and enrols through the enrolment screen with a fresh code. `clearance`:
   * set by the ICT cell between the invitation and the enrolment (default « Diffusion
   * restreinte »).
   */
  async enrolled(
    userId: string,
    name: string,
    options: {
      readonly allowDisappearingMessages?: boolean;
      readonly clearance?: Classification;
    } = {},
  ): Promise<Person> {
    const { clearance, ...policy } = options;
    const person = await this.open(userId, name, true, policy);
    const code = await this.relay.invite(userId, name);
    if (clearance) await this.relay.setClearance(userId, clearance);
    await enrolInUi(person.page, code);
    return person;
  }

  async close(): Promise<string[]> {
    const problems: string[] = [];
    for (const p of this.people) {
      problems.push(...p.problems.map((text) => `${p.userId}: ${text}`));
      await p.context.close();
      await p.harness.close();
      await p.host.close();
    }
    return problems;
  }
}

/** Fills the enrolment screen (relay already prefilled) and waits for the app. */
export async function enrolInUi(page: Page, code: string): Promise<void> {
  await page.getByLabel('Code d’inscription').fill(code);
  await page.getByLabel('Phrase secrète', { exact: true }).fill(PASSPHRASE);
  await page.getByLabel('Confirmez la phrase secrète').fill(PASSPHRASE);
  await page.getByRole('button', { name: 'Inscrire l’appareil' }).click();
  await expect(page.getByRole('heading', { name: 'Conversations' })).toBeVisible();
}

/** Opens the 1:1 conversation with a colleague from the directory. */
export async function writeTo(page: Page, name: string): Promise<void> {
  await page.getByRole('button', { name: 'Annuaire' }).click();
  await page.getByRole('button', { name: `Écrire à ${name}` }).click();
  await expect(page.getByRole('heading', { level: 2, name })).toBeVisible();
}

export function composer(page: Page) {
  return page.getByRole('textbox', { name: 'Votre message' });
}

export async function send(page: Page, text: string): Promise<void> {
  await composer(page).fill(text);
  await composer(page).press('Enter');
  await expect(composer(page)).toHaveValue('');
}

/** The message (article) whose own text holds this text (not a quote of it). */
export function message(page: Page, text: string) {
  return page
    .locator('article.message')
    .filter({ has: page.locator(':scope > .bubble > p.text', { hasText: text }) });
}

/**
 * Clicks a download button and returns the bytes the browser saved (under the test's
 * output folder `folder`), to compare with what was sent.
 */
export async function downloadedBytes(
  page: Page,
  button: Locator,
  testInfo: TestInfo,
  folder = 'downloaded',
): Promise<Buffer> {
  const [download] = await Promise.all([page.waitForEvent('download'), button.click()]);
  const saved = testInfo.outputPath(path.join(folder, download.suggestedFilename()));
  await download.saveAs(saved);
  return readFileSync(saved);
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  // No caret or hover state in the pictures.
  await page.mouse.move(0, 0);
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), caret: 'hide' });
}

export const test = base.extend<{ relay: E2eRelay; people: People }>({
  // Playwright reads fixtures from a destructuring pattern, even an empty one.
  // eslint-disable-next-line no-empty-pattern
  relay: async ({}, use) => {
    const relay = await E2eRelay.create();
    await use(relay);
    await relay.close();
  },
  people: async ({ browser, relay }, use) => {
    const people = new People(browser, relay);
    await use(people);
    const problems = await people.close();
    expect(problems, 'console errors, exceptions or CSP violations on the pages').toEqual([]);
  },
});
