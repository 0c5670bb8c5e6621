// Engines against a real relay in tests: each person gets a data folder, an
// engine enrolled with a real enrolment code, and helpers that wait on engine
// events with a bounded deadline (never sleeps).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import type { EngineEvent, MessageView } from '../../shared/api/contract.js';
import type { Classification } from '../../shared/api/classification.js';
import { Engine } from '../../main/engine/engine.js';
import type { RelayLimits } from '../../relay/config.js';
import { TestRelay, eventually } from '../relay/harness.js';

export { TestRelay, eventually };

export const PASSPHRASE = 'phrase secrète de test';

export class Workspace {
  private readonly root = mkdtempSync(path.join(tmpdir(), 'comgov-engine-test-'));
  private readonly engines: Engine[] = [];
  private counter = 0;

  constructor(
    readonly relay: TestRelay,
    /** Options every engine of this workspace is opened with (relay-trust.ts's list). */
    private readonly engineOptions: { readonly relayCa?: readonly string[] } = {},
  ) {}

  dataDir(name: string): string {
    return path.join(this.root, name);
  }

  /**
   * Invites `userId` (once per call) and enrols a new device for them in a fresh data
   * folder; `clearance` is set on the relay between the invitation and the enrolment.
   */
  async enrol(
    userId: string,
    folder = `${userId}-${++this.counter}`,
    options: { readonly clearance?: Classification } = {},
  ): Promise<Engine> {
    const code = await this.relay.invite(userId, {
      name: `${userId[0]!.toUpperCase()}${userId.slice(1)}`,
    });
    if (options.clearance) await this.relay.setClearance(userId, options.clearance);
    const engine = await Engine.enrol(
      {
        dataDir: this.dataDir(folder),
        passphrase: PASSPHRASE,
        minRetryMs: 20,
        maxRetryMs: 200,
        ...this.engineOptions,
      },
      { relayUrl: this.relay.url, relayPublicKey: this.relay.publicKey, code },
    );
    this.engines.push(engine);
    return engine;
  }

  async open(folder: string): Promise<Engine> {
    const engine = await Engine.open({
      dataDir: this.dataDir(folder),
      passphrase: PASSPHRASE,
      minRetryMs: 20,
      maxRetryMs: 200,
      ...this.engineOptions,
    });
    this.engines.push(engine);
    return engine;
  }

  async close(): Promise<void> {
    for (const engine of this.engines) await engine.close();
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** A fresh relay (port 0) and workspace for each test of the calling file, closed after it. */
export function freshRelayPerTest(limits: Partial<RelayLimits> = {}): {
  readonly relay: TestRelay;
  readonly ws: Workspace;
} {
  const current = {} as { relay: TestRelay; ws: Workspace };
  beforeEach(async () => {
    current.relay = await TestRelay.start(limits);
    current.ws = new Workspace(current.relay);
  });
  afterEach(async () => {
    await current.ws.close();
    await current.relay.close();
  });
  return current;
}

/** Resolves with the first event matching `match`, within the deadline. */
export function nextEvent<T extends EngineEvent>(
  engine: Engine,
  match: (event: EngineEvent) => event is T,
  what: string,
  deadlineMs = 10_000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      engine.off('event', onEvent);
      reject(new Error(`Timed out waiting for ${what}`));
    }, deadlineMs);
    const onEvent = (event: EngineEvent) => {
      if (match(event)) {
        clearTimeout(timer);
        engine.off('event', onEvent);
        resolve(event);
      }
    };
    engine.on('event', onEvent);
  });
}

/** Waits until `engine` stores a message with this text. */
export async function received(engine: Engine, text: string): Promise<MessageView> {
  return eventually(() => {
    for (const c of engine.messages.conversations()) {
      const found = engine.messages.messages(c.id, undefined, 500).find((m) => m.text === text);
      if (found) return found;
    }
    return undefined;
  }, `a message "${text}"`);
}

/**
 * Queues content in an engine's own outbox, encrypted and sent like any other: what a
 * modified client could send (forged or crafted messages for the receivers to refuse).
 */
export function sendRawContent(
  from: Engine,
  payload: Uint8Array,
  to: { users: string[]; syncDestination: string | null; group?: string },
): void {
  const outbox = (
    from as unknown as { outbox: { enqueue: (...a: unknown[]) => number; kick(): void } }
  ).outbox;
  from.db.transaction(() => outbox.enqueue(payload, to, null, null))();
  outbox.kick();
}

export function unwrap<T>(
  result: { ok: true; value: T } | { ok: false; error: { code: string; message: string } },
): T {
  if (!result.ok) throw new Error(`${result.error.code}: ${result.error.message}`);
  return result.value;
}
