import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { text, untext, type TestDevice, TestRelay } from './harness.js';

describe('store-and-forward routing', () => {
  let relay: TestRelay;
  let alice: TestDevice;
  let bob1: TestDevice;
  let bob2: TestDevice;
  let carol: TestDevice;
  beforeAll(async () => {
    relay = await TestRelay.start();
    alice = await relay.newDevice('alice');
    bob1 = await relay.newDevice('bob');
    bob2 = await relay.newDevice('bob');
    carol = await relay.newDevice('carol');
  });
  afterAll(() => relay.close());

  const bobs = () => [bob1.address, bob2.address];

  /** Connects, takes the whole backlog, acknowledges it and disconnects. */
  async function drainAll(device: TestDevice): Promise<string[]> {
    const socket = await device.connect();
    await socket.next('queueDrained');
    const envelopes = socket.frames.flatMap((f) =>
      f.body.case === 'envelope' ? [f.body.value] : [],
    );
    if (envelopes.length > 0) socket.ack(envelopes.map((e) => e.serverId));
    await socket.close();
    return envelopes.map((e) => untext(e.ciphertext));
  }

  it('pushes to online devices at once, with the sender set by the relay', async () => {
    const a = await alice.connect();
    const b1 = await bob1.connect();
    const b2 = await bob2.connect();
    await Promise.all([b1.next('queueDrained'), b2.next('queueDrained')]);
    const reply = await a.submitTo(bobs(), (r) => text(`hello ${r.deviceId}`));
    expect(reply.body.case).toBe('submitOk');
    const [e1] = await b1.envelopes(1);
    const [e2] = await b2.envelopes(1);
    expect(untext(e1!.body.value.ciphertext)).toBe('hello 1');
    expect(untext(e2!.body.value.ciphertext)).toBe('hello 2');
    expect(e1!.body.value.senderUser).toBe('alice');
    expect(e1!.body.value.senderDevice).toBe(alice.deviceId);
    b1.ack([e1!.body.value.serverId]);
    b2.ack([e2!.body.value.serverId]);
    await Promise.all([a.close(), b1.close(), b2.close()]);
  });

  it('queues for offline devices, delivers in order on connect, deletes after the ack', async () => {
    const a = await alice.connect();
    for (let i = 0; i < 30; i++) {
      const reply = await a.submitTo(bobs(), () => text(`m${i}`));
      expect(reply.body.case).toBe('submitOk');
    }
    const b1 = await bob1.connect();
    const got = await b1.envelopes(30);
    expect(got.map((e) => untext(e.body.value.ciphertext))).toEqual(
      Array.from({ length: 30 }, (_, i) => `m${i}`),
    );
    await b1.next('queueDrained');
    // Acknowledge only the first 20; the other 10 come again on the next connection.
    b1.ack(got.slice(0, 20).map((e) => e.body.value.serverId));
    await b1.close();
    const again = await bob1.connect();
    const redelivered = await again.envelopes(10);
    expect(redelivered.map((e) => untext(e.body.value.ciphertext))).toEqual(
      Array.from({ length: 10 }, (_, i) => `m${i + 20}`),
    );
    again.ack(redelivered.map((e) => e.body.value.serverId));
    await again.close();
    const empty = await bob1.connect();
    await empty.next('queueDrained');
    expect(empty.frames.filter((f) => f.body.case === 'envelope')).toHaveLength(0);
    await empty.close();
    // bob2 still has all 30.
    const b2 = await bob2.connect();
    const all = await b2.envelopes(30);
    b2.ack(all.map((e) => e.body.value.serverId));
    await Promise.all([a.close(), b2.close()]);
  });

  it('keeps per-pair order when the recipient comes online in the middle of a burst', async () => {
    const a = await alice.connect();
    const total = 300;
    const requests: number[] = [];
    const connecting = (async () => carol.connect())();
    for (let i = 0; i < total; i++) {
      const requestId = a.requestId();
      requests.push(requestId);
      a.send({
        requestId,
        body: {
          case: 'submit',
          value: {
            kind: {
              case: 'perDevice',
              value: { messages: [{ to: carol.address, ciphertext: text(String(i)) }] },
            },
          },
        },
      });
    }
    const c = await connecting;
    for (const id of requests) expect((await a.reply(id)).body.case).toBe('submitOk');
    const got = await c.envelopes(total);
    expect(got.map((e) => Number(untext(e.body.value.ciphertext)))).toEqual(
      Array.from({ length: total }, (_, i) => i),
    );
    c.ack(got.map((e) => e.body.value.serverId).slice(0, 1000));
    await Promise.all([a.close(), c.close()]);
  });

  it('answers a stale device list with the missing and extra devices, and stores nothing', async () => {
    const a = await alice.connect();
    const reply = await a.submitTo([bob1.address, { userId: 'bob', deviceId: 9 }], () => text('x'));
    expect(reply.body.case).toBe('error');
    const error = reply.body.value as {
      code: string;
      stale: { userId: string; missing: number[]; extra: number[]; current: number[] }[];
    };
    expect(error.code).toBe('STALE_DEVICES');
    expect(error.stale).toEqual([
      expect.objectContaining({ userId: 'bob', missing: [2], extra: [9], current: [1, 2] }),
    ]);
    // For the sender's own user, the list is every device but the sending one.
    const alice2 = await relay.newDevice('alice');
    const own = await a.submitTo([...bobs(), alice.address], () => text('y'));
    expect(own.body.value).toMatchObject({
      code: 'STALE_DEVICES',
      stale: [
        expect.objectContaining({
          userId: 'alice',
          missing: [alice2.deviceId],
          extra: [alice.deviceId],
          current: [alice2.deviceId],
        }),
      ],
    });
    const retried = await a.submitTo([...bobs(), alice2.address], () => text('z'));
    expect(retried.body.case).toBe('submitOk');
    expect(await drainAll(bob1)).toEqual(['z']);
    expect(await drainAll(bob2)).toEqual(['z']);
    expect(await drainAll(alice2)).toEqual(['z']);
    await relay.revoke('alice', alice2.deviceId);
    await a.close();
  });

  it('refuses unknown recipients and duplicates with a code', async () => {
    const a = await alice.connect();
    const unknown = await a.submitTo([{ userId: 'nobody', deviceId: 1 }], () => text('x'));
    expect(unknown.body.value).toMatchObject({ code: 'UNKNOWN_RECIPIENT' });
    const dup = await a.submitTo([bob1.address, bob1.address, bob2.address], () => text('x'));
    expect(dup.body.value).toMatchObject({ code: 'DUPLICATE_RECIPIENT' });
    await a.close();
  });

  it('stores a fan-out ciphertext once for all its recipients', async () => {
    const before = await relay.relay.context.store.stats();
    const a = await alice.connect();
    const reply = await a.fanOut([...bobs(), carol.address], text('group message'));
    expect(reply.body.case).toBe('submitOk');
    const after = await relay.relay.context.store.stats();
    expect(after.storedMessages - before.storedMessages).toBe(1);
    expect(after.queuedEnvelopes - before.queuedEnvelopes).toBe(3);
    for (const device of [bob1, bob2, carol]) {
      expect(await drainAll(device)).toEqual(['group message']);
    }
    const acked = await (async () => {
      for (let i = 0; i < 500; i++) {
        const s = await relay.relay.context.store.stats();
        if (s.storedMessages === before.storedMessages) return s;
        await new Promise((r) => setImmediate(r));
      }
      return relay.relay.context.store.stats();
    })();
    expect(acked.storedMessages).toBe(before.storedMessages);
    await a.close();
  });
});

