/**
 * "Packed JSON": a compact binary form of JSON values for flash. JSON text of a full strategy (meter and devices
 * included) is 1-2.5 KB and a task 0.3-1 KB; 64 strategies and 256 tasks of that would not fit a 64 KiB partition.
 * Packed, object keys and the protocol's enumerated strings are one byte (a frozen dictionary from specs 000/003/004),
 * small integers one byte, timestamps six, decimals like 90.1 four: strategies and tasks shrink 3-4x.
 *
 * Round trip: decode(encode(v)) is deep-equal to JSON.parse(JSON.stringify(v)), key order included, so JSON text
 * produced by JSON.stringify comes back byte-identical through `JSON.stringify(decode(...))`.
 *
 * Tags:
 *   0x00-0x7F uint 0..127      0x80-0x9F string, 0..31 UTF-8 bytes follow      0xA0-0xAF array of 0..15 items
 *   0xB0-0xBF object of 0..15 entries    0xC0 null  0xC1 false  0xC2 true
 *   0xC3 uint varint   0xC4 negative int: varint of (-1 - n)   0xC5 float64 LE   0xC6 decimal: zigzag varint
 *   mantissa m, one byte k, value m / 10^k   0xC7 string: varint length + UTF-8   0xC8 array: varint count
 *   0xC9 object: varint count   0xCA dictionary string: one byte index
 *   0xCB RFC 3339 UTC time "YYYY-MM-DDThh:mm:ss[.f{1,9}]Z": u16 year, month, day, hour, minute, second, digit
 *        count of the fraction (0 = none), varint fraction   0xCC dotted IPv4 "a.b.c.d": four bytes
 *   0xCD repeat: varint index of an earlier string of this value (strings of 4+ characters not taken from the
 *        dictionary are numbered in order of first appearance)
 * Object keys: one byte dictionary index (0..254), or 0xFF + varint length + UTF-8.
 *
 * THE DICTIONARY IS PART OF THE FLASH FORMAT: never reorder or remove entries. Appending is only safe if no firmware
 * that may run after a rollback reads the new entries; treat any change as a format change (new FORMAT_MAGIC).
 */
import { deepFreeze } from "../core/freeze";
import { StoreError } from "./errors";
import { utf8ByteLength, utf8Decode, utf8Encode } from "./utf8";

export const PACKED_DICTIONARY: readonly string[] = deepFreeze([
  // spec 000 strategy (StreamingOverDemand)
  "id", "device_type", "devices", "elemeter", "ele_meter", "ele_meter_id", "streaming_status", "streaming_condition",
  "individual_phase_streaming_status", "individual_phase_streaming_condition", "over_demand_condition",
  "over_demand_status", "dynamic_demand", "dynamic_demand_status", "dynamic_demand_percentage",
  "current_over_demand_condition", "updated_by", "created_at", "updated_at",
  // spec 000 emsDevice / eleMeter
  "uid", "name", "site_name", "location", "longitude", "latitude", "level", "type", "running_status", "host", "port",
  "license", "statistics_port", "cooling_method", "charges", "pcs_reboot", "bms_reboot", "proto_type", "proto_id",
  "slave_id", "com_addr", "com_no", "baud_rate", "data_bits", "stop_bits", "parity", "station_name",
  "elec_device_type", "ele_device_type", "ele_device_type_id", "rate", "direction", "pt", "ct", "purpose", "meter_ids",
  "associate_meters",
  // envelopes
  "mid", "reply", "trace_id", "code", "msg", "data", "device_uid", "timestamp", "version", "params", "method",
  // spec 003 tasks
  "msgid", "sn", "payload", "cmd", "tasks", "taskId", "enable", "priority", "startTime", "endTime", "cycle", "mode",
  "dstEnable", "time", "trigger", "period", "weekday", "monthday", "cron", "actions", "groupid", "ForceSwitch", "addr",
  "portid", "meteraddr", "functionid", "value", "and", "or", "prop", "op", "events", "res", "errcode", "task",
  "endpoint",
  // spec 003 enumerated values
  "simple", "once", "day", "week", "month", "sunrise", "sunset", "operate", "operate_raw", "transport", "FORCESWITCH",
  "Switch", "GT", "GTE", "LT", "LTE", "NE", "EQ", "EX", "NEX", "${time}", "METER", "GATEWAY", "SET", "ADD", "DELETE",
  "UPDATE", "ENABLE_ALL", "ENABLE", "CLEAR", "READ_ALL", "READ", "schedule", "event", "Linux", "1.0",
  // OTA state and settings documents
  "state", "url", "size", "sha256", "signature", "offset", "attempts", "result", "reason", "previous", "target",
  "bootCount", "since",
]);

