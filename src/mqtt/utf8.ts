import { MqttError } from "./constants";

/**
 * UTF-8 for MQTT strings without TextEncoder/TextDecoder: those need a fresh view or string per call, while the
 * codec must not allocate. Encoding walks the JS string's UTF-16 code units; decoding validates in place.
 */

/**
 * Reads code units as `charCodeAt.call(text, i)`, and finds the end where it returns NaN: on XS, any property of a
 * primitive string (`text.charCodeAt`, `text.length`) makes a String wrapper, two heap slots per access, so the
 * plain loop made four slots of garbage per character of every JSON text published. This allocates nothing.
 */
const charCodeAt = String.prototype.charCodeAt;

/** Byte length of `text` in UTF-8, or -1 if it holds a lone surrogate or U+0000 (both forbidden in MQTT strings). */
export function utf8Length(text: string): number {
  let length = 0;
  for (let i = 0; ; i++) {
    const c = charCodeAt.call(text, i);
    if (c !== c) break; // NaN: past the end
    if (c === 0) return -1;
    if (c < 0x80) length += 1;
    else if (c < 0x800) length += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      const d = charCodeAt.call(text, i + 1); // NaN past the end: refused below
      if (!(d >= 0xdc00 && d <= 0xdfff)) return -1;
      length += 4;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) return -1;
    else length += 3;
  }
  return length;
}

/** Write `text` as UTF-8 at `out[offset]` (the caller checked `utf8Length` and the room); returns the end offset. */
export function writeUtf8(text: string, out: Uint8Array, offset: number): number {
  let p = offset;
  for (let i = 0; ; i++) {
    let c = charCodeAt.call(text, i);
    if (c !== c) break; // NaN: past the end
    if (c < 0x80) out[p++] = c;
    else if (c < 0x800) {
      out[p++] = 0xc0 | (c >> 6);
      out[p++] = 0x80 | (c & 63);
    } else if (c >= 0xd800 && c <= 0xdbff) {
      c = 0x10000 + ((c - 0xd800) << 10) + (charCodeAt.call(text, ++i) - 0xdc00);
      out[p++] = 0xf0 | (c >> 18);
      out[p++] = 0x80 | ((c >> 12) & 63);
      out[p++] = 0x80 | ((c >> 6) & 63);
      out[p++] = 0x80 | (c & 63);
    } else {
      out[p++] = 0xe0 | (c >> 12);
      out[p++] = 0x80 | ((c >> 6) & 63);
      out[p++] = 0x80 | (c & 63);
    }
  }
  return p;
}

/**
 * Check that bytes are well-formed UTF-8 (no overlong forms, no surrogates, nothing above U+10FFFF) without
 * U+0000, as MQTT 3.1.1 §1.5.3 requires of every string.
 */
export function checkUtf8(data: Uint8Array, offset: number, length: number): MqttError {
  const end = offset + length;
  let p = offset;
  while (p < end) {
    const b = data[p];
    if (b < 0x80) {
      if (b === 0) return MqttError.BadUtf8;
      p++;
      continue;
    }
    let need: number;
    let min: number;
    let c: number;
    if (b >= 0xc2 && b <= 0xdf) {
      need = 1;
      min = 0x80;
      c = b & 0x1f;
    } else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      min = 0x800;
      c = b & 0x0f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      min = 0x10000;
      c = b & 0x07;
    } else return MqttError.BadUtf8;
    if (p + need >= end) return MqttError.BadUtf8;
    for (let k = 1; k <= need; k++) {
      const next = data[p + k];
      if ((next & 0xc0) !== 0x80) return MqttError.BadUtf8;
      c = (c << 6) | (next & 0x3f);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) return MqttError.BadUtf8;
    p += need + 1;
  }
  return MqttError.None;
}

const PLUS = 0x2b;
const HASH = 0x23;
const SLASH = 0x2f;
/** Code units per String.fromCharCode.apply call where there is no native decoder (each is a stack slot on XS). */
const CHUNK_UNITS = 64;

