// Routing of envelopes between device sockets: checks a submission against the
// current device lists and queue limits, gives its copies server ids, pushes them
// to the recipients that are online, and has the rest committed before the sender
// is answered (commit-batcher.ts).
import type { Submit } from '../shared/wire/gen/relay_pb.js';
import type { StaleDevices } from '../shared/wire/index.js';
import type { RelayContext } from './context.js';
import type { DirectoryEntry } from './device-directory.js';
import { deviceKey } from './queue-accounting.js';
import { RelayError, storageFullError } from './relay-error.js';
import { isDiskFull } from '../shared/util/disk-full.js';
import type { PendingCopy } from './commit-batcher.js';
import type { DeviceAddress } from './store/store.js';
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
   * recipient list is stale, a recipient is unknown or a queue is full.
   */
  async prepare(
    sender: DeviceAddress,
    submit: Submit,
    receivedAt: number,
  ): Promise<PreparedSubmission> {
    const ready = this.prepareNow(sender, submit, receivedAt);
    if (ready) return ready;
    const entries = new Map<string, DirectoryEntry>();
    for (const userId of recipientUsers(submit)) {
      if (!entries.has(userId)) entries.set(userId, await this.ctx.directory.get(userId));
    }
    return this.check(sender, submit, receivedAt, (userId) => entries.get(userId))!;
  }

  /**
   * `prepare` without waiting, for the usual case: undefined when a recipient's devices
   * are not in the directory's cache yet (then `prepare` reads them). Saves a submission
   * the promises and turns of the asynchronous path.
   */
  prepareNow(
    sender: DeviceAddress,
    submit: Submit,
    receivedAt: number,
  ): PreparedSubmission | undefined {
    return this.check(sender, submit, receivedAt, (userId) => this.ctx.directory.peek(userId));
  }

  private check(
    sender: DeviceAddress,
    submit: Submit,
    receivedAt: number,
    entryOf: (userId: string) => DirectoryEntry | undefined,
  ): PreparedSubmission | undefined {
    const ctx = this.ctx;
    const envelopes: PreparedEnvelope[] =
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
    for (const userId of users.keys()) {
      if (entryOf(userId) === undefined) return undefined;
    }
    for (const [userId, user] of users) {
      const entry = entryOf(userId)!;
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
    for (const add of additions.values()) {
      const user = users.get(add.userId)!;
      if (user.devices!.has(add.deviceId) && !isSender(sender, add.userId, add.deviceId))
        user.current++;
    }
    const stale: StaleInit[] = [];
    for (const [userId, user] of users) {
      const devices = user.devices!;
      const active =
        devices.size - (userId === sender.userId && devices.has(sender.deviceId) ? 1 : 0);
      if (user.current === user.named && user.named === active) continue;
      const named = new Set<number>();
      for (const add of additions.values()) if (add.userId === userId) named.add(add.deviceId);
      const current = [...devices.keys()].filter((id) => !isSender(sender, userId, id));
      stale.push({
        userId,
        missing: current.filter((id) => !named.has(id)),
        extra: [...named]
          .filter((id) => !devices.has(id) || isSender(sender, userId, id))
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
    return { sender, envelopes, receivedAt };
  }

  /**
   * Gives the prepared submission's copies their server ids, pushes them to the
   * recipients that are online, and calls `answer` once every copy is durable:
   * committed here, or acknowledged by its device first (commit-batcher.ts). On
   * failure nothing more is stored, what was reserved for it is released, and
   * `answer` gets a RelayError.
   */
  commit(
    prepared: PreparedSubmission,
    answer: (result: SubmittedMessage | RelayError) => void,
  ): void {
    const ctx = this.ctx;
    const { sender, receivedAt } = prepared;
    const now = ctx.now();
    const envelopes = prepared.envelopes.map((envelope) => ({
      ciphertext: envelope.ciphertext,
      recipients: envelope.recipients.map((r): PendingCopy => ({
        userId: r.userId,
        deviceId: r.deviceId,
        serverId: ctx.serverIds.take(),
        size: envelope.ciphertext.length,
        handedOff: false,
      })),
    }));
    let afterCommit = false;
    let copies = 0;
    ctx.batcher.submit(
      { senderUser: sender.userId, senderDevice: sender.deviceId, now, envelopes },
      (error?: unknown) => {
        if (error === undefined) {
          if (afterCommit) {
            for (const envelope of envelopes) {
              for (const copy of envelope.recipients) {
                if (!copy.handedOff) this.offer(sender, now, envelope, copy, receivedAt);
              }
            }
          }
          ctx.metrics.envelopesIn.inc(copies);
          answer({ firstServerId: envelopes[0]?.recipients[0]?.serverId ?? 0, serverTime: now });
          return;
        }
        for (const envelope of envelopes) {
          for (const copy of envelope.recipients) {
            if (!copy.handedOff) ctx.accounting.adjust(copy.userId, copy.deviceId, -1, -copy.size);
          }
        }
        if (isDiskFull(error)) {
          ctx.log.error({ err: error }, 'disk full: free space on the relay');
          answer(storageFullError());
          return;
        }
        ctx.log.error({ err: error }, 'commit failed');
        answer(
          new RelayError(
            'INTERNAL',
            'The relay could not store the message; nothing was stored. Try again; if it persists, tell the relay operator.',
          ),
        );
      },
    );
    // Online recipients get their copy now, before the commit. An id not yet covered
    // by a durable reservation is shown only once committed (server-ids.ts).
    for (const envelope of envelopes) {
      for (const copy of envelope.recipients) {
        copies++;
        if (ctx.serverIds.isReserved(copy.serverId)) {
          this.offer(sender, now, envelope, copy, receivedAt);
        } else {
          afterCommit = true;
        }
      }
    }
  }

  private offer(
    sender: DeviceAddress,
    now: number,
    envelope: { readonly ciphertext: Uint8Array },
    copy: PendingCopy,
    receivedAt: number,
  ): void {
    this.connectionOf(copy)?.offer({
      serverId: copy.serverId,
      serverTime: now,
      senderUser: sender.userId,
      senderDevice: sender.deviceId,
      ciphertext: envelope.ciphertext,
      receivedAt,
    });
  }
}

/** What the sender is told once its submission is durable. */
export interface SubmittedMessage {
  /** The server id of the submission's first copy. */
  readonly firstServerId: number;
  readonly serverTime: number;
}

function isSender(sender: DeviceAddress, userId: string, deviceId: number): boolean {
  return userId === sender.userId && deviceId === sender.deviceId;
}

/** The users a submission names (a user may come more than once). */
function recipientUsers(submit: Submit): string[] {
  return submit.kind.case === 'perDevice'
    ? submit.kind.value.messages.map((m) => m.to!.userId)
    : (submit.kind.value?.recipients.map((r) => r.userId) ?? []);
}

/** A user a submission is addressed to: devices named, how many of them are current. */
interface AddressedUser {
  named: number;
  current: number;
  devices: ReadonlyMap<number, unknown> | undefined;
}

/** One ciphertext and the devices it goes to, before they have server ids. */
export interface PreparedEnvelope {
  readonly ciphertext: Uint8Array;
  readonly recipients: readonly DeviceAddress[];
}

interface Reservation extends DeviceAddress {
  count: number;
  bytes: number;
}

export interface PreparedSubmission {
  readonly sender: DeviceAddress;
  readonly envelopes: readonly PreparedEnvelope[];
  /** performance.now() when the frame arrived, for the delivery latency histogram. */
  readonly receivedAt: number;
}
