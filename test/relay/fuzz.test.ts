// Throws random and mutated frames at a live relay and checks that each bad
// socket gets an error code (or is cut), and that the relay keeps serving others.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROTOCOL_VERSION, encodeClientFrame } from '../../shared/wire/index.js';
import { type TestDevice, TestRelay, TestSocket, text, untext } from './harness.js';

describe('bad input', () => {
  let relay: TestRelay;
  let alice: TestDevice;
  let bob: TestDevice;
  let mallory: TestDevice;
  beforeAll(async () => {
    relay = await TestRelay.start({ frameBurst: 100_000, framesPerSecond: 100_000 });
    alice = await relay.newDevice('alice');
    bob = await relay.newDevice('bob');
    mallory = await relay.newDevice('mallory');
  });
  afterAll(() => relay.close());

  async function stillServes(): Promise<void> {
    const a = await alice.connect();
    const b = await bob.connect();
    await b.next('queueDrained');
    const marker = `still alive ${Math.random()}`;
    expect((await a.submitTo([bob.address], () => text(marker))).body.case).toBe('submitOk');
    const [envelope] = await b.envelopes(1);
    expect(untext(envelope!.body.value.ciphertext)).toBe(marker);
    b.ack([envelope!.body.value.serverId]);
    await Promise.all([a.close(), b.close()]);
    const health = await fetch(`${relay.url}/healthz`);
    expect(health.status).toBe(200);
  }

  const validFrames = () => [
    encodeClientFrame({ requestId: 5, body: { case: 'ping', value: {} } }),
    encodeClientFrame({
      requestId: 6,
      body: {
        case: 'submit',
        value: {
          kind: {
            case: 'perDevice',
            value: { messages: [{ to: bob.address, ciphertext: text('hello bob') }] },
          },
        },
      },
    }),
    encodeClientFrame({
      requestId: 7,
      body: {
        case: 'submit',
        value: {
          kind: {
            case: 'fanOut',
            value: { ciphertext: text('group'), recipients: [bob.address, alice.address] },
          },
        },
      },
    }),
    encodeClientFrame({ requestId: 8, body: { case: 'ack', value: { serverIds: [1n, 2n, 99n] } } }),
    encodeClientFrame({
      requestId: 9,
      body: { case: 'auth', value: { userId: 'bob', deviceId: 1, signature: new Uint8Array(64) } },
    }),
  ];

  const mutatedFrame = () =>
    fc
      .tuple(
        fc.integer({ min: 0, max: 4 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 6,
        }),
        fc.uint8Array({ maxLength: 8 }),
      )
      .map(([which, flips, tail]) => {
        const frame = Uint8Array.from(validFrames()[which]!);
        for (const [position, value] of flips) frame[position % frame.length] = value;
        const out = new Uint8Array(frame.length + tail.length);
        out.set(frame);
        out.set(tail, frame.length);
        return out;
      });

  const anyFrame = () => fc.oneof(fc.uint8Array({ minLength: 0, maxLength: 2048 }), mutatedFrame());

  it('closes every unauthenticated socket that sends junk, with an error code', async () => {
    const codes = new Set<string>();
    await fc.assert(
      fc.asyncProperty(anyFrame(), async (bytes) => {
        const socket = await TestSocket.open(relay.relay.wsUrl);
        await socket.next('challenge');
        socket.sendRaw(bytes);
        await socket.closed;
        const error = socket.frames.find((f) => f.body.case === 'error');
        expect(error, 'an error frame before the close').toBeDefined();
        codes.add((error!.body.value as { code: string }).code);
      }),
      { numRuns: 150 },
    );
    expect(codes.has('BAD_FRAME') || codes.has('UNKNOWN_FIELD')).toBe(true);
    await stillServes();
  });

  it('survives mutated frames from an authenticated device', async () => {
    let socket = await mallory.connect();
    let closes = 0;
    await fc.assert(
      fc.asyncProperty(anyFrame(), async (bytes) => {
        if (socket.closeCode !== undefined) socket = await mallory.connect();
        socket.sendRaw(bytes);
        // A ping after the junk: either the relay answers it, or it has closed the socket.
        const probe = socket.requestId() + 1_000_000;
        try {
          socket.send({ requestId: probe, body: { case: 'ping', value: {} } });
          await socket.reply(probe);
        } catch {
          await socket.closed;
          closes++;
          const error = socket.frames.find((f) => f.body.case === 'error' && f.body.value.fatal);
          expect(error, 'a fatal error frame before the close').toBeDefined();
        }
      }),
      { numRuns: 150 },
    );
    expect(closes).toBeGreaterThan(0);
    await socket.close();
    await stillServes();
  });

  it('answers specific violations with specific codes', async () => {
    const cases: [string, (s: TestSocket) => void, string][] = [
      ['text frame', (s) => s.ws.send('hello'), 'BAD_FRAME'],
      [
        'wrong version',
        (s) =>
          s.sendRaw(
            encodeClientFrame({
              version: PROTOCOL_VERSION + 1,
              requestId: 1,
              body: { case: 'ping', value: {} },
            }),
          ),
        'UNSUPPORTED_VERSION',
      ],
      [
        'unknown field',
        (s) => {
          const frame = encodeClientFrame({ requestId: 1, body: { case: 'ping', value: {} } });
          s.sendRaw(new Uint8Array([...frame, 0xf8, 0x01, 0x01])); // field 31, varint 1
        },
        'UNKNOWN_FIELD',
      ],
      ['oversized frame', (s) => s.sendRaw(new Uint8Array(1024 * 1024 + 10)), 'FRAME_TOO_LARGE'],
      ['empty frame (version 0)', (s) => s.sendRaw(new Uint8Array(0)), 'UNSUPPORTED_VERSION'],
      [
        'second auth',
        (s) =>
          s.send({
            requestId: 1,
            body: {
              case: 'auth',
              value: { userId: 'mallory', deviceId: 1, signature: new Uint8Array(64) },
            },
          }),
        'ALREADY_AUTHENTICATED',
      ],
    ];
    for (const [what, send, code] of cases) {
      const socket = await mallory.connect();
      send(socket);
      const error = await socket.next('error');
      expect(error.body.value.code, what).toBe(code);
      expect(error.body.value.fatal, what).toBe(true);
      await socket.closed;
    }
    // Far beyond the limit, ws itself cuts the connection (close code 1009).
    const socket = await mallory.connect();
    socket.sendRaw(new Uint8Array(3 * 1024 * 1024));
    await socket.closed;
    expect(socket.closeCode).toBe(1009);
    await stillServes();
  });

  it('keeps serving HTTP clients after malformed requests', async () => {
    const junk = await fetch(`${relay.url}/v1/enrol`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf' },
      body: Buffer.alloc(600 * 1024),
    });
    expect(junk.status).toBe(413);
    expect(((await junk.json()) as { code: string }).code).toBe('FRAME_TOO_LARGE');
    const unknown = await fetch(`${relay.url}/v2/nothing`);
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { code: string }).code).toBe('NOT_FOUND');
    const badRange = await mallory.request('GET', '/v1/blobs/..%2F..%2Fetc%2Fpasswd');
    expect(badRange.status).toBe(404);
    await stillServes();
  });
});