/** A topic name (PUBLISH, will): non-empty valid UTF-8 without wildcards (§4.7.3, §3.3.2.1). */
export function checkTopicName(data: Uint8Array, offset: number, length: number): MqttError {
  if (length === 0) return MqttError.BadTopic;
  // One pass over the ASCII bytes (nearly every topic); the full UTF-8 check only if a multi-byte one shows up.
  const end = offset + length;
  let multiByte = false;
  for (let i = offset; i < end; i++) {
    const b = data[i];
    if (b === PLUS || b === HASH) return MqttError.BadTopic;
    if (b === 0) return MqttError.BadUtf8;
    if (b >= 0x80) multiByte = true;
  }
  return multiByte ? checkUtf8(data, offset, length) : MqttError.None;
}

/** A topic filter (SUBSCRIBE, UNSUBSCRIBE): `+` fills a whole level, `#` a whole last level (§4.7.1). */
export function checkTopicFilter(data: Uint8Array, offset: number, length: number): MqttError {
  if (length === 0) return MqttError.BadTopic;
  const end = offset + length;
  for (let i = offset; i < end; i++) {
    const b = data[i];
    if (b !== PLUS && b !== HASH) continue;
    const levelStart = i === offset || data[i - 1] === SLASH;
    const levelEnd = i + 1 === end || data[i + 1] === SLASH;
    if (!levelStart || !levelEnd) return MqttError.BadTopic;
    if (b === HASH && i + 1 !== end) return MqttError.BadTopic;
  }
  return checkUtf8(data, offset, length);
}

/**
 * Decode (already validated) UTF-8 bytes to a string. Allocates the string: for handlers at command rate, logs
 * and tests, never per packet.
 *
 * On Moddable XS, `String.fromArrayBuffer(buffer, offset, length)` decodes natively (XS strings are UTF-8: one
 * copy). Elsewhere (Node) the string is built CHUNK_UNITS code units at a time: `String.fromCharCode.apply` puts
 * every code unit of the chunk on the XS stack as an argument, so the chunk is kept small; a 512-unit chunk took
 * 512 stack slots and overflowed the device's 512-slot stack on a 1 KB command.
 */
export function readUtf8(data: Uint8Array, offset: number, length: number): string {
  const nativeDecode = (String as unknown as { fromArrayBuffer?: (buffer: ArrayBufferLike, offset: number, length: number) => string }).fromArrayBuffer;
  if (typeof nativeDecode === "function") return length === 0 ? "" : nativeDecode(data.buffer, data.byteOffset + offset, length);
  // Per call, not a module-level buffer: the module is preloaded into flash on the device, where a module-level
  // typed array is read-only.
  const chunk = new Uint16Array(length < CHUNK_UNITS ? length + 1 : CHUNK_UNITS);
  let out = "";
  let n = 0;
  const end = offset + length;
  let p = offset;
  while (p < end) {
    const b = data[p];
    let c: number;
    if (b < 0x80) {
      c = b;
      p += 1;
    } else if (b < 0xe0) {
      c = ((b & 0x1f) << 6) | (data[p + 1] & 0x3f);
      p += 2;
    } else if (b < 0xf0) {
      c = ((b & 0x0f) << 12) | ((data[p + 1] & 0x3f) << 6) | (data[p + 2] & 0x3f);
      p += 3;
    } else {
      c = ((b & 0x07) << 18) | ((data[p + 1] & 0x3f) << 12) | ((data[p + 2] & 0x3f) << 6) | (data[p + 3] & 0x3f);
      p += 4;
    }
    if (n > chunk.length - 2) {
      out += String.fromCharCode.apply(null, chunk.subarray(0, n) as unknown as number[]);
      n = 0;
    }
    if (c >= 0x10000) {
      c -= 0x10000;
      chunk[n++] = 0xd800 + (c >> 10);
      chunk[n++] = 0xdc00 + (c & 0x3ff);
    } else chunk[n++] = c;
  }
  if (n > 0) out += String.fromCharCode.apply(null, chunk.subarray(0, n) as unknown as number[]);
  return out;
}
