// Relay benchmark: real WebSockets on loopback against `comgov-relay serve` in a
// child process (durability on: synchronous=FULL, one fsync per batch).
//   1. baseline: a trivial `ws` echo server (child process), same frame size and
//      number of connections and the same window of messages in flight;
//   2. maximum rate: 100 senders → 100 receivers, 1 KiB envelopes, receivers ack;
//   3. half that rate, paced: latency from submit to the recipient's socket;
//   4. 10,000 authenticated idle devices: RSS of the relay process.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { type BenchFigures, type BenchSuite } from '../run.js';
import { initDataDir, loadRelayKey, DATABASE_FILE } from '../../relay/data-dir.js';
import { hashEnrolmentCode } from '../../relay/http/directory-routes.js';
import { SqliteStore } from '../../relay/store/sqlite-store.js';
import { type Ed25519KeyPair, generateEd25519KeyPair, ready } from '../../shared/crypto/index.js';
import { fromBinary } from '@bufbuild/protobuf';
import {
  ServerFrameSchema,
  decodeServerFrame,
  encodeClientFrame,
  signCertificate,
  signChallenge,
} from '../../shared/wire/index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI = path.join(root, 'relay', 'bin', 'comgov-relay.js');

const PAIRS = 100;
const ENVELOPE_BYTES = 1024;
const WINDOW = 32;
const MAX_PHASE_MS = 4000;
const HALF_PHASE_MS = 4000;
const ECHO_PHASE_MS = 3000;
const WARMUP_MS = 500;
const IDLE_DEVICES = 10_000;

interface Device {
  readonly userId: string;
  readonly deviceId: number;
  readonly identity: Ed25519KeyPair;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)![1]);
  return Math.round((kb / 1024) * 10) / 10;
}

/** CPU seconds (user + system) used so far by a process. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function waitForLine(child: ChildProcess, pattern: RegExp, what: string): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`${what} did not start: ${err}`)), 30_000);
    child.stderr?.on('data', (c: Buffer) => (err += c.toString()));
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const match = pattern.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(match);
      }
    });
    child.on('exit', (code) => reject(new Error(`${what} exited (${code}): ${err}`)));
  });
}

/** Seeds users and devices straight into the store (enrolment over HTTP is tested elsewhere). */
async function seed(
  dataDir: string,
  groups: { prefix: string; users: number; devicesPerUser: number }[],
) {
  const relayKey = await loadRelayKey(dataDir);
  const store = new SqliteStore(path.join(dataDir, DATABASE_FILE), { relaxedDurability: true });
  const out = new Map<string, Device[]>();
  const now = Date.now();
  for (const group of groups) {
    const devices: Device[] = [];
    for (let u = 0; u < group.users; u++) {
      const userId = `${group.prefix}${u}`;
      for (let d = 0; d < group.devicesPerUser; d++) {
        const codeHash = hashEnrolmentCode(`${userId}-${d}`.toUpperCase());
        await store.inviteUser(
          { userId, displayName: userId, institution: 'bench', title: '' },
          codeHash,
          now,
          now + 3_600_000,
        );
        const identity = generateEd25519KeyPair();
        const result = await store.enrol({
          codeHash,
          identityKey: identity.publicKey,
          signedPrekey: { id: 1, publicKey: new Uint8Array(32), signature: new Uint8Array(64) },
          oneTimePrekeys: [],
          now,
          certify: (userId, deviceId, issuedAt) =>
            signCertificate(relayKey.secretKey, {
              userId,
              deviceId,
              identityKey: identity.publicKey,
              issuedAt,
            }),
        });
        if (!result.ok) throw new Error(result.code);
        devices.push({ userId, deviceId: result.device.deviceId, identity });
      }
    }
    out.set(group.prefix, devices);
  }
  store.close();
  return { devices: out, relayPublicKey: relayKey.publicKey };
}

/** An authenticated device socket; `onFrame` sees every frame after AuthOk. */
function connectDevice(
  wsUrl: string,
  device: Device,
  relayPublicKey: Uint8Array,
  /** Raw frames after AuthOk (the bench decodes them itself, without the strict checks). */
  onData: (data: Buffer) => void = () => undefined,
): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(wsUrl, { perMessageDeflate: false });
    let authenticated = false;
    ws.on('error', reject);
    ws.on('message', (data: Buffer) => {
      if (authenticated) {
        onData(data);
        return;
      }
      const frame = decodeServerFrame(data);
      if (frame.body.case === 'challenge') {
        ws.send(
          encodeClientFrame({
            requestId: 1,
            body: {
              case: 'auth',
              value: {
                userId: device.userId,
                deviceId: device.deviceId,
                signature: signChallenge(
                  { ...device, identitySecretKey: device.identity.secretKey, relayPublicKey },
                  frame.body.value.nonce,
                ),
              },
            },
          }),
        );
      } else if (frame.body.case === 'authOk') {
        authenticated = true;
        resolve(ws);
      } else {
        reject(new Error(`authentication refused: ${JSON.stringify(frame.body.value)}`));
      }
    });
  });
}

