import { describe, expect, it } from 'vitest';
import { SAFE_DEFAULTS } from '../policy/policy-schema.js';
import { updateSettings } from './update-checks.js';

const KEY = 'ab'.repeat(32);
const on = {
  ...SAFE_DEFAULTS,
  autoUpdate: true,
  updateUrl: 'https://relay.comgov.intra:8443',
  updateChannel: 'pilot',
  updatePublicKeys: [KEY],
};

describe('update checks', () => {
  it('run only in an installed app whose policy names a feed and a key', () => {
    expect(updateSettings(on, false)).toEqual({ off: expect.stringMatching(/development/) });
    expect(updateSettings({ ...on, autoUpdate: false }, true)).toEqual({
      off: expect.stringMatching(/AutoUpdate/),
    });
    expect(updateSettings({ ...on, updateUrl: null }, true)).toEqual({
      off: expect.stringMatching(/UpdateUrl/),
    });
    expect(updateSettings({ ...on, updatePublicKeys: [] }, true)).toEqual({
      off: expect.stringMatching(/UpdatePublicKey/),
    });
    expect(updateSettings(SAFE_DEFAULTS, true)).toHaveProperty('off');
  });

  it('pass the feed, the channel and every key (two during a rotation)', () => {
    const settings = updateSettings({ ...on, updatePublicKeys: [KEY, 'cd'.repeat(32)] }, true);
    expect('options' in settings && settings.options.updateUrl).toBe(on.updateUrl);
    expect('options' in settings && settings.options.channel).toBe('pilot');
    expect('options' in settings && settings.options.publicKeys.map((k) => k[0])).toEqual([
      0xab, 0xcd,
    ]);
  });
});
