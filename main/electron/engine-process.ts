// The engine's utilityProcess (dist/engine/engine.js): the EngineHost of one
// profile, reached by each window over its own MessagePort. It asks main for
// what only main has: the OS key store, the save dialog, notifications. Plain
// Node: nothing here imports 'electron' (the parent port is a global of the
// utility process).
import type { MessagePortMain } from 'electron';
import type { Classification, ConversationView, Result } from '../../shared/api/index.js';
import { desktopRelayCa } from '../engine/relay/relay-trust.js';
import { EngineHost } from '../harness/engine-host.js';
import type { EngineInit, EngineToMain, MainToEngine } from './engine-protocol.js';
import { GroupTitles } from './group-titles.js';

interface ParentPort {
  on(
    event: 'message',
    listener: (message: { data: MainToEngine; ports: MessagePortMain[] }) => void,
  ): void;
  postMessage(message: EngineToMain): void;
}

const parentPort = (process as unknown as { parentPort?: ParentPort }).parentPort;
if (!parentPort) {
  console.error(
    'dist/engine/engine.js runs inside the desktop app (Electron utilityProcess) only.',
  );
  process.exit(2);
}
const port: ParentPort = parentPort;

let host: EngineHost | null = null;
let nextRequest = 1;
const waiting = new Map<number, (answer: MainToEngine) => void>();
const early: { data: MainToEngine; ports: MessagePortMain[] }[] = [];

function ask(message: EngineToMain & { id: number }): Promise<MainToEngine> {
  return new Promise((resolve) => {
    waiting.set(message.id, resolve);
    port.postMessage(message);
  });
}

function attach(rendererPort: MessagePortMain, engineHost: EngineHost): void {
  const connection = engineHost.connect((frame) => rendererPort.postMessage(frame));
  rendererPort.on('message', (event) => connection.receive(event.data));
  rendererPort.on('close', () => connection.close());
  rendererPort.start();
}

async function init(message: EngineInit): Promise<void> {
  const protectedKey =
    message.protectedKey === null || message.protectedKey === 'unreadable'
      ? message.protectedKey
      : new Uint8Array(Buffer.from(message.protectedKey, 'hex'));
  const trust = await desktopRelayCa(message.relayCaFile);
  if (trust.problem) console.error(trust.problem);
  const engineHost = new EngineHost({
    profile: message.profile,
    ...(trust.ca.length > 0 ? { relayCa: trust.ca } : {}),
    dataDir: message.dataDir,
    ...(message.relay ? { relay: message.relay } : {}),
    ...(message.devPassphrase ? { autoUnlockPassphrase: message.devPassphrase } : {}),
    allowDisappearingMessages: message.disappearingMessages,
    keyProtector: {
      load: async () => protectedKey,
      save: async (key) => {
        await ask({
          type: 'protectKey',
          id: nextRequest++,
          keyHex: Buffer.from(key).toString('hex'),
        });
      },
    },
    chooseSavePath: async (name) => {
      const answer = await ask({ type: 'chooseSavePath', id: nextRequest++, name });
      return answer.type === 'savePathChosen' ? answer.path : null;
    },
  });
  const status = await engineHost.start();
  if (status.phase === 'enrol' && message.devEnrolCode && message.relay && message.devPassphrase) {
    await engineHost.call('enrol', [
      {
        relayUrl: message.relay.url,
        relayKey: message.relay.key,
        code: message.devEnrolCode,
        passphrase: message.devPassphrase,
      },
    ]);
  }
  const groupTitles = new GroupTitles(
    () => engineHost.call('listConversations', []) as Promise<Result<readonly ConversationView[]>>,
  );
  engineHost.onEvent((event) => {
    if (event.type === 'hostStatus') port.postMessage({ type: 'status', status: event.status });
    // A timer notice is seen in the conversation; it does not call for a notification.
    if (event.type === 'message' && !event.message.outgoing && event.message.kind !== 'timer') {
      void notify(engineHost, groupTitles, event.message);
    }
    if (event.type === 'conversation') groupTitles.forget(event.conversationId);
    if (event.type === 'storage' && event.problem) {
      port.postMessage({ type: 'storageProblem', problem: event.problem });
    }
    if (event.type === 'revoked') port.postMessage({ type: 'deviceRevoked', wiped: event.wiped });
  });
  host = engineHost;
  port.postMessage({ type: 'status', status: engineHost.status() });
  for (const queued of early.splice(0)) handle(queued);
}

async function notify(
  engineHost: EngineHost,
  groupTitles: GroupTitles,
  message: {
    conversationId: string;
    senderId: string;
    senderName?: string;
    text: string | null;
    classification?: Classification;
  },
): Promise<void> {
  // A labelled message never shows its text outside the app, whatever the setting:
  // the notification names the label instead ("Message Confidentiel").
  const label =
    message.classification && message.classification !== 'none' ? message.classification : null;
  // Without the engine's settings, the safe choice: the sender only, never the text.
  const settings = label ? null : await engineHost.call('settings', []);
  const showText =
    settings !== null &&
    settings.ok &&
    (settings.value as { notificationsShowText?: boolean }).notificationsShowText === true;
  const group = await groupTitles.title(message.conversationId);
  port.postMessage({
    type: 'notify',
    conversationId: message.conversationId,
    sender: message.senderName ?? message.senderId,
    ...(group !== undefined ? { group } : {}),
    text: showText ? message.text : null,
    showText,
    ...(label ? { classification: label } : {}),
  });
}

function handle(event: { data: MainToEngine; ports: MessagePortMain[] }): void {
  const message = event.data;
  switch (message.type) {
    case 'init':
      void init(message).catch((error: unknown) => {
        console.error(error);
        process.exit(1);
      });
      return;
    case 'keyProtected':
    case 'savePathChosen':
      waiting.get(message.id)?.(message);
      waiting.delete(message.id);
      return;
    case 'shutdown':
      void (host?.close() ?? Promise.resolve()).finally(() => {
        port.postMessage({ type: 'closed' });
        process.exit(0);
      });
      return;
    default:
      break;
  }
  if (!host) {
    early.push(event);
    return;
  }
  if (message.type === 'connect' && event.ports[0]) attach(event.ports[0], host);
  if (message.type === 'lockNow') host.lockNow();
}

port.on('message', handle);
