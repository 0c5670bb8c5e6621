// The relay's settings file: limits must be positive numbers, and the time an envelope
// may wait at the relay is bounded by what devices remember of processed envelopes.
import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, mergeConfig } from '../../relay/config.js';
import { MAX_ENVELOPE_TTL_MS, PROCESSED_ENVELOPE_KEEP_MS } from '../../shared/wire/index.js';

describe('relay limits', () => {
  it('takes a limit within its bounds', () => {
    expect(
      mergeConfig({ limits: { envelopeTtlMs: MAX_ENVELOPE_TTL_MS } }).limits.envelopeTtlMs,
    ).toBe(MAX_ENVELOPE_TTL_MS);
    expect(mergeConfig({}).limits).toEqual(DEFAULT_LIMITS);
  });

  it('refuses a keep time for envelopes longer than devices remember them', () => {
    expect(PROCESSED_ENVELOPE_KEEP_MS).toBeGreaterThan(MAX_ENVELOPE_TTL_MS);
    expect(() =>
      mergeConfig({ limits: { envelopeTtlMs: MAX_ENVELOPE_TTL_MS + 1 } }, 'relay.json'),
    ).toThrow(/"envelopeTtlMs" in relay\.json must be at most 31536000000 \(365 days\)/);
  });

  it('refuses a limit that is not a positive number, or unknown', () => {
    expect(() => mergeConfig({ limits: { envelopeTtlMs: 0 } })).toThrow(
      /must be a positive number/,
    );
    expect(() => mergeConfig({ limits: { envelopeTTL: 5 } })).toThrow(
      /Unknown limit "envelopeTTL"/,
    );
  });
});
