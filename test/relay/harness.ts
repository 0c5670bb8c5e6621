// Test harness for the relay: a real relay on 127.0.0.1, port 0, in this process,
// and test devices that enrol over HTTP and talk over real `ws` sockets. Waits
// are on events with a bounded deadline, never sleeps.
import type { Classification } from '../../shared/api/classification.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { pino } from 'pino';
import WebSocket from 'ws';
import {
  type Ed25519KeyPair,
  type OneTimePrekey,
  type SignedPrekey,
  generateEd25519KeyPair,
  generateOneTimePrekeys,
  generateSignedPrekey,
  ready,
  sign,
} from '../../shared/crypto/index.js';
import {
  type ClientFrameSchema,
  type DeviceCredentials,
  type EnrolResponse,
  EnrolRequestSchema,
  EnrolResponseSchema,
  type ServerFrame,
  decodeServerFrame,
  decodeStrict,
  encode,
  encodeClientFrame,
  enrolProofSignedBytes,
  generateEnrolmentCode,
  normaliseEnrolmentCode,
  signChallenge,
  signHttpRequest,
} from '../../shared/wire/index.js';
import { type RelayLimits, mergeConfig } from '../../relay/config.js';
import { initDataDir, openStore } from '../../relay/data-dir.js';
import { hashEnrolmentCode } from '../../relay/http/directory-routes.js';
import { type RunningRelay, startRelay } from '../../relay/server.js';

export const DEADLINE_MS = 10_000;

/** Resolves when `check` returns a value other than undefined; polls with a bounded deadline. */
export async function eventually<T>(
  check: () => T | undefined | Promise<T | undefined>,
  what: string,
  deadlineMs = DEADLINE_MS,
): Promise<T> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export interface HttpResult {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Uint8Array;
  /** For error responses: { code, message }. */
  json<T = { code: string; message: string }>(): T;
}

async function toResult(response: Response): Promise<HttpResult> {
  const body = new Uint8Array(await response.arrayBuffer());
  return {
    status: response.status,
    headers: response.headers,
    body,
    json: <T>() => JSON.parse(new TextDecoder().decode(body)) as T,
  };
}

export interface EnrolOptions {
  readonly identity?: Ed25519KeyPair;
  readonly oneTimePrekeys?: number;
  /** Tamper with the request before sending. */
  readonly mutate?: (request: {
    code: string;
    identityKey: Uint8Array;
    signedPrekey: { id: number; publicKey: Uint8Array; signature: Uint8Array };
    oneTimePrekeys: { id: number; publicKey: Uint8Array }[];
    proof: Uint8Array;
  }) => void;
}

/** Where a relay answers, and the key clients pin. */
export interface RelayEndpoint {
  readonly url: string;
  readonly wsUrl: string;
  readonly publicKey: Uint8Array;
}

async function post(endpoint: RelayEndpoint, pathname: string, body: Uint8Array) {
  return toResult(
    await fetch(endpoint.url + pathname, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf' },
      body: Buffer.from(body),
    }),
  );
}

/** Sends an enrolment request; returns the raw HTTP result and the device's keys. */
export async function enrolRaw(endpoint: RelayEndpoint, code: string, options: EnrolOptions = {}) {
  const identity = options.identity ?? generateEd25519KeyPair();
  const signedPrekey: SignedPrekey = generateSignedPrekey(identity, 1);
  const oneTime: OneTimePrekey[] = generateOneTimePrekeys(1, options.oneTimePrekeys ?? 10);
  const request = {
    code,
    identityKey: identity.publicKey as Uint8Array,
    signedPrekey: {
      id: signedPrekey.id,
      publicKey: signedPrekey.keyPair.publicKey as Uint8Array,
      signature: signedPrekey.signature as Uint8Array,
    },
    oneTimePrekeys: oneTime.map((p) => ({
      id: p.id,
      publicKey: p.keyPair.publicKey as Uint8Array,
    })),
    proof: sign(
      identity.secretKey,
      enrolProofSignedBytes(
        endpoint.publicKey,
        identity.publicKey,
        normaliseEnrolmentCode(code) ?? code,
      ),
    ) as Uint8Array,
  };
  options.mutate?.(request);
  const result = await post(endpoint, '/v1/enrol', encode(EnrolRequestSchema, request));
  return { result, identity };
}

