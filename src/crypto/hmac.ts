import { checkRange, type StreamingHash } from "./hash";
import { Sha1 } from "./sha1";
import { Sha256 } from "./sha256";

/**
 * HMAC (RFC 2104) over any 64-byte-block streaming hash, with its pads and inner digest preallocated: `init`,
 * `update`, `finish` allocate nothing, so a key can be reused for any number of messages.
 */
export class Hmac {
  readonly digestSize: number;
  private readonly innerPad: Uint8Array;
  private readonly outerPad: Uint8Array;
  private readonly innerDigest: Uint8Array;
  private keyed = false;

  constructor(private readonly hash: StreamingHash) {
    this.digestSize = hash.digestSize;
    this.innerPad = new Uint8Array(hash.blockSize);
    this.outerPad = new Uint8Array(hash.blockSize);
    this.innerDigest = new Uint8Array(hash.digestSize);
  }

  /** Set the key and start a message. A key longer than the block is hashed first, as RFC 2104 says. */
  init(key: Uint8Array, offset: number, length: number): this {
    checkRange("Hmac.init", key, offset, length);
    const blockSize = this.hash.blockSize;
    const inner = this.innerPad;
    const outer = this.outerPad;
    inner.fill(0);
    if (length > blockSize) {
      this.hash.reset().update(key, offset, length).finish(inner, 0);
    } else {
      for (let i = 0; i < length; i++) inner[i] = key[offset + i];
    }
    for (let i = 0; i < blockSize; i++) {
      outer[i] = inner[i] ^ 0x5c;
      inner[i] ^= 0x36;
    }
    this.keyed = true;
    return this.restart();
  }

  /** Start another message with the same key. */
  restart(): this {
    if (!this.keyed) throw new Error("Hmac: init(key) first");
    this.hash.reset().update(this.innerPad, 0, this.innerPad.length);
    return this;
  }

  update(data: Uint8Array, offset: number, length: number): this {
    this.hash.update(data, offset, length);
    return this;
  }

  /** Write the MAC (`digestSize` bytes) at `out[outOffset]`. Call `restart` before the next message. */
  finish(out: Uint8Array, outOffset: number): void {
    checkRange("Hmac.finish", out, outOffset, this.digestSize);
    const hash = this.hash;
    hash.finish(this.innerDigest, 0);
    hash.reset().update(this.outerPad, 0, this.outerPad.length).update(this.innerDigest, 0, this.digestSize).finish(out, outOffset);
  }
}

export function createHmacSha256(): Hmac {
  return new Hmac(new Sha256());
}

export function createHmacSha1(): Hmac {
  return new Hmac(new Sha1());
}
