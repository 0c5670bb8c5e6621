// One device's WebSocket: challenge/response authentication, then frames in
// (submit, ack, ping) and envelopes out. Delivery keeps per-device order: the
// backlog is read from the store in server-id order, and only once it is drained
// does the connection switch to "live" and take new envelopes straight from the
// router (which offers them in server-id order too, before their commit). A bounded
// window of unacknowledged envelopes keeps a slow reader from growing the relay's memory.
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { RawData, WebSocket } from 'ws';
import { asEd25519PublicKey, randomBytes, sign, verify } from '../../shared/crypto/index.js';
import type { ClientFrame, Submit } from '../../shared/wire/gen/relay_pb.js';
import {
  CHALLENGE_NONCE_BYTES,
  type RelayErrorCode,
  WIRE_LIMITS,
  WireError,
  challengeSignedBytes,
  wipeOrderSignedBytes,
  decodeClientFrame,
  encodeEnvelopeFrame,
  encodeServerFrame,
  encodeSubmitOkFrame,
} from '../../shared/wire/index.js';
import type { RelayContext } from '../context.js';
import { TokenBucket } from '../rate-limit.js';
import { RelayError } from '../relay-error.js';
import { type PreparedSubmission, StaleDevicesError } from '../router.js';
import type { DeviceAddress, DeviceRecord, StoredEnvelope } from '../store/store.js';

export interface Pushed extends StoredEnvelope {
  /** performance.now() when the submission arrived (live pushes only). */
  readonly receivedAt?: number;
}

const DRAIN_PAGE = 256;
const MAX_INFLIGHT_BYTES = 16 * 1024 * 1024;
/** WebSocket close codes: 1008 policy violation, 1009 too big, 1001 going away. */
const CLOSE_POLICY = 1008;

export class Connection {
  private state: 'challenged' | 'authenticating' | 'authenticated' | 'closed' = 'challenged';
  private readonly nonce = randomBytes(CHALLENGE_NONCE_BYTES);
  private readonly challengedAt: number;
  private device: DeviceAddress | undefined;
  private authTimer: NodeJS.Timeout | undefined;
  private readonly bucket: TokenBucket;
  private chain: Promise<void> = Promise.resolve();
  /** Submissions waiting in `chain`; a new one may skip the chain only when it is 0. */
  private queuedSubmissions = 0;
  // Delivery state.
  private cursor = 0;
  private readonly inflight = new Map<number, number>();
  private inflightBytes = 0;
  private live = false;
  private draining = false;
  private dirty = false;
  private drainedNotified = false;
  /** An envelope was offered while not live: it is read from the store after its commit. */
  private offeredAside = false;
  private corked = false;
  /** Cleared at each heartbeat ping, set by the pong. */
  alive = true;

  constructor(
    private readonly ctx: RelayContext,
    private readonly ws: WebSocket,
  ) {
    const limits = ctx.config.limits;
    this.bucket = new TokenBucket(limits.framesPerSecond, limits.frameBurst);
    this.challengedAt = ctx.now();
    ctx.metrics.openSockets.inc();
    ws.on('message', (data, isBinary) => this.onMessage(data, isBinary));
    ws.on('close', () => this.onClose());
    ws.on('error', (error) => ctx.log.debug({ err: error }, 'socket error'));
    ws.on('pong', () => (this.alive = true));
    this.authTimer = setTimeout(
      () =>
        this.closeWithError(
          'AUTH_TIMEOUT',
          'The device did not answer the challenge in time; connect again and answer at once.',
        ),
      limits.authTimeoutMs,
    );
    this.send({
      body: {
        case: 'challenge',
        value: {
          nonce: this.nonce,
          serverTime: BigInt(this.challengedAt),
          relayPublicKey: ctx.relayKey.publicKey,
        },
      },
    });
  }

  get authenticatedDevice(): DeviceAddress | undefined {
    return this.state === 'authenticated' ? this.device : undefined;
  }

  get socket(): WebSocket {
    return this.ws;
  }

  private send(init: Parameters<typeof encodeServerFrame>[0]): void {
    this.sendBytes(encodeServerFrame(init));
  }

