// SIGKILL of the relay process in the middle of a load: every envelope the relay
// acknowledged must be delivered after a restart on the same data folder.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ready } from '../../shared/crypto/index.js';
import { fromHex } from '../../shared/util/bytes.js';
import { runCli, serve } from './cli-process.js';
import { type RelayEndpoint, type TestDevice, enrol, text, untext } from './harness.js';

describe('durability', () => {
  let root: string;
  let dataDir: string;
  beforeAll(async () => {
    await ready();
    root = mkdtempSync(path.join(tmpdir(), 'comgov-relay-kill-'));
    dataDir = path.join(root, 'data');
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('delivers every acknowledged envelope after a kill -9 mid-load', async () => {
    const init = await runCli(['init', '--data', dataDir]);
    expect(init.code).toBe(0);
    const publicKey = fromHex(init.lastLine);
    const endpoint = (url: string): RelayEndpoint => ({
      url,
      wsUrl: `${url.replace(/^http/, 'ws')}/v1/ws`,
      publicKey,
    });

    let relay = await serve(dataDir);
    // Invitations are made by the CLI while the server runs.
    const codes = await Promise.all(
      ['alice', 'bob'].map((user) =>
        runCli(['invite', '--data', dataDir, '--user', user, '--name', user]),
      ),
    );
    expect(codes.map((c) => c.code)).toEqual([0, 0]);
    const alice: TestDevice = await enrol(endpoint(relay.url), codes[0]!.lastLine);
    const bob: TestDevice = await enrol(endpoint(relay.url), codes[1]!.lastLine);

    const sender = await alice.connect();
    const acknowledged = new Set<string>();
    const sent = new Set<string>();
    let next = 0;
    const window = 64;
    const killAfter = 400;
    let killed = false;
    await new Promise<void>((resolve) => {
      const pending = new Map<number, string>();
      // Submissions keep going until the socket closes, so that some are always in
      // flight when the relay dies (if the sender stopped at the kill, every one of
      // them could be acknowledged first on a fast machine).
      const pump = () => {
        while (pending.size < window) {
          const marker = `envelope-${next++}`;
          const requestId = sender.requestId();
          pending.set(requestId, marker);
          sent.add(marker);
          sender.send({
            requestId,
            body: {
              case: 'submit',
              value: {
                kind: {
                  case: 'perDevice',
                  value: { messages: [{ to: bob.address, ciphertext: text(marker) }] },
                },
              },
            },
          });
        }
      };
      sender.ws.on('message', () => {
        for (const frame of sender.frames.splice(0)) {
          const marker = pending.get(frame.requestId);
          if (marker === undefined) continue;
          pending.delete(frame.requestId);
          if (frame.body.case === 'submitOk') acknowledged.add(marker);
        }
        if (!killed && acknowledged.size >= killAfter) {
          killed = true;
          relay.child.kill('SIGKILL');
        }
        pump();
      });
      sender.ws.on('close', () => resolve());
      pump();
    });
    const exit = await relay.exited;
    expect(exit.signal).toBe('SIGKILL');
    expect(acknowledged.size).toBeGreaterThanOrEqual(killAfter);
    // Submissions were still in flight when the relay died.
    expect(sent.size).toBeGreaterThan(acknowledged.size);

    relay = await serve(dataDir);
    bob.relay = endpoint(relay.url);
    const receiver = await bob.connect();
    await receiver.next('queueDrained');
    const delivered = receiver.frames.flatMap((f) =>
      f.body.case === 'envelope' ? [untext(f.body.value.ciphertext)] : [],
    );
    const missing = [...acknowledged].filter((m) => !delivered.includes(m));
    expect(missing).toEqual([]);
    // Nothing was invented, nothing duplicated, and the order is the order of submission.
    expect(delivered.every((m) => sent.has(m))).toBe(true);
    expect(new Set(delivered).size).toBe(delivered.length);
    const numbers = delivered.map((m) => Number(m.split('-')[1]));
    expect(numbers).toEqual([...numbers].sort((a, b) => a - b));
    await receiver.close();

    // A graceful stop on SIGTERM exits with 0.
    relay.child.kill('SIGTERM');
    expect((await relay.exited).code).toBe(0);
  });
});
