// Identifiers of the relay protocol: users have string ids chosen by the ICT cell,
// devices have numbers the relay assigns per user, starting at 1.

const USER_ID = /^[a-z0-9._-]{1,64}$/;

export function isValidUserId(value: unknown): value is string {
  return typeof value === 'string' && USER_ID.test(value);
}

export function isValidDeviceId(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 0xffffffff;
}

const BLOB_ID = /^[0-9a-f]{32}$/;

/** A relay blob's id: 128 random bits as 32 lowercase hex digits. */
export function isValidBlobId(value: unknown): value is string {
  return typeof value === 'string' && BLOB_ID.test(value);
}

export const USER_ID_RULE = '1 to 64 characters among a-z, 0-9, ".", "_" and "-"';