interface EchoFigures {
  readonly perSecond: number;
  /** CPU time of the echo server and of this process per message echoed (µs). */
  readonly serverUsPerMessage: number;
  readonly clientUsPerMessage: number;
}

async function echoBaseline(log: (line: string) => void): Promise<EchoFigures> {
  const server = spawn(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `import { WebSocketServer } from 'ws';
       const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
       wss.on('connection', (ws) => ws.on('message', (data) => ws.send(data)));
       wss.on('listening', () => console.log('port ' + wss.address().port));`,
    ],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  try {
    const port = Number((await waitForLine(server, /port (\d+)/, 'echo server'))[1]);
    const sockets = await Promise.all(
      Array.from(
        { length: PAIRS * 2 },
        () =>
          new Promise<WebSocket>((resolve, reject) => {
            const ws = new WebSocket(`ws://127.0.0.1:${port}`, { perMessageDeflate: false });
            ws.once('open', () => resolve(ws));
            ws.once('error', reject);
          }),
      ),
    );
    const payload = new Uint8Array(ENVELOPE_BYTES + 40);
    let counting = false;
    let running = true;
    let echoed = 0;
    for (const ws of sockets) {
      ws.on('message', () => {
        if (counting) echoed++;
        if (running) ws.send(payload);
      });
      for (let i = 0; i < WINDOW / 2; i++) ws.send(payload);
    }
    await new Promise((r) => setTimeout(r, WARMUP_MS));
    counting = true;
    const start = performance.now();
    const serverCpu = cpuSeconds(server.pid!);
    const ownCpu = process.cpuUsage();
    await new Promise((r) => setTimeout(r, ECHO_PHASE_MS));
    const rate = echoed / ((performance.now() - start) / 1000);
    const serverUs = ((cpuSeconds(server.pid!) - serverCpu) * 1e6) / echoed;
    const own = process.cpuUsage(ownCpu);
    const clientUs = (own.user + own.system) / echoed;
    running = false;
    for (const ws of sockets) ws.terminate();
    log(`ws echo: ${Math.round(rate)} messages/s over ${sockets.length} connections`);
    return { perSecond: rate, serverUsPerMessage: serverUs, clientUsPerMessage: clientUs };
  } finally {
    server.kill('SIGKILL');
  }
}