// Filled here and only read afterwards: on the device this runs at build time (preload) and the Map is in flash.
const DICT_INDEX = new Map<string, number>();
for (let i = 0; i < PACKED_DICTIONARY.length; i++) DICT_INDEX.set(PACKED_DICTIONARY[i], i);
if (PACKED_DICTIONARY.length > 255 || DICT_INDEX.size !== PACKED_DICTIONARY.length) throw new Error("packed-json: bad dictionary");

const MAX_DEPTH = 32;
/** Strings of at least this many characters can be repeated by reference. */
const REPEAT_MIN = 4;
const REPEAT_MAX = 255;
// A RegExp literal per call, not module-level: the SDK's exec of a preloaded RegExp can crash under GC (docs/ota.md, Memory).
function timePattern(): RegExp {
  return /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?Z$/;
}
// A RegExp literal per call, not module-level: the SDK's exec of a preloaded RegExp can crash under GC (docs/ota.md, Memory).
function ipv4Pattern(): RegExp {
  return /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
}
const POW10 = deepFreeze([1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15]);
/** Zigzag of mantissas up to 2^52 stays below 2^53 (exact in a double). */
const MAX_MANTISSA = 4503599627370496;

/**
 * Encode `value` into `out[offset, limit)`; returns the end offset. Throws VALUE_INVALID naming the path of a value
 * JSON cannot represent, RECORD_TOO_LARGE when `limit` is reached.
 */
export function packedEncode(value: unknown, out: Uint8Array, offset: number, limit: number): number {
  const encoder = new PackedEncoder(out, limit);
  return encoder.value(value, offset, 0);
}

/**
 * One encoding: the output, its limit, the strings numbered so far for repeats (per call, not module state: the
 * module is preloaded into flash on the device, where a module-level Map is read-only) and the keys and indexes of
 * the value being encoded, from which an error's path is built only when one is thrown.
 *
 * The recursion runs on the XS stack of a command's path (socket, MQTT session, protocol handler, store
 * transaction, here), which has 512 slots on the ESP32: `value` keeps its frame small (two arguments, the
 * iteration's few locals, no per-level path string), and the scalar cases are leaf calls.
 */
class PackedEncoder {
  readonly seen = new Map<string, number>();
  /** trail[d]: the key or index at depth d of the value being encoded. */
  private readonly trail: (string | number)[] = [];

  constructor(
    readonly out: Uint8Array,
    readonly limit: number,
  ) {}

  value(value: unknown, at: number, depth: number): number {
    const out = this.out;
    const limit = this.limit;
    if (value === null) return putByte(out, at, limit, 0xc0);
    switch (typeof value) {
      case "boolean":
        return putByte(out, at, limit, value ? 0xc2 : 0xc1);
      case "number":
        return encodeNumber(value, out, at, limit, this, depth);
      case "string":
        return encodeString(value, out, at, limit, this.seen);
      case "object":
        break;
      default:
        throw new StoreError("VALUE_INVALID", `${this.path(depth)}: a ${typeof value} cannot be stored (JSON values only)`);
    }
    if (depth >= MAX_DEPTH) throw new StoreError("VALUE_INVALID", `${this.path(depth)}: nested deeper than ${MAX_DEPTH}`);
    if (Array.isArray(value)) {
      const n = value.length;
      at = n < 16 ? putByte(out, at, limit, 0xa0 | n) : putVarint(out, putByte(out, at, limit, 0xc8), limit, n);
      for (let i = 0; i < n; i++) {
        const item = value[i];
        this.trail[depth] = i;
        // JSON.stringify writes undefined and functions in arrays as null: do the same.
        at = storable(item) ? this.value(item, at, depth + 1) : putByte(out, at, limit, 0xc0);
      }
      return at;
    }
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) throw new StoreError("VALUE_INVALID", `${this.path(depth)}: only plain objects can be stored`);
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record);
    at = putCount(out, at, limit, countStorable(record, keys));
    for (let i = 0; i < keys.length; i++) {
      const item = record[keys[i]];
      if (!storable(item)) continue;
      this.trail[depth] = keys[i];
      at = putKey(keys[i], out, at, limit);
      at = this.value(item, at, depth + 1);
    }
    return at;
  }

  /** "$" and the keys and indexes down to `depth`, as in "$.actions[0].payload" (only for an error). */
  path(depth: number): string {
    let path = "$";
    for (let d = 0; d < depth; d++) {
      const step = this.trail[d];
      path += typeof step === "number" ? `[${step}]` : `.${step}`;
    }
    return path;
  }
}

