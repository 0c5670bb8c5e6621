// Groups in the client store: the verified roster, its members, and the sender
// keys (ours and every member device's). Writes run inside the caller's
// transaction.
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import {
  type SenderKeyState,
  createSenderKey,
  decodeSenderKeyState,
  encodeSenderKeyState,
} from '../../../shared/crypto/index.js';
import { utf8 } from '../../../shared/util/bytes.js';
import {
  type SignedRosterEntry,
  SignedRosterEntrySchema,
} from '../../../shared/wire/gen/content_pb.js';
import { statement } from '../store/statements.js';
import type { Store } from '../store/open-store.js';
import type { RosterMember, RosterState } from './roster.js';

export function groupConversationId(groupId: string): string {
  return `group:${groupId}`;
}

export function groupIdOf(conversationId: string): string | null {
  return conversationId.startsWith('group:') ? conversationId.slice('group:'.length) : null;
}

export function isGroupId(value: unknown): value is string {
  return typeof value === 'string' && /^[0-9a-f]{32}$/.test(value);
}

/** What sender-key AEADs bind: a group message cannot be replayed in another group or by another sender. */
export function senderKeyContext(groupId: string, userId: string, deviceId: number): Uint8Array {
  return utf8(`COMGOV-Group-v1|${groupId}|${userId}|${deviceId}`);
}

export class GroupStore {
  constructor(private readonly db: Store) {}

  roster(groupId: string): RosterState | null {
    const row = statement(
      this.db,
      'SELECT name, roster_seq, roster_head, broadcast FROM groups WHERE id = ?',
    ).get(groupId) as
      { name: string; roster_seq: number; roster_head: Uint8Array; broadcast: number } | undefined;
    if (!row) return null;
    return {
      groupId,
      name: row.name,
      seq: row.roster_seq,
      head: new Uint8Array(row.roster_head),
      members: this.members(groupId),
      broadcast: row.broadcast === 1,
    };
  }

  members(groupId: string): RosterMember[] {
    return (
      statement(
        this.db,
        'SELECT user_id, admin FROM group_members WHERE group_id = ? ORDER BY rowid',
      ).all(groupId) as { user_id: string; admin: number }[]
    ).map((r) => ({ userId: r.user_id, admin: r.admin === 1 }));
  }

  /**
   * What one person may do in a group, in one indexed read (no member list): whether they
   * are a member, an admin, and whether the group is a broadcast channel. Null for a
   * group this device does not know. Used on every group message and list refresh.
   */
  rights(
    groupId: string,
    userId: string,
  ): { member: boolean; admin: boolean; broadcast: boolean } | null {
    const row = statement(
      this.db,
      `SELECT g.broadcast, m.admin FROM groups g
         LEFT JOIN group_members m ON m.group_id = g.id AND m.user_id = ?
         WHERE g.id = ?`,
    ).get(userId, groupId) as { broadcast: number; admin: number | null } | undefined;
    if (!row) return null;
    return { member: row.admin !== null, admin: row.admin === 1, broadcast: row.broadcast === 1 };
  }

  isMember(groupId: string, userId: string): boolean {
    return (
      statement(this.db, 'SELECT 1 FROM group_members WHERE group_id = ? AND user_id = ?').get(
        groupId,
        userId,
      ) !== undefined
    );
  }

  entries(groupId: string): SignedRosterEntry[] {
    return (
      statement(this.db, 'SELECT signed FROM group_roster WHERE group_id = ? ORDER BY seq')
        .pluck()
        .all(groupId) as Uint8Array[]
    ).map((b) => fromBinary(SignedRosterEntrySchema, new Uint8Array(b)));
  }

