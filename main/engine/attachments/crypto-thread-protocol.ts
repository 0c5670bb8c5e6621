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
  /** Opens a part file to append at `offset`; its first `offset` bytes are hashed first. */
  | {
      readonly op: 'sink-open';
      readonly job: number;
      readonly file: string;
      readonly offset: number;
    }
  /** The next `length` bytes of the part file (the buffer is transferred, and handed back). */
  | {
      readonly op: 'sink-write';
      readonly job: number;
      readonly buffer: ArrayBuffer;
      readonly length: number;
    }
  | { readonly op: 'sink-close'; readonly job: number; readonly digest: boolean };

export type WorkerReply =
  /** Sent once, when the worker has loaded its code and the crypto library. */
  | { readonly job: 0; readonly type: 'ready' }
  | { readonly job: number; readonly type: 'header'; readonly header: Uint8Array }
  /** Bytes now in the target (encryption) or the part file (sink; with its buffer back). */
  | {
      readonly job: number;
      readonly type: 'written';
      readonly bytes: number;
      readonly buffer?: ArrayBuffer;
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
      readonly message: string;
    };
