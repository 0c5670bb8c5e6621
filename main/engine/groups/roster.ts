// A group's membership as a signed, hash-chained log (the roster). Each change
// is an entry signed by the device of the member who made it, carrying the
// relay's certificate of that device, and naming the hash of the entry before
// it. Every member verifies the whole chain: a change by a non-admin, a broken
// chain, a forged signature or a certificate not issued by the pinned relay is
// refused.
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { EngineError } from '../../../shared/api/errors.js';
import {
  type Ed25519SecretKey,
  asEd25519PublicKey,
  blake2b,
  sign,
  verify,
} from '../../../shared/crypto/index.js';
import { bytesEqual } from '../../../shared/util/bytes.js';
import {
  type RosterEntry,
  RosterEntrySchema,
  type SignedRosterEntry,
  SignedRosterEntrySchema,
} from '../../../shared/wire/gen/content_pb.js';
import { DeviceCertificateSchema, verifyCertificate } from '../../../shared/wire/index.js';

export type RosterAction = 'create' | 'add' | 'remove' | 'leave' | 'rename';

export interface RosterMember {
  readonly userId: string;
  readonly admin: boolean;
}

export interface RosterState {
  readonly groupId: string;
  readonly name: string;
  readonly seq: number;
  /** BLAKE2b-256 of the last signed entry. */
  readonly head: Uint8Array;
  readonly members: readonly RosterMember[];
  /** A broadcast channel: only admins post; fixed at creation. */
  readonly broadcast: boolean;
}

export const MAX_GROUP_MEMBERS = 1000;
export const MAX_GROUP_NAME = 120;
const ROSTER_VERSION = 1;

export class RosterError extends EngineError {
  constructor(message: string) {
    super('NOT_ALLOWED', message);
  }
}

export function entryHash(signed: SignedRosterEntry): Uint8Array {
  return blake2b(toBinary(SignedRosterEntrySchema, signed), 32);
}

export interface Signer {
  readonly userId: string;
  readonly secretKey: Ed25519SecretKey;
  /** Our DeviceCertificate as stored at enrolment. */
  readonly certificate: Uint8Array;
}

/** Makes and signs the next entry after `previous` (null for a creation). */
export function signEntry(
  signer: Signer,
  groupId: string,
  previous: RosterState | null,
  action: RosterAction,
  change: {
    subject?: string;
    members: readonly RosterMember[];
    name: string;
    /** At creation only; later entries repeat the group's own. */
    broadcast?: boolean;
  },
  at = Date.now(),
): SignedRosterEntry {
  const entry = create(RosterEntrySchema, {
    version: ROSTER_VERSION,
    groupId,
    seq: previous ? previous.seq + 1 : 0,
    prevHash: previous ? previous.head : new Uint8Array(0),
    action,
    subject: change.subject ?? '',
    actor: signer.userId,
    actorCertificate: signer.certificate,
    members: change.members.map((m) => ({ userId: m.userId, admin: m.admin })),
    name: change.name,
    at: BigInt(at),
    broadcast: previous ? previous.broadcast : change.broadcast === true,
  });
  const bytes = toBinary(RosterEntrySchema, entry);
  return create(SignedRosterEntrySchema, {
    entry: bytes,
    signature: sign(signer.secretKey, bytes),
  });
}

function isAdmin(state: RosterState, userId: string): boolean {
  return state.members.some((m) => m.userId === userId && m.admin);
}

function isMember(state: RosterState, userId: string): boolean {
  return state.members.some((m) => m.userId === userId);
}

/**
 * Verifies `signed` as the successor of `previous` (null: a creation) and
 * returns the new state. Throws RosterError with the reason otherwise.
 */
