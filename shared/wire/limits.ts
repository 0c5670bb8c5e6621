// Protocol constants and size limits shared by the relay and its clients. The
// relay refuses anything beyond them with an error code (shared/wire/errors.ts);
// clients use the same numbers to split their work before sending.

/** The version every ClientFrame and ServerFrame carries; HTTP paths carry it as /v1/. */
export const PROTOCOL_VERSION = 1;

const KiB = 1024;
const MiB = 1024 * KiB;

export const WIRE_LIMITS = {
  /** Largest WebSocket message the relay accepts (one ClientFrame). */
  maxFrameBytes: 1 * MiB,
  /** Largest ciphertext of one envelope. Attachments go through blobs instead. */
  maxCiphertextBytes: 256 * KiB,
  /** Most recipient devices in one submission. */
  maxRecipients: 1000,
  /** Most blob ids one submission names (the files of one message, forwards included). */
  maxBlobIdsPerSubmission: 64,
  /** Most server ids in one Ack frame. */
  maxAckIds: 1000,
  /** Largest protobuf body of an HTTP request (enrolment, prekey upload, finalise). */
  maxHttpBodyBytes: 512 * KiB,
  /** Most one-time prekeys in one enrolment or upload. */
  maxOneTimePrekeysPerUpload: 500,
  /** Most one-time prekeys the relay keeps for one device. */
  maxOneTimePrekeysStored: 2000,
  /** Display name, institution and title. */
  maxProfileFieldChars: 200,
  /** Enrolment code as typed (separators included). */
  maxEnrolmentCodeChars: 64,
} as const;

/** Nonce of a WebSocket challenge and of a signed HTTP request. */
export const CHALLENGE_NONCE_BYTES = 32;
export const HTTP_NONCE_BYTES = 16;
/** A signed HTTP request is accepted when its time is within this many ms of the relay's clock. */
export const HTTP_AUTH_MAX_SKEW_MS = 120_000;

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Longest time the relay may keep an envelope waiting for its device (its
 * `limits.envelopeTtlMs`). A device keeps the server id of every envelope it processed
 * longer than that (PROCESSED_ENVELOPE_KEEP_MS), so that an envelope the relay sends
 * again (its acknowledgement was lost) is recognised and acknowledged again.
 */
export const MAX_ENVELOPE_TTL_MS = 365 * DAY_MS;

/** How long a device remembers an envelope it processed, from the relay's time of it. */
export const PROCESSED_ENVELOPE_KEEP_MS = 400 * DAY_MS;