  /** Stores a verified roster state and the entries that led to it (from `fromSeq`). */
  save(
    state: RosterState,
    entries: readonly SignedRosterEntry[],
    fromSeq: number,
    now: number,
  ): void {
    statement(
      this.db,
      `INSERT INTO groups (id, name, roster_seq, roster_head, broadcast) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET name = excluded.name, roster_seq = excluded.roster_seq,
         roster_head = excluded.roster_head`,
    ).run(state.groupId, state.name, state.seq, state.head, state.broadcast ? 1 : 0);
    const insert = statement(
      this.db,
      'INSERT OR REPLACE INTO group_roster (group_id, seq, signed) VALUES (?, ?, ?)',
    );
    entries.forEach((e, i) => {
      if (i >= fromSeq) insert.run(state.groupId, i, toBinary(SignedRosterEntrySchema, e));
    });
    statement(this.db, 'DELETE FROM group_members WHERE group_id = ?').run(state.groupId);
    const member = statement(
      this.db,
      'INSERT INTO group_members (group_id, user_id, admin) VALUES (?, ?, ?)',
    );
    for (const m of state.members) member.run(state.groupId, m.userId, m.admin ? 1 : 0);
    const conversationId = groupConversationId(state.groupId);
    statement(
      this.db,
      `INSERT INTO conversations (id, kind, title, created_at, last_activity_at) VALUES (?, 'group', ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET title = excluded.title`,
    ).run(conversationId, state.name, now, now);
  }

  markLeft(groupId: string, now: number): void {
    statement(this.db, 'UPDATE groups SET left_at = ? WHERE id = ?').run(now, groupId);
    statement(this.db, 'DELETE FROM own_sender_keys WHERE group_id = ?').run(groupId);
  }

  hasLeft(groupId: string): boolean {
    return (
      (statement(this.db, 'SELECT left_at FROM groups WHERE id = ?').pluck().get(groupId) ??
        null) !== null
    );
  }

  // -------------------------------------------------------------- sender keys

  /** Our own sender key for the group (created on first use) and the devices that have it. */
  ownSenderKey(groupId: string): { state: SenderKeyState; distributedTo: Set<string> } {
    const row = statement(
      this.db,
      'SELECT state, distributed_to FROM own_sender_keys WHERE group_id = ?',
    ).get(groupId) as { state: Uint8Array; distributed_to: string } | undefined;
    if (row) {
      return {
        state: decodeSenderKeyState(new Uint8Array(row.state)),
        distributedTo: new Set(JSON.parse(row.distributed_to) as string[]),
      };
    }
    return { state: createSenderKey(), distributedTo: new Set() };
  }

  saveOwnSenderKey(
    groupId: string,
    state: SenderKeyState,
    distributedTo: ReadonlySet<string>,
  ): void {
    statement(
      this.db,
      `INSERT INTO own_sender_keys (group_id, state, distributed_to) VALUES (?, ?, ?)
       ON CONFLICT (group_id) DO UPDATE SET state = excluded.state, distributed_to = excluded.distributed_to`,
    ).run(groupId, encodeSenderKeyState(state), JSON.stringify([...distributedTo].sort()));
  }

  saveMemberSenderKey(
    groupId: string,
    userId: string,
    deviceId: number,
    state: SenderKeyState,
    now: number,
  ): void {
    statement(
      this.db,
      `INSERT INTO sender_keys (group_id, user_id, device_id, key_id, state, updated_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (group_id, user_id, device_id, key_id) DO UPDATE SET state = excluded.state,
         updated_at = excluded.updated_at`,
    ).run(groupId, userId, deviceId, state.keyId, encodeSenderKeyState(state), now);
  }

  /** The sender key a group message names: (sender, device, key id) → group and state. */
  memberSenderKey(
    userId: string,
    deviceId: number,
    keyId: number,
  ): { groupId: string; state: SenderKeyState } | null {
    const row = statement(
      this.db,
      'SELECT group_id, state FROM sender_keys WHERE user_id = ? AND device_id = ? AND key_id = ?',
    ).get(userId, deviceId, keyId) as { group_id: string; state: Uint8Array } | undefined;
    return row
      ? { groupId: row.group_id, state: decodeSenderKeyState(new Uint8Array(row.state)) }
      : null;
  }

  /** Forgets a member's sender keys (they left, or were removed). */
  dropMemberSenderKeys(groupId: string, userId: string): void {
    statement(this.db, 'DELETE FROM sender_keys WHERE group_id = ? AND user_id = ?').run(
      groupId,
      userId,
    );
  }

  groupIds(): string[] {
    return statement(this.db, 'SELECT id FROM groups WHERE left_at IS NULL')
      .pluck()
      .all() as string[];
  }
}