export function applyEntry(
  previous: RosterState | null,
  signed: SignedRosterEntry,
  relayPublicKey: Uint8Array,
): RosterState {
  let entry: RosterEntry;
  try {
    entry = fromBinary(RosterEntrySchema, signed.entry);
  } catch {
    throw new RosterError('A group change is malformed; it was refused.');
  }
  if (entry.version !== ROSTER_VERSION)
    throw new RosterError('A group change has an unknown version.');
  let certificate;
  try {
    certificate = fromBinary(DeviceCertificateSchema, entry.actorCertificate);
  } catch {
    throw new RosterError('A group change carries a malformed certificate.');
  }
  if (
    certificate.userId !== entry.actor ||
    !verifyCertificate(asEd25519PublicKey(relayPublicKey), certificate) ||
    !verify(asEd25519PublicKey(certificate.identityKey), signed.entry, signed.signature)
  ) {
    throw new RosterError(
      `A group change claiming to come from ${entry.actor} is not signed by them.`,
    );
  }
  const members = entry.members.map((m) => ({ userId: m.userId, admin: m.admin }));
  if (members.length === 0 || members.length > MAX_GROUP_MEMBERS) {
    throw new RosterError('A group must have between 1 and 1000 members.');
  }
  if (new Set(members.map((m) => m.userId)).size !== members.length) {
    throw new RosterError('A group change lists a member twice.');
  }
  if (entry.name.length === 0 || entry.name.length > MAX_GROUP_NAME) {
    throw new RosterError('A group name must have between 1 and 120 characters.');
  }
  if (previous === null) {
    if (entry.seq !== 0 || entry.prevHash.length !== 0 || entry.action !== 'create') {
      throw new RosterError('A group history must start with its creation.');
    }
    if (!members.some((m) => m.userId === entry.actor && m.admin)) {
      throw new RosterError('The creator of a group must be one of its admins.');
    }
    return {
      groupId: entry.groupId,
      name: entry.name,
      seq: 0,
      head: entryHash(signed),
      members,
      broadcast: entry.broadcast,
    };
  }
  if (entry.groupId !== previous.groupId)
    throw new RosterError('A group change names another group.');
  if (entry.seq !== previous.seq + 1 || !bytesEqual(entry.prevHash, previous.head)) {
    throw new RosterError('A group change does not follow the history we hold (broken chain).');
  }
  if (entry.broadcast !== previous.broadcast) {
    throw new RosterError('A group cannot become, or stop being, a broadcast channel.');
  }
  const before = new Set(previous.members.map((m) => m.userId));
  const after = new Set(members.map((m) => m.userId));
  const added = [...after].filter((u) => !before.has(u));
  const removed = [...before].filter((u) => !after.has(u));
  const adminsChanged = members.some(
    (m) => before.has(m.userId) && m.admin !== isAdmin(previous, m.userId),
  );
  switch (entry.action) {
    case 'add':
      if (!isAdmin(previous, entry.actor))
        throw new RosterError(`${entry.actor} is not an admin of this group.`);
      if (removed.length > 0 || added.length !== 1 || added[0] !== entry.subject || adminsChanged) {
        throw new RosterError('An "add" change must add exactly the member it names.');
      }
      break;
    case 'remove':
      if (!isAdmin(previous, entry.actor))
        throw new RosterError(`${entry.actor} is not an admin of this group.`);
      if (
        added.length > 0 ||
        removed.length !== 1 ||
        removed[0] !== entry.subject ||
        adminsChanged
      ) {
        throw new RosterError('A "remove" change must remove exactly the member it names.');
      }
      break;
    case 'leave':
      if (entry.subject !== entry.actor || !isMember(previous, entry.actor)) {
        throw new RosterError('Only a member can leave, and only for themself.');
      }
      if (added.length > 0 || removed.length !== 1 || removed[0] !== entry.actor) {
        throw new RosterError('A "leave" change must remove exactly its author.');
      }
      {
        // The last admin leaving hands the group over to the first remaining member.
        const adminsLeft = previous.members.some((m) => m.admin && m.userId !== entry.actor);
        const promoted = adminsLeft ? undefined : members[0]?.userId;
        if (
          members.some((m) => m.admin !== (isAdmin(previous, m.userId) || m.userId === promoted))
        ) {
          throw new RosterError('Leaving a group cannot change who the admins are.');
        }
      }
      break;
    case 'rename':
      if (!isAdmin(previous, entry.actor))
        throw new RosterError(`${entry.actor} is not an admin of this group.`);
      if (added.length > 0 || removed.length > 0 || adminsChanged) {
        throw new RosterError('A rename cannot change the members.');
      }
      break;
    default:
      throw new RosterError(`Unknown group change "${entry.action}".`);
  }
  return {
    groupId: previous.groupId,
    name: entry.name,
    seq: entry.seq,
    head: entryHash(signed),
    members,
    broadcast: previous.broadcast,
  };
}

/** Verifies a whole chain from its creation. */
export function verifyChain(
  entries: readonly SignedRosterEntry[],
  relayPublicKey: Uint8Array,
): RosterState {
  if (entries.length === 0) throw new RosterError('An empty group history was refused.');
  let state: RosterState | null = null;
  for (const signed of entries) state = applyEntry(state, signed, relayPublicKey);
  return state!;
}

export function decodeEntry(signed: SignedRosterEntry): RosterEntry {
  return fromBinary(RosterEntrySchema, signed.entry);
}
