/**
 * The platform's msgid is a 64-bit snowflake (628131887239491584 in spec 003), beyond 2^53: JSON.parse would round
 * it and the reply would carry a different msgid. These two functions keep such a msgid as its digits from the
 * command text to the reply text. Command rate; they allocate.
 */

/** A JSON number kept as written (only msgid values of 16 digits or more). */
export class RawJsonNumber {
  constructor(readonly digits: string) {}

  toString(): string {
    return this.digits;
  }
}

const MARK = "\u0000RAW:";

/** JSON.parse, with long msgid numbers as RawJsonNumber. Throws SyntaxError on bad JSON. */
export function parseLossless(text: string): unknown {
  // A fresh /g RegExp per call: a module-level one is preloaded into flash on the device, where `replace` cannot
  // reset its lastIndex and throws.
  const marked = text.replace(/("msgid"\s*:\s*)(-?\d{16,})(?=\s*[,}])/g, (_match, key: string, digits: string) => `${key}"\\u0000RAW:${digits}"`);
  return JSON.parse(marked, (_key, value: unknown) => (typeof value === "string" && value.startsWith(MARK) ? new RawJsonNumber(value.slice(MARK.length)) : value));
}

/** JSON.stringify, writing RawJsonNumber values as the bare numbers they were. */
export function stringifyLossless(value: unknown): string {
  const text = JSON.stringify(value, (_key, v: unknown) => (v instanceof RawJsonNumber ? `${MARK}${v.digits}` : v));
  return text.replace(/"\\u0000RAW:(-?\d+)"/g, "$1");
}