  private sendBytes(frame: Uint8Array): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    this.cork();
    this.ws.send(frame);
  }

  /**
   * Frames sent in one turn of the event loop (a commit answers hundreds of
   * submissions at once) leave in one write instead of one syscall each. `ws`
   * keeps its socket private; without one, frames simply go out one by one.
   */
  private cork(): void {
    if (this.corked) return;
    const socket = (this.ws as unknown as { _socket?: Socket })._socket;
    if (!socket || socket.destroyed) return;
    socket.cork();
    this.corked = true;
    process.nextTick(() => {
      this.corked = false;
      socket.uncork();
    });
  }

  sendError(
    code: RelayErrorCode,
    message: string,
    requestId = 0,
    stale: StaleDevicesError['stale'] = [],
  ): void {
    this.ctx.metrics.errors.inc({ code });
    this.send({
      requestId,
      body: { case: 'error', value: { code, message, fatal: false, stale } },
    });
  }

  /** Sends a fatal error frame and closes the socket. */
  closeWithError(code: RelayErrorCode, message: string, requestId = 0): void {
    if (this.state === 'closed') return;
    this.ctx.metrics.errors.inc({ code });
    this.send({ requestId, body: { case: 'error', value: { code, message, fatal: true } } });
    this.shutdown(code === 'FRAME_TOO_LARGE' ? 1009 : CLOSE_POLICY, code);
  }

  /** Closes without an error frame (relay shutdown: 1001 "going away"). */
  shutdown(closeCode: number, reason: string): void {
    if (this.state === 'closed') return;
    this.markClosed();
    this.ws.close(closeCode, reason);
    // A peer that never answers the close handshake is cut off.
    setTimeout(() => this.ws.terminate(), 2000).unref();
  }

  private markClosed(): void {
    if (this.state === 'closed') return;
    const wasAuthenticated = this.state === 'authenticated';
    this.state = 'closed';
    clearTimeout(this.authTimer);
    this.ctx.metrics.openSockets.dec();
    if (wasAuthenticated && this.device) {
      this.ctx.metrics.connectedDevices.dec();
      this.ctx.router.unregister(this, this.device);
      this.ctx.lastSeen.note(this.device, this.ctx.now());
    }
  }

  private onClose(): void {
    this.markClosed();
  }

  private onMessage(data: RawData, isBinary: boolean): void {
    if (this.state === 'closed') return;
    if (!isBinary || !Buffer.isBuffer(data)) {
      this.closeWithError('BAD_FRAME', 'Frames must be binary protobuf messages.');
      return;
    }
    if (data.length > WIRE_LIMITS.maxFrameBytes) {
      this.closeWithError(
        'FRAME_TOO_LARGE',
        `The frame is ${data.length} bytes; the limit is ${WIRE_LIMITS.maxFrameBytes}.`,
      );
      return;
    }
    let frame: ClientFrame;
    try {
      frame = decodeClientFrame(data);
    } catch (error) {
      if (error instanceof WireError) this.closeWithError(error.code, error.message);
      else this.closeWithError('BAD_FRAME', 'The frame could not be read.');
      return;
    }
    const body = frame.body;
    if (this.state !== 'authenticated') {
      if (body.case === 'auth' && this.state === 'challenged') {
        this.state = 'authenticating';
        void this.authenticate(frame.requestId, body.value).catch((error: unknown) => {
          this.ctx.log.error({ err: error }, 'authentication failed unexpectedly');
          this.closeWithError('INTERNAL', 'The relay failed while authenticating; try again.');
        });
      } else {
        this.closeWithError(
          'NOT_AUTHENTICATED',
          'Answer the challenge with an auth frame, and only that, before anything else.',
          frame.requestId,
        );
      }
      return;
    }
    if (!this.bucket.take()) {
      this.sendError(
        'RATE_LIMITED',
        'This device sends too many frames; slow down and send this one again.',
        frame.requestId,
      );
      return;
    }
    switch (body.case) {
      case 'submit':
        this.handleSubmit(frame.requestId, body.value);
        return;
      case 'ack':
        this.handleAck(body.value.serverIds);
        return;
      case 'ping':
        this.send({
          requestId: frame.requestId,
          body: { case: 'pong', value: { serverTime: BigInt(this.ctx.now()) } },
        });
        return;
      default:
        this.closeWithError(
          'ALREADY_AUTHENTICATED',
          'This connection is already authenticated; do not send auth twice.',
          frame.requestId,
        );
    }
  }

  private async authenticate(
    requestId: number,
    auth: { userId: string; deviceId: number; signature: Uint8Array },
  ): Promise<void> {
    const { ctx } = this;
    if (ctx.now() - this.challengedAt > ctx.config.limits.authTimeoutMs) {
      this.closeWithError('AUTH_TIMEOUT', 'The challenge is stale; connect again.', requestId);
      return;
    }
    const signed = challengeSignedBytes(
      ctx.relayKey.publicKey,
      this.nonce,
      auth.userId,
      auth.deviceId,
    );
    const active = await ctx.directory.activeDevice(auth.userId, auth.deviceId);
    const record = active ?? (await ctx.store.getDevice(auth.userId, auth.deviceId));
    if (this.state !== 'authenticating') return;
    if (!record || !verify(asEd25519PublicKey(record.identityKey), signed, auth.signature)) {
      this.closeWithError(
        'AUTH_FAILED',
        'The relay does not know this device or the signature is wrong; enrol the device again.',
        requestId,
      );
      return;
    }
    if (!active) {
      this.refuseRevoked(record, requestId);
      return;
    }
    clearTimeout(this.authTimer);
    this.device = { userId: auth.userId, deviceId: auth.deviceId };
    this.state = 'authenticated';
    ctx.metrics.connectedDevices.inc();
    ctx.router.register(this, this.device);
    ctx.lastSeen.note(this.device, ctx.now());
    this.send({
      requestId,
      body: {
        case: 'authOk',
        value: {
          serverTime: BigInt(ctx.now()),
          queued: ctx.accounting.get(this.device).count,
        },
      },
    });
    void this.drain();
    const remaining = await ctx.store.countOneTimePrekeys(this.device);
    if (remaining < ctx.config.limits.prekeyLowThreshold) this.notifyPrekeysLow(remaining);
  }

  /**
   * Closes the connection of a revoked device (one that has proved itself with its
   * identity key: at authentication, or already connected). If the ICT cell ordered its
   * data erased, this is where it learns it; a stranger without its key never does.
   */
  refuseRevoked(record: DeviceRecord, requestId = 0): void {
    if (this.state === 'closed') return;
    if (record.wipeRequestedAt !== null) {
      this.sendWipeOrder(requestId, record, record.wipeRequestedAt);
    }
    this.closeWithError(
      'DEVICE_REVOKED',
      'This device has been revoked by the ICT cell; ask them for a new enrolment code.',
      requestId,
    );
  }

  /** The signed order to erase the device's data, bound to this connection's challenge. */
  private sendWipeOrder(requestId: number, device: DeviceAddress, requestedAt: number): void {
    const { ctx } = this;
    const signed = wipeOrderSignedBytes(
      ctx.relayKey.publicKey,
      this.nonce,
      device.userId,
      device.deviceId,
      requestedAt,
    );
    this.send({
      requestId,
      body: {
        case: 'wipe',
        value: {
          requestedAt: BigInt(requestedAt),
          signature: sign(ctx.relayKey.secretKey, signed),
        },
      },
    });
    ctx.log.info({ userId: device.userId, deviceId: device.deviceId }, 'wipe order delivered');
    ctx.store
      .markWipeDelivered({ userId: device.userId, deviceId: device.deviceId }, ctx.now())
      .catch((error: unknown) => ctx.log.error({ err: error }, 'recording a wipe failed'));
  }

  notifyPrekeysLow(remaining: number): void {
    if (this.state !== 'authenticated') return;
    this.send({ body: { case: 'prekeysLow', value: { remaining } } });
  }

  private handleSubmit(requestId: number, submit: Submit): void {
    const device = this.device!;
    const receivedAt = performance.now();
    // Preparation is serialised per connection so submissions get their server ids in
    // the order the device sent them. The usual submission (no blob, recipients in the
    // directory's cache, nothing queued before it) is prepared at once.
    if (this.queuedSubmissions === 0 && submit.blobIds.length === 0) {
      let prepared;
      try {
        prepared = this.ctx.router.prepareNow(device, submit, receivedAt);
      } catch (error) {
        this.reportRequestError(error, requestId);
        return;
      }
      if (prepared) {
        this.commitPrepared(prepared, requestId);
        return;
      }
    }
    this.queuedSubmissions++;
    this.chain = this.chain.then(async () => {
      try {
        if (submit.blobIds.length > 0) {
          // Before the commit: a blob is kept for any message that may name it, even
          // one that then fails (it lives to its TTL at worst), and for as long as the
          // message may wait for its recipients.
          const now = this.ctx.now();
          await this.ctx.store
            .referenceBlobs(submit.blobIds, now, now + this.ctx.config.limits.envelopeTtlMs)
            .catch((error: unknown) => this.ctx.log.error({ err: error }, 'blob reference failed'));
        }
        let prepared;
        try {
          prepared = await this.ctx.router.prepare(device, submit, receivedAt);
        } catch (error) {
          this.reportRequestError(error, requestId);
          return;
        }
        this.commitPrepared(prepared, requestId);
      } finally {
        this.queuedSubmissions--;
      }
    });
  }

  private commitPrepared(prepared: PreparedSubmission, requestId: number): void {
    this.ctx.router.commit(prepared, (result) => {
      if (result instanceof RelayError) this.reportRequestError(result, requestId);
      else this.sendBytes(encodeSubmitOkFrame(requestId, result.firstServerId, result.serverTime));
    });
  }

  private reportRequestError(error: unknown, requestId: number): void {
    if (error instanceof StaleDevicesError) {
      this.sendError(error.code, error.message, requestId, error.stale);
    } else if (error instanceof RelayError) {
      this.sendError(error.code, error.message, requestId);
    } else {
      this.ctx.log.error({ err: error }, 'submission failed');
      this.sendError('INTERNAL', 'The relay failed on this submission; send it again.', requestId);
    }
  }

  private handleAck(serverIds: readonly bigint[]): void {
    const ids: number[] = [];
    for (const big of serverIds) {
      const id = Number(big);
      ids.push(id);
      const size = this.inflight.get(id);
      if (size !== undefined) {
        this.inflight.delete(id);
        this.inflightBytes -= size;
      }
    }
    this.ctx.batcher.ack({
      userId: this.device!.userId,
      deviceId: this.device!.deviceId,
      serverIds: ids,
    });
    if (!this.live && !this.draining && this.hasWindowRoom(true)) void this.drain();
  }

  private hasWindowRoom(resuming = false): boolean {
    const window = this.ctx.config.limits.deliveryWindow;
    // Resume only at half the window, so a stalled reader is not woken per ack.
    const count = resuming ? window / 2 : window;
    const bytes = resuming ? MAX_INFLIGHT_BYTES / 2 : MAX_INFLIGHT_BYTES;
    return this.inflight.size < count && this.inflightBytes < bytes;
  }

  /** A newly committed envelope for this device. */
  offer(envelope: Pushed): void {
    if (this.state !== 'authenticated') return;
    if (this.live && this.hasWindowRoom()) {
      this.push(envelope);
      return;
    }
    this.live = false;
    this.dirty = true;
    this.offeredAside = true;
  }

  private push(envelope: Pushed): void {
    if (envelope.serverId <= this.cursor) return;
    this.cursor = envelope.serverId;
    this.inflight.set(envelope.serverId, envelope.ciphertext.length);
    this.inflightBytes += envelope.ciphertext.length;
    this.sendBytes(encodeEnvelopeFrame(envelope));
    this.ctx.metrics.envelopesOut.inc();
    if (envelope.receivedAt !== undefined) {
      this.ctx.metrics.deliveryLatency.observe((performance.now() - envelope.receivedAt) / 1000);
    }
  }

  /** Pushes the stored backlog in order, then goes live (or pauses when the window is full). */
  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      while (this.state === 'authenticated') {
        this.dirty = false;
        if (!this.hasWindowRoom()) return; // resumed by handleAck
        // Before the first read, acks this device sent on an earlier connection, and
        // envelopes given ids while it was away, may still be waiting for their commit;
        // later, envelopes offered while it was not live. Otherwise the store already
        // has all this device is owed, and a read need not wait for a commit.
        if (!this.drainedNotified || this.offeredAside) {
          this.offeredAside = false;
          await this.ctx.batcher.barrier();
          if (this.state !== 'authenticated') return;
        }
        const page = await this.ctx.store.loadQueue(this.device!, this.cursor, DRAIN_PAGE);
        if (this.state !== 'authenticated') return;
        for (const envelope of page) this.push(envelope);
        if (page.length < DRAIN_PAGE && !this.dirty) {
          this.live = true;
          if (!this.drainedNotified) {
            this.drainedNotified = true;
            this.send({ body: { case: 'queueDrained', value: {} } });
          }
          return;
        }
      }
    } catch (error) {
      this.ctx.log.error({ err: error }, 'delivery from the store failed');
      this.closeWithError('INTERNAL', 'The relay could not read the queue; connect again.');
    } finally {
      this.draining = false;
    }
  }
}
