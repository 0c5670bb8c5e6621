import { CryptoError } from './errors.js';
import { sodium } from './sodium.js';

/** BLAKE2b with an output of 16..64 bytes (default 32), optionally keyed. */
export function blake2b(data: Uint8Array, outputLength = 32, key?: Uint8Array): Uint8Array {
  if (outputLength < 16 || outputLength > 64) {
    throw new CryptoError('BAD_ARGUMENT', 'BLAKE2b output must be between 16 and 64 bytes.');
  }
  return sodium().crypto_generichash(outputLength, data, key ?? null);
}

/** Incremental BLAKE2b for data that arrives in pieces (attachments, hash chains). */
export class Blake2bHasher {
  private readonly state: unknown;
  private finished = false;

  constructor(private readonly outputLength = 32) {
    this.state = sodium().crypto_generichash_init(null, outputLength);
  }

  update(chunk: Uint8Array): this {
    if (this.finished) throw new CryptoError('BAD_ARGUMENT', 'This hash is already finished.');
    sodium().crypto_generichash_update(this.state as never, chunk);
    return this;
  }

  digest(): Uint8Array {
    if (this.finished) throw new CryptoError('BAD_ARGUMENT', 'This hash is already finished.');
    this.finished = true;
    return sodium().crypto_generichash_final(this.state as never, this.outputLength);
  }

  /** Frees the state of a hash that will not be finished (libsodium frees it only at the end). */
  dispose(): void {
    if (!this.finished) this.digest();
  }
}

export function sha256(data: Uint8Array): Uint8Array {
  return sodium().crypto_hash_sha256(data);
}

/**
 * Incremental SHA-256, for files hashed as they are read: the fingerprint of a signed
 * document, which anyone can recompute with the tools of their system.
 */
export class Sha256Hasher {
  private readonly state: unknown = sodium().crypto_hash_sha256_init();
  private finished = false;

  update(chunk: Uint8Array): this {
    if (this.finished) throw new CryptoError('BAD_ARGUMENT', 'This hash is already finished.');
    sodium().crypto_hash_sha256_update(this.state as never, chunk);
    return this;
  }

  digest(): Uint8Array {
    if (this.finished) throw new CryptoError('BAD_ARGUMENT', 'This hash is already finished.');
    this.finished = true;
    return sodium().crypto_hash_sha256_final(this.state as never);
  }
}

export function sha512(data: Uint8Array): Uint8Array {
  return sodium().crypto_hash_sha512(data);
}
