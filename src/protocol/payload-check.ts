/**
 * What every command route checks before it parses a payload, so that a poison message is answered with the
 * protocol's error and changes nothing, instead of taking down the link or the engine:
 *   - larger than the receive buffer (mqtt.maxPacketBytes): the session delivered only its prefix;
 *   - not UTF-8 text;
 *   - JSON nested deeper than MAX_JSON_DEPTH: XS's JSON.parse recurses on the native stack, so a 10,000-deep array
 *     would abort the engine; the nesting is counted on the bytes first (strings skipped), without parsing.
 * `peekJsonField` reads a correlation id (spec 000 `mid`, spec 003 `msgid`, spec 004 `id`) from the text that is
 * there, so the error reply can still be matched to its command. Command rate; allocates only for a problem.
 */
import type { InboundMessage } from "../mqtt/session";
import { checkUtf8, readUtf8 } from "../mqtt/utf8";
import { MqttError } from "../mqtt/constants";

/** Deepest JSON nesting a command may have (the specs' deepest, a schedule task's trigger, is 6). */
export const MAX_JSON_DEPTH = 32;

/** Why this message's payload cannot be parsed, or null when it can. */
export function payloadProblem(message: InboundMessage): string | null {
  if (message.oversizeBytes > 0) {
    return `payload: the message is ${message.oversizeBytes} bytes, more than this gateway's ${message.limitBytes}-byte limit (mqtt.maxPacketBytes); nothing was applied`;
  }
  const buffer = message.buffer;
  if (checkUtf8(buffer, message.payloadOffset, message.payloadLength) !== MqttError.None) return "payload: not UTF-8 text (or it holds a NUL byte)";
  const depth = jsonDepth(buffer, message.payloadOffset, message.payloadLength, MAX_JSON_DEPTH);
  if (depth > MAX_JSON_DEPTH) return `payload: JSON nested deeper than ${MAX_JSON_DEPTH} levels`;
  return null;
}

/**
 * The deepest nesting of [ and { in JSON bytes, ignoring those inside strings; stops counting once past `limit`
 * (returns limit + 1). Malformed JSON is the parser's business: this only bounds its recursion.
 */
export function jsonDepth(data: Uint8Array, offset: number, length: number, limit: number): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  const end = offset + length;
  for (let p = offset; p < end; p++) {
    const b = data[p];
    if (inString) {
      if (b === 0x5c) p++;
      else if (b === 0x22) inString = false;
      continue;
    }
    if (b === 0x22) inString = true;
    else if (b === 0x5b || b === 0x7b) {
      depth++;
      if (depth > deepest) {
        deepest = depth;
        if (deepest > limit) return limit + 1;
      }
    } else if (b === 0x5d || b === 0x7d) depth--;
  }
  return deepest;
}

/**
 * The payload as text for peeking: the whole of it, or for an oversized or non-UTF-8 message the longest prefix
 * that is valid UTF-8 (a prefix may end inside a character).
 */
export function payloadPrefixText(message: InboundMessage, maxBytes = 1024): string {
  const buffer = message.buffer;
  const start = message.payloadOffset;
  const end = start + (message.payloadLength < maxBytes ? message.payloadLength : maxBytes);
  // One pass, a character at a time: stop before the first one that is invalid or cut off by `end`.
  let p = start;
  while (p < end) {
    const b = buffer[p];
    const size = b < 0x80 ? 1 : b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2;
    if (p + size > end || checkUtf8(buffer, p, size) !== MqttError.None) break;
    p += size;
  }
  return readUtf8(buffer, start, p - start);
}

/**
 * The raw value of the first `"name": value` in `text`: a string's characters (simple strings only, no escapes)
 * or a number's digits; null when there is none. For correlation ids of messages that cannot be parsed.
 */
export function peekJsonField(text: string, name: string): string | null {
  const key = `"${name}"`;
  let at = text.indexOf(key);
  while (at >= 0) {
    let p = at + key.length;
    while (p < text.length && isSpace(text.charCodeAt(p))) p++;
    if (text.charCodeAt(p) === 0x3a) {
      p++;
      while (p < text.length && isSpace(text.charCodeAt(p))) p++;
      if (text.charCodeAt(p) === 0x22) {
        const close = text.indexOf('"', p + 1);
        const value = close > p ? text.slice(p + 1, close) : "";
        return close > p && value.indexOf("\\") < 0 ? value : null;
      }
      let q = p;
      while (q < text.length && (isDigit(text.charCodeAt(q)) || (q === p && text.charCodeAt(q) === 0x2d))) q++;
      return q > p ? text.slice(p, q) : null;
    }
    at = text.indexOf(key, at + 1);
  }
  return null;
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}
