// A store that cannot take a write (full disk): nothing is lost, nothing is marked
// unreadable, the app is told, and everything comes in once there is room again.
// The full disk is SQLite's own: `max_page_count` caps the real encrypted store, and
// SQLite then fails exactly as on a full disk (SQLITE_FULL).
import { describe, expect, it } from 'vitest';
import type { EngineEvent } from '../../shared/api/contract.js';
import type { Engine } from '../../main/engine/engine.js';
import { eventually, freshRelayPerTest, nextEvent, received, unwrap } from './support.js';

const env = freshRelayPerTest();

/** Leaves the store room for `spare` more pages (none free inside it). */
function capStore(engine: Engine, spare: number): void {
  engine.db.exec('VACUUM');
  const pages = engine.db.pragma('page_count', { simple: true }) as number;
  engine.db.pragma(`max_page_count = ${pages + spare}`);
}

function uncapStore(engine: Engine): void {
  engine.db.pragma('max_page_count = 1073741823');
}

type StorageEvent = Extract<EngineEvent, { type: 'storage' }>;
const storageEvent =
  (problem: StorageEvent['problem']) =>
  (e: EngineEvent): e is StorageEvent =>
    e.type === 'storage' && e.problem === problem;

async function queuedOnRelay(): Promise<number> {
  return (await env.relay.relay.context.store.stats()).queuedEnvelopes;
}

/** Alice and Bob online, Bob having received a first message (and Alice's keys). */
async function pairThatTalked(): Promise<{ alice: Engine; bob: Engine; events: EngineEvent[] }> {
  const alice = await env.ws.enrol('alice');
  const bob = await env.ws.enrol('bob');
  alice.start();
  bob.start();
  unwrap(await alice.sendText('bob', 'Première note'));
  await received(bob, 'Première note');
  await eventually(async () => ((await queuedOnRelay()) === 0 ? true : undefined), 'no queue');
  const events: EngineEvent[] = [];
  bob.on('event', (e) => events.push(e));
  return { alice, bob, events };
}

describe('a full disk', () => {
  it('leaves what arrives on the relay, says so, and takes it in once there is room', async () => {
    const { alice, bob, events } = await pairThatTalked();
    capStore(bob, 0);
    const long = `Note longue : ${'é'.repeat(20_000)}`;
    const full = nextEvent(bob, storageEvent('DISK_FULL'), 'a storage event');
    unwrap(await alice.sendText('bob', long));
    await full;
    // Not acknowledged: the relay keeps it (written once its wait for an ack is over).
    await eventually(async () => ((await queuedOnRelay()) === 1 ? true : undefined), 'kept');
    // Writing fails with a sentence a person can act on; reading still works.
    const refused = await bob.sendText('alice', `Réponse : ${'x'.repeat(20_000)}`);
    expect(refused).toMatchObject({ ok: false, error: { code: 'DISK_FULL' } });
    expect(unwrap(await bob.listConversations()).length).toBe(1);

    uncapStore(bob);
    await nextEvent(bob, storageEvent(null), 'the storage problem cleared');
    expect((await received(bob, long)).senderId).toBe('alice');
    await eventually(async () => ((await queuedOnRelay()) === 0 ? true : undefined), 'acked');
    expect(events.filter((e) => e.type === 'undecryptable')).toEqual([]);
  });

  it('never marks a message unreadable because the store failed while reading it', async () => {
    const { alice, bob, events } = await pairThatTalked();

    // Room for the envelope as it came, not for the message it holds (and its index).
    const long = `Note longue : ${'é'.repeat(20_000)}`;
    const pageSize = bob.db.pragma('page_size', { simple: true }) as number;
    capStore(bob, Math.ceil((2 * long.length + 2048) / pageSize) + 2);
    const full = nextEvent(bob, storageEvent('DISK_FULL'), 'a storage event');
    unwrap(await alice.sendText('bob', long));
    await full;
    const stored = bob.db.prepare(`SELECT state FROM inbox ORDER BY server_id DESC LIMIT 1`).get();
    expect(stored).toEqual({ state: 'pending' });

    uncapStore(bob);
    await received(bob, long);
    expect(events.filter((e) => e.type === 'undecryptable')).toEqual([]);
  });
});
