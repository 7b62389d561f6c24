import { checkRange, type StreamingHash } from "./hash";

/**
 * SHA-1 (FIPS 180-4), streaming over preallocated state. Only for HMAC-SHA1 device signatures (Alibaba-style
 * `signmethod=hmacsha1`), where SHA-1's collision weakness does not matter; never use it to check an image.
 */
export class Sha1 implements StreamingHash {
  readonly blockSize = 64;
  readonly digestSize = 20;
  private readonly h = new Int32Array(5);
  private readonly w = new Int32Array(80);
  private readonly block = new Uint8Array(64);
  private blockLength = 0;
  private totalLength = 0;

  constructor() {
    this.reset();
  }

  reset(): this {
    const h = this.h;
    h[0] = 0x67452301;
    h[1] = 0xefcdab89;
    h[2] = 0x98badcfe;
    h[3] = 0x10325476;
    h[4] = 0xc3d2e1f0;
    this.blockLength = 0;
    this.totalLength = 0;
    return this;
  }

  update(data: Uint8Array, offset: number, length: number): this {
    checkRange("Sha1.update", data, offset, length);
    this.totalLength += length;
    let position = offset;
    const end = offset + length;
    if (this.blockLength > 0) {
      while (position < end && this.blockLength < 64) this.block[this.blockLength++] = data[position++];
      if (this.blockLength < 64) return this;
      this.compress(this.block, 0);
      this.blockLength = 0;
    }
    while (end - position >= 64) {
      this.compress(data, position);
      position += 64;
    }
    while (position < end) this.block[this.blockLength++] = data[position++];
    return this;
  }

  finish(out: Uint8Array, outOffset: number): void {
    checkRange("Sha1.finish", out, outOffset, 20);
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
    for (let i = 0; i < 5; i++) writeU32(out, outOffset + 4 * i, this.h[i]);
  }

  private compress(data: Uint8Array, offset: number): void {
    const w = this.w;
    for (let i = 0; i < 16; i++) {
      const p = offset + 4 * i;
      w[i] = (data[p] << 24) | (data[p + 1] << 16) | (data[p + 2] << 8) | data[p + 3];
    }
    for (let i = 16; i < 80; i++) {
      const x = w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16];
      w[i] = (x << 1) | (x >>> 31);
    }
    const h = this.h;
    let a = h[0];
    let b = h[1];
    let c = h[2];
    let d = h[3];
    let e = h[4];
    for (let i = 0; i < 80; i++) {
      let f: number;
      let k: number;
      if (i < 20) {
        f = (b & c) | (~b & d);
        k = 0x5a827999;
      } else if (i < 40) {
        f = b ^ c ^ d;
        k = 0x6ed9eba1;
      } else if (i < 60) {
        f = (b & c) | (b & d) | (c & d);
        k = 0x8f1bbcdc;
      } else {
        f = b ^ c ^ d;
        k = 0xca62c1d6;
      }
      const t = (((a << 5) | (a >>> 27)) + f + e + k + w[i]) | 0;
      e = d;
      d = c;
      c = (b << 30) | (b >>> 2);
      b = a;
      a = t;
    }
    h[0] = (h[0] + a) | 0;
    h[1] = (h[1] + b) | 0;
    h[2] = (h[2] + c) | 0;
    h[3] = (h[3] + d) | 0;
    h[4] = (h[4] + e) | 0;
  }
}

function writeU32(out: Uint8Array, offset: number, value: number): void {
  out[offset] = value >>> 24;
  out[offset + 1] = (value >>> 16) & 0xff;
  out[offset + 2] = (value >>> 8) & 0xff;
  out[offset + 3] = value & 0xff;
}
