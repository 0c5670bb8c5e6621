// Assembles and runs one relay: HTTP (Fastify) and WebSocket (ws) on one port,
// the store, the commit batcher, and the periodic jobs (heartbeats, cleanup,
// noticing revocations made by the CLI in another process).
import type { IncomingMessage } from 'node:http';
import type { Server as TlsServer } from 'node:tls';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyRequest,
} from 'fastify';
import { type Logger, pino } from 'pino';
import { WebSocketServer } from 'ws';
import { ready } from '../shared/crypto/index.js';
import { WIRE_LIMITS } from '../shared/wire/index.js';
import { CommitBatcher } from './commit-batcher.js';
import { ServerIds } from './server-ids.js';
import { type RelayConfig, loadConfig } from './config.js';
import type { RelayContext } from './context.js';
import { BLOB_DIR, loadRelayKey, openStore } from './data-dir.js';
import { DeviceDirectory } from './device-directory.js';
import { BLOB_UPLOAD_TYPE, cleanUpBlobs, registerBlobRoutes } from './http/blob-routes.js';
import { registerDashboardRoutes } from './http/dashboard-routes.js';
import { LastSeen } from './last-seen.js';
import { registerDirectoryRoutes } from './http/directory-routes.js';
import { PROTOBUF } from './http/protobuf.js';
import { NonceCache, authenticateRequest } from './http/request-auth.js';
import { registerUpdateRoutes } from './http/update-routes.js';
import { RelayMetrics } from './metrics.js';
import { QueueAccounting } from './queue-accounting.js';
import { KeyedRateLimiter } from './rate-limit.js';
import { RelayError, storageFullError } from './relay-error.js';
import { isDiskFull } from '../shared/util/disk-full.js';
import { Router } from './router.js';
import { readTlsPair } from './tls-files.js';
import { Connection } from './ws/connection.js';

/** How often the devices' last connections are written (one transaction each time). */
const LAST_SEEN_FLUSH_MS = 60_000;
export const WEBSOCKET_PATH = '/v1/ws';

export interface StartRelayOptions {
  readonly dataDir: string;
  /** Defaults to <dataDir>/relay.json over the built-in defaults. */
  readonly config?: RelayConfig;
  readonly host?: string;
  readonly port?: number;
  readonly logger?: Logger;
  /** Collect Node process metrics (off when several relays share a process). */
  readonly processMetrics?: boolean;
}

export interface RunningRelay {
  /** http(s)://host:port */
  readonly url: string;
  /** ws(s)://host:port/v1/ws */
  readonly wsUrl: string;
  readonly port: number;
  readonly publicKey: Uint8Array;
  readonly context: RelayContext;
  /**
   * Reads the TLS certificate and key files again and serves them to new connections
   * (SIGHUP in `comgov-relay serve`). Throws with a sentence, the old pair kept, if they
   * cannot be read or do not go together, or if the relay has no TLS.
   */
  reloadTls(): { validTo: Date };
  /** Graceful stop: refuse new work, close sockets (1001), commit what is pending, close the store. */
  close(): Promise<void>;
}

function httpError(error: FastifyError | RelayError): RelayError {
  if (error instanceof RelayError) return error;
  if (isDiskFull(error)) return storageFullError();
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new RelayError(
        'FRAME_TOO_LARGE',
        `The request body is larger than ${WIRE_LIMITS.maxHttpBodyBytes} bytes; send less at once.`,
      );
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new RelayError('BAD_REQUEST', `Send request bodies as ${PROTOBUF}.`);
    default:
      if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
        return new RelayError(
          'BAD_REQUEST',
          'The relay could not read this request; check its headers and body.',
        );
      }
      return new RelayError(
        'INTERNAL',
        'The relay failed on this request; try again, and tell the relay operator if it persists.',
      );
  }
}

