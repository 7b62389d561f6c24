/** Small helpers for checking parsed JSON (command rate: these may allocate). */

export type Plain = Record<string, unknown>;

export function isPlainObject(value: unknown): value is Plain {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function hasOwn(object: Plain, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(object, key);
}

/** A short rendering of a wrong value for error messages (bounded: a message must fit any reply). */
export function shortJson(value: unknown): string {
  if (value === undefined) return "nothing";
  let text: string;
  try {
    text = JSON.stringify(value);
  } catch {
    text = String(value);
  }
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

/** `JSON.parse` gives "__proto__" as an own key; plain assignment would set the prototype instead of a field. */
export function putField(target: Plain, key: string, value: unknown): void {
  if (key === "__proto__") Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}

/** UTF-8 byte length without encoding (no allocation). */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}
