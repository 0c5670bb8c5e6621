// The engine behind one profile, as the renderer reaches it: the lifecycle before
// an engine exists (enrolment, unlocking the store), the dispatch of API calls
// received as frames, and the engine's events sent back to every connected
// renderer. Plain Node: the browser harness runs it behind a WebSocket, the
// desktop app's engine process behind a MessagePort, so the UI tests exercise
// the same code as the app.
import { randomBytes, randomUUID } from 'node:crypto';
import { createWriteStream, mkdirSync, rmSync, statSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import {
  type AccountView,
  type ApiError,
  type EngineEvent,
  EngineError,
  type Result,
  isErrorCode,
} from '../../shared/api/index.js';
import { fromHex } from '../../shared/util/bytes.js';
import { Engine, STORE_FILE } from '../engine/engine.js';
import type { RelayCa } from '../engine/relay/relay-trust.js';
import { hasKeyFile, keyFilePath, unlockStoreKey } from '../engine/store/key-file.js';
import { wipeDataDir } from '../engine/store/wipe.js';
import {
  type ClientEvent,
  type ClientFrame,
  type ClientMethod,
  type EnrolRequest,
  type HostFrame,
  type HostPhase,
  type HostStatus,
  type StagedFile,
  isClientMethod,
} from '../../shared/api/host.js';

/** The operating system's key store (safeStorage in the desktop app). */
export interface KeyProtector {
  /** The protected store key; null when none was saved; 'unreadable' when it cannot be unwrapped. */
  load(): Promise<Uint8Array | null | 'unreadable'>;
  save(storeKey: Uint8Array): Promise<void>;
}

export interface EngineHostOptions {
  readonly profile: string;
  readonly dataDir: string;
  /** Relay prefilled on the enrolment screen (machine policy or the development relay). */
  readonly relay?: { readonly url: string; readonly key: string; readonly fixedByPolicy: boolean };
  readonly keyProtector?: KeyProtector;
  /** Development profiles only: unlock at start with this passphrase. */
  readonly autoUnlockPassphrase?: string;
  /** Reconnection bounds handed to the engine (tests shorten them). */
  readonly minRetryMs?: number;
  readonly maxRetryMs?: number;
  /** Machine policy: may people turn disappearing messages on (default true). */
  readonly allowDisappearingMessages?: boolean;
  /** Authorities trusted for the relay's TLS besides Node's roots (relay-trust.ts). */
  readonly relayCa?: RelayCa;
  /** The desktop app: asks the person where to save a file (null when cancelled). */
  readonly chooseSavePath?: (suggestedName: string) => Promise<string | null>;
}

/** One renderer connected to the host. */
export interface HostConnection {
  /** Hands a client frame to the host; answers come through `send`. */
  receive(frame: unknown): void;
  close(): void;
}

/** Largest file the host stages for sending. */
export const MAX_STAGED_FILE_BYTES = 2 * 1024 ** 3;

const NOT_AVAILABLE: ApiError = { code: 'NOT_ALLOWED', message: 'not available yet' };

const fail = (code: ApiError['code'], message?: string): Result<never> => ({
  ok: false,
  error: { code, message: message ?? new EngineError(code).message },
});

function asResult(value: unknown): Result<unknown> {
  if (
    typeof value === 'object' &&
    value !== null &&
    'ok' in value &&
    typeof (value as { ok: unknown }).ok === 'boolean'
  ) {
    return value as Result<unknown>;
  }
  return { ok: true, value };
}

function errorResult(error: unknown): Result<never> {
  if (error instanceof EngineError) return fail(error.code, error.message);
  const code = (error as { code?: unknown } | null)?.code;
  if (isErrorCode(code)) return fail(code, (error as Error).message);
  return fail('INTERNAL', error instanceof Error ? error.message : String(error));
}

export class EngineHost {
  private engine: Engine | null = null;
  private phase: HostPhase = 'enrol';
  private unlockReason: HostStatus['unlockReason'] = null;
  /** The profile was erased on the ICT cell's order while the app ran (until a new enrolment). */
  private wiped = false;
  private readonly senders = new Set<(frame: HostFrame) => void>();
  /** Last value of each state event, replayed to a renderer that connects later. */
  private readonly lastState = new Map<string, EngineEvent>();
  private readonly staged = new Map<string, StagedFile & { readonly path: string }>();
  private readonly uploads = new Map<
    string,
    { path: string; name: string; size: number; fd: ReturnType<typeof createWriteStream> }
  >();
  private readonly listeners = new Set<(event: ClientEvent) => void>();
  /** Message id → folder of the staged copy its upload reads. */
  private readonly uploading = new Map<string, string>();
  /** Set by the harness: offers a saved file for download once and returns its address. */
  offerDownload: ((filePath: string, name: string) => string) | null = null;

  constructor(readonly options: EngineHostOptions) {}

  /**
   * Copies of files handed to the engine to send. The engine reads a file while it
   * uploads it (and resumes after a restart), so a copy stays until its upload is
   * done. Its name is the original one: the engine sends the file's name. A copy
   * staged to be checked (« Vérifier un document ») goes as soon as it is checked.
   */
  get stagingDir(): string {
    return path.join(this.options.dataDir, 'staging');
  }

  /** Attachments saved for a download from the harness (gone once downloaded). */
  get downloadsDir(): string {
    return path.join(this.options.dataDir, 'downloads');
  }

  private newStagingPath(name: string): string {
    const folder = path.join(this.stagingDir, randomUUID());
    mkdirSync(folder, { recursive: true, mode: 0o700 });
    return path.join(folder, safeFileName(name));
  }

  /** The running engine (tests and the bench reach the store through it). */
  get current(): Engine | null {
    return this.engine;
  }

  /** Finds out where the profile stands and opens the engine when the key is at hand. */
  async start(): Promise<HostStatus> {
    rmSync(this.downloadsDir, { recursive: true, force: true });
    if (!hasKeyFile(this.options.dataDir)) {
      this.phase = 'enrol';
      return this.status();
    }
    const protectedKey = this.options.keyProtector
      ? await this.options.keyProtector.load().catch(() => 'unreadable' as const)
      : null;
    if (protectedKey instanceof Uint8Array) {
      try {
        await this.openWithKey(protectedKey);
        return this.status();
      } catch {
        this.unlockReason = 'recovery';
      }
    } else if (protectedKey === 'unreadable') {
      this.unlockReason = 'recovery';
    }
    if (this.options.autoUnlockPassphrase !== undefined && this.unlockReason === null) {
      await this.openWithKey(
        unlockStoreKey(this.options.dataDir, this.options.autoUnlockPassphrase),
      );
      return this.status();
    }
    this.phase = 'unlock';
    this.unlockReason ??= 'start';
    return this.status();
  }

  status(): HostStatus {
    const relay = this.options.relay;
    return {
      phase: this.phase,
      relayUrl: relay?.url ?? null,
      relayKey: relay?.key ?? null,
      relayFixedByPolicy: relay?.fixedByPolicy ?? false,
      unlockReason: this.phase === 'unlock' ? this.unlockReason : null,
      profile: this.options.profile,
      wiped: this.phase === 'enrol' && this.wiped,
      disappearingMessagesAllowed: this.options.allowDisappearingMessages ?? true,
    };
  }

  async close(): Promise<void> {
    const engine = this.engine;
    this.engine = null;
    for (const upload of this.uploads.values()) upload.fd.destroy();
    this.uploads.clear();
    await engine?.close();
  }

  /** Listens to every event the renderers get (the desktop app's notifications use it). */
  onEvent(listener: (event: ClientEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Connects one renderer: `send` carries frames to it. */
  connect(send: (frame: HostFrame) => void): HostConnection {
    this.senders.add(send);
    send({ type: 'welcome' });
    for (const event of this.lastState.values()) send({ type: 'event', event });
    return {
      receive: (frame) => {
        void this.receive(frame, send);
      },
      close: () => {
        this.senders.delete(send);
      },
    };
  }

  /** Asks every renderer to lock now (screen locked, session switched). */
  lockNow(): void {
    this.broadcast({ type: 'lockNow' });
  }

  private broadcast(event: ClientEvent): void {
    for (const send of this.senders) send({ type: 'event', event });
    for (const listener of this.listeners) listener(event);
  }

  private async receive(raw: unknown, send: (frame: HostFrame) => void): Promise<void> {
    const frame = raw as Partial<ClientFrame> | null;
    if (typeof frame !== 'object' || frame === null) return;
    if (frame.type === 'upload') {
      const id = frame.id;
      if (typeof id !== 'number') return;
      const result = await this.receiveChunk(frame as Extract<ClientFrame, { type: 'upload' }>);
      if (result) send({ type: 'result', id, result });
      return;
    }
    if (frame.type !== 'call' || typeof frame.id !== 'number') return;
    const result = await this.call(frame.method, frame.args);
    send({ type: 'result', id: frame.id, result });
  }

  /** Validates and runs one call; every outcome is a Result. */
  async call(method: unknown, args: unknown): Promise<Result<unknown>> {
    if (!isClientMethod(method)) return fail('BAD_REQUEST', `Unknown method ${String(method)}.`);
    if (!Array.isArray(args) || args.length > 4) return fail('BAD_REQUEST');
    try {
      return await this.dispatch(method, args);
    } catch (error) {
      return errorResult(error);
    }
  }

  private async dispatch(method: ClientMethod, args: unknown[]): Promise<Result<unknown>> {
    switch (method) {
      case 'hostStatus':
        return { ok: true, value: this.status() };
      case 'enrol':
        return this.enrol(args[0] as EnrolRequest);
      case 'unlock':
        return this.unlock(args[0]);
      case 'verifyPassphrase':
        if (typeof args[0] !== 'string') return fail('BAD_REQUEST');
        unlockStoreKey(this.options.dataDir, args[0]);
        return { ok: true, value: undefined };
      default:
        break;
    }
    const engine = this.engine;
    if (!engine) return fail('NOT_ENROLLED');
    switch (method) {
      case 'sendFile': {
        const staged = typeof args[1] === 'string' ? this.staged.get(args[1]) : undefined;
        if (!staged) return fail('BAD_REQUEST', 'Send a file staged by this app.');
        const sent = await this.engineCall(engine, 'sendFile', [
          args[0],
          staged.path,
          // Options, if any (a JSON transport turns a missing argument into null).
          ...(args[2] !== undefined && args[2] !== null ? [args[2]] : []),
        ]);
        if (sent.ok) {
          this.staged.delete(staged.id);
          this.uploading.set((sent.value as { id: string }).id, path.dirname(staged.path));
        }
        return sent;
      }
      case 'verifyDocument':
        return this.verifyDocument(engine, args[0]);
      case 'saveAttachment':
        // A path chosen by the renderer would let it write anywhere: it asks for a download.
        return fail('NOT_ALLOWED', 'Use downloadAttachment.');
      case 'downloadAttachment':
        return this.downloadAttachment(engine, args[0], args[1]);
      case 'ownDevices': {
        const result = await this.engineCall(engine, 'ownDevices', []);
        if (!result.ok) return result;
        const me = engine.me.deviceId;
        return {
          ok: true,
          value: (result.value as { deviceId: number; active: boolean; current?: boolean }[]).map(
            (d) => ({ ...d, current: d.current ?? d.deviceId === me }),
          ),
        };
      }
      default:
        return this.engineCall(engine, method, args);
    }
  }

  /** Calls an engine method when it exists; the parts still to come answer "not available yet". */
  private async engineCall(
    engine: Engine,
    method: string,
    args: unknown[],
  ): Promise<Result<unknown>> {
    const fn = (engine as unknown as Record<string, unknown>)[method];
    if (typeof fn !== 'function') return { ok: false, error: NOT_AVAILABLE };
    return asResult(await (fn as (...a: unknown[]) => unknown).apply(engine, args));
  }

  private async enrol(request: EnrolRequest | undefined): Promise<Result<AccountView>> {
    if (this.phase !== 'enrol') return fail('ALREADY_ENROLLED');
    if (typeof request !== 'object' || request === null) return fail('BAD_REQUEST');
    const policy = this.options.relay?.fixedByPolicy ? this.options.relay : undefined;
    const relayUrl = policy?.url ?? request.relayUrl;
    const relayKey = (policy?.key ?? request.relayKey ?? '').trim();
    const { code, passphrase } = request;
    if (typeof relayUrl !== 'string' || typeof code !== 'string' || typeof passphrase !== 'string')
      return fail('BAD_REQUEST');
    let url: URL;
    try {
      url = new URL(relayUrl.trim());
      if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error('protocol');
    } catch {
      return fail('BAD_REQUEST', 'The relay address must start with https:// or http://.');
    }
    if (!/^[0-9a-fA-F]{64}$/.test(relayKey))
      return fail('BAD_REQUEST', 'The relay key must be 64 hexadecimal characters.');
    const dataDir = this.options.dataDir;
    const hadKeyFile = hasKeyFile(dataDir);
    let engine: Engine;
    try {
      engine = await Engine.enrol(
        { dataDir, passphrase, ...this.engineOptions() },
        { relayUrl: url.toString(), relayPublicKey: fromHex(relayKey.toLowerCase()), code },
      );
    } catch (error) {
      // Nothing was enrolled: leave the folder as it was, so another passphrase can be chosen.
      if (!hadKeyFile) {
        for (const file of [
          keyFilePath(dataDir),
          ...['', '-wal', '-shm'].map((s) => path.join(dataDir, STORE_FILE + s)),
        ]) {
          rmSync(file, { force: true });
        }
      }
      return errorResult(error);
    }
    if (this.options.keyProtector) {
      await this.options.keyProtector.save(unlockStoreKey(dataDir, passphrase));
    }
    this.adopt(engine);
    return engine.account();
  }

  private async unlock(passphrase: unknown): Promise<Result<AccountView>> {
    if (this.phase === 'enrol') return fail('NOT_ENROLLED');
    if (typeof passphrase !== 'string') return fail('BAD_REQUEST');
    const key = unlockStoreKey(this.options.dataDir, passphrase);
    if (this.phase === 'ready' && this.engine) return this.engine.account();
    await this.openWithKey(key);
    // The recovery path: the OS key store gets the key again.
    if (this.options.keyProtector) await this.options.keyProtector.save(key);
    return this.engine!.account();
  }

  private async openWithKey(storeKey: Uint8Array): Promise<void> {
    const engine = await Engine.open({
      dataDir: this.options.dataDir,
      storeKey,
      ...this.engineOptions(),
    });
    this.adopt(engine);
  }

  /** What the host's options say to every engine it opens. */
  private engineOptions(): {
    minRetryMs?: number;
    maxRetryMs?: number;
    allowDisappearingMessages?: boolean;
    relayCa?: RelayCa;
  } {
    return {
      ...(this.options.relayCa ? { relayCa: this.options.relayCa } : {}),
      ...(this.options.allowDisappearingMessages !== undefined
        ? { allowDisappearingMessages: this.options.allowDisappearingMessages }
        : {}),
      ...(this.options.minRetryMs !== undefined ? { minRetryMs: this.options.minRetryMs } : {}),
      ...(this.options.maxRetryMs !== undefined ? { maxRetryMs: this.options.maxRetryMs } : {}),
    };
  }

  private adopt(engine: Engine): void {
    this.engine = engine;
    this.wiped = false;
    this.phase = 'ready';
    this.unlockReason = null;
    engine.on('event', (event) => {
      if (event.type === 'messageUpdated') this.releaseStaged(event.message);
      if (
        event.type === 'connection' ||
        event.type === 'outbox' ||
        event.type === 'catchUp' ||
        event.type === 'revoked'
      ) {
        this.lastState.set(event.type, event);
      }
      this.broadcast(event);
      if (event.type === 'revoked' && event.wiped) void this.afterWipe(engine);
    });
    engine.start();
    this.broadcast({ type: 'hostStatus', status: this.status() });
  }

  /**
   * The engine has erased the profile on the ICT cell's order (it closed first): drop
   * what the host holds, erase what it kept beside (staged copies, downloads), and go
   * back to the enrolment screen, which says what happened.
   */
  private async afterWipe(engine: Engine): Promise<void> {
    if (this.engine !== engine) return;
    this.engine = null;
    for (const upload of this.uploads.values()) upload.fd.destroy();
    this.uploads.clear();
    this.staged.clear();
    this.uploading.clear();
    this.lastState.clear();
    // Again, for what the host kept (staged copies, downloads) and anything the engine
    // could not delete; the key files went first, so what stays cannot be read.
    await wipeDataDir(this.options.dataDir).catch(() => undefined);
    this.phase = 'enrol';
    this.wiped = true;
    this.broadcast({ type: 'hostStatus', status: this.status() });
  }

  // ------------------------------------------------------------ files

  /** Removes a staged copy once its message has left with every file uploaded. */
  private releaseStaged(message: {
    id: string;
    status: string;
    attachments?: readonly { state: string }[];
  }): void {
    const folder = this.uploading.get(message.id);
    if (!folder || message.status === 'waiting') return;
    if (message.attachments?.some((a) => a.state === 'uploading')) return;
    this.uploading.delete(message.id);
    rmSync(folder, { recursive: true, force: true });
  }

  /** Stages a file from a byte stream (the harness's upload route). */
  async stageStream(name: string, body: Readable): Promise<Result<StagedFile>> {
    if (!this.engine) return fail('NOT_ENROLLED');
    const cleanName = safeFileName(name);
    const file = this.newStagingPath(cleanName);
    let size = 0;
    body.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_STAGED_FILE_BYTES) body.destroy(new Error('too large'));
    });
    try {
      await pipeline(body, createWriteStream(file, { mode: 0o600 }));
    } catch {
      rmSync(file, { force: true });
      return fail('BAD_REQUEST', 'The file is too large or its transfer was interrupted.');
    }
    return { ok: true, value: this.register(file, cleanName) };
  }

  private register(file: string, name: string): StagedFile {
    const staged = {
      id: `staged:${randomBytes(16).toString('hex')}`,
      name,
      size: statSync(file).size,
      path: file,
    };
    this.staged.set(staged.id, staged);
    return { id: staged.id, name: staged.name, size: staged.size };
  }

  /** Stages a file sent in chunks over a MessagePort; answers once the last chunk is written. */
  private async receiveChunk(
    frame: Extract<ClientFrame, { type: 'upload' }>,
  ): Promise<Result<unknown> | null> {
    if (!this.engine) return fail('NOT_ENROLLED');
    if (!(frame.chunk instanceof ArrayBuffer) || typeof frame.name !== 'string') {
      return fail('BAD_REQUEST');
    }
    const key = String(frame.id);
    let upload = this.uploads.get(key);
    if (!upload) {
      const file = this.newStagingPath(frame.name);
      upload = {
        path: file,
        name: safeFileName(frame.name),
        size: 0,
        fd: createWriteStream(file, { mode: 0o600 }),
      };
      this.uploads.set(key, upload);
    }
    upload.size += frame.chunk.byteLength;
    if (upload.size > MAX_STAGED_FILE_BYTES) {
      upload.fd.destroy();
      unlinkSync(upload.path);
      this.uploads.delete(key);
      return fail('BAD_REQUEST', 'The file is too large or its transfer was interrupted.');
    }
    const current = upload;
    await new Promise<void>((resolve, reject) =>
      current.fd.write(Buffer.from(frame.chunk), (error) => (error ? reject(error) : resolve())),
    );
    if (!frame.last) return null;
    this.uploads.delete(key);
    await new Promise<void>((resolve) => current.fd.end(resolve));
    return { ok: true, value: this.register(current.path, current.name) };
  }

  /**
   * « Vérifier un document »: the engine hashes a copy staged by this host (the renderer
   * never names a path) and names the signed documents with that content. The staged
   * copy serves once: it is gone afterwards, whatever the outcome.
   */
  private async verifyDocument(engine: Engine, stagedId: unknown): Promise<Result<unknown>> {
    const staged = typeof stagedId === 'string' ? this.staged.get(stagedId) : undefined;
    if (!staged) return fail('BAD_REQUEST', 'Check a file staged by this app.');
    this.staged.delete(staged.id);
    try {
      return await this.engineCall(engine, 'verifyDocument', [staged.path]);
    } finally {
      rmSync(path.dirname(staged.path), { recursive: true, force: true });
    }
  }

  private async downloadAttachment(
    engine: Engine,
    attachmentId: unknown,
    name: unknown,
  ): Promise<Result<{ downloadUrl: string | null }>> {
    if (typeof attachmentId !== 'string' || typeof name !== 'string') return fail('BAD_REQUEST');
    if (typeof (engine as unknown as { saveAttachment?: unknown }).saveAttachment !== 'function') {
      return { ok: false, error: NOT_AVAILABLE };
    }
    let target: string | null;
    if (this.options.chooseSavePath) {
      target = await this.options.chooseSavePath(safeFileName(name));
      if (target === null) return { ok: true, value: { downloadUrl: null } };
    } else if (this.offerDownload) {
      mkdirSync(this.downloadsDir, { recursive: true, mode: 0o700 });
      target = path.join(this.downloadsDir, randomUUID());
    } else {
      return { ok: false, error: NOT_AVAILABLE };
    }
    const saved = await this.engineCall(engine, 'saveAttachment', [attachmentId, target]);
    if (!saved.ok) return saved as Result<never>;
    const downloadUrl = this.options.chooseSavePath
      ? null
      : (this.offerDownload?.(target, safeFileName(name)) ?? null);
    return { ok: true, value: { downloadUrl } };
  }
}

/** A file name without folders or control characters. */
export function safeFileName(name: string): string {
  // eslint-disable-next-line no-control-regex
  const base = path.basename(String(name).replace(/[\u0000-\u001f\\/]/g, '_')).slice(0, 200);
  return base === '' || base === '.' || base === '..' ? 'fichier' : base;
}

export type { HostStatus, ClientEvent } from '../../shared/api/host.js';
