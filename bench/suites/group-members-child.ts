// Members' half of the group bench (see group.ts): a share of the group's members,
// each a real engine with its own encrypted store and WebSocket, in a process of its
// own, as members are on their own PCs. Reports when each member has stored each
// message (wall-clock milliseconds with sub-millisecond precision, comparable
// across processes) and when the envelope reached its socket.
import path from 'node:path';
import { Engine } from '../../main/engine/engine.js';
import type { EngineEvent } from '../../shared/api/contract.js';
import { fromHex } from '../../shared/util/bytes.js';
import { randomBytes, ready } from '../../shared/crypto/index.js';

export interface MembersStart {
  readonly relayUrl: string;
  readonly relayPublicKey: string;
  readonly root: string;
  readonly members: readonly { readonly userId: string; readonly code: string }[];
}

export type MembersReport =
  | { readonly type: 'ready' }
  | {
      readonly type: 'stored';
      readonly userId: string;
      readonly messageId: string;
      readonly at: number;
    }
  | { readonly type: 'arrived'; readonly at: number };

const now = () => performance.timeOrigin + performance.now();
const send = (report: MembersReport) => process.send!(report);

await ready();
const engines: Engine[] = [];

process.on('message', (message: { type: 'start'; start: MembersStart } | { type: 'stop' }) => {
  if (message.type === 'stop') {
    void Promise.all(engines.map((e) => e.close())).then(() => process.exit(0));
    return;
  }
  void startMembers(message.start).catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
});

async function startMembers(start: MembersStart): Promise<void> {
  for (const { userId, code } of start.members) {
    const engine = await Engine.enrol(
      { dataDir: path.join(start.root, userId), storeKey: randomBytes(32) },
      { relayUrl: start.relayUrl, relayPublicKey: fromHex(start.relayPublicKey), code },
    );
    engine.start();
    engines.push(engine);
  }
  await Promise.all(engines.map((e) => e.whenOnline()));
  for (const engine of engines) {
    engine.on('event', (e: EngineEvent) => {
      if (e.type === 'message' && !e.message.outgoing) {
        send({ type: 'stored', userId: engine.me.userId, messageId: e.message.id, at: now() });
      }
    });
    (engine as unknown as { socket: { on(e: 'envelope', f: () => void): void } }).socket.on(
      'envelope',
      () => send({ type: 'arrived', at: now() }),
    );
  }
  send({ type: 'ready' });
}