export async function enrol(
  endpoint: RelayEndpoint,
  code: string,
  options: EnrolOptions = {},
): Promise<TestDevice> {
  const { result, identity } = await enrolRaw(endpoint, code, options);
  if (result.status !== 200) {
    throw new Error(`enrolment failed: ${result.status} ${new TextDecoder().decode(result.body)}`);
  }
  const response = decodeStrict(EnrolResponseSchema, result.body, 1 << 20);
  return new TestDevice(endpoint, identity, response);
}

export class TestRelay implements RelayEndpoint {
  private constructor(
    readonly relay: RunningRelay,
    readonly dataDir: string,
    private readonly root: string,
  ) {}

  static async start(
    limits: Partial<RelayLimits> = {},
    settings: { dashboardAllow?: string[]; tlsCertFile?: string; tlsKeyFile?: string } = {},
  ): Promise<TestRelay> {
    await ready();
    const root = mkdtempSync(path.join(tmpdir(), 'comgov-relay-test-'));
    const dataDir = path.join(root, 'data');
    await initDataDir(dataDir);
    const relay = await startRelay({
      dataDir,
      config: mergeConfig({ limits, ...settings }),
      host: '127.0.0.1',
      port: 0,
      logger: pino({ level: process.env.RELAY_LOG ?? 'silent' }),
      processMetrics: false,
    });
    return new TestRelay(relay, dataDir, root);
  }

  get url(): string {
    return this.relay.url;
  }

  get wsUrl(): string {
    return this.relay.wsUrl;
  }

  get publicKey(): Uint8Array {
    return this.relay.publicKey;
  }

  /** Like `comgov-relay invite`: through a second database connection, as another process would. */
  async invite(
    userId: string,
    options: { name?: string; institution?: string; title?: string; expiresAt?: number } = {},
  ): Promise<string> {
    const store = openStore(this.dataDir);
    try {
      const code = generateEnrolmentCode();
      const now = Date.now();
      await store.inviteUser(
        {
          userId,
          displayName: options.name ?? userId.toUpperCase(),
          institution: options.institution ?? 'Ministère des tests',
          title: options.title ?? 'Agent',
        },
        hashEnrolmentCode(normaliseEnrolmentCode(code)!),
        now,
        options.expiresAt ?? now + 3_600_000,
      );
      return code;
    } finally {
      store.close();
    }
  }

  /** Like `comgov-relay clearance --level`, from a second database connection. */
  async setClearance(userId: string, clearance: Classification): Promise<void> {
    const store = openStore(this.dataDir);
    try {
      await store.setClearance(userId, clearance, Date.now());
    } finally {
      store.close();
    }
  }

  /** Like `comgov-relay org`, from a second database connection. */
  async setOrg(userId: string, org: { unit?: string; manager?: string | null }): Promise<void> {
    const store = openStore(this.dataDir);
    try {
      await store.setOrg(userId, org, Date.now());
    } finally {
      store.close();
    }
  }

  /** Like `comgov-relay revoke [--wipe]`, from a second database connection. */
  async revoke(userId: string, deviceId?: number, options: { wipe?: boolean } = {}): Promise<void> {
    const store = openStore(this.dataDir);
    try {
      await store.revoke(userId, deviceId, Date.now(), 'cli', options);
    } finally {
      store.close();
    }
  }

  async post(pathname: string, body: Uint8Array, headers: Record<string, string> = {}) {
    return toResult(
      await fetch(this.url + pathname, {
        method: 'POST',
        headers: { 'content-type': 'application/x-protobuf', ...headers },
        body: Buffer.from(body),
      }),
    );
  }