export async function startRelay(options: StartRelayOptions): Promise<RunningRelay> {
  await ready();
  const config = structuredClone(options.config ?? loadConfig(options.dataDir));
  if (options.host !== undefined) config.host = options.host;
  if (options.port !== undefined) config.port = options.port;
  const log =
    options.logger ??
    pino({ level: config.logLevel, base: { service: 'comgov-relay' } }, pino.destination(2));
  const relayKey = await loadRelayKey(options.dataDir);
  const store = openStore(options.dataDir);
  const metrics = new RelayMetrics(options.processMetrics ?? true);
  const limits = config.limits;
  const accounting = new QueueAccounting(limits.queueMaxEnvelopes, limits.queueMaxBytes);
  accounting.load(await store.queueUsage());
  const router = new Router();
  const serverIds = await ServerIds.open(store);
  const batcher = new CommitBatcher(
    store,
    {
      onAcksCommitted: (removed) => {
        accounting.removeEntries(removed);
        metrics.envelopesAcked.inc(removed.length);
      },
      onHandedOff: (copies) => {
        accounting.removeEntries(copies);
        metrics.envelopesAcked.inc(copies.length);
        metrics.envelopesHandedOff.inc(copies.length);
      },
      onBatch: (operations, seconds) => {
        metrics.commitBatchSize.observe(operations);
        metrics.commitSeconds.observe(seconds);
      },
      onError: (error) => log.error({ err: error }, 'commit failed'),
    },
    { delayMs: limits.handOffWaitMs, handOffFrom: limits.handOffFromPerSecond, serverIds },
  );
  const ctx: RelayContext = {
    config,
    relayKey,
    store,
    batcher,
    directory: new DeviceDirectory(store),
    accounting,
    metrics,
    log,
    router,
    serverIds,
    lastSeen: new LastSeen(store),
    blobDir: path.join(options.dataDir, BLOB_DIR),
    now: () => Date.now(),
  };
  router.attach(ctx);

  const tlsFiles =
    config.tlsCertFile && config.tlsKeyFile
      ? { cert: config.tlsCertFile, key: config.tlsKeyFile }
      : undefined;
  const tls = tlsFiles ? readTlsPair(tlsFiles.cert, tlsFiles.key) : undefined;
  if (tls) metrics.tlsCertificateExpiry.set(tls.validTo.getTime() / 1000);
  const app = Fastify({
    loggerInstance: log as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: WIRE_LIMITS.maxHttpBodyBytes,
    ...(tls ? { https: { cert: tls.cert, key: tls.key } } : {}),
  }) as unknown as FastifyInstance;
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(PROTOBUF, { parseAs: 'buffer' }, (_request, body, done) =>
    done(null, body),
  );
  // Blob bytes are streamed by the PATCH handler itself, never buffered.
  app.addContentTypeParser(BLOB_UPLOAD_TYPE, (_request, _payload, done) => done(null));

  app.setErrorHandler((error: FastifyError | RelayError, request, reply) => {
    const relayError = httpError(error);
    if (relayError.code === 'INTERNAL')
      log.error({ err: error, url: request.url }, 'request failed');
    if (relayError.code === 'STORAGE_FULL')
      log.error({ err: error, url: request.url }, 'disk full: free space on the relay');
    metrics.errors.inc({ code: relayError.code });
    return reply
      .status(relayError.httpStatus)
      .header('content-type', 'application/json; charset=utf-8')
      .header('cache-control', 'no-store')
      .send(JSON.stringify({ code: relayError.code, message: relayError.message }));
  });
  app.setNotFoundHandler((_request, reply) =>
    reply
      .status(404)
      .header('content-type', 'application/json; charset=utf-8')
      .send(
        JSON.stringify({
          code: 'NOT_FOUND',
          message: 'There is no such endpoint on this relay; see docs/relay.md.',
        }),
      ),
  );

  const httpLimiter = new KeyedRateLimiter(limits.httpRequestsPerSecond, limits.httpBurst);
  app.addHook('onRequest', async (request) => {
    if (request.url === '/healthz' || request.url === '/metrics') return;
    if (!httpLimiter.take(request.ip)) {
      throw new RelayError(
        'RATE_LIMITED',
        'Too many requests from this address; wait a moment and retry.',
      );
    }
  });

  const nonces = new NonceCache();
  const authenticate = (request: FastifyRequest, body?: Uint8Array) =>
    authenticateRequest(ctx, nonces, request, body);

  app.get('/healthz', async (_request, reply) => {
    store.externalChangeMarker(); // throws if the database is unusable
    return reply.header('cache-control', 'no-store').send({
      status: 'ok',
      connectedDevices: router.onlineCount,
      queuedEnvelopes: accounting.totalCount,
    });
  });
  app.get('/metrics', async (_request, reply) => {
    metrics.queueDepth.set(accounting.totalCount);
    metrics.queueBytes.set(accounting.totalBytes);
    return reply
      .header('content-type', metrics.registry.contentType)
      .send(await metrics.registry.metrics());
  });
  registerDirectoryRoutes(app, ctx, authenticate);
  registerBlobRoutes(app, ctx, authenticate);
  registerUpdateRoutes(app, options.dataDir);
  registerDashboardRoutes(app, ctx, options.dataDir, ctx.now());

  // WebSocket endpoint. maxPayload is above the frame limit so that a frame a
  // little too large gets an error frame; far larger ones are cut by ws (1009).
  const wss = new WebSocketServer({ noServer: true, maxPayload: WIRE_LIMITS.maxFrameBytes * 2 });
  const sockets = new Set<Connection>();
  let closing = false;
  app.server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const refuse = (status: string) => {
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    if (closing) return refuse('503 Service Unavailable');
    if (new URL(request.url ?? '/', 'http://relay').pathname !== WEBSOCKET_PATH) {
      return refuse('404 Not Found');
    }
    if (sockets.size >= limits.maxConnections) return refuse('503 Service Unavailable');
    wss.handleUpgrade(request, socket, head, (ws) => {
      const connection = new Connection(ctx, ws);
      sockets.add(connection);
      ws.on('close', () => sockets.delete(connection));
    });
  });

  await app.listen({ host: config.host, port: config.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const hostForUrl = config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = `${tls ? 'https' : 'http'}://${hostForUrl}:${port}`;
  const wsUrl = `${tls ? 'wss' : 'ws'}://${hostForUrl}:${port}${WEBSOCKET_PATH}`;

  // Periodic jobs.
  const heartbeat = setInterval(() => {
    for (const connection of sockets) {
      if (!connection.alive) {
        connection.socket.terminate();
        continue;
      }
      connection.alive = false;
      connection.socket.ping();
    }
  }, limits.heartbeatMs);
  let marker = store.externalChangeMarker();
  let checkingChanges = false;
  const externalChanges = setInterval(() => {
    if (checkingChanges) return;
    const current = store.externalChangeMarker();
    if (current === marker) return;
    marker = current;
    checkingChanges = true;
    void (async () => {
      ctx.directory.invalidateAll();
      accounting.load(await store.queueUsage());
      // What is given server ids but not written yet is not in the store's count.
      for (const copy of batcher.unwrittenCopies()) {
        accounting.adjust(copy.userId, copy.deviceId, 1, copy.size);
      }
      for (const connection of router.connections()) {
        const device = connection.authenticatedDevice;
        if (!device) continue;
        if (!(await ctx.directory.activeDevice(device.userId, device.deviceId))) {
          log.info(device, 'revoked device disconnected');
          const record = await store.getDevice(device.userId, device.deviceId);
          if (record) {
            connection.refuseRevoked(record);
          } else {
            connection.closeWithError(
              'DEVICE_REVOKED',
              'This device has been revoked by the ICT cell; ask them for a new enrolment code.',
            );
          }
        }
      }
    })()
      .catch((error: unknown) => log.error({ err: error }, 'checking external changes failed'))
      .finally(() => (checkingChanges = false));
  }, limits.externalChangePollMs);
  const lastSeenFlush = setInterval(() => {
    ctx.lastSeen
      .flush()
      .catch((error: unknown) => log.error({ err: error }, 'recording last connections failed'));
  }, LAST_SEEN_FLUSH_MS);
  const cleanUp = async () => {
    const now = ctx.now();
    for (;;) {
      const expired = await store.expireQueue(now - limits.envelopeTtlMs, 1000);
      accounting.removeEntries(expired);
      metrics.envelopesExpired.inc(expired.length);
      if (expired.length < 1000) break;
    }
    const blobs = await cleanUpBlobs(ctx);
    nonces.prune(now);
    if (blobs > 0) log.info({ blobs }, 'stale blobs removed');
  };
  const cleanup = setInterval(() => {
    cleanUp().catch((error: unknown) => log.error({ err: error }, 'cleanup failed'));
  }, limits.cleanupIntervalMs);
  await cleanUp();

  log.info({ url }, 'relay listening');

  let closed: Promise<void> | undefined;
  return {
    url,
    wsUrl,
    port,
    publicKey: relayKey.publicKey,
    context: ctx,
    reloadTls() {
      if (!tlsFiles) {
        throw new Error('This relay serves plain HTTP: there is no certificate to reload.');
      }
      let pair;
      try {
        pair = readTlsPair(tlsFiles.cert, tlsFiles.key);
      } catch (error) {
        throw new Error(
          `${(error as Error).message} The relay goes on with the certificate it had.`,
          { cause: error },
        );
      }
      // New connections get the new pair; open ones keep theirs.
      (app.server as unknown as TlsServer).setSecureContext({ cert: pair.cert, key: pair.key });
      metrics.tlsCertificateExpiry.set(pair.validTo.getTime() / 1000);
      log.info({ validTo: pair.validTo.toISOString() }, 'TLS certificate reloaded');
      return { validTo: pair.validTo };
    },
    close() {
      closed ??= (async () => {
        closing = true;
        clearInterval(heartbeat);
        clearInterval(externalChanges);
        clearInterval(cleanup);
        clearInterval(lastSeenFlush);
        for (const connection of sockets) connection.shutdown(1001, 'SHUTTING_DOWN');
        await batcher.flush();
        for (const connection of sockets) connection.socket.terminate();
        wss.close();
        await app.close();
        await batcher.flush();
        await ctx.lastSeen.flush().catch(() => undefined);
        store.close();
        log.info('relay stopped');
      })();
      return closed;
    },
  };
}
