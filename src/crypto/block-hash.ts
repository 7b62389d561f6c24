import { checkRange, type StreamingHash } from "./hash";

/**
 * What SHA-1 and SHA-256 share (FIPS 180-4's Merkle-Damgard framing): 64-byte blocks, whole blocks compressed
 * straight from the caller's buffer, a partial one kept in a preallocated block, and the 0x80 / zeros / 64-bit
 * big-endian bit-length padding. A subclass gives the initial state, the compression function and the digest size.
 */
export abstract class BlockHash implements StreamingHash {
  readonly blockSize = 64;
  abstract readonly digestSize: number;
  protected readonly h: Int32Array;
  private readonly block = new Uint8Array(64);
  private blockLength = 0;
  /** Message length in bytes; a double is exact up to 2^53, far beyond anything this device hashes. */
  private totalLength = 0;

  protected constructor(
    private readonly name: string,
    private readonly initial: Int32Array,
  ) {
    this.h = new Int32Array(initial.length);
    this.reset();
  }

  /** Compress the 64 bytes at `data[offset]` into `h`. */
  protected abstract compress(data: Uint8Array, offset: number): void;

  reset(): this {
    this.h.set(this.initial);
    this.blockLength = 0;
    this.totalLength = 0;
    return this;
  }

  update(data: Uint8Array, offset: number, length: number): this {
    checkRange(`${this.name}.update`, data, offset, length);
    this.totalLength += length;
    let position = offset;
    const end = offset + length;
    if (this.blockLength > 0) {
      while (position < end && this.blockLength < 64) this.block[this.blockLength++] = data[position++];
      if (this.blockLength < 64) return this;
      this.compress(this.block, 0);
      this.blockLength = 0;
    }
    // Whole blocks straight from the caller's buffer: no copy.
    while (end - position >= 64) {
      this.compress(data, position);
      position += 64;
    }
    while (position < end) this.block[this.blockLength++] = data[position++];
    return this;
  }

  finish(out: Uint8Array, outOffset: number): void {
    checkRange(`${this.name}.finish`, out, outOffset, this.digestSize);
    const block = this.block;
    const bitsHigh = Math.floor(this.totalLength / 0x20000000);
    const bitsLow = (this.totalLength * 8) >>> 0;
    block[this.blockLength++] = 0x80;
    if (this.blockLength > 56) {
      while (this.blockLength < 64) block[this.blockLength++] = 0;
      this.compress(block, 0);
      this.blockLength = 0;
    }
    while (this.blockLength < 56) block[this.blockLength++] = 0;
    writeU32(block, 56, bitsHigh);
    writeU32(block, 60, bitsLow);
    this.compress(block, 0);
    this.blockLength = 0;
    for (let i = 0; i < this.digestSize / 4; i++) writeU32(out, outOffset + 4 * i, this.h[i]);
  }
}

export function writeU32(out: Uint8Array, offset: number, value: number): void {
  out[offset] = value >>> 24;
  out[offset + 1] = (value >>> 16) & 0xff;
  out[offset + 2] = (value >>> 8) & 0xff;
  out[offset + 3] = value & 0xff;
}
