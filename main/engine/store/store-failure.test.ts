import { describe, expect, it } from 'vitest';
import { storeFailure } from './store-failure.js';

const withCode = (code: string) => Object.assign(new Error(code), { code });

describe('storeFailure', () => {
  it('tells the disk apart from what was being stored', () => {
    expect(storeFailure(withCode('SQLITE_FULL'))).toBe('DISK_FULL');
    expect(storeFailure(withCode('ENOSPC'))).toBe('DISK_FULL');
    expect(storeFailure(withCode('SQLITE_IOERR_WRITE'))).toBe('STORE_WRITE_FAILED');
    expect(storeFailure(withCode('SQLITE_READONLY'))).toBe('STORE_WRITE_FAILED');
    expect(storeFailure(withCode('SQLITE_BUSY_SNAPSHOT'))).toBe('STORE_WRITE_FAILED');
    // The content's fault, or not a store error at all.
    expect(storeFailure(withCode('SQLITE_CONSTRAINT_UNIQUE'))).toBeUndefined();
    expect(storeFailure(withCode('SQLITE_IOERRX'))).toBeUndefined();
    expect(storeFailure(new Error('plain'))).toBeUndefined();
    expect(storeFailure(null)).toBeUndefined();
  });
});