/** JSON.stringify leaves out object members that are undefined or functions. */
function storable(value: unknown): boolean {
  return value !== undefined && typeof value !== "function";
}

function countStorable(record: Record<string, unknown>, keys: string[]): number {
  let count = 0;
  for (let i = 0; i < keys.length; i++) if (storable(record[keys[i]])) count++;
  return count;
}

function putCount(out: Uint8Array, at: number, limit: number, count: number): number {
  return count < 16 ? putByte(out, at, limit, 0xb0 | count) : putVarint(out, putByte(out, at, limit, 0xc9), limit, count);
}

/** A member name: its dictionary index, or 0xff and the UTF-8 text. */
function putKey(key: string, out: Uint8Array, at: number, limit: number): number {
  const index = DICT_INDEX.get(key);
  if (index !== undefined) return putByte(out, at, limit, index);
  at = putByte(out, at, limit, 0xff);
  at = putVarint(out, at, limit, utf8ByteLength(key));
  return putUtf8(key, out, at, limit);
}

function encodeNumber(value: number, out: Uint8Array, at: number, limit: number, encoder: PackedEncoder, depth: number): number {
  if (!Number.isFinite(value)) throw new StoreError("VALUE_INVALID", `${encoder.path(depth)}: ${value} is not a JSON number`);
  if (Number.isInteger(value) && Math.abs(value) <= Number.MAX_SAFE_INTEGER && !Object.is(value, -0)) {
    if (value >= 0) return value < 128 ? putByte(out, at, limit, value) : putVarint(out, putByte(out, at, limit, 0xc3), limit, value);
    return putVarint(out, putByte(out, at, limit, 0xc4), limit, -1 - value);
  }
  for (let k = 1; k < POW10.length; k++) {
    const m = Math.round(value * POW10[k]);
    if (Math.abs(m) > MAX_MANTISSA) break;
    if (m / POW10[k] === value && !Object.is(value, -0)) {
      at = putVarint(out, putByte(out, at, limit, 0xc6), limit, m >= 0 ? m * 2 : -m * 2 - 1);
      return putByte(out, at, limit, k);
    }
  }
  at = putByte(out, at, limit, 0xc5);
  if (at + 8 > limit) throw tooLarge(limit);
  // Little-endian, as the format says. A view per float64 (rare: most numbers are integers or short decimals), not
  // a module-level scratch, which would be read-only once preloaded into flash on the device.
  new DataView(out.buffer, out.byteOffset + at, 8).setFloat64(0, value, true);
  return at + 8;
}

function encodeString(value: string, out: Uint8Array, at: number, limit: number, seenStrings: Map<string, number>): number {
  const index = value.length >= 2 ? DICT_INDEX.get(value) : undefined;
  if (index !== undefined) return putByte(out, putByte(out, at, limit, 0xca), limit, index);
  if (value.length >= REPEAT_MIN) {
    const earlier = seenStrings.get(value);
    if (earlier !== undefined) return putVarint(out, putByte(out, at, limit, 0xcd), limit, earlier);
    if (seenStrings.size < REPEAT_MAX) seenStrings.set(value, seenStrings.size);
    const time = encodeTime(value, out, at, limit);
    if (time >= 0) return time;
    const ip = encodeIpv4(value, out, at, limit);
    if (ip >= 0) return ip;
  }
  const length = utf8ByteLength(value);
  at = length < 32 ? putByte(out, at, limit, 0x80 | length) : putVarint(out, putByte(out, at, limit, 0xc7), limit, length);
  return putUtf8(value, out, at, limit);
}

/** RFC 3339 UTC timestamps as fields; -1 if `value` is not one that formats back to exactly itself. */
function encodeTime(value: string, out: Uint8Array, at: number, limit: number): number {
  if (value.length < 20 || value.charCodeAt(value.length - 1) !== 0x5a) return -1;
  const m = timePattern().exec(value);
  if (m === null) return -1;
  const fraction = m[7] ?? "";
  at = putByte(out, at, limit, 0xcb);
  const year = Number(m[1]);
  at = putByte(out, putByte(out, at, limit, year & 0xff), limit, year >>> 8);
  for (let i = 2; i <= 6; i++) at = putByte(out, at, limit, Number(m[i]));
  at = putByte(out, at, limit, fraction.length);
  return fraction.length > 0 ? putVarint(out, at, limit, Number(fraction)) : at;
}