describe('queue limits', () => {
  it('refuses a submission that would overflow a device queue, with a clear error', async () => {
    const relay = await TestRelay.start({ queueMaxEnvelopes: 3, queueMaxBytes: 1000 });
    try {
      const alice = await relay.newDevice('alice');
      const bob = await relay.newDevice('bob');
      const a = await alice.connect();
      for (let i = 0; i < 3; i++) {
        expect((await a.submitTo([bob.address], () => text(`m${i}`))).body.case).toBe('submitOk');
      }
      const full = await a.submitTo([bob.address], () => text('m3'));
      expect(full.body.value).toMatchObject({ code: 'QUEUE_FULL', fatal: false });
      expect((full.body.value as { message: string }).message).toMatch(/nothing was stored/);
      expect((await relay.relay.context.store.stats()).queuedEnvelopes).toBe(3);
      // Bytes limit too, on a fresh recipient.
      const carol = await relay.newDevice('carol');
      const big = await a.submitTo([carol.address], () => new Uint8Array(1001));
      expect(big.body.value).toMatchObject({ code: 'QUEUE_FULL' });
      // Once bob acknowledges, there is room again.
      const b = await bob.connect();
      const got = await b.envelopes(3);
      b.ack(got.map((e) => e.body.value.serverId));
      let accepted = false;
      for (let i = 0; i < 200 && !accepted; i++) {
        const r = await a.submitTo([bob.address], () => text('later'));
        accepted = r.body.case === 'submitOk';
      }
      expect(accepted).toBe(true);
      await Promise.all([a.close(), b.close()]);
    } finally {
      await relay.close();
    }
  });

  it('rate-limits a device that sends too many frames, without closing it', async () => {
    const relay = await TestRelay.start({ framesPerSecond: 1, frameBurst: 5 });
    try {
      const alice = await relay.newDevice('alice');
      const a = await alice.connect();
      const ids = Array.from({ length: 8 }, () => a.requestId());
      for (const requestId of ids) a.send({ requestId, body: { case: 'ping', value: {} } });
      const replies = await Promise.all(ids.map((id) => a.reply(id)));
      const limited = replies.filter((r) => r.body.case === 'error');
      expect(limited.length).toBeGreaterThanOrEqual(2);
      expect(limited[0]!.body.value).toMatchObject({ code: 'RATE_LIMITED', fatal: false });
      expect(a.closeCode).toBeUndefined();
      await a.close();
    } finally {
      await relay.close();
    }
  });
});

