// Length-checked big-endian reader and writer for the fixed binary layouts of
// the protocol (docs/protocol.md). Every read is bounds-checked; a reader that
// runs past its input calls the caller's error factory, so each codec reports
// its own error code instead of a RangeError.

export class ByteWriter {
  private buffer: Uint8Array;
  private view: DataView;
  private length = 0;

  constructor(initialCapacity = 256) {
    this.buffer = new Uint8Array(initialCapacity);
    this.view = new DataView(this.buffer.buffer);
  }

  private reserve(extra: number): void {
    const needed = this.length + extra;
    if (needed <= this.buffer.length) return;
    let capacity = this.buffer.length * 2;
    while (capacity < needed) capacity *= 2;
    const next = new Uint8Array(capacity);
    next.set(this.buffer.subarray(0, this.length));
    this.buffer = next;
    this.view = new DataView(next.buffer);
  }

  u8(value: number): this {
    this.reserve(1);
    this.view.setUint8(this.length, value);
    this.length += 1;
    return this;
  }

  u16(value: number): this {
    this.reserve(2);
    this.view.setUint16(this.length, value);
    this.length += 2;
    return this;
  }

  u32(value: number): this {
    this.reserve(4);
    this.view.setUint32(this.length, value);
    this.length += 4;
    return this;
  }

  /** Raw bytes, no length prefix (for fixed-size fields). */
  bytes(value: Uint8Array): this {
    this.reserve(value.length);
    this.buffer.set(value, this.length);
    this.length += value.length;
    return this;
  }

  /** Bytes preceded by a u32 length. */
  varBytes(value: Uint8Array): this {
    return this.u32(value.length).bytes(value);
  }

  finish(): Uint8Array {
    return this.buffer.slice(0, this.length);
  }
}

export class ByteReader {
  private offset = 0;
  private readonly view: DataView;

  constructor(
    private readonly input: Uint8Array,
    private readonly fail: (reason: string) => Error,
  ) {
    this.view = new DataView(input.buffer, input.byteOffset, input.byteLength);
  }

  get position(): number {
    return this.offset;
  }

  get remaining(): number {
    return this.input.length - this.offset;
  }

  private need(count: number): void {
    if (count < 0 || this.offset + count > this.input.length) {
      throw this.fail(`truncated input (wanted ${count} bytes at offset ${this.offset})`);
    }
  }

  u8(): number {
    this.need(1);
    return this.view.getUint8(this.offset++);
  }

  u16(): number {
    this.need(2);
    const v = this.view.getUint16(this.offset);
    this.offset += 2;
    return v;
  }

  u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.offset);
    this.offset += 4;
    return v;
  }

  /** A copy of the next `count` bytes (copies, so callers may keep them safely). */
  bytes(count: number): Uint8Array {
    this.need(count);
    const out = this.input.slice(this.offset, this.offset + count);
    this.offset += count;
    return out;
  }

  /**
   * The next `count` bytes as a view of the input, without copying: for data
   * that is consumed at once (e.g. handed to a cipher) and never kept.
   */
  borrow(count: number): Uint8Array {
    this.need(count);
    const out = this.input.subarray(this.offset, this.offset + count);
    this.offset += count;
    return out;
  }

  /** u32-length-prefixed bytes, refusing lengths above `max`. */
  varBytes(max: number): Uint8Array {
    const length = this.u32();
    if (length > max) throw this.fail(`field of ${length} bytes exceeds the limit of ${max}`);
    return this.bytes(length);
  }

  /** Everything left. */
  rest(): Uint8Array {
    return this.bytes(this.remaining);
  }

  /** Throws unless the whole input was consumed (no trailing bytes are tolerated). */
  end(): void {
    if (this.offset !== this.input.length) {
      throw this.fail(`${this.input.length - this.offset} unexpected trailing bytes`);
    }
  }
}
