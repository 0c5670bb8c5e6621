// The exact bytes a signed document's signer signs (« attestation d'intégrité »). The
// layout starts with its own context string, so these signatures can never be taken
// for the identity key's other signatures (prekeys, relay challenges, rosters,
// acknowledgements). Integers are big-endian; short strings are UTF-8 preceded by a u16
// length; u64 is two u32 halves.
import { ByteWriter } from '../../../shared/util/binary.js';
import { utf8 } from '../../../shared/util/bytes.js';

const SIGNED_CONTEXT = utf8('COMGOV-Document-v1');

export interface DocumentFields {
  /** The signer's user and device, as their relay certificate names them. */
  readonly signer: string;
  readonly signerDevice: number;
  /** The file's name as it travels, and its plaintext size in bytes. */
  readonly name: string;
  readonly size: number;
  /** SHA-256 of the file's plaintext. */
  readonly sha256: Uint8Array;
  /** When it was signed, by the signer's clock (ms since the epoch). */
  readonly signedAt: number;
}

function text(writer: ByteWriter, value: string): ByteWriter {
  const bytes = utf8(value);
  return writer.u16(bytes.length).bytes(bytes);
}

function u64(writer: ByteWriter, value: number): ByteWriter {
  return writer.u32(Math.floor(value / 0x1_0000_0000)).u32(value >>> 0);
}

/**
 * "COMGOV-Document-v1" ‖ str(signer) ‖ u32 device ‖ str(name) ‖ u64 size ‖ sha256[32] ‖
 * u64 signedAt.
 */
export function documentSignedBytes(fields: DocumentFields): Uint8Array {
  const w = new ByteWriter(160).bytes(SIGNED_CONTEXT);
  text(w, fields.signer).u32(fields.signerDevice);
  text(w, fields.name);
  u64(w, fields.size).bytes(fields.sha256);
  return u64(w, fields.signedAt).finish();
}
