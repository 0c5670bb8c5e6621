// libsodium's crypto_secretstream_xchacha20poly1305, as the attachment layer uses it.
//
// Layout of an encrypted attachment (the blob on the relay and the file in the data
// folder are the same bytes):
//
//   header[24] ‖ c_1 ‖ … ‖ c_n       c_i = push(p_i), |c_i| = |p_i| + 17
//
// The plaintext is cut in chunks of `chunkSize` bytes (64 KiB), the last one shorter
// or empty; n = max(1, ceil(size / chunkSize)), so an empty file is one empty chunk.
// Every chunk but the last carries TAG_MESSAGE, the last TAG_FINAL. A reader knows
// the plaintext size from the descriptor, hence every chunk boundary; it refuses a
// stream whose last chunk is not FINAL (truncated), a FINAL before the end, or bytes
// after it. Chunks cannot be reordered, dropped or repeated: each one's nonce
// depends on every chunk before it.
//
// The ciphertext is reproducible: `init_pull(header, key)` yields the very state that
// `init_push` produced with that header (push and pull share one state structure), so
// re-encrypting the same plaintext from a stored key and header gives the same bytes.
// An upload interrupted by a restart relies on it (uploader.ts).
//
// Speed: libsodium.js's wrappers allocate, copy and free WebAssembly heap buffers and
// a new Uint8Array on every call; over 256 MiB that is most of the garbage the
// process makes. Like shared/crypto/hmac.ts, this calls the same libsodium functions
// on areas reserved once per stream: the plaintext is copied in, the ciphertext out
// into the caller's buffer, and the ciphertext is hashed where it lies. The areas are
// wiped and freed by `dispose()`.
import { sodium } from '../../../shared/crypto/sodium.js';

export const DEFAULT_CHUNK_SIZE = 64 * 1024;
export const STREAM_HEADER_BYTES = 24;
export const STREAM_ABYTES = 17;
export const STREAM_KEY_BYTES = 32;
/** Chunk sizes a descriptor may carry (a reader allocates one chunk at a time). */
export const MIN_CHUNK_SIZE = 1024;
export const MAX_CHUNK_SIZE = 4 * 1024 * 1024;

const STATE_BYTES = 52;
/** crypto_generichash_statebytes() is 384 (libsodium.js reserves 357, the struct's size in wasm32). */
const HASH_STATE_BYTES = 384;
const TAG_MESSAGE = 0;
const TAG_FINAL = 3;

/** Number of secretstream chunks for `size` plaintext bytes. */
export function chunkCount(size: number, chunkSize: number): number {
  return Math.max(1, Math.ceil(size / chunkSize));
}

/** Length of the encrypted form (header included) of `size` plaintext bytes. */
export function ciphertextSize(size: number, chunkSize: number): number {
  return STREAM_HEADER_BYTES + size + chunkCount(size, chunkSize) * STREAM_ABYTES;
}

interface LowLevelSodium {
  readonly HEAPU8: Uint8Array;
  _malloc(size: number): number;
  _free(pointer: number): void;
  _crypto_secretstream_xchacha20poly1305_init_push(
    state: number,
    header: number,
    key: number,
  ): number;
  _crypto_secretstream_xchacha20poly1305_init_pull(
    state: number,
    header: number,
    key: number,
  ): number;
  _crypto_secretstream_xchacha20poly1305_push(
    state: number,
    c: number,
    clenP: number,
    m: number,
    mlenLow: number,
    mlenHigh: number,
    ad: number,
    adlenLow: number,
    adlenHigh: number,
    tag: number,
  ): number;
  _crypto_secretstream_xchacha20poly1305_pull(
    state: number,
    m: number,
    mlenP: number,
    tagP: number,
    c: number,
    clenLow: number,
    clenHigh: number,
    ad: number,
    adlenLow: number,
    adlenHigh: number,
  ): number;
  _crypto_generichash_init(
    state: number,
    key: number,
    keyLength: number,
    outLength: number,
  ): number;
  _crypto_generichash_update(
    state: number,
    input: number,
    lengthLow: number,
    lengthHigh: number,
  ): number;
  _crypto_generichash_final(state: number, out: number, outLength: number): number;
}

function lowLevel(): LowLevelSodium {
  return (sodium() as unknown as { libsodium: LowLevelSodium }).libsodium;
}

/** One reserved region of the WebAssembly heap, wiped when released. */
class HeapArea {
  readonly pointer: number;
  private released = false;

