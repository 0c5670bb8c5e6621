// Enrolment codes: 120 random bits written as 24 base32 letters in groups of four
// ("K7QF-3MZP-…"), easy to print on a slip and type. The relay stores only a
// hash of the normalised form.
import { randomBytes } from '../crypto/index.js';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const CODE_BYTES = 15;
export const ENROLMENT_CODE_CHARS = 24;

/** A new code in display form. Needs `await ready()` of shared/crypto first. */
export function generateEnrolmentCode(): string {
  const bytes = randomBytes(CODE_BYTES);
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= 0xff;
  }
  return out.match(/.{4}/g)!.join('-');
}

/**
 * The canonical form of a code as typed: upper case, separators and spaces
 * removed. Returns undefined when it cannot be a code at all.
 */
export function normaliseEnrolmentCode(input: string): string | undefined {
  const clean = input.toUpperCase().replace(/[\s-]/g, '');
  if (clean.length !== ENROLMENT_CODE_CHARS) return undefined;
  for (const ch of clean) if (!ALPHABET.includes(ch)) return undefined;
  return clean;
}
