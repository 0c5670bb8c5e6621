// Messages between the engine's thread (crypto-thread.ts) and the attachment worker
// (crypto-worker.ts). Each carries the number of the job it belongs to.
import type { BlobRangeRequest, FetchOutcome } from './blob-fetch.js';

export type WorkerRequest =
  | {
      readonly op: 'encrypt';
      readonly job: number;
      readonly source: string;
      readonly target: string;
      readonly key: Uint8Array;
      readonly header: Uint8Array | undefined;
      readonly chunkSize: number;
      readonly size: number;
    }
  | { readonly op: 'abort'; readonly job: number }
  /** Opens a part file to append at `offset`; its first `offset` bytes are hashed first. */
  | {
      readonly op: 'sink-open';
      readonly job: number;
      readonly file: string;
      readonly offset: number;
    }
  /** Fetches a range of a blob (signed by the engine) and appends it to the part file. */
  | { readonly op: 'sink-fetch'; readonly job: number; readonly request: BlobRangeRequest }
  | { readonly op: 'sink-close'; readonly job: number; readonly digest: boolean };

export type WorkerReply =
  /** Sent once, when the worker has loaded its code and the crypto library. */
  | { readonly job: 0; readonly type: 'ready' }
  | { readonly job: number; readonly type: 'header'; readonly header: Uint8Array }
  /** Bytes now in the target (encryption) or the part file (sink). */
  | { readonly job: number; readonly type: 'written'; readonly bytes: number }
  | {
      readonly job: number;
      readonly type: 'encrypted';
      readonly header: Uint8Array;
      readonly hash: Uint8Array;
      readonly cipherSize: number;
    }
  | { readonly job: number; readonly type: 'opened' }
  /** A sink's fetch is over; `bytes` is the part's length now. */
  | {
      readonly job: number;
      readonly type: 'fetched';
      readonly outcome: FetchOutcome;
      readonly bytes: number;
    }
  | { readonly job: number; readonly type: 'closed'; readonly digest?: Uint8Array }
  | {
      readonly job: number;
      readonly type: 'failed';
      readonly code: string | undefined;
      /** The system error's code (ENOSPC, EACCES…), which a structured clone would drop. */
      readonly errno?: string;
      readonly message: string;
    };
