// Messages between the engine's thread (crypto-thread.ts) and the attachment worker
// (crypto-worker.ts). Each carries the number of the job it belongs to.

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
  /**
   * Opens a part file to append at `offset`; its first `offset` bytes are hashed first.
   * `buffers` are shared with the worker for the sink's life: a write names one by its
   * index, so no buffer is copied, transferred or allocated per write.
   */
  | {
      readonly op: 'sink-open';
      readonly job: number;
      readonly file: string;
      readonly offset: number;
      readonly buffers: readonly SharedArrayBuffer[];
    }
  /** The next `length` bytes of the part file, in shared buffer `index` (free again once written). */
  | {
      readonly op: 'sink-write';
      readonly job: number;
      readonly index: number;
      readonly length: number;
    }
  | { readonly op: 'sink-close'; readonly job: number; readonly digest: boolean };

export type WorkerReply =
  /** Sent once, when the worker has loaded its code and the crypto library. */
  | { readonly job: 0; readonly type: 'ready' }
  | { readonly job: number; readonly type: 'header'; readonly header: Uint8Array }
  /** Bytes now in the target (encryption) or the part file (sink: buffer `index` is free). */
  | {
      readonly job: number;
      readonly type: 'written';
      readonly bytes: number;
      readonly index?: number;
    }
  | {
      readonly job: number;
      readonly type: 'encrypted';
      readonly header: Uint8Array;
      readonly hash: Uint8Array;
      readonly cipherSize: number;
    }
  | { readonly job: number; readonly type: 'opened' }
  | { readonly job: number; readonly type: 'closed'; readonly digest?: Uint8Array }
  | {
      readonly job: number;
      readonly type: 'failed';
      readonly code: string | undefined;
      /** The system error's code (ENOSPC, EACCES…), which a structured clone would drop. */
      readonly errno?: string;
      readonly message: string;
    };