  enrolRaw(code: string, options: EnrolOptions = {}) {
    return enrolRaw(this, code, options);
  }

  enrol(code: string, options: EnrolOptions = {}): Promise<TestDevice> {
    return enrol(this, code, options);
  }

  /** Invite + enrol in one step. */
  async newDevice(userId: string, options: EnrolOptions = {}): Promise<TestDevice> {
    return this.enrol(await this.invite(userId), options);
  }

  async close(): Promise<void> {
    await this.relay.close();
    rmSync(this.root, { recursive: true, force: true });
  }
}

export class TestDevice implements DeviceCredentials {
  readonly userId: string;
  readonly deviceId: number;
  readonly identitySecretKey;
  readonly relayPublicKey: Uint8Array;

  constructor(
    /** Mutable: a restarted relay answers on another port. */
    public relay: RelayEndpoint,
    readonly identity: Ed25519KeyPair,
    readonly enrolment: EnrolResponse,
  ) {
    this.userId = enrolment.user!.userId;
    this.deviceId = enrolment.deviceId;
    this.identitySecretKey = identity.secretKey;
    this.relayPublicKey = relay.publicKey;
  }

  get address() {
    return { userId: this.userId, deviceId: this.deviceId };
  }

  /** A signed HTTP request. */
  async request(
    method: string,
    pathname: string,
    options: { body?: Uint8Array; headers?: Record<string, string>; contentType?: string } = {},
  ): Promise<HttpResult> {
    const isBlobPatch = options.contentType === 'application/offset+octet-stream';
    const signed = signHttpRequest(this, method, pathname, isBlobPatch ? undefined : options.body);
    const headers: Record<string, string> = { ...signed, ...options.headers };
    if (options.body) headers['content-type'] = options.contentType ?? 'application/x-protobuf';
    return toResult(
      await fetch(this.relay.url + pathname, {
        method,
        headers,
        body: options.body ? Buffer.from(options.body) : undefined,
      }),
    );
  }

  /** Opens a socket and answers the challenge; resolves after AuthOk. */
  async connect(): Promise<TestSocket> {
    const socket = await TestSocket.open(this.relay.wsUrl);
    const challenge = await socket.next('challenge');
    socket.send({
      requestId: 1,
      body: {
        case: 'auth',
        value: {
          userId: this.userId,
          deviceId: this.deviceId,
          signature: signChallenge(this, challenge.body.value!.nonce as Uint8Array),
        },
      },
    });
    const reply = await socket.next(['authOk', 'error']);
    if (reply.body.case !== 'authOk') {
      throw new Error(`authentication refused: ${JSON.stringify(reply.body.value)}`);
    }
    return socket;
  }
}

type Case = NonNullable<ServerFrame['body']['case']>;
type FrameOf<C extends Case> = ServerFrame & { body: Extract<ServerFrame['body'], { case: C }> };

