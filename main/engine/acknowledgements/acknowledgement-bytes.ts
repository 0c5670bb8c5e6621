// The exact bytes of a signed acknowledgement ("pris connaissance"): the digest of
// the message acknowledged, and what the signer's device identity key signs. Each
// layout starts with its own context string, so these signatures can never be taken
// for the identity key's other signatures (prekeys, relay challenges, group rosters).
// Integers are big-endian; short strings are UTF-8 preceded by a u16 length, the text
// of the message by a u32 length.
import { blake2b } from '../../../shared/crypto/index.js';
import { ByteWriter } from '../../../shared/util/binary.js';
import { utf8 } from '../../../shared/util/bytes.js';

const DIGEST_CONTEXT = utf8('COMGOV-AcknowledgedMessage-v1');
const SIGNED_CONTEXT = utf8('COMGOV-Acknowledgement-v1');

function text(writer: ByteWriter, value: string): ByteWriter {
  const bytes = utf8(value);
  return writer.u16(bytes.length).bytes(bytes);
}

function u64(writer: ByteWriter, value: number): ByteWriter {
  return writer.u32(Math.floor(value / 0x1_0000_0000)).u32(value >>> 0);
}

/** What a person acknowledges: the message as its author sent it. */
export interface AcknowledgedMessage {
  readonly author: string;
  readonly id: string;
  readonly sentAt: number;
  readonly body: string;
  /** Its files, in order: name, size and the BLAKE2b hash of the ciphertext. */
  readonly files: readonly {
    readonly name: string;
    readonly size: number;
    readonly hash: Uint8Array;
  }[];
}

/**
 * BLAKE2b-256 of "COMGOV-AcknowledgedMessage-v1" ‖ str(author) ‖ str(id) ‖ u64 sentAt ‖
 * u32-len text ‖ u32 count ‖ per file: str(name) ‖ u64 size ‖ hash[32].
 */
export function acknowledgedDigest(message: AcknowledgedMessage): Uint8Array {
  const w = new ByteWriter(256).bytes(DIGEST_CONTEXT);
  text(w, message.author);
  text(w, message.id);
  u64(w, message.sentAt).varBytes(utf8(message.body)).u32(message.files.length);
  for (const file of message.files) {
    text(w, file.name);
    u64(w, file.size).bytes(file.hash);
  }
  return blake2b(w.finish(), 32);
}

export interface AcknowledgementFields {
  readonly signer: string;
  readonly signerDevice: number;
  readonly targetId: string;
  readonly targetAuthor: string;
  readonly digest: Uint8Array;
  readonly at: number;
}

/**
 * What the signer's device identity key signs: "COMGOV-Acknowledgement-v1" ‖ str(signer)
 * ‖ u32 device ‖ str(targetId) ‖ str(targetAuthor) ‖ digest[32] ‖ u64 at.
 */
export function acknowledgementSignedBytes(fields: AcknowledgementFields): Uint8Array {
  const w = new ByteWriter(160).bytes(SIGNED_CONTEXT);
  text(w, fields.signer).u32(fields.signerDevice);
  text(w, fields.targetId);
  text(w, fields.targetAuthor).bytes(fields.digest);
  return u64(w, fields.at).finish();
}
