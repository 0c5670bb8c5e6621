// `npm run bench -- ingest`: catch-up after a weekend offline. 5,000 1:1
// messages from three colleagues (bursts, with replies) wait at the relay for
// an offline device; it starts and catches up (decrypt + store + index + ack).
// Baseline in the same run: the same queue drained by a bare client on a second
// device of the same user, which only acknowledges. The relay runs in its own
// process (`comgov-relay serve`), as on a server. The senders' engines close once
// their messages are queued: they sit at other PCs, so the delivery receipts they
// get during the catch-up are not processed on the measured machine (they wait at
// the relay, as for a colleague gone home).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { credentialsOf } from '../../main/engine/account.js';
import { Engine } from '../../main/engine/engine.js';
import { RelaySocket } from '../../main/engine/relay/relay-socket.js';
import { randomBytes, ready } from '../../shared/crypto/index.js';
import { fromHex } from '../../shared/util/bytes.js';
import { unwrap } from '../../test/engine/support.js';
import { runCli, serve } from '../../test/relay/cli-process.js';
import type { BenchSuite } from '../run.js';

const MESSAGES = 5_000;
const SENDERS = ['alice', 'carol', 'dave'];

function phrase(i: number): string {
  const words = [
    'réunion',
    'budget',
    'ministère',
    'l’école',
    'sécurité',
    'rapport',
    'décret',
    'arbitrage',
  ];
  return `Message ${i} : ${words[i % words.length]} ${words[(i * 7) % words.length]} — merci de confirmer.`;
}

const suite: BenchSuite = {
  description: `catch-up of ${MESSAGES} queued messages; targets ≥ 5,000 msgs/s and ratio ≥ 0.2`,
  async run(log) {
    await ready();
    const root = mkdtempSync(path.join(tmpdir(), 'comgov-ingest-'));
    const relayDir = path.join(root, 'relay');
    const relayKey = fromHex((await runCli(['init', '--data', relayDir])).lastLine);
    const relay = await serve(relayDir);
    const keys = new Map<string, Uint8Array>();
    const engines: Engine[] = [];
    const enrol = async (userId: string, folder: string): Promise<Engine> => {
      const code = (
        await runCli(['invite', '--data', relayDir, '--user', userId, '--name', userId])
      ).lastLine;
      const storeKey = randomBytes(32);
      keys.set(folder, storeKey);
      const engine = await Engine.enrol(
        { dataDir: path.join(root, folder), storeKey },
        { relayUrl: relay.url, relayPublicKey: relayKey, code },
      );
      engines.push(engine);
      return engine;
    };
    const ws = {
      enrol,
      open: async (folder: string) => {
        const engine = await Engine.open({
          dataDir: path.join(root, folder),
          storeKey: keys.get(folder)!,
        });
        engines.push(engine);
        return engine;
      },
    };
    try {
      const bob = await ws.enrol('bob', 'bob-office');
      const bare = await ws.enrol('bob', 'bob-bare');
      const bareAccount = bare.me;
      await bare.close();
      await bob.close();
      const senders: Engine[] = [];
      for (const name of SENDERS) {
        const engine = await ws.enrol(name, name);
        engine.start();
        senders.push(engine);
      }
      log(`queueing ${MESSAGES} messages from ${SENDERS.length} senders…`);
      const queued = Date.now();
      const lastId = new Map<Engine, string>();
      for (let i = 0; i < MESSAGES; i++) {
        // Bursts of 1 to 40 messages per sender; every fifth message replies to the sender's previous one.
        const sender = senders[Math.floor(i / 40) % senders.length]!;
        const replyTo = i % 5 === 0 ? lastId.get(sender) : undefined;
        const m = unwrap(await sender.sendText('bob', phrase(i), replyTo ? { replyTo } : {}));
        lastId.set(sender, m.id);
      }
      for (const s of senders) await s.whenOutboxEmpty();
      for (const s of senders) await s.close();
      log(`queued in ${((Date.now() - queued) / 1000).toFixed(1)} s`);

      // Baseline: a bare client on Bob's second device only acknowledges.
      const socket = new RelaySocket({
        baseUrl: relay.url,
        credentials: credentialsOf(bareAccount),
      });
      let acked = 0;
      const baselineStart = performance.now();
      await new Promise<void>((resolve) => {
        let pending: bigint[] = [];
        socket.on('envelope', (e) => {
          pending.push(e.serverId);
          if (pending.length === 1) {
            setImmediate(() => {
              socket.ack(pending);
              acked += pending.length;
              pending = [];
              if (acked >= MESSAGES) resolve();
            });
          }
        });
        socket.start();
      });
      const baselineMs = performance.now() - baselineStart;
      socket.stop();

      const engine = await ws.open('bob-office');
      let progressEvents = 0;
      engine.on('event', (e) => {
        if (e.type === 'catchUp') progressEvents++;
      });
      const cpu0 = process.cpuUsage();
      const start = performance.now();
      engine.start();
      await engine.whenCaughtUp();
      const catchupMs = performance.now() - start;
      const cpu = process.cpuUsage(cpu0);
      const stored = engine.db.prepare('SELECT count(*) FROM messages').pluck().get() as number;
      log(
        `baseline ${baselineMs.toFixed(0)} ms, engine ${catchupMs.toFixed(0)} ms, ${stored} stored`,
      );
      const catchup = (MESSAGES / catchupMs) * 1000;
      const baseline = (MESSAGES / baselineMs) * 1000;
      return {
        messages: MESSAGES,
        stored,
        catchup_ms: Math.round(catchupMs),
        catchup_msgs_per_s: Math.round(catchup),
        baseline_msgs_per_s: Math.round(baseline),
        ratio: Number((catchup / baseline).toFixed(3)),
        progress_events: progressEvents,
        // This process's CPU time during the catch-up (the relay runs in its own): steadier
        // than the wall time on a shared machine when comparing two versions.
        catchup_cpu_ms: Math.round((cpu.user + cpu.system) / 1000),
      };
    } finally {
      for (const e of engines) await e.close();
      relay.child.kill('SIGTERM');
      await relay.exited;
      rmSync(root, { recursive: true, force: true });
    }
  },
};

export default suite;
