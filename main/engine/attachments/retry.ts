// Waiting between attempts of a transfer: exponential back-off with jitter, cut short
// by the transfer's abort signal.
import { stopped } from './file-crypto.js';

export interface RetryPolicy {
  /** First wait after a transient failure. */
  readonly initialMs: number;
  /** Longest wait between attempts. */
  readonly maxMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { initialMs: 500, maxMs: 60_000 };

/** The wait before attempt `failures + 1`: doubling, capped, between half and all of it. */
export function backoffMs(failures: number, policy: RetryPolicy): number {
  const ceiling = Math.min(policy.maxMs, policy.initialMs * 2 ** Math.min(failures, 30));
  return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
}

/** Resolves after `ms`, or rejects with ATTACHMENT_STOPPED when `signal` aborts. */
export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(stopped());
    const onAbort = () => {
      clearTimeout(timer);
      reject(stopped());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
