// `npm run bench -- send`: 1,000 messages between two online engines through
// the relay, one after the other. ack = send → the relay's acknowledgement
// (message shown "sent"); e2e = send → stored on the recipient. Targets:
// ack_p99_ms ≤ 20, e2e_p99_ms ≤ 50. Baseline in the same run: the round trip of
// a 1 KiB frame to a trivial `ws` echo server.
import { WebSocket, WebSocketServer } from 'ws';
import type { EngineEvent } from '../../shared/api/contract.js';
import { TestRelay, Workspace, unwrap } from '../../test/engine/support.js';
import type { BenchSuite } from '../run.js';

const MESSAGES = 1_000;

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function echoRoundTrips(count: number): Promise<number[]> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  server.on('connection', (socket) => socket.on('message', (data) => socket.send(data)));
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as { port: number };
  const client = new WebSocket(`ws://127.0.0.1:${port}`);
  await new Promise((resolve) => client.once('open', resolve));
  const payload = Buffer.alloc(1024, 7);
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const start = performance.now();
    await new Promise<void>((resolve) => {
      client.once('message', () => resolve());
      client.send(payload);
    });
    times.push(performance.now() - start);
  }
  client.close();
  await new Promise((resolve) => server.close(resolve));
  return times;
}

const suite: BenchSuite = {
  description: `${MESSAGES} messages between two online engines; targets ack_p99_ms ≤ 20, e2e_p99_ms ≤ 50`,
  async run(log) {
    const echo = await echoRoundTrips(MESSAGES);
    const relay = await TestRelay.start();
    const ws = new Workspace(relay);
    try {
      const alice = await ws.enrol('alice');
      const bob = await ws.enrol('bob');
      alice.start();
      bob.start();
      await Promise.all([alice.whenOnline(), bob.whenOnline()]);
      // The first message sets the session up (prekey bundle, X3DH); it is not counted.
      const warm = unwrap(await alice.sendText('bob', 'échauffement'));
      await alice.whenSent(warm.id);
      const acks: number[] = [];
      const e2e: number[] = [];
      log(`sending ${MESSAGES} messages…`);
      for (let i = 0; i < MESSAGES; i++) {
        let sentAt = 0;
        let ackAt = 0;
        let storedAt = 0;
        let id = '';
        const done = new Promise<void>((resolve) => {
          const onAlice = (e: EngineEvent) => {
            if (
              e.type === 'messageUpdated' &&
              e.message.id === id &&
              e.message.status !== 'waiting' &&
              !ackAt
            ) {
              ackAt = performance.now();
              if (storedAt) finish();
            }
          };
          const onBob = (e: EngineEvent) => {
            if (e.type === 'message' && e.message.id === id && !storedAt) {
              storedAt = performance.now();
              if (ackAt) finish();
            }
          };
          const finish = () => {
            alice.off('event', onAlice);
            bob.off('event', onBob);
            resolve();
          };
          alice.on('event', onAlice);
          bob.on('event', onBob);
        });
        sentAt = performance.now();
        id = unwrap(
          await alice.sendText('bob', `Message ${i} : merci de valider le projet de décret.`),
        ).id;
        await done;
        acks.push(ackAt - sentAt);
        e2e.push(storedAt - sentAt);
      }
      const round = (n: number) => Number(n.toFixed(2));
      return {
        messages: MESSAGES,
        ack_p50_ms: round(percentile(acks, 50)),
        ack_p99_ms: round(percentile(acks, 99)),
        e2e_p50_ms: round(percentile(e2e, 50)),
        e2e_p99_ms: round(percentile(e2e, 99)),
        ws_echo_rtt_p50_ms: round(percentile(echo, 50)),
        ws_echo_rtt_p99_ms: round(percentile(echo, 99)),
      };
    } finally {
      await ws.close();
      await relay.close();
    }
  },
};

export default suite;
