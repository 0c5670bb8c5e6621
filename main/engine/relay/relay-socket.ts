// The engine's one long-lived WebSocket to the relay: challenge/response
// authentication with the identity key, submissions matched to their replies by
// request id, envelopes pushed by the relay, heartbeats, and reconnection with
// exponential back-off and jitter. It reports its state as events; it never
// throws at the engine for a lost connection (the outbox simply waits).
import { EventEmitter } from 'node:events';
import type { MessageInitShape } from '@bufbuild/protobuf';
import WebSocket from 'ws';
import type { ConnectionProblem } from '../../../shared/api/contract.js';
import { asEd25519PublicKey, verify } from '../../../shared/crypto/index.js';
import { bytesEqual } from '../../../shared/util/bytes.js';
import {
  type DeviceCredentials,
  type Envelope,
  type ErrorFrame,
  type ServerFrame,
  type SubmitOk,
  type SubmitSchema,
  PROTOCOL_VERSION,
  decodeServerFrame,
  encodeClientFrame,
  signChallenge,
  wipeOrderSignedBytes,
} from '../../../shared/wire/index.js';
import { type RelayCa, caOption, isCertificateError } from './relay-trust.js';

/** The relay's WebSocket endpoint (relay/server.ts WEBSOCKET_PATH). */
const WEBSOCKET_PATH = '/v1/ws';
const HEARTBEAT_MS = 20_000;
const HEARTBEAT_TIMEOUT_MS = 10_000;
const SUBMIT_TIMEOUT_MS = 30_000;

export type ConnectionState = 'offline' | 'connecting' | 'online' | 'stopped';

/** A refusal of one submission or a fatal error of the connection. */
export class RelayFrameError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly frame: ErrorFrame | null,
  ) {
    super(message);
    this.name = 'RelayFrameError';
  }
}

export interface RelaySocketOptions {
  readonly baseUrl: string;
  readonly credentials: DeviceCredentials;
  /** Authorities trusted for the relay's TLS besides Node's roots (relay-trust.ts). */
  readonly relayCa?: RelayCa;
  /** Back-off bounds for reconnection (ms). */
  readonly minRetryMs?: number;
  readonly maxRetryMs?: number;
}

interface Pending {
  resolve(ok: SubmitOk): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

export interface RelaySocketEvents {
  state: [ConnectionState];
  envelope: [Envelope];
  /** Everything queued when we authenticated has been pushed. */
  drained: [];
  prekeysLow: [number];
  /** The relay refused this device for good (revoked, replaced): no more retries. */
  fatal: [RelayFrameError];
  /**
   * The ICT cell ordered this device's data erased: an order signed by the pinned relay
   * key and bound to the challenge just answered (so neither forged nor replayed). The
   * socket has stopped; the argument is when the order was given (ms since the epoch).
   */
  wipe: [number];
}

export class RelaySocket extends EventEmitter<RelaySocketEvents> {
  private ws: WebSocket | undefined;
  private state: ConnectionState = 'offline';
  private nextRequestId = 1;
  private readonly pending = new Map<number, Pending>();
  private retryDelay: number;
  private retryTimer: NodeJS.Timeout | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private pongDeadline: NodeJS.Timeout | undefined;
  private stopped = true;
  /** Envelopes the relay said were queued when we authenticated (for progress). */
  queuedAtConnect = 0;
  /** The challenge answered on the current socket (a wipe order must be bound to it). */
  private answeredNonce: Uint8Array | undefined;
  /**
   * Why the last attempts failed, when a person can do something about it: the relay's
   * certificate is not trusted here (a renewal by an authority not deployed to this
   * computer). Kept through the retries, cleared once online.
   */
  private lastProblem: ConnectionProblem | null = null;

  constructor(private readonly options: RelaySocketOptions) {
    super();
    this.retryDelay = options.minRetryMs ?? 500;
  }

  get connectionState(): ConnectionState {
    return this.state;
  }

