/**
 * UTF-8 without TextEncoder (not a global on every Moddable build) and without allocating on encode. Lone
 * surrogates are encoded as their 3-byte form (WTF-8) so any JS string round-trips exactly.
 */

/** Bytes `text` takes in UTF-8. */
export function utf8ByteLength(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && isLowSurrogate(text.charCodeAt(i + 1))) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

/** Encode into `out` at `offset`; returns the bytes written, or -1 (nothing meaningful written) if `limit` is exceeded. */
export function utf8Encode(text: string, out: Uint8Array, offset: number, limit: number): number {
  let at = offset;
  for (let i = 0; i < text.length; i++) {
    let c = text.charCodeAt(i);
    if (c < 0x80) {
      if (at + 1 > limit) return -1;
      out[at++] = c;
    } else if (c < 0x800) {
      if (at + 2 > limit) return -1;
      out[at++] = 0xc0 | (c >>> 6);
      out[at++] = 0x80 | (c & 0x3f);
    } else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && isLowSurrogate(text.charCodeAt(i + 1))) {
      if (at + 4 > limit) return -1;
      c = 0x10000 + ((c - 0xd800) << 10) + (text.charCodeAt(++i) - 0xdc00);
      out[at++] = 0xf0 | (c >>> 18);
      out[at++] = 0x80 | ((c >>> 12) & 0x3f);
      out[at++] = 0x80 | ((c >>> 6) & 0x3f);
      out[at++] = 0x80 | (c & 0x3f);
    } else {
      if (at + 3 > limit) return -1;
      out[at++] = 0xe0 | (c >>> 12);
      out[at++] = 0x80 | ((c >>> 6) & 0x3f);
      out[at++] = 0x80 | (c & 0x3f);
    }
  }
  return at - offset;
}

/**
 * Decode `length` bytes; returns null on a malformed sequence (the caller names the record). Builds the string in
 * chunks of code units: fine at command rate, which is the only rate strings are read at.
 */
export function utf8Decode(data: Uint8Array, offset: number, length: number): string | null {
  const end = offset + length;
  let out = "";
  const units: number[] = [];
  let i = offset;
  while (i < end) {
    const b0 = data[i];
    let c: number;
    if (b0 < 0x80) {
      c = b0;
      i += 1;
    } else if (b0 >= 0xc2 && b0 < 0xe0) {
      if (i + 1 >= end || !isContinuation(data[i + 1])) return null;
      c = ((b0 & 0x1f) << 6) | (data[i + 1] & 0x3f);
      i += 2;
    } else if (b0 >= 0xe0 && b0 < 0xf0) {
      if (i + 2 >= end || !isContinuation(data[i + 1]) || !isContinuation(data[i + 2])) return null;
      c = ((b0 & 0x0f) << 12) | ((data[i + 1] & 0x3f) << 6) | (data[i + 2] & 0x3f);
      if (c < 0x800) return null;
      i += 3;
    } else if (b0 >= 0xf0 && b0 < 0xf5) {
      if (i + 3 >= end || !isContinuation(data[i + 1]) || !isContinuation(data[i + 2]) || !isContinuation(data[i + 3])) return null;
      c = ((b0 & 0x07) << 18) | ((data[i + 1] & 0x3f) << 12) | ((data[i + 2] & 0x3f) << 6) | (data[i + 3] & 0x3f);
      if (c < 0x10000 || c > 0x10ffff) return null;
      i += 4;
    } else return null;
    if (c >= 0x10000) {
      c -= 0x10000;
      units.push(0xd800 + (c >>> 10), 0xdc00 + (c & 0x3ff));
    } else units.push(c);
    // Each code unit is an argument of fromCharCode.apply, one XS stack slot: keep the batch small (the device's
    // whole stack is 512 slots).
    if (units.length >= 64) {
      out += String.fromCharCode.apply(null, units);
      units.length = 0;
    }
  }
  if (units.length > 0) out += String.fromCharCode.apply(null, units);
  return out;
}

function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

function isContinuation(b: number): boolean {
  return (b & 0xc0) === 0x80;
}
