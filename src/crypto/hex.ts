const DIGITS = "0123456789abcdef";

/** Lower-case hex of `length` bytes. Builds a string, so it allocates: for credentials and logs, not per packet. */
export function toHex(bytes: Uint8Array, offset: number, length: number): string {
  let out = "";
  for (let i = offset; i < offset + length; i++) out += DIGITS[bytes[i] >> 4] + DIGITS[bytes[i] & 15];
  return out;
}

/** Parse lower- or upper-case hex into `into`; returns the byte count or throws naming the bad character. */
export function fromHex(hex: string, into: Uint8Array, offset: number): number {
  if (hex.length % 2 !== 0) throw new Error(`hex: odd length ${hex.length}`);
  const count = hex.length / 2;
  if (offset + count > into.length) throw new RangeError(`hex: ${count} bytes do not fit at ${offset} of ${into.length}`);
  for (let i = 0; i < count; i++) into[offset + i] = (nibble(hex, 2 * i) << 4) | nibble(hex, 2 * i + 1);
  return count;
}

function nibble(hex: string, index: number): number {
  const c = hex.charCodeAt(index);
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  throw new Error(`hex: bad character "${hex[index]}" at ${index}`);
}