  get problem(): ConnectionProblem | null {
    return this.lastProblem;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.connect();
  }

  /** Closes the socket and stops reconnecting. Pending submissions fail as retryable. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.teardown(new RelayFrameError('RELAY_UNREACHABLE', 'The connection was closed.', null));
    this.setState('stopped');
  }

  /** Resolves once authenticated (or rejects when stopped). */
  whenOnline(): Promise<void> {
    if (this.state === 'online') return Promise.resolve();
    if (this.state === 'stopped') {
      return Promise.reject(
        new RelayFrameError('RELAY_UNREACHABLE', 'The connection was stopped.', null),
      );
    }
    return new Promise((resolve, reject) => {
      const onState = (s: ConnectionState) => {
        if (s === 'online') {
          this.off('state', onState);
          resolve();
        } else if (s === 'stopped') {
          this.off('state', onState);
          reject(new RelayFrameError('RELAY_UNREACHABLE', 'The connection was stopped.', null));
        }
      };
      this.on('state', onState);
    });
  }

  /** Sends one submission; resolves after the relay has committed it. */
  submit(submit: MessageInitShape<typeof SubmitSchema>): Promise<SubmitOk> {
    const ws = this.ws;
    if (this.state !== 'online' || !ws) {
      return Promise.reject(
        new RelayFrameError('RELAY_UNREACHABLE', 'Not connected to the relay.', null),
      );
    }
    const requestId = this.takeRequestId();
    return new Promise<SubmitOk>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(requestId);
        reject(new RelayFrameError('RELAY_UNREACHABLE', 'The relay did not answer in time.', null));
      }, SUBMIT_TIMEOUT_MS);
      this.pending.set(requestId, { resolve, reject, timer });
      ws.send(
        encodeClientFrame({
          version: PROTOCOL_VERSION,
          requestId,
          body: { case: 'submit', value: submit },
        }),
      );
    });
  }

  /** Acknowledges committed envelopes. Lost acks are harmless: the relay redelivers. */
  ack(serverIds: readonly bigint[]): void {
    if (this.state !== 'online' || !this.ws || serverIds.length === 0) return;
    this.ws.send(
      encodeClientFrame({
        version: PROTOCOL_VERSION,
        requestId: this.takeRequestId(),
        body: { case: 'ack', value: { serverIds: [...serverIds] } },
      }),
    );
  }

  private takeRequestId(): number {
    const id = this.nextRequestId;
    this.nextRequestId = this.nextRequestId >= 0x7fffffff ? 1 : this.nextRequestId + 1;
    return id;
  }

  private setState(state: ConnectionState): void {
    if (this.state === state) return;
    this.state = state;
    if (state === 'online') this.lastProblem = null;
    this.emit('state', state);
  }

  private connect(): void {
    if (this.stopped) return;
    this.answeredNonce = undefined;
    this.setState('connecting');
    const url = new URL(WEBSOCKET_PATH, this.options.baseUrl);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    const ca = caOption(this.options.relayCa);
    const ws = new WebSocket(url, { maxPayload: 4 * 1024 * 1024, ...(ca ? { ca } : {}) });
    ws.binaryType = 'nodebuffer';
    this.ws = ws;
    ws.on('message', (data: Buffer) => this.onFrame(ws, data));
    ws.on('pong', () => clearTimeout(this.pongDeadline));
    ws.on('close', () => this.onClose(ws));
    ws.on('error', (error) => {
      // 'close' follows and schedules the retry.
      if (ws === this.ws) {
        this.lastProblem = isCertificateError(error) ? 'RELAY_CERTIFICATE_UNTRUSTED' : null;
      }
    });
  }

  private onFrame(ws: WebSocket, data: Buffer): void {
    if (ws !== this.ws) return;
    let frame: ServerFrame;
    try {
      frame = decodeServerFrame(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    } catch {
      ws.terminate(); // a relay speaking nonsense: reconnect from scratch
      return;
    }
    const body = frame.body;
    switch (body.case) {
      case 'challenge': {
        if (!bytesEqual(body.value.relayPublicKey, this.options.credentials.relayPublicKey)) {
          const error = new RelayFrameError(
            'RELAY_KEY_MISMATCH',
            'The relay presented a key other than the pinned one; the connection was refused.',
            null,
          );
          this.emit('fatal', error);
          this.stop();
          return;
        }
        const c = this.options.credentials;
        this.answeredNonce = body.value.nonce;
        ws.send(
          encodeClientFrame({
            version: PROTOCOL_VERSION,
            requestId: this.takeRequestId(),
            body: {
              case: 'auth',
              value: {
                userId: c.userId,
                deviceId: c.deviceId,
                signature: signChallenge(c, body.value.nonce),
              },
            },
          }),
        );
        return;
      }
      case 'wipe': {
        // At authentication, or on the open connection when the revocation comes later.
        const nonce = this.answeredNonce;
        const c = this.options.credentials;
        const requestedAt = Number(body.value.requestedAt);
        const genuine =
          nonce !== undefined &&
          verify(
            asEd25519PublicKey(c.relayPublicKey),
            wipeOrderSignedBytes(c.relayPublicKey, nonce, c.userId, c.deviceId, requestedAt),
            body.value.signature,
          );
        // Anything else is not an order from our relay: ignored (the refusal follows).
        if (!genuine) return;
        this.stop();
        this.emit('wipe', requestedAt);
        return;
      }
      case 'authOk':
        this.queuedAtConnect = body.value.queued;
        this.retryDelay = this.options.minRetryMs ?? 500;
        this.startHeartbeat(ws);
        this.setState('online');
        return;
      case 'envelope':
        this.emit('envelope', body.value);
        return;
      case 'queueDrained':
        this.emit('drained');
        return;
      case 'prekeysLow':
        this.emit('prekeysLow', body.value.remaining);
        return;
      case 'submitOk': {
        const p = this.pending.get(frame.requestId);
        if (p) {
          this.pending.delete(frame.requestId);
          clearTimeout(p.timer);
          p.resolve(body.value);
        }
        return;
      }
      case 'error': {
        const error = new RelayFrameError(body.value.code, body.value.message, body.value);
        const p = this.pending.get(frame.requestId);
        if (p) {
          this.pending.delete(frame.requestId);
          clearTimeout(p.timer);
          p.reject(error);
        }
        if (
          body.value.fatal &&
          ['DEVICE_REVOKED', 'AUTH_FAILED', 'REPLACED'].includes(body.value.code)
        ) {
          this.emit('fatal', error);
          this.stop();
        }
        return;
      }
      case 'pong':
        return;
      default:
        return;
    }
  }

  private startHeartbeat(ws: WebSocket): void {
    clearInterval(this.heartbeat);
    this.heartbeat = setInterval(() => {
      if (ws.readyState !== WebSocket.OPEN) return;
      ws.ping();
      clearTimeout(this.pongDeadline);
      this.pongDeadline = setTimeout(() => ws.terminate(), HEARTBEAT_TIMEOUT_MS);
    }, HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  private teardown(reason: Error): void {
    clearInterval(this.heartbeat);
    clearTimeout(this.pongDeadline);
    const ws = this.ws;
    this.ws = undefined;
    if (ws) {
      ws.removeAllListeners('message');
      ws.on('error', () => undefined);
      ws.terminate();
    }
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(reason);
      this.pending.delete(id);
    }
  }

  private onClose(ws: WebSocket): void {
    if (ws !== this.ws) return;
    this.teardown(
      new RelayFrameError('RELAY_UNREACHABLE', 'The connection to the relay was lost.', null),
    );
    if (this.stopped) return;
    this.setState('offline');
    // Full jitter: a whole ministry coming back after an outage does not reconnect in step.
    const delay = Math.random() * this.retryDelay;
    this.retryDelay = Math.min(this.retryDelay * 2, this.options.maxRetryMs ?? 60_000);
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }
}
