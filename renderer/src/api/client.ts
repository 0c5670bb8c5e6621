// The typed API on top of a transport: `api.sendText(…)` and friends, each
// answering with a Result, and the events of the engine and of its host.
import type { Result } from '../../../shared/api/index.js';
import type {
  ClientApi,
  ClientEvent,
  ClientMethod,
  HostFrame,
  StagedFile,
} from '../../../shared/api/host.js';
import type { LinkState, Transport } from './transport.js';

export interface Client {
  readonly api: ClientApi;
  onEvent(listener: (event: ClientEvent) => void): () => void;
  onLink(listener: (state: LinkState) => void): () => void;
  stageFile(file: File, onProgress: (sent: number) => void): Promise<Result<StagedFile>>;
}

const LINK_LOST: Result<never> = {
  ok: false,
  error: { code: 'INTERNAL', message: 'The link to the engine was lost; try again.' },
};

export function createClient(transport: Transport): Client {
  let nextId = 1;
  const pending = new Map<number, (result: Result<unknown>) => void>();
  const eventListeners = new Set<(event: ClientEvent) => void>();
  const linkListeners = new Set<(state: LinkState) => void>();

  const awaitResult = (id: number) =>
    new Promise<Result<unknown>>((resolve) => pending.set(id, resolve));

  transport.start({
    frame(frame: HostFrame) {
      if (frame.type === 'result') {
        pending.get(frame.id)?.(frame.result);
        pending.delete(frame.id);
      } else if (frame.type === 'event') {
        for (const listener of eventListeners) listener(frame.event);
      }
    },
    state(state) {
      if (state === 'closed') {
        // Calls in flight cannot be answered any more; the UI shows an error, nothing is lost.
        for (const resolve of pending.values()) resolve(LINK_LOST);
        pending.clear();
      }
      for (const listener of linkListeners) listener(state);
    },
  });

  const call = (method: ClientMethod, args: unknown[]): Promise<Result<unknown>> => {
    const id = nextId++;
    const answer = awaitResult(id);
    transport.send({ type: 'call', id, method, args });
    return answer;
  };

  const api = new Proxy({} as ClientApi, {
    get(_target, method) {
      return (...args: unknown[]) => call(method as ClientMethod, args);
    },
  });

  return {
    api,
    onEvent(listener) {
      eventListeners.add(listener);
      return () => eventListeners.delete(listener);
    },
    onLink(listener) {
      linkListeners.add(listener);
      return () => linkListeners.delete(listener);
    },
    stageFile(file, onProgress) {
      return transport.stageFile(file, onProgress, { nextId: () => nextId++, result: awaitResult });
    },
  };
}