/** A raw device socket that records every frame it receives. */
export class TestSocket {
  readonly frames: ServerFrame[] = [];
  private readPosition = 0;
  private waiters: (() => void)[] = [];
  closeCode: number | undefined;
  closeReason = '';
  readonly closed: Promise<void>;
  private nextRequestId = 100;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      this.frames.push(decodeServerFrame(new Uint8Array(data)));
      this.wake();
    });
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        this.closeCode = code;
        this.closeReason = reason.toString();
        this.wake();
        resolve();
      });
    });
    ws.on('error', () => undefined);
  }

  static open(url: string): Promise<TestSocket> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url);
      const socket = new TestSocket(ws);
      ws.once('open', () => resolve(socket));
      ws.once('error', reject);
    });
  }

  private wake(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }

  sendRaw(bytes: Uint8Array): void {
    this.ws.send(bytes);
  }

  send(init: MessageInitShape<typeof ClientFrameSchema>): void {
    this.ws.send(encodeClientFrame(init));
  }

  requestId(): number {
    return this.nextRequestId++;
  }

  /** The next unread frame of one of `cases` (other frames are skipped but kept in `frames`). */
  async next<C extends Case>(cases: C | C[], deadlineMs = DEADLINE_MS): Promise<FrameOf<C>> {
    const wanted = Array.isArray(cases) ? cases : [cases];
    const end = Date.now() + deadlineMs;
    for (;;) {
      while (this.readPosition < this.frames.length) {
        const frame = this.frames[this.readPosition++]!;
        if (wanted.includes(frame.body.case as C)) return frame as FrameOf<C>;
      }
      if (this.closeCode !== undefined) {
        throw new Error(
          `socket closed (${this.closeCode} ${this.closeReason}) while waiting for ${wanted.join('/')}`,
        );
      }
      const remaining = end - Date.now();
      if (remaining <= 0) throw new Error(`Timed out waiting for ${wanted.join('/')}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, remaining);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** The reply (any case) to request `requestId`. */
  async reply(requestId: number, deadlineMs = DEADLINE_MS): Promise<ServerFrame> {
    const end = Date.now() + deadlineMs;
    for (;;) {
      const found = this.frames.find((f) => f.requestId === requestId);
      if (found) return found;
      if (this.closeCode !== undefined) throw new Error(`socket closed before reply ${requestId}`);
      if (Date.now() > end) throw new Error(`Timed out waiting for reply ${requestId}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(1, end - Date.now()));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Submits one ciphertext per device; returns the reply frame. */
  async submitTo(
    recipients: { userId: string; deviceId: number }[],
    ciphertext: (r: { userId: string; deviceId: number }) => Uint8Array,
  ): Promise<ServerFrame> {
    return this.reply(this.sendSubmit(recipients, ciphertext));
  }

  /** Sends a submission (one ciphertext per device) without waiting; returns its request id. */
  sendSubmit(
    recipients: { userId: string; deviceId: number }[],
    ciphertext: (r: { userId: string; deviceId: number }) => Uint8Array,
  ): number {
    const requestId = this.requestId();
    this.send({
      requestId,
      body: {
        case: 'submit',
        value: {
          kind: {
            case: 'perDevice',
            value: { messages: recipients.map((to) => ({ to, ciphertext: ciphertext(to) })) },
          },
        },
      },
    });
    return requestId;
  }

  /** A ping answered: the relay handles a socket's frames in order, so all sent before it are read. */
  async roundTrip(): Promise<void> {
    const requestId = this.requestId();
    this.send({ requestId, body: { case: 'ping', value: {} } });
    await this.reply(requestId);
  }

  async fanOut(
    recipients: { userId: string; deviceId: number }[],
    ciphertext: Uint8Array,
  ): Promise<ServerFrame> {
    const requestId = this.requestId();
    this.send({
      requestId,
      body: {
        case: 'submit',
        value: { kind: { case: 'fanOut', value: { ciphertext, recipients } } },
      },
    });
    return this.reply(requestId);
  }

  ack(serverIds: readonly bigint[]): void {
    this.send({
      requestId: this.requestId(),
      body: { case: 'ack', value: { serverIds: [...serverIds] } },
    });
  }

  /** Collects `count` envelopes (in arrival order). */
  async envelopes(count: number, deadlineMs = DEADLINE_MS): Promise<FrameOf<'envelope'>[]> {
    const out: FrameOf<'envelope'>[] = [];
    while (out.length < count) out.push(await this.next('envelope', deadlineMs));
    return out;
  }

  async close(): Promise<void> {
    if (this.closeCode === undefined) this.ws.close();
    await this.closed;
  }
}

export const text = (s: string) => new TextEncoder().encode(s);
export const untext = (b: Uint8Array) => new TextDecoder().decode(b);
