// Routing of envelopes between device sockets: checks a submission against the
// current device lists and queue limits, has it committed, answers the sender,
// and pushes the stored envelopes to the recipients that are online.
import type { Submit } from '../shared/wire/gen/relay_pb.js';
import type { StaleDevices } from '../shared/wire/index.js';
import type { RelayContext } from './context.js';
import { deviceKey } from './queue-accounting.js';
import { RelayError, storageFullError } from './relay-error.js';
import { isDiskFull } from '../shared/util/disk-full.js';
import type { DeviceAddress, EnvelopeWrite, QueuedEntry, SubmissionResult } from './store/store.js';
import type { Connection } from './ws/connection.js';

type StaleInit = Pick<StaleDevices, 'userId' | 'missing' | 'extra' | 'current'>;

export class StaleDevicesError extends RelayError {
  constructor(readonly stale: StaleInit[]) {
    super(
      'STALE_DEVICES',
      `The device list of ${stale.map((s) => s.userId).join(', ')} changed; fetch the missing devices' prekey bundles and send again.`,
    );
  }
}

export class Router {
  private readonly online = new Map<string, Connection>();
  private ctx!: RelayContext;

  attach(ctx: RelayContext): void {
    this.ctx = ctx;
  }

  get onlineCount(): number {
    return this.online.size;
  }

  connections(): IterableIterator<Connection> {
    return this.online.values();
  }

  /** Registers an authenticated connection; an older connection of the same device is replaced. */
  register(connection: Connection, device: DeviceAddress): void {
    const key = deviceKey(device.userId, device.deviceId);
    const previous = this.online.get(key);
    this.online.set(key, connection);
    previous?.closeWithError(
      'REPLACED',
      'This device connected again from elsewhere; this connection is closed.',
    );
  }

  unregister(connection: Connection, device: DeviceAddress): void {
    const key = deviceKey(device.userId, device.deviceId);
    if (this.online.get(key) === connection) this.online.delete(key);
  }

  connectionOf(device: DeviceAddress): Connection | undefined {
    return this.online.get(deviceKey(device.userId, device.deviceId));
  }

  closeDevice(device: DeviceAddress, code: 'DEVICE_REVOKED', message: string): void {
    this.connectionOf(device)?.closeWithError(code, message);
  }

