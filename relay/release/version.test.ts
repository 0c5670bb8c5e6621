import { describe, expect, it } from 'vitest';
import { compareVersions, parseVersion } from './version.js';

function order(a: string, b: string): number {
  return compareVersions(parseVersion(a)!, parseVersion(b)!);
}

describe('semantic versions', () => {
  it('refuses what is not a semantic version', () => {
    for (const bad of ['1', '1.2', 'v1.2.3', '01.2.3', '1.2.3-', '1.2.3-01', '1.2.3 ', '']) {
      expect(parseVersion(bad), bad).toBeUndefined();
    }
  });

  it('orders versions as semver.org §11 does', () => {
    const ascending = [
      '1.0.0-alpha',
      '1.0.0-alpha.1',
      '1.0.0-alpha.beta',
      '1.0.0-beta',
      '1.0.0-beta.2',
      '1.0.0-beta.11',
      '1.0.0-rc.1',
      '1.0.0',
      '1.0.1',
      '1.2.0',
      '1.10.0',
      '2.0.0',
    ];
    for (let i = 0; i < ascending.length - 1; i++) {
      expect(order(ascending[i]!, ascending[i + 1]!), `${ascending[i]} < ${ascending[i + 1]}`).toBe(
        -1,
      );
      expect(order(ascending[i + 1]!, ascending[i]!)).toBe(1);
    }
    expect(order('1.2.3+build.7', '1.2.3')).toBe(0);
  });
});