  constructor(
    private readonly lib: LowLevelSodium,
    readonly size: number,
  ) {
    this.pointer = lib._malloc(size);
    if (!this.pointer) throw new Error('The crypto library is out of memory.');
  }

  /** The area's bytes, through the current view (it changes when the memory grows). */
  view(length = this.size, at = 0): Uint8Array {
    return this.lib.HEAPU8.subarray(this.pointer + at, this.pointer + at + length);
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    this.view().fill(0);
    this.lib._free(this.pointer);
  }
}

/** Incremental BLAKE2b-256 that can hash bytes already in the WebAssembly heap. */
export class StreamHasher {
  private readonly lib = lowLevel();
  private readonly state = new HeapArea(this.lib, HASH_STATE_BYTES);
  private readonly input: HeapArea;

  constructor(inputBytes = 1024 * 1024) {
    // At least 64 bytes: the digest is written there too.
    this.input = new HeapArea(this.lib, Math.max(64, inputBytes));
    this.lib._crypto_generichash_init(this.state.pointer, 0, 0, 32);
  }

  update(bytes: Uint8Array): void {
    for (let at = 0; at < bytes.length; at += this.input.size) {
      const piece = bytes.subarray(at, Math.min(bytes.length, at + this.input.size));
      this.input.view(piece.length).set(piece);
      this.updateAt(this.input.pointer, piece.length);
    }
  }

  /** Hashes `length` bytes at `pointer` in the heap. */
  updateAt(pointer: number, length: number): void {
    this.lib._crypto_generichash_update(this.state.pointer, pointer, length, 0);
  }

  /** The digest; the hasher is released. */
  digest(): Uint8Array {
    this.lib._crypto_generichash_final(this.state.pointer, this.input.pointer, 32);
    const digest = this.input.view(32).slice();
    this.dispose();
    return digest;
  }

  dispose(): void {
    this.state.release();
    this.input.release();
  }
}

/** State, key and one chunk's worth of in and out areas for one stream. */
class StreamAreas {
  readonly lib = lowLevel();
  readonly state = new HeapArea(this.lib, STATE_BYTES);
  readonly header = new HeapArea(this.lib, STREAM_HEADER_BYTES);
  readonly plain: HeapArea;
  readonly cipher: HeapArea;
  readonly tag = new HeapArea(this.lib, 1);

  constructor(chunkSize: number) {
    if (!Number.isInteger(chunkSize) || chunkSize < 1 || chunkSize > MAX_CHUNK_SIZE) {
      throw new Error('Invalid secretstream chunk size.');
    }
    this.plain = new HeapArea(this.lib, chunkSize);
    this.cipher = new HeapArea(this.lib, chunkSize + STREAM_ABYTES);
  }

  /** Initialises the state from `key` (and `header`, or a new random one). */
  init(key: Uint8Array, header: Uint8Array | undefined): Uint8Array {
    checkLength(key, STREAM_KEY_BYTES, 'key');
    const keyArea = new HeapArea(this.lib, STREAM_KEY_BYTES);
    try {
      keyArea.view().set(key);
      let result: number;
      if (header) {
        checkLength(header, STREAM_HEADER_BYTES, 'header');
        this.header.view().set(header);
        result = this.lib._crypto_secretstream_xchacha20poly1305_init_pull(
          this.state.pointer,
          this.header.pointer,
          keyArea.pointer,
        );
      } else {
        result = this.lib._crypto_secretstream_xchacha20poly1305_init_push(
          this.state.pointer,
          this.header.pointer,
          keyArea.pointer,
        );
      }
      if (result !== 0) throw new Error('secretstream initialisation failed');
      return this.header.view().slice();
    } finally {
      keyArea.release();
    }
  }

  dispose(): void {
    for (const area of [this.state, this.header, this.plain, this.cipher, this.tag]) area.release();
  }
}

/** Encrypts chunk after chunk; `final` must be set on the last one and only on it. */
export class StreamEncryptor {
  readonly header: Uint8Array;
  private readonly areas: StreamAreas;
  private finished = false;

  /** A new stream (random header), or, given `header`, the stream it started. */
  constructor(key: Uint8Array, header?: Uint8Array, chunkSize = DEFAULT_CHUNK_SIZE) {
    this.areas = new StreamAreas(chunkSize);
    try {
      this.header = this.areas.init(key, header);
    } catch (error) {
      this.areas.dispose();
      throw error;
    }
  }