  /**
   * Checks a submission against the current device lists and queue limits and
   * reserves its queue space. Throws RelayError (nothing reserved) when the
   * recipient list is stale, a recipient is unknown or a queue is full. Only
   * asynchronous when a recipient's devices are not cached yet.
   */
  async prepare(
    sender: DeviceAddress,
    submit: Submit,
    receivedAt: number,
  ): Promise<PreparedSubmission> {
    const ctx = this.ctx;
    const envelopes: EnvelopeWrite[] =
      submit.kind.case === 'perDevice'
        ? submit.kind.value.messages.map((m) => ({
            ciphertext: m.ciphertext,
            recipients: [{ userId: m.to!.userId, deviceId: m.to!.deviceId }],
          }))
        : [
            {
              ciphertext: submit.kind.value!.ciphertext,
              recipients: submit.kind.value!.recipients.map((r) => ({
                userId: r.userId,
                deviceId: r.deviceId,
              })),
            },
          ];

    // What each device's queue takes (a device named twice is refused), and how many
    // devices each user is sent to. Written to allocate little: it runs for every
    // submission, and its garbage was a visible share of the relay's time.
    const additions = new Map<string, Reservation>();
    const users = new Map<string, AddressedUser>();
    for (const envelope of envelopes) {
      const bytes = envelope.ciphertext.length;
      for (const { userId, deviceId } of envelope.recipients) {
        const key = deviceKey(userId, deviceId);
        if (additions.has(key)) {
          throw new RelayError(
            'DUPLICATE_RECIPIENT',
            `The device ${userId}/${deviceId} is named twice in one submission; name each device once.`,
          );
        }
        additions.set(key, { userId, deviceId, count: 1, bytes });
        const user = users.get(userId);
        if (user) user.named += 1;
        else users.set(userId, { named: 1, current: 0, devices: undefined });
      }
    }
    for (const [userId, user] of users) {
      const entry = ctx.directory.peek(userId) ?? (await ctx.directory.get(userId));
      if (!entry.user || entry.user.revokedAt !== null) {
        throw new RelayError(
          'UNKNOWN_RECIPIENT',
          `There is no active user "${userId}" on this relay; check the address or refresh the directory.`,
        );
      }
      user.devices = entry.devices;
    }
    // The list is current when every device named is active (and not the sender's own)
    // and as many are named as the user has.
    const isSender = (userId: string, deviceId: number) =>
      userId === sender.userId && deviceId === sender.deviceId;
    for (const add of additions.values()) {
      const user = users.get(add.userId)!;
      if (user.devices!.has(add.deviceId) && !isSender(add.userId, add.deviceId)) user.current++;
    }
    const stale: StaleInit[] = [];
    for (const [userId, user] of users) {
      const devices = user.devices!;
      const active =
        devices.size - (userId === sender.userId && devices.has(sender.deviceId) ? 1 : 0);
      if (user.current === user.named && user.named === active) continue;
      const named = new Set<number>();
      for (const add of additions.values()) if (add.userId === userId) named.add(add.deviceId);
      const current = [...devices.keys()].filter((id) => !isSender(userId, id));
      stale.push({
        userId,
        missing: current.filter((id) => !named.has(id)),
        extra: [...named]
          .filter((id) => !devices.has(id) || isSender(userId, id))
          .sort((a, b) => a - b),
        current: current.sort((a, b) => a - b),
      });
    }
    if (stale.length > 0) throw new StaleDevicesError(stale);

    const full = ctx.accounting.overLimit(additions);
    if (full) {
      throw new RelayError(
        'QUEUE_FULL',
        `The queue of ${full.userId}/${full.deviceId} is full (that device has been offline too long); nothing was stored. Try again later.`,
      );
    }
    for (const add of additions.values()) {
      ctx.accounting.adjust(add.userId, add.deviceId, add.count, add.bytes);
    }
    return { sender, envelopes, reservations: [...additions.values()], receivedAt };
  }

  /**
   * Commits a prepared submission (resolves after the commit), then pushes its
   * envelopes to the recipients that are online. On failure nothing is stored
   * and the reservation is released.
   */
  async commit(prepared: PreparedSubmission): Promise<SubmissionResult> {
    const ctx = this.ctx;
    const { sender, envelopes } = prepared;
    let result: SubmissionResult;
    try {
      result = await ctx.batcher.submit({
        senderUser: sender.userId,
        senderDevice: sender.deviceId,
        now: ctx.now(),
        envelopes,
      });
    } catch (error) {
      for (const r of prepared.reservations) {
        ctx.accounting.adjust(r.userId, r.deviceId, -r.count, -r.bytes);
      }
      if (isDiskFull(error)) {
        ctx.log.error({ err: error }, 'disk full: free space on the relay');
        throw storageFullError();
      }
      ctx.log.error({ err: error }, 'commit failed');
      throw new RelayError(
        'INTERNAL',
        'The relay could not store the message; nothing was stored. Try again; if it persists, tell the relay operator.',
      );
    }
    let stored = 0;
    envelopes.forEach((envelope, i) => {
      const entries: readonly QueuedEntry[] = result.queued[i]!;
      stored += entries.length;
      for (const entry of entries) {
        this.connectionOf(entry)?.offer({
          serverId: entry.serverId,
          serverTime: result.serverTime,
          senderUser: sender.userId,
          senderDevice: sender.deviceId,
          ciphertext: envelope.ciphertext,
          receivedAt: prepared.receivedAt,
        });
      }
    });
    ctx.metrics.envelopesIn.inc(stored);
    return result;
  }
}

/** A user a submission is addressed to: devices named, how many of them are current. */
interface AddressedUser {
  named: number;
  current: number;
  devices: ReadonlyMap<number, unknown> | undefined;
}

interface Reservation extends DeviceAddress {
  count: number;
  bytes: number;
}

export interface PreparedSubmission {
  readonly sender: DeviceAddress;
  readonly envelopes: readonly EnvelopeWrite[];
  readonly reservations: readonly Reservation[];
  /** performance.now() when the frame arrived, for the delivery latency histogram. */
  readonly receivedAt: number;
}
