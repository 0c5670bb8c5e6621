import { describe, expect, it } from 'vitest';
import { ProgressiveFlush } from './progressive-flush.js';

describe('ProgressiveFlush', () => {
  it('starts one background flush per `every` bytes, never two at once, and settles', async () => {
    let started = 0;
    let running = 0;
    let most = 0;
    let release: () => void = () => undefined;
    const flush = new ProgressiveFlush(() => {
      started++;
      running++;
      most = Math.max(most, running);
      return new Promise<void>((resolve) => {
        release = () => {
          running--;
          resolve();
        };
      });
    }, 100);
    flush.wrote(60);
    expect(started).toBe(0);
    flush.wrote(60); // 120 ≥ 100: a flush starts
    expect(started).toBe(1);
    flush.wrote(500); // one is running: none more
    expect(started).toBe(1);
    let settled = false;
    const settling = flush.settle().then(() => (settled = true));
    await Promise.resolve();
    expect(settled).toBe(false);
    release();
    await settling;
    expect(settled).toBe(true);
    flush.wrote(100);
    expect(started).toBe(2);
    release();
    await flush.settle();
    expect(most).toBe(1);
  });

  it('leaves a failed flush to the final fsync', async () => {
    const flush = new ProgressiveFlush(() => Promise.reject(new Error('EIO')), 10);
    flush.wrote(10);
    await expect(flush.settle()).resolves.toBeUndefined();
  });
});