  /**
   * Encrypts `plaintext` (at most one chunk) into `out` at `offset`, hashing the
   * ciphertext with `hasher` if given; returns the ciphertext's length.
   */
  pushInto(
    plaintext: Uint8Array,
    final: boolean,
    out: Uint8Array,
    offset: number,
    hasher?: StreamHasher,
  ): number {
    if (this.finished) throw new Error('This stream is already finished.');
    const { lib, state, plain, cipher } = this.areas;
    if (plaintext.length > plain.size) throw new Error('A chunk is larger than the stream allows.');
    plain.view(plaintext.length).set(plaintext);
    const length = plaintext.length + STREAM_ABYTES;
    lib._crypto_secretstream_xchacha20poly1305_push(
      state.pointer,
      cipher.pointer,
      0,
      plain.pointer,
      plaintext.length,
      0,
      0,
      0,
      0,
      final ? TAG_FINAL : TAG_MESSAGE,
    );
    if (final) this.finished = true;
    hasher?.updateAt(cipher.pointer, length);
    out.set(cipher.view(length), offset);
    return length;
  }

  /** One chunk, as a new array (tests and small uses). */
  push(plaintext: Uint8Array, final: boolean): Uint8Array {
    const out = new Uint8Array(plaintext.length + STREAM_ABYTES);
    this.pushInto(plaintext, final, out, 0);
    return out;
  }

  /** Wipes and frees the stream's areas. */
  dispose(): void {
    this.areas.dispose();
  }
}

/** Why a stream was refused, for the error a person sees. */
export type StreamFault = 'tampered' | 'truncated' | 'trailing';

export class StreamFaultError extends Error {
  constructor(readonly fault: StreamFault) {
    super(
      fault === 'tampered'
        ? 'A chunk of the encrypted file does not authenticate.'
        : fault === 'truncated'
          ? 'The encrypted file ends before its final chunk.'
          : 'The encrypted file goes on after its final chunk.',
    );
    this.name = 'StreamFaultError';
  }
}

export class StreamDecryptor {
  private readonly areas: StreamAreas;
  private finished = false;

  constructor(key: Uint8Array, header: Uint8Array, chunkSize = DEFAULT_CHUNK_SIZE) {
    checkLength(header, STREAM_HEADER_BYTES, 'header');
    this.areas = new StreamAreas(chunkSize);
    try {
      this.areas.init(key, header);
    } catch (error) {
      this.areas.dispose();
      throw error;
    }
  }

  /**
   * Decrypts one chunk into `out` at `offset`; returns the plaintext's length. `last`
   * says whether the reader expects it to be the last: the tag must be FINAL exactly then.
   */
  pullInto(ciphertext: Uint8Array, last: boolean, out: Uint8Array, offset: number): number {
    if (this.finished) throw new StreamFaultError('trailing');
    const { lib, state, plain, cipher, tag } = this.areas;
    if (ciphertext.length < STREAM_ABYTES || ciphertext.length > cipher.size) {
      throw new StreamFaultError('tampered');
    }
    cipher.view(ciphertext.length).set(ciphertext);
    const result = lib._crypto_secretstream_xchacha20poly1305_pull(
      state.pointer,
      plain.pointer,
      0,
      tag.pointer,
      cipher.pointer,
      ciphertext.length,
      0,
      0,
      0,
      0,
    );
    if (result !== 0) throw new StreamFaultError('tampered');
    const received = tag.view()[0];
    const final = received === TAG_FINAL;
    if (!final && received !== TAG_MESSAGE) throw new StreamFaultError('tampered');
    if (final && !last) throw new StreamFaultError('trailing');
    if (!final && last) throw new StreamFaultError('truncated');
    this.finished = final;
    const length = ciphertext.length - STREAM_ABYTES;
    out.set(plain.view(length), offset);
    return length;
  }

  /** One chunk, as a new array (tests and small uses). */
  pull(ciphertext: Uint8Array, last: boolean): Uint8Array {
    const out = new Uint8Array(Math.max(0, ciphertext.length - STREAM_ABYTES));
    const length = this.pullInto(ciphertext, last, out, 0);
    return out.subarray(0, length);
  }

  dispose(): void {
    this.areas.dispose();
  }
}

function checkLength(bytes: Uint8Array, length: number, what: string): void {
  if (bytes.length !== length) throw new Error(`A secretstream ${what} is ${length} bytes.`);
}