async function run(log: (line: string) => void): Promise<BenchFigures> {
  await ready();
  const dir = mkdtempSync(path.join(tmpdir(), 'comgov-relay-bench-'));
  const dataDir = path.join(dir, 'data');
  let relay: ChildProcess | undefined;
  try {
    await initDataDir(dataDir);
    log('seeding 200 load devices and 10,000 idle devices');
    const { devices, relayPublicKey } = await seed(dataDir, [
      { prefix: 's', users: PAIRS, devicesPerUser: 1 },
      { prefix: 'r', users: PAIRS, devicesPerUser: 1 },
      { prefix: 'idle', users: IDLE_DEVICES / 10, devicesPerUser: 10 },
    ]);
    const echo = await echoBaseline(log);
    const echoPerS = echo.perSecond;

    relay = spawn(
      process.execPath,
      [
        ...(process.env.RELAY_NODE_ARGS?.split(' ').filter(Boolean) ?? []),
        CLI,
        'serve',
        '--data',
        dataDir,
        '--host',
        '127.0.0.1',
        '--port',
        '0',
        '--log-level',
        'warn',
      ],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const url = (await waitForLine(relay, /listening (\S+)/, 'relay'))[1]!;
    const wsUrl = `${url.replace(/^http/, 'ws')}/v1/ws`;
    const pid = relay.pid!;
    const rssStart = rssMb(pid);

    // Load phase bookkeeping: sequence numbers → send time, delivery flags.
    const capacity = 5_000_000;
    const sentAt = new Float64Array(capacity);
    const delivered = new Uint8Array(capacity);
    const acknowledged = new Uint8Array(capacity);
    let seq = 0;
    let errors = 0;
    let recording: number[] | null = null;
    let countFrom = Infinity;
    let deliveredInWindow = 0;

    const receivers = await Promise.all(
      devices.get('r')!.map((device) => {
        let pendingAcks: bigint[] = [];
        let socket: WebSocket;
        const flush = () => {
          if (pendingAcks.length === 0) return;
          socket.send(
            encodeClientFrame({
              requestId: 0,
              body: { case: 'ack', value: { serverIds: pendingAcks } },
            }),
          );
          pendingAcks = [];
        };
        return connectDevice(wsUrl, device, relayPublicKey, (data) => {
          const frame = fromBinary(ServerFrameSchema, data);
          if (frame.body.case !== 'envelope') return;
          const ciphertext = frame.body.value.ciphertext;
          const n = new DataView(ciphertext.buffer, ciphertext.byteOffset).getUint32(0);
          const now = performance.now();
          if (!delivered[n]) {
            delivered[n] = 1;
            if (sentAt[n]! >= countFrom) deliveredInWindow++;
            recording?.push(now - sentAt[n]!);
          }
          if (pendingAcks.length === 0) setImmediate(flush);
          pendingAcks.push(frame.body.value.serverId);
        }).then((ws) => (socket = ws));
      }),
    );

    interface Sender {
      ws: WebSocket;
      inflight: Map<number, number>;
      to: { userId: string; deviceId: number };
      template: Buffer;
    }
    let mode: 'max' | 'paced' | 'stop' = 'stop';
    const payload = new Uint8Array(ENVELOPE_BYTES);
    // Frames are encoded once per sender and patched: request ids between 2^21 and
    // 2^28 are always 4-byte varints, so the id and the sequence number sit at
    // fixed offsets. This keeps the load generator cheap; the relay decodes as usual.
    const FIRST_ID = 2 ** 21;
    const encodeSubmit = (requestId: number, to: Sender['to']) =>
      Buffer.from(
        encodeClientFrame({
          requestId,
          body: {
            case: 'submit',
            value: {
              kind: { case: 'perDevice', value: { messages: [{ to, ciphertext: payload }] } },
            },
          },
        }),
      );
    const template0 = encodeSubmit(FIRST_ID, { userId: 'r0', deviceId: 1 });
    const template1 = encodeSubmit(FIRST_ID + 1, { userId: 'r0', deviceId: 1 });
    const idOffset = template0.findIndex((b, i) => b !== template1[i]);
    const submit = (sender: Sender) => {
      const n = seq++;
      const requestId = FIRST_ID + n;
      const frame = Buffer.allocUnsafe(sender.template.length);
      sender.template.copy(frame);
      frame[idOffset] = (requestId & 0x7f) | 0x80;
      frame[idOffset + 1] = ((requestId >>> 7) & 0x7f) | 0x80;
      frame[idOffset + 2] = ((requestId >>> 14) & 0x7f) | 0x80;
      frame[idOffset + 3] = (requestId >>> 21) & 0x7f;
      frame.writeUInt32BE(n, frame.length - ENVELOPE_BYTES);
      sentAt[n] = performance.now();
      sender.inflight.set(requestId, n);
      sender.ws.send(frame);
    };
    const senders: Sender[] = [];
    await Promise.all(
      devices.get('s')!.map(async (device, i) => {
        const receiver = devices.get('r')![i]!;
        const to = { userId: receiver.userId, deviceId: receiver.deviceId };
        const sender: Sender = {
          ws: undefined as unknown as WebSocket,
          inflight: new Map(),
          to,
          template: encodeSubmit(FIRST_ID, to),
        };
        sender.ws = await connectDevice(wsUrl, device, relayPublicKey, (data) => {
          const frame = fromBinary(ServerFrameSchema, data);
          const n = sender.inflight.get(frame.requestId);
          if (n === undefined) return;
          sender.inflight.delete(frame.requestId);
          if (frame.body.case === 'submitOk') acknowledged[n] = 1;
          else errors++;
          if (mode === 'max') submit(sender);
        });
        senders.push(sender);
      }),
    );

    // Phase 1: maximum rate.
    log('maximum rate phase');
    mode = 'max';
    for (const sender of senders) for (let i = 0; i < WINDOW; i++) submit(sender);
    await new Promise((r) => setTimeout(r, WARMUP_MS));
    countFrom = performance.now();
    deliveredInWindow = 0;
    const cpuBefore = cpuSeconds(pid);
    const ownCpuBefore = process.cpuUsage();
    await new Promise((r) => setTimeout(r, MAX_PHASE_MS));
    const relayCpu = (cpuSeconds(pid) - cpuBefore) / ((performance.now() - countFrom) / 1000);
    const ownCpu = process.cpuUsage(ownCpuBefore);
    const clientCpu =
      (ownCpu.user + ownCpu.system) / 1e6 / ((performance.now() - countFrom) / 1000);
    const maxRate = deliveredInWindow / ((performance.now() - countFrom) / 1000);
    mode = 'stop';
    countFrom = Infinity;
    log(`maximum: ${Math.round(maxRate)} envelopes/s delivered`);
    if (process.env.RELAY_BENCH_METRICS) {
      const text = await (await fetch(`${url}/metrics`)).text();
      log(
        text
          .split('\n')
          .filter((l) =>
            /^relay_(commit|delivery)_[a-z_]+_(sum|count|bucket)|^relay_envelopes_|process_cpu/.test(
              l,
            ),
          )
          .join('\n'),
      );
    }
    const settle = async () => {
      const end = Date.now() + 30_000;
      while (senders.some((s) => s.inflight.size > 0) && Date.now() < end) {
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    await settle();

    // Phase 2: half the maximum rate, paced in 5 ms ticks.
    log('half-rate phase');
    mode = 'paced';
    recording = [];
    const perTick = (maxRate / 2) * 0.005;
    let owed = 0;
    let turn = 0;
    const pacedStart = performance.now();
    const ticker = setInterval(() => {
      owed += perTick;
      while (owed >= 1) {
        owed -= 1;
        submit(senders[turn++ % senders.length]!);
      }
    }, 5);
    await new Promise((r) => setTimeout(r, HALF_PHASE_MS));
    clearInterval(ticker);
    const pacedSeconds = (performance.now() - pacedStart) / 1000;
    mode = 'stop';
    await settle();
    const pacedSent = (recording as number[]).length;

    // Everything acknowledged must arrive.
    const deadline = Date.now() + 30_000;
    const lostNow = () => {
      let lost = 0;
      for (let n = 0; n < seq; n++) if (acknowledged[n] && !delivered[n]) lost++;
      return lost;
    };
    while (lostNow() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const lost = lostNow();
    const latencies = Float64Array.from(recording as number[]).sort();
    recording = null;
    for (const s of senders) s.ws.terminate();
    for (const r of receivers) r.terminate();

    // Phase 3: 10,000 authenticated idle devices.
    log('connecting 10,000 idle devices');
    const rssBeforeIdle = rssMb(pid);
    const idle: WebSocket[] = [];
    const idleDevices = devices.get('idle')!;
    for (let i = 0; i < idleDevices.length; i += 500) {
      idle.push(
        ...(await Promise.all(
          idleDevices.slice(i, i + 500).map((d) => connectDevice(wsUrl, d, relayPublicKey)),
        )),
      );
    }
    const health = (await (await fetch(`${url}/healthz`)).json()) as { connectedDevices: number };
    // Let the relay settle (GC) before reading its memory.
    await new Promise((r) => setTimeout(r, 1000));
    const idleRss = rssMb(pid);
    for (const ws of idle) ws.terminate();

    const p50 = percentile(latencies, 50);
    const p99 = percentile(latencies, 99);
    return {
      delivered_per_s: Math.round(maxRate),
      p50_ms: Math.round(p50 * 100) / 100,
      p99_ms: Math.round(p99 * 100) / 100,
      paced_rate_per_s: Math.round(pacedSent / pacedSeconds),
      relay_cpu_at_max: Math.round(relayCpu * 100) / 100,
      load_generator_cpu_at_max: Math.round(clientCpu * 100) / 100,
      lost,
      submit_errors: errors,
      envelopes_total: seq,
      ws_echo_per_s: Math.round(echoPerS),
      ratio: Math.round((maxRate / echoPerS) * 1000) / 1000,
      // Where the ratio's ceiling comes from: CPU time per message on each side, in
      // the maximum-rate phase and in the echo baseline (both share the same 2 cores).
      relay_cpu_us_per_envelope: Math.round((relayCpu / maxRate) * 1e6 * 10) / 10,
      load_generator_cpu_us_per_envelope: Math.round((clientCpu / maxRate) * 1e6 * 10) / 10,
      echo_server_cpu_us_per_message: Math.round(echo.serverUsPerMessage * 10) / 10,
      echo_client_cpu_us_per_message: Math.round(echo.clientUsPerMessage * 10) / 10,
      idle_connections: health.connectedDevices,
      idle_rss_mb: idleRss,
      rss_before_idle_mb: rssBeforeIdle,
      rss_start_mb: rssStart,
    };
  } finally {
    if (relay && relay.exitCode === null) {
      const exited = new Promise((resolve) =>
        relay!.once('exit', (code, signal) => {
          log(`relay exited (${code ?? signal})`);
          resolve(code);
        }),
      );
      relay.kill('SIGTERM');
      const timer = setTimeout(() => relay!.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

const suite: BenchSuite = {
  description:
    'relay: 100 senders → 100 receivers, 1 KiB envelopes, durable (targets: ratio ≥ 0.5 vs ws echo, p99 ≤ 50 ms at half rate, lost = 0, 10,000 idle devices < 400 MB RSS)',
  run,
};

export default suite;