function encodeIpv4(value: string, out: Uint8Array, at: number, limit: number): number {
  if (value.length > 15) return -1;
  const m = ipv4Pattern().exec(value);
  if (m === null) return -1;
  for (let i = 1; i <= 4; i++) {
    const part = m[i];
    if ((part.length > 1 && part.charCodeAt(0) === 0x30) || Number(part) > 255) return -1;
  }
  at = putByte(out, at, limit, 0xcc);
  for (let i = 1; i <= 4; i++) at = putByte(out, at, limit, Number(m[i]));
  return at;
}

function putUtf8(text: string, out: Uint8Array, at: number, limit: number): number {
  const written = utf8Encode(text, out, at, limit);
  if (written < 0) throw tooLarge(limit);
  return at + written;
}

function putByte(out: Uint8Array, at: number, limit: number, byte: number): number {
  if (at >= limit) throw tooLarge(limit);
  out[at] = byte;
  return at + 1;
}

/** Unsigned varint (7 bits per byte, low first) by arithmetic, so values up to 2^53 work. */
function putVarint(out: Uint8Array, at: number, limit: number, value: number): number {
  while (value >= 128) {
    at = putByte(out, at, limit, (value % 128) | 0x80);
    value = Math.floor(value / 128);
  }
  return putByte(out, at, limit, value);
}

function tooLarge(limit: number): StoreError {
  return new StoreError("RECORD_TOO_LARGE", `the encoded value does not fit ${limit} bytes`);
}

/** Decoder state: the position advances through `data`; a malformed input throws CORRUPT naming `what`. */
class Reader {
  at: number;
  /** Strings numbered so far for repeats (4+ characters, not from the dictionary), as the encoder numbered them. */
  readonly strings: string[] = [];
  constructor(
    readonly data: Uint8Array,
    offset: number,
    readonly end: number,
    readonly what: string,
  ) {
    this.at = offset;
  }

  byte(): number {
    if (this.at >= this.end) throw this.fail("truncated");
    return this.data[this.at++];
  }

  varint(): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      const b = this.byte();
      value += (b & 0x7f) * scale;
      if (b < 0x80) return value;
      scale *= 128;
    }
    throw this.fail("varint too long");
  }

  string(length: number): string {
    if (length > this.end - this.at) throw this.fail("string overruns the value");
    const text = utf8Decode(this.data, this.at, length);
    if (text === null) throw this.fail("bad UTF-8");
    this.at += length;
    return text;
  }

  fail(problem: string): StoreError {
    return new StoreError("CORRUPT", `${this.what}: packed value ${problem} at byte ${this.at}`);
  }
}

/** Decode a value written by packedEncode; `what` names the record in errors. */
export function packedDecode(data: Uint8Array, offset: number, length: number, what = "value"): unknown {
  const reader = new Reader(data, offset, offset + length, what);
  const value = decodeValue(reader, 0);
  if (reader.at !== reader.end) throw reader.fail("has trailing bytes");
  return value;
}

/**
 * Decode a value written by packedEncode straight to its JSON text: the same text as JSON.stringify(packedDecode(..)),
 * without building the object tree (on the device a strategy's tree is ~60 heap slots; a list report of eight was
 * eight trees at once). Throws as packedDecode does.
 */
export function packedToJson(data: Uint8Array, offset: number, length: number, what = "value"): string {
  const reader = new Reader(data, offset, offset + length, what);
  const text = textValue(reader, 0);
  if (reader.at !== reader.end) throw reader.fail("has trailing bytes");
  return text;
}

/** One value as JSON text (decodeValue's twin; a number as JSON writes it, a string quoted and escaped). */
function textValue(r: Reader, depth: number): string {
  const at = r.at;
  const tag = r.data[at];
  if (at < r.end && ((tag >= 0xa0 && tag < 0xc0) || tag === 0xc8 || tag === 0xc9)) {
    r.at++;
    const count = tag < 0xc0 ? tag & 0x0f : r.varint();
    return tag < 0xb0 || tag === 0xc8 ? textArray(r, count, depth) : textObject(r, count, depth);
  }
  const value = decodeValue(r, depth);
  return JSON.stringify(value);
}

function textArray(r: Reader, count: number, depth: number): string {
  if (depth >= MAX_DEPTH) throw r.fail("nested too deep");
  if (count > r.end - r.at) throw r.fail("array longer than the value");
  let out = "[";
  for (let i = 0; i < count; i++) out += (i > 0 ? "," : "") + textValue(r, depth + 1);
  return out + "]";
}

