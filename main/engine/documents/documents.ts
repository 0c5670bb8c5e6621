// Signed documents (« attestation d'intégrité ») in the store: for each signed file,
// its SHA-256, the signer's device certificate and signature. A signature is checked
// before it is kept: the certificate against the pinned relay key, the signature
// against the certificate's identity key. The content itself is checked against the
// signed SHA-256 when the file is saved (Attachments.save's `expectedSha256`).
import { createReadStream } from 'node:fs';
import { fromBinary } from '@bufbuild/protobuf';
import { Sha256Hasher, asEd25519PublicKey, sign, verify } from '../../../shared/crypto/index.js';
import {
  type DeviceCertificate,
  DeviceCertificateSchema,
  verifyCertificate,
} from '../../../shared/wire/index.js';
import type { Account } from '../account.js';
import type { Store } from '../store/open-store.js';
import { statement } from '../store/statements.js';
import { type DocumentFields, documentSignedBytes } from './document-bytes.js';

/** The engine's migration 12 (main/engine/store/migrations.ts). */
export const DOCUMENT_MIGRATION_STATEMENTS: readonly string[] = [
  `CREATE TABLE document_signatures (
    attachment_id TEXT PRIMARY KEY,
    sha256 BLOB NOT NULL,
    signer_user TEXT NOT NULL,
    signer_device INTEGER NOT NULL,
    name TEXT NOT NULL,
    size INTEGER NOT NULL,
    signed_at INTEGER NOT NULL,
    certificate BLOB NOT NULL,
    signature BLOB NOT NULL
  )`,
  'CREATE INDEX document_signatures_by_sha256 ON document_signatures (sha256)',
];

/** A document signature that does not hold: the sentence says why. */
export class DocumentError extends Error {}

export interface SignedDocument extends DocumentFields {
  /** The signer device's DeviceCertificate, as the relay signed it. */
  readonly certificate: Uint8Array;
  readonly signature: Uint8Array;
}

/** What travels in a file's descriptor (content.proto DocumentSignature). */
export interface WireDocumentSignature {
  readonly sha256: Uint8Array;
  readonly signedAt: bigint;
  readonly certificate: Uint8Array;
  readonly signature: Uint8Array;
}

/** Signs a file's content as this device, with its relay certificate. */
export function signDocument(
  account: Account,
  certificate: Uint8Array,
  file: { readonly name: string; readonly size: number; readonly sha256: Uint8Array },
  signedAt: number,
): SignedDocument {
  const fields: DocumentFields = {
    signer: account.userId,
    signerDevice: account.deviceId,
    ...file,
    signedAt,
  };
  const signature = sign(account.identity.secretKey, documentSignedBytes(fields));
  return { ...fields, certificate, signature };
}

/**
 * Checks a document signature on its own, for the file it came with: the certificate
 * is the relay's for the signer's device, and that device's identity key signed the
 * file's name, size and SHA-256. Returns the signed document.
 */
export function verifyDocumentSignature(
  relayPublicKey: Uint8Array,
  wire: WireDocumentSignature,
  file: { readonly name: string; readonly size: number },
): SignedDocument {
  let certificate: DeviceCertificate;
  try {
    certificate = fromBinary(DeviceCertificateSchema, wire.certificate);
  } catch {
    throw new DocumentError('The document signature carries a malformed certificate.');
  }
  if (!verifyCertificate(asEd25519PublicKey(relayPublicKey), certificate)) {
    throw new DocumentError('The document signature’s certificate is not signed by the relay.');
  }
  const signedAt = Number(wire.signedAt);
  if (wire.sha256.length !== 32 || !Number.isSafeInteger(signedAt)) {
    throw new DocumentError('The document signature is malformed.');
  }
  const fields: DocumentFields = {
    signer: certificate.userId,
    signerDevice: certificate.deviceId,
    name: file.name,
    size: file.size,
    sha256: wire.sha256,
    signedAt,
  };
  if (
    wire.signature.length !== 64 ||
    !verify(
      asEd25519PublicKey(certificate.identityKey),
      documentSignedBytes(fields),
      wire.signature,
    )
  ) {
    throw new DocumentError(`The document is not signed by ${certificate.userId}.`);
  }
  return { ...fields, certificate: wire.certificate, signature: wire.signature };
}

/** SHA-256 and size of a file, read as a stream (never whole in memory). */
export async function fileSha256(
  filePath: string,
): Promise<{ readonly sha256: Uint8Array; readonly size: number }> {
  const hasher = new Sha256Hasher();
  let size = 0;
  for await (const chunk of createReadStream(filePath, { highWaterMark: 1 << 20 })) {
    const bytes = chunk as Buffer;
    hasher.update(bytes);
    size += bytes.length;
  }
  return { sha256: hasher.digest(), size };
}

interface DocumentRow {
  attachment_id: string;
  sha256: Uint8Array;
  signer_user: string;
  signer_device: number;
  name: string;
  size: number;
  signed_at: number;
  certificate: Uint8Array;
  signature: Uint8Array;
}

function fromRow(row: DocumentRow): SignedDocument & { readonly attachmentId: string } {
  return {
    attachmentId: row.attachment_id,
    signer: row.signer_user,
    signerDevice: row.signer_device,
    name: row.name,
    size: row.size,
    sha256: new Uint8Array(row.sha256),
    signedAt: row.signed_at,
    certificate: new Uint8Array(row.certificate),
    signature: new Uint8Array(row.signature),
  };
}

export class Documents {
  constructor(private readonly db: Store) {}

  /** Keeps a file's (checked) signature; the first one kept for a file stays. */
  keep(attachmentId: string, document: SignedDocument): void {
    statement(
      this.db,
      `INSERT OR IGNORE INTO document_signatures (attachment_id, sha256, signer_user,
         signer_device, name, size, signed_at, certificate, signature)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      attachmentId,
      document.sha256,
      document.signer,
      document.signerDevice,
      document.name,
      document.size,
      document.signedAt,
      document.certificate,
      document.signature,
    );
  }

  get(attachmentId: string): (SignedDocument & { readonly attachmentId: string }) | null {
    const row = statement(this.db, 'SELECT * FROM document_signatures WHERE attachment_id = ?').get(
      attachmentId,
    ) as DocumentRow | undefined;
    return row ? fromRow(row) : null;
  }

  /** What travels with the file in a message (a forward carries it unchanged). */
  wire(attachmentId: string): WireDocumentSignature | undefined {
    const document = this.get(attachmentId);
    return document
      ? {
          sha256: document.sha256,
          signedAt: BigInt(document.signedAt),
          certificate: document.certificate,
          signature: document.signature,
        }
      : undefined;
  }

  /** The signed documents whose content has this SHA-256. */
  withSha256(sha256: Uint8Array): (SignedDocument & { readonly attachmentId: string })[] {
    return (
      statement(
        this.db,
        'SELECT * FROM document_signatures WHERE sha256 = ? ORDER BY signed_at',
      ).all(sha256) as DocumentRow[]
    ).map(fromRow);
  }

  /** The file was erased (its message disappeared): its signature goes with it. */
  forget(attachmentId: string): void {
    statement(this.db, 'DELETE FROM document_signatures WHERE attachment_id = ?').run(attachmentId);
  }
}
