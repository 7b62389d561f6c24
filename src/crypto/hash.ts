/**
 * The shape every streaming hash here has, so HMAC (and later the OTA image check) can run over any of them.
 * State is preallocated at construction: `reset`/`update`/`finish` allocate nothing, whatever the input size.
 */
export interface StreamingHash {
  /** Bytes per compression block (64 for SHA-1 and SHA-256): HMAC pads its key to this. */
  readonly blockSize: number;
  /** Bytes of output. */
  readonly digestSize: number;
  /** Start a new message. */
  reset(): this;
  /** Absorb `length` bytes of `data` from `offset`. */
  update(data: Uint8Array, offset: number, length: number): this;
  /** Write the digest (`digestSize` bytes) at `out[outOffset]`; the hash must be reset before it is used again. */
  finish(out: Uint8Array, outOffset: number): void;
}

/** A caller passed a range outside its buffer: a bug in the caller, refused before any state changes. */
export function checkRange(what: string, data: Uint8Array, offset: number, length: number): void {
  if (!(offset >= 0 && length >= 0 && offset + length <= data.length && Number.isInteger(offset) && Number.isInteger(length))) {
    throw new RangeError(`${what}: range ${offset}+${length} outside a ${data.length}-byte buffer`);
  }
}
