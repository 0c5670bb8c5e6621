// Signed acknowledgements ("pris connaissance") in the store: which messages asked
// for one, who acknowledged them, and the evidence that proves it (the signer device's
// relay certificate and its signature). An acknowledgement is checked before it is
// kept: the certificate against the pinned relay key, the signature against the
// certificate's identity key, and the digest against our own copy of the message.
import { fromBinary } from '@bufbuild/protobuf';
import { asEd25519PublicKey, verify } from '../../../shared/crypto/index.js';
import { bytesEqual } from '../../../shared/util/bytes.js';
import {
  type DeviceCertificate,
  DeviceCertificateSchema,
  verifyCertificate,
} from '../../../shared/wire/index.js';
import type { Store } from '../store/open-store.js';
import { statement } from '../store/statements.js';
import {
  type AcknowledgementFields,
  acknowledgedDigest,
  acknowledgementSignedBytes,
} from './acknowledgement-bytes.js';

/** The engine's migration 9 (main/engine/store/migrations.ts). */
export const ACKNOWLEDGEMENT_MIGRATION_STATEMENTS: readonly string[] = [
  'ALTER TABLE messages ADD COLUMN ack_requested INTEGER NOT NULL DEFAULT 0',
  `CREATE TABLE acknowledgements (
    message_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    device_id INTEGER NOT NULL,
    at INTEGER NOT NULL,
    digest BLOB NOT NULL,
    certificate BLOB NOT NULL,
    signature BLOB NOT NULL,
    PRIMARY KEY (message_id, user_id, device_id)
  )`,
];

/** An acknowledgement that does not hold: the sentence says why. */
export class AcknowledgementError extends Error {}

export interface SignedAcknowledgement extends AcknowledgementFields {
  /** The signer device's DeviceCertificate, as the relay signed it. */
  readonly certificate: Uint8Array;
  readonly signature: Uint8Array;
}

/**
 * Checks an acknowledgement on its own: the certificate is the relay's for the signer's
 * device, and that device's identity key signed these fields. Returns the certificate.
 */
export function verifyAcknowledgement(
  relayPublicKey: Uint8Array,
  ack: SignedAcknowledgement,
): DeviceCertificate {
  let certificate: DeviceCertificate;
  try {
    certificate = fromBinary(DeviceCertificateSchema, ack.certificate);
  } catch {
    throw new AcknowledgementError('The acknowledgement carries a malformed certificate.');
  }
  if (
    certificate.userId !== ack.signer ||
    certificate.deviceId !== ack.signerDevice ||
    !verifyCertificate(asEd25519PublicKey(relayPublicKey), certificate)
  ) {
    throw new AcknowledgementError(
      `The acknowledgement's certificate is not the relay's for ${ack.signer}/${ack.signerDevice}.`,
    );
  }
  if (
    ack.signature.length !== 64 ||
    !verify(
      asEd25519PublicKey(certificate.identityKey),
      acknowledgementSignedBytes(ack),
      ack.signature,
    )
  ) {
    throw new AcknowledgementError(`The acknowledgement is not signed by ${ack.signer}.`);
  }
  return certificate;
}

/** A message that asked for acknowledgements, as this store holds it. */
export interface AcknowledgementTarget {
  readonly author: string;
  readonly conversationId: string;
  readonly outgoing: boolean;
  readonly deleted: boolean;
  /** The digest of our copy: what an acknowledgement of it must name. */
  readonly digest: Uint8Array;
}

export interface AcknowledgementRow {
  readonly userId: string;
  readonly deviceId: number;
  readonly at: number;
  readonly digest: Uint8Array;
  readonly certificate: Uint8Array;
  readonly signature: Uint8Array;
}

export class Acknowledgements {
  constructor(private readonly db: Store) {}

  /** The message `id` if it asked for acknowledgements; null otherwise. */
  target(id: string): AcknowledgementTarget | null {
    const row = statement(
      this.db,
      `SELECT id, sender_id, conversation_id, sent_at, body, outgoing, deleted_at FROM messages
         WHERE id = ? AND ack_requested = 1`,
    ).get(id) as
      | {
          id: string;
          sender_id: string;
          conversation_id: string;
          sent_at: number;
          body: string | null;
          outgoing: number;
          deleted_at: number | null;
        }
      | undefined;
    if (!row) return null;
    const files = statement(
      this.db,
      `SELECT a.name, a.size, a.hash FROM message_attachments m JOIN attachments a ON a.id = m.attachment_id
         WHERE m.message_id = ? ORDER BY m.position`,
    ).all(id) as { name: string; size: number; hash: Uint8Array | null }[];
    return {
      author: row.sender_id,
      conversationId: row.conversation_id,
      outgoing: row.outgoing === 1,
      deleted: row.deleted_at !== null,
      digest: acknowledgedDigest({
        author: row.sender_id,
        id: row.id,
        sentAt: row.sent_at,
        body: row.body ?? '',
        files: files.map((f) => ({
          name: f.name,
          size: f.size,
          hash: f.hash ? new Uint8Array(f.hash) : new Uint8Array(32),
        })),
      }),
    };
  }

  /**
   * Verifies an acknowledgement received in `conversationId` against the relay key and
   * our copy of its message (which must be of that conversation), then keeps it; false
   * when this device had it already.
   */
  accept(relayPublicKey: Uint8Array, conversationId: string, ack: SignedAcknowledgement): boolean {
    const target = this.target(ack.targetId);
    if (!target || target.author !== ack.targetAuthor) {
      throw new AcknowledgementError('The acknowledged message is unknown or did not ask for it.');
    }
    if (target.conversationId !== conversationId) {
      throw new AcknowledgementError(
        'The acknowledgement came through another conversation than its message.',
      );
    }
    if (ack.signer === target.author) {
      throw new AcknowledgementError('The author of a message does not acknowledge it.');
    }
    verifyAcknowledgement(relayPublicKey, ack);
    if (!bytesEqual(ack.digest, target.digest)) {
      throw new AcknowledgementError(
        'The acknowledgement names another text or other files than the message we hold.',
      );
    }
    return this.record(ack);
  }

  /** Keeps an acknowledgement (ours, made here, or checked by `accept`). */
  record(ack: SignedAcknowledgement): boolean {
    return (
      statement(
        this.db,
        `INSERT OR IGNORE INTO acknowledgements (message_id, user_id, device_id, at, digest, certificate, signature)
           VALUES (?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        ack.targetId,
        ack.signer,
        ack.signerDevice,
        ack.at,
        ack.digest,
        ack.certificate,
        ack.signature,
      ).changes > 0
    );
  }

  /** Every signed acknowledgement of the message, with what proves it. */
  evidence(messageId: string): AcknowledgementRow[] {
    return (
      statement(
        this.db,
        `SELECT user_id, device_id, at, digest, certificate, signature FROM acknowledgements
           WHERE message_id = ? ORDER BY at, user_id, device_id`,
      ).all(messageId) as {
        user_id: string;
        device_id: number;
        at: number;
        digest: Uint8Array;
        certificate: Uint8Array;
        signature: Uint8Array;
      }[]
    ).map((r) => ({
      userId: r.user_id,
      deviceId: r.device_id,
      at: r.at,
      digest: new Uint8Array(r.digest),
      certificate: new Uint8Array(r.certificate),
      signature: new Uint8Array(r.signature),
    }));
  }
}
