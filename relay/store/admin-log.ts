// The tamper-evident log of administrative changes: every invitation, enrolment and
// revocation (with or without a wipe order), and the delivery of a wipe order to its
// device, appends one entry, in the same transaction as the change. Each entry's
// hash covers the previous entry's hash, so an entry altered, removed or inserted
// afterwards breaks the chain from that point on (`verifyAdminLog`). What a chain
// cannot show is its own tail cut off, or the whole chain rewritten by someone who
// controls the server: for that the ICT cell copies the head (sequence number and
// hash, signed with the relay key) into a register kept elsewhere, and later checks
// that the log still holds that entry with that hash (`comgov-relay audit --head`).
import { blake2b } from '../../shared/crypto/index.js';
import { bytesEqual } from '../../shared/util/bytes.js';

export interface AdminLogEntry {
  readonly seq: number;
  /** Milliseconds since the epoch. */
  readonly at: number;
  /**
   * Who made the change: `cli:<operating-system user>`, `enrolment` for a device
   * enrolling, `relay` for a wipe order handed to its device.
   */
  readonly actor: string;
  readonly action: 'invite' | 'enrol' | 'revoke' | 'wipe-delivered' | 'clearance' | 'org';
  /** The user, or `user/device`, concerned. */
  readonly subject: string;
  /** JSON object with the change's particulars (never a code, a key's secret, or content). */
  readonly details: string;
  readonly prevHash: Uint8Array;
  readonly hash: Uint8Array;
}

export type AdminLogFields = Omit<AdminLogEntry, 'seq' | 'prevHash' | 'hash'>;

/** The previous hash of the first entry. */
export const ADMIN_LOG_GENESIS = new Uint8Array(32);

const DOMAIN = new TextEncoder().encode('comgov-relay admin log v1\n');
const HEAD_DOMAIN = new TextEncoder().encode('comgov-relay admin log head v1\n');

/** BLAKE2b-256 over the previous hash and the entry's fields (a JSON array: unambiguous). */
export function adminLogHash(
  prevHash: Uint8Array,
  entry: Omit<AdminLogEntry, 'hash' | 'prevHash'>,
): Uint8Array {
  const fields = new TextEncoder().encode(
    JSON.stringify([entry.seq, entry.at, entry.actor, entry.action, entry.subject, entry.details]),
  );
  const input = new Uint8Array(DOMAIN.length + prevHash.length + fields.length);
  input.set(DOMAIN, 0);
  input.set(prevHash, DOMAIN.length);
  input.set(fields, DOMAIN.length + prevHash.length);
  return blake2b(input, 32);
}

/** The bytes the relay key signs for a head: what the ICT cell writes in its register. */
export function adminLogHeadBytes(seq: number, hash: Uint8Array): Uint8Array {
  const seqBytes = new TextEncoder().encode(`${seq}\n`);
  const out = new Uint8Array(HEAD_DOMAIN.length + seqBytes.length + hash.length);
  out.set(HEAD_DOMAIN, 0);
  out.set(seqBytes, HEAD_DOMAIN.length);
  out.set(hash, HEAD_DOMAIN.length + seqBytes.length);
  return out;
}

export type AdminLogVerdict =
  | { readonly ok: true; readonly count: number; readonly head: AdminLogEntry | undefined }
  | { readonly ok: false; readonly seq: number; readonly reason: string };

/** Checks a whole log, in sequence order: numbering without gaps, links, and hashes. */
export function verifyAdminLog(entries: readonly AdminLogEntry[]): AdminLogVerdict {
  let prev: Uint8Array = ADMIN_LOG_GENESIS;
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i]!;
    if (entry.seq !== i + 1) {
      return {
        ok: false,
        seq: i + 1,
        reason: `entry ${i + 1} is missing (the next one is numbered ${entry.seq})`,
      };
    }
    if (!bytesEqual(entry.prevHash, prev)) {
      return { ok: false, seq: entry.seq, reason: 'it does not follow the entry before it' };
    }
    if (!bytesEqual(adminLogHash(prev, entry), entry.hash)) {
      return { ok: false, seq: entry.seq, reason: 'its content does not match its hash' };
    }
    prev = entry.hash;
  }
  return { ok: true, count: entries.length, head: entries.at(-1) };
}