describe('acknowledgement once durable', () => {
  it('answers submitOk for an offline recipient only once the transaction has committed', async () => {
    const relay = await TestRelay.start();
    let open = () => {};
    try {
      const alice = await relay.newDevice('alice');
      const bob = await relay.newDevice('bob');
      const a = await alice.connect();
      const store = relay.relay.context.store;
      const realCommit = store.commit.bind(store);
      const gate = new Promise<void>((resolve) => (open = resolve));
      let commitsStarted = 0;
      store.commit = async (batch) => {
        commitsStarted++;
        await gate;
        return realCommit(batch);
      };
      const requestId = a.sendSubmit([bob.address], () => text('x'));
      // The relay has started the commit but not finished it: no reply yet.
      const start = Date.now();
      while (commitsStarted === 0 && Date.now() - start < 5000) await a.roundTrip();
      expect(commitsStarted).toBe(1);
      expect(a.frames.some((f) => f.requestId === requestId)).toBe(false);
      open();
      expect((await a.reply(requestId)).body.case).toBe('submitOk');
      store.commit = realCommit;
      const b = await bob.connect();
      expect(untext((await b.envelopes(1))[0]!.body.value.ciphertext)).toBe('x');
      await Promise.all([a.close(), b.close()]);
    } finally {
      open();
      await relay.close();
    }
  });

  it('when few submissions wait, commits at once: the sender is answered without the recipient ack', async () => {
    const relay = await TestRelay.start({ handOffWaitMs: 600_000 });
    try {
      const alice = await relay.newDevice('alice');
      const bob = await relay.newDevice('bob');
      const a = await alice.connect();
      const b = await bob.connect();
      await b.next('queueDrained');
      const requestId = a.sendSubmit([bob.address], () => text('tout de suite'));
      expect(untext((await b.envelopes(1))[0]!.body.value.ciphertext)).toBe('tout de suite');
      // Bob has not acknowledged; the relay committed it and answers anyway.
      expect((await a.reply(requestId)).body.case).toBe('submitOk');
      expect(await relay.relay.context.store.stats()).toMatchObject({ queuedEnvelopes: 1 });
      await Promise.all([a.close(), b.close()]);
    } finally {
      await relay.close();
    }
  });

  it('pushes to an online recipient before the commit; a copy it acknowledges first is never written', async () => {
    // A wait far longer than the test, and the relay counted busy from one submission a
    // second: only the recipient's ack can answer the sender.
    const relay = await TestRelay.start({ handOffWaitMs: 600_000, handOffFromPerSecond: 1 });
    try {
      const alice = await relay.newDevice('alice');
      const bob = await relay.newDevice('bob');
      const carol = await relay.newDevice('carol');
      const a = await alice.connect();
      const b = await bob.connect();
      await b.next('queueDrained');
      const store = relay.relay.context.store;
      const realCommit = store.commit.bind(store);
      const written: number[] = [];
      store.commit = async (batch) => {
        for (const s of batch.submissions) {
          for (const e of s.envelopes) written.push(...e.recipients.map((r) => r.serverId));
        }
        return realCommit(batch);
      };
      const toBob = a.sendSubmit([bob.address], () => text('to bob'));
      const pushed = (await b.envelopes(1))[0]!.body.value;
      expect(untext(pushed.ciphertext)).toBe('to bob');
      // Not answered while the copy is neither committed nor acknowledged.
      await new Promise((r) => setTimeout(r, 200));
      expect(a.frames.some((f) => f.requestId === toBob)).toBe(false);
      b.ack([pushed.serverId]);
      const ok = await a.reply(toBob);
      expect(ok.body.case).toBe('submitOk');
      // Carol is offline: her copy is written, and still waits for its commit.
      const toCarol = a.sendSubmit([carol.address], () => text('to carol'));
      await new Promise((r) => setTimeout(r, 200));
      expect(a.frames.some((f) => f.requestId === toCarol)).toBe(false);
      // Carol connecting commits what is pending before her queue is read.
      const c = await carol.connect();
      const got = (await c.envelopes(1))[0]!.body.value;
      expect(untext(got.ciphertext)).toBe('to carol');
      expect((await a.reply(toCarol)).body.case).toBe('submitOk');
      expect(written).toEqual([Number(got.serverId)]);
      expect(Number(got.serverId)).toBeGreaterThan(Number(pushed.serverId));
      c.ack([got.serverId]);
      // Frames are handled in order: once the ping is answered, the ack is queued.
      await c.roundTrip();
      const metrics = await relay.relay.context.metrics.registry.metrics();
      expect(metrics).toMatch(/relay_envelopes_handed_off_total 1\b/);
      store.commit = realCommit;
      await relay.relay.context.batcher.flush();
      expect(await store.stats()).toMatchObject({ storedMessages: 0, queuedEnvelopes: 0 });
      await Promise.all([a.close(), b.close(), c.close()]);
    } finally {
      await relay.close();
    }
  });
});
