/**
 * `crypt` (modules/crypt/digest/crypt.js over modCrypt.c, included by modules/crypt/digest/manifest.json on both
 * platforms): named exports Digest, GHASH, BlockCipher, StreamCipher, Mode and a frozen default object of them.
 * `new Digest(type)` ("crypt: unsupported digest" for an unknown type); `write` takes a string, an ArrayBuffer or a
 * view (its own range); `close()` finalizes the context and returns the digest as a new ArrayBuffer; `reset()`
 * starts over. Here SHA1 and SHA256 are the repo's own TypeScript hashes. The native context is finalized by
 * close, so a write after close without reset hashes garbage on the device: this fake throws instead.
 */
import type { StreamingHash } from "../../../src/crypto/hash";
import { Sha1 } from "../../../src/crypto/sha1";
import { Sha256 } from "../../../src/crypto/sha256";
import { cryptStats } from "./hardware";

export class Digest {
  readonly #hash: StreamingHash;
  #closed = false;

  constructor(type: string) {
    const name = String(type);
    if (name === "SHA256") this.#hash = new Sha256();
    else if (name === "SHA1") this.#hash = new Sha1();
    else if (["MD5", "SHA224", "SHA384", "SHA512", "GHASH"].includes(name)) throw new Error(`fake crypt: digest ${name} is not modelled`);
    else throw new Error("crypt: unsupported digest");
    cryptStats.digests++;
  }

  write(data: string | ArrayBuffer | ArrayBufferView): void {
    if (this.#closed) throw new Error("fake crypt: write after close() without reset(): the native context is finalized");
    let bytes: Uint8Array;
    if (typeof data === "string") bytes = new TextEncoder().encode(data);
    else if (data instanceof Uint8Array) bytes = data;
    else if (ArrayBuffer.isView(data)) bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    else bytes = new Uint8Array(data);
    this.#hash.update(bytes, 0, bytes.length);
    cryptStats.bytes += bytes.length;
  }

  close(more?: boolean): ArrayBuffer {
    if (more) throw new Error("fake crypt: close(true) is not modelled");
    const out = new Uint8Array(this.#hash.digestSize);
    this.#hash.finish(out, 0);
    this.#closed = true;
    return out.buffer;
  }

  reset(): void {
    this.#hash.reset();
    this.#closed = false;
  }

  get blockSize(): number {
    return this.#hash.blockSize;
  }

  get outputSize(): number {
    return this.#hash.digestSize;
  }

  process(...items: Array<string | ArrayBuffer | ArrayBufferView>): ArrayBuffer {
    this.reset();
    for (const item of items) this.write(item);
    return this.close();
  }

  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.write(data);
  }
}

function notModelled(name: string): new (...args: unknown[]) => object {
  return class {
    constructor() {
      throw new Error(`fake crypt: ${name} is not modelled (the HAL does not use it)`);
    }
  };
}

export class GHASH extends Digest {
  constructor() {
    super("GHASH");
  }
}
export const BlockCipher = notModelled("BlockCipher");
export const StreamCipher = notModelled("StreamCipher");
export const Mode = notModelled("Mode");

export default Object.freeze({ Digest, BlockCipher, Mode, StreamCipher, GHASH });
