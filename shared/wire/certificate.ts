// Device certificates: the relay's signature binding (user id, device id, identity
// key, issue time). Clients verify them against the pinned relay key before
// trusting a bundle or a directory entry.
import { type Ed25519PublicKey, type Ed25519SecretKey, sign, verify } from '../crypto/index.js';
import type { DeviceCertificate } from './gen/relay_pb.js';
import { certificateSignedBytes } from './signed-bytes.js';

export interface CertificateFields {
  readonly userId: string;
  readonly deviceId: number;
  readonly identityKey: Uint8Array;
  readonly issuedAt: number;
}

export function signCertificate(
  relaySecretKey: Ed25519SecretKey,
  fields: CertificateFields,
): Uint8Array {
  return sign(
    relaySecretKey,
    certificateSignedBytes(fields.userId, fields.deviceId, fields.identityKey, fields.issuedAt),
  );
}

/** True only when `certificate` was signed by `relayPublicKey` over exactly its fields. */
export function verifyCertificate(
  relayPublicKey: Ed25519PublicKey,
  certificate: Pick<
    DeviceCertificate,
    'userId' | 'deviceId' | 'identityKey' | 'issuedAt' | 'signature'
  >,
): boolean {
  if (certificate.identityKey.length !== 32) return false;
  return verify(
    relayPublicKey,
    certificateSignedBytes(
      certificate.userId,
      certificate.deviceId,
      certificate.identityKey,
      Number(certificate.issuedAt),
    ),
    certificate.signature,
  );
}
