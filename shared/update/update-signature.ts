// What the agency's update key signs for each installer it publishes, and the
// names of the fields that carry the signature in electron-updater's latest.yml.
// Used by `comgov-relay release publish` (signing) and by the app's updater
// (verifying), so both sides build exactly the same bytes:
//
//   "COMGOV-UpdateSignature-v1" ‖ str(channel) ‖ str(version) ‖ str(fileName)
//   ‖ u64 size ‖ sha512[64]
//
// Integers are big-endian; str(x) is UTF-8 preceded by a u16 length (the same
// conventions as shared/wire/signed-bytes.ts). The context string keeps these
// signatures apart from every other signature of the project.
import { ByteWriter } from '../util/binary.js';
import { utf8 } from '../util/bytes.js';

const UPDATE_SIGNATURE_CONTEXT = utf8('COMGOV-UpdateSignature-v1');

/** Extra top-level fields of latest.yml (electron-updater ignores fields it does not know). */
export const UPDATE_SIGNATURE_FIELD = 'comgovSignature';
/** The public key (hex) that made the signature: for diagnostics and key rotation only, never trusted. */
export const UPDATE_SIGNATURE_KEY_FIELD = 'comgovSignatureKey';

/** Channel names: lower-case letters, digits and dashes, 1–32 characters ("stable", "pilot"). */
export const UPDATE_CHANNEL_PATTERN = /^[a-z][a-z0-9-]{0,31}$/;

export interface SignedUpdate {
  /** The feed folder the release is published to ("stable", "pilot"). */
  readonly channel: string;
  /** Semantic version of the release, as in latest.yml. */
  readonly version: string;
  /** The installer's file name as listed in latest.yml (`files[0].url`). */
  readonly fileName: string;
  /** Installer size in bytes. */
  readonly size: number;
  /** SHA-512 of the installer (64 bytes; latest.yml carries it in base64). */
  readonly sha512: Uint8Array;
}

function text(writer: ByteWriter, value: string): ByteWriter {
  const bytes = utf8(value);
  if (bytes.length > 0xffff) throw new RangeError('update signature field longer than 65535 bytes');
  return writer.u16(bytes.length).bytes(bytes);
}

/** The exact bytes the update key signs (see the layout at the top of this file). */
export function updateSignedBytes(update: SignedUpdate): Uint8Array {
  if (update.sha512.length !== 64) throw new RangeError('sha512 must be 64 bytes');
  if (!Number.isSafeInteger(update.size) || update.size < 0) {
    throw new RangeError('size must be a non-negative safe integer');
  }
  const w = new ByteWriter(256).bytes(UPDATE_SIGNATURE_CONTEXT);
  text(w, update.channel);
  text(w, update.version);
  text(w, update.fileName);
  w.u32(Math.floor(update.size / 0x1_0000_0000)).u32(update.size >>> 0);
  return w.bytes(update.sha512).finish();
}
