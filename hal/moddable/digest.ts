import { Digest } from "crypt";
import type { StreamingHash } from "../../src/crypto/hash";

/**
 * SHA-256 by the SDK's native `crypt` Digest (modules/crypt/digest: C code, the same the TLS stack uses), behind the
 * core's StreamingHash. The pure TypeScript Sha256 costs tens of XS steps per byte; the native one a call per chunk,
 * which is what keeps the OTA download tick inside its budget on the ESP32.
 *
 * The native `write` takes a whole buffer or view, so a range is passed as a view over the caller's buffer. The
 * view of the last range is kept: the downloader feeds the same receive buffer at the same offsets chunk after
 * chunk, so steady streaming allocates nothing. `finish` allocates the digest's ArrayBuffer (once per image).
 */
export class NativeSha256 implements StreamingHash {
  readonly blockSize = 64;
  readonly digestSize = 32;
  private readonly digest = new Digest("SHA256");
  private lastView: Uint8Array | null = null;
  private lastData: Uint8Array | null = null;
  private lastOffset = -1;

  reset(): this {
    this.digest.reset();
    return this;
  }

  update(data: Uint8Array, offset: number, length: number): this {
    if (!(Number.isInteger(offset) && Number.isInteger(length) && offset >= 0 && length >= 0 && offset + length <= data.length)) {
      throw new RangeError(`sha256 update: range ${offset}+${length} outside a ${data.length}-byte buffer`);
    }
    if (length === 0) return this;
    if (offset === 0 && length === data.length) {
      this.digest.write(data);
      return this;
    }
    let view = this.lastView;
    if (view === null || this.lastData !== data || this.lastOffset !== offset || view.length !== length) {
      view = new Uint8Array(data.buffer, data.byteOffset + offset, length);
      this.lastView = view;
      this.lastData = data;
      this.lastOffset = offset;
    }
    this.digest.write(view);
    return this;
  }

  finish(out: Uint8Array, outOffset: number): void {
    if (!(Number.isInteger(outOffset) && outOffset >= 0 && outOffset + 32 <= out.length)) {
      throw new RangeError(`sha256 finish: 32 bytes do not fit at ${outOffset} in a ${out.length}-byte buffer`);
    }
    out.set(new Uint8Array(this.digest.close()), outOffset);
  }
}