function textObject(r: Reader, count: number, depth: number): string {
  if (depth >= MAX_DEPTH) throw r.fail("nested too deep");
  if (count > r.end - r.at) throw r.fail("object larger than the value");
  let out = "{";
  for (let i = 0; i < count; i++) {
    out += (i > 0 ? "," : "") + JSON.stringify(readKey(r)) + ":" + textValue(r, depth + 1);
  }
  return out + "}";
}

/** Number a decoded string the way the encoder did (4+ characters, not from the dictionary). */
function seen(r: Reader, text: string): string {
  if (text.length >= REPEAT_MIN && r.strings.length < REPEAT_MAX) r.strings.push(text);
  return text;
}

function pad(n: number, width: number): string {
  let text = String(n);
  while (text.length < width) text = "0" + text;
  return text;
}

function decodeValue(r: Reader, depth: number): unknown {
  const tag = r.byte();
  if (tag < 0x80) return tag;
  if (tag < 0xa0) return seen(r, r.string(tag & 0x1f));
  if (tag < 0xb0) return decodeArray(r, tag & 0x0f, depth);
  if (tag < 0xc0) return decodeObject(r, tag & 0x0f, depth);
  switch (tag) {
    case 0xc0:
      return null;
    case 0xc1:
      return false;
    case 0xc2:
      return true;
    case 0xc3:
      return r.varint();
    case 0xc4:
      return -1 - r.varint();
    case 0xc5: {
      if (r.end - r.at < 8) throw r.fail("truncated float");
      const value = new DataView(r.data.buffer, r.data.byteOffset + r.at, 8).getFloat64(0, true);
      r.at += 8;
      return value;
    }
    case 0xc6: {
      const z = r.varint();
      const k = r.byte();
      if (k >= POW10.length) throw r.fail("bad decimal exponent");
      const m = z % 2 === 0 ? z / 2 : -(z + 1) / 2;
      return m / POW10[k];
    }
    case 0xc7:
      return seen(r, r.string(r.varint()));
    case 0xc8:
      return decodeArray(r, r.varint(), depth);
    case 0xc9:
      return decodeObject(r, r.varint(), depth);
    case 0xca: {
      const index = r.byte();
      if (index >= PACKED_DICTIONARY.length) throw r.fail(`unknown dictionary entry ${index}`);
      return PACKED_DICTIONARY[index];
    }
    case 0xcb: {
      const year = r.byte() | (r.byte() << 8);
      const fields = [r.byte(), r.byte(), r.byte(), r.byte(), r.byte()];
      const digits = r.byte();
      if (year > 9999 || digits > 9 || fields.some((f) => f > 99)) throw r.fail("bad time");
      let text = `${pad(year, 4)}-${pad(fields[0], 2)}-${pad(fields[1], 2)}T${pad(fields[2], 2)}:${pad(fields[3], 2)}:${pad(fields[4], 2)}`;
      if (digits > 0) text += "." + pad(r.varint(), digits);
      return seen(r, text + "Z");
    }
    case 0xcc:
      return seen(r, `${r.byte()}.${r.byte()}.${r.byte()}.${r.byte()}`);
    case 0xcd: {
      const index = r.varint();
      if (index >= r.strings.length) throw r.fail(`repeat of unknown string ${index}`);
      return r.strings[index];
    }
    default:
      throw r.fail(`unknown tag 0x${tag.toString(16)}`);
  }
}

function decodeArray(r: Reader, count: number, depth: number): unknown[] {
  if (depth >= MAX_DEPTH) throw r.fail("nested too deep");
  if (count > r.end - r.at) throw r.fail("array longer than the value");
  const out: unknown[] = [];
  for (let i = 0; i < count; i++) out.push(decodeValue(r, depth + 1));
  return out;
}

/** An object member's key: a dictionary entry, or 0xff and the key's text. */
function readKey(r: Reader): string {
  const keyByte = r.byte();
  if (keyByte === 0xff) return r.string(r.varint());
  if (keyByte < PACKED_DICTIONARY.length) return PACKED_DICTIONARY[keyByte];
  throw r.fail(`unknown dictionary key ${keyByte}`);
}

function decodeObject(r: Reader, count: number, depth: number): Record<string, unknown> {
  if (depth >= MAX_DEPTH) throw r.fail("nested too deep");
  if (count > r.end - r.at) throw r.fail("object larger than the value");
  const out: Record<string, unknown> = {};
  for (let i = 0; i < count; i++) {
    const key = readKey(r);
    const value = decodeValue(r, depth + 1);
    // JSON.parse makes "__proto__" an own property; a plain assignment would set the prototype instead.
    if (key === "__proto__") Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
    else out[key] = value;
  }
  return out;
}
