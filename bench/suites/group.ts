// `npm run bench -- group`: a group of 200 members, one device each. One message
// is sent ONCE with the group's sender key and fanned out by the relay; we time
// send → decrypted and stored on each of the 199 other members. Targets:
// fanout_p99_ms ≤ 1000; sender_upload_bytes about one ciphertext, not 200.
// Baseline in the same run: the same text sent 1:1 to one member (send → stored).
import { create, toBinary } from '@bufbuild/protobuf';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Engine } from '../../main/engine/engine.js';
import type { EngineEvent } from '../../shared/api/contract.js';
import { randomBytes } from '../../shared/crypto/index.js';
import { SubmitSchema } from '../../shared/wire/index.js';
import { TestRelay, unwrap } from '../../test/engine/support.js';
import type { BenchSuite } from '../run.js';

const MEMBERS = Number(process.env.GROUP_BENCH_MEMBERS ?? 200);
const ROUNDS = 5;

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Resolves with the time at which every engine stored message `id`. */
function storedOn(engines: readonly Engine[], id: () => string): Promise<number[]> {
  return new Promise((resolve) => {
    const times: number[] = [];
    for (const engine of engines) {
      const onEvent = (e: EngineEvent) => {
        if (e.type === 'message' && e.message.id === id()) {
          engine.off('event', onEvent);
          times.push(performance.now());
          if (times.length === engines.length) resolve(times);
        }
      };
      engine.on('event', onEvent);
    }
  });
}

const suite: BenchSuite = {
  description: `one message to a group of ${MEMBERS}; targets fanout_p99_ms ≤ 1000, one upload`,
  async run(log) {
    const relay = await TestRelay.start();
    const root = mkdtempSync(path.join(tmpdir(), 'comgov-group-bench-'));
    const engines: Engine[] = [];
    try {
      log(`enrolling ${MEMBERS} members…`);
      for (let i = 0; i < MEMBERS; i++) {
        const userId = `agent${String(i).padStart(3, '0')}`;
        const code = await relay.invite(userId);
        const engine = await Engine.enrol(
          { dataDir: path.join(root, userId), storeKey: randomBytes(32) },
          { relayUrl: relay.url, relayPublicKey: relay.publicKey, code },
        );
        engine.start();
        engines.push(engine);
      }
      await Promise.all(engines.map((e) => e.whenOnline()));
      const [sender, ...members] = engines as [Engine, ...Engine[]];
      log('creating the group and distributing sender keys…');
      const setupStart = performance.now();
      const group = unwrap(
        await sender.createGroup(
          'Tous les agents',
          members.map((m) => m.me.userId),
        ),
      );
      await sender.whenOutboxEmpty();
      // The first message also carries our sender key to every device (pairwise).
      let currentId = '';
      const first = storedOn(members, () => currentId);
      currentId = unwrap(await sender.sendText(group.id, 'Premier message du groupe')).id;
      await first;
      const setupMs = performance.now() - setupStart;

      // Count what the sender uploads from now on.
      const socket = (sender as unknown as { socket: { submit: (s: unknown) => Promise<unknown> } })
        .socket;
      const originalSubmit = socket.submit.bind(socket);
      let uploaded = 0;
      let submissions = 0;
      socket.submit = (s: unknown) => {
        uploaded += toBinary(SubmitSchema, create(SubmitSchema, s as never)).length;
        submissions++;
        return originalSubmit(s);
      };

      // When the envelope reaches each member's socket: the relay's fan-out alone,
      // apart from the members' own processing (here all 199 share one process and
      // one disk, which a real deployment does not).
      let arrivals: number[] = [];
      for (const m of members) {
        (m as unknown as { socket: { on(e: 'envelope', f: () => void): void } }).socket.on(
          'envelope',
          () => arrivals.push(performance.now()),
        );
      }
      const socketLatencies: number[] = [];
      const latencies: number[] = [];
      let ciphertextBytes = 0;
      for (let round = 0; round < ROUNDS; round++) {
        const before = uploaded;
        const all = storedOn(members, () => currentId);
        arrivals = [];
        const start = performance.now();
        currentId = unwrap(
          await sender.sendText(group.id, `Note de service n° ${round} : réunion à 10 h.`),
        ).id;
        const times = await all;
        for (const t of times) latencies.push(t - start);
        for (const t of arrivals.slice(0, members.length)) socketLatencies.push(t - start);
        ciphertextBytes = uploaded - before;
        log(
          `round ${round}: all ${members.length} stored in ${(Math.max(...times) - start).toFixed(0)} ms`,
        );
      }
      socket.submit = originalSubmit;

      // Baseline: the same text 1:1 to one member.
      const peer = members[0]!;
      const baselineTimes: number[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        const got = storedOn([peer], () => currentId);
        const start = performance.now();
        currentId = unwrap(
          await sender.sendText(peer.me.userId, `Note de service n° ${round} : réunion à 10 h.`),
        ).id;
        baselineTimes.push((await got)[0]! - start);
      }
      const round2 = (n: number) => Number(n.toFixed(1));
      return {
        members: MEMBERS,
        rounds: ROUNDS,
        fanout_p50_ms: round2(percentile(latencies, 50)),
        fanout_p99_ms: round2(percentile(latencies, 99)),
        relay_fanout_p50_ms: round2(percentile(socketLatencies, 50)),
        relay_fanout_p99_ms: round2(percentile(socketLatencies, 99)),
        sender_upload_bytes: Math.round(ciphertextBytes),
        submissions_per_message: submissions / ROUNDS,
        setup_first_message_ms: Math.round(setupMs),
        baseline_direct_p50_ms: round2(percentile(baselineTimes, 50)),
      };
    } finally {
      for (const e of engines) await e.close();
      await relay.close();
      rmSync(root, { recursive: true, force: true });
    }
  },
};

export default suite;
